#include "api/compat/atol_web.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>

#include "api/compat/common.hpp"
#include "api/handlers/common.hpp"
#include "api/json_io.hpp"
#include "api/operations.hpp"
#include "api/service.hpp"
#include "drivers/worker/worker.hpp"
#include "fiscal/validate.hpp"
#include "fiscal/vat.hpp"

namespace kassa::api::compat {

namespace {

struct Named {
    std::string_view name;
    int value;
};

template <std::size_t N>
int lookup(const Named (&table)[N], const Fields& f, std::string_view field, int fallback) {
    const auto text = f.string(field, 64);
    if (text.empty()) return fallback;
    for (const auto& n : table)
        if (n.name == text) return n.value;
    throw ApiError(400, "invalid_field", f.field(field) + ": '" + text + "' is not known", f.field(field));
}

// Receipt task types → 1054, and whether it is a correction.
constexpr Named kReceiptTypes[] = {{"sell", 1},           {"sellReturn", 2},          {"buy", 3},
                                   {"buyReturn", 4},      {"sellCorrection", 11},     {"sellReturnCorrection", 12},
                                   {"buyCorrection", 13}, {"buyReturnCorrection", 14}};
constexpr Named kTaxation[] = {{"osn", 0x01},  {"usnIncome", 0x02}, {"usnIncomeOutcome", 0x04},
                               {"envd", 0x08}, {"esn", 0x10},       {"patent", 0x20}};
constexpr Named kMethods[] = {{"fullPrepayment", 1}, {"prepayment", 2}, {"advance", 3},      {"fullPayment", 4},
                              {"partialPayment", 5}, {"credit", 6},     {"creditPayment", 7}};
constexpr Named kObjects[] = {{"commodity", 1},
                              {"excise", 2},
                              {"job", 3},
                              {"service", 4},
                              {"gamblingBet", 5},
                              {"gamblingPrize", 6},
                              {"lottery", 7},
                              {"lotteryPrize", 8},
                              {"intellectualActivity", 9},
                              {"payment", 10},
                              {"agentCommission", 11},
                              {"composite", 12},
                              {"another", 13},
                              {"proprietaryLaw", 14},
                              {"nonOperatingIncome", 15},
                              {"insuranceContributions", 16},
                              {"merchantTax", 17},
                              {"resortFee", 18},
                              {"deposit", 19}};
constexpr Named kVat[] = {
    {"none", static_cast<int>(fiscal::VatClass::None)},   {"vat0", static_cast<int>(fiscal::VatClass::Vat0)},
    {"vat5", static_cast<int>(fiscal::VatClass::Vat5)},   {"vat105", static_cast<int>(fiscal::VatClass::Vat5)},
    {"vat7", static_cast<int>(fiscal::VatClass::Vat7)},   {"vat107", static_cast<int>(fiscal::VatClass::Vat7)},
    {"vat10", static_cast<int>(fiscal::VatClass::Vat10)}, {"vat110", static_cast<int>(fiscal::VatClass::Vat10)},
    {"vat20", static_cast<int>(fiscal::VatClass::Vat20)}, {"vat120", static_cast<int>(fiscal::VatClass::Vat20)},
    {"vat22", static_cast<int>(fiscal::VatClass::Vat22)}, {"vat122", static_cast<int>(fiscal::VatClass::Vat22)}};

fiscal::Receipt read_receipt_task(const json::object& task, const std::string& path) {
    Fields f(task, path);
    fiscal::Receipt r;
    const int type = lookup(kReceiptTypes, f, "type", 0);
    if (type == 0) throw ApiError(400, "missing_field", f.field("type") + " is required", f.field("type"));
    r.sign = static_cast<fiscal::CalcSign>(type > 10 ? type - 10 : type);
    if (type > 10) {
        fiscal::Correction c;
        const auto kind = f.string("correctionType", 16);
        if (kind != "self" && kind != "instruction")
            throw ApiError(400, "invalid_field", f.field("correctionType") + " must be self or instruction",
                           f.field("correctionType"));
        c.type = kind == "instruction" ? 1 : 0;
        c.date_unix = f.day("correctionBaseDate");
        if (c.type == 1) c.order_number = f.string("correctionBaseNumber", 64);
        r.correction = c;
    }
    r.tax_system = static_cast<fiscal::TaxSystem>(lookup(kTaxation, f, "taxationType", 0x01));
    if (const auto* op = f.find("operator"); op && op->is_object()) {
        Fields o(op->as_object(), f.field("operator"));
        r.cashier = o.string("name", 256);
        r.cashier_inn = o.string("vatin", 12);
    }
    if (const auto* ci = f.find("clientInfo"); ci && ci->is_object())
        r.buyer_contact = Fields(ci->as_object(), f.field("clientInfo")).string("emailOrPhone", 256);
    const auto* items = f.find("items");
    if (!items || !items->is_array())
        throw ApiError(400, "missing_field", f.field("items") + " must be an array", f.field("items"));
    for (std::size_t i = 0; i < items->as_array().size(); ++i) {
        const auto ipath = f.field("items") + "[" + std::to_string(i) + "]";
        const auto& item = items->as_array()[i];
        if (!item.is_object()) throw ApiError(400, "invalid_field", ipath + " must be an object", ipath);
        Fields l(item.as_object(), ipath);
        if (l.string("type", 32) != "position") continue;  // text, barcode, pixels: not fiscal, not printed
        fiscal::ReceiptLine line;
        line.name = l.string("name", 512);
        line.quantity = l.quantity("quantity");
        line.price = l.money("price", true);
        line.amount = l.money("amount", true);
        line.method = static_cast<fiscal::PaymentMethod>(lookup(kMethods, l, "paymentMethod", 4));
        line.subject = static_cast<std::uint8_t>(lookup(kObjects, l, "paymentObject", 1));
        line.unit = static_cast<std::uint8_t>(l.integer("measurementUnit", 0, 255, 0));
        const auto* tax = l.find("tax");
        if (!tax || !tax->is_object())
            throw ApiError(400, "missing_field", l.field("tax") + " is required", l.field("tax"));
        line.vat_class = static_cast<fiscal::VatClass>(
            lookup(kVat, Fields(tax->as_object(), l.field("tax")), "type", static_cast<int>(fiscal::VatClass::None)));
        line.vat_code = fiscal::vat_code_for(line.vat_class, line.method);
        line.vat = fiscal::vat_for_code(line.amount, line.vat_code);
        r.total += line.amount;
        r.lines.push_back(std::move(line));
    }
    const auto* payments = f.find("payments");
    if (!payments || !payments->is_array())
        throw ApiError(400, "missing_field", f.field("payments") + " must be an array", f.field("payments"));
    for (std::size_t i = 0; i < payments->as_array().size(); ++i) {
        const auto ppath = f.field("payments") + "[" + std::to_string(i) + "]";
        if (!payments->as_array()[i].is_object())
            throw ApiError(400, "invalid_field", ppath + " must be an object", ppath);
        Fields p(payments->as_array()[i].as_object(), ppath);
        const auto kind = p.string("type", 32);
        const auto sum = p.money("sum", true);
        auto& to = kind == "cash"             ? r.payments.cash
                   : kind == "electronically" ? r.payments.electronic
                   : kind == "prepaid"        ? r.payments.prepayment
                   : kind == "credit"         ? r.payments.credit
                   : kind == "other"
                       ? r.payments.provision
                       : throw ApiError(400, "invalid_field",
                                        p.field("type") + ": '" + kind + "' is not a payment type", p.field("type"));
        to += sum;
    }
    if (f.find("total") && f.money("total") != r.total)
        throw ApiError(422, "amount_mismatch",
                       "total " + f.money("total").to_roubles_string() + " is not the sum of the items " +
                           r.total.to_roubles_string(),
                       f.field("total"));
    return r;
}

// ---- batches -----------------------------------------------------------------------------------

struct Task {
    std::string type;
    bool fiscal = false;
    std::string key;                          // fiscal: the ledger's idempotency key
    std::vector<ledger::ReceiptId> receipts;  // fiscal: once the plan is stored
    // Register tasks (and fiscal tasks refused before a receipt existed): kept here.
    std::string status = "wait";
    json::object result;
    int error_code = 0;
    std::string error;
};

struct Batch {
    std::string uuid;
    std::mutex mutex;
    std::vector<Task> tasks;
    int running = 0;                             // register tasks not finished yet
    std::vector<std::function<void()>> waiters;  // called once `running` reaches 0
};

class Batches {
  public:
    // The batch, or nullptr if this process has not seen it.
    std::shared_ptr<Batch> find(const std::string& key) {
        std::lock_guard lock(mutex_);
        auto it = batches_.find(key);
        return it == batches_.end() ? nullptr : it->second;
    }
    // Adds the batch; false when the key is taken.
    bool add(const std::string& key, std::shared_ptr<Batch> batch) {
        std::lock_guard lock(mutex_);
        return batches_.emplace(key, std::move(batch)).second;
    }

