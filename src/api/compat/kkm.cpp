#include "api/compat/kkm.hpp"

#include "api/compat/common.hpp"

#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "api/errors.hpp"
#include "api/handlers/common.hpp"
#include "api/json_io.hpp"
#include "api/operations.hpp"
#include "api/service.hpp"
#include "drivers/worker/worker.hpp"
#include "fiscal/vat.hpp"

namespace kassa::api::compat {

using namespace std::chrono_literals;

namespace {

// KKMServer's Tax: -1 none, 0, 10, 20, 22, 5, 7 and the calculated 110/120/122/105/107 (the code
// on the line follows from the payment method, as the planner does for Kassa's own receipts).
std::optional<fiscal::VatClass> vat_of_tax(std::int64_t tax) {
    switch (tax) {
        case -1:
            return fiscal::VatClass::None;
        case 0:
            return fiscal::VatClass::Vat0;
        case 5:
        case 105:
            return fiscal::VatClass::Vat5;
        case 7:
        case 107:
            return fiscal::VatClass::Vat7;
        case 10:
        case 110:
            return fiscal::VatClass::Vat10;
        case 20:
        case 120:
            return fiscal::VatClass::Vat20;
        case 22:
        case 122:
            return fiscal::VatClass::Vat22;
        default:
            return std::nullopt;
    }
}

// KKMServer's TaxVariant: 0 ОСН, 1 УСН доход, 2 УСН доход−расход, 3 ЕНВД, 4 ЕСХН, 5 Патент.
std::optional<fiscal::TaxSystem> tax_system_of(std::int64_t variant) {
    static constexpr fiscal::TaxSystem kSystems[] = {
        fiscal::TaxSystem::Osn,  fiscal::TaxSystem::UsnIncome, fiscal::TaxSystem::UsnIncomeMinusExpense,
        fiscal::TaxSystem::Envd, fiscal::TaxSystem::Eshn,      fiscal::TaxSystem::Patent};
    if (variant < 0 || variant > 5) return std::nullopt;
    return kSystems[variant];
}

}  // namespace

KkmCheck read_register_check(std::string_view text) {
    const auto body = parse_quoted(text);
    Fields f(body, "");
    KkmCheck out;
    out.inn = f.string("InnKkm", 12);
    out.num_device = static_cast<int>(f.integer("NumDevice", 0, 1000, 0));
    out.id_command = f.string("IdCommand", 40);
    out.timeout_s = static_cast<int>(f.integer("Timeout", 0, 3600, 60));
    if (!f.boolean("IsFiscalCheck", true))
        throw ApiError(422, "unsupported", "non-fiscal documents (IsFiscalCheck: false) are not printed by Kassa",
                       "IsFiscalCheck");
    auto& r = out.receipt;
    const auto type = f.integer("TypeCheck", 0, 13, 0);
    switch (type) {
        case 0:
        case 2:
            r.sign = fiscal::CalcSign::Income;
            break;
        case 1:
        case 3:
            r.sign = fiscal::CalcSign::IncomeReturn;
            break;
        case 10:
        case 12:
            r.sign = fiscal::CalcSign::Expense;
            break;
        case 11:
        case 13:
            r.sign = fiscal::CalcSign::ExpenseReturn;
            break;
        default:
            throw ApiError(422, "unsupported", "TypeCheck " + std::to_string(type) + " is not supported", "TypeCheck");
    }
    if (type == 2 || type == 3 || type == 12 || type == 13) {
        fiscal::Correction c;
        c.type = static_cast<std::uint8_t>(f.integer("CorrectionType", 0, 1, 0));
        c.date_unix = f.day("CorrectionBaseDate");
        if (c.type == 1) c.order_number = f.string("CorrectionBaseNumber", 64);
        r.correction = c;
    }
    if (const auto tv = f.string("TaxVariant", 2); !tv.empty()) {
        const auto sys = tax_system_of(tv.size() == 1 && tv[0] >= '0' && tv[0] <= '9' ? tv[0] - '0' : -1);
        if (!sys) throw ApiError(400, "invalid_field", "TaxVariant must be 0..5", "TaxVariant");
        r.tax_system = *sys;
        out.tax_system_given = true;
    }
    r.cashier = f.string("CashierName", 256);
    r.cashier_inn = f.string("CashierVATIN", 12);
    r.buyer_contact = f.string("ClientAddress", 256);

    const auto* strings = f.find("CheckStrings");
    if (!strings || !strings->is_array())
        throw ApiError(400, "missing_field", "CheckStrings must be an array", "CheckStrings");
    fiscal::Kopecks total;
    for (std::size_t i = 0; i < strings->as_array().size(); ++i) {
        const auto& s = strings->as_array()[i];
        const auto path = "CheckStrings[" + std::to_string(i) + "]";
        if (!s.is_object()) throw ApiError(400, "invalid_field", path + " must be an object", path);
        const auto reg = s.as_object().find("Register");
        if (reg == s.as_object().end()) continue;  // PrintText, PrintImage, BarCode: not fiscal, not printed
        if (!reg->value().is_object())
            throw ApiError(400, "invalid_field", path + ".Register must be an object", path + ".Register");
        Fields l(reg->value().as_object(), path + ".Register");
        fiscal::ReceiptLine line;
        line.name = l.string("Name", 512);
        if (line.name.empty()) throw ApiError(400, "missing_field", l.field("Name") + " is required", l.field("Name"));
        line.quantity = l.quantity("Quantity");
        line.price = l.money("Price", true);
        if (l.find("Amount")) {
            line.amount = l.money("Amount");
        } else if (auto a = fiscal::line_amount(line.price, line.quantity)) {
            line.amount = *a;
        } else {
            throw ApiError(422, "invalid_line", path + ": Price × Quantity is too large", l.field("Amount"));
        }
        line.method = static_cast<fiscal::PaymentMethod>(l.integer("SignMethodCalculation", 1, 7, 4));
        line.subject = static_cast<std::uint8_t>(l.integer("SignCalculationObject", 1, 33, 1));
        line.unit = static_cast<std::uint8_t>(l.integer("MeasureOfQuantity", 0, 255, 0));
        const auto vat = vat_of_tax(l.integer("Tax", -1, 122, -1));
        if (!vat) throw ApiError(400, "invalid_field", l.field("Tax") + " is not a KKMServer VAT rate", l.field("Tax"));
        line.vat_class = *vat;
        line.vat_code = fiscal::vat_code_for(line.vat_class, line.method);
        line.vat = fiscal::vat_for_code(line.amount, line.vat_code);
        total += line.amount;
        r.lines.push_back(std::move(line));
    }
    r.total = total;
    r.payments = fiscal::Payments{.cash = f.money("Cash"),
                                  .electronic = f.money("ElectronicPayment"),
                                  .prepayment = f.money("AdvancePayment"),
                                  .credit = f.money("Credit"),
                                  .provision = f.money("CashProvision")};
    return out;
}

namespace {

// ---- answers -----------------------------------------------------------------------------------

enum KkmStatus { kOk = 0, kRun = 1, kError = 2, kNotFound = 3, kAlreadyDone = 5 };

json::object answer(std::string_view command, const std::string& id, KkmStatus status, std::string error = {}) {
    return json::object{
        {"Command", command}, {"IdCommand", id}, {"Status", static_cast<int>(status)}, {"Error", std::move(error)}};
}

HttpResponse kkm_response(int http_status, const json::object& body) { return json_response(http_status, body); }

// A refusal in KKMServer's shape (Status 2, Error) with Kassa's machine-readable code beside it,
// under the HTTP status Kassa gives the same mistake.
HttpResponse kkm_error(std::string_view command, const std::string& id, int http_status, const std::string& code,
                       const std::string& message) {
    auto body = answer(command, id, kError, message);
    body["ErrorCode"] = code;
    return kkm_response(http_status, body);
}

HttpResponse kkm_error_from(std::string_view command, const std::string& id, std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const ApiError& e) {
        return kkm_error(command, id, e.status(), e.code(), e.what());
    } catch (const ledger::LedgerError& e) {
        const auto res = ledger_error(e);
        return kkm_error(command, id, res.status, e.code(), e.what());
    } catch (const std::exception& e) {
        return kkm_error(command, id, 500, "internal", e.what());
    }
}

// The answer to a RegisterCheck from its receipt as it stands.
json::object check_answer(const std::string& id, const ledger::ReceiptRecord& r, bool replayed) {
    KkmStatus status = kRun;
    std::string error;
    if (r.state == ledger::ReceiptState::Confirmed) status = kOk;
    if (r.state == ledger::ReceiptState::Failed) {
        status = kError;
        error = r.error;
    }
    auto out = answer("RegisterCheck", id, status, std::move(error));
    if (replayed && status != kError) {
        // KKMServer's "already done": the command is not run again; the first answer's data follows.
        out["Status"] = static_cast<int>(kAlreadyDone);
        out["Error"] = "Команда уже была выполнена";
    }
    out["ReceiptId"] = r.id;
    out["CheckNumber"] = r.fiscal ? static_cast<std::int64_t>(r.fiscal->fd_number) : 0;
    out["SessionNumber"] = r.fiscal ? r.fiscal->shift : 0;
    out["SessionCheckNumber"] = r.fiscal ? r.fiscal->receipt_number : 0;
    out["QRCode"] = r.fiscal ? r.fiscal->qr : std::string{};
    out["URL"] = "";
    out["FiscalSign"] = r.fiscal ? std::to_string(r.fiscal->fiscal_sign) : std::string{};
    out["FnNumber"] = r.fiscal ? r.fiscal->fn_number : std::string{};
    out["Amount"] = r.planned.receipt.total.to_roubles_string();
    return out;
}

std::string register_id_of(Service& service, const HttpRequest& req, const KkmCheck& check) {
    if (check.num_device == 0) return {};
    auto* w = register_of(service, req, check.inn, check.num_device);
    if (!w) throw ApiError(404, "unknown_register", "no device " + std::to_string(check.num_device), "NumDevice");
    return w->register_id();
}

std::string ledger_key(const Principal& who, const std::string& id) { return "kkm:" + who.name + ":" + id; }
std::string ledger_hash(const Principal& who, const std::string& id) {
    // Only the caller and IdCommand: the same IdCommand answers the first result whatever the body.
    return sha256_hex(who.name + "\nkkm IdCommand\n" + id);
}

// KKMServer runs a command again under an IdCommand whose last run ended in Error, and answers
// AlreadyDone otherwise (peer-apis.md b1). Kassa keeps every run in the ledger: run n > 1 under
// "<key>#n". Only a run proven not to have happened (a failed receipt: the device refused it; a
// failed register command) is followed by another; a receipt in doubt never is.
std::string attempt_key(const std::string& key, int n) { return n == 1 ? key : key + "#" + std::to_string(n); }

struct Attempt {
    int n = 0;  // the latest run (0: none)
    std::optional<ledger::ReceiptRecord> receipt;
    std::optional<ledger::OperationRecord> operation;
    bool failed() const {
        return (receipt && receipt->state == ledger::ReceiptState::Failed) ||
               (operation && operation->state == "failed");
    }
};

Attempt latest_attempt(Service& service, const Principal& who, const std::string& id) {
    Attempt a;
    const auto key = ledger_key(who, id);
    const auto hash = ledger_hash(who, id);
    for (int n = 1;; ++n) {
        const auto k = attempt_key(key, n);
        if (auto op = service.ledger().operation("op:" + k)) {
            a = Attempt{n, std::nullopt, std::move(op)};
            continue;
        }
        auto stored = service.ledger().find_idempotent(k, hash);
        if (!stored) return a;
        a = Attempt{n, stored->receipts.empty() ? std::nullopt : service.ledger().receipt(stored->receipts.front()),
                    std::nullopt};
    }
}

// KKMServer's answer to a register command from its record: SessionNumber, SessionState and
// CheckNumber from the status read after it (kept with the record, so a replay after a restart
// answers the same).
const std::map<std::string, std::string, std::less<>> kCommandOfKind{{"shift_open", "OpenShift"},
                                                                     {"shift_close", "CloseShift"},
                                                                     {"x_report", "XReport"},
                                                                     {"cash_in", "DepositingCash"},
                                                                     {"cash_out", "PaymentCash"}};

json::object operation_answer(const std::string& id, const ledger::OperationRecord& r, bool replayed) {
    const auto it = kCommandOfKind.find(r.kind);
    const std::string command = it == kCommandOfKind.end() ? r.kind : it->second;
    KkmStatus status = r.state == "done" ? kOk : (r.state == "failed" || r.state == "uncertain") ? kError : kRun;
    auto out = answer(command, id, status, status == kError ? r.error : std::string{});
    if (replayed && status != kError) {
        out["Status"] = static_cast<int>(kAlreadyDone);
        out["Error"] = "Команда уже была выполнена или выполняется в текущий момент";
    }
    boost::system::error_code ec;
    const auto st = json::parse(r.result, ec);
    if (!ec && st.is_object()) {
        const auto& o = st.as_object();
        const auto flag = [&](const char* k) { return o.contains(k) && o.at(k).is_bool() && o.at(k).as_bool(); };
        out["SessionNumber"] = o.contains("shift_number") ? o.at("shift_number") : json::value(0);
        out["SessionState"] = flag("shift_expired") ? 3 : flag("shift_open") ? 2 : 1;
        out["CheckNumber"] = o.contains("last_fd_number") ? o.at("last_fd_number") : json::value(0);
    }
    if (r.kind == "cash_in" || r.kind == "cash_out") out["Amount"] = r.amount.to_roubles_string();
    return out;
}

// Register commands of this process still running, by ledger key, with the answers waiting for
// them: a command repeated under its IdCommand with a Timeout waits for the first run to finish,
// as a RegisterCheck does. Shared by the routes; held only for a map update, never across I/O.
class Inflight {
  public:
    using Waiter = std::function<void(const ledger::OperationRecord&)>;

