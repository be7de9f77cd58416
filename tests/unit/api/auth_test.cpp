#include "api/auth.hpp"

#include <gtest/gtest.h>

namespace kassa::api {
namespace {

HttpRequest with_token(const std::string& method, const std::string& path, const std::string& token) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    return r;
}

class AuthTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(tokens.add(sha256_hex("admin-secret"), Principal{"boss", Role::Admin, {}, {}}));
        ASSERT_TRUE(tokens.add(sha256_hex("cashier-secret"), Principal{"office", Role::Cashier, {"reg-1"}, {}}));
        ASSERT_TRUE(tokens.add(sha256_hex("courier-secret"), Principal{"petrov", Role::Courier, {}, {"7701"}}));
        router.add(
            "GET", "/v1/health", "", [](HttpRequest&) { return HttpResponse{}; }, true);
        router.add("POST", "/v1/shifts/close", "", {"cashier"}, [](HttpRequest& req) {
            HttpResponse res;
            res.body = principal_of(req).name;
            return res;
        });
        router.add("POST", "/v1/deliveries", "", {"cashier", "courier"}, [](HttpRequest& req) {
            HttpResponse res;
            res.body = principal_of(req).name;
            return res;
        });
        install_auth(router, tokens);
    }
    TokenStore tokens;
    Router router;
};

TEST(Sha256, KnownVector) {
    // FIPS 180-2 example: SHA-256("abc").
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RandomToken, IsLongHexAndDiffers) {
    auto a = random_token();
    auto b = random_token();
    EXPECT_EQ(a.size(), 64u);
    EXPECT_NE(a, b);
}

TEST_F(AuthTest, OpenRouteNeedsNoToken) {
    auto req = with_token("GET", "/v1/health", "");
    EXPECT_EQ(router.route(req).status, 200);
}

TEST_F(AuthTest, MissingMalformedOrUnknownTokenIs401) {
    auto none = with_token("POST", "/v1/deliveries", "");
    auto res = router.route(none);
    EXPECT_EQ(res.status, 401);
    EXPECT_EQ(res.headers.at("WWW-Authenticate"), "Bearer");
    auto unknown = with_token("POST", "/v1/deliveries", "guess");
    EXPECT_EQ(router.route(unknown).status, 401);
    HttpRequest basic;
    basic.method = "POST";
    basic.path = "/v1/deliveries";
    basic.headers["authorization"] = "Basic YWRtaW46YWRtaW4=";
    EXPECT_EQ(router.route(basic).status, 401);
}

TEST_F(AuthTest, WrongRoleIs403AndAdminPassesEverything) {
    auto courier = with_token("POST", "/v1/shifts/close", "courier-secret");
    EXPECT_EQ(router.route(courier).status, 403);
    auto cashier = with_token("POST", "/v1/shifts/close", "cashier-secret");
    auto res = router.route(cashier);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "office");
    auto admin = with_token("POST", "/v1/shifts/close", "admin-secret");
    EXPECT_EQ(router.route(admin).body, "boss");
}

TEST_F(AuthTest, PrecheckDecidesFromTheHeadersAloneAndAuditsTheRefusal) {
    std::vector<int> observed;
    router.set_observer([&](const HttpRequest&, const HttpResponse& res, std::function<void()> then) {
        observed.push_back(res.status);
        then();
    });
    auto stranger = with_token("POST", "/v1/deliveries", "guess");
    const auto refused = router.precheck(stranger);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->status, 401);
    auto courier = with_token("POST", "/v1/shifts/close", "courier-secret");
    EXPECT_EQ(router.precheck(courier).value().status, 403);
    EXPECT_EQ(observed, (std::vector<int>{401, 403}));
    // An allowed caller passes and nothing is observed until the request is handled.
    auto cashier = with_token("POST", "/v1/shifts/close", "cashier-secret");
    EXPECT_FALSE(router.precheck(cashier).has_value());
    auto open = with_token("GET", "/v1/health", "");
    EXPECT_FALSE(router.precheck(open).has_value());
    EXPECT_EQ(observed.size(), 2u);
    auto nowhere = with_token("GET", "/v1/nowhere", "");
    EXPECT_EQ(router.precheck(nowhere).value().status, 404);
}

