#include "api/handlers/views.hpp"

#include <boost/json.hpp>
#include <ctime>

#include "api/json_io.hpp"
#include "drivers/worker/worker.hpp"

namespace kassa::api {

namespace json = boost::json;

std::string iso_time(Clock::time_point t) {
    const std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

json::object record_to_json(const ledger::ReceiptRecord& r) {
    json::array orders;
    for (const auto& o : r.planned.orders) orders.emplace_back(o);
    json::object out{{"id", r.id},
                     {"state", ledger::to_string(r.state)},
                     {"register", r.register_id},
                     {"customer", r.planned.customer},
                     {"orders", std::move(orders)},
                     {"created", iso_time(r.created)},
                     {"updated", iso_time(r.updated)},
                     {"receipt", receipt_to_json(r.planned.receipt)}};
    if (r.fiscal) {
        out["fiscal"] = json::object{{"fd_number", r.fiscal->fd_number},
                                     {"fiscal_sign", r.fiscal->fiscal_sign},
                                     {"fn_number", r.fiscal->fn_number},
                                     {"shift", r.fiscal->shift},
                                     {"receipt_number", r.fiscal->receipt_number},
                                     {"time", iso_time(r.fiscal->time)},
                                     {"qr", r.fiscal->qr}};
    }
    if (!r.error.empty()) out["error"] = r.error;
    if (!r.card_reference.empty()) out["card_reference"] = r.card_reference;
    if (r.settled_at) out["settled_at"] = iso_time(*r.settled_at);
    if (!r.late.empty()) out["late"] = r.late;
    if (!r.late_confirmed_by.empty()) out["late_confirmed_by"] = r.late_confirmed_by;
    return out;
}

json::object record_with_deliveries(const ledger::Ledger& ledger, const ledger::ReceiptRecord& r) {
    auto out = record_to_json(r);
    json::array deliveries;
    for (const auto& m : ledger.outbox_for_receipt(r.id))
        deliveries.push_back(
            json::object{{"kind", m.kind}, {"state", m.state}, {"attempts", m.attempts}, {"last_error", m.last_error}});
    out["deliveries"] = std::move(deliveries);
    return out;
}

json::object register_to_json(const drivers::RegisterWorker& worker, const std::string& entity) {
    const auto snap = worker.snapshot();
    json::object out{{"id", snap.register_id},
                     {"entity_inn", entity},
                     {"state", drivers::worker_state_name(snap.state)},
                     {"queue_depth", snap.queue_depth}};
    if (!snap.detail.empty()) out["detail"] = snap.detail;
    json::array warnings;
    for (const auto& w : snap.warnings) warnings.emplace_back(w);
    out["warnings"] = std::move(warnings);
    if (snap.status) {
        const auto& s = *snap.status;
        json::object st{
            {"shift_open", s.shift_open}, {"shift_number", s.shift_number},     {"shift_expired", s.shift_expired},
            {"fn_number", s.fn_number},   {"last_fd_number", s.last_fd_number}, {"ofd_unsent", s.ofd_unsent},
            {"paper_ok", s.paper_ok},     {"receipt_open", s.receipt_open}};
        if (s.shift_opened_at) st["shift_opened_at"] = iso_time(*s.shift_opened_at);
        if (s.fn_expiry) st["fn_expiry"] = iso_time(*s.fn_expiry);
        if (s.ofd_oldest_unsent) st["ofd_oldest_unsent"] = iso_time(*s.ofd_oldest_unsent);
        out["device"] = std::move(st);
    }
    return out;
}

}  // namespace kassa::api