    // Calls `then` with the record once it is final: at once if the ledger has it final already.
    void when_final(Service& service, const std::string& key, Waiter then) {
        auto once = std::make_shared<Once>(std::move(then));
        {
            std::lock_guard lock(mutex_);
            waiting_.emplace(key, once);
        }
        // Registered before the ledger is read: a finish after the read fires it, one before is seen.
        auto r = service.ledger().operation(key);
        if (!r || r->state == "done" || r->state == "failed" || r->state == "uncertain") {
            drop(key, once);
            once->fire(r.value_or(ledger::OperationRecord{.state = "failed", .error = "operation_missing: not found"}));
        }
    }
    // The run under `key` is final: every waiter gets its record.
    void finished(const std::string& key, const ledger::OperationRecord& r) {
        std::vector<std::shared_ptr<Once>> fire;
        {
            std::lock_guard lock(mutex_);
            auto [from, to] = waiting_.equal_range(key);
            for (auto it = from; it != to; ++it) fire.push_back(it->second);
            waiting_.erase(from, to);
        }
        for (auto& w : fire) w->fire(r);
    }

  private:
    struct Once {
        explicit Once(Waiter w) : waiter(std::move(w)) {}
        void fire(const ledger::OperationRecord& r) {
            if (!fired.exchange(true)) waiter(r);
        }
        Waiter waiter;
        std::atomic<bool> fired{false};
    };
    void drop(const std::string& key, const std::shared_ptr<Once>& once) {
        std::lock_guard lock(mutex_);
        auto [from, to] = waiting_.equal_range(key);
        for (auto it = from; it != to; ++it)
            if (it->second == once) {
                waiting_.erase(it);
                return;
            }
    }
    std::mutex mutex_;
    std::multimap<std::string, std::shared_ptr<Once>> waiting_;
};

// Register commands (shifts, reports, cash in / out) as Kassa's register operations
// (api/operations.hpp): under IdCommand they are durable like receipts, across restarts; a run
// that failed is run again under the same IdCommand, as KKMServer does. Timeout ≤ 1 (KKMServer's
// asynchronous call): the answer leaves once the command is stored, with Status 1 (Run), before the
// register does it; GetRezult under the same IdCommand then gives the result. The same IdCommand
// repeated with a Timeout while the first run is still going waits for it.
HttpResponse register_command(Service& service, Inflight& inflight, HttpRequest& req, const json::object& body,
                              const std::string& command, ledger::OperationRecord record) {
    Fields f(body, "");
    const auto id = f.string("IdCommand", 40);
    const bool async = f.integer("Timeout", 0, 3600, 60) <= 1;
    const auto& who = principal_of(req);
    std::string key = "op:kkm:" + random_token();
    if (!id.empty()) {
        const auto last = latest_attempt(service, who, id);
        if (last.receipt)
            throw ApiError(409, "idempotency_conflict", "IdCommand " + id + " was used for a receipt", "IdCommand");
        key = "op:" + attempt_key(ledger_key(who, id), last.failed() ? last.n + 1 : std::max(last.n, 1));
    }
    auto* worker =
        register_of(service, req, f.string("InnKkm", 12), static_cast<int>(f.integer("NumDevice", 0, 1000, 0)));
    if (!worker) throw ApiError(404, "unknown_register", "no such device", "NumDevice");
    // The hash names the command: the same IdCommand for another command is idempotency_conflict.
    const auto hash = sha256_hex(who.name + "\nkkm " + command + "\n" + id);
    auto send = [id, responder = req.responder](const ledger::OperationRecord& r, bool replayed) {
        const auto outcome = operation_outcome(r);
        auto reply = operation_answer(id, r, replayed);
        if (!outcome.code.empty()) reply["ErrorCode"] = outcome.code;
        auto res = kkm_response(outcome.code.empty() ? 200 : outcome.status, reply);
        res.audited = !replayed;
        responder->send(std::move(res));
    };
    auto replay = std::make_shared<bool>(false);  // set synchronously by run_operation for a key seen before
    const auto planned = record;
    run_operation(service, *worker, who, key, hash, std::move(record), req.remote,
                  [&service, &inflight, key, async, send, replay](const ledger::OperationRecord& r, bool replayed) {
                      if (!replayed) {
                          inflight.finished(key, r);
                          if (!async) send(r, false);
                          return;
                      }
                      *replay = true;
                      const bool running = r.state == "planned" || r.state == "sending";
                      if (async || !running) return send(r, true);
                      inflight.when_final(service, key,
                                          [send](const ledger::OperationRecord& done) { send(done, true); });
                  });
    // Stored durably (begin_operation has returned) and queued: KKMServer's "in progress".
    if (async && !*replay) send(planned, false);
    return HttpResponse::later();
}

HttpResponse cash_command(Service& service, Inflight& inflight, HttpRequest& req, const json::object& body,
                          const std::string& command, bool in) {
    Fields f(body, "");
    ledger::OperationRecord r;
    r.kind = in ? "cash_in" : "cash_out";
    r.amount = f.money("Amount", true);
    if (!r.amount.is_positive()) throw ApiError(422, "invalid_money", "Amount must be positive", "Amount");
    r.cashier = f.string("CashierName", 256);
    r.reason = "KKMServer " + command;
    return register_command(service, inflight, req, body, command, std::move(r));
}

HttpResponse register_check(Service& service, HttpRequest& req) {
    auto check = read_register_check(req.body);
    const auto& who = principal_of(req);
    const bool keyed = !check.id_command.empty();
    std::string key = "kkm:" + random_token();
    std::string hash = ledger_hash(who, key);
    if (keyed) {
        const auto last = latest_attempt(service, who, check.id_command);
        if (last.operation)
            throw ApiError(409, "idempotency_conflict",
                           "IdCommand " + check.id_command + " was used for another command", "IdCommand");
        // A new run after a failed one; otherwise the latest run (the ledger answers it as a replay).
        key = attempt_key(ledger_key(who, check.id_command), last.failed() ? last.n + 1 : std::max(last.n, 1));
        hash = ledger_hash(who, check.id_command);
    }
    const auto* ent = service.entity(check.inn);
    if (!check.inn.empty() && !ent) throw ApiError(404, "unknown_entity", "no register of INN " + check.inn, "InnKkm");
    // NumDevice names a register, and so its legal entity.
    const auto register_id = register_id_of(service, req, check);
    if (!ent && !register_id.empty()) ent = service.entity(service.pool().entity_of(register_id));
    if (!ent && service.options().entities.size() == 1) ent = &service.options().entities.front();
    if (ent) {
        // A raw receipt carries its own context: the entity's defaults where the request names none.
        auto& r = check.receipt;
        if (!check.tax_system_given) r.tax_system = ent->tax_system;
        if (r.cashier.empty()) {
            r.cashier = ent->cashier;
            r.cashier_inn = ent->cashier_inn;
        }
        if (r.settlement_address.empty()) r.settlement_address = ent->settlement_address;
        if (r.settlement_place.empty()) r.settlement_place = ent->settlement_place;
    }
    EventRequest event;
    event.entity_inn = ent ? ent->inn : check.inn;
    event.register_id = register_id;
    event.context.tax_system = check.receipt.tax_system;
    event.tax_system_given = true;
    event.event = fiscal::RawReceiptEvent{std::move(check.receipt), {}, {}};
    const auto wait = check.timeout_s <= 1 ? 0ms : std::chrono::milliseconds(std::min(check.timeout_s, 60) * 1000);
    auto responder = req.responder;
    const auto id = check.id_command;
    service.submit(who, key, hash, std::move(event), "kkm.register_check", req.remote,
                   [&service, responder, wait, id](std::optional<Submitted> s, std::exception_ptr error) {
                       if (error) return responder->send(kkm_error_from("RegisterCheck", id, error));
                       responder->post([&service, responder, wait, id, s = std::move(*s)] {
                           auto reply = [&service, responder, id, s] {
                               responder->send_built([&service, id, s] {
                                   auto r = s.receipts.empty() ? std::nullopt : service.ledger().receipt(s.receipts[0]);
                                   if (!r) return kkm_error("RegisterCheck", id, 500, "internal", "receipt not found");
                                   auto res = kkm_response(200, check_answer(id, *r, s.replayed));
                                   res.audited = !s.replayed;
                                   return res;
                               });
                           };
                           if (wait > 0ms && !s.receipts.empty())
                               return service.when_settled(s.receipts, wait, [reply](bool) { reply(); });
                           reply();
                       });
                   });
    return HttpResponse::later();
}

HttpResponse get_result(Service& service, HttpRequest& req, const json::object& body) {
    Fields f(body, "");
    const auto id = f.string("IdCommand", 40);
    if (id.empty()) throw ApiError(400, "missing_field", "IdCommand is required", "IdCommand");
    auto out = answer("GetRezult", id, kOk);
    const auto last = latest_attempt(service, principal_of(req), id);
    if (last.receipt) {
        out["Rezult"] = check_answer(id, *last.receipt, false);
        return kkm_response(200, out);
    }
    if (last.operation) {
        out["Rezult"] = operation_answer(id, *last.operation, false);
        return kkm_response(200, out);
    }
    out["Status"] = static_cast<int>(kNotFound);
    out["Error"] = "Команда с таким IdCommand не найдена";
    return kkm_response(200, out);
}

// The register's facts as its device reports them now (a status read queued on its worker).
HttpResponse get_data_kkt(Service& service, HttpRequest& req, const json::object& body) {
    Fields f(body, "");
    const auto id = f.string("IdCommand", 40);
    auto* w = register_of(service, req, f.string("InnKkm", 12), static_cast<int>(f.integer("NumDevice", 0, 1000, 0)));
    if (!w) throw ApiError(404, "unknown_register", "no such device", "NumDevice");
    const auto inn = service.pool().entity_of(w->register_id());
    const auto* ent = service.entity(inn);
    json::object info{{"KktNumber", w->register_id()},
                      {"InnOrganization", inn},
                      {"NameOrganization", ent ? ent->name : std::string{}},
                      {"AddressSettle", ent ? ent->settlement_address : std::string{}}};
    auto status = std::make_shared<drivers::DeviceStatus>();
    w->run(status_reader(status), [id, info = std::move(info), status,
                                   responder = req.responder](const drivers::DeviceStatusResult& read) mutable {
        if (!read)
            return responder->send(kkm_error("GetDataKKT", id, 503,
                                             std::string(drivers::outcome_name(read.error().outcome)),
                                             read.error().to_string()));
        const auto& s = *status;
        auto out = answer("GetDataKKT", id, kOk);
        info["FN_Number"] = s.fn_number;
        info["SessionState"] = s.shift_expired ? 3 : s.shift_open ? 2 : 1;
        info["OFD_NumErrorDoc"] = s.ofd_unsent;
        info["PaperOver"] = !s.paper_ok;
        out["SessionNumber"] = s.shift_number;
        out["CheckNumber"] = static_cast<std::int64_t>(s.last_fd_number);
        out["Info"] = std::move(info);
        responder->send(kkm_response(200, out));
    });
    return HttpResponse::later();
}

// KKMServer's Tax code of a line (its VAT class; the calculated rates for prepayments and advances).
int tax_of(const fiscal::ReceiptLine& line) {
    const auto rate = fiscal::vat_rate_percent(line.vat_class);
    if (!rate) return -1;
    return *rate != 0 && fiscal::is_calculated_code(line.vat_code) ? 100 + *rate : *rate;
}

// A printed receipt by its fiscal document number (FiscalNumber) on the register; sums as
// decimal-ruble strings (exact). The ledger has no index by document number: the register's
// confirmed receipts are read page by page (newest first, keyset by id), so this is for occasional use.
std::optional<ledger::ReceiptRecord> find_by_fd(Service& service, const std::string& register_id, std::uint64_t fd) {
    ledger::ReceiptQuery q{.state = ledger::ReceiptState::Confirmed, .register_id = register_id, .newest_first = true};
    for (;;) {
        const auto page = service.ledger().receipts(q);
        for (const auto& r : page) {
            if (r.fiscal && r.fiscal->fd_number == fd) return r;
            q.after_id = r.id;
        }
        if (page.size() < q.limit) return std::nullopt;
    }
}

HttpResponse get_data_check(Service& service, HttpRequest& req, const json::object& body) {
    Fields f(body, "");
    const auto id = f.string("IdCommand", 40);
    const auto number = f.integer("FiscalNumber", 1, 0xFFFFFFFF, 0);
    if (number == 0) throw ApiError(400, "missing_field", "FiscalNumber is required", "FiscalNumber");
    auto* w = register_of(service, req, f.string("InnKkm", 12), static_cast<int>(f.integer("NumDevice", 0, 1000, 0)));
    if (!w) throw ApiError(404, "unknown_register", "no such device", "NumDevice");
    if (auto found = find_by_fd(service, w->register_id(), static_cast<std::uint64_t>(number));
        found && scope_of(service, req).receipt(*found)) {
        const auto& r = *found;
        auto out = check_answer(id, r, false);
        out["Command"] = "GetDataCheck";
        const auto& rc = r.planned.receipt;
        json::array strings;
        for (const auto& l : rc.lines)
            strings.push_back(
                json::object{{"Register", json::object{{"Name", l.name},
                                                       {"Quantity", l.quantity.to_string()},
                                                       {"Price", l.price.to_roubles_string()},
                                                       {"Amount", l.amount.to_roubles_string()},
                                                       {"Tax", tax_of(l)},
                                                       {"SignMethodCalculation", static_cast<int>(l.method)},
                                                       {"SignCalculationObject", l.subject}}}});
        static constexpr int kTypes[] = {0, 0, 1, 10, 11};  // by 1054
        int type = kTypes[static_cast<int>(rc.sign)];
        if (rc.is_correction()) type += 2;
        out["RegisterCheck"] = json::object{{"TypeCheck", type},
                                            {"CashierName", rc.cashier},
                                            {"ClientAddress", rc.buyer_contact},
                                            {"CheckStrings", std::move(strings)},
                                            {"Cash", rc.payments.cash.to_roubles_string()},
                                            {"ElectronicPayment", rc.payments.electronic.to_roubles_string()},
                                            {"AdvancePayment", rc.payments.prepayment.to_roubles_string()},
                                            {"Credit", rc.payments.credit.to_roubles_string()},
                                            {"CashProvision", rc.payments.provision.to_roubles_string()}};
        return kkm_response(200, out);
    }
    auto out = answer("GetDataCheck", id, kNotFound, "no receipt with FiscalNumber " + std::to_string(number));
    return kkm_response(200, out);
}

HttpResponse list_devices(Service& service, HttpRequest& req) {
    const auto scope = scope_of(service, req);
    json::array units;
    int n = 0;
    for (auto* w : service.pool().workers()) {
        if (!scope.register_id(w->register_id())) continue;
        const auto snap = w->snapshot();
        units.push_back(json::object{
            {"NumDevice", ++n},
            {"IdDevice", w->register_id()},
            {"INN", service.pool().entity_of(w->register_id())},
            {"OnOff", true},
            {"Active", snap.state == drivers::WorkerState::Idle || snap.state == drivers::WorkerState::Busy},
            {"State", std::string(drivers::worker_state_name(snap.state))}});
    }
    auto out = answer("List", "", kOk);
    out["ListUnit"] = std::move(units);
    return kkm_response(200, out);
}

}  // namespace

