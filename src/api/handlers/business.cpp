#include "api/handlers/business.hpp"

#include "api/handlers/common.hpp"
#include "api/handlers/views.hpp"

#include <spdlog/logger.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/json_io.hpp"
#include "api/service.hpp"
#include "common/log.hpp"
#include "fiscal/validate.hpp"
#include "notify/notification.hpp"

namespace kassa::api {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr auto kMaxWait = 60s;

std::chrono::milliseconds wait_of(const HttpRequest& req) {
    auto it = req.query.find("wait");
    if (it == req.query.end()) return 0ms;
    int seconds = 0;
    try {
        std::size_t used = 0;
        seconds = std::stoi(it->second, &used);
        if (used != it->second.size() || seconds < 0) throw std::invalid_argument("wait");
    } catch (const std::exception&) {
        throw ApiError(400, "invalid_field", "wait must be a whole number of seconds", "wait");
    }
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(seconds), kMaxWait);
}

// ---- GET /v1/receipts paging ---------------------------------------------------------------------

// The opaque page token of GET /v1/receipts: the direction and the last id of the page, as hex of
// "r1.<a|d>.<id>" (clients pass it back as it is; its form may change).
std::string receipts_cursor(ledger::ReceiptId last, bool newest_first) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto text = std::string("r1.") + (newest_first ? "d." : "a.") + std::to_string(last);
    std::string out;
    for (unsigned char c : text) {
        out += kHex[c >> 4];
        out += kHex[c & 0x0F];
    }
    return out;
}

struct PageRequest {
    std::size_t limit = 1000;
    bool newest_first = false;
    ledger::ReceiptId after = 0;
};

// ?limit=1..1000 (default 1000, as before paging), ?sort=asc|desc (by id: oldest or newest first),
// ?cursor=<next of the previous page>; 400 invalid_field / invalid_cursor otherwise.
PageRequest read_page(const HttpRequest& req) {
    PageRequest p;
    if (auto it = req.query.find("limit"); it != req.query.end()) {
        long long n = 0;
        std::size_t used = 0;
        try {
            n = std::stoll(it->second, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != it->second.size() || n < 1 || n > 1000)
            throw ApiError(400, "invalid_field", "limit must be a whole number 1..1000", "limit");
        p.limit = static_cast<std::size_t>(n);
    }
    std::optional<bool> order;  // `order` names an order id (a filter): the direction is `sort`
    if (auto it = req.query.find("sort"); it != req.query.end()) {
        if (it->second != "asc" && it->second != "desc")
            throw ApiError(400, "invalid_field", "sort must be asc or desc", "sort");
        order = it->second == "desc";
    }
    p.newest_first = order.value_or(false);
    if (auto it = req.query.find("cursor"); it != req.query.end()) {
        const auto bad = [] {
            return ApiError(400, "invalid_cursor", "cursor is not a page token of GET /v1/receipts", "cursor");
        };
        const auto& hex = it->second;
        if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 64) throw bad();
        std::string text;
        for (std::size_t i = 0; i < hex.size(); i += 2) {
            int v = 0;
            for (char c : hex.substr(i, 2)) {
                const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                if (d < 0) throw bad();
                v = v * 16 + d;
            }
            text += static_cast<char>(v);
        }
        if (text.size() < 6 || !text.starts_with("r1.") || (text[3] != 'a' && text[3] != 'd') || text[4] != '.')
            throw bad();
        const auto digits = text.substr(5);
        if (digits.empty() || digits.size() > 18 ||
            !std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; }))
            throw bad();
        const bool desc = text[3] == 'd';
        if (order && *order != desc)
            throw ApiError(400, "invalid_cursor", "the cursor was made for the other sort", "cursor");
        p.newest_first = desc;
        p.after = std::stoll(digits);
        if (p.after < 1) throw bad();
    }
    return p;
}

// The answer to an event: its receipts as they stand (read back), or as just stored (`records`).
HttpResponse receipts_response(Service& service, const std::vector<ledger::ReceiptId>& ids, bool replayed,
                               fiscal::Kopecks change, const std::vector<ledger::ReceiptRecord>& records = {}) {
    json::array receipts;
    bool all_final = true;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto r = i < records.size() ? std::optional(records[i]) : service.ledger().receipt(ids[i]);
        if (!r) continue;
        all_final = all_final && ledger::is_final(r->state);
        receipts.push_back(record_to_json(*r));
    }
    auto res = json_response(
        all_final ? 200 : 202,
        json::object{{"receipts", std::move(receipts)}, {"change", change.value()}, {"replayed", replayed}});
    if (!ids.empty()) res.headers["Location"] = "/v1/receipts/" + std::to_string(ids.front());
    return res;
}

