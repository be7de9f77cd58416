#include "simulators/atol/device.hpp"

#include <chrono>

#include "drivers/atol/assumptions.hpp"
#include "drivers/atol/errors.hpp"
#include "fiscal/tlv.hpp"

namespace kassa::sim::atol {

namespace at = drivers::atol;
namespace err = drivers::atol::err;
namespace cmd = drivers::atol::cmd;

namespace {

Bytes answer(std::uint8_t code, std::uint8_t error, Bytes data = {}) {
    return at::Answer{error, 0, std::move(data)}.encode(code);
}

at::FnDateTime date_time_of(std::int64_t unix_time) {
    return at::FnDateTime::from(std::chrono::system_clock::time_point{std::chrono::seconds{unix_time}});
}

}  // namespace

AtolSimDevice::AtolSimDevice(FnState state, std::string state_path, const Clock& clock,
                             std::optional<std::uint64_t> paper_out_after)
    : fn_(std::move(state), std::move(state_path), clock), clock_(clock), paper_out_after_(paper_out_after) {}

std::uint8_t AtolSimDevice::fn_error(std::uint8_t fn_code) {
    switch (fn_code) {
        case fn::error::kShiftOver24h:
            return err::kFnShiftOver24h;
        case fn::error::kFormat:
            return err::kWrongFormat;
        default:
            return err::kFnWrongState;
    }
}

void AtolSimDevice::printed(std::string line) {
    last_document_ = line;
    tape_.push_back(std::move(line));
}

Bytes AtolSimDevice::handle(std::span<const std::uint8_t> request) {
    fn_.ofd_pump();  // the OFD's tickets that arrived meanwhile (fn.hpp)
    auto req = at::Request::parse(request);
    if (!req) return answer(0, err::kWrongLength);
    return dispatch(*req);
}

Bytes AtolSimDevice::status() const {
    at::StatusAnswer s;
    s.cashier = 30;
    const auto now = at::FnDateTime::from(clock_.now());
    s.date_time = {static_cast<std::uint8_t>(now.year % 100), static_cast<std::uint8_t>(now.month),
                   static_cast<std::uint8_t>(now.day),        static_cast<std::uint8_t>(now.hour),
                   static_cast<std::uint8_t>(now.minute),     0};
    s.flags = 0x01;  // fiscalised
    if (fn().shift_open) s.flags |= at::assume::kStatusFlagShiftOpen;
    if (paper_.sensed()) s.flags |= at::assume::kStatusFlagPaperPresent;
    s.serial = 12345678;
    s.model = 61;
    s.mode = mode_;
    s.receipt_number = static_cast<std::uint16_t>(fn().receipts_in_shift + 1);
    s.shift_number = fn().shift_number;
    s.receipt_state = receipt_ ? receipt_->type : 0;
    s.receipt_sum = receipt_ ? receipt_->total : 0;
    s.port = 4;
    return answer(cmd::kStatus, 0, s.encode());
}

Bytes AtolSimDevice::dispatch(const at::Request& req) {
    const auto code = req.code;
    const auto& p = req.params;
    const bool prints = code == cmd::kOpenShift || code == cmd::kOpenReceipt || code == cmd::kZReport ||
                        code == cmd::kReport || code == cmd::kPrintString || code == cmd::kPrintBarcode ||
                        code == cmd::kCashIn || code == cmd::kCashOut || code == cmd::kReprintLast;
    if (prints && !paper_.can_print()) return answer(code, err::kNoPaper);
    switch (code) {
        case cmd::kStatus:
            return status();
        case cmd::kStatusCode: {
            const std::uint8_t flags = paper_.can_print() ? 0 : at::printer::kNoPaper;
            return answer(code, 0, at::StatusCodeAnswer{mode_, flags}.encode());
        }
        case cmd::kDeviceType: {
            at::DeviceTypeAnswer t;
            t.protocol = 3;
            t.model = 61;
            t.name = "АТОЛ симулятор";
            return answer(code, 0, t.encode());
        }
        case cmd::kEnterMode: {
            auto m = at::EnterModeRequest::decode(p);
            if (!m) return answer(code, err::kWrongLength);
            if (mode_ != at::mode::kSelect) return answer(code, err::kNotInThisMode);
            if (m->password != at::assume::kModePassword && m->password != 29) return answer(code, err::kWrongPassword);
            mode_ = m->mode;
            return answer(code, 0);
        }
        case cmd::kExitMode:
            if (receipt_) return answer(code, err::kReceiptOpen);
            mode_ = at::mode::kSelect;
            return answer(code, 0);
        case cmd::kWriteTag: {
            auto w = at::WriteTagRequest::decode(p);
            if (!w) return answer(code, err::kWrongFormat);
            Bytes& into = receipt_
                              ? ((w->flags & at::assume::kWriteTagItem) && receipt_->item_tags ? *receipt_->item_tags
                                                                                               : receipt_->tags)
                              : pending_tags_;
            into.insert(into.end(), w->tlv.begin(), w->tlv.end());
            return answer(code, 0);
        }
        case cmd::kOpenShift: {
            if (mode_ != at::mode::kRegistration) return answer(code, err::kNotInThisMode);
            if (fn().shift_open) return answer(code, err::kShiftOpen);
            auto doc = fn_.open_shift(std::exchange(pending_tags_, {}));
            if (!doc) return answer(code, fn_error(doc.error().code));
            printed("shift " + std::to_string(fn().shift_number) + " opened");
            return answer(code, 0);
        }
        case cmd::kZReport: {
            if (mode_ != at::mode::kZReports) return answer(code, err::kNotInThisMode);
            if (!fn().shift_open) return answer(code, err::kFnWrongState);
            auto doc = fn_.close_shift(std::exchange(pending_tags_, {}));
            if (!doc) return answer(code, fn_error(doc.error().code));
            printed("shift " + std::to_string(fn().shift_number) + " closed");
            return answer(code, 0);
        }
        case cmd::kReport:
            if (mode_ != at::mode::kXReports) return answer(code, err::kNotInThisMode);
            printed("X report");
            return answer(code, 0);
        case cmd::kOpenReceipt: {
            if (mode_ != at::mode::kRegistration) return answer(code, err::kNotInThisMode);
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (p.size() != 2) return answer(code, err::kWrongLength);
            auto sign = at::calc_sign_for(p[1]);
            if (!sign) return answer(code, err::kWrongReceiptType);
            if (!fn().shift_open) return answer(code, err::kFnWrongState);
            if (fn_.shift_expired()) return answer(code, err::kShiftOver24h);
            if (!paper_.can_print()) return answer(code, err::kNoPaper);
            receipt_ = OpenReceipt{};
            receipt_->type = p[1];
            receipt_->sign = sign->first;
            receipt_->correction = sign->second;
            receipt_->tags = std::exchange(pending_tags_, {});
            return answer(code, 0);
        }
        case cmd::kBeginItem:
            if (!receipt_) return answer(code, err::kReceiptClosed);
            receipt_->item_tags = Bytes{};
            return answer(code, 0);
        case cmd::kEndItem:
            return end_item(req);
        case cmd::kPayment: {
            if (!receipt_) return answer(code, err::kReceiptClosed);
            auto m = at::MoneyRequest::decode(code, p);
            if (!m) return answer(code, err::kWrongLength);
            if (*m->type < 1 || *m->type > 5) return answer(code, err::kWrongPaymentType);
            receipt_->paid[*m->type - 1] += m->sum;
            std::uint64_t paid = 0;
            for (const auto v : receipt_->paid) paid += v;
            const auto remainder = paid >= receipt_->total ? 0 : receipt_->total - paid;
            const auto change = paid > receipt_->total ? paid - receipt_->total : 0;
            return answer(code, 0, at::PaymentAnswer{remainder, change}.encode());
        }
        case cmd::kCloseReceipt:
            return close_receipt(req);
        case cmd::kCancelReceipt:
            if (!receipt_) return answer(code, err::kReceiptClosed);
            receipt_.reset();
            printed("receipt cancelled");
            return answer(code, 0);
        case cmd::kCashSum: {  // 4Dh: the drawer sum, BCD7 kopecks (commands.hpp kCashSum)
            Bytes sum;
            const auto drawer = fn().cash_in_drawer;
            at::put_bcd(sum, drawer > 0 ? static_cast<std::uint64_t>(drawer) : 0, at::kCashSumSize);
            return answer(code, 0, sum);
        }
        case cmd::kCashIn:
        case cmd::kCashOut:
            return cash(req);
        case cmd::kPrintString:
            printed(at::from_atol_text(p));
            return answer(code, 0);
        case cmd::kPrintBarcode: {
            auto b = at::BarcodeRequest::decode(p);
            if (!b) return answer(code, err::kWrongFormat);
            printed("QR " + std::string(b->data.begin(), b->data.end()));
            return answer(code, 0);
        }
        case cmd::kCut:
            return answer(code, 0);
        case cmd::kReprintLast:
            if (last_document_.empty()) return answer(code, err::kNoReports);
            tape_.push_back("copy: " + last_document_);
            return answer(code, 0);
        case cmd::kFn:
            return fn_query(p);
        default:
            return answer(code, err::kNotSupported);
    }
}

Bytes AtolSimDevice::end_item(const at::Request& req) {
    const auto code = req.code;
    if (!receipt_ || !receipt_->item_tags) return answer(code, err::kReceiptClosed);
    auto item = at::EndItemRequest::decode(req.params);
    if (!item) return answer(code, err::kWrongFormat);
    if (item->quantity_milli == 0) return answer(code, err::kWrongQuantity);
    // The line as the ФН keeps it (1059), from EBh and the E8h requisites written for this item.
    fiscal::TlvWriter line;
    const auto qty = fiscal::Quantity::from_micro(static_cast<std::int64_t>(item->quantity_milli) *
                                                  (fiscal::Quantity::kScale / at::assume::kQuantityScale));
    bool ok = line.put_string(fiscal::tag::kItemName, item->name).has_value();
    ok = ok && line.put_vln(fiscal::tag::kPrice, static_cast<std::int64_t>(item->price)).has_value();
    ok = ok && line.put_fvln(fiscal::tag::kQuantity, qty).has_value();
    ok = ok && line.put_vln(fiscal::tag::kItemAmount, static_cast<std::int64_t>(item->amount)).has_value();
    if (!ok) return answer(code, err::kWrongPrice);
    line.put_byte(fiscal::tag::kVatCode, item->tax);
    line.put_byte(fiscal::tag::kPaymentMethod, item->method);
    line.put_byte(fiscal::tag::kSubject, item->subject);
    if (!line.put_vln(fiscal::tag::kVatSum, static_cast<std::int64_t>(item->tax_sum)))
        return answer(code, err::kWrongPrice);
    Bytes inner = line.take();
    inner.insert(inner.end(), receipt_->item_tags->begin(), receipt_->item_tags->end());
    fiscal::TlvWriter outer;
    if (!outer.put_raw(fiscal::tag::kItem, inner)) return answer(code, err::kReceiptTooLarge);
    receipt_->lines.push_back(outer.take());
    receipt_->item_tags.reset();
    receipt_->total += item->amount;
    return answer(code, 0);
}

Bytes AtolSimDevice::close_receipt(const at::Request& req) {
    const auto code = req.code;
    if (!receipt_) return answer(code, err::kReceiptClosed);
    auto m = at::MoneyRequest::decode(code, req.params);
    if (!m) return answer(code, err::kWrongLength);
    if (*m->type < 1 || *m->type > 5) return answer(code, err::kWrongPaymentType);
    auto& r = *receipt_;
    r.paid[*m->type - 1] += m->sum;
    std::uint64_t paid = 0;
    for (const auto v : r.paid) paid += v;
    if (paid < r.total) return answer(code, err::kPaymentsBelowTotal);
    // Only cash gives change: the non-cash forms may not exceed the total.
    const auto change = paid - r.total;
    if (change > r.paid[0]) return answer(code, err::kPaymentsBelowTotal);

    fiscal::TlvWriter doc;
    doc.put_byte(fiscal::tag::kCalcSign, r.sign);
    Bytes tlv = doc.take();
    tlv.insert(tlv.end(), r.tags.begin(), r.tags.end());
    for (const auto& line : r.lines) tlv.insert(tlv.end(), line.begin(), line.end());
    static constexpr std::uint16_t kPayTags[] = {fiscal::tag::kCash, fiscal::tag::kElectronic, fiscal::tag::kPrepayment,
                                                 fiscal::tag::kCredit, fiscal::tag::kProvision};
    for (std::size_t i = 0; i < 5; ++i) {
        const auto sum = i == 0 ? r.paid[0] - change : r.paid[i];
        (void)doc.put_vln(kPayTags[i], static_cast<std::int64_t>(sum));
    }
    (void)doc.put_vln(fiscal::tag::kTotal, static_cast<std::int64_t>(r.total));
    const auto tail = doc.take();
    tlv.insert(tlv.end(), tail.begin(), tail.end());

    auto archived = fn_.receipt(r.correction, tlv);
    if (!archived) return answer(code, fn_error(archived.error().code));
    const auto kept = static_cast<std::int64_t>(r.paid[0] - change);
    fn_.registers().cash_in_drawer += (r.sign == 1 || r.sign == 4) ? kept : -kept;
    fn_.save();
    ++receipts_this_run_;
    printed("receipt " + std::to_string((*archived)->number) + " total " + std::to_string(r.total));
    receipt_.reset();
    if (paper_out_after_ && receipts_this_run_ == *paper_out_after_) paper_.run_out();
    return answer(code, 0);
}

Bytes AtolSimDevice::cash(const at::Request& req) {
    const auto code = req.code;
    if (mode_ != at::mode::kRegistration) return answer(code, err::kNotInThisMode);
    if (receipt_) return answer(code, err::kReceiptOpen);
    auto m = at::MoneyRequest::decode(code, req.params);
    if (!m) return answer(code, err::kWrongLength);
    auto& drawer = fn_.registers().cash_in_drawer;
    const auto sum = static_cast<std::int64_t>(m->sum);
    // §2.6 has no "not enough cash" code; any refusal is final for the caller.
    if (code == cmd::kCashOut && sum > drawer) return answer(code, err::kNotInThisMode);
    drawer += code == cmd::kCashIn ? sum : -sum;
    pending_tags_.clear();
    fn_.save();
    printed(std::string(code == cmd::kCashIn ? "cash in " : "cash out ") + std::to_string(sum));
    return answer(code, 0);
}

Bytes AtolSimDevice::fn_query(std::span<const std::uint8_t> params) {
    const auto code = cmd::kFn;
    if (params.empty()) return answer(code, err::kWrongLength);
    const auto& st = fn();
    switch (params[0]) {
        case at::fn::kStatus: {
            at::FnStatusAnswer a;
            a.shift_open = st.shift_open;
            a.date_time = at::FnDateTime::from(clock_.now());
            a.fn_number = st.fn_serial;
            a.last_fd_number = st.last_fd;
            return answer(code, 0, a.encode());
        }
        case at::fn::kShiftParams:
            return answer(code, 0, at::FnShiftAnswer{st.shift_open, st.shift_number, st.receipts_in_shift}.encode());
        case at::fn::kOfdStatus: {
            at::FnOfdAnswer a;
            a.queued = static_cast<std::uint16_t>(st.ofd_unsent());
            if (const auto* d = st.ofd_oldest_unsent()) {
                a.first_number = d->number;
                a.first_date_time = date_time_of(d->unix_time);
            }
            return answer(code, 0, a.encode());
        }
        case at::fn::kNumber:
            return answer(code, 0, Bytes(st.fn_serial.begin(), st.fn_serial.end()));
        case at::fn::kExpiry: {
            const auto d = date_time_of(st.fn_expiry_unix);
            return answer(code, 0, at::FnExpiryAnswer{d.year, d.month, d.day}.encode());
        }
        case at::fn::kFindDocument: {
            auto n = at::decode_find_document(params.subspan(1));
            if (!n) return answer(code, err::kWrongLength);
            const auto* d = st.find(*n);
            if (!d) return answer(code, err::kFnWrongState);
            at::FnDocumentAnswer a{d->type,      d->ofd_ticket, date_time_of(d->unix_time), d->number, d->fiscal_sign,
                                   std::nullopt, std::nullopt};
            if (d->type == at::doc_type::kReceipt || d->type == at::doc_type::kCorrection) {
                a.operation = d->operation;
                a.amount = d->total;
            }
            return answer(code, 0, a.encode());
        }
        default:
            return answer(code, err::kNotSupported);
    }
}

}  // namespace kassa::sim::atol
