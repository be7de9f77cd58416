#include "drivers/shtrih/commands.hpp"

#include <algorithm>

namespace kassa::drivers::shtrih {

namespace {

// Reads a chain of fields and reports the first failure once.
#define KASSA_TRY_READ(var, expr)                          \
    auto var##_r = (expr);                                 \
    if (!var##_r) return std::unexpected(var##_r.error()); \
    const auto var = *var##_r

void put_code(Bytes& out, std::uint16_t code) {
    if (is_fn_class(code)) out.push_back(0xFF);
    out.push_back(static_cast<std::uint8_t>(code & 0xFF));
}

Request with_password(std::uint16_t code, std::uint32_t password) {
    Request r{code, {}};
    Writer(r.data).le(password, 4);
    return r;
}

std::string trim_zero(const Bytes& b) {
    std::size_t n = 0;
    while (n < b.size() && b[n] != 0) ++n;
    return std::string(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

Bytes Request::body() const {
    Bytes out;
    put_code(out, code);
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

Result<Request> Request::parse(std::span<const std::uint8_t> body) {
    if (body.empty()) return fail("bad_request", "empty frame body");
    if (body[0] == 0xFF) {
        if (body.size() < 2) return fail("bad_request", "FF command without its second byte");
        return Request{static_cast<std::uint16_t>(0xFF00 | body[1]), Bytes(body.begin() + 2, body.end())};
    }
    return Request{body[0], Bytes(body.begin() + 1, body.end())};
}

Bytes Answer::body() const {
    Bytes out;
    put_code(out, code);
    out.push_back(error);
    if (error == 0) out.insert(out.end(), data.begin(), data.end());
    return out;
}

Result<Answer> Answer::parse(std::span<const std::uint8_t> body, std::uint16_t expected_code) {
    if (!is_fn_class(expected_code)) {
        if (body.size() < 2) return fail("bad_answer", "answer shorter than CMD + error");
        if (body[0] != expected_code) return fail("unexpected_answer", "answer to another command");
        return Answer{expected_code, body[1], Bytes(body.begin() + 2, body.end())};
    }
    if (body.size() < 2 || body[0] != 0xFF) return fail("unexpected_answer", "answer to another command");
    const auto sub = static_cast<std::uint8_t>(expected_code & 0xFF);
    if (body.size() >= 3 && body[1] == sub) {
        return Answer{expected_code, body[2], Bytes(body.begin() + 3, body.end())};
    }
    // Short form `FF err` from a device that does not know the sub-command (§1.5 tolerance).
    if (body.size() == 2 && body[1] != 0) return Answer{expected_code, body[1], {}};
    return fail("unexpected_answer", "answer to another FF command");
}

Request password_request(std::uint16_t code, std::uint32_t password) { return with_password(code, password); }

Result<std::uint32_t> decode_password(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    return static_cast<std::uint32_t>(p);
}

Bytes OperatorAnswer::encode() const { return Bytes{operator_number}; }

Result<OperatorAnswer> OperatorAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(op, r.u8());
    return OperatorAnswer{op};
}

// 10h answer after CMD+err: op 1; flags 2; mode 1; submode 1; receipt ops lo 1; battery 1;
// power 1; FM err 1; EJ err 1; receipt ops hi 1; reserved 3; [last print result 1] (§1.8).
Bytes ShortStatus::encode() const {
    Bytes out;
    Writer w(out);
    w.u8(operator_number).le(flags, 2).u8(mode).u8(submode);
    w.u8(static_cast<std::uint8_t>(receipt_operations & 0xFF)).u8(battery_voltage).u8(power_voltage);
    w.u8(fm_error).u8(ej_error).u8(static_cast<std::uint8_t>(receipt_operations >> 8)).le(0, 3);
    if (last_print_result) w.u8(*last_print_result);
    return out;
}

Result<ShortStatus> ShortStatus::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    ShortStatus s;
    KASSA_TRY_READ(op, r.u8());
    KASSA_TRY_READ(fl, r.le(2));
    KASSA_TRY_READ(mode, r.u8());
    KASSA_TRY_READ(sub, r.u8());
    KASSA_TRY_READ(ops_lo, r.u8());
    KASSA_TRY_READ(bat, r.u8());
    KASSA_TRY_READ(pwr, r.u8());
    KASSA_TRY_READ(fm, r.u8());
    KASSA_TRY_READ(ej, r.u8());
    KASSA_TRY_READ(ops_hi, r.u8());
    KASSA_TRY_READ(reserved, r.raw(3));
    (void)reserved;
    s.operator_number = op;
    s.flags = static_cast<std::uint16_t>(fl);
    s.mode = mode;
    s.submode = sub;
    s.receipt_operations = static_cast<std::uint16_t>(ops_lo | (ops_hi << 8));
    s.battery_voltage = bat;
    s.power_voltage = pwr;
    s.fm_error = fm;
    s.ej_error = ej;
    if (r.remaining() > 0) s.last_print_result = *r.u8();
    return s;
}

// 11h answer, §1.8.1 rows 2..23 (the error byte, row 1, precedes the data).
Bytes FullStatus::encode() const {
    Bytes out;
    Writer w(out);
    w.u8(operator_number).raw(firmware_version).le(firmware_build, 2).raw(firmware_date).u8(number_in_hall);
    w.le(document_number, 2).le(flags, 2).u8(mode).u8(submode).u8(port);
    w.raw(fp_version).le(fp_build, 2).raw(fp_date);  // FP version, build, date: placeholders on FN devices
    w.raw(date).raw(time).u8(0);                     // FP flags
    w.le(serial_low, 4).le(last_closed_shift, 2).le(0, 2).u8(0).u8(0);  // free FP records, refiscalisations
    w.le(inn, 6);
    return out;
}

Result<FullStatus> FullStatus::decode(std::span<const std::uint8_t> data) {
    if (data.size() < 46) return fail("short_answer", "11h answer shorter than the 48-byte layout");
    Reader r(data);
    FullStatus s;
    s.operator_number = *r.u8();
    s.firmware_version = {*r.u8(), *r.u8()};
    s.firmware_build = static_cast<std::uint16_t>(*r.le(2));
    s.firmware_date = {*r.u8(), *r.u8(), *r.u8()};
    s.number_in_hall = *r.u8();
    s.document_number = static_cast<std::uint16_t>(*r.le(2));
    s.flags = static_cast<std::uint16_t>(*r.le(2));
    s.mode = *r.u8();
    s.submode = *r.u8();
    s.port = *r.u8();
    (void)r.raw(7);  // FP version 2, build 2, date 3
    s.date = {*r.u8(), *r.u8(), *r.u8()};
    s.time = {*r.u8(), *r.u8(), *r.u8()};
    (void)r.u8();  // FP flags
    s.serial_low = static_cast<std::uint32_t>(*r.le(4));
    s.last_closed_shift = static_cast<std::uint16_t>(*r.le(2));
    (void)r.raw(4);  // free FP records 2, refiscalisations done 1, left 1
    s.inn = *r.le(6);
    return s;
}

Request OpenReceiptRequest::request() const {
    Request r = with_password(cmd::kOpenReceipt, password);
    r.data.push_back(type);
    return r;
}

Result<OpenReceiptRequest> OpenReceiptRequest::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(t, r.u8());
    return OpenReceiptRequest{static_cast<std::uint32_t>(p), t};
}

Bytes DeviceType::encode() const {
    Bytes out;
    Writer(out)
        .u8(type)
        .u8(subtype)
        .u8(protocol_version)
        .u8(protocol_subversion)
        .u8(model)
        .u8(language)
        .raw(to_cp1251(name));
    return out;
}

Result<DeviceType> DeviceType::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    DeviceType d;
    KASSA_TRY_READ(t, r.u8());
    KASSA_TRY_READ(st, r.u8());
    KASSA_TRY_READ(pv, r.u8());
    KASSA_TRY_READ(ps, r.u8());
    KASSA_TRY_READ(m, r.u8());
    KASSA_TRY_READ(l, r.u8());
    d.type = t;
    d.subtype = st;
    d.protocol_version = pv;
    d.protocol_subversion = ps;
    d.model = m;
    d.language = l;
    d.name = from_cp1251(r.rest());
    return d;
}

Request ReadTableRequest::request() const {
    Request r = with_password(cmd::kReadTable, password);
    Writer(r.data).u8(table).le(row, 2).u8(field);
    return r;
}

Result<ReadTableRequest> ReadTableRequest::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(t, r.u8());
    KASSA_TRY_READ(row, r.le(2));
    KASSA_TRY_READ(f, r.u8());
    return ReadTableRequest{static_cast<std::uint32_t>(p), t, static_cast<std::uint16_t>(row), f};
}

namespace {
std::string text_field(const Bytes& bytes) {
    return from_cp1251(Bytes(bytes.begin(), std::find(bytes.begin(), bytes.end(), std::uint8_t{0})));
}
}  // namespace

Request LegacyOperation::request() const {
    Request r = with_password(code, password);
    Writer w(r.data);
    w.le(quantity_milli, 5).le(price, 5).u8(department).raw(taxes).text_fixed(text, 40);
    return r;
}

Result<LegacyOperation> LegacyOperation::decode(std::uint16_t code, std::span<const std::uint8_t> data) {
    Reader r(data);
    LegacyOperation o;
    o.code = code;
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(q, r.le(5));
    KASSA_TRY_READ(price, r.le(5));
    KASSA_TRY_READ(d, r.u8());
    KASSA_TRY_READ(t, r.raw(4));
    o.password = static_cast<std::uint32_t>(p);
    o.quantity_milli = q;
    o.price = price;
    o.department = d;
    std::copy(t.begin(), t.end(), o.taxes.begin());
    o.text = text_field(r.rest());
    return o;
}

Request LegacyClose::request() const {
    Request r = with_password(cmd::kCloseReceipt, password);
    Writer w(r.data);
    for (const auto p : payments) w.le(p, 5);
    w.le(static_cast<std::uint16_t>(discount), 2).raw(taxes).text_fixed(text, 40);
    return r;
}

Result<LegacyClose> LegacyClose::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    LegacyClose c;
    KASSA_TRY_READ(p, r.le(4));
    c.password = static_cast<std::uint32_t>(p);
    for (auto& pay : c.payments) {
        KASSA_TRY_READ(v, r.le(5));
        pay = v;
    }
    KASSA_TRY_READ(d, r.le(2));
    KASSA_TRY_READ(t, r.raw(4));
    c.discount = static_cast<std::int16_t>(static_cast<std::uint16_t>(d));
    std::copy(t.begin(), t.end(), c.taxes.begin());
    c.text = text_field(r.rest());
    return c;
}

