#include "api/router.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "api/errors.hpp"

namespace kassa::api {
namespace {

HttpRequest request(std::string method, std::string target) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    split_target(r.target, r.path, r.query);
    return r;
}

boost::json::object json(const HttpResponse& res) { return boost::json::parse(res.body).as_object(); }

TEST(Router, FillsPathParameters) {
    Router router;
    router.add("GET", "/v1/orders/{id}/receipts/{rid}", "", [](HttpRequest& req) {
        HttpResponse res;
        res.body = req.params.at("id") + "|" + req.params.at("rid");
        return res;
    });
    auto req = request("GET", "/v1/orders/123/receipts/9?wait=5");
    auto res = router.route(req);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "123|9");
    EXPECT_EQ(req.query.at("wait"), "5");
}

TEST(Router, UnknownPathIs404JsonWithCode) {
    Router router;
    router.add("GET", "/v1/health", "", [](HttpRequest&) { return HttpResponse{}; });
    auto req = request("GET", "/v1/healthz");
    auto res = router.route(req);
    EXPECT_EQ(res.status, 404);
    EXPECT_EQ(json(res).at("code").as_string(), "not_found");
    auto longer = request("GET", "/v1/health/extra");
    EXPECT_EQ(router.route(longer).status, 404);
}

TEST(Router, WrongMethodIs405WithAllow) {
    Router router;
    router.add("GET", "/v1/x", "", [](HttpRequest&) { return HttpResponse{}; });
    router.add("PUT", "/v1/x", "", [](HttpRequest&) { return HttpResponse{}; });
    auto req = request("DELETE", "/v1/x");
    auto res = router.route(req);
    EXPECT_EQ(res.status, 405);
    EXPECT_EQ(res.headers.at("Allow"), "GET, PUT");
    EXPECT_EQ(json(res).at("code").as_string(), "method_not_allowed");
}

TEST(Router, HandlerExceptionBecomes500WithoutLeakingDetails) {
    Router router;
    router.add("GET", "/boom", "", [](HttpRequest&) -> HttpResponse { throw std::runtime_error("secret detail"); });
    auto req = request("GET", "/boom");
    auto res = router.route(req);
    EXPECT_EQ(res.status, 500);
    EXPECT_EQ(json(res).at("code").as_string(), "internal_error");
    EXPECT_EQ(res.body.find("secret"), std::string::npos);
}

TEST(Router, ListsRoutesForTheOpenApiDocument) {
    Router router;
    router.add(
        "GET", "/v1/health", "health", [](HttpRequest&) { return HttpResponse{}; }, true);
    router.add("POST", "/v1/payments", "pay", [](HttpRequest&) { return HttpResponse{}; });
    auto routes = router.routes();
    ASSERT_EQ(routes.size(), 2u);
    EXPECT_TRUE(routes[0].open);
    EXPECT_EQ(routes[1].pattern, "/v1/payments");
}

TEST(HttpTarget, DecodesQueryAndPath) {
    std::string path;
    std::map<std::string, std::string> query;
    split_target("/v1/a%20b?x=1&y=%D0%90&flag&z=a+b", path, query);
    EXPECT_EQ(path, "/v1/a b");
    EXPECT_EQ(query.at("x"), "1");
    EXPECT_EQ(query.at("y"), "\xD0\x90");
    EXPECT_EQ(query.at("flag"), "");
    EXPECT_EQ(query.at("z"), "a b");
}

TEST(ErrorResponse, CarriesCodeMessageAndDetails) {
    auto res = error_response(422, "amount_mismatch", "sums differ", R"({"total":100})");
    EXPECT_EQ(res.status, 422);
    auto body = json(res);
    EXPECT_EQ(body.at("code").as_string(), "amount_mismatch");
    EXPECT_EQ(body.at("message").as_string(), "sums differ");
    EXPECT_EQ(body.at("details").at("total").as_int64(), 100);
}

TEST(ErrorResponse, MapsKnownCodesAndDefaultsTo500) {
    EXPECT_EQ(status_for(Error{"idempotency_conflict", ""}), 409);
    EXPECT_EQ(status_for(Error{"not_found", ""}), 404);
    EXPECT_EQ(status_for(Error{"disk_on_fire", ""}), 500);
}

}  // namespace
}  // namespace kassa::api
