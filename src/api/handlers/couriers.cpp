#include "api/handlers/couriers.hpp"

#include <charconv>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/handlers/common.hpp"
#include "api/service.hpp"

namespace kassa::api {

namespace json = boost::json;

namespace {

json::object handover_to_json(const ledger::Handover& h) {
    json::object out{{"id", h.id},
                     {"courier", h.courier},
                     {"entity_inn", h.entity_inn},
                     {"amount", h.amount.value()},
                     {"state", h.confirmed ? "confirmed" : "pending"},
                     {"declared", iso_time(h.declared)}};
    if (h.confirmed) out["confirmed_by"] = h.confirmed_by;
    if (h.confirmed_at) out["confirmed"] = iso_time(*h.confirmed_at);
    return out;
}

ledger::AuditRecord audit_of(const HttpRequest& req, std::string action, std::string subject, std::string detail) {
    const auto& who = principal_of(req);
    return ledger::AuditRecord{.actor = who.name + " (" + std::string(role_name(who.role)) + ")",
                               .action = std::move(action),
                               .subject = std::move(subject),
                               .address = req.remote,
                               .detail = std::move(detail)};
}

std::int64_t handover_id_of(const HttpRequest& req) {
    const auto& text = req.params.at("id");
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc{} || end != text.data() + text.size() || id <= 0)
        throw ApiError(404, "not_found", "no handover " + text);
    return id;
}

}  // namespace

void add_courier_routes(Router& router, Service& service) {
    router.add("GET", "/v1/couriers/me/cash",
               "The cash the calling courier holds per legal entity: taken, refunded, handed over, pending",
               {"courier"}, [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto scope = scope_of(service, req);
                       json::array out;
                       for (const auto& c : service.ledger().courier_cash(principal_of(req).name)) {
                           if (!scope.entity(c.entity_inn)) continue;
                           out.push_back(json::object{{"entity_inn", c.entity_inn},
                                                      {"taken", c.taken.value()},
                                                      {"refunded", c.refunded.value()},
                                                      {"handed_over", c.handed_over.value()},
                                                      {"pending", c.pending.value()},
                                                      {"held", c.held().value()}});
                       }
                       return json_response(200, json::object{{"cash", std::move(out)}});
                   });
               });

    router.add("POST", "/v1/couriers/me/handovers",
               "The calling courier declares cash handed to the office (all that is held when no amount)", {"courier"},
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto body = parse_body(req);
                       std::string entity_inn;
                       std::optional<fiscal::Kopecks> amount;
                       for (const auto& [key, value] : body) {
                           if (key == "entity_inn") {
                               if (!value.is_string() || value.as_string().size() > 12)
                                   throw ApiError(400, "invalid_field", "entity_inn must be an INN", "entity_inn");
                               entity_inn = value.as_string();
                           } else if (key == "amount") {
                               if (!value.is_int64() || value.as_int64() <= 0 || value.as_int64() > 9'999'999'999)
                                   throw ApiError(400, "invalid_field", "amount is a positive whole number of kopecks",
                                                  "amount");
                               amount = fiscal::Kopecks{value.as_int64()};
                           } else {
                               throw ApiError(400, "unknown_field", std::string(key) + " is not a known field",
                                              std::string(key));
                           }
                       }
                       const auto& who = principal_of(req);
                       const auto scope = scope_of(service, req);
                       if (entity_inn.empty()) {
                           // The one entity whose cash the courier still has to declare.
                           std::vector<std::string> holding;
                           for (const auto& c : service.ledger().courier_cash(who.name))
                               if (scope.entity(c.entity_inn) && (c.held() - c.pending).is_positive())
                                   holding.push_back(c.entity_inn);
                           if (holding.size() > 1)
                               throw ApiError(422, "entity_required",
                                              "cash of several legal entities is held: name one (entity_inn)",
                                              "entity_inn");
                           if (holding.empty())
                               throw ApiError(422, ledger::errc::kNothingToHandOver, "no cash is held to hand over");
                           entity_inn = holding.front();
                       }
                       if (!scope.entity(entity_inn))
                           throw ApiError(403, "forbidden", "this token may not work for legal entity " + entity_inn);
                       const auto h = service.ledger().declare_handover(
                           who.name, entity_inn, amount, audit_of(req, "handover.declare", "", "entity " + entity_inn));
                       auto res = json_response(201, handover_to_json(h));
                       res.headers["Location"] = "/v1/handovers/" + std::to_string(h.id);
                       res.audited = true;  // its audit row went in with the declaration
                       return res;
                   });
               });

    router.add("GET", "/v1/handovers", "Couriers' cash handovers (?state=pending|all, default pending)", {"cashier"},
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       bool pending_only = true;
                       if (auto it = req.query.find("state"); it != req.query.end()) {
                           if (it->second == "all")
                               pending_only = false;
                           else if (it->second != "pending")
                               throw ApiError(400, "invalid_field", "state is pending or all", "state");
                       }
                       std::optional<std::string> courier;
                       if (auto it = req.query.find("courier"); it != req.query.end()) courier = it->second;
                       const auto scope = scope_of(service, req);
                       json::array out;
                       for (const auto& h : service.ledger().handovers(pending_only, courier))
                           if (scope.handover(h)) out.push_back(handover_to_json(h));
                       return json_response(200, json::object{{"handovers", std::move(out)}});
                   });
               });

    router.add("POST", "/v1/handovers/{id}/confirm", "A cashier confirms a courier's cash arrived", {"cashier"},
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto id = handover_id_of(req);
                       const auto h = service.ledger().handover(id);
                       if (!h || !scope_of(service, req).handover(*h))
                           throw ApiError(404, "not_found", "no handover " + std::to_string(id));
                       const auto done = service.ledger().confirm_handover(
                           id, principal_of(req).name,
                           audit_of(req, "handover.confirm", "handover " + std::to_string(id),
                                    h->courier + " " + h->amount.to_roubles_string() + " of entity " + h->entity_inn));
                       auto res = json_response(200, handover_to_json(done));
                       res.audited = true;
                       return res;
                   });
               });

    // ---- late settlements ------------------------------------------------------------------------
    router.add("GET", "/v1/late-settlements",
               "Receipts printed later than the settlement they record (?state=open|all, default open)", {"cashier"},
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       bool open_only = true;
                       if (auto it = req.query.find("state"); it != req.query.end()) {
                           if (it->second == "all")
                               open_only = false;
                           else if (it->second != "open")
                               throw ApiError(400, "invalid_field", "state is open or all", "state");
                       }
                       const auto scope = scope_of(service, req);
                       json::array out;
                       for (const auto& r : service.ledger().late_settlements(open_only))
                           if (scope.receipt(r)) out.push_back(record_to_json(r));
                       return json_response(200, json::object{{"receipts", std::move(out)}});
                   });
               });
    router.add("POST", "/v1/late-settlements/{id}/confirm",
               "The office has seen a late settlement that was printed as it was (policy list_for_office)", {"cashier"},
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto id = receipt_id_of(req);
                       const auto r = visible_receipt(service, req, id);
                       auto done = service.ledger().confirm_late_settlement(
                           id, principal_of(req).name,
                           audit_of(req, "late_settlement.confirm", "receipt " + std::to_string(id),
                                    "settled " + (r.settled_at ? iso_time(*r.settled_at) : std::string("?"))));
                       auto res = json_response(200, record_to_json(done));
                       res.audited = true;
                       return res;
                   });
               });
}

}  // namespace kassa::api
