#include "drivers/atol/driver.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "common/log.hpp"
#include "drivers/atol/assumptions.hpp"
#include "drivers/atol/errors.hpp"
#include "fiscal/tlv.hpp"
#include "fiscal/validate.hpp"

namespace kassa::drivers::atol {

namespace {

std::unexpected<DeviceError> device_error(Outcome outcome, std::string message, bool maybe_executed = false) {
    return std::unexpected(DeviceError{outcome, -1, {}, std::move(message), maybe_executed});
}

std::unexpected<DeviceError> rejected(std::string message) { return device_error(Outcome::Rejected, message); }

// Tags another command already carries: the 92h type (1054), the payments of 99h (1031, 1081,
// 1215..1217), the total the device adds up (1020); per line, everything EBh holds.
bool sent_by_commands(std::uint16_t tag) {
    using namespace fiscal::tag;
    switch (tag) {
        case kCalcSign:
        case kTotal:
        case kCash:
        case kElectronic:
        case kPrepayment:
        case kCredit:
        case kProvision:
            return true;
        default:
            return false;
    }
}

bool sent_by_end_item(std::uint16_t tag) {
    using namespace fiscal::tag;
    switch (tag) {
        case kItemName:
        case kPrice:
        case kQuantity:
        case kItemAmount:
        case kVatCode:
        case kPaymentMethod:
        case kSubject:
        case kVatSum:
            return true;
        default:
            return false;
    }
}

Bytes tlv_bytes(std::uint16_t tag, std::span<const std::uint8_t> value) {
    fiscal::TlvWriter w;
    (void)w.put_raw(tag, value);
    return w.take();
}

FiscalDocumentInfo to_info(const FnDocumentAnswer& d) {
    FiscalDocumentInfo info;
    info.type = d.type;
    info.number = d.number;
    info.fiscal_sign = d.fiscal_sign;
    info.date_time = d.date_time.to_time_point();
    info.ofd_ticket = d.ofd_ticket;
    if (d.operation && *d.operation >= 1 && *d.operation <= 4)
        info.calc_sign = static_cast<fiscal::CalcSign>(*d.operation);
    if (d.amount) info.total = fiscal::Kopecks{static_cast<std::int64_t>(*d.amount)};
    return info;
}

}  // namespace

Result<DriverOptions> options_from_uri(const Uri& uri) {
    DriverOptions o;
    const auto link = uri.param("link", "v3");
    if (link == "v3") {
        o.link = LinkVersion::V3;
    } else if (link == "v2") {
        o.link = LinkVersion::V2;
    } else {
        return fail("invalid_uri", "link must be v2 or v3");
    }
    auto pwd = uri.int_param("password", assume::kModePassword);
    if (!pwd || *pwd < 0 || *pwd > 99'999'999) return fail("invalid_uri", "password must be 0..99999999");
    o.password = static_cast<std::uint32_t>(*pwd);
    auto answer = uri.int_param("answer_timeout_ms", 0);
    if (!answer) return std::unexpected(answer.error());
    if (*answer > 0) o.session.answer_timeout = std::chrono::milliseconds{*answer};
    auto control = uri.int_param("control_timeout_ms", o.session.control_timeout.count());
    if (!control || *control <= 0) return fail("invalid_uri", "control_timeout_ms must be positive");
    o.session.control_timeout = std::chrono::milliseconds{*control};
    auto poll = uri.int_param("poll_ms", o.session.poll_interval.count());
    if (!poll || *poll <= 0) return fail("invalid_uri", "poll_ms must be positive");
    o.session.poll_interval = std::chrono::milliseconds{*poll};
    auto cache = uri.int_param("status_cache_ms", o.status_cache.count());
    if (!cache || *cache < 0) return fail("invalid_uri", "status_cache_ms must be ≥ 0");
    o.status_cache = std::chrono::milliseconds{*cache};
    if (auto name = uri.param("name"); !name.empty()) o.name = name;
    return o;
}

Status check_options(const Uri& uri) {
    static constexpr std::string_view kKnown[] = {// the driver's (driver.hpp), then the transports' (transport.hpp)
                                                  "link",
                                                  "password",
                                                  "answer_timeout_ms",
                                                  "control_timeout_ms",
                                                  "poll_ms",
                                                  "status_cache_ms",
                                                  "name",
                                                  "baud",
                                                  "vid",
                                                  "pid",
                                                  "serial"};
    for (const auto& [key, value] : uri.query)
        if (std::ranges::find(kKnown, key) == std::end(kKnown))
            return fail("invalid_uri", "unknown ATOL driver option '" + key + "'");
    if (auto o = options_from_uri(uri); !o) return std::unexpected(o.error());
    return ok();
}

AtolDevice::AtolDevice(std::unique_ptr<Transport> transport, DriverOptions options)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      session_(make_session(options_.link, options_.session)),
      log_(log::get("drv." + options_.name)) {}

AtolDevice::~AtolDevice() {
    if (transport_) transport_->close();
}

DeviceStatusResult AtolDevice::ensure_open() {
    if (transport_->is_open()) return {};
    if (auto st = transport_->open(); !st) return device_error(Outcome::RetryLater, st.error().message);
    // v3: clear tasks a previous connection left behind (§2.4.3 step 1). The answer has an id the
    // session is not waiting for, so it is dropped when it arrives.
    if (auto hello = session_->greeting(); !hello.empty()) {
        log_->trace("→ {}", hex_of(hello));
        if (auto st = transport_->write(hello); !st) {
            transport_->close();
            return device_error(Outcome::RetryLater, st.error().message);
        }
    }
    return {};
}

DeviceResult<Bytes> AtolDevice::run(SessionActions actions, const char* what) {
    auto body = run_session(
        *session_, *transport_, *options_.clock, std::move(actions),
        [this](std::span<const std::uint8_t> bytes) {
            if (!redacted_contact_.empty() && bytes.size() > 8) {
                log_->trace("→ E8 … (tag 1008 {})", log::mask_contact(redacted_contact_));
            } else {
                log_->trace("→ {}", hex_of(bytes));
            }
        },
        *log_);
    if (body) return std::move(*body);
    const auto& e = body.error();
    if (e.code == kTransportFailed) {
        cached_status_.reset();  // the device may have changed behind a broken link
        latest_status_.reset();
        const bool sent = session_->request_sent();
        session_->abort();
        transport_->close();
        return device_error(Outcome::RetryLater, std::string(what) + ": " + e.message, sent);
    }
    if (e.code == "nothing_pending")
        return std::unexpected(DeviceError{Outcome::Done, -1, {}, "nothing_pending", false});
    log_->warn("{}: {}", what, e.message);
    if (e.code == "link_lost" || e.code == "no_connection")
        return device_error(Outcome::RetryLater, std::string(what) + ": " + e.message, e.code == "link_lost");
    // device_busy, bad_request: the device refused the task itself.
    return device_error(e.code == "device_busy" ? Outcome::RetryNow : Outcome::Rejected,
                        std::string(what) + ": " + e.message);
}

DeviceResult<Bytes> AtolDevice::execute(const Request& request, const char* what) {
    if (auto st = ensure_open(); !st) return std::unexpected(st.error());
    // Any command but 45h may change the mode the last 3Fh reported (read_status() sets it again).
    if (request.code != cmd::kStatusCode) latest_status_.reset();
    auto body = run(session_->start(request), what);
    redacted_contact_.clear();
    if (!body) return std::unexpected(body.error());
    auto answer = Answer::parse(*body, request.code);
    if (!answer) return device_error(Outcome::RetryLater, std::string(what) + ": " + answer.error().message, true);
    if (answer->error != err::kOk) {
        const auto text = std::string(error_text(answer->error));
        log_->info("{}: device error {:02X}h {}", what, answer->error, text);
        return std::unexpected(DeviceError{outcome_for_error(answer->error), answer->error, text, what, false});
    }
    return std::move(answer->data);
}

DeviceStatusResult AtolDevice::command(const Request& request, const char* what) {
    if (auto r = execute(request, what); !r) return std::unexpected(r.error());
    return {};
}

DeviceResult<std::optional<Bytes>> AtolDevice::recover_pending() {
    if (auto st = ensure_open(); !st) return std::unexpected(st.error());
    auto body = run(session_->start_recovery(), "recover pending result");
    if (body) return std::optional<Bytes>(std::move(*body));
    if (body.error().outcome == Outcome::Done) return std::optional<Bytes>{};
    return std::unexpected(body.error());
}

DeviceResult<StatusAnswer> AtolDevice::read_status() {
    auto raw = execute(simple_request(cmd::kStatus), "status");
    if (!raw) return std::unexpected(raw.error());
    auto s = StatusAnswer::decode(*raw);
    if (!s) return device_error(Outcome::RetryLater, "status: " + s.error().message);
    latest_status_ = *s;
    return *s;
}

DeviceStatusResult AtolDevice::enter_mode(std::uint8_t mode) {
    // The mode is read every time rather than remembered: a register restarted by its owner (or
    // by a power cut) is back in mode 0, and a stale guess would turn into "not in this mode"
    // refusals of a receipt that could have been printed. One 3Fh per operation is cheap, and the
    // one status() just read (nothing sent since) serves: the worker asks status() first.
    auto s = latest_status_ ? DeviceResult<StatusAnswer>(*latest_status_) : read_status();
    if (!s) return std::unexpected(s.error());
    const std::uint8_t current = s->mode & 0x0F;
    if (current == mode) return {};
    // §2.2: a mode is left with 48h before another is entered.
    if (current != mode::kSelect) {
        if (auto r = command(simple_request(cmd::kExitMode), "leave mode"); !r) return r;
    }
    return command(EnterModeRequest{mode, options_.password}.request(), "enter mode");
}

DeviceStatusResult AtolDevice::write_tags(std::span<const std::uint8_t> tlvs, std::uint8_t flags, TagFilter skip,
                                          const char* what) {
    auto parsed = fiscal::decode_tlvs(tlvs);
    if (!parsed) return rejected(std::string(what) + ": " + parsed.error().message);
    for (const auto& t : *parsed) {
        if (skip && skip(t.tag)) continue;
        WriteTagRequest req{flags, tlv_bytes(t.tag, t.value)};
        if (req.tlv.size() > assume::kMaxTagBytes)
            return rejected(std::string(what) + ": tag " + std::to_string(t.tag) + " too long for one command");
        if (t.tag == fiscal::tag::kBuyerContact) redacted_contact_ = fiscal::decode_string(t.value);
        if (auto r = command(req.request(), what); !r) return std::unexpected(r.error());
    }
    return {};
}

DeviceStatusResult AtolDevice::cashier_tags(const std::string& cashier, const std::string& cashier_inn) {
    // Tags written before a document belong to it (assume A6): 1021 and 1203 for shift reports.
    fiscal::TlvWriter w;
    if (!cashier.empty()) {
        if (auto st = w.put_string(fiscal::tag::kCashier, cashier); !st)
            return rejected("cashier: " + st.error().message);
    }
    if (!cashier_inn.empty()) {
        if (auto st = fiscal::validate_inn12(cashier_inn); !st) return rejected(st.error().message);
        (void)w.put_raw(fiscal::tag::kCashierInn,
                        std::span(reinterpret_cast<const std::uint8_t*>(cashier_inn.data()), cashier_inn.size()));
    }
    if (w.bytes().empty()) return {};
    return write_tags(w.bytes(), 0, nullptr, "cashier tags");
}

DeviceResult<FnStatusAnswer> AtolDevice::fn_status() {
    auto data = execute(fn_request(fn::kStatus), "FN status");
    if (!data) return std::unexpected(data.error());
    auto f = FnStatusAnswer::decode(*data);
    if (!f) return device_error(Outcome::RetryLater, "FN status: " + f.error().message);
    return *f;
}

DeviceResult<DeviceStatus> AtolDevice::status() {
    const auto now = options_.clock->steady_now();
    const bool fresh = cached_status_ && options_.status_cache.count() > 0 && now - cached_at_ < options_.status_cache;
    DeviceStatus st;
    auto s = read_status();
    if (!s) return std::unexpected(s.error());
    st.mode = s->mode & 0x0F;
    st.submode = s->mode >> 4;
    st.receipt_open = s->receipt_state != 0;
    st.paper_ok = (s->flags & assume::kStatusFlagPaperPresent) != 0;

    auto code = execute(simple_request(cmd::kStatusCode), "status code");
    if (!code) return std::unexpected(code.error());
    if (auto c = StatusCodeAnswer::decode(*code); c && (c->flags & printer::kNoPaper)) st.paper_ok = false;

    const bool shift_open = (s->flags & assume::kStatusFlagShiftOpen) != 0;
    if (fresh && shift_open == cached_status_->shift_open && s->shift_number == cached_status_->shift_number) {
        // Fresh, and the shift is the one we know: mode and paper from 3Fh / 45h, the rest kept.
        DeviceStatus out = *cached_status_;
        out.mode = st.mode;
        out.submode = st.submode;
        out.receipt_open = st.receipt_open;
        out.paper_ok = st.paper_ok;
        // No "24 h expired" mode on ATOL: the register's own clock (3Fh) against the opening time.
        const auto& t = s->date_time;
        const auto device_now = FnDateTime{2000 + t[0], t[1], t[2], t[3], t[4]}.to_time_point();
        out.shift_expired =
            out.shift_open && out.shift_opened_at && device_now - *out.shift_opened_at > std::chrono::hours{24};
        constexpr int kSkipped = 4;  // A4h 30h, 10h, 31h, 20h (and the shift-open report lookup)
        status_reads_skipped_ += kSkipped;
        log_->debug("status: cached state is fresh; skipped A4h 30h, 10h, 31h, 20h");
        return out;
    }
    auto full = full_status();
    if (!full) {
        cached_status_.reset();
        return full;
    }
    full->mode = st.mode;
    full->submode = st.submode;
    full->receipt_open = st.receipt_open;
    full->paper_ok = st.paper_ok;
    cached_status_ = *full;
    cached_at_ = now;
    return full;
}

DeviceResult<DeviceStatus> AtolDevice::full_status() {
    DeviceStatus st;

    auto f = fn_status();
    if (!f) return std::unexpected(f.error());
    st.fn_number = f->fn_number;
    st.last_fd_number = f->last_fd_number;

    auto shift = execute(fn_request(fn::kShiftParams), "shift parameters");
    if (!shift) return std::unexpected(shift.error());
    auto p = FnShiftAnswer::decode(*shift);
    if (!p) return device_error(Outcome::RetryLater, "shift parameters: " + p.error().message);
    st.shift_open = p->open;
    st.shift_number = p->shift_number;
    cached_receipt_number_ = p->receipt_number;

    if (auto exp = execute(fn_request(fn::kExpiry), "FN expiry")) {
        if (auto e = FnExpiryAnswer::decode(*exp)) st.fn_expiry = FnDateTime{e->year, e->month, e->day}.to_time_point();
    } else if (exp.error().outcome != Outcome::Rejected) {
        return std::unexpected(exp.error());
    }

    auto ofd = execute(fn_request(fn::kOfdStatus), "OFD status");
    if (!ofd) return std::unexpected(ofd.error());
    if (auto o = FnOfdAnswer::decode(*ofd)) {
        st.ofd_unsent = o->queued;
        if (o->queued > 0) st.ofd_oldest_unsent = o->first_date_time.to_time_point();
    }

    // The shift-open report sits just before the shift's receipts in the archive.
    if (st.shift_open && st.last_fd_number > 0) {
        const std::int64_t guess = static_cast<std::int64_t>(st.last_fd_number) - p->receipt_number;
        for (std::int64_t n = guess; n >= 1 && n > guess - 8; --n) {
            auto doc = execute(find_document_request(static_cast<std::uint32_t>(n)), "find shift-open report");
            if (!doc) break;
            auto d = FnDocumentAnswer::decode(*doc);
            if (d && d->type == doc_type::kShiftOpen) {
                st.shift_opened_at = d->date_time.to_time_point();
                break;
            }
        }
        // No mode "24 h expired" on ATOL: compare with the register's own clock (ФН status time).
        if (st.shift_opened_at)
            st.shift_expired = f->date_time.to_time_point() - *st.shift_opened_at > std::chrono::hours{24};
    }
    return st;
}

DeviceStatusResult AtolDevice::open_shift(const std::string& cashier, const std::string& cashier_inn) {
    cached_status_.reset();  // a new shift: number and opening time change
    if (auto r = enter_mode(mode::kRegistration); !r) return r;
    if (auto r = cashier_tags(cashier, cashier_inn); !r) return r;
    return command(open_shift_request(), "open shift");
}

DeviceStatusResult AtolDevice::close_shift(const std::string& cashier, const std::string& cashier_inn) {
    cached_status_.reset();
    if (auto r = enter_mode(mode::kZReports); !r) return r;
    if (auto r = cashier_tags(cashier, cashier_inn); !r) return r;
    return command(simple_request(cmd::kZReport), "close shift (Z report)");
}

DeviceStatusResult AtolDevice::x_report() {
    if (auto r = enter_mode(mode::kXReports); !r) return r;
    return command(report_request(1), "X report");
}

DeviceResult<FiscalResult> AtolDevice::fiscalise(const fiscal::Receipt& receipt) {
    if (receipt.lines.empty()) return rejected("receipt without lines");
    if (auto v = fiscal::validate_receipt(receipt); !v) return rejected(v.error().message);
    for (const auto& line : receipt.lines) {
        if (!assume::tax_byte_for_1199(line.vat_code))
            return rejected("line '" + line.name +
                            "': no ATOL tax byte for tag 1199 = " + std::to_string(line.vat_code));
        if (line.quantity.micro() % (fiscal::Quantity::kScale / assume::kQuantityScale) != 0)
            return rejected("line '" + line.name + "': ATOL takes quantities with at most 3 decimals");
    }
    const auto type = receipt_type_for(static_cast<std::uint8_t>(receipt.sign), receipt.is_correction());
    if (!type) return rejected("unknown calculation sign");
    if (auto r = enter_mode(mode::kRegistration); !r) return std::unexpected(r.error());

    auto opened = execute(open_receipt_request(*type), "open receipt");
    if (!opened && opened.error().device_code == err::kReceiptOpen) {
        // An unfinished receipt from an earlier attempt: nothing of it is fiscalised; cancel it.
        log_->warn("a receipt was left open on the device; cancelling it");
        if (auto c = execute(simple_request(cmd::kCancelReceipt), "cancel stale receipt"); !c)
            return std::unexpected(c.error());
        opened = execute(open_receipt_request(*type), "open receipt");
    }
    if (!opened) return std::unexpected(opened.error());

    auto result = fiscalise_open(receipt);
    if (!result && result.error().device_code >= 0) {
        // The device refused part of the receipt: nothing was fiscalised; leave it clean.
        if (auto c = execute(simple_request(cmd::kCancelReceipt), "cancel receipt"); !c)
            log_->warn("cancelling the refused receipt failed: {}", c.error().to_string());
    }
    return result;
}

DeviceResult<FiscalResult> AtolDevice::fiscalise_open(const fiscal::Receipt& receipt) {
    // One FFD encoder for every family (src/fiscal/tlv): ATOL takes what its commands do not carry
    // as E8h requisites.
    auto encoded = fiscal::encode_receipt(receipt);
    if (!encoded) return rejected(encoded.error().message);
    if (auto r = write_tags(encoded->document, 0, &sent_by_commands, "receipt tags"); !r)
        return std::unexpected(r.error());

    for (std::size_t i = 0; i < receipt.lines.size(); ++i) {
        const auto& line = receipt.lines[i];
        if (auto r = command(begin_item_request(), "begin item"); !r) return std::unexpected(r.error());
        // The line's own tags that EBh does not hold (2108 measure, …), between EAh and EBh.
        auto outer = fiscal::decode_tlvs(encoded->lines[i]);
        if (!outer || outer->size() != 1) return rejected("line " + std::to_string(i + 1) + ": bad 1059 encoding");
        if (auto r = write_tags(outer->front().value, assume::kWriteTagItem, &sent_by_end_item, "line tags"); !r)
            return std::unexpected(r.error());
        EndItemRequest end;
        end.price = static_cast<std::uint64_t>(line.price.value());
        end.quantity_milli =
            static_cast<std::uint64_t>(line.quantity.micro() / (fiscal::Quantity::kScale / assume::kQuantityScale));
        end.amount = static_cast<std::uint64_t>(line.amount.value());
        end.tax = *assume::tax_byte_for_1199(line.vat_code);
        end.tax_sum = static_cast<std::uint64_t>(line.vat.value());
        end.subject = line.subject;
        end.method = static_cast<std::uint8_t>(line.method);
        end.name = line.name;
        auto req = end.request();
        if (!req) return rejected("line '" + line.name + "': " + req.error().message);
        if (auto r = command(*req, "end item"); !r) return std::unexpected(r.error());
    }

    const std::array<std::pair<std::uint8_t, fiscal::Kopecks>, 5> payments{{
        {assume::kPayCash, receipt.payments.cash},
        {assume::kPayElectronic, receipt.payments.electronic},
        {assume::kPayPrepayment, receipt.payments.prepayment},
        {assume::kPayCredit, receipt.payments.credit},
        {assume::kPayProvision, receipt.payments.provision},
    }};
    for (const auto& [type, sum] : payments) {
        if (sum.is_zero()) continue;
        auto req = MoneyRequest{cmd::kPayment, 0, type, static_cast<std::uint64_t>(sum.value())}.request();
        if (!req) return rejected("payment: " + req.error().message);
        if (auto r = command(*req, "payment"); !r) return std::unexpected(r.error());
    }

    // 4Ah with a zero cash sum: everything was paid by 99h above.
    auto close = MoneyRequest{cmd::kCloseReceipt, 0, assume::kPayCash, 0}.request();
    auto closed = execute(*close, "close receipt");
    if (!closed) {
        // A link failure here may hide a fiscalised receipt: the caller must look at the device.
        DeviceError e = closed.error();
        if (e.device_code < 0) e.maybe_executed = true;
        return std::unexpected(e);
    }

    FiscalResult out;
    auto f = fn_status();
    if (!f) {
        DeviceError e = f.error();
        e.maybe_executed = true;  // fiscalised; only the read-back failed
        return std::unexpected(e);
    }
    out.fn_number = f->fn_number;
    out.fd_number = f->last_fd_number;
    if (auto d = document_by_number(f->last_fd_number)) {
        out.fiscal_sign = d->fiscal_sign;
        out.date_time = d->date_time;
    }
    if (cached_status_) {
        // What this receipt changed in the FN, so the cached status stays true (status_cache_ms).
        cached_status_->last_fd_number = out.fd_number;
        if (cached_status_->ofd_unsent++ == 0) cached_status_->ofd_oldest_unsent = out.date_time;
    }
    if (cached_status_ && options_.clock->steady_now() - cached_at_ < options_.status_cache) {
        // The shift and its receipt count are known while the cached state is fresh: no A4h 10h.
        out.shift_number = cached_status_->shift_number;
        out.receipt_number = ++cached_receipt_number_;
        ++status_reads_skipped_;
        return out;
    }
    if (auto shift = execute(fn_request(fn::kShiftParams), "shift parameters")) {
        if (auto p = FnShiftAnswer::decode(*shift)) {
            out.shift_number = p->shift_number;
            out.receipt_number = p->receipt_number;
            cached_receipt_number_ = p->receipt_number;
        }
    }
    return out;
}

DeviceStatusResult AtolDevice::cancel_receipt() {
    auto s = read_status();
    if (!s) return std::unexpected(s.error());
    if (s->receipt_state == 0) return {};
    if (auto r = enter_mode(mode::kRegistration); !r) return r;
    return command(simple_request(cmd::kCancelReceipt), "cancel receipt");
}

DeviceResult<FiscalDocumentInfo> AtolDevice::last_document() {
    auto f = fn_status();
    if (!f) return std::unexpected(f.error());
    if (f->last_fd_number == 0) return rejected("the FN holds no fiscal documents");
    return document_by_number(f->last_fd_number);
}

DeviceResult<FiscalDocumentInfo> AtolDevice::document_by_number(std::uint32_t number) {
    auto data = execute(find_document_request(number), "find fiscal document");
    if (!data) return std::unexpected(data.error());
    auto d = FnDocumentAnswer::decode(*data);
    if (!d) return device_error(Outcome::RetryLater, "find fiscal document: " + d.error().message);
    return to_info(*d);
}

DeviceStatusResult AtolDevice::print_text(const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
        auto req = print_string_request(line);
        if (!req) return rejected("print_text: " + req.error().message);
        if (auto r = command(*req, "print text"); !r) return std::unexpected(r.error());
    }
    return {};
}

