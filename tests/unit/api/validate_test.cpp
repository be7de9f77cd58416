// What the API refuses while reading a request: ids outside the safe set, dates that are not days
// of the calendar, and (through the router) path parameters.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <tuple>

#include "api/json_io.hpp"
#include "api/router.hpp"

namespace kassa::api {
namespace {

boost::json::object obj(std::string_view text) { return boost::json::parse(text).as_object(); }

template <class F>
std::pair<int, std::string> refusal(F f) {
    try {
        f();
    } catch (const ApiError& e) {
        return {e.status(), e.code()};
    }
    return {0, "accepted"};
}

HttpRequest get(std::string target) {
    HttpRequest req;
    req.method = "GET";
    req.target = std::move(target);
    split_target(req.target, req.path, req.query);
    return req;
}

TEST(SafeId, AcceptsTheDocumentedSetOnly) {
    EXPECT_TRUE(is_safe_id("A-z_0.9:x"));
    EXPECT_TRUE(is_safe_id(std::string(64, 'a')));
    EXPECT_FALSE(is_safe_id(""));
    EXPECT_FALSE(is_safe_id(std::string(65, 'a')));
    for (std::string bad : {"a/b", "a b", "a%2Fb", "\xFF\xFE", "заказ", "a\nb", "a?b", "a#b", "a\"b"})
        EXPECT_FALSE(is_safe_id(bad)) << bad;
}

TEST(ReadOrder, IdsOutsideTheSafeSetAre400InvalidId) {
    const auto line = R"({"sku":"A","name":"A","qty":"1","price":100,"vat":"vat22"})";
    EXPECT_EQ(
        refusal([&] { read_order(obj(std::string(R"({"id":"a/b","customer":"C","lines":[)") + line + "]}"), ""); }),
        std::make_pair(400, std::string("invalid_id")));
    EXPECT_EQ(refusal([&] { read_order(obj(std::string(R"({"customer":"C 1","lines":[)") + line + "]}"), "O1"); }),
              std::make_pair(400, std::string("invalid_id")));
    EXPECT_EQ(refusal([&] { read_order(obj(std::string(R"({"customer":"C1","lines":[)") + line + "]}"), "O1"); }),
              std::make_pair(0, std::string("accepted")));
}

TEST(ReadOrder, DeliveryFieldsAreReadAndChecked) {
    const std::string head = R"({"customer":"C1","lines":[{"sku":"A","name":"A","qty":"1","price":100,"vat":"vat22"}])";
    ledger::OrderDelivery d;
    read_order(obj(head + R"(,"courier":"petrov","delivery_date":"2028-02-29","delivery_address":"ул. Садовая, 5",)"
                          R"("customer_contact":"+79990001122"})"),
               "O1", &d);
    EXPECT_EQ(d,
              (ledger::OrderDelivery{
                  .courier = "petrov", .date = "2028-02-29", .address = "ул. Садовая, 5", .contact = "+79990001122"}));
    for (std::string bad :
         {R"("delivery_date":"2027-02-29")", R"("delivery_date":"2027-2-1")", R"("delivery_address":"a\u0007b")"})
        EXPECT_EQ(refusal([&] { read_order(obj(head + "," + bad + "}"), "O1", &d); }).first, 400) << bad;
    EXPECT_EQ(refusal([&] { read_order(obj(head + R"(,"customer_contact":"89990001122"})"), "O1", &d); }),
              std::make_pair(400, std::string("invalid_contact")));
}

TEST(ReadOrder, PaymentMethodDeadlineAndCreditAreReadAndChecked) {
    const std::string head = R"({"customer":"C1","lines":[{"sku":"A","name":"A","qty":"1","price":100,"vat":"vat22"}],)"
                             R"("delivery_date":"2031-05-06")";
    ledger::OrderDelivery d;
    read_order(obj(head + R"(,"payment_method":"card","deliver_from":"09:30","deliver_by":"12:00"})"), "O1", &d);
    EXPECT_EQ((std::tuple{d.payment_method, d.deliver_from, d.deliver_by, d.credit_allowed}),
              (std::tuple{std::string("card"), std::string("09:30"), std::string("12:00"), false}));
    // "by HH:MM" alone is a deadline; an order to be paid on credit allows credit at the door.
    read_order(obj(head + R"(,"payment_method":"credit","deliver_by":"23:59"})"), "O1", &d);
    EXPECT_EQ((std::tuple{d.deliver_from, d.deliver_by, d.credit_allowed}),
              (std::tuple{std::string(), std::string("23:59"), true}));
    read_order(obj(head + R"(,"payment_method":"cash","credit_allowed":true})"), "O1", &d);
    EXPECT_TRUE(d.credit_allowed);
    read_order(obj(head + "}"), "O1", &d);
    EXPECT_EQ((std::tuple{d.payment_method, d.deliver_by, d.credit_allowed}),
              (std::tuple{std::string(), std::string(), false}));
    for (std::string bad : {R"("payment_method":"bitcoin")", R"("payment_method":"CASH")", R"("deliver_by":"24:00")",
                            R"("deliver_by":"12:60")", R"("deliver_by":"9:30")", R"("deliver_by":"12:00:00")",
                            R"("deliver_from":"10:00")", R"("deliver_from":"12:00","deliver_by":"12:00")",
                            R"("deliver_from":"13:00","deliver_by":"12:00")", R"("credit_allowed":"yes")",
                            R"("payment_method":"credit","credit_allowed":false)", R"("deliver_by":1200)"}) {
        const auto [status, code] = refusal([&] { read_order(obj(head + "," + bad + "}"), "O1", &d); });
        EXPECT_EQ(status, 400) << bad;
        EXPECT_NE(code, "accepted") << bad;
    }
    // A deadline needs its day.
    const std::string no_day =
        R"({"customer":"C1","lines":[{"sku":"A","name":"A","qty":"1","price":100,"vat":"vat22"}],)"
        R"("deliver_by":"12:00"})";
    EXPECT_EQ(refusal([&] { read_order(obj(no_day), "O1", &d); }), std::make_pair(400, std::string("invalid_field")));
}

TEST(ReadOrder, ClockTimesAndPaymentMethods) {
    for (auto good : {"00:00", "09:05", "23:59", "19:30"}) EXPECT_TRUE(is_clock_time(good)) << good;
    for (auto bad : {"24:00", "1:00", "12:5", "12-00", "ab:cd", "12:60", "", "12:00 "})
        EXPECT_FALSE(is_clock_time(bad)) << bad;
    for (auto good : {"cash", "card", "sbp", "credit", "prepaid"}) EXPECT_TRUE(is_payment_method(good));
    for (auto bad : {"", "Cash", "electronic", "advance"}) EXPECT_FALSE(is_payment_method(bad));
}

TEST(SettledAt, IsReadOnPaymentsAndCreditRepaymentsAsOnDeliveries) {
    const auto pay = read_payment(obj(R"({"customer":"C1","cash":100,"settled_at":"2026-12-02T14:05:00+03:00"})"));
    ASSERT_TRUE(pay.settled_at.has_value());
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(pay.settled_at->time_since_epoch()).count(),
              1796209500);                        // 2026-12-02 11:05:00Z
    EXPECT_EQ(pay.settled_day_unix, 1796169600);  // 2026-12-02, the day where the money changed hands
    const auto repay = read_credit_repayment(obj(R"({"cash":100,"settled_at":"2026-12-02T11:05:00Z"})"), "O1");
    EXPECT_EQ(repay.settled_at, pay.settled_at);
    EXPECT_FALSE(read_payment(obj(R"({"customer":"C1","cash":100})")).settled_at.has_value());
    EXPECT_EQ(refusal([] { read_payment(obj(R"({"customer":"C1","cash":1,"settled_at":"2026-12-02 11:05"})")); }),
              std::make_pair(400, std::string("invalid_field")));
    EXPECT_EQ(refusal([] { read_credit_repayment(obj(R"({"cash":1,"settled_at":"yesterday"})"), "O1"); }),
              std::make_pair(400, std::string("invalid_field")));
}

TEST(ReadPayment, AllocatedOrderAndRegisterMustBeSafeIds) {
    EXPECT_EQ(
        refusal([] { read_payment(obj(R"({"customer":"C1","cash":1,"allocate":[{"order":"x/y","amount":1}]})")); }),
        std::make_pair(400, std::string("invalid_id")));
    EXPECT_EQ(refusal([] { read_payment(obj(R"({"customer":"C1","cash":1,"register":"../etc"})")); }),
              std::make_pair(400, std::string("invalid_id")));
}

std::string correction(std::string_view date) {
    return std::string(R"({"correction":{"type":"self","date":")") + std::string(date) +
           R"("},"correct":{"lines":[],"total":0},"orders":["O-1"]})";
}