Bytes LegacyCloseAnswer::encode() const {
    Bytes out;
    Writer(out).u8(operator_number).le(change, 5);
    return out;
}

Result<LegacyCloseAnswer> LegacyCloseAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(op, r.u8());
    KASSA_TRY_READ(c, r.le(5));
    return LegacyCloseAnswer{op, c};
}

Bytes SettlementReportAnswer::encode() const {
    Bytes out;
    Writer w(out);
    w.le(fd_number, 4).le(fiscal_sign, 4).le(unconfirmed, 4).raw(first_unconfirmed.encode());
    if (date_time) date_time->write(w);
    return out;
}

Result<SettlementReportAnswer> SettlementReportAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    SettlementReportAnswer a;
    KASSA_TRY_READ(fd, r.le(4));
    KASSA_TRY_READ(fp, r.le(4));
    KASSA_TRY_READ(n, r.le(4));
    KASSA_TRY_READ(date, r.raw(3));
    auto first = FnExpiry::decode(date);
    if (!first) return std::unexpected(first.error());
    a.fd_number = static_cast<std::uint32_t>(fd);
    a.fiscal_sign = static_cast<std::uint32_t>(fp);
    a.unconfirmed = static_cast<std::uint32_t>(n);
    a.first_unconfirmed = *first;
    if (r.remaining() >= 5) {
        auto dt = DateTime::read(r);
        if (!dt) return std::unexpected(dt.error());
        a.date_time = *dt;
    }
    return a;
}