DeviceStatusResult AtolDevice::print_qr(const std::string& payload) {
    constexpr std::size_t kMaxPayload = 2048;
    if (payload.empty() || payload.size() > kMaxPayload)
        return rejected("print_qr: payload must be 1.." + std::to_string(kMaxPayload) + " bytes");
    BarcodeRequest qr;
    qr.type = assume::kBarcodeQr;
    qr.alignment = assume::kAlignCentre;
    qr.data.assign(payload.begin(), payload.end());
    return command(qr.request(), "print QR code");
}

DeviceStatusResult AtolDevice::cut() { return command(cut_request(0), "cut"); }

DeviceStatusResult AtolDevice::continue_print() {
    // No public "continue printing" command (assume A13): the register resumes once paper is in.
    auto code = execute(simple_request(cmd::kStatusCode), "status code");
    if (!code) return std::unexpected(code.error());
    auto c = StatusCodeAnswer::decode(*code);
    if (!c) return device_error(Outcome::RetryLater, "status code: " + c.error().message);
    if (c->flags & printer::kNoPaper)
        return std::unexpected(DeviceError{Outcome::NeedsOperator, err::kNoPaper,
                                           std::string(error_text(err::kNoPaper)), "continue print"});
    return {};
}

DeviceStatusResult AtolDevice::cash(std::uint8_t code, fiscal::Kopecks amount, const std::string& cashier,
                                    const char* what) {
    if (!amount.is_positive()) return rejected(std::string(what) + ": the amount must be positive");
    auto req = MoneyRequest{code, 0, std::nullopt, static_cast<std::uint64_t>(amount.value())}.request();
    if (!req) return rejected(std::string(what) + ": " + req.error().message);
    if (auto r = enter_mode(mode::kRegistration); !r) return r;
    if (auto r = cashier_tags(cashier, {}); !r) return r;
    return command(*req, what);
}