// An order as GET /v1/orders/{id} and a courier's list show it: lines, delivery fields, the sums,
// and the receipts the caller may see.
json::object order_view_to_json(const ledger::OrderView& view, const Scope& scope, CreditAtDoor credit) {
    json::object out = order_to_json(view.facts.order, view.delivery);
    // Whether a courier may settle it on credit at the door now ([planner] credit_at_door).
    out["credit_at_door"] =
        view.facts.state == fiscal::OrderState::Open && credit_at_door_allowed(credit, view.delivery);
    out["state"] = view.facts.state == fiscal::OrderState::Open        ? "open"
                   : view.facts.state == fiscal::OrderState::Delivered ? "delivered"
                                                                       : "cancelled";
    out["total"] = view.total.value();
    out["prepaid"] = view.facts.prepaid.value();
    out["delivered"] = view.delivered.value();
    out["returned"] = view.returned.value();
    out["refused"] = view.refused.value();
    json::array refused_lines;
    for (const auto& [sku, qty] : view.facts.refused)
        refused_lines.push_back(json::object{{"sku", sku}, {"qty", qty.to_string()}});
    out["refused_lines"] = std::move(refused_lines);
    out["owed"] = view.owed.value();
    out["credit_owed"] = view.facts.credit_owed.value();
    json::array receipts;
    for (const auto& r : view.receipts)
        if (scope.receipt(r)) receipts.push_back(record_to_json(r));
    out["receipts"] = std::move(receipts);
    return out;
}

using Reader = std::function<EventRequest(const json::object&, const HttpRequest&)>;

// Every route that can make a receipt: Idempotency-Key required, the request hashed for replay
// together with its caller (a key replays only for the principal that made it), ?wait=N answers
// once the receipts settle (or with 202 when the wait ends first). No thread is held while the
// plan is committed or the receipts print: the answer is deferred.
Handler event_route(Service& service, std::string action, Reader read) {
    return [&service, action = std::move(action), read = std::move(read)](HttpRequest& req) {
        return guarded([&] {
            const auto key = req.header("idempotency-key");
            if (key.empty())
                throw ApiError(400, "idempotency_key_required",
                               "an Idempotency-Key header is required for anything that can make a receipt");
            if (key.size() > 128) throw ApiError(400, "invalid_field", "Idempotency-Key is longer than 128", "key");
            const auto wait = wait_of(req);
            const auto body = parse_body(req);
            auto event = read(body, req);
            const auto& who = principal_of(req);
            const auto hash = sha256_hex(who.name + "\n" + req.method + " " + req.path + "\n" + req.body);
            auto responder = req.responder;
            service.submit(who, key, hash, std::move(event), action, req.remote,
                           [&service, responder, wait](std::optional<Submitted> submitted, std::exception_ptr error) {
                               // On the ledger's completion thread: hand the rest to a handler thread at once.
                               if (error) return responder->send(error_from(error));
                               responder->post([&service, responder, wait, s = std::move(*submitted)] {
                                   if (wait > 0ms && !s.receipts.empty())
                                       return service.when_settled(s.receipts, wait, [&service, responder, s](bool) {
                                           responder->send_built([&service, s] {
                                               auto res = receipts_response(service, s.receipts, s.replayed, s.change);
                                               res.audited = !s.replayed;  // its audit row went in with the plan
                                               return res;
                                           });
                                       });
                                   // Answered from what was stored: no read back.
                                   auto res = receipts_response(service, s.receipts, s.replayed, s.change, s.records);
                                   res.audited = !s.replayed;
                                   responder->send(std::move(res));
                               });
                           });
            return HttpResponse::later();
        });
    };
}

// Events on one order or customer: a bound token that may not see it gets 404 before anything is
// planned, exactly as for reads (authz.hpp). Unknown ones are left to the planner (unknown_order).
void check_order_reach(Service& service, const HttpRequest& req, const std::string& id) {
    const auto scope = scope_of(service, req);
    if (scope.unrestricted()) return;
    try {
        if (!scope.order(service.ledger().order_facts(id).order))
            throw ApiError(404, "not_found", "order '" + id + "' is not known");
    } catch (const ledger::LedgerError& e) {
        if (e.code() != ledger::errc::kNotFound) throw;
    }
}