Request CashRequest::request() const {
    Request r = with_password(code, password);
    Writer(r.data).le(amount, 5);
    return r;
}

Result<CashRequest> CashRequest::decode(std::uint16_t code, std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(a, r.le(5));
    return CashRequest{code, static_cast<std::uint32_t>(p), a};
}

Bytes CashAnswer::encode() const {
    Bytes out;
    Writer(out).u8(operator_number).le(document_number, 2);
    return out;
}

Result<CashAnswer> CashAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(op, r.u8());
    KASSA_TRY_READ(n, r.le(2));
    return CashAnswer{op, static_cast<std::uint16_t>(n)};
}

Request MoneyRegisterRequest::request() const {
    Request r = with_password(cmd::kMoneyRegister, password);
    Writer(r.data).u8(number);
    return r;
}

Result<MoneyRegisterRequest> MoneyRegisterRequest::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(n, r.u8());
    return MoneyRegisterRequest{static_cast<std::uint32_t>(p), n};
}

Bytes MoneyRegisterAnswer::encode() const {
    Bytes out;
    Writer(out).u8(operator_number).le(value, 6);
    return out;
}

Result<MoneyRegisterAnswer> MoneyRegisterAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(op, r.u8());
    KASSA_TRY_READ(v, r.le(6));
    return MoneyRegisterAnswer{op, v};
}

