#include "simulators/shtrih/device.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>

#include "drivers/shtrih/codec.hpp"
#include "drivers/shtrih/errors.hpp"

namespace kassa::sim {

namespace sh = drivers::shtrih;
namespace cmd = drivers::shtrih::cmd;
namespace err = drivers::shtrih::err;

namespace {

// GCC's 128-bit integer for exact price × quantity; __extension__ keeps -Wpedantic quiet.
__extension__ using U128 = unsigned __int128;

constexpr std::int64_t kShiftLimit = 24 * 3600;  // §1.9: the FN refuses after 24 h
constexpr std::int64_t k2026 = 1767225600;       // 2026-01-01T00:00:00Z: row 1 becomes 22 % (§1.8.2)

Bytes answer(std::uint16_t code, std::uint8_t error, Bytes data = {}) {
    return sh::Answer{code, error, std::move(data)}.body();
}

Bytes from_hex(const std::string& h) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
}

std::string to_hex(const Bytes& b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (const auto x : b) {
        s += kDigits[x >> 4];
        s += kDigits[x & 0xF];
    }
    return s;
}

// Operator number for a password (§1.6): rows 1..30 are the defaults.
std::optional<std::uint8_t> operator_of(std::uint32_t password) {
    if (password >= 1 && password <= 30) return static_cast<std::uint8_t>(password);
    return std::nullopt;
}

bool is_admin(std::uint32_t password) { return password == 29 || password == 30; }

// Commands allowed in mode 3 (shift over 24 h): only closing it, reading state, and printing
// service text (§1.9).
bool allowed_when_expired(std::uint16_t code) {
    switch (code) {
        case cmd::kOpenReceipt:
        case cmd::kOperationV2:
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
            return part(20, 120);
        case 2:
            return part(10, 110);
        case 3:
            return part(20, 120);
        case 4:
            return part(10, 110);
        case 7:
            return part(5, 105);
        case 8:
            return part(7, 107);
        case 9:
            return part(5, 105);
        case 10:
            return part(7, 107);
        case 11:
            return part(22, 122);
        case 12:
            return part(22, 122);
        default:
            return 0;
    }
}

}  // namespace

SimDevice::SimDevice(FnState state, std::string state_path, const Clock& clock, Faults faults)
    : fn_(std::move(state)), state_path_(std::move(state_path)), clock_(clock), faults_(std::move(faults)) {
    // Paper is the printer's, not the FN's: a restart finds a full roll unless the fault script ran
    // it out at the last receipt printed (faults.hpp).
    if (faults_.paper_out_after && fn_.receipts_total == *faults_.paper_out_after) paper_ = Paper::Out;
    if (!fn_.documents.empty()) last_document_ = "FD " + std::to_string(fn_.documents.back().number);
}

void SimDevice::load_paper() {
    if (paper_ == Paper::Out) paper_ = Paper::Present;
    if (paper_ == Paper::OutWhilePrinting) paper_ = Paper::AwaitingContinue;
}

// ECR flags (§1.7): the receipt roll is there; bit 7 = paper under the receipt sensor.
std::uint16_t SimDevice::flags() const {
    const bool paper = paper_ == Paper::Present || paper_ == Paper::AwaitingContinue;
    return static_cast<std::uint16_t>(sh::flags::kReceiptRoll | (paper ? sh::flags::kReceiptOptical : 0));
}

std::optional<std::uint8_t> SimDevice::print_refused() const {
    switch (paper_) {
        case Paper::Present:
            return std::nullopt;
        case Paper::AwaitingContinue:
            return err::kWaitContinuePrint;  // §1.7 sub-mode 3, §1.10 58h
        default:
            return err::kNoPaper;  // §1.7 sub-modes 1, 2; §1.10 6Bh
    }
}

