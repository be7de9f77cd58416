#include "api/handlers/tokens.hpp"

#include <spdlog/logger.h>
#include <boost/json.hpp>

#include <algorithm>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/handlers/common.hpp"
#include "api/handlers/views.hpp"
#include "api/service.hpp"
#include "common/log.hpp"
#include "qr/render.hpp"

namespace kassa::api {

namespace json = boost::json;

namespace {

json::array to_array(const std::vector<std::string>& ids) {
    json::array out;
    for (const auto& id : ids) out.emplace_back(id);
    return out;
}

std::string joined(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
    return out.empty() ? "any" : out;
}

json::object token_to_json(const ledger::TokenRecord& t) {
    json::object out{{"id", t.id},
                     {"name", t.name},
                     {"role", t.role},
                     {"entities", to_array(t.entities)},
                     {"registers", to_array(t.registers)},
                     {"created", iso_time(t.created)},
                     {"created_by", t.created_by},
                     {"revoked", t.revoked ? json::value(iso_time(*t.revoked)) : json::value(nullptr)}};
    return out;
}

int rank(Role role) {
    switch (role) {
        case Role::Admin:
            return 2;
        case Role::Cashier:
            return 1;
        case Role::Courier:
            return 0;
    }
    return 0;
}

// May `scope`'s caller make, see and revoke a token of `role` bound to `entities` and `registers`?
// Admins manage every role, cashiers only couriers; and a bound caller only tokens that reach no
// further than it does: bound as well, to registers when it is, each entity and register in reach.
bool manages(const Scope& scope, Role role, const std::vector<std::string>& entities,
             const std::vector<std::string>& registers) {
    const auto& who = scope.principal();
    if (who.role != Role::Admin && (who.role != Role::Cashier || role != Role::Courier)) return false;
    if (rank(role) > rank(who.role)) return false;
    if (scope.unrestricted()) return true;
    if (entities.empty() && registers.empty()) return false;
    if (!who.registers.empty() && registers.empty()) return false;
    return std::ranges::all_of(entities, [&](const std::string& inn) { return scope.entity(inn); }) &&
           std::ranges::all_of(registers, [&](const std::string& id) { return scope.register_id(id); });
}

bool manages(const Scope& scope, const ledger::TokenRecord& t) {
    const auto role = parse_role(t.role);
    return role && manages(scope, *role, t.entities, t.registers);
}

// Where the pages are: what the caller named, else this request's Host.
std::string base_of(const HttpRequest& req, const std::string& named, bool tls) {
    if (!named.empty()) return named;
    auto host = req.header("host");
    if (host.empty() || std::ranges::any_of(host, [](unsigned char c) {
            return c <= 0x20 || c >= 0x7F || c == '/' || c == '#' || c == '?' || c == '@';
        }))
        host = "127.0.0.1";
    return std::string(tls ? "https://" : "http://") + host;
}

ledger::AuditRecord audit_of(const HttpRequest& req, std::string action, std::string detail) {
    const auto& who = principal_of(req);
    return ledger::AuditRecord{.actor = who.name + " (" + std::string(role_name(who.role)) + ")",
                               .action = std::move(action),
                               .subject = {},
                               .address = req.remote,
                               .detail = std::move(detail)};
}

}  // namespace

void add_token_routes(Router& router, Service& service, TokenStore& tokens, bool tls) {
    const std::vector<std::string> managers{"admin", "cashier"};
    router.add(
        "POST", "/v1/tokens",
        "Issue a token (admin: any role; cashier: couriers), shown once with its login link and QR code", managers,
        [&service, &tokens, tls](HttpRequest& req) {
            return guarded([&] {
                const auto body = read_token_request(parse_body(req));
                const auto role = parse_role(body.role);
                if (!role) throw ApiError(400, "invalid_field", "role must be admin, cashier or courier", "role");
                for (const auto& inn : body.entities)
                    if (!service.entity(inn))
                        throw ApiError(422, "unknown_entity", "legal entity " + inn + " is not configured", "entities");
                for (const auto& id : body.registers)
                    if (!service.pool().find(id))
                        throw ApiError(422, "unknown_register", "register '" + id + "' is not configured", "registers");
                const auto scope = scope_of(service, req);
                if (!manages(scope, *role, body.entities, body.registers))
                    throw ApiError(403, "bindings_too_wide",
                                   "this token may not issue a " + body.role +
                                       " token with these bindings: a token never reaches further than its maker");

                const auto secret = random_token();  // 256 random bits
                const auto digest = sha256_hex(secret);
                const auto record = service.ledger().create_token(
                    ledger::TokenRecord{.sha256 = digest,
                                        .name = body.name,
                                        .role = body.role,
                                        .entities = body.entities,
                                        .registers = body.registers,
                                        .created_by = principal_of(req).name},
                    audit_of(req, "token.create",
                             "name=" + body.name + " role=" + body.role + " entities=" + joined(body.entities) +
                                 " registers=" + joined(body.registers)));
                if (auto added = tokens.add_issued(digest, Principal{.name = record.name,
                                                                     .role = *role,
                                                                     .registers = record.registers,
                                                                     .entities = record.entities,
                                                                     .token_sha256 = digest,
                                                                     .token_id = record.id});
                    !added)
                    throw ApiError(500, "token_failed", added.error().message);

                // The pages keep a token from the link's fragment, which never reaches a server or a
                // log (web/src/api/token.ts), and drop it from the address bar.
                const auto link = base_of(req, body.base_url, tls) +
                                  (*role == Role::Courier ? "/courier/#token=" : "/office/#token=") + secret;
                auto out = token_to_json(record);
                out["token"] = secret;
                out["link"] = link;
                if (auto matrix = qr::encode(link, qr::EcLevel::kM)) {
                    if (auto svg = qr::render_svg(*matrix, qr::RenderOptions{.module_size = 6})) out["qr_svg"] = *svg;
                    out["qr_text"] = qr::render_text(*matrix);
                }
                auto res = json_response(201, out);
                res.headers["Cache-Control"] = "no-store";
                res.headers["Location"] = "/v1/tokens/" + std::to_string(record.id);
                res.audited = true;  // token.create, written with the token
                return res;
            });
        });
    router.add("GET", "/v1/tokens", "Issued tokens the caller manages (never the token itself)", managers,
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto scope = scope_of(service, req);
                       const bool all = req.query.contains("revoked") && req.query.at("revoked") != "false";
                       json::array out;
                       for (const auto& t : service.ledger().tokens())
                           if (manages(scope, t) && (all || !t.revoked)) out.push_back(token_to_json(t));
                       return json_response(200, json::object{{"tokens", std::move(out)}});
                   });
               });
    router.add("DELETE", "/v1/tokens/{id}",
               "Revoke an issued token: refused from now on, its live event streams end at once", managers,
               [&service, &tokens](HttpRequest& req) {
                   return guarded([&] {
                       const auto& text = req.params.at("id");
                       std::int64_t id = 0;
                       try {
                           std::size_t used = 0;
                           id = std::stoll(text, &used);
                           if (used != text.size()) id = 0;
                       } catch (const std::exception&) {
                           id = 0;
                       }
                       const auto found = id > 0 ? service.ledger().token(id) : std::nullopt;
                       if (!found || !manages(scope_of(service, req), *found))
                           throw ApiError(404, "not_found", "no token " + text);
                       const auto revoked = service.ledger().revoke_token(
                           id, audit_of(req, "token.revoke", "name=" + found->name + " role=" + found->role));
                       tokens.revoke(found->sha256);
                       service.events().revoke(found->sha256);
                       auto res = json_response(200, token_to_json(*revoked));
                       res.audited = true;
                       return res;
                   });
               });
}