Request PrintStringRequest::request() const {
    Request r = with_password(cmd::kPrintString, password);
    Writer(r.data).u8(flags).text_fixed(text, 40);
    return r;
}

Result<PrintStringRequest> PrintStringRequest::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(f, r.u8());
    const Bytes text = r.rest();
    Bytes cut(text.begin(), std::find(text.begin(), text.end(), std::uint8_t{0}));
    return PrintStringRequest{static_cast<std::uint32_t>(p), f, from_cp1251(cut)};
}

Request PrintFontStringRequest::request() const {
    Request r = with_password(cmd::kPrintFontString, password);
    Writer(r.data).u8(flags).u8(font).text_fixed(text, 40);
    return r;
}

Result<PrintFontStringRequest> PrintFontStringRequest::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(f, r.u8());
    KASSA_TRY_READ(font, r.u8());
    const Bytes text = r.rest();
    Bytes cut(text.begin(), std::find(text.begin(), text.end(), std::uint8_t{0}));
    return PrintFontStringRequest{static_cast<std::uint32_t>(p), f, font, from_cp1251(cut)};
}

Request LoadDataRequest::request() const {
    Request r = with_password(cmd::kLoadData, password);
    Writer(r.data).u8(kind).u8(block).raw(data);
    return r;
}

Result<LoadDataRequest> LoadDataRequest::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(kind, r.u8());
    KASSA_TRY_READ(block, r.u8());
    return LoadDataRequest{static_cast<std::uint32_t>(p), kind, block, r.rest()};
}

Request Print2DBarcodeRequest::request() const {
    Request r = with_password(cmd::kPrint2DBarcode, password);
    Writer(r.data).u8(type).le(length, 2).u8(first_block).raw(parameters).u8(alignment);
    return r;
}

Result<Print2DBarcodeRequest> Print2DBarcodeRequest::decode(std::span<const std::uint8_t> data) {
    if (data.size() != 14) return fail("bad_request", "DEh request has the wrong length");
    Reader r(data);
    Print2DBarcodeRequest q;
    q.password = static_cast<std::uint32_t>(*r.le(4));
    q.type = *r.u8();
    q.length = static_cast<std::uint16_t>(*r.le(2));
    q.first_block = *r.u8();
    for (auto& p : q.parameters) p = *r.u8();
    q.alignment = *r.u8();
    return q;
}

Request CutRequest::request() const {
    Request r = with_password(cmd::kCut, password);
    r.data.push_back(type);
    return r;
}

Result<CutRequest> CutRequest::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(t, r.u8());
    return CutRequest{static_cast<std::uint32_t>(p), t};
}

// FF01h answer: phase 1; current doc 1; doc data 1; shift state 1; warnings 1; DATE_TIME 5;
// FN number 16 ASCII; last FD number 4 (§1.8).
Bytes FnStatus::encode() const {
    Bytes out;
    Writer w(out);
    w.u8(life_phase).u8(current_document).u8(document_data).u8(shift_open).u8(warnings);
    date_time.write(w);
    Bytes num(fn_number.begin(), fn_number.end());
    num.resize(16, ' ');
    w.raw(num).le(last_fd_number, 4);
    return out;
}

Result<FnStatus> FnStatus::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    FnStatus s;
    KASSA_TRY_READ(phase, r.u8());
    KASSA_TRY_READ(doc, r.u8());
    KASSA_TRY_READ(doc_data, r.u8());
    KASSA_TRY_READ(shift, r.u8());
    KASSA_TRY_READ(warn, r.u8());
    KASSA_TRY_READ(dt, DateTime::read(r));
    KASSA_TRY_READ(num, r.raw(16));
    KASSA_TRY_READ(last, r.le(4));
    s.life_phase = phase;
    s.current_document = doc;
    s.document_data = doc_data;
    s.shift_open = shift;
    s.warnings = warn;
    s.date_time = dt;
    s.fn_number = trim_zero(num);
    while (!s.fn_number.empty() && s.fn_number.back() == ' ') s.fn_number.pop_back();
    s.last_fd_number = static_cast<std::uint32_t>(last);
    return s;
}