void check_customer_reach(Service& service, const HttpRequest& req, const std::string& id) {
    const auto scope = scope_of(service, req);
    if (!scope.unrestricted() && !scope.customer(service.ledger().customer_entities(id)))
        throw ApiError(404, "not_found", "customer '" + id + "' is not known");
}

using OrderRead = EventRequest (*)(const json::object&, const std::string&);

Reader on_reachable_order(Service& service, OrderRead read) {
    return [&service, read](const json::object& body, const HttpRequest& req) {
        check_order_reach(service, req, req.params.at("id"));
        return read(body, req.params.at("id"));
    };
}

drivers::RegisterWorker& register_for(Service& service, const HttpRequest& req) {
    const auto& id = req.params.at("id");
    auto* worker = service.pool().find(id);
    if (!worker || !scope_of(service, req).register_id(id))
        throw ApiError(404, "not_found", "register '" + id + "' is not known");
    return *worker;
}

HttpResponse device_answer(const drivers::DeviceStatusResult& result) {
    if (!result) {
        const auto& e = result.error();
        const int status = e.outcome == drivers::Outcome::Rejected ? 409 : 503;
        // device_rejected, device_retry_later, device_needs_operator, device_stopped, ...
        const std::string outcome(drivers::outcome_name(e.outcome));
        return error_response(status, outcome.starts_with("device_") ? outcome : "device_" + outcome, e.to_string());
    }
    return json_response(200, json::object{{"status", "done"}});
}

// A register command: queued on the register's worker, answered when the device has done it,
// holding no thread meanwhile.
using DeviceCommand = void (drivers::RegisterWorker::*)(drivers::RegisterWorker::CommandDone);
Handler device_route(Service& service, DeviceCommand command) {
    return [&service, command](HttpRequest& req) {
        return guarded([&] {
            auto& worker = register_for(service, req);
            (worker.*command)([responder = req.responder](const drivers::DeviceStatusResult& result) {
                responder->send(device_answer(result));
            });
            return HttpResponse::later();
        });
    };
}

}  // namespace

