#include "api/operations.hpp"

#include <spdlog/logger.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>

#include "api/auth.hpp"
#include "api/service.hpp"
#include "common/log.hpp"
#include "drivers/worker/worker.hpp"

namespace kassa::api {

namespace {

namespace json = boost::json;
using drivers::DeviceError;
using drivers::DeviceStatusResult;
using drivers::FiscalDevice;
using drivers::Outcome;
using ledger::OperationRecord;

// A refusal's stable code goes into the record's error text before its message ("code: message"),
// so a replay after a restart answers the same code.
std::string coded(const std::string& code, const std::string& message) { return code + ": " + message; }

std::string code_of(const OperationRecord& r, const DeviceError& e) {
    if (e.reason == "ledger") return "ledger_error";
    if (e.reason == "not_enough_cash" && r.kind == "cash_out") return "insufficient_cash";
    if (e.reason == "no_document" && r.kind == "copy") return "copy_not_possible";
    switch (e.outcome) {
        case Outcome::Rejected:
            return "device_rejected";
        case Outcome::NeedsOperator:
            return "device_needs_operator";
        case Outcome::DeviceStopped:
            return "device_stopped";
        default:
            return "device_retry_later";
    }
}

// The register's status after the operation, kept with the record for the answers that report it
// (KKMServer's SessionNumber, ATOL's fiscalParams).
// Cash in / out also keep the drawer sum the register counts after it (kopecks), for ATOL's
// counters.cashSum; a register that cannot tell leaves it out.
std::string status_json(const drivers::DeviceStatus& s, std::optional<fiscal::Kopecks> cash_sum = std::nullopt) {
    json::object o{{"shift_number", s.shift_number},
                   {"shift_open", s.shift_open},
                   {"shift_expired", s.shift_expired},
                   {"last_fd_number", s.last_fd_number},
                   {"fn_number", s.fn_number}};
    if (cash_sum) o["cash_sum"] = cash_sum->value();
    return json::serialize(o);
}

// The device part of an operation, on the worker's thread with the device held: nothing else
// reaches the register meanwhile. Shift commands go through the worker's own methods instead.
drivers::DeviceResult<std::uint32_t> perform(FiscalDevice& dev, const OperationRecord& r, std::uint32_t copy_fd) {
    if (r.kind == "cash_in") return dev.cash_in(r.amount, r.cashier);
    if (r.kind == "cash_out") return dev.cash_out(r.amount, r.cashier);
    // copy: the device repeats only its last document; anything else would print the wrong one.
    auto st = dev.status();
    if (!st) return std::unexpected(st.error());
    if (st->last_fd_number != copy_fd) {
        DeviceError e{Outcome::Rejected,
                      -1,
                      {},
                      "the register can print a copy of its last document only (fiscal document " +
                          std::to_string(st->last_fd_number) + "); this receipt is document " + std::to_string(copy_fd),
                      false};
        e.reason = "no_document";
        return std::unexpected(std::move(e));
    }
    if (auto done = dev.repeat_document(); !done) return std::unexpected(done.error());
    return 0u;
}

struct Running {
    Service& service;
    drivers::RegisterWorker& worker;
    std::string key;
    OperationRecord record;
    std::uint32_t copy_fd = 0;
    OperationDone done;
    bool sent = false;  // `sending` is durable: the device may have heard of it

    void finish(const DeviceStatusResult& result) {
        if (result) {
            record.state = "done";
            record.error.clear();
        } else {
            const auto& e = result.error();
            // Never sent, or refused as a whole: it did not happen. Sent and the link broke: in doubt.
            record.state = sent && e.maybe_executed ? "uncertain" : "failed";
            record.error =
                coded(record.state == "uncertain" ? "operation_uncertain" : code_of(record, e), e.to_string());
        }
        try {
            service.ledger().update_operation(key, record);
        } catch (const std::exception& x) {
            log::get("api")->error("operation {} on {}: the ledger failed: {}", record.kind, record.register_id,
                                   x.what());
        }
        log::get("api")->info("{} on {}: {}{}", record.kind, record.register_id, record.state,
                              record.error.empty() ? "" : " (" + record.error + ")");
        done(record, false);
    }