TEST_F(AuthTest, SchemeIsCaseInsensitive) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/v1/deliveries";
    r.headers["authorization"] = "bearer courier-secret";
    EXPECT_EQ(router.route(r).body, "petrov");
}

TEST(TokenStore, RejectsBadOrDuplicateDigests) {
    TokenStore tokens;
    EXPECT_FALSE(tokens.add("abc", Principal{"x", Role::Admin, {}, {}}));
    EXPECT_TRUE(tokens.add(sha256_hex("t"), Principal{"x", Role::Admin, {}, {}}));
    auto upper = sha256_hex("t");
    for (auto& c : upper) c = static_cast<char>(std::toupper(c));
    EXPECT_FALSE(tokens.add(upper, Principal{"y", Role::Admin, {}, {}}));
}

TEST(TokenStore, IssuedTokensAreRevokedAtOnceConfigTokensStay) {
    TokenStore tokens;
    ASSERT_TRUE(tokens.add(sha256_hex("config"), Principal{"cfg", Role::Cashier, {}, {}}));
    EXPECT_FALSE(tokens.add_issued(sha256_hex("issued"), Principal{"no-id", Role::Courier, {}, {}}));
    ASSERT_TRUE(tokens.add_issued(
        sha256_hex("issued"), Principal{.name = "Курьер", .role = Role::Courier, .entities = {"7701"}, .token_id = 7}));
    auto who = tokens.authenticate_token("issued");
    ASSERT_TRUE(who);
    EXPECT_EQ(who->name, "Курьер");
    EXPECT_EQ(who->token_id, 7);
    EXPECT_EQ(who->token_sha256, sha256_hex("issued"));
    EXPECT_EQ(who->entities, std::vector<std::string>{"7701"});
    tokens.revoke(sha256_hex("issued"));
    EXPECT_EQ(tokens.authenticate_token("issued").error().code, "unauthorized");
    tokens.revoke(sha256_hex("config"));  // config tokens are the config file's to change
    EXPECT_TRUE(tokens.authenticate_token("config"));
    EXPECT_FALSE(tokens.authenticate_token(""));
}

TEST(Principal, Bindings) {
    Principal p{"c", Role::Courier, {"reg-1"}, {"7701"}};
    EXPECT_TRUE(p.may_use_register("reg-1"));
    EXPECT_FALSE(p.may_use_register("reg-2"));
    EXPECT_TRUE(p.may_use_entity("7701"));
    EXPECT_FALSE(p.may_use_entity("7702"));
    Principal any{"a", Role::Admin, {}, {}};
    EXPECT_TRUE(any.may_use_register("whatever"));
}

// GET /metrics (Router::add_local): loopback callers need no token; anyone else needs an admin token.
TEST_F(AuthTest, LocalRouteIsOpenToLoopbackOnlyElseAdmin) {
    router.add_local("GET", "/metrics", "", {"admin"}, [](HttpRequest&) { return HttpResponse{}; });
    auto call = [&](const std::string& remote, const std::string& token) {
        auto req = with_token("GET", "/metrics", token);
        req.remote = remote;
        return router.handle(req).status;
    };
    EXPECT_EQ(call("127.0.0.1", ""), 200);
    EXPECT_EQ(call("::1", ""), 200);
    EXPECT_EQ(call("::ffff:127.0.0.1", ""), 200);
    EXPECT_EQ(call("10.0.0.5", ""), 401);
    EXPECT_EQ(call("128.0.0.1", ""), 401);
    EXPECT_EQ(call("::ffff:10.0.0.5", ""), 401);
    EXPECT_EQ(call("10.0.0.5", "cashier-secret"), 403);
    EXPECT_EQ(call("10.0.0.5", "admin-secret"), 200);
    // A token sent from loopback is still checked: a wrong one is refused, not ignored.
    EXPECT_EQ(call("127.0.0.1", "wrong-secret"), 401);
}

TEST(Role, Names) {
    EXPECT_EQ(parse_role("courier"), Role::Courier);
    EXPECT_FALSE(parse_role("root"));
    EXPECT_EQ(role_name(Role::Cashier), "cashier");
}

}  // namespace
}  // namespace kassa::api