void add_event_routes(Router& router, Service& service) {
    router.add(
        "GET", "/v1/events",
        "Live receipt and register state as server-sent events (text/event-stream; Last-Event-ID resumes)",
        [&service](HttpRequest& req) {
            return guarded([&] {
                const auto& who = principal_of(req);
                auto slot = service.events().reserve(who.token_sha256);
                if (!slot) {
                    auto res = error_response(429, "too_many_streams",
                                              "this token has as many live event streams open as it may; close one");
                    res.headers["Retry-After"] = "5";
                    return res;
                }
                // The stream keeps its own copy of who asked: the filter runs long after this request.
                auto principal = req.principal;
                std::vector<std::string> registers;
                for (auto* w : service.pool().workers()) registers.push_back(w->register_id());
                auto& pool = service.pool();
                auto scope = std::make_shared<Scope>(*principal, registers,
                                                     [&pool](const std::string& id) { return pool.entity_of(id); });
                EventHub::Filter filter = [principal, scope](const LiveEvent& e) {
                    if (e.type == "register") return scope->register_id(e.register_id);
                    ledger::ReceiptRecord r;
                    r.register_id = e.register_id;
                    r.created_by = e.created_by;
                    return scope->receipt(r);
                };
                auto last = req.header("last-event-id");
                if (last.empty()) last = req.query.contains("last_event_id") ? req.query.at("last_event_id") : "";
                HttpResponse res;
                res.content_type = "text/event-stream; charset=utf-8";
                res.headers["Cache-Control"] = "no-store";
                res.headers["X-Accel-Buffering"] = "no";
                // Couriers follow their receipts; the office also the registers.
                const bool with_registers = who.role != Role::Courier;
                res.stream = [&service, slot = std::move(slot), token = who.token_sha256, filter = std::move(filter),
                              last, with_registers](std::shared_ptr<StreamSink> sink) mutable {
                    service.events().attach(std::move(sink), std::move(slot), token, std::move(filter), last,
                                            with_registers);
                };
                return res;
            });
        });
}

}  // namespace kassa::api