// 50h cash in / 51h cash out (commands.hpp CashRequest): a non-fiscal document that moves the
// drawer sum; 46h when the drawer holds less than the payout (§1.10).
Bytes SimDevice::cash(const sh::Request& req) {
    const std::uint16_t code = req.code;
    auto c = sh::CashRequest::decode(code, req.data);
    if (!c) return answer(code, err::kBadLength);
    if (receipt_) return answer(code, err::kReceiptOpen);
    if (c->amount == 0 || c->amount > 9'999'999'999) return answer(code, err::kBadParameters);
    if (auto e = print_refused()) return answer(code, *e);
    const auto amount = static_cast<std::int64_t>(c->amount);
    if (code == cmd::kCashOut && amount > fn_.cash_in_drawer) return answer(code, err::kNotEnoughCash);
    fn_.cash_in_drawer += code == cmd::kCashIn ? amount : -amount;
    ++fn_.kkt_documents;
    if (!state_path_.empty()) (void)fn_.save(state_path_);
    last_document_ = std::string(code == cmd::kCashIn ? "cash in " : "cash out ") + std::to_string(c->amount);
    tape_.push_back(last_document_);
    return answer(
        code, 0,
        sh::CashAnswer{*operator_of(*sh::decode_password(req.data)), static_cast<std::uint16_t>(fn_.kkt_documents)}
            .encode());
}

std::int64_t SimDevice::now_unix() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

bool SimDevice::shift_expired() const { return fn_.shift_open && now_unix() - fn_.shift_opened_at > kShiftLimit; }

// Mode byte (§1.7): 8 + status<<4 with a receipt open, else 2/3 shift open, 4 closed.
std::uint8_t SimDevice::mode() const {
    if (receipt_) return static_cast<std::uint8_t>(8 | (receipt_->type << 4));
    if (fn_.shift_open) return shift_expired() ? 3 : 2;
    return 4;
}

std::uint32_t SimDevice::sign(const Bytes& tlv) const {
    // ФПД: HMAC-SHA256 over the document TLV with the FN's secret, first 4 bytes big-endian (§3.5).
    const Bytes key = from_hex(fn_.secret_hex);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), tlv.data(), tlv.size(), mac, &len);
    return (static_cast<std::uint32_t>(mac[0]) << 24) | (static_cast<std::uint32_t>(mac[1]) << 16) |
           (static_cast<std::uint32_t>(mac[2]) << 8) | mac[3];
}

void SimDevice::put_common_tags(Bytes& tlv, std::uint32_t fd) const {
    sh::put_tlv_u32(tlv, 1012, static_cast<std::uint32_t>(now_unix() / 60 * 60));
    sh::put_tlv_u32(tlv, 1040, fd);
    sh::put_tlv_string_fixed(tlv, 1041, fn_.fn_serial, 16);
    sh::put_tlv_string_fixed(tlv, 1018, fn_.inn, 12);
    sh::put_tlv_string_fixed(tlv, 1037, fn_.rnm, 20);
    sh::put_tlv_u32(tlv, 1038, fn_.shift_number);
    sh::put_tlv_byte(tlv, 1209, fn_.ffd_version);
}

const ArchivedDocument& SimDevice::write_document(std::uint8_t type, Bytes tlv, std::uint8_t operation,
                                                  std::uint64_t total) {
    ArchivedDocument d;
    d.number = fn_.last_fd;  // already incremented by the caller
    d.type = type;
    d.unix_time = now_unix() / 60 * 60;
    d.fiscal_sign = sign(tlv);
    d.operation = operation;
    d.total = total;
    d.tlv_hex = to_hex(tlv);
    fn_.documents.push_back(std::move(d));
    ++fn_.kkt_documents;
    last_document_ = "FD " + std::to_string(fn_.last_fd);
    if (!state_path_.empty()) (void)fn_.save(state_path_);
    return fn_.documents.back();
}

Bytes SimDevice::handle(const Bytes& request_body, bool& power_cut) {
    power_cut = false;
    auto req = sh::Request::parse(request_body);
    if (!req) return answer(request_body.empty() ? 0 : request_body[0], err::kBadLength);
    return dispatch(*req, power_cut);
}

