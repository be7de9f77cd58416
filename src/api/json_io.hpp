// JSON ↔ domain for the HTTP API. Requests are read strictly: unknown fields, wrong types,
// fractional money and out-of-range values are 4xx errors naming the field. Receipts are written
// in the shape of shared/vectors/scenarios.json (tag1054, lines with tag1214/1212/1199 and vat,
// tag1031…tag1217, total) so integrators see the FFD tags they know.
// Include only from src/api .cpp files: it brings Boost.JSON.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "api/errors.hpp"
#include "api/http.hpp"
#include "common/clock.hpp"
#include "fiscal/events.hpp"
#include "fiscal/plan.hpp"
#include "fiscal/receipt.hpp"
#include "ledger/ledger.hpp"

namespace kassa::api {

// The body as a JSON object, or 400 invalid_json / 415 when the content type is not JSON.
boost::json::object parse_body(const HttpRequest& req);

// A business event as the API receives it, with what the service still has to fill in.
struct EventRequest {
    fiscal::Event event;
    fiscal::ReceiptContext context;  // tax_system is taken from the legal entity when not given
    bool tax_system_given = false;
    std::string entity_inn;      // optional: the legal entity when no order names one
    std::string register_id;     // optional: a register chosen by the caller
    std::string card_reference;  // deliveries: the card terminal's reference (RRN), kept on the receipt
    // When the money really changed hands, by the phone's clock (an action queued without signal),
    // and that moment's calendar day at the place of settlement as UnixTime 00:00:00 (for 1178).
    std::optional<Clock::time_point> settled_at;
    std::int64_t settled_day_unix = 0;
};

// An order, and (into `delivery` when given) its optional delivery fields: courier, delivery_date
// (YYYY-MM-DD), delivery_address (1009 rules), customer_contact (1008 rules).
fiscal::Order read_order(const boost::json::object& body, const std::string& path_id,
                         ledger::OrderDelivery* delivery = nullptr);
// True for a real calendar date written YYYY-MM-DD.
bool is_iso_date(std::string_view text);
// A time of day written HH:MM (00:00 … 23:59): an order's delivery window.
bool is_clock_time(std::string_view text);
// An order's expected payment method: cash, card, sbp, credit or prepaid.
bool is_payment_method(std::string_view text);
EventRequest read_payment(const boost::json::object& body);
EventRequest read_delivery(const boost::json::object& body, const std::string& order);
EventRequest read_return(const boost::json::object& body, const std::string& order);
EventRequest read_cancel(const boost::json::object& body, const std::string& order);
EventRequest read_balance_refund(const boost::json::object& body, const std::string& customer);
EventRequest read_credit_repayment(const boost::json::object& body, const std::string& order);
EventRequest read_correction(const boost::json::object& body);
EventRequest read_raw_receipt(const boost::json::object& body);

// Reads a receipt in the scenarios.json shape (raw receipts and corrections).
fiscal::Receipt read_receipt(const boost::json::object& obj, const std::string& path);

boost::json::object receipt_to_json(const fiscal::Receipt& receipt);
boost::json::object order_to_json(const fiscal::Order& order, const ledger::OrderDelivery& delivery = {});
std::string_view vat_class_name(fiscal::VatClass vat);
std::optional<fiscal::VatClass> parse_vat_class(std::string_view name);
std::optional<fiscal::TaxSystem> parse_tax_system(std::string_view name);
std::string_view tax_system_name(fiscal::TaxSystem tax);

// POST /v1/tokens: who the new token is (name: 1–64 bytes, no control characters; a courier's
// name as orders carry it in `courier`), its role, its bindings (ids) and, optionally, the address
// the pages are opened at for the login link (`base_url`, http or https).
struct TokenRequest {
    std::string name;
    std::string role;
    std::vector<std::string> entities;
    std::vector<std::string> registers;
    std::string base_url;
};
TokenRequest read_token_request(const boost::json::object& body);

HttpResponse json_response(int status, const boost::json::value& body);

}  // namespace kassa::api