void add_business_routes(Router& router, Service& service) {
    const std::vector<std::string> office{"cashier"};
    const std::vector<std::string> field{"cashier", "courier"};

    // ---- orders -----------------------------------------------------------------------------
    auto upsert_order = [&service](HttpRequest& req, const std::string& path_id) {
        return guarded([&] {
            ledger::OrderDelivery delivery;
            auto order = read_order(parse_body(req), path_id, &delivery);
            if (order.entity_inn.empty() && service.options().entities.size() == 1)
                order.entity_inn = service.options().entities.front().inn;
            if (order.entity_inn.empty())
                throw ApiError(422, "entity_required", "name the legal entity (entity_inn): several are configured",
                               "entity_inn");
            if (!service.entity(order.entity_inn))
                throw ApiError(422, "unknown_entity", "legal entity '" + order.entity_inn + "' is not configured",
                               "entity_inn");
            if (!scope_of(service, req).entity(order.entity_inn))
                throw ApiError(403, "forbidden", "this token may not work for legal entity " + order.entity_inn);
            // Replacing an order needs its CURRENT entity in reach (404 as if it did not exist);
            // moving it to another entity or customer is the ledger's rule (order_has_receipts).
            check_order_reach(service, req, order.id);
            if (auto valid = fiscal::validate_order(order); !valid)
                throw ApiError(422, valid.error().code, valid.error().message);
            service.ledger().upsert_order(order, delivery);  // audited by the router's observer, once
            auto res = json_response(200, order_to_json(order, delivery));
            res.headers["Location"] = "/v1/orders/" + order.id;
            return res;
        });
    };
    router.add("POST", "/v1/orders", "Create or replace an order (id in the body)", office,
               [upsert_order](HttpRequest& req) { return upsert_order(req, ""); });
    router.add("PUT", "/v1/orders/{id}", "Create or replace an order", office,
               [upsert_order](HttpRequest& req) { return upsert_order(req, req.params.at("id")); });
    router.add("GET", "/v1/orders/{id}", "An order with its receipts and what is prepaid, delivered, returned, owed",
               field, [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto view = visible_order(service, req, req.params.at("id"));
                       return json_response(
                           200, order_view_to_json(view, scope_of(service, req), service.options().credit_at_door));
                   });
               });

    router.add("GET", "/v1/couriers/me/orders", "The calling courier's orders for a day (?date=YYYY-MM-DD)",
               {"courier"}, [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto it = req.query.find("date");
                       if (it == req.query.end() || it->second.empty())
                           throw ApiError(400, "missing_field", "date is required (YYYY-MM-DD)", "date");
                       if (!is_iso_date(it->second))
                           throw ApiError(400, "invalid_field", "date must be written YYYY-MM-DD", "date");
                       const auto scope = scope_of(service, req);
                       json::array orders;
                       for (const auto& id : service.ledger().courier_orders(principal_of(req).name, it->second)) {
                           const auto view = service.ledger().order_view(id);
                           if (scope.order(view.facts.order))
                               orders.push_back(order_view_to_json(view, scope, service.options().credit_at_door));
                       }
                       return json_response(200, json::object{{"date", it->second}, {"orders", std::move(orders)}});
                   });
               });

    // ---- business events ---------------------------------------------------------------------
    router.add("POST", "/v1/payments", "Money received: allocate to orders, the rest is an advance", field,
               event_route(service, "payment", [&service](const json::object& b, const HttpRequest& r) {
                   auto request = read_payment(b);
                   for (const auto& a : std::get<fiscal::PaymentEvent>(request.event).allocate)
                       check_order_reach(service, r, a.order);
                   return request;
               }));
    router.add("POST", "/v1/orders/{id}/delivery", "Settle an order at handover", field,
               event_route(service, "delivery", [&service](const json::object& b, const HttpRequest& r) {
                   auto request = on_reachable_order(service, read_delivery)(b, r);
                   // §3.11: the courier's receipt is an e-receipt; cash with no contact is refused.
                   const auto& e = std::get<fiscal::DeliveryEvent>(request.event);
                   if (principal_of(r).role == Role::Courier &&
                       service.options().policy.courier_cash_requires_contact && e.cash.is_positive() &&
                       request.context.buyer_contact.empty())
                       throw ApiError(422, "contact_required",
                                      "a courier's cash settlement needs the buyer's phone or e-mail (1008): the "
                                      "receipt is sent electronically ([planner] courier_cash_requires_contact)",
                                      "buyer_contact");
                   // A courier leaves money owed at the door only where the policy allows it.
                   if (principal_of(r).role == Role::Courier && e.credit.is_positive()) {
                       const auto view = service.ledger().order_view(e.order);
                       if (!credit_at_door_allowed(service.options().credit_at_door, view.delivery))
                           throw ApiError(409, "credit_not_allowed",
                                          "order '" + e.order +
                                              "' may not be settled on credit at the door ([planner] credit_at_door; "
                                              "the order's credit_allowed)",
                                          "credit");
                   }
                   return request;
               }));
    router.add("POST", "/v1/orders/{id}/returns", "Goods back from a delivered order, refunded", office,
               event_route(service, "return", on_reachable_order(service, read_return)));
    router.add("POST", "/v1/orders/{id}/cancel", "Cancel an undelivered order, refunding its prepayment", office,
               event_route(service, "cancel", on_reachable_order(service, read_cancel)));
    router.add("POST", "/v1/orders/{id}/credit-repayments", "Money received against an order's credit", field,
               event_route(service, "credit_repayment", on_reachable_order(service, read_credit_repayment)));
    router.add("POST", "/v1/customers/{id}/refunds", "Pay back money from a customer's advance balance", office,
               event_route(service, "balance_refund", [&service](const json::object& b, const HttpRequest& r) {
                   check_customer_reach(service, r, r.params.at("id"));
                   return read_balance_refund(b, r.params.at("id"));
               }));
    router.add("POST", "/v1/corrections", "Correction receipt (own initiative or by order)", office,
               event_route(service, "correction", [&service](const json::object& b, const HttpRequest& r) {
                   auto request = read_correction(b);
                   for (const auto& o : std::get<fiscal::CorrectionEvent>(request.event).orders)
                       check_order_reach(service, r, o);
                   return request;
               }));
    router.add("POST", "/v1/receipts", "A raw receipt computed by the caller (validated, then printed)", office,
               event_route(service, "receipt.raw", [&service](const json::object& b, const HttpRequest& r) {
                   auto request = read_raw_receipt(b);
                   for (const auto& o : std::get<fiscal::RawReceiptEvent>(request.event).orders)
                       check_order_reach(service, r, o);
                   return request;
               }));

    // ---- receipts and customers --------------------------------------------------------------
    router.add("GET", "/v1/receipts/{id}", "One receipt with its state and fiscal results (?wait=N)", field,
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto id = receipt_id_of(req);
                       auto r = visible_receipt(service, req, id);
                       auto answer = [&service](const ledger::ReceiptRecord& rec) {
                           return json_response(200, record_with_deliveries(service.ledger(), rec));
                       };
                       if (const auto wait = wait_of(req); wait > 0ms && !ledger::is_final(r.state)) {
                           // A long-poll: registered, holding no thread until the receipt settles.
                           service.when_settled({id}, wait, [&service, answer, id, responder = req.responder](bool) {
                               responder->send_built([&service, answer, id] {
                                   auto rec = service.ledger().receipt(id);
                                   if (!rec)
                                       return error_response(404, "not_found", "no receipt " + std::to_string(id));
                                   return answer(*rec);
                               });
                           });
                           return HttpResponse::later();
                       }
                       return answer(r);
                   });
               });
    router.add("POST", "/v1/receipts/{id}/resend", "Send the e-receipt again to the buyer's contact (1008)", office,
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto id = receipt_id_of(req);
                       const auto r = visible_receipt(service, req, id);
                       if (r.state != ledger::ReceiptState::Confirmed)
                           throw ApiError(409, "receipt_not_confirmed", "the receipt is not fiscalised yet");
                       const auto& contact = r.planned.receipt.buyer_contact;
                       if (contact.empty())
                           throw ApiError(422, "no_contact", "the receipt has no buyer phone or e-mail (1008)");
                       const auto channel = notify::channel_for(contact);
                       const bool email = channel == notify::Channel::kEmail;
                       const auto& opts = service.options();
                       if ((email && !opts.email_enabled) || (!email && !opts.sms_enabled))
                           throw ApiError(422, "channel_not_configured",
                                          email ? "no SMTP server is configured" : "no SMS gateway is configured");
                       service.ledger().outbox_enqueue(notify::outbox_kind(channel), id,
                                                       json::serialize(json::object{{"to", contact}}));
                       if (opts.on_outbox) opts.on_outbox();
                       return json_response(202, json::object{{"status", "queued"}});
                   });
               });
    router.add("GET", "/v1/receipts", "Receipts by state, register, order (couriers: their own)", field,
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       ledger::ReceiptQuery q;
                       if (auto it = req.query.find("state"); it != req.query.end()) {
                           q.state = ledger::parse_receipt_state(it->second);
                           if (!q.state) throw ApiError(400, "invalid_field", "unknown receipt state", "state");
                       }
                       if (auto it = req.query.find("register"); it != req.query.end()) q.register_id = it->second;
                       if (auto it = req.query.find("order"); it != req.query.end()) q.order = it->second;
                       // from / to: Unix seconds (created ≥ from, created < to).
                       for (const char* key : {"from", "to"}) {
                           auto it = req.query.find(key);
                           if (it == req.query.end()) continue;
                           std::int64_t seconds = 0;
                           try {
                               std::size_t used = 0;
                               seconds = std::stoll(it->second, &used);
                               if (used != it->second.size()) throw std::invalid_argument(key);
                           } catch (const std::exception&) {
                               throw ApiError(400, "invalid_field", std::string(key) + " is Unix seconds", key);
                           }
                           const auto t = Clock::time_point{std::chrono::seconds(seconds)};
                           (std::string_view(key) == "from" ? q.from : q.to) = t;
                       }
                       const auto& who = principal_of(req);
                       if (who.role == Role::Courier) q.created_by = who.name;
                       const auto page = read_page(req);
                       q.newest_first = page.newest_first;
                       q.after_id = page.after;
                       const auto scope = scope_of(service, req);
                       // Keyset paging over the ids the caller may see: rows out of the token's reach
                       // are skipped, so a page is read in chunks until it is full or the ledger ends.
                       json::array out;
                       bool more = false;
                       ledger::ReceiptId last = 0;
                       q.limit = page.limit + 1;  // one more: whether there is a next page
                       for (bool end = false; !end && !more;) {
                           const auto chunk = service.ledger().receipts(q);
                           end = chunk.size() < q.limit;
                           for (const auto& r : chunk) {
                               q.after_id = r.id;
                               if (!scope.receipt(r)) continue;
                               if (out.size() == page.limit) {
                                   more = true;
                                   break;
                               }
                               out.push_back(record_to_json(r));
                               last = r.id;
                           }
                       }
                       json::object body{{"receipts", std::move(out)}};
                       if (more) body["next"] = receipts_cursor(last, page.newest_first);
                       return json_response(200, body);
                   });
               });
    router.add("GET", "/v1/customers/{id}", "A customer's advance balance and its history", office,
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto& id = req.params.at("id");
                       check_customer_reach(service, req, id);
                       const auto scope = scope_of(service, req);
                       const auto view = service.ledger().customer_view(id);
                       // A bound token sees what the entities in its reach hold and did for the
                       // customer: their advance balances and their history (authz.hpp).
                       fiscal::Kopecks balance;
                       json::array advances;  // each legal entity's: one entity never offsets another's
                       for (const auto& [inn, amount] : view.advance_by_entity)
                           if (scope.entity(inn)) {
                               balance += amount;
                               advances.push_back(json::object{{"entity_inn", inn}, {"balance", amount.value()}});
                           }
                       json::array history;
                       for (const auto& e : view.history)
                           if (scope.entity(e.entity_inn))
                               history.push_back(json::object{{"receipt", e.receipt},
                                                              {"account", static_cast<int>(e.account)},
                                                              {"owner", e.owner},
                                                              {"entity_inn", e.entity_inn},
                                                              {"delta", e.delta.value()},
                                                              {"at", iso_time(e.at)}});
                       return json_response(200, json::object{{"id", view.facts.id},
                                                              {"advance_balance", balance.value()},
                                                              {"advances", std::move(advances)},
                                                              {"history", std::move(history)}});
                   });
               });

    router.add("GET", "/v1/audit", "The audit log, newest first (?limit=N, at most 1000)", {"admin"},
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       if (!scope_of(service, req).audit())
                           throw ApiError(404, "not_found", "the audit log is for tokens without bindings");
                       std::size_t limit = 100;
                       if (auto it = req.query.find("limit"); it != req.query.end()) {
                           try {
                               limit = std::clamp<std::size_t>(std::stoul(it->second), 1, 1000);
                           } catch (const std::exception&) {
                               throw ApiError(400, "invalid_field", "limit must be a number", "limit");
                           }
                       }
                       json::array out;
                       for (const auto& a : service.ledger().audit_log(limit))
                           out.push_back(json::object{{"id", a.id},
                                                      {"at", iso_time(a.at)},
                                                      {"actor", a.actor},
                                                      {"action", a.action},
                                                      {"subject", a.subject},
                                                      {"address", a.address},
                                                      {"detail", a.detail}});
                       return json_response(200, json::object{{"audit", std::move(out)}});
                   });
               });

    // ---- registers -------------------------------------------------------------------------------
    router.add("GET", "/v1/registers", "Registers with shift, FN, OFD backlog, paper and queue depth", field,
               [&service](HttpRequest& req) {
                   const auto scope = scope_of(service, req);
                   json::array out;
                   for (auto* w : service.pool().workers())
                       if (scope.register_id(w->register_id()))
                           out.push_back(register_to_json(*w, service.pool().entity_of(w->register_id())));
                   return json_response(200, json::object{{"registers", std::move(out)}});
               });
    router.add("GET", "/v1/registers/{id}", "One register's state", field, [&service](HttpRequest& req) {
        return guarded([&] {
            auto& w = register_for(service, req);
            return json_response(200, register_to_json(w, service.pool().entity_of(w.register_id())));
        });
    });
    router.add("POST", "/v1/registers/{id}/shift/open", "Open a shift", office,
               device_route(service, &drivers::RegisterWorker::open_shift));
    router.add("POST", "/v1/registers/{id}/shift/close", "Close the shift (Z report)", office,
               device_route(service, &drivers::RegisterWorker::close_shift));
    router.add("POST", "/v1/registers/{id}/x-report", "Print an X report", office,
               device_route(service, &drivers::RegisterWorker::x_report));
    router.add("POST", "/v1/registers/{id}/resume",
               "After the operator loaded paper (closed the cover, ...): continue printing and the register's queue",
               office, device_route(service, &drivers::RegisterWorker::resume));
}

}  // namespace kassa::api