Bytes FnNumber::encode() const {
    Bytes out(number.begin(), number.end());
    out.resize(16, ' ');
    return out;
}

Result<FnNumber> FnNumber::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(num, r.raw(16));
    std::string s = trim_zero(num);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return FnNumber{s};
}

Bytes FnExpiry::encode() const {
    return Bytes{static_cast<std::uint8_t>(year - 2000), static_cast<std::uint8_t>(month),
                 static_cast<std::uint8_t>(day)};
}

Result<FnExpiry> FnExpiry::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(y, r.u8());
    KASSA_TRY_READ(m, r.u8());
    KASSA_TRY_READ(d, r.u8());
    if (m < 1 || m > 12 || d < 1 || d > 31) return fail("bad_answer", "invalid FN expiry date");
    return FnExpiry{2000 + y, m, d};
}

Request FindDocumentRequest::request() const {
    Request r = with_password(cmd::kFindDocument, password);
    Writer(r.data).le(number, 4);
    return r;
}

Result<FindDocumentRequest> FindDocumentRequest::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(n, r.le(4));
    return FindDocumentRequest{static_cast<std::uint32_t>(p), static_cast<std::uint32_t>(n)};
}

// FF0Ah answer: type 1; OFD ticket 1; DATE_TIME 5; FD number 4; FP 4; receipts add operation 1 +
// amount 5 (§1.8).
Bytes FoundDocument::encode() const {
    Bytes out;
    Writer w(out);
    w.u8(type).u8(ofd_ticket ? 1 : 0);
    date_time.write(w);
    w.le(number, 4).le(fiscal_sign, 4);
    if (operation && amount) w.u8(*operation).le(*amount, 5);
    return out;
}

Result<FoundDocument> FoundDocument::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    FoundDocument d;
    KASSA_TRY_READ(type, r.u8());
    KASSA_TRY_READ(ticket, r.u8());
    KASSA_TRY_READ(dt, DateTime::read(r));
    KASSA_TRY_READ(num, r.le(4));
    KASSA_TRY_READ(fp, r.le(4));
    d.type = type;
    d.ofd_ticket = ticket != 0;
    d.date_time = dt;
    d.number = static_cast<std::uint32_t>(num);
    d.fiscal_sign = static_cast<std::uint32_t>(fp);
    if (r.remaining() >= 6) {
        d.operation = *r.u8();
        d.amount = *r.le(5);
    }
    return d;
}

Request TlvRequest::request() const {
    Request r = with_password(code, password);
    Writer(r.data).raw(tlv);
    return r;
}

Result<TlvRequest> TlvRequest::decode(std::uint16_t code, std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(p, r.le(4));
    return TlvRequest{code, static_cast<std::uint32_t>(p), r.rest()};
}

// FF39h answer: status 1; reading 1; messages for OFD 2; first doc number 4; first DATE_TIME 5.
Bytes OfdStatus::encode() const {
    Bytes out;
    Writer w(out);
    w.u8(status).u8(reading).le(queued, 2).le(first_number, 4);
    first_date_time.write(w);
    return out;
}

Result<OfdStatus> OfdStatus::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    OfdStatus s;
    KASSA_TRY_READ(st, r.u8());
    KASSA_TRY_READ(rd, r.u8());
    KASSA_TRY_READ(q, r.le(2));
    KASSA_TRY_READ(first, r.le(4));
    s.status = st;
    s.reading = rd;
    s.queued = static_cast<std::uint16_t>(q);
    s.first_number = static_cast<std::uint32_t>(first);
    // With an empty queue devices may send zeros here; keep the default then.
    Reader copy = r;
    if (auto dt = DateTime::read(copy)) s.first_date_time = *dt;
    return s;
}

Bytes ShiftParams::encode() const {
    Bytes out;
    Writer(out).u8(open ? 1 : 0).le(shift_number, 2).le(receipt_number, 2);
    return out;
}

Result<ShiftParams> ShiftParams::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    KASSA_TRY_READ(o, r.u8());
    KASSA_TRY_READ(s, r.le(2));
    KASSA_TRY_READ(n, r.le(2));
    return ShiftParams{o != 0, static_cast<std::uint16_t>(s), static_cast<std::uint16_t>(n)};
}