  private:
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<Batch>> batches_;
};

std::string batch_key(const Principal& who, const std::string& uuid) { return "atol:" + who.name + ":" + uuid; }
std::string task_key(const std::string& batch, std::size_t i) { return batch + ":" + std::to_string(i); }
// The caller and the task's place only: the same uuid answers the first result whatever the body.
std::string task_hash(const std::string& key) { return sha256_hex("atol task\n" + key); }

HttpResponse atol_error(int http_status, int code, const std::string& description, const std::string& kassa_code) {
    return json_response(
        http_status,
        json::object{{"error", json::object{{"code", code}, {"description", description}, {"kassaCode", kassa_code}}}});
}

template <class F>
HttpResponse atol_guarded(F&& body) {
    try {
        return body();
    } catch (const ApiError& e) {
        // A task type Kassa does not run: the driver's own code for it (LIBFPTR_ERROR_NOT_SUPPORTED).
        constexpr int kNotSupported = 11;
        return atol_error(e.status(), e.code() == "unsupported_task" ? kNotSupported : e.status(), e.what(), e.code());
    } catch (const ledger::LedgerError& e) {
        return atol_error(ledger_error(e).status, ledger_error(e).status, e.what(), e.code());
    }
}

std::string iso(Clock::time_point t) {
    const std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
    return buf;
}

json::object receipt_result(const ledger::ReceiptRecord& r) {
    json::object fp{{"total", r.planned.receipt.total.to_roubles_string()}};
    if (r.fiscal) {
        fp["fiscalDocumentNumber"] = r.fiscal->fd_number;
        fp["fiscalDocumentSign"] = std::to_string(r.fiscal->fiscal_sign);
        fp["fiscalDocumentDateTime"] = iso(r.fiscal->time);
        fp["fnNumber"] = r.fiscal->fn_number;
        fp["shiftNumber"] = r.fiscal->shift;
        fp["fiscalReceiptNumber"] = r.fiscal->receipt_number;
        fp["fnsUrl"] = "www.nalog.gov.ru";
        fp["qr"] = r.fiscal->qr;
    }
    return json::object{{"fiscalParams", std::move(fp)}, {"warnings", json::object{{"notPrinted", false}}}};
}

json::object task_json(Service& service, const Task& t) {
    json::object out{{"type", t.type}};
    std::string status = t.status;
    json::object result = t.result;
    int code = t.error_code;
    std::string error = t.error;
    if (t.fiscal && code == 0) {
        std::optional<ledger::ReceiptRecord> r;
        if (!t.receipts.empty())
            r = service.ledger().receipt(t.receipts.front());
        else if (auto stored = service.ledger().find_idempotent(t.key, task_hash(t.key));
                 stored && !stored->receipts.empty())
            r = service.ledger().receipt(stored->receipts.front());
        if (r) {
            switch (r->state) {
                case ledger::ReceiptState::Planned:
                    status = "wait";
                    break;
                case ledger::ReceiptState::Sending:
                case ledger::ReceiptState::Uncertain:
                    status = "inProgress";
                    break;
                case ledger::ReceiptState::Confirmed:
                    status = "ready";
                    break;
                case ledger::ReceiptState::Failed:
                    status = "error";
                    code = 1;
                    error = r->error;
                    break;
            }
            result = receipt_result(*r);
        }
    }
    out["status"] = status;
    out["error"] = json::object{{"code", code}, {"description", error}};
    out["result"] = std::move(result);
    return out;
}

void finish(const std::shared_ptr<Batch>& batch, std::size_t i, std::string status, json::object result = {},
            int code = 0, std::string error = {}) {
    std::vector<std::function<void()>> wake;
    {
        std::lock_guard lock(batch->mutex);
        auto& t = batch->tasks[i];
        t.status = std::move(status);
        t.result = std::move(result);
        t.error_code = code;
        t.error = std::move(error);
        if (!t.fiscal && --batch->running == 0) wake.swap(batch->waiters);
    }
    for (auto& w : wake) w();
}

// Calls `then` once the batch's register tasks have finished (now, if they have).
void when_registers_done(const std::shared_ptr<Batch>& batch, std::function<void()> then) {
    {
        std::lock_guard lock(batch->mutex);
        if (batch->running > 0) return batch->waiters.push_back(std::move(then));
    }
    then();
}

// A register task's result from the status read after it.
json::object register_result(const std::string& type, const drivers::DeviceStatus& s) {
    const char* state = s.shift_expired ? "expired" : s.shift_open ? "opened" : "closed";
    if (type == "getShiftStatus") {
        json::object shift{{"state", state}, {"number", s.shift_number}};
        if (s.shift_opened_at) shift["expiredTime"] = iso(*s.shift_opened_at + std::chrono::hours(24));
        return json::object{{"shiftStatus", std::move(shift)}};
    }
    if (type == "getDeviceStatus")
        return json::object{{"deviceStatus", json::object{{"paperPresent", s.paper_ok},
                                                          {"fiscal", !s.inn.empty()},
                                                          {"fnFiscal", !s.fn_number.empty()},
                                                          {"fnPresent", !s.fn_number.empty()},
                                                          {"shift", state}}}};
    if (type == "ofdExchangeStatus") {
        json::object st{{"notSentCount", s.ofd_unsent}};
        if (s.ofd_oldest_unsent) st["notSentFirstDocDateTime"] = iso(*s.ofd_oldest_unsent);
        return json::object{{"status", std::move(st)}};
    }
    if (type == "getFnInfo") {
        json::object fn{{"serial", s.fn_number}};
        if (s.fn_expiry) fn["validityDate"] = iso(*s.fn_expiry);
        return json::object{{"fnInfo", std::move(fn)}};
    }
    return {};
}

// ATOL's task types of Kassa's register operations (api/operations.hpp).
constexpr Named kOperationTypes[] = {
    {"openShift", 1}, {"closeShift", 2}, {"reportX", 3}, {"cashIn", 4}, {"cashOut", 5}};
constexpr const char* kOperationKinds[] = {"", "shift_open", "shift_close", "x_report", "cash_in", "cash_out"};

std::string type_of_kind(const std::string& kind) {
    for (const auto& n : kOperationTypes)
        if (kOperationKinds[n.value] == kind) return std::string(n.name);
    return kind;
}

// ATOL's JSON carries sums as decimal numbers of rubles ("cashSum": 1000.5). Boost.JSON has no exact
// decimal, so such a sum goes in as a marked string and is written as a bare number once the answer
// is serialised (unmark_rubles): integer kopecks to text, no floating point on the way.
constexpr std::string_view kRublesMark = "\x01rub:";
constexpr std::string_view kRublesMarkJson = "\"\\u0001rub:";  // how serialize() writes its start

json::string rubles_number(fiscal::Kopecks k) { return json::string(std::string(kRublesMark) + k.to_roubles_string()); }

std::string unmark_rubles(std::string text) {
    for (auto at = text.find(kRublesMarkJson); at != std::string::npos; at = text.find(kRublesMarkJson, at)) {
        const auto from = at + kRublesMarkJson.size();
        const auto end = text.find('"', from);
        if (end == std::string::npos) break;
        const auto number = text.substr(from, end - from);
        // Only what to_roubles_string() makes: -?digits.dd
        if (!parse_rubles(number)) {
            at = end;
            continue;
        }
        text.replace(at, end + 1 - at, number);
        at += number.size();
    }
    return text;
}

// A register operation task's status and result from its record: shift documents report the
// fiscal document the FN made (fiscalParams), cash in / out the drawer sum after them
// (counters.cashSum, decimal rubles) when the register reported it.
void operation_task(const ledger::OperationRecord& r, std::string& status, json::object& result, int& code,
                    std::string& error) {
    status = r.state == "done"                               ? "ready"
             : r.state == "failed" || r.state == "uncertain" ? "error"
             : r.state == "planned"                          ? "wait"
                                                             : "inProgress";
    result = {};
    if (status == "error") {
        code = 1;
        error = r.error;
        return;
    }
    boost::system::error_code ec;
    const auto st = json::parse(r.result, ec);
    if (ec || !st.is_object()) return;
    const auto& o = st.as_object();
    if (r.kind == "cash_in" || r.kind == "cash_out") {
        if (const auto* sum = o.if_contains("cash_sum"); sum && sum->is_int64())
            result =
                json::object{{"counters", json::object{{"cashSum", rubles_number(fiscal::Kopecks{sum->as_int64()})}}}};
        return;
    }
    json::object fp;
    for (const auto& [from, to] : {std::pair{"last_fd_number", "fiscalDocumentNumber"},
                                   std::pair{"fn_number", "fnNumber"}, std::pair{"shift_number", "shiftNumber"}})
        if (const auto* v = o.if_contains(from)) fp[to] = *v;
    result = json::object{{"fiscalParams", std::move(fp)}};
}

// A register operation task (openShift, closeShift, reportX, cashIn, cashOut) as Kassa's operation;
// nullopt for the status reads (getDeviceStatus, getShiftStatus, ofdExchangeStatus, getFnInfo).
// Throws ApiError for task types Kassa does not run, in ATOL's terms (LIBFPTR_ERROR_NOT_SUPPORTED).
std::optional<ledger::OperationRecord> register_task(const std::string& type, const Fields& f) {
    if (type == "getDeviceStatus" || type == "getShiftStatus" || type == "ofdExchangeStatus" || type == "getFnInfo")
        return std::nullopt;
    int kind = 0;
    for (const auto& n : kOperationTypes)
        if (n.name == type) kind = n.value;
    if (kind == 0)
        throw ApiError(400, "unsupported_task",
                       f.field("type") + ": '" + type + "': Не поддерживается в данной версии (драйвера или ККТ)",
                       f.field("type"));
    ledger::OperationRecord r;
    r.kind = kOperationKinds[kind];
    if (const auto* op = f.find("operator"); op && op->is_object())
        r.cashier = Fields(op->as_object(), f.field("operator")).string("name", 256);
    if (type == "cashIn" || type == "cashOut") {
        // ATOL's JSON task names the sum cashSum.
        r.amount = f.money("cashSum", true);
        if (!r.amount.is_positive())
            throw ApiError(422, "invalid_money", f.field("cashSum") + " must be positive", f.field("cashSum"));
        r.reason = "ATOL " + type;
    }
    return r;
}

HttpResponse post_batch(Service& service, Batches& batches, HttpRequest& req) {
    const auto body = parse_quoted(req.body);
    Fields f(body, "");
    const auto uuid = f.string("uuid", 64);
    if (uuid.empty() || !is_safe_id(uuid))
        throw ApiError(400, "invalid_field", "uuid must be 1..64 of [A-Za-z0-9._:-]", "uuid");
    const auto* request = f.find("request");
    json::array tasks;
    if (request && request->is_object())
        tasks.push_back(*request);
    else if (request && request->is_array())
        tasks = request->as_array();
    if (tasks.empty()) throw ApiError(400, "missing_field", "request must be a task or an array of tasks", "request");
    const auto& who = principal_of(req);
    const auto key = batch_key(who, uuid);
    if (batches.find(key))
        return atol_error(409, 409, "a request with uuid " + uuid + " was queued before", "duplicate_uuid");

    // Everything is read and checked before anything runs: a bad task refuses the whole batch.
    const auto device = req.header("deviceid");
    auto* worker = register_of(service, req, {}, 0);
    if (!device.empty()) {
        worker = service.pool().find(device);
        if (!worker || !scope_of(service, req).register_id(device))
            throw ApiError(404, "unknown_register", "device '" + device + "' is not known", "deviceID");
    }
    auto batch = std::make_shared<Batch>();
    batch->uuid = uuid;
    std::vector<fiscal::Receipt> receipts(tasks.size());
    std::vector<std::optional<ledger::OperationRecord>> operations(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        const auto path = "request[" + std::to_string(i) + "]";
        if (!tasks[i].is_object()) throw ApiError(400, "invalid_field", path + " must be an object", path);
        Fields t(tasks[i].as_object(), path);
        Task task;
        task.type = t.string("type", 64);
        task.fiscal = std::ranges::any_of(kReceiptTypes, [&](const Named& n) { return n.name == task.type; });
        task.key = task_key(key, i);
        if (task.fiscal) {
            receipts[i] = read_receipt_task(tasks[i].as_object(), path);
            if (auto valid = fiscal::validate_receipt(receipts[i]); !valid)
                throw ApiError(422, valid.error().code, path + ": " + valid.error().message, path);
        } else {
            if (!worker) throw ApiError(404, "unknown_register", "no register for this caller", "deviceID");
            operations[i] = register_task(task.type, t);
        }
        batch->tasks.push_back(std::move(task));
    }
    if (!batches.add(key, batch))
        return atol_error(409, 409, "a request with uuid " + uuid + " was queued before", "duplicate_uuid");

    // The answer (201) leaves once every receipt task's plan is durable (or refused), so a GET that
    // follows it sees them; no thread waits meanwhile.
    auto remaining = std::make_shared<std::atomic<int>>(1);
    for (const auto& t : batch->tasks) {
        if (t.fiscal)
            ++*remaining;
        else
            ++batch->running;
    }
    auto stored = [remaining, responder = req.responder, uuid, n = static_cast<std::int64_t>(tasks.size())] {
        if (--*remaining == 0)
            responder->post([responder, uuid, n] {
                responder->send(json_response(201, json::object{{"uuid", uuid}, {"number", n}}));
            });
    };
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (batch->tasks[i].fiscal) {
            auto& r = receipts[i];
            EventRequest event;
            event.register_id = device;
            if (const auto* ent = service.entity(worker ? service.pool().entity_of(worker->register_id()) : "")) {
                event.entity_inn = ent->inn;
                if (r.cashier.empty()) {
                    r.cashier = ent->cashier;
                    r.cashier_inn = ent->cashier_inn;
                }
                r.settlement_address = ent->settlement_address;
                r.settlement_place = ent->settlement_place;
            }
            event.context.tax_system = r.tax_system;
            event.tax_system_given = true;
            event.event = fiscal::RawReceiptEvent{std::move(r), {}, {}};
            const auto& k = batch->tasks[i].key;
            auto on_stored = [batch, i, stored](std::optional<Submitted> submitted, std::exception_ptr error) {
                if (submitted) {
                    std::lock_guard lock(batch->mutex);
                    batch->tasks[i].receipts = submitted->receipts;
                } else {
                    try {
                        std::rethrow_exception(error);
                    } catch (const std::exception& e) {
                        finish(batch, i, "error", {}, 1, e.what());
                    }
                }
                stored();
            };
            try {
                service.submit(who, k, task_hash(k), std::move(event), "atol." + batch->tasks[i].type, req.remote,
                               on_stored);
            } catch (...) {
                on_stored(std::nullopt, std::current_exception());
            }
            continue;
        }
        {
            std::lock_guard lock(batch->mutex);
            batch->tasks[i].status = "inProgress";
        }
        if (operations[i]) {
            // Durable under the task's key: posted again (after a restart too), it runs no second time.
            const auto k = "op:" + batch->tasks[i].key;
            try {
                run_operation(service, *worker, who, k, task_hash(k), std::move(*operations[i]), req.remote,
                              [batch, i](const ledger::OperationRecord& r, bool) {
                                  std::string status;
                                  json::object result;
                                  int code = 0;
                                  std::string error;
                                  operation_task(r, status, result, code, error);
                                  finish(batch, i, status, std::move(result), code, std::move(error));
                              });
            } catch (const std::exception& e) {
                finish(batch, i, "error", {}, 1, e.what());
            }
            continue;
        }
        // A status read: the answer is the register's status now.
        auto status = std::make_shared<drivers::DeviceStatus>();
        worker->run(status_reader(status),
                    [batch, i, status, type = batch->tasks[i].type](const drivers::DeviceStatusResult& read) {
                        if (!read) return finish(batch, i, "error", {}, 1, read.error().to_string());
                        finish(batch, i, "ready", register_result(type, *status));
                    });
    }
    stored();
    return HttpResponse::later();
}

// `?wait=N` (Kassa's addition, at most 60 s): the answer waits until every task has finished, or
// until N seconds have passed for the receipts, holding no thread meanwhile.
HttpResponse get_batch(Service& service, Batches& batches, HttpRequest& req) {
    const auto& uuid = req.params.at("uuid");
    const auto key = batch_key(principal_of(req), uuid);
    if (auto it = req.query.find("wait"); it != req.query.end()) {
        int seconds = 0;
        try {
            seconds = std::stoi(it->second);
        } catch (const std::exception&) {
            throw ApiError(400, "invalid_field", "wait must be a whole number of seconds", "wait");
        }
        auto batch = batches.find(key);
        if (batch && seconds > 0) {
            auto copy = std::make_shared<HttpRequest>(req);
            copy->query.erase("wait");
            auto reply = [&service, &batches, copy] {
                copy->responder->send_built([&service, &batches, copy] {
                    return atol_guarded([&] { return get_batch(service, batches, *copy); });
                });
            };
            const auto wait = std::chrono::seconds(std::min(seconds, 60));
            when_registers_done(batch, [&service, batch, wait, reply] {
                std::vector<ledger::ReceiptId> ids;
                {
                    std::lock_guard lock(batch->mutex);
                    for (const auto& t : batch->tasks) ids.insert(ids.end(), t.receipts.begin(), t.receipts.end());
                }
                service.when_settled(ids, wait, [reply](bool) { reply(); });
            });
            return HttpResponse::later();
        }
    }
    json::array results;
    if (auto batch = batches.find(key)) {
        std::vector<Task> tasks;
        {
            std::lock_guard lock(batch->mutex);  // copied, so the ledger is read with no lock held
            tasks = batch->tasks;
        }
        for (const auto& t : tasks) results.push_back(task_json(service, t));
    } else {
        // Not seen by this process (a restart): the receipts the ledger keeps under this uuid.
        // Status reads are not kept: the list ends at the first task the ledger does not hold.
        for (std::size_t i = 0;; ++i) {
            Task t{.type = "receipt", .fiscal = true, .key = task_key(key, i)};
            if (auto op = service.ledger().operation("op:" + t.key)) {
                t.type = type_of_kind(op->kind);
                t.fiscal = false;
                operation_task(*op, t.status, t.result, t.error_code, t.error);
                results.push_back(task_json(service, t));
                continue;
            }
            auto stored = service.ledger().find_idempotent(t.key, task_hash(t.key));
            if (!stored) break;
            results.push_back(task_json(service, t));
        }
    }
    if (results.empty()) return atol_error(404, 404, "no request with uuid " + uuid, "not_found");
    auto res = json_response(200, json::object{{"uuid", uuid}, {"results", std::move(results)}});
    res.body = unmark_rubles(std::move(res.body));
    return res;
}

}  // namespace

fiscal::Receipt read_atol_receipt(std::string_view task_json) {
    auto r = read_receipt_task(parse_quoted(task_json), "");
    if (auto valid = fiscal::validate_receipt(r); !valid)
        throw ApiError(422, valid.error().code, valid.error().message);
    return r;
}

void add_atol_routes(Router& router, Service& service) {
    auto batches = std::make_shared<Batches>();
    router.add("POST", "/api/v2/requests", "ATOL Web-server-compatible task batch", {"cashier"},
               [&service, batches](HttpRequest& req) {
                   return atol_guarded([&] { return post_batch(service, *batches, req); });
               });
    router.add("GET", "/api/v2/requests/{uuid}", "ATOL Web-server-compatible batch status", {"cashier"},
               [&service, batches](HttpRequest& req) {
                   return atol_guarded([&] { return get_batch(service, *batches, req); });
               });
}

}  // namespace kassa::api::compat
