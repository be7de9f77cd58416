#include "simulators/shtrih/device.hpp"

#include <algorithm>
#include <chrono>

#include "drivers/shtrih/codec.hpp"
#include "drivers/shtrih/errors.hpp"
#include "fiscal/tlv.hpp"

namespace kassa::sim {

namespace sh = drivers::shtrih;
namespace cmd = drivers::shtrih::cmd;
namespace err = drivers::shtrih::err;

namespace {

// GCC's 128-bit integer for exact price × quantity; __extension__ keeps -Wpedantic quiet.
__extension__ using U128 = unsigned __int128;

constexpr std::int64_t k2026 = 1767225600;  // 2026-01-01T00:00:00Z: row 1 becomes 22 % (§1.8.2)

Bytes answer(std::uint16_t code, std::uint8_t error, Bytes data = {}) {
    return sh::Answer{code, error, std::move(data)}.body();
}

// Operator number for a password (§1.6): rows 1..30 are the defaults.
std::optional<std::uint8_t> operator_of(std::uint32_t password) {
    if (password >= 1 && password <= 30) return static_cast<std::uint8_t>(password);
    return std::nullopt;
}

bool is_admin(std::uint32_t password) { return password == 29 || password == 30; }

// Table 2 field 2 (§1.6): the operator's name, which the KKT puts in 1021 when the host sends none.
std::string operator_name(std::uint8_t row) {
    if (row == 30) return "СИСТЕМНЫЙ АДМИНИСТРАТОР";
    if (row == 29) return "АДМИНИСТРАТОР";
    return "КАССИР " + std::to_string(row);
}

// Commands allowed in mode 3 (shift over 24 h): only closing it, reading state, and printing
// service text (§1.9).
bool allowed_when_expired(std::uint16_t code) {
    switch (code) {
        case cmd::kOpenReceipt:
        case cmd::kOperationV2:
        case cmd::kSale:
        case cmd::kReturnSale:
        case cmd::kCloseReceiptV2:
        case cmd::kBeginCorrection:
        case cmd::kCorrectionV2:
        case cmd::kOpenShift:
        case cmd::kBeginOpenShift:
        case cmd::kOpenShiftFn:
        case cmd::kXReport:
        case cmd::kCashIn:
        case cmd::kCashOut:
            return false;
        default:
            return true;
    }
}

// Tax amount in a line's sum for a tag 1199 rate; half up (§3.4 rates).
std::uint64_t vat_of(std::uint64_t amount, std::uint8_t code) {
    auto part = [&](std::uint64_t num, std::uint64_t den) { return (amount * num * 2 + den) / (den * 2); };
    switch (code) {
        case 1:
        case 3:
            return part(20, 120);
        case 2:
        case 4:
            return part(10, 110);
        case 7:
        case 9:
            return part(5, 105);
        case 8:
        case 10:
            return part(7, 107);
        case 11:
        case 12:
            return part(22, 122);
        default:
            return 0;
    }
}

bool has_tag(std::span<const std::uint8_t> tlv, std::uint16_t tag) {
    auto tlvs = fiscal::decode_tlvs(tlv);
    return tlvs && std::any_of(tlvs->begin(), tlvs->end(), [tag](const fiscal::Tlv& t) { return t.tag == tag; });
}

// The KKT adds the operator's name (1021) to a document whose host sent none (§1.6 table 2).
void add_operator_name(Bytes& tags, std::uint8_t op_no) {
    if (has_tag(tags, 1021)) return;
    fiscal::TlvWriter w;
    (void)w.put_string(1021, operator_name(op_no));
    tags.insert(tags.end(), w.bytes().begin(), w.bytes().end());
}

// ... and the settlement address and place it was registered with (1009, 1187), unless the host
// sent its own (a courier's address) or none were registered (then the FN refuses the receipt).
void add_registered_place(Bytes& tags, const FnState& fn) {
    fiscal::TlvWriter w;
    if (!has_tag(tags, 1009) && !fn.settlement_address.empty()) (void)w.put_string(1009, fn.settlement_address);
    if (!has_tag(tags, 1187) && !fn.settlement_place.empty()) (void)w.put_string(1187, fn.settlement_place);
    tags.insert(tags.end(), w.bytes().begin(), w.bytes().end());
}

sh::DateTime date_time_of(std::int64_t unix) {
    return sh::DateTime::from(std::chrono::system_clock::time_point{std::chrono::seconds{unix}});
}

}  // namespace

SimDevice::SimDevice(FnState state, std::string state_path, const Clock& clock, Faults faults, ShtrihModel model)
    : fn_(std::move(state), std::move(state_path), clock),
      clock_(clock),
      faults_(std::move(faults)),
      model_(std::move(model)) {
    // Paper is the printer's, not the FN's: a restart finds a full roll unless the fault script ran
    // it out at the last receipt printed (faults.hpp).
    if (faults_.paper_out_after && fn().receipts_total == *faults_.paper_out_after) paper_.run_out();
    if (!fn().documents.empty()) last_document_ = "FD " + std::to_string(fn().documents.back().number);
}

// Mode byte (§1.7): 8 + status<<4 with a receipt open, else 2/3 shift open, 4 closed.
std::uint8_t SimDevice::mode() const {
    if (receipt_) return static_cast<std::uint8_t>(8 | (receipt_->type << 4));
    if (fn().shift_open) return fn_.shift_expired() ? 3 : 2;
    return 4;
}

// ECR flags (§1.7): the receipt roll is there; bit 7 = paper under the receipt sensor.
std::uint16_t SimDevice::flags() const {
    return static_cast<std::uint16_t>(sh::flags::kReceiptRoll | (paper_.sensed() ? sh::flags::kReceiptOptical : 0));
}

std::optional<std::uint8_t> SimDevice::print_refused() const {
    switch (paper_.state()) {
        case PaperRoll::State::Present:
            return std::nullopt;
        case PaperRoll::State::AwaitingContinue:
            return err::kWaitContinuePrint;  // §1.7 sub-mode 3, §1.10 58h
        default:
            return err::kNoPaper;  // §1.7 sub-modes 1, 2; §1.10 6Bh
    }
}

void SimDevice::printed(std::string line) {
    last_document_ = line;
    tape_.push_back(std::move(line));
    ++fn_.registers().kkt_documents;  // the KKT's through-number counts every document it prints
    fn_.save();
}

Bytes SimDevice::handle(const Bytes& request_body, bool& power_cut) {
    power_cut = false;
    fn_.ofd_pump();  // the OFD's tickets that arrived meanwhile (fn.hpp)
    auto req = sh::Request::parse(request_body);
    if (!req) return answer(request_body.empty() ? 0 : request_body[0], err::kBadLength);
    return dispatch(*req, power_cut);
}

Bytes SimDevice::dispatch(const sh::Request& req, bool& power_cut) {
    const std::uint16_t code = req.code;
    if (code == cmd::kDeviceType) {
        // FCh (§1.8): the one command without a password; clients call it to connect.
        if (!req.data.empty()) return answer(code, err::kBadLength);
        return answer(
            code, 0,
            sh::DeviceType{0, 0, model_.protocol_version, model_.protocol_subversion, model_.model, 0, model_.name}
                .encode());
    }
    auto pwd = sh::decode_password(req.data);
    if (!pwd) return answer(code, err::kBadLength);
    const auto op_no = operator_of(*pwd);
    // FN-class commands take the system administrator password (§1.6), except FF46h, which takes
    // an operator's (§1.8.2).
    const bool sysadmin_only = sh::is_fn_class(code) && code != cmd::kOperationV2;
    if (!op_no || (sysadmin_only && *pwd != sh::kPasswordSysAdmin)) return answer(code, err::kWrongPassword);
    if (fn_.shift_expired() && !allowed_when_expired(code)) return answer(code, err::kShiftOver24h);
    const Bytes op_answer{*op_no};

    switch (code) {
        case cmd::kShortStatus: {  // 10h (§1.8)
            sh::ShortStatus s;
            s.operator_number = *op_no;
            s.flags = flags();
            s.mode = mode();
            s.submode = static_cast<std::uint8_t>(paper_.state());
            s.receipt_operations = receipt_ ? static_cast<std::uint16_t>(receipt_->lines.size()) : 0;
            s.battery_voltage = 0x9C;
            s.power_voltage = 0xBC;
            return answer(code, 0, s.encode());
        }
        case cmd::kFullStatus: {  // 11h, the 48-byte layout (§1.8.1)
            sh::FullStatus s;
            s.operator_number = *op_no;
            s.firmware_version = model_.firmware_version;
            s.firmware_build = model_.firmware_build;
            s.firmware_date = model_.firmware_date;
            s.fp_version = model_.firmware_version;
            s.fp_build = model_.firmware_build;
            s.fp_date = model_.firmware_date;
            s.document_number = static_cast<std::uint16_t>(fn().kkt_documents);
            s.flags = flags();
            s.mode = mode();
            s.submode = static_cast<std::uint8_t>(paper_.state());
            const auto dt = sh::DateTime::from(clock_.now());
            s.date = {static_cast<std::uint8_t>(dt.day), static_cast<std::uint8_t>(dt.month),
                      static_cast<std::uint8_t>(dt.year - 2000)};
            s.time = {static_cast<std::uint8_t>(dt.hour), static_cast<std::uint8_t>(dt.minute),
                      static_cast<std::uint8_t>(fn_.now_unix() % 60)};
            s.serial_low = model_.serial;
            s.last_closed_shift =
                fn().shift_open ? static_cast<std::uint16_t>(fn().shift_number - 1) : fn().shift_number;
            s.inn = std::stoull(fn().inn);
            return answer(code, 0, s.encode());
        }
        case cmd::kBeep:  // 13h (§1.8)
            return answer(code, 0, op_answer);
        case cmd::kReadExchangeParams: {  // 15h: port 1 → speed code 1, byte timeout 1 (§1.1 speed codes)
            if (req.data.size() != 5) return answer(code, err::kBadLength);
            return answer(code, 0, Bytes{6, 100});  // 6 = 115 200 baud; 100 ms between bytes
        }
        case cmd::kReadTable: {  // 1Fh (§1.8 tables of §1.6, §1.8.2)
            if (!is_admin(*pwd)) return answer(code, err::kWrongPassword);
            auto t = sh::ReadTableRequest::decode(req.data);
            if (!t) return answer(code, err::kBadLength);
            std::uint8_t e = 0;
            Bytes value = table_field(t->table, t->row, t->field, e);
            if (e != 0) return answer(code, e);
            return answer(code, 0, std::move(value));
        }
        case cmd::kPrintString: {
            auto p = sh::PrintStringRequest::decode(req.data);
            if (!p) return answer(code, err::kBadLength);
            if (auto e = print_refused()) return answer(code, *e);
            tape_.push_back(p->text);
            return answer(code, 0, op_answer);
        }
        case cmd::kPrintFontString: {
            auto p = sh::PrintFontStringRequest::decode(req.data);
            if (!p) return answer(code, err::kBadLength);
            if (auto e = print_refused()) return answer(code, *e);
            tape_.push_back(p->text);
            return answer(code, 0, op_answer);
        }
        case cmd::kLoadData: {
            auto l = sh::LoadDataRequest::decode(req.data);
            if (!l) return answer(code, err::kBadLength);
            if (l->kind != 0 || l->block > 127 || l->data.size() > sh::kDataBlock)
                return answer(code, err::kBadParameters);
            const std::size_t at = l->block * sh::kDataBlock;
            if (barcode_data_.size() < at + l->data.size()) barcode_data_.resize(at + l->data.size());
            std::copy(l->data.begin(), l->data.end(), barcode_data_.begin() + static_cast<std::ptrdiff_t>(at));
            return answer(code, 0, op_answer);
        }
        case cmd::kPrint2DBarcode: {
            auto b = sh::Print2DBarcodeRequest::decode(req.data);
            if (!b) return answer(code, err::kBadLength);
            const std::size_t from = b->first_block * sh::kDataBlock;
            if (b->type > 3 || b->alignment > 2 || b->length == 0 || from + b->length > barcode_data_.size())
                return answer(code, err::kBadParameters);
            if (auto e = print_refused()) return answer(code, *e);
            tape_.push_back("[2D " + std::to_string(b->type) + "] " +
                            std::string(barcode_data_.begin() + static_cast<std::ptrdiff_t>(from),
                                        barcode_data_.begin() + static_cast<std::ptrdiff_t>(from + b->length)));
            return answer(code, 0, op_answer);
        }
        case cmd::kCut: {
            auto c = sh::CutRequest::decode(req.data);
            if (!c || c->type > 1) return answer(code, err::kBadParameters);
            tape_.push_back("--- cut ---");
            return answer(code, 0, op_answer);
        }
        case cmd::kContinuePrint:
            // §1.7 sub-mode 3: paper is back after it ran out mid-document; B0h prints the rest.
            // In sub-modes 1/2 there is still no paper (6Bh, §1.10); otherwise nothing to do.
            if (auto rest = paper_.resume()) {
                tape_.push_back("continued: " + *rest);
            } else if (!paper_.can_print()) {
                return answer(code, err::kNoPaper);
            }
            return answer(code, 0, op_answer);
        case cmd::kMoneyRegister: {  // 1Ah (commands.hpp MoneyRegisterRequest)
            auto m = sh::MoneyRegisterRequest::decode(req.data);
            if (!m) return answer(code, err::kBadLength);
            // The simulator keeps one money register, the drawer (241); the others read 0.
            const auto drawer = fn_.registers().cash_in_drawer;
            const std::uint64_t value =
                m->number == sh::kCashInDrawerRegister && drawer > 0 ? static_cast<std::uint64_t>(drawer) : 0;
            return answer(code, 0, sh::MoneyRegisterAnswer{*op_no, value}.encode());
        }
        case cmd::kCashIn:  // 50h / 51h (commands.hpp CashRequest)
        case cmd::kCashOut:
            return cash(req, *op_no);
        case cmd::kRepeatDocument:
            // 8Ch repeat document: prints the last document again; 56h when there is none (§1.10).
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (auto e = print_refused()) return answer(code, *e);
            if (last_document_.empty()) return answer(code, err::kNoDocumentToRepeat);
            tape_.push_back("copy: " + last_document_);
            return answer(code, 0, op_answer);
        case cmd::kXReport:  // 40h (§1.8, §1.9)
            if (!is_admin(*pwd)) return answer(code, err::kWrongPassword);
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (auto e = print_refused()) return answer(code, *e);
            printed("X report, shift " + std::to_string(fn().shift_number));
            return answer(code, 0, op_answer);
        case cmd::kOpenShift:  // E0h (§1.9)
            return open_shift(code, *op_no, {});
        case cmd::kBeginOpenShift:  // FF41h, FF0Ch tags, FF0Bh (§1.9)
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (fn().shift_open) return answer(code, err::kShiftOpen);
            shift_step_ = ShiftStep::Opening;
            shift_tags_.clear();
            return answer(code, 0);
        case cmd::kOpenShiftFn:
            if (shift_step_ != ShiftStep::Opening) return answer(code, err::kFnWrongState);
            return open_shift(code, *op_no, shift_tags_);
        case cmd::kZReport:  // 41h: administrators only (§1.6, §1.9)
            if (!is_admin(*pwd)) return answer(code, err::kWrongPassword);
            return close_shift(code, *op_no, {});
        case cmd::kBeginCloseShift:  // FF42h, FF0Ch tags, FF43h (§1.9)
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (!fn().shift_open) return answer(code, err::kFnWrongState);
            shift_step_ = ShiftStep::Closing;
            shift_tags_.clear();
            return answer(code, 0);
        case cmd::kCloseShiftFn:
            if (shift_step_ != ShiftStep::Closing) return answer(code, err::kFnWrongState);
            return close_shift(code, *op_no, shift_tags_);
        case cmd::kOpenReceipt: {  // 8Dh (§1.8, §1.9)
            auto o = sh::OpenReceiptRequest::decode(req.data);
            if (!o) return answer(code, err::kBadLength);
            const std::uint8_t type = o->type & 0x7F;
            if (type > 3 || (o->type & 0x70) != 0) return answer(code, err::kBadParameters);
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (!fn().shift_open) return answer(code, err::kFnWrongState);
            if (auto e = print_refused()) return answer(code, *e);
            receipt_ = OpenReceipt{type, (o->type & 0x80) != 0, *op_no, {}, {}, {}, 0};
            return answer(code, 0, op_answer);
        }
        case cmd::kCancelReceipt:  // 88h
            if (!receipt_) return answer(code, err::kReceiptClosed);
            receipt_.reset();
            tape_.push_back("receipt cancelled");
            return answer(code, 0, op_answer);
        case cmd::kSendTlv:  // FF0Ch / FF4Dh (§1.8.4)
        case cmd::kSendLineTlv: {
            auto t = sh::TlvRequest::decode(code, req.data);
            if (!t) return answer(code, err::kBadLength);
            if (t->tlv.size() > sh::kMaxTlvPerCommand) return answer(code, err::kFnTlvTooLarge);
            if (!fiscal::decode_tlvs(t->tlv)) return answer(code, err::kFnUnknownCommand);
            if (code == cmd::kSendTlv && shift_step_ != ShiftStep::None) {
                shift_tags_.insert(shift_tags_.end(), t->tlv.begin(), t->tlv.end());
                return answer(code, 0);
            }
            if (!receipt_) return answer(code, err::kFnWrongState);
            Bytes& target = code == cmd::kSendTlv     ? receipt_->tags
                            : receipt_->lines.empty() ? receipt_->pending_line_tags
                                                      : receipt_->lines.back().tags;
            target.insert(target.end(), t->tlv.begin(), t->tlv.end());
            return answer(code, 0);
        }
        case cmd::kOperationV2: {  // FF46h (§1.8.2); item tags follow with FF4Dh
            auto o = sh::OperationV2::decode(req.data);
            if (!o) return answer(code, err::kBadLength);
            return answer(code, add_line(code, *o, *op_no, {}));
        }
        case cmd::kSale:  // 80h / 82h legacy lines (§1.8): 1214 = 4, 1212 = 1, 2108 = 0 (pieces) by default
        case cmd::kReturnSale: {
            auto l = sh::LegacyOperation::decode(code, req.data);
            if (!l) return answer(code, err::kBadLength);
            if (l->taxes[0] > 4) return answer(code, err::kBadParameters);
            sh::OperationV2 op;
            op.password = l->password;
            op.operation = code == cmd::kSale ? 1 : 2;
            op.quantity_micro = static_cast<std::int64_t>(l->quantity_milli * 1000);
            op.price = l->price;
            op.tax = l->taxes[0] == 0 ? std::uint8_t{0x08} : static_cast<std::uint8_t>(1u << (l->taxes[0] - 1));
            op.department = l->department;
            op.name = l->text;
            fiscal::TlvWriter unit;
            unit.put_byte(2108, 0);
            const std::uint8_t e = add_line(code, op, *op_no, unit.take());
            return e != 0 ? answer(code, e) : answer(code, 0, op_answer);
        }
        case cmd::kBeginCorrection:  // FF35h: FFD 1.05 correction, tags (FF0Ch) then FF4Ah (§1.9)
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (!fn().shift_open) return answer(code, err::kFnWrongState);
            shift_step_ = ShiftStep::Correction;
            shift_tags_.clear();
            return answer(code, 0);
        case cmd::kCorrectionV2:
            return correction_v2(req);
        case cmd::kCloseReceiptV2: {  // FF45h (§1.8.3)
            auto c = sh::CloseReceiptV2::decode(req.data);
            if (!c) return answer(code, err::kBadLength);
            auto closed = close_receipt(c->payments, c->tax_system, power_cut);
            if (!closed) return answer(code, closed.error());
            return answer(code, 0,
                          sh::CloseReceiptV2Answer{closed->change, closed->doc->number, closed->doc->fiscal_sign,
                                                   date_time_of(closed->doc->unix_time)}
                              .encode());
        }
        case cmd::kCloseReceipt: {  // 85h legacy close (§1.8): the tax system is the first registered one
            auto c = sh::LegacyClose::decode(req.data);
            if (!c) return answer(code, err::kBadLength);
            std::array<std::uint64_t, 16> payments{};
            std::copy(c->payments.begin(), c->payments.end(), payments.begin());
            const auto ts = static_cast<std::uint8_t>(fn().tax_systems & -fn().tax_systems);
            auto closed = close_receipt(payments, ts, power_cut);
            if (!closed) return answer(code, closed.error());
            return answer(code, 0, sh::LegacyCloseAnswer{*op_no, closed->change}.encode());
        }
        case cmd::kFnStatus: {  // FF01h (§1.8 value tables)
            sh::FnStatus s;
            s.life_phase = 0x03;
            s.current_document = receipt_ ? (receipt_->correction ? 0x14 : 0x04) : 0x00;
            s.document_data = receipt_ && !receipt_->lines.empty() ? 1 : 0;
            s.shift_open = fn().shift_open ? 1 : 0;
            const auto w = fn_.warnings();
            s.warnings = static_cast<std::uint8_t>((w.replace_urgently ? 1 : 0) | (w.resource_exhausted ? 2 : 0) |
                                                   (w.memory_full ? 4 : 0) | (w.ofd_timeout ? 8 : 0));
            s.date_time = sh::DateTime::from(clock_.now());
            s.fn_number = fn().fn_serial;
            s.last_fd_number = fn().last_fd;
            return answer(code, 0, s.encode());
        }
        case cmd::kBeginSettlementReport:  // FF37h, FF0Ch tags, FF38h (§1.8)
            if (receipt_) return answer(code, err::kReceiptOpen);
            shift_step_ = ShiftStep::Settlement;
            shift_tags_.clear();
            return answer(code, 0);
        case cmd::kSettlementReport: {  // FF38h: the FN's report on the state of settlements
            if (shift_step_ != ShiftStep::Settlement) return answer(code, err::kFnWrongState);
            if (auto e = print_refused()) return answer(code, *e);
            shift_step_ = ShiftStep::None;
            Bytes tags = shift_tags_;
            add_operator_name(tags, *op_no);
            sh::SettlementReportAnswer a;  // the same counts as the report's 1097/1098
            a.unconfirmed = static_cast<std::uint32_t>(fn().ofd_unsent());
            a.first_unconfirmed = sh::FnExpiry{2000, 0, 0};
            if (const auto* first = fn().ofd_oldest_unsent()) {
                const auto dt = date_time_of(first->unix_time);
                a.first_unconfirmed = sh::FnExpiry{dt.year, dt.month, dt.day};
            }
            auto doc = fn_.settlement_report(tags);
            if (!doc) return answer(code, doc.error().code);
            printed("settlement report FD " + std::to_string((*doc)->number));
            a.fd_number = (*doc)->number;
            a.fiscal_sign = (*doc)->fiscal_sign;
            a.date_time = date_time_of((*doc)->unix_time);
            return answer(code, 0, a.encode());
        }
        case cmd::kCancelFnDocument:  // FF08h cancel the document open in the FN (§1.8.2 step 5)
            if (!receipt_) return answer(code, err::kFnWrongState);
            receipt_.reset();
            tape_.push_back("receipt cancelled");
            return answer(code, 0);
        case cmd::kUnconfirmedCount: {  // FF3Fh documents without an OFD ticket (§1.8)
            Bytes n;
            sh::Writer(n).le(fn().ofd_unsent(), 2);
            return answer(code, 0, std::move(n));
        }
        case cmd::kFnNumber:
            return answer(code, 0, sh::FnNumber{fn().fn_serial}.encode());
        case cmd::kFnExpiry: {
            const auto dt = date_time_of(fn().fn_expiry_unix);
            return answer(code, 0, sh::FnExpiry{dt.year, dt.month, dt.day}.encode());
        }
        case cmd::kFindDocument: {  // FF0Ah
            auto f = sh::FindDocumentRequest::decode(req.data);
            if (!f) return answer(code, err::kBadLength);
            const ArchivedDocument* d = fn().find(f->number);
            if (!d) return answer(code, err::kFnNoData);
            sh::FoundDocument out;
            out.type = d->type;
            out.ofd_ticket = d->ofd_ticket;
            out.date_time = date_time_of(d->unix_time);
            out.number = d->number;
            out.fiscal_sign = d->fiscal_sign;
            if (d->type == sh::doc_type::kReceipt || d->type == sh::doc_type::kCorrectionReceipt) {
                out.operation = d->operation;
                out.amount = d->total;
            }
            return answer(code, 0, out.encode());
        }
        case cmd::kOfdStatus: {  // FF39h
            sh::OfdStatus s;
            s.queued = static_cast<std::uint16_t>(fn().ofd_unsent());
            if (const auto* d = fn().ofd_oldest_unsent()) {
                s.status = 0x02;  // message for the OFD pending; no transport connection in a simulator
                s.first_number = d->number;
                s.first_date_time = date_time_of(d->unix_time);
            }
            return answer(code, 0, s.encode());
        }
        case cmd::kShiftParams:  // FF40h
            return answer(code, 0,
                          sh::ShiftParams{fn().shift_open, fn().shift_number, fn().receipts_in_shift}.encode());
        default:
            return answer(code, err::kNotSupported);  // §1.5: FF xx 37 / cmd 37
    }
}

Bytes SimDevice::table_field(std::uint8_t table, std::uint16_t row, std::uint8_t field, std::uint8_t& error) const {
    Bytes out;
    sh::Writer w(out);
    error = 0;
    if (table == 2 && row >= 1 && row <= 30 && (field == 1 || field == 2)) {
        // Table 2, operators (§1.6): field 1 password, field 2 name (21 characters).
        if (field == 1) w.le(row, 4);
        if (field == 2) w.text_fixed(operator_name(static_cast<std::uint8_t>(row)), 21);
        return out;
    }
    if (table == 6 && row >= 1 && row <= 10 && (field == 1 || field == 2)) {
        // Table 6, tax rates (§1.8.2 rows 1..10): field 1 rate in hundredths of a per cent, field 2
        // its name. Row 1 reads 22 % from 2026 (Т17П71 = 1, §1.8.2).
        static constexpr std::uint16_t kRates[] = {2000, 1000, 0, 0, 2000, 1000, 500, 700, 500, 700};
        static constexpr const char* kNames[] = {"НДС 20%",    "НДС 10%", "НДС 0%", "БЕЗ НДС",   "НДС 20/120",
                                                 "НДС 10/110", "НДС 5%",  "НДС 7%", "НДС 5/105", "НДС 7/107"};
        const bool after_2026 = fn_.now_unix() >= k2026;
        const bool relabel = after_2026 && (row == 1 || row == 5);
        if (field == 1) w.le(relabel ? 2200 : kRates[row - 1], 2);
        if (field == 2) w.text_fixed(relabel ? (row == 1 ? "НДС 22%" : "НДС 22/122") : kNames[row - 1], 64);
        return out;
    }
    if (table == 17 && row == 1 && field == 71) {
        w.u8(1);  // Т17П71 = 1: the KKT relabels row 1 as 22 % from 2026 (§1.8.2)
        return out;
    }
    error = err::kBadParameters;
    return {};
}

Bytes SimDevice::open_shift(std::uint16_t code, std::uint8_t op_no, const Bytes& tags) {
    if (receipt_) return answer(code, err::kReceiptOpen);
    if (fn().shift_open) return answer(code, err::kShiftOpen);
    if (auto e = print_refused()) return answer(code, *e);
    shift_step_ = ShiftStep::None;
    Bytes with_name = tags;
    add_operator_name(with_name, op_no);
    auto doc = fn_.open_shift(with_name);
    if (!doc) return answer(code, doc.error().code);  // FN errors pass through (§1.10)
    printed("shift " + std::to_string(fn().shift_number) + " opened");
    if (code == cmd::kOpenShiftFn) {
        return answer(code, 0,
                      sh::ShiftDocumentAnswer{fn().shift_number, (*doc)->number, (*doc)->fiscal_sign,
                                              date_time_of((*doc)->unix_time)}
                          .encode());
    }
    return answer(code, 0, Bytes{op_no});
}

Bytes SimDevice::close_shift(std::uint16_t code, std::uint8_t op_no, const Bytes& tags) {
    if (receipt_) return answer(code, err::kReceiptOpen);
    if (!fn().shift_open) return answer(code, err::kFnWrongState);
    if (auto e = print_refused()) return answer(code, *e);
    shift_step_ = ShiftStep::None;
    Bytes with_name = tags;
    add_operator_name(with_name, op_no);
    auto doc = fn_.close_shift(with_name);
    if (!doc) return answer(code, doc.error().code);
    printed("shift " + std::to_string(fn().shift_number) + " closed");
    if (code == cmd::kCloseShiftFn) {
        return answer(code, 0,
                      sh::ShiftDocumentAnswer{fn().shift_number, (*doc)->number, (*doc)->fiscal_sign,
                                              date_time_of((*doc)->unix_time)}
                          .encode());
    }
    return answer(code, 0, Bytes{op_no});
}

std::uint8_t SimDevice::add_line(std::uint16_t /*code*/, sh::OperationV2 op, std::uint8_t op_no, Bytes line_tags) {
    if (op.operation < 1 || op.operation > 4) return err::kBadParameters;
    if (!receipt_) {
        // Models without 8Dh open the receipt with the first operation (§1.8.2 step 1).
        if (!fn().shift_open) return err::kFnWrongState;
        if (auto e = print_refused()) return *e;
        receipt_ = OpenReceipt{static_cast<std::uint8_t>(op.operation - 1), false, op_no, {}, {}, {}, 0};
    }
    if (op.operation != receipt_->type + 1) return 0x49;  // operation of another receipt type
    if (op.quantity_micro <= 0 || op.quantity_micro > 99'999'999'999'999) return 0x62;
    if (op.price > 9'999'999'999) return 0x61;
    if (op.department > 16 && op.department != 255) return 0x63;
    if (op.method < 1 || op.method > 7 || op.subject < 1 || op.subject > 33) return err::kBadParameters;
    if (!sh::tag_1199_for_tax_byte(op.tax, true)) return err::kBadParameters;
    // price × quantity, half up; a given amount may differ by at most one kopeck (§1.8.2).
    const U128 exact2 = static_cast<U128>(op.price) * static_cast<std::uint64_t>(op.quantity_micro) * 2;
    const auto computed = static_cast<std::uint64_t>((exact2 / 1'000'000 + 1) / 2);
    if (op.amount == sh::kMoneyAuto) {
        op.amount = computed;
    } else if ((op.amount > computed ? op.amount - computed : computed - op.amount) > 1) {
        return err::kBadParameters;
    }
    if (receipt_->total + op.amount > 9'999'999'999) return 0x48;
    receipt_->total += op.amount;
    Line line{std::move(op), std::move(receipt_->pending_line_tags)};
    receipt_->pending_line_tags.clear();
    line.tags.insert(line.tags.end(), line_tags.begin(), line_tags.end());
    receipt_->lines.push_back(std::move(line));
    return 0;
}

std::expected<SimDevice::Closed, std::uint8_t> SimDevice::close_receipt(const std::array<std::uint64_t, 16>& payments,
                                                                        std::uint8_t tax_system, bool& power_cut) {
    if (!receipt_) return std::unexpected(err::kReceiptClosed);
    if (auto e = print_refused()) return std::unexpected(*e);
    if (receipt_->lines.empty() || receipt_->total == 0) return std::unexpected(err::kZeroTotal);
    // Tax system: exactly one bit, registered in the FN (1055 vs 1062).
    const std::uint8_t ts = tax_system;
    if (ts == 0 || (ts & (ts - 1)) != 0 || (ts & fn().tax_systems) == 0) return std::unexpected(err::kBadParameters);
    std::uint64_t paid = 0;
    for (const auto p : payments) {
        if (p > 9'999'999'999) return std::unexpected(err::kBadParameters);
        paid += p;
    }
    const std::uint64_t cash = payments[0];
    const std::uint64_t non_cash = paid - cash;
    if (paid < receipt_->total) return std::unexpected(err::kPaymentsBelowTotal);     // §1.8.3 45h
    if (non_cash > receipt_->total) return std::unexpected(err::kNonCashAboveTotal);  // 4Dh
    const std::uint64_t change = paid - receipt_->total;  // ≤ cash: only cash gives change
    std::uint64_t electronic = 0;
    for (std::size_t i = 1; i <= 12; ++i) electronic += payments[i];
    const bool after_2026 = fn_.now_unix() >= k2026;

    // The receipt as the KKT hands it to the FN (§3.3 tags); the FN adds its own and signs.
    fiscal::TlvWriter w;
    w.put_byte(1054, static_cast<std::uint8_t>(receipt_->type + 1));
    w.put_byte(1055, ts);
    Bytes body = w.take();
    Bytes tags = receipt_->tags;
    add_operator_name(tags, receipt_->operator_number);
    add_registered_place(tags, fn());
    body.insert(body.end(), tags.begin(), tags.end());
    for (const auto& line : receipt_->lines) {
        fiscal::TlvWriter item;
        const std::uint8_t vat_code = *sh::tag_1199_for_tax_byte(line.op.tax, after_2026);
        if (!item.put_string(1030, line.op.name)) return std::unexpected(err::kBadParameters);
        (void)item.put_vln(1079, static_cast<std::int64_t>(line.op.price));
        (void)item.put_fvln(1023, fiscal::Quantity::from_micro(line.op.quantity_micro));
        (void)item.put_vln(1043, static_cast<std::int64_t>(line.op.amount));
        item.put_byte(1199, vat_code);
        const std::uint64_t vat =
            line.op.tax_amount == sh::kMoneyAuto ? vat_of(line.op.amount, vat_code) : line.op.tax_amount;
        (void)item.put_vln(1200, static_cast<std::int64_t>(vat));
        item.put_byte(1214, line.op.method);
        item.put_byte(1212, line.op.subject);
        Bytes value = item.take();
        value.insert(value.end(), line.tags.begin(), line.tags.end());
        fiscal::TlvWriter stlv;
        if (!stlv.put_raw(1059, value)) return std::unexpected(err::kFnTlvTooLarge);
        body.insert(body.end(), stlv.bytes().begin(), stlv.bytes().end());
    }
    fiscal::TlvWriter sums;
    (void)sums.put_vln(1020, static_cast<std::int64_t>(receipt_->total));
    (void)sums.put_vln(1031, static_cast<std::int64_t>(cash - change));
    (void)sums.put_vln(1081, static_cast<std::int64_t>(electronic));
    (void)sums.put_vln(1215, static_cast<std::int64_t>(payments[13]));
    (void)sums.put_vln(1216, static_cast<std::int64_t>(payments[14]));
    (void)sums.put_vln(1217, static_cast<std::int64_t>(payments[15]));
    body.insert(body.end(), sums.bytes().begin(), sums.bytes().end());

    // Format-logical control in the FN: a refusal leaves the receipt open (the host cancels it).
    auto doc = fn_.receipt(receipt_->correction, body);
    if (!doc) return std::unexpected(doc.error().code);

    ++receipts_this_run_;
    // The drawer holds the cash kept (sale, buy return) or paid out (sale return, buy).
    const auto kept = static_cast<std::int64_t>(cash - change);
    fn_.registers().cash_in_drawer += receipt_->type == 0 || receipt_->type == 3 ? kept : -kept;
    receipt_.reset();
    printed("receipt FD " + std::to_string((*doc)->number) + " FP " + std::to_string((*doc)->fiscal_sign));
    if (faults_.paper_out_after && fn().receipts_total == *faults_.paper_out_after) {
        // The tape runs out while this receipt prints (faults.hpp): the FN has it, the paper has
        // only part of it; sub-mode 2 until paper is loaded, then 3 until B0h (§1.7).
        paper_.run_out(tape_.back());
        tape_.back() += " [paper out]";
    }
    if (faults_.power_cut_after_receipt && receipts_this_run_ == *faults_.power_cut_after_receipt) power_cut = true;
    return Closed{change, *doc};
}

Bytes SimDevice::correction_v2(const sh::Request& req) {
    // FF4Ah, the FFD 1.05 correction form (§1.9): no lines, so the FN's FFD 1.2 line checks do not
    // apply (strict = false); Kassa's corrections go through 8Dh | 0x80 instead.
    const std::uint16_t code = req.code;
    auto c = sh::CorrectionV2::decode(req.data);
    if (!c) return answer(code, err::kBadLength);
    if (receipt_) return answer(code, err::kReceiptOpen);
    if (!fn().shift_open) return answer(code, err::kFnWrongState);
    if (auto e = print_refused()) return answer(code, *e);
    const std::uint8_t ts = c->tax_system;
    if (c->correction_type > 1 || (c->calc_sign != 1 && c->calc_sign != 3) || ts == 0 || (ts & (ts - 1)) != 0 ||
        (ts & fn().tax_systems) == 0)
        return answer(code, err::kBadParameters);
    if (c->total == 0) return answer(code, err::kZeroTotal);
    std::uint64_t paid = 0;
    for (const auto p : c->payments) paid += p;
    if (paid != c->total) return answer(code, err::kPaymentsBelowTotal);
    fiscal::TlvWriter w;
    w.put_byte(1054, c->calc_sign);
    w.put_byte(1173, c->correction_type);
    w.put_byte(1055, ts);
    Bytes body = w.take();
    if (shift_step_ == ShiftStep::Correction) body.insert(body.end(), shift_tags_.begin(), shift_tags_.end());
    shift_step_ = ShiftStep::None;
    fiscal::TlvWriter sums;
    static constexpr std::uint16_t kPaymentTags[] = {1031, 1081, 1215, 1216, 1217};
    (void)sums.put_vln(1020, static_cast<std::int64_t>(c->total));
    for (std::size_t i = 0; i < 5; ++i) (void)sums.put_vln(kPaymentTags[i], static_cast<std::int64_t>(c->payments[i]));
    body.insert(body.end(), sums.bytes().begin(), sums.bytes().end());
    auto doc = fn_.receipt(true, body, false);
    if (!doc) return answer(code, doc.error().code);
    printed("correction FD " + std::to_string((*doc)->number));
    return answer(code, 0,
                  sh::CorrectionV2Answer{fn().receipts_in_shift, (*doc)->number, (*doc)->fiscal_sign,
                                         date_time_of((*doc)->unix_time)}
                      .encode());
}

// 50h cash in / 51h cash out (commands.hpp CashRequest): a non-fiscal document that moves the
// drawer sum; 46h when the drawer holds less than the payout (§1.10).
Bytes SimDevice::cash(const sh::Request& req, std::uint8_t op_no) {
    const std::uint16_t code = req.code;
    auto c = sh::CashRequest::decode(code, req.data);
    if (!c) return answer(code, err::kBadLength);
    if (receipt_) return answer(code, err::kReceiptOpen);
    if (c->amount == 0 || c->amount > 9'999'999'999) return answer(code, err::kBadParameters);
    if (auto e = print_refused()) return answer(code, *e);
    const auto amount = static_cast<std::int64_t>(c->amount);
    auto& drawer = fn_.registers().cash_in_drawer;
    if (code == cmd::kCashOut && amount > drawer) return answer(code, err::kNotEnoughCash);
    drawer += code == cmd::kCashIn ? amount : -amount;
    printed(std::string(code == cmd::kCashIn ? "cash in " : "cash out ") + std::to_string(c->amount));
    return answer(code, 0, sh::CashAnswer{op_no, static_cast<std::uint16_t>(fn().kkt_documents)}.encode());
}

}  // namespace kassa::sim