Bytes SimDevice::dispatch(const sh::Request& req, bool& power_cut) {
    const std::uint16_t code = req.code;
    auto pwd = sh::decode_password(req.data);
    if (!pwd) return answer(code, err::kBadLength);
    const auto op_no = operator_of(*pwd);
    // FN-class commands take the system administrator password (§1.6), except FF46h, which takes
    // an operator's (§1.8.2).
    const bool sysadmin_only = sh::is_fn_class(code) && code != cmd::kOperationV2;
    if (!op_no || (sysadmin_only && *pwd != sh::kPasswordSysAdmin)) return answer(code, err::kWrongPassword);
    if (shift_expired() && !allowed_when_expired(code)) return answer(code, err::kShiftOver24h);
    const Bytes op_answer{*op_no};

    switch (code) {
        case cmd::kShortStatus: {
            sh::ShortStatus s;
            s.operator_number = *op_no;
            s.flags = flags();
            s.mode = mode();
            s.submode = submode();
            s.receipt_operations = receipt_ ? static_cast<std::uint16_t>(receipt_->lines.size()) : 0;
            s.battery_voltage = 0x9C;
            s.power_voltage = 0xBC;
            return answer(code, 0, s.encode());
        }
        case cmd::kFullStatus: {
            sh::FullStatus s;
            s.operator_number = *op_no;
            s.firmware_build = 1;
            s.document_number = static_cast<std::uint16_t>(fn_.kkt_documents);
            s.flags = flags();
            s.mode = mode();
            s.submode = submode();
            const auto dt = sh::DateTime::from(clock_.now());
            const auto secs = now_unix() % 60;
            s.date = {static_cast<std::uint8_t>(dt.day), static_cast<std::uint8_t>(dt.month),
                      static_cast<std::uint8_t>(dt.year - 2000)};
            s.time = {static_cast<std::uint8_t>(dt.hour), static_cast<std::uint8_t>(dt.minute),
                      static_cast<std::uint8_t>(secs)};
            s.serial_low = 12345678;
            s.last_closed_shift = fn_.shift_open ? static_cast<std::uint16_t>(fn_.shift_number - 1) : fn_.shift_number;
            s.inn = std::stoull(fn_.inn);
            return answer(code, 0, s.encode());
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
            if (paper_ == Paper::AwaitingContinue) {
                tape_.push_back("continued: " + interrupted_);
                interrupted_.clear();
                paper_ = Paper::Present;
            } else if (paper_ != Paper::Present) {
                return answer(code, err::kNoPaper);
            }
            return answer(code, 0, op_answer);
        case cmd::kCashIn:
        case cmd::kCashOut:
            return cash(req);
        case cmd::kRepeatDocument:
            // 8Ch repeat document: prints the last document again; 56h when there is none (§1.10).
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (auto e = print_refused()) return answer(code, *e);
            if (last_document_.empty()) return answer(code, err::kNoDocumentToRepeat);
            tape_.push_back("copy: " + last_document_);
            return answer(code, 0, op_answer);
        case cmd::kXReport:
            if (!is_admin(*pwd)) return answer(code, err::kWrongPassword);
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (auto e = print_refused()) return answer(code, *e);
            tape_.push_back("X report, shift " + std::to_string(fn_.shift_number));
            return answer(code, 0, op_answer);
        case cmd::kOpenShift:
            return open_shift(code, req, {});
        case cmd::kBeginOpenShift:
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (fn_.shift_open) return answer(code, err::kShiftOpen);
            shift_step_ = ShiftStep::Opening;
            shift_tags_.clear();
            return answer(code, 0);
        case cmd::kOpenShiftFn:
            if (shift_step_ != ShiftStep::Opening) return answer(code, err::kFnWrongState);
            return open_shift(code, req, shift_tags_);
        case cmd::kZReport:
            if (!is_admin(*pwd)) return answer(code, err::kWrongPassword);
            return close_shift(code, req, {});
        case cmd::kBeginCloseShift:
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (!fn_.shift_open) return answer(code, err::kFnWrongState);
            shift_step_ = ShiftStep::Closing;
            shift_tags_.clear();
            return answer(code, 0);
        case cmd::kCloseShiftFn:
            if (shift_step_ != ShiftStep::Closing) return answer(code, err::kFnWrongState);
            return close_shift(code, req, shift_tags_);
        case cmd::kOpenReceipt: {
            auto o = sh::OpenReceiptRequest::decode(req.data);
            if (!o) return answer(code, err::kBadLength);
            const std::uint8_t type = o->type & 0x7F;
            if (type > 3 || (o->type & 0x70) != 0) return answer(code, err::kBadParameters);
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (!fn_.shift_open) return answer(code, err::kFnWrongState);
            if (auto e = print_refused()) return answer(code, *e);
            receipt_ = OpenReceipt{type, (o->type & 0x80) != 0, {}, {}, {}, 0};
            return answer(code, 0, op_answer);
        }
        case cmd::kCancelReceipt:
            if (!receipt_) return answer(code, err::kReceiptClosed);
            receipt_.reset();
            tape_.push_back("receipt cancelled");
            return answer(code, 0, op_answer);
        case cmd::kSendTlv:
        case cmd::kSendLineTlv: {
            auto t = sh::TlvRequest::decode(code, req.data);
            if (!t) return answer(code, err::kBadLength);
            if (t->tlv.size() > sh::kMaxTlvPerCommand) return answer(code, err::kFnTlvTooLarge);
            if (!sh::parse_tlvs(t->tlv)) return answer(code, err::kFnUnknownCommand);
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
        case cmd::kOperationV2:
            return operation(req);
        case cmd::kBeginCorrection:  // FF35h: FFD 1.05 correction, tags (FF0Ch) then FF4Ah (§1.9)
            if (receipt_) return answer(code, err::kReceiptOpen);
            if (!fn_.shift_open) return answer(code, err::kFnWrongState);
            shift_step_ = ShiftStep::Correction;
            shift_tags_.clear();
            return answer(code, 0);
        case cmd::kCorrectionV2:
            return correction_v2(req);
        case cmd::kCloseReceiptV2:
            return close_receipt(req, power_cut);
        case cmd::kFnStatus: {
            sh::FnStatus s;
            s.life_phase = 0x03;
            s.current_document = receipt_ ? (receipt_->correction ? 0x14 : 0x04) : 0x00;
            s.document_data = receipt_ && !receipt_->lines.empty() ? 1 : 0;
            s.shift_open = fn_.shift_open ? 1 : 0;
            s.date_time = sh::DateTime::from(clock_.now());
            s.fn_number = fn_.fn_serial;
            s.last_fd_number = fn_.last_fd;
            return answer(code, 0, s.encode());
        }
        case cmd::kFnNumber:
            return answer(code, 0, sh::FnNumber{fn_.fn_serial}.encode());
        case cmd::kFnExpiry: {
            const auto dt =
                sh::DateTime::from(std::chrono::system_clock::time_point{std::chrono::seconds{fn_.fn_expiry_unix}});
            return answer(code, 0, sh::FnExpiry{dt.year, dt.month, dt.day}.encode());
        }
        case cmd::kFindDocument: {
            auto f = sh::FindDocumentRequest::decode(req.data);
            if (!f) return answer(code, err::kBadLength);
            const ArchivedDocument* d = fn_.find(f->number);
            if (!d) return answer(code, err::kFnNoData);
            sh::FoundDocument out;
            out.type = d->type;
            out.ofd_ticket = d->ofd_ticket;
            out.date_time =
                sh::DateTime::from(std::chrono::system_clock::time_point{std::chrono::seconds{d->unix_time}});
            out.number = d->number;
            out.fiscal_sign = d->fiscal_sign;
            if (d->type == sh::doc_type::kReceipt || d->type == sh::doc_type::kCorrectionReceipt) {
                out.operation = d->operation;
                out.amount = d->total;
            }
            return answer(code, 0, out.encode());
        }
        case cmd::kOfdStatus: {
            sh::OfdStatus s;
            s.queued = static_cast<std::uint16_t>(fn_.ofd_unsent());
            if (const auto* d = fn_.ofd_oldest_unsent()) {
                s.status = 0x02;  // message for the OFD pending; no transport connection in a simulator
                s.first_number = d->number;
                s.first_date_time =
                    sh::DateTime::from(std::chrono::system_clock::time_point{std::chrono::seconds{d->unix_time}});
            }
            return answer(code, 0, s.encode());
        }
        case cmd::kShiftParams:
            return answer(code, 0, sh::ShiftParams{fn_.shift_open, fn_.shift_number, fn_.receipts_in_shift}.encode());
        default:
            return answer(code, err::kNotSupported);  // §1.5: FF xx 37 / cmd 37
    }
}

Bytes SimDevice::open_shift(std::uint16_t code, const sh::Request& req, const Bytes& tags) {
    if (receipt_) return answer(code, err::kReceiptOpen);
    if (fn_.shift_open) return answer(code, err::kShiftOpen);
    if (auto e = print_refused()) return answer(code, *e);
    shift_step_ = ShiftStep::None;
    fn_.shift_open = true;
    fn_.shift_number = static_cast<std::uint16_t>(fn_.shift_number + 1);
    fn_.shift_opened_at = now_unix();
    fn_.receipts_in_shift = 0;
    const std::uint32_t fd = ++fn_.last_fd;
    Bytes tlv;
    put_common_tags(tlv, fd);
    tlv.insert(tlv.end(), tags.begin(), tags.end());
    const auto& doc = write_document(sh::doc_type::kShiftOpen, std::move(tlv), 0, 0);
    tape_.push_back("shift " + std::to_string(fn_.shift_number) + " opened");
    if (code == cmd::kOpenShiftFn) {
        return answer(
            code, 0,
            sh::ShiftDocumentAnswer{fn_.shift_number, doc.number, doc.fiscal_sign, sh::DateTime::from(clock_.now())}
                .encode());
    }
    return answer(code, 0, Bytes{static_cast<std::uint8_t>(*sh::decode_password(req.data))});
}

Bytes SimDevice::close_shift(std::uint16_t code, const sh::Request& req, const Bytes& tags) {
    if (receipt_) return answer(code, err::kReceiptOpen);
    if (!fn_.shift_open) return answer(code, err::kFnWrongState);
    if (auto e = print_refused()) return answer(code, *e);
    shift_step_ = ShiftStep::None;
    const std::uint32_t fd = ++fn_.last_fd;
    Bytes tlv;
    put_common_tags(tlv, fd);
    tlv.insert(tlv.end(), tags.begin(), tags.end());
    fn_.shift_open = false;
    fn_.receipts_in_shift = 0;
    const auto& doc = write_document(sh::doc_type::kShiftClose, std::move(tlv), 0, 0);
    tape_.push_back("shift " + std::to_string(fn_.shift_number) + " closed");
    if (code == cmd::kCloseShiftFn) {
        return answer(
            code, 0,
            sh::ShiftDocumentAnswer{fn_.shift_number, doc.number, doc.fiscal_sign, sh::DateTime::from(clock_.now())}
                .encode());
    }
    return answer(code, 0, Bytes{static_cast<std::uint8_t>(*sh::decode_password(req.data))});
}

Bytes SimDevice::operation(const sh::Request& req) {
    const std::uint16_t code = req.code;
    auto o = sh::OperationV2::decode(req.data);
    if (!o) return answer(code, err::kBadLength);
    if (o->operation < 1 || o->operation > 4) return answer(code, err::kBadParameters);
    if (!receipt_) {
        // Models without 8Dh open the receipt with the first operation (§1.8.2 step 1).
        if (!fn_.shift_open) return answer(code, err::kFnWrongState);
        if (auto e = print_refused()) return answer(code, *e);
        receipt_ = OpenReceipt{static_cast<std::uint8_t>(o->operation - 1), false, {}, {}, {}, 0};
    }
    if (o->operation != receipt_->type + 1) return answer(code, 0x49);  // operation of another receipt type
    if (o->quantity_micro <= 0 || o->quantity_micro > 99'999'999'999'999) return answer(code, 0x62);
    if (o->price > 9'999'999'999) return answer(code, 0x61);
    if (o->department > 16 && o->department != 255) return answer(code, 0x63);
    if (o->method < 1 || o->method > 7 || o->subject < 1 || o->subject > 33) return answer(code, err::kBadParameters);
    if (!sh::tag_1199_for_tax_byte(o->tax, true)) return answer(code, err::kBadParameters);
    // price × quantity, half up; a given amount may differ by at most one kopeck (§1.8.2).
    const U128 exact2 = static_cast<U128>(o->price) * static_cast<std::uint64_t>(o->quantity_micro) * 2;
    const auto computed = static_cast<std::uint64_t>((exact2 / 1'000'000 + 1) / 2);
    if (o->amount == sh::kMoneyAuto) {
        o->amount = computed;
    } else if ((o->amount > computed ? o->amount - computed : computed - o->amount) > 1) {
        return answer(code, err::kBadParameters);
    }
    if (receipt_->total + o->amount > 9'999'999'999) return answer(code, 0x48);
    receipt_->total += o->amount;
    Line line{*o, std::move(receipt_->pending_line_tags)};
    receipt_->pending_line_tags.clear();
    receipt_->lines.push_back(std::move(line));
    return answer(code, 0);
}

Bytes SimDevice::correction_v2(const sh::Request& req) {
    const std::uint16_t code = req.code;
    auto c = sh::CorrectionV2::decode(req.data);
    if (!c) return answer(code, err::kBadLength);
    if (receipt_) return answer(code, err::kReceiptOpen);
    if (!fn_.shift_open) return answer(code, err::kFnWrongState);
    if (auto e = print_refused()) return answer(code, *e);
    const std::uint8_t ts = c->tax_system;
    if (c->correction_type > 1 || (c->calc_sign != 1 && c->calc_sign != 3) || ts == 0 || (ts & (ts - 1)) != 0 ||
        (ts & fn_.tax_systems) == 0)
        return answer(code, err::kBadParameters);
    if (c->total == 0) return answer(code, err::kZeroTotal);
    std::uint64_t paid = 0;
    for (const auto p : c->payments) paid += p;
    if (paid != c->total) return answer(code, err::kPaymentsBelowTotal);
    const std::uint32_t fd = ++fn_.last_fd;
    const auto receipt_no = static_cast<std::uint16_t>(fn_.receipts_in_shift + 1);
    Bytes tlv;
    put_common_tags(tlv, fd);
    sh::put_tlv_u32(tlv, 1042, receipt_no);
    sh::put_tlv_byte(tlv, 1054, c->calc_sign);
    sh::put_tlv_byte(tlv, 1173, c->correction_type);
    sh::put_tlv_byte(tlv, 1055, ts);
    if (shift_step_ == ShiftStep::Correction) tlv.insert(tlv.end(), shift_tags_.begin(), shift_tags_.end());
    shift_step_ = ShiftStep::None;
    sh::put_tlv_vln(tlv, 1020, c->total);
    sh::put_tlv_vln(tlv, 1031, c->payments[0]);
    sh::put_tlv_vln(tlv, 1081, c->payments[1]);
    sh::put_tlv_vln(tlv, 1215, c->payments[2]);
    sh::put_tlv_vln(tlv, 1216, c->payments[3]);
    sh::put_tlv_vln(tlv, 1217, c->payments[4]);
    fn_.receipts_in_shift = receipt_no;
    ++fn_.receipts_total;
    const auto& doc = write_document(sh::doc_type::kCorrectionReceipt, std::move(tlv), c->calc_sign, c->total);
    tape_.push_back("correction FD " + std::to_string(doc.number));
    return answer(
        code, 0,
        sh::CorrectionV2Answer{receipt_no, doc.number, doc.fiscal_sign, sh::DateTime::from(clock_.now())}.encode());
}

Bytes SimDevice::close_receipt(const sh::Request& req, bool& power_cut) {
    const std::uint16_t code = req.code;
    auto c = sh::CloseReceiptV2::decode(req.data);
    if (!c) return answer(code, err::kBadLength);
    if (!receipt_) return answer(code, err::kReceiptClosed);
    if (auto e = print_refused()) return answer(code, *e);
    if (receipt_->lines.empty() || receipt_->total == 0) return answer(code, err::kZeroTotal);
    // Tax system: exactly one bit, registered in the FN (1055 vs 1062).
    const std::uint8_t ts = c->tax_system;
    if (ts == 0 || (ts & (ts - 1)) != 0 || (ts & fn_.tax_systems) == 0) return answer(code, err::kBadParameters);
    std::uint64_t paid = 0;
    for (const auto p : c->payments) {
        if (p > 9'999'999'999) return answer(code, err::kBadParameters);
        paid += p;
    }
    const std::uint64_t cash = c->payments[0];
    const std::uint64_t non_cash = paid - cash;
    if (paid < receipt_->total) return answer(code, err::kPaymentsBelowTotal);
    if (non_cash > receipt_->total) return answer(code, err::kNonCashAboveTotal);
    const std::uint64_t change = paid - receipt_->total;  // ≤ cash: only cash gives change
    std::uint64_t electronic = 0;
    for (std::size_t i = 1; i <= 12; ++i) electronic += c->payments[i];
    const bool after_2026 = now_unix() >= k2026;

    // Build the document as the FN would sign it (§3.3 tags).
    const std::uint32_t fd = ++fn_.last_fd;
    const std::uint16_t receipt_no = static_cast<std::uint16_t>(fn_.receipts_in_shift + 1);
    Bytes tlv;
    put_common_tags(tlv, fd);
    sh::put_tlv_u32(tlv, 1042, receipt_no);
    sh::put_tlv_byte(tlv, 1054, static_cast<std::uint8_t>(receipt_->type + 1));
    sh::put_tlv_byte(tlv, 1055, ts);
    tlv.insert(tlv.end(), receipt_->tags.begin(), receipt_->tags.end());
    for (const auto& line : receipt_->lines) {
        Bytes item;
        const std::uint8_t vat_code = *sh::tag_1199_for_tax_byte(line.op.tax, after_2026);
        sh::put_tlv_string(item, 1030, line.op.name);
        sh::put_tlv_vln(item, 1079, line.op.price);
        sh::put_tlv_fvln(item, 1023, line.op.quantity_micro);
        sh::put_tlv_vln(item, 1043, line.op.amount);
        sh::put_tlv_byte(item, 1199, vat_code);
        sh::put_tlv_vln(item, 1200,
                        line.op.tax_amount == sh::kMoneyAuto ? vat_of(line.op.amount, vat_code) : line.op.tax_amount);
        sh::put_tlv_byte(item, 1214, line.op.method);
        sh::put_tlv_byte(item, 1212, line.op.subject);
        item.insert(item.end(), line.tags.begin(), line.tags.end());
        sh::put_tlv(tlv, 1059, item);
    }
    sh::put_tlv_vln(tlv, 1020, receipt_->total);
    sh::put_tlv_vln(tlv, 1031, cash - change);
    sh::put_tlv_vln(tlv, 1081, electronic);
    sh::put_tlv_vln(tlv, 1215, c->payments[13]);
    sh::put_tlv_vln(tlv, 1216, c->payments[14]);
    sh::put_tlv_vln(tlv, 1217, c->payments[15]);

    fn_.receipts_in_shift = receipt_no;
    ++fn_.receipts_total;
    ++receipts_this_run_;
    // The drawer holds the cash kept (sale, buy return) or paid out (sale return, buy).
    const auto kept = static_cast<std::int64_t>(cash - change);
    fn_.cash_in_drawer += receipt_->type == 0 || receipt_->type == 3 ? kept : -kept;
    const std::uint8_t type = receipt_->correction ? sh::doc_type::kCorrectionReceipt : sh::doc_type::kReceipt;
    const std::uint8_t op = static_cast<std::uint8_t>(receipt_->type + 1);
    const std::uint64_t total = receipt_->total;
    receipt_.reset();
    const auto& doc = write_document(type, std::move(tlv), op, total);
    tape_.push_back("receipt FD " + std::to_string(doc.number) + " FP " + std::to_string(doc.fiscal_sign));
    if (faults_.paper_out_after && fn_.receipts_total == *faults_.paper_out_after) {
        // The tape runs out while this receipt prints (faults.hpp): the FN has it, the paper has
        // only part of it; sub-mode 2 until paper is loaded, then 3 until B0h (§1.7).
        paper_ = Paper::OutWhilePrinting;
        interrupted_ = tape_.back();
        tape_.back() += " [paper out]";
    }
    if (faults_.power_cut_after_receipt && receipts_this_run_ == *faults_.power_cut_after_receipt) power_cut = true;
    return answer(
        code, 0,
        sh::CloseReceiptV2Answer{change, doc.number, doc.fiscal_sign, sh::DateTime::from(clock_.now())}.encode());
}

}  // namespace kassa::sim