Bytes ShiftDocumentAnswer::encode() const {
    Bytes out;
    Writer w(out);
    w.le(shift_number, 2).le(fd_number, 4).le(fiscal_sign, 4);
    if (date_time) date_time->write(w);
    return out;
}

Result<ShiftDocumentAnswer> ShiftDocumentAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    ShiftDocumentAnswer a;
    KASSA_TRY_READ(n, r.le(2));
    KASSA_TRY_READ(fd, r.le(4));
    KASSA_TRY_READ(fp, r.le(4));
    a.shift_number = static_cast<std::uint16_t>(n);
    a.fd_number = static_cast<std::uint32_t>(fd);
    a.fiscal_sign = static_cast<std::uint32_t>(fp);
    if (r.remaining() >= 5) {
        KASSA_TRY_READ(dt, DateTime::read(r));
        a.date_time = dt;
    }
    return a;
}

// FF46h: pwd 4; operation 1; qty 6 (6 decimals); price 5; amount 5; tax amount 5; tax byte 1;
// department 1; 1214 1; 1212 1; name 0..128 CP1251 (§1.8.2).
Request OperationV2::request() const {
    Request r = with_password(cmd::kOperationV2, password);
    Writer w(r.data);
    w.u8(operation).le(static_cast<std::uint64_t>(quantity_micro), 6).le(price, 5).le(amount, 5).le(tax_amount, 5);
    w.u8(tax).u8(department).u8(method).u8(subject);
    Bytes text = to_cp1251(name);
    if (text.size() > 128) text.resize(128);
    w.raw(text);
    return r;
}

Result<OperationV2> OperationV2::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    OperationV2 o;
    KASSA_TRY_READ(p, r.le(4));
    KASSA_TRY_READ(op, r.u8());
    KASSA_TRY_READ(qty, r.le(6));
    KASSA_TRY_READ(price, r.le(5));
    KASSA_TRY_READ(amount, r.le(5));
    KASSA_TRY_READ(tax_amount, r.le(5));
    KASSA_TRY_READ(tax, r.u8());
    KASSA_TRY_READ(dept, r.u8());
    KASSA_TRY_READ(method, r.u8());
    KASSA_TRY_READ(subject, r.u8());
    o.password = static_cast<std::uint32_t>(p);
    o.operation = op;
    o.quantity_micro = static_cast<std::int64_t>(qty);
    o.price = price;
    o.amount = amount;
    o.tax_amount = tax_amount;
    o.tax = tax;
    o.department = dept;
    o.method = method;
    o.subject = subject;
    o.name = from_cp1251(r.rest());
    return o;
}

std::optional<std::uint8_t> tax_byte_for_1199(std::uint8_t code) {
    switch (code) {
        case 1:   // 20 %
        case 11:  // 22 %: row 1, relabelled by date in the KKT's default mode
            return 0x01;
        case 2:
            return 0x02;  // 10 %
        case 5:
            return 0x04;  // 0 %
        case 6:
            return 0x08;  // without VAT
        case 3:           // 20/120
        case 12:          // 22/122 as row 5, same rule as 22 %
            return 0x10;
        case 4:
            return 0x20;  // 10/110
        case 7:
            return 0x81;  // 5 %
        case 8:
            return 0x82;  // 7 %
        case 9:
            return 0x84;  // 5/105
        case 10:
            return 0x88;  // 7/107
        default:
            return std::nullopt;
    }
}

std::optional<std::uint8_t> tag_1199_for_tax_byte(std::uint8_t tax, bool after_2026) {
    switch (tax) {
        case 0x01:
            return after_2026 ? 11 : 1;
        case 0x02:
            return 2;
        case 0x04:
            return 5;
        case 0x08:
            return 6;
        case 0x10:
            return after_2026 ? 12 : 3;
        case 0x20:
            return 4;
        case 0x81:
            return 7;
        case 0x82:
            return 8;
        case 0x84:
            return 9;
        case 0x88:
            return 10;
        default:
            return std::nullopt;
    }
}

// FF45h: pwd 4; 16 payment sums 5 each; rounding 1; 6 tax sums 5 each; tax system 1; text 0..64.
Request CloseReceiptV2::request() const {
    Request r = with_password(cmd::kCloseReceiptV2, password);
    Writer w(r.data);
    for (const auto p : payments) w.le(p, 5);
    w.u8(rounding);
    for (const auto t : taxes) w.le(t, 5);
    w.u8(tax_system);
    Bytes t = to_cp1251(text);
    if (t.size() > 64) t.resize(64);
    w.raw(t);
    return r;
}