// §2.6 answers a cash operation with no document number: 0.
DeviceResult<std::uint32_t> AtolDevice::cash_in(fiscal::Kopecks amount, const std::string& cashier) {
    if (auto r = cash(cmd::kCashIn, amount, cashier, "cash in"); !r) return std::unexpected(r.error());
    return 0u;
}

DeviceResult<std::uint32_t> AtolDevice::cash_out(fiscal::Kopecks amount, const std::string& cashier) {
    if (auto r = cash(cmd::kCashOut, amount, cashier, "cash out"); !r) return std::unexpected(r.error());
    return 0u;
}

DeviceResult<fiscal::Kopecks> AtolDevice::cash_in_drawer() {
    // 4Dh (commands.hpp kCashSum): answered in any mode, the drawer sum as BCD7 kopecks.
    auto data = execute(simple_request(cmd::kCashSum), "cash in drawer");
    if (!data) return std::unexpected(data.error());
    if (data->size() < kCashSumSize)
        return device_error(Outcome::RetryLater, "cash in drawer: the answer is too short");
    auto sum = read_bcd(std::span<const std::uint8_t>(*data).first(kCashSumSize));
    if (!sum) return device_error(Outcome::RetryLater, "cash in drawer: " + sum.error().message);
    return fiscal::Kopecks{static_cast<std::int64_t>(*sum)};
}

DeviceStatusResult AtolDevice::repeat_document() {
    return command(simple_request(cmd::kReprintLast), "repeat document");
}

Result<std::unique_ptr<FiscalDevice>> make_atol_device(const Uri& uri) {
    auto transport = make_transport(uri);
    if (!transport) return std::unexpected(transport.error());
    auto options = options_from_uri(uri);
    if (!options) return std::unexpected(options.error());
    return std::unique_ptr<FiscalDevice>(std::make_unique<AtolDevice>(std::move(*transport), std::move(*options)));
}

}  // namespace kassa::drivers::atol
