#include "api/handlers/office.hpp"

#include <boost/json.hpp>

#include "api/auth.hpp"
#include "api/errors.hpp"
#include "api/handlers/common.hpp"
#include "api/json_io.hpp"
#include "api/operations.hpp"
#include "api/service.hpp"
#include "drivers/worker/worker.hpp"

namespace kassa::api {

namespace json = boost::json;

namespace {

json::object operation_to_json(const std::string& key, const ledger::OperationRecord& r, bool replayed) {
    json::object out{{"idempotency_key", key},
                     {"kind", r.kind},
                     {"register", r.register_id},
                     {"state", r.state},
                     {"replayed", replayed}};
    if (r.kind == "cash_in" || r.kind == "cash_out") {
        out["amount"] = r.amount.value();
        out["reason"] = r.reason;
    }
    if (r.kind == "copy") out["receipt"] = r.receipt;
    if (r.document_number != 0) out["document_number"] = r.document_number;
    if (!r.error.empty()) out["error"] = r.error;
    return out;
}

// The answer of an operation: 200 done, 202 still running (a replay while it runs), else the error
// with the record as details.
HttpResponse operation_answer(const std::string& key, const ledger::OperationRecord& r, bool replayed) {
    const auto body = operation_to_json(key, r, replayed);
    const auto outcome = operation_outcome(r);
    if (outcome.code.empty()) {
        auto res = json_response(outcome.status, body);
        res.audited = !replayed;  // its audit row went in with the operation; a replay's goes in now
        return res;
    }
    const auto colon = r.error.find(": ");
    const auto message = colon == std::string::npos ? r.error : r.error.substr(colon + 2);
    auto res = error_response(outcome.status, outcome.code, message, json::serialize(body));
    res.audited = !replayed;
    return res;
}

std::string key_of(const HttpRequest& req) {
    const auto key = req.header("idempotency-key");
    if (key.empty())
        throw ApiError(400, "idempotency_key_required",
                       "an Idempotency-Key header is required for anything the register prints");
    if (key.size() > 128) throw ApiError(400, "invalid_field", "Idempotency-Key is longer than 128", "key");
    return key;
}

// The ledger key of a /v1 operation: its own namespace, so that it never meets a receipt's key; the
// hash holds the caller, so another token's same key is idempotency_conflict.
std::string ledger_key(const std::string& key) { return "op:v1:" + key; }
std::string request_hash(const HttpRequest& req) {
    return sha256_hex(principal_of(req).name + "\n" + req.method + " " + req.path + "\n" + req.body);
}

// {amount (kopecks > 0), reason (required, ≤ 256 bytes), cashier (optional)}; strict like every body.
ledger::OperationRecord read_cash(const json::object& body, const std::string& kind) {
    for (const auto& [k, v] : body)
        if (k != "amount" && k != "reason" && k != "cashier")
            throw ApiError(400, "unknown_field", std::string(k) + " is not a field of a cash operation",
                           std::string(k));
    ledger::OperationRecord r;
    r.kind = kind;
    const auto* amount = body.if_contains("amount");
    if (!amount || amount->is_null()) throw ApiError(400, "missing_field", "amount is required", "amount");
    if (amount->is_double())
        throw ApiError(400, "invalid_field", "amount is an integer number of kopecks, not a fraction", "amount");
    if (!amount->is_int64() || amount->as_int64() <= 0 || amount->as_int64() > 9'999'999'999)
        throw ApiError(422, "invalid_money", "amount must be 1 .. 9 999 999 999 kopecks", "amount");
    r.amount = fiscal::Kopecks{amount->as_int64()};
    const auto text = [&](const char* key, std::size_t max) -> std::string {
        const auto* v = body.if_contains(key);
        if (!v || v->is_null()) return {};
        if (!v->is_string()) throw ApiError(400, "invalid_field", std::string(key) + " must be a string", key);
        if (v->as_string().size() > max)
            throw ApiError(400, "invalid_field", std::string(key) + " is longer than " + std::to_string(max), key);
        return std::string(v->as_string());
    };
    r.reason = text("reason", 256);
    if (r.reason.empty()) throw ApiError(400, "missing_field", "reason is required (why the cash moves)", "reason");
    r.cashier = text("cashier", 64);
    return r;
}

Handler cash_route(Service& service, std::string kind) {
    return [&service, kind](HttpRequest& req) {
        return guarded([&] {
            const auto key = key_of(req);
            auto record = read_cash(parse_body(req), kind);
            const auto& id = req.params.at("id");
            auto* worker = service.pool().find(id);
            if (!worker || !scope_of(service, req).register_id(id))
                throw ApiError(404, "not_found", "register '" + id + "' is not known");
            if (record.cashier.empty())
                if (const auto* ent = service.entity(service.pool().entity_of(id))) record.cashier = ent->cashier;
            run_operation(service, *worker, principal_of(req), ledger_key(key), request_hash(req), std::move(record),
                          req.remote,
                          [key, responder = req.responder](const ledger::OperationRecord& r, bool replayed) {
                              responder->send(operation_answer(key, r, replayed));
                          });
            return HttpResponse::later();
        });
    };
}

}  // namespace

void add_office_routes(Router& router, Service& service) {
    const std::vector<std::string> office{"cashier"};
    router.add("POST", "/v1/registers/{id}/cash-in", "Cash put into the drawer (внесение): {amount, reason}", office,
               cash_route(service, "cash_in"));
    router.add("POST", "/v1/registers/{id}/cash-out", "Cash taken out of the drawer (выемка): {amount, reason}", office,
               cash_route(service, "cash_out"));
    router.add("POST", "/v1/receipts/{id}/copy",
               "Print a copy of a confirmed receipt (only while it is its register's last document)", office,
               [&service](HttpRequest& req) {
                   return guarded([&] {
                       const auto key = key_of(req);
                       if (!req.body.empty() && parse_body(req).size() != 0)
                           throw ApiError(400, "unknown_field", "a copy takes no fields");
                       const auto id = receipt_id_of(req);
                       const auto r = visible_receipt(service, req, id);
                       if (r.state != ledger::ReceiptState::Confirmed || !r.fiscal)
                           throw ApiError(409, "receipt_not_confirmed", "the receipt is not fiscalised yet");
                       auto* worker = service.pool().find(r.register_id);
                       if (!worker) throw ApiError(409, "copy_not_possible", "its register is not configured any more");
                       ledger::OperationRecord record;
                       record.kind = "copy";
                       record.receipt = id;
                       run_operation(
                           service, *worker, principal_of(req), ledger_key(key), request_hash(req), std::move(record),
                           req.remote,
                           [key, responder = req.responder](const ledger::OperationRecord& op, bool replayed) {
                               responder->send(operation_answer(key, op, replayed));
                           });
                       return HttpResponse::later();
                   });
               });
}

}  // namespace kassa::api