Result<CloseReceiptV2> CloseReceiptV2::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    CloseReceiptV2 c;
    KASSA_TRY_READ(p, r.le(4));
    c.password = static_cast<std::uint32_t>(p);
    for (auto& pay : c.payments) {
        KASSA_TRY_READ(v, r.le(5));
        pay = v;
    }
    KASSA_TRY_READ(rounding, r.u8());
    c.rounding = rounding;
    for (auto& t : c.taxes) {
        KASSA_TRY_READ(v, r.le(5));
        t = v;
    }
    KASSA_TRY_READ(ts, r.u8());
    c.tax_system = ts;
    c.text = from_cp1251(r.rest());
    return c;
}

Bytes CloseReceiptV2Answer::encode() const {
    Bytes out;
    Writer w(out);
    w.le(change, 5).le(fd_number, 4).le(fiscal_sign, 4);
    if (date_time) date_time->write(w);
    return out;
}

Result<CloseReceiptV2Answer> CloseReceiptV2Answer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    CloseReceiptV2Answer a;
    KASSA_TRY_READ(change, r.le(5));
    KASSA_TRY_READ(fd, r.le(4));
    KASSA_TRY_READ(fp, r.le(4));
    a.change = change;
    a.fd_number = static_cast<std::uint32_t>(fd);
    a.fiscal_sign = static_cast<std::uint32_t>(fp);
    if (r.remaining() >= 5) {
        KASSA_TRY_READ(dt, DateTime::read(r));
        a.date_time = dt;
    }
    return a;
}

// FF4Ah: pwd 4; correction type 1; calc sign 1; total 5; 5 payment sums; 6 tax sums; tax system 1.
Request CorrectionV2::request() const {
    Request r = with_password(cmd::kCorrectionV2, password);
    Writer w(r.data);
    w.u8(correction_type).u8(calc_sign).le(total, 5);
    for (const auto p : payments) w.le(p, 5);
    for (const auto t : taxes) w.le(t, 5);
    w.u8(tax_system);
    return r;
}

Result<CorrectionV2> CorrectionV2::decode(std::span<const std::uint8_t> data) {
    if (data.size() != 4 + 2 + 5 + 25 + 30 + 1) return fail("bad_request", "FF4A request has the wrong length");
    Reader r(data);
    CorrectionV2 c;
    c.password = static_cast<std::uint32_t>(*r.le(4));
    c.correction_type = *r.u8();
    c.calc_sign = *r.u8();
    c.total = *r.le(5);
    for (auto& p : c.payments) p = *r.le(5);
    for (auto& t : c.taxes) t = *r.le(5);
    c.tax_system = *r.u8();
    return c;
}

Bytes CorrectionV2Answer::encode() const {
    Bytes out;
    Writer w(out);
    w.le(receipt_number, 2).le(fd_number, 4).le(fiscal_sign, 4);
    if (date_time) date_time->write(w);
    return out;
}

Result<CorrectionV2Answer> CorrectionV2Answer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    CorrectionV2Answer a;
    KASSA_TRY_READ(n, r.le(2));
    KASSA_TRY_READ(fd, r.le(4));
    KASSA_TRY_READ(fp, r.le(4));
    a.receipt_number = static_cast<std::uint16_t>(n);
    a.fd_number = static_cast<std::uint32_t>(fd);
    a.fiscal_sign = static_cast<std::uint32_t>(fp);
    if (r.remaining() >= 5) {
        KASSA_TRY_READ(dt, DateTime::read(r));
        a.date_time = dt;
    }
    return a;
}

std::chrono::milliseconds answer_timeout(std::uint16_t code) {
    using std::chrono::seconds;
    switch (code) {
        case cmd::kShortStatus:
        case cmd::kFullStatus:
            return seconds{3};
        case 0x26:
            return seconds{5};
        case cmd::kXReport:
            return seconds{30};
        case cmd::kZReport:
            return seconds{65};
        case cmd::kOpenShift:
            return seconds{120};
        case 0x16:
            return seconds{60};
        case 0xFF61:
        case 0xFF67:
            return seconds{40};
        default:
            return seconds{30};
    }
}

}  // namespace kassa::drivers::shtrih