TEST(ReadCorrection, DatesMustBeDaysOfTheCalendar) {
    for (auto bad : {"2024-02-31", "2023-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "1999-12-31",
                     "2026-1-011", "20260101xx", "+026-01-01"})
        EXPECT_EQ(refusal([&] { read_correction(obj(correction(bad))); }).second, "invalid_field") << bad;
    const auto leap = read_correction(obj(correction("2024-02-29")));
    EXPECT_EQ(std::get<fiscal::CorrectionEvent>(leap.event).correction.date_unix, 1709164800);  // 2024-02-29 00:00Z
    EXPECT_EQ(
        refusal([] {
            read_correction(obj(
                R"({"correction":{"type":"self","date":"2024-02-01"},"correct":{"lines":[],"total":0},"orders":["a b"]})"));
        }),
        std::make_pair(400, std::string("invalid_id")));
}

TEST(Router, PathParametersOutsideTheSafeSetAre400) {
    Router router;
    router.add("GET", "/v1/orders/{id}", "", [](HttpRequest&) { return HttpResponse{}; });
    auto req = get("/v1/orders/%FF%FE");
    auto res = router.route(req);
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(boost::json::parse(res.body).as_object().at("code"), "invalid_id");
    // The refusal is decided before any body: precheck says the same.
    auto again = get("/v1/orders/%FF%FE");
    ASSERT_TRUE(router.precheck(again).has_value());
    EXPECT_EQ(router.precheck(again)->status, 400);
}

TEST(Router, AnUnknownPathWithBadBytesStillAnswersValidJson) {
    Router router;
    auto req = get("/v1/%FF%FE");
    const auto res = router.route(req);
    EXPECT_EQ(res.status, 404);
    boost::system::error_code ec;
    boost::json::parse(res.body, ec);
    EXPECT_FALSE(ec) << res.body;
    // Boost.JSON accepts raw bytes in strings, so check the body itself is ASCII.
    for (unsigned char c : res.body) EXPECT_LT(c, 0x80);
}

}  // namespace
}  // namespace kassa::api
