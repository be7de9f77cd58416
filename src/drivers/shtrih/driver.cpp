#include "drivers/shtrih/driver.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "common/log.hpp"
#include "drivers/shtrih/errors.hpp"
#include "fiscal/tlv.hpp"

namespace kassa::drivers::shtrih {

namespace {

std::unexpected<DeviceError> device_error(Outcome outcome, std::string message, bool maybe_executed = false) {
    return std::unexpected(DeviceError{outcome, -1, {}, std::move(message), maybe_executed});
}

// Rows of the FF45 tax sums for an FF46 tax byte (§1.8.3); 5 %/7 % rows have no slot there.
std::optional<std::size_t> tax_slot(std::uint8_t tax) {
    switch (tax) {
        case 0x01:
            return 0;
        case 0x02:
            return 1;
        case 0x04:
            return 2;
        case 0x08:
            return 3;
        case 0x10:
            return 4;
        case 0x20:
            return 5;
        default:
            return std::nullopt;
    }
}

FiscalDocumentInfo to_info(const FoundDocument& d) {
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

Outcome outcome_for_error(std::uint8_t code) {
    switch (code) {
        case err::kOk:
            return Outcome::Done;
        case err::kPrinting:
            return Outcome::RetryNow;  // still printing the previous command
        case 0x2F:                     // FN exchange timeout
        case 0x30:                     // FN does not answer
            return Outcome::RetryLater;
        case err::kNoPaper:
        case err::kWaitContinuePrint:
        case err::kShiftOver24h:
        case err::kFnShiftOver24h:
        case err::kNotInSubmode:  // paper-out sub-modes
        case 0x71:                // cutter
        case 0x77:                // printer sensor
        case 0xC0:                // confirm date
        case 0xC8:                // printer link
            return Outcome::NeedsOperator;
        case err::kFnFailure:
        case 0x04:  // crypto-coprocessor
        case 0x05:  // FN expired / wrong phase
        case 0x06:  // archive overflow
        case 0x12:  // FN resource exhausted
        case 0x14:  // OFD storage exhausted
        case 0x15:  // OFD transfer overdue
        case 0x38:  // ROM
        case 0x39:  // internal software error
            return Outcome::DeviceStopped;
        default:
            return Outcome::Rejected;
    }
}

Result<DriverOptions> options_from_uri(const Uri& uri) {
    DriverOptions o;
    auto pwd = uri.int_param("password", kPasswordSysAdmin);
    if (!pwd) return std::unexpected(pwd.error());
    o.password = static_cast<std::uint32_t>(*pwd);
    auto answer = uri.int_param("answer_timeout_ms", 0);
    if (!answer) return std::unexpected(answer.error());
    if (*answer > 0) o.session.answer_timeout = std::chrono::milliseconds{*answer};
    auto control = uri.int_param("control_timeout_ms", 500);
    if (!control) return std::unexpected(control.error());
    o.session.control_timeout = std::chrono::milliseconds{*control};
    auto max_enq = uri.int_param("max_enq", o.session.max_enq);
    if (!max_enq) return std::unexpected(max_enq.error());
    o.session.max_enq = static_cast<int>(*max_enq);
    o.tlv_before_operation = uri.param("tlv_first") == "1";
    o.session.enq_before_every_command = uri.param("enq_every_command") == "1";
    auto cache = uri.int_param("status_cache_ms", o.status_cache.count());
    if (!cache || *cache < 0) return fail("invalid_uri", "status_cache_ms must be ≥ 0");
    o.status_cache = std::chrono::milliseconds{*cache};
    auto font = uri.int_param("font", 0);
    if (!font || *font < 0 || *font > 255) return fail("invalid_uri", "font must be 0..255");
    o.font = static_cast<std::uint8_t>(*font);
    if (auto name = uri.param("name"); !name.empty()) o.name = name;
    return o;
}

Status check_options(const Uri& uri) {
    static constexpr std::string_view kKnown[] = {// the driver's (driver.hpp), then the transports' (transport.hpp)
                                                  "password",
                                                  "answer_timeout_ms",
                                                  "control_timeout_ms",
                                                  "max_enq",
                                                  "enq_every_command",
                                                  "font",
                                                  "tlv_first",
                                                  "name",
                                                  "status_cache_ms",
                                                  "baud",
                                                  "vid",
                                                  "pid",
                                                  "serial"};
    for (const auto& [key, value] : uri.query) {
        if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
            return fail("invalid_uri", "unknown Shtrih driver option '" + key + "'");
    }
    auto o = options_from_uri(uri);
    if (!o) return std::unexpected(o.error());
    return ok();
}

ShtrihDevice::ShtrihDevice(std::unique_ptr<Transport> transport, DriverOptions options)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      session_(options_.session),
      log_(log::get("drv." + options_.name)) {}

ShtrihDevice::~ShtrihDevice() {
    if (transport_) transport_->close();
}

DeviceResult<Bytes> ShtrihDevice::run(SessionActions actions, const char* what) {
    auto body = run_session(
        session_, *transport_, *options_.clock, std::move(actions),
        [this](std::span<const std::uint8_t> bytes) {
            // A frame carrying tag 1008 holds the buyer's phone or e-mail: never log it raw.
            if (redact_ && bytes.size() > 1) {
                log_->trace("→ FF 0C … (tags with 1008 {})", log::mask_contact(redacted_contact_));
            } else {
                log_->trace("→ {}", hex_of(bytes));
            }
        },
        *log_);
    if (body) return std::move(*body);
    const auto& e = body.error();
    if (e.code == kTransportFailed) {
        cached_status_.reset();  // the device may have changed behind a broken link
        const bool sent = session_.frame_sent();
        session_.abort();
        transport_->close();
        return device_error(Outcome::RetryLater, std::string(what) + ": " + e.message, sent);
    }
    if (e.code == "nothing_pending")
        return std::unexpected(DeviceError{Outcome::Done, -1, {}, "nothing_pending", false});
    log_->warn("{}: {}", what, e.message);
    return device_error(Outcome::RetryLater, std::string(what) + ": " + e.message, e.code == "link_lost");
}

DeviceResult<Bytes> ShtrihDevice::execute(const Request& request, const char* what) {
    if (!transport_->is_open()) {
        if (auto st = transport_->open(); !st) return device_error(Outcome::RetryLater, st.error().message);
    }
    redact_ = false;
    if (request.code == cmd::kSendTlv || request.code == cmd::kSendLineTlv) {
        const auto tlv = std::span(request.data).subspan(std::min<std::size_t>(4, request.data.size()));
        if (auto tlvs = fiscal::decode_tlvs(tlv)) {
            for (const auto& t : *tlvs) {
                if (t.tag == fiscal::tag::kBuyerContact) {
                    redact_ = true;
                    redacted_contact_ = fiscal::decode_string(t.value);
                }
            }
        }
    }
    auto body = run(session_.start(request), what);
    redact_ = false;
    if (!body) return std::unexpected(body.error());
    auto answer = Answer::parse(*body, request.code);
    if (!answer) return device_error(Outcome::RetryLater, std::string(what) + ": " + answer.error().message, true);
    if (answer->error != 0) {
        const auto text = std::string(error_text(answer->error));
        log_->info("{}: device error {:02X}h {}", what, answer->error, text);
        return std::unexpected(DeviceError{outcome_for_error(answer->error), answer->error, text, what, false});
    }
    return std::move(answer->data);
}

DeviceResult<std::optional<Bytes>> ShtrihDevice::recover_pending() {
    if (!transport_->is_open()) {
        if (auto st = transport_->open(); !st) return device_error(Outcome::RetryLater, st.error().message);
    }
    auto body = run(session_.start_recovery(), "recover pending answer");
    if (body) return std::optional<Bytes>(std::move(*body));
    if (body.error().outcome == Outcome::Done) return std::optional<Bytes>{};
    return std::unexpected(body.error());
}

DeviceResult<std::string> ShtrihDevice::fn_number() {
    if (fn_number_) return *fn_number_;
    auto data = execute(password_request(cmd::kFnNumber, options_.password), "read FN number");
    if (!data) return std::unexpected(data.error());
    auto num = FnNumber::decode(*data);
    if (!num) return device_error(Outcome::RetryLater, "FN number: " + num.error().message);
    fn_number_ = num->number;
    return num->number;
}

DeviceResult<DeviceStatus> ShtrihDevice::status() {
    const auto now = options_.clock->steady_now();
    if (cached_status_ && options_.status_cache.count() > 0 && now - cached_at_ < options_.status_cache) {
        // Fresh: only 10h, for what the operator or the printer can change (mode, paper, §1.7).
        auto shrt = execute(password_request(cmd::kShortStatus, options_.password), "short status");
        if (!shrt) return std::unexpected(shrt.error());
        auto s = ShortStatus::decode(*shrt);
        if (!s) return device_error(Outcome::RetryLater, "short status: " + s.error().message);
        const int mode = s->mode & 0x0F;
        const bool shift_open = mode == 2 || mode == 3 || mode == 8;
        if (shift_open == cached_status_->shift_open) {
            DeviceStatus st = *cached_status_;
            st.mode = mode;
            st.submode = s->submode;
            st.receipt_open = mode == 8;
            st.shift_expired = mode == 3;
            st.paper_ok = (s->flags & flags::kReceiptOptical) != 0 && (st.submode < 1 || st.submode > 3);
            st.awaiting_continue_print = st.submode == 3;
            constexpr int kSkipped = 6;  // 11h, FF01h, FF40h, FF03h, FF39h, FF0Ah
            status_reads_skipped_ += kSkipped;
            log_->debug("status: cached state is fresh; skipped 11h, FF01h, FF40h, FF03h, FF39h, FF0Ah");
            return st;
        }
    }
    auto st = full_status();
    if (st) {
        cached_status_ = *st;
        cached_at_ = now;
    } else {
        cached_status_.reset();
    }
    return st;
}

DeviceResult<DeviceStatus> ShtrihDevice::full_status() {
    DeviceStatus st;
    auto shrt = execute(password_request(cmd::kShortStatus, options_.password), "short status");
    if (!shrt) return std::unexpected(shrt.error());
    auto s = ShortStatus::decode(*shrt);
    if (!s) return device_error(Outcome::RetryLater, "short status: " + s.error().message);
    st.mode = s->mode & 0x0F;
    st.submode = s->submode;
    st.receipt_open = st.mode == 8;
    st.shift_expired = st.mode == 3;
    st.paper_ok = (s->flags & flags::kReceiptOptical) != 0 && (st.submode < 1 || st.submode > 3);
    st.awaiting_continue_print = st.submode == 3;  // §1.7: paper loaded after an active paper-out

    // 11h carries the INN (6 bytes LE; all FF = not registered), §1.8.1.
    auto full = execute(password_request(cmd::kFullStatus, options_.password), "full status");
    if (!full) return std::unexpected(full.error());
    if (auto fs = FullStatus::decode(*full); fs && fs->inn != 0xFFFF'FFFF'FFFFull) st.inn = std::to_string(fs->inn);

    auto fn = execute(password_request(cmd::kFnStatus, options_.password), "FN status");
    if (!fn) return std::unexpected(fn.error());
    auto f = FnStatus::decode(*fn);
    if (!f) return device_error(Outcome::RetryLater, "FN status: " + f.error().message);
    st.fn_number = f->fn_number;
    fn_number_ = f->fn_number;
    st.last_fd_number = f->last_fd_number;

    auto sh = execute(password_request(cmd::kShiftParams, options_.password), "shift parameters");
    if (!sh) return std::unexpected(sh.error());
    auto p = ShiftParams::decode(*sh);
    if (!p) return device_error(Outcome::RetryLater, "shift parameters: " + p.error().message);
    st.shift_open = p->open;
    st.shift_number = p->shift_number;
    cached_receipt_number_ = p->receipt_number;

    if (auto exp = execute(password_request(cmd::kFnExpiry, options_.password), "FN expiry")) {
        if (auto e = FnExpiry::decode(*exp)) st.fn_expiry = DateTime{e->year, e->month, e->day, 0, 0}.to_time_point();
    } else if (exp.error().outcome != Outcome::Rejected) {
        return std::unexpected(exp.error());
    }

    auto ofd = execute(password_request(cmd::kOfdStatus, options_.password), "OFD status");
    if (!ofd) return std::unexpected(ofd.error());
    if (auto o = OfdStatus::decode(*ofd)) {
        st.ofd_unsent = o->queued;
        if (o->queued > 0) st.ofd_oldest_unsent = o->first_date_time.to_time_point();
    }

    // The opening time is the date of the shift-open report: the first document of the shift,
    // which sits just before its receipts in the archive. Look there and a few documents back.
    if (st.shift_open && st.last_fd_number > 0) {
        const std::int64_t guess = static_cast<std::int64_t>(st.last_fd_number) - p->receipt_number;
        for (std::int64_t n = guess; n >= 1 && n > guess - 8; --n) {
            auto doc = execute(FindDocumentRequest{options_.password, static_cast<std::uint32_t>(n)}.request(),
                               "find shift-open report");
            if (!doc) break;
            auto d = FoundDocument::decode(*doc);
            if (d && d->type == doc_type::kShiftOpen) {
                st.shift_opened_at = d->date_time.to_time_point();
                break;
            }
        }
    }
    return st;
}

DeviceStatusResult ShtrihDevice::send_tlvs(std::uint16_t code, std::span<const std::uint8_t> buffer,
                                           std::span<const fiscal::TagSpan> spans, const char* what) {
    // Whole TLVs, packed into commands of at most 250 bytes (§1.8.4), cut at the encoder's tag
    // boundaries: nothing is parsed again here.
    TlvRequest req{code, options_.password, {}};
    auto flush = [&]() -> DeviceStatusResult {
        if (req.tlv.empty()) return {};
        auto r = execute(req.request(), what);
        req.tlv.clear();
        if (!r) return std::unexpected(r.error());
        return {};
    };
    for (const auto& sp : spans) {
        if (sp.size > kMaxTlvPerCommand)
            return device_error(Outcome::Rejected, std::string(what) + ": tag " + std::to_string(sp.tag) + " too long");
        if (req.tlv.size() + sp.size > kMaxTlvPerCommand) {
            if (auto r = flush(); !r) return r;
        }
        const auto one = buffer.subspan(sp.offset, sp.size);
        req.tlv.insert(req.tlv.end(), one.begin(), one.end());
    }
    return flush();
}

DeviceStatusResult ShtrihDevice::send_cashier(const std::string& cashier, const std::string& cashier_inn,
                                              const char* what) {
    fiscal::TlvWriter w;
    if (auto st = w.put_string(fiscal::tag::kCashier, cashier); !st)
        return device_error(Outcome::Rejected, std::string(what) + ": " + st.error().message);
    if (!cashier_inn.empty()) {
        if (auto st = w.put_string(fiscal::tag::kCashierInn, cashier_inn); !st)
            return device_error(Outcome::Rejected, std::string(what) + ": " + st.error().message);
    }
    return send_tlvs(cmd::kSendTlv, w.bytes(), w.spans(), what);
}

DeviceStatusResult ShtrihDevice::open_shift(const std::string& cashier, const std::string& cashier_inn) {
    cached_status_.reset();  // a new shift: number and opening time change
    if (cashier.empty()) {
        auto r = execute(password_request(cmd::kOpenShift, options_.password), "open shift");
        if (!r) return std::unexpected(r.error());
        return {};
    }
    // With a cashier: the low-level steps FF41h, FF0Ch (1021, 1203), FF0Bh (§1.9).
    if (auto r = execute(password_request(cmd::kBeginOpenShift, options_.password), "begin opening shift"); !r)
        return std::unexpected(r.error());
    if (auto r = send_cashier(cashier, cashier_inn, "shift-open cashier tags"); !r) return r;
    auto r = execute(password_request(cmd::kOpenShiftFn, options_.password), "open shift in FN");
    if (!r) return std::unexpected(r.error());
    return {};
}

DeviceStatusResult ShtrihDevice::close_shift(const std::string& cashier, const std::string& cashier_inn) {
    cached_status_.reset();
    if (cashier.empty()) {
        auto r = execute(password_request(cmd::kZReport, options_.password), "close shift (Z report)");
        if (!r) return std::unexpected(r.error());
        return {};
    }
    // With a cashier: FF42h, FF0Ch (1021, 1203), FF43h (§1.9).
    if (auto r = execute(password_request(cmd::kBeginCloseShift, options_.password), "begin closing shift"); !r)
        return std::unexpected(r.error());
    if (auto r = send_cashier(cashier, cashier_inn, "shift-close cashier tags"); !r) return r;
    auto r = execute(password_request(cmd::kCloseShiftFn, options_.password), "close shift in FN");
    if (!r) return std::unexpected(r.error());
    return {};
}

DeviceStatusResult ShtrihDevice::x_report() {
    auto r = execute(password_request(cmd::kXReport, options_.password), "X report");
    if (!r) return std::unexpected(r.error());
    return {};
}

DeviceResult<FiscalResult> ShtrihDevice::fiscalise(const fiscal::Receipt& receipt) {
    // Sums are validated once, upstream in src/fiscal (and again by the device); here only what is
    // Shtrih's: every line's 1199 needs a row of the FF46 tax table (§1.8.2).
    if (receipt.lines.empty()) return device_error(Outcome::Rejected, "receipt without lines");
    for (const auto& line : receipt.lines) {
        if (!tax_byte_for_1199(line.vat_code))
            return device_error(Outcome::Rejected, "line '" + line.name + "': no Shtrih tax row for tag 1199 = " +
                                                       std::to_string(line.vat_code));
    }
    // The one FFD encoder (src/fiscal): the driver forwards its tags and cuts at its boundaries.
    auto encoded = fiscal::encode_receipt(receipt);
    if (!encoded) return device_error(Outcome::Rejected, "receipt: " + encoded.error().message);
    // 8Dh open receipt: type = 1054 − 1, +0x80 for a correction receipt (§1.8, §1.9).
    OpenReceiptRequest open{options_.password, static_cast<std::uint8_t>((static_cast<int>(receipt.sign) - 1) |
                                                                         (receipt.is_correction() ? 0x80 : 0x00))};
    auto opened = execute(open.request(), "open receipt");
    if (!opened && opened.error().device_code == err::kReceiptOpen) {
        // An unfinished receipt from an earlier attempt: nothing of it is fiscalised; cancel it.
        log_->warn("a receipt was left open on the device; cancelling it");
        if (auto c = execute(password_request(cmd::kCancelReceipt, options_.password), "cancel stale receipt"); !c)
            return std::unexpected(c.error());
        opened = execute(open.request(), "open receipt");
    }
    if (!opened && opened.error().device_code != err::kNotSupported) return std::unexpected(opened.error());

    auto result = fiscalise_open(receipt, *encoded);
    if (!result && result.error().device_code >= 0) {
        // The device refused part of the receipt: nothing was fiscalised; leave it clean.
        if (auto c = execute(password_request(cmd::kCancelReceipt, options_.password), "cancel receipt"); !c)
            log_->warn("cancelling the refused receipt failed: {}", c.error().to_string());
    }
    return result;
}

namespace {

// What FF46h and FF45h already carry as command fields (§1.8.2, §1.8.3): not sent again as TLVs.
bool carried_by_commands(std::uint16_t tag) {
    switch (tag) {
        case fiscal::tag::kCalcSign:
        case fiscal::tag::kTaxSystem:
        case fiscal::tag::kCash:
        case fiscal::tag::kElectronic:
        case fiscal::tag::kPrepayment:
        case fiscal::tag::kCredit:
        case fiscal::tag::kProvision:
        case fiscal::tag::kTotal:
        case fiscal::tag::kItemName:
        case fiscal::tag::kPrice:
        case fiscal::tag::kQuantity:
        case fiscal::tag::kItemAmount:
        case fiscal::tag::kVatCode:
        case fiscal::tag::kVatSum:
        case fiscal::tag::kPaymentMethod:
        case fiscal::tag::kSubject:
            return true;
        default:
            return false;
    }
}

std::vector<fiscal::TagSpan> tags_to_send(const std::vector<fiscal::TagSpan>& spans) {
    std::vector<fiscal::TagSpan> out;
    for (const auto& sp : spans)
        if (!carried_by_commands(sp.tag)) out.push_back(sp);
    return out;
}

}  // namespace

DeviceResult<FiscalResult> ShtrihDevice::fiscalise_open(const fiscal::Receipt& receipt,
                                                        const fiscal::EncodedReceipt& encoded) {
    // Receipt-level tags via FF0Ch (§1.8.2 typical sequence step 2; strings CP866, §1.4): 1008,
    // 1021, 1203, 1009, 1187, 1192, 1173/1174 as the encoder wrote them.
    if (auto r = send_tlvs(cmd::kSendTlv, encoded.document, tags_to_send(encoded.document_tags), "receipt tags"); !r)
        return std::unexpected(r.error());

    std::array<std::uint64_t, 6> taxes{};
    for (std::size_t i = 0; i < receipt.lines.size(); ++i) {
        const auto& line = receipt.lines[i];
        OperationV2 op;
        op.password = options_.password;
        op.operation = static_cast<std::uint8_t>(receipt.sign);
        op.quantity_micro = line.quantity.micro();
        op.price = static_cast<std::uint64_t>(line.price.value());
        op.amount = static_cast<std::uint64_t>(line.amount.value());
        op.tax_amount = static_cast<std::uint64_t>(line.vat.value());
        op.tax = *tax_byte_for_1199(line.vat_code);
        op.department = 1;
        op.method = static_cast<std::uint8_t>(line.method);
        op.subject = line.subject;
        op.name = line.name;
        if (auto slot = tax_slot(op.tax)) taxes[*slot] += op.tax_amount;
        // The line's other tags (2108 measure, mandatory in FFD 1.2) go with FF4Dh.
        const auto item = tags_to_send(encoded.line_tags[i]);
        if (options_.tlv_before_operation) {
            if (auto r = send_tlvs(cmd::kSendLineTlv, encoded.lines[i], item, "line tags"); !r)
                return std::unexpected(r.error());
        }
        if (auto r = execute(op.request(), "receipt line"); !r) return std::unexpected(r.error());
        if (!options_.tlv_before_operation) {
            if (auto r = send_tlvs(cmd::kSendLineTlv, encoded.lines[i], item, "line tags"); !r)
                return std::unexpected(r.error());
        }
    }

    // FF45h: cash → 1031, type 2 → 1081, 14 → 1215, 15 → 1216, 16 → 1217 (§1.8.3).
    CloseReceiptV2 close;
    close.password = options_.password;
    close.payments[0] = static_cast<std::uint64_t>(receipt.payments.cash.value());
    close.payments[1] = static_cast<std::uint64_t>(receipt.payments.electronic.value());
    close.payments[13] = static_cast<std::uint64_t>(receipt.payments.prepayment.value());
    close.payments[14] = static_cast<std::uint64_t>(receipt.payments.credit.value());
    close.payments[15] = static_cast<std::uint64_t>(receipt.payments.provision.value());
    close.taxes = taxes;
    close.tax_system = static_cast<std::uint8_t>(receipt.tax_system);
    auto closed = execute(close.request(), "close receipt");
    if (!closed) {
        // A link failure here may hide a fiscalised receipt: the caller must look at the device.
        DeviceError e = closed.error();
        if (e.device_code < 0) e.maybe_executed = true;
        return std::unexpected(e);
    }
    auto answer = CloseReceiptV2Answer::decode(*closed);
    if (!answer) return device_error(Outcome::RetryLater, "close receipt: " + answer.error().message, true);

    FiscalResult out;
    out.fd_number = answer->fd_number;
    if (cached_status_) {
        // What this receipt changed in the FN, so the cached status stays true (status_cache_ms).
        cached_status_->last_fd_number = answer->fd_number;
        if (cached_status_->ofd_unsent++ == 0 && answer->date_time)
            cached_status_->ofd_oldest_unsent = answer->date_time->to_time_point();
    }
    out.fiscal_sign = answer->fiscal_sign;
    if (answer->date_time) {
        out.date_time = answer->date_time->to_time_point();
    } else if (auto d = document_by_number(answer->fd_number)) {
        out.date_time = d->date_time;
    }
    if (auto num = fn_number()) out.fn_number = *num;
    if (cached_status_ && options_.clock->steady_now() - cached_at_ < options_.status_cache) {
        // The shift and its receipt count are known while the cached state is fresh: no FF40h.
        out.shift_number = cached_status_->shift_number;
        out.receipt_number = ++cached_receipt_number_;
        ++status_reads_skipped_;
        return out;
    }
    auto shift = execute(password_request(cmd::kShiftParams, options_.password), "shift parameters");
    if (shift) {
        if (auto p = ShiftParams::decode(*shift)) {
            out.shift_number = p->shift_number;
            out.receipt_number = p->receipt_number;
            cached_receipt_number_ = p->receipt_number;
        }
    }
    return out;
}

DeviceStatusResult ShtrihDevice::cancel_receipt() {
    auto s = execute(password_request(cmd::kShortStatus, options_.password), "short status");
    if (!s) return std::unexpected(s.error());
    auto st = ShortStatus::decode(*s);
    if (!st) return device_error(Outcome::RetryLater, "short status: " + st.error().message);
    if ((st->mode & 0x0F) != 8) return {};
    auto r = execute(password_request(cmd::kCancelReceipt, options_.password), "cancel receipt");
    if (!r) return std::unexpected(r.error());
    return {};
}

DeviceResult<FiscalDocumentInfo> ShtrihDevice::last_document() {
    auto fn = execute(password_request(cmd::kFnStatus, options_.password), "FN status");
    if (!fn) return std::unexpected(fn.error());
    auto f = FnStatus::decode(*fn);
    if (!f) return device_error(Outcome::RetryLater, "FN status: " + f.error().message);
    if (f->last_fd_number == 0) return device_error(Outcome::Rejected, "the FN holds no fiscal documents");
    return document_by_number(f->last_fd_number);
}

DeviceResult<FiscalDocumentInfo> ShtrihDevice::document_by_number(std::uint32_t number) {
    auto data = execute(FindDocumentRequest{options_.password, number}.request(), "find fiscal document");
    if (!data) return std::unexpected(data.error());
    auto d = FoundDocument::decode(*data);
    if (!d) return device_error(Outcome::RetryLater, "find fiscal document: " + d.error().message);
    return to_info(*d);
}

DeviceStatusResult ShtrihDevice::print_text(const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
        const Request req = options_.font
                                ? PrintFontStringRequest{options_.password, 0x02, options_.font, line}.request()
                                : PrintStringRequest{options_.password, 0x02, line}.request();
        if (auto r = execute(req, "print text"); !r) return std::unexpected(r.error());
    }
    return {};
}

DeviceStatusResult ShtrihDevice::print_qr(const std::string& payload) {
    // The payload goes in 64-byte blocks (DDh), then one DEh prints it as a QR code, centred.
    constexpr std::size_t kMaxBlocks = 128;
    if (payload.empty() || payload.size() > kMaxBlocks * kDataBlock)
        return device_error(Outcome::Rejected,
                            "print_qr: payload must be 1.." + std::to_string(kMaxBlocks * kDataBlock) + " bytes");
    for (std::size_t block = 0; block * kDataBlock < payload.size(); ++block) {
        const auto part = std::string_view(payload).substr(block * kDataBlock, kDataBlock);
        LoadDataRequest load{options_.password, 0, static_cast<std::uint8_t>(block), Bytes(part.begin(), part.end())};
        if (auto r = execute(load.request(), "load QR data"); !r) return std::unexpected(r.error());
    }
    Print2DBarcodeRequest print;
    print.password = options_.password;
    print.length = static_cast<std::uint16_t>(payload.size());
    if (auto r = execute(print.request(), "print QR code"); !r) return std::unexpected(r.error());
    return {};
}

DeviceStatusResult ShtrihDevice::cut() {
    auto r = execute(CutRequest{options_.password, 0}.request(), "cut");
    if (!r) return std::unexpected(r.error());
    return {};
}

DeviceStatusResult ShtrihDevice::simple(std::uint16_t code, const char* what) {
    auto r = execute(password_request(code, options_.password), what);
    if (!r) return std::unexpected(r.error());
    return {};
}

DeviceStatusResult ShtrihDevice::continue_print() {
    // §1.7: only sub-mode 3 waits for B0h; elsewhere there is nothing to continue.
    auto s = execute(password_request(cmd::kShortStatus, options_.password), "short status");
    if (!s) return std::unexpected(s.error());
    auto st = ShortStatus::decode(*s);
    if (!st) return device_error(Outcome::RetryLater, "short status: " + st.error().message);
    if (st->submode != 3) {
        if (st->submode == 1 || st->submode == 2)
            return std::unexpected(DeviceError{Outcome::NeedsOperator, err::kNoPaper,
                                               std::string(error_text(err::kNoPaper)), "continue printing", false});
        return {};
    }
    return simple(cmd::kContinuePrint, "continue printing");
}

DeviceResult<std::uint32_t> ShtrihDevice::cash(std::uint16_t code, fiscal::Kopecks amount, const std::string& cashier,
                                               const char* what) {
    if (!amount.is_positive() || amount.value() > 9'999'999'999)
        return device_error(Outcome::Rejected, std::string(what) + ": the sum must be 0.01 .. 99 999 999.99");
    // 50h/51h carry no cashier name: the document names the operator of the password (§1.6).
    if (!cashier.empty()) log_->debug("{} {} by {}", what, amount.to_roubles_string(), cashier);
    auto r = execute(CashRequest{code, options_.password, static_cast<std::uint64_t>(amount.value())}.request(), what);
    if (!r) {
        auto e = r.error();
        if (e.device_code == err::kNotEnoughCash) e.reason = "not_enough_cash";  // §1.10 46h
        return std::unexpected(std::move(e));
    }
    // The answer names the KKT's document through-number (commands.hpp CashAnswer).
    auto answer = CashAnswer::decode(*r);
    return answer ? std::uint32_t{answer->document_number} : 0u;
}

DeviceResult<std::uint32_t> ShtrihDevice::cash_in(fiscal::Kopecks amount, const std::string& cashier) {
    return cash(cmd::kCashIn, amount, cashier, "cash in");
}

DeviceResult<std::uint32_t> ShtrihDevice::cash_out(fiscal::Kopecks amount, const std::string& cashier) {
    return cash(cmd::kCashOut, amount, cashier, "cash out");
}

DeviceResult<fiscal::Kopecks> ShtrihDevice::cash_in_drawer() {
    // 1Ah with register 241 (commands.hpp MoneyRegisterRequest): the drawer sum in kopecks.
    auto r = execute(MoneyRegisterRequest{options_.password, kCashInDrawerRegister}.request(), "cash in drawer");
    if (!r) return std::unexpected(r.error());
    auto answer = MoneyRegisterAnswer::decode(*r);
    if (!answer) return device_error(Outcome::RetryLater, "cash in drawer: the answer does not read");
    return fiscal::Kopecks{static_cast<std::int64_t>(answer->value)};
}

DeviceStatusResult ShtrihDevice::repeat_document() {
    auto r = simple(cmd::kRepeatDocument, "repeat document");
    if (!r && r.error().device_code == err::kNoDocumentToRepeat) {  // §1.10 56h
        auto e = r.error();
        e.reason = "no_document";
        return std::unexpected(std::move(e));
    }
    return r;
}

Result<std::unique_ptr<FiscalDevice>> make_shtrih_device(const Uri& uri) {
    auto transport = make_transport(uri);
    if (!transport) return std::unexpected(transport.error());
    auto options = options_from_uri(uri);
    if (!options) return std::unexpected(options.error());
    return std::unique_ptr<FiscalDevice>(std::make_unique<ShtrihDevice>(std::move(*transport), std::move(*options)));
}

}  // namespace kassa::drivers::shtrih