void add_kkm_routes(Router& router, Service& service) {
    auto inflight = std::make_shared<Inflight>();
    router.add("POST", "/Execute", "KKMServer-compatible command", {"cashier"}, [&service, inflight](HttpRequest& req) {
        std::string command;
        std::string id;
        try {
            const auto body = parse_quoted(req.body);
            Fields f(body, "");
            command = f.string("Command", 64);
            id = f.string("IdCommand", 40);
            auto device = [](const char* kind) {
                ledger::OperationRecord r;
                r.kind = kind;
                return r;
            };
            if (command == "RegisterCheck") return register_check(service, req);
            if (command == "GetRezult") return get_result(service, req, body);
            if (command == "OpenShift")
                return register_command(service, *inflight, req, body, command, device("shift_open"));
            if (command == "CloseShift" || command == "ZReport")
                return register_command(service, *inflight, req, body, command, device("shift_close"));
            if (command == "XReport")
                return register_command(service, *inflight, req, body, command, device("x_report"));
            if (command == "DepositingCash") return cash_command(service, *inflight, req, body, command, true);
            if (command == "PaymentCash") return cash_command(service, *inflight, req, body, command, false);
            if (command == "GetDataKKT") return get_data_kkt(service, req, body);
            if (command == "GetDataCheck") return get_data_check(service, req, body);
            if (command == "List") return list_devices(service, req);
            // OfdReport, marking, card-terminal, PrintDocument, OpenCashDrawer … (README "Switching").
            return kkm_error(
                command, id, 400, "unsupported_command",
                "Команда " + command + " не поддерживается (Kassa: command '" + command + "' is not supported)");
        } catch (const ApiError& e) {
            return kkm_error(command, id, e.status(), e.code(), e.what());
        } catch (const ledger::LedgerError& e) {
            return kkm_error(command, id, ledger_error(e).status, e.code(), e.what());
        }
    });
}

}  // namespace kassa::api::compat