    bool mark_sending() {
        record.state = "sending";
        try {
            service.ledger().update_operation(key, record);
            sent = true;
            return true;
        } catch (const std::exception& x) {
            log::get("api")->error("operation {}: cannot mark it sending: {}", key, x.what());
            return false;
        }
    }
};

// Not the device's fault: Rejected keeps the register's link and state as they are.
DeviceStatusResult ledger_refused() {
    DeviceError e{Outcome::Rejected, -1, {}, "the ledger failed: nothing was sent", false};
    e.reason = "ledger";
    return std::unexpected(std::move(e));
}

void after_status(const std::shared_ptr<Running>& run) {
    // The status read that follows a shift command, for the answers that report the shift.
    run->worker.run(
        [run](FiscalDevice& dev) -> DeviceStatusResult {
            if (auto st = dev.status()) run->record.result = status_json(*st);
            return {};
        },
        [run](const DeviceStatusResult&) { run->finish({}); });
}

void start(const std::shared_ptr<Running>& run) {
    auto& w = run->worker;
    const auto& kind = run->record.kind;
    if (kind == "shift_open" || kind == "shift_close" || kind == "x_report") {
        if (!run->mark_sending()) return run->finish(ledger_refused());
        auto then = [run](const DeviceStatusResult& r) {
            if (!r) return run->finish(r);
            after_status(run);
        };
        if (kind == "shift_open") return w.open_shift(then);
        if (kind == "shift_close") return w.close_shift(then);
        return w.x_report(then);
    }
    w.run(
        [run](FiscalDevice& dev) -> DeviceStatusResult {
            if (!run->mark_sending()) return ledger_refused();
            auto r = perform(dev, run->record, run->copy_fd);
            if (!r) return std::unexpected(r.error());
            run->record.document_number = *r;
            std::optional<fiscal::Kopecks> cash_sum;
            if (run->record.kind == "cash_in" || run->record.kind == "cash_out") {
                // Done already: a drawer sum that cannot be read is left out, not an error.
                if (auto sum = dev.cash_in_drawer())
                    cash_sum = *sum;
                else
                    log::get("api")->info("{} on {}: drawer sum not read: {}", run->record.kind,
                                          run->record.register_id, sum.error().to_string());
            }
            if (auto st = dev.status()) run->record.result = status_json(*st, cash_sum);
            return {};
        },
        [run](const DeviceStatusResult& r) { run->finish(r); });
}

}  // namespace

void run_operation(Service& service, drivers::RegisterWorker& worker, const Principal& who, const std::string& key,
                   const std::string& request_hash, OperationRecord record, const std::string& remote,
                   OperationDone done) {
    std::uint32_t copy_fd = 0;
    if (record.kind == "copy") {
        const auto r = service.ledger().receipt(record.receipt);
        copy_fd = r && r->fiscal ? static_cast<std::uint32_t>(r->fiscal->fd_number) : 0;
    }
    record.register_id = worker.register_id();
    record.created_by = who.name;
    std::string detail = "on " + record.register_id;
    if (record.amount.is_positive()) detail += ", " + record.amount.to_roubles_string() + " ₽";
    if (!record.reason.empty()) detail += ": " + record.reason;
    auto begun = service.ledger().begin_operation(
        key, request_hash, record,
        ledger::AuditRecord{.actor = who.name + " (" + std::string(role_name(who.role)) + ")",
                            .action = "register." + record.kind,
                            .subject = record.kind == "copy" ? std::to_string(record.receipt) : record.register_id,
                            .address = remote,
                            .detail = detail});
    if (begun.replayed) return done(begun.record, true);
    start(std::make_shared<Running>(
        Running{service, worker, key, std::move(begun.record), copy_fd, std::move(done), false}));
}

void recover_operations(Service& service) {
    auto& ledger = service.ledger();
    for (auto& [key, r] : ledger.unfinished_operations()) {
        const bool doubt = r.state == "sending";
        r.state = doubt ? "uncertain" : "failed";
        r.error = doubt ? coded("operation_uncertain",
                                "kassad stopped while the register ran it: check the tape and the drawer before "
                                "doing it again by hand")
                        : coded("not_sent", "kassad stopped before it reached the register; nothing was printed");
        try {
            ledger.update_operation(key, r);
            log::get("api")->warn("{} on {} left unfinished by a stop: {}", r.kind, r.register_id, r.state);
        } catch (const std::exception& x) {
            log::get("api")->error("operation {}: {}", key, x.what());
        }
    }
}

OperationOutcome operation_outcome(const OperationRecord& r) {
    if (r.state == "done") return {200, ""};
    if (r.state == "planned" || r.state == "sending") return {202, ""};
    const auto colon = r.error.find(": ");
    const std::string code = colon == std::string::npos ? "device_rejected" : r.error.substr(0, colon);
    if (code == "insufficient_cash" || code == "copy_not_possible" || code == "device_rejected") return {409, code};
    if (code == "ledger_error") return {500, code};
    return {503, code};
}

}  // namespace kassa::api
