#include "drivers/atol/commands.hpp"

#include <ctime>

#include "drivers/atol/assumptions.hpp"
#include "fiscal/cp866.hpp"

namespace kassa::drivers::atol {

namespace {

std::unexpected<Error> truncated() { return fail("answer_truncated", "the answer is shorter than its layout"); }

void put_le(Bytes& out, std::uint64_t v, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint8_t to_bcd_byte(int v) { return static_cast<std::uint8_t>(((v / 10) << 4) | (v % 10)); }

// Both the ФН archive and Kassa's ledger keep UTC: no time zone enters the protocol codec.
std::time_t to_utc(int y, int mo, int d, int h, int mi, int s) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

}  // namespace

std::optional<std::uint8_t> receipt_type_for(std::uint8_t calc_sign, bool correction) {
    switch (calc_sign) {
        case 1:
            return correction ? assume::kReceiptCorrectionIncome : receipt_type::kIncome;
        case 2:
            return correction ? assume::kReceiptCorrectionIncomeReturn : receipt_type::kIncomeReturn;
        case 3:
            return correction ? assume::kReceiptCorrectionExpense : receipt_type::kExpense;
        case 4:
            return correction ? assume::kReceiptCorrectionExpenseReturn : receipt_type::kExpenseReturn;
        default:
            return std::nullopt;
    }
}

std::optional<std::pair<std::uint8_t, bool>> calc_sign_for(std::uint8_t type) {
    for (std::uint8_t sign = 1; sign <= 4; ++sign) {
        if (receipt_type_for(sign, false) == type) return std::pair{sign, false};
        if (receipt_type_for(sign, true) == type) return std::pair{sign, true};
    }
    return std::nullopt;
}

// ---- primitives ----

bool put_bcd(Bytes& out, std::uint64_t value, std::size_t size) {
    Bytes digits(size, 0);
    for (std::size_t i = size; i-- > 0;) {
        const auto lo = value % 10;
        value /= 10;
        const auto hi = value % 10;
        value /= 10;
        digits[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    if (value != 0) return false;
    out.insert(out.end(), digits.begin(), digits.end());
    return true;
}

Result<std::uint64_t> read_bcd(std::span<const std::uint8_t> bytes) {
    std::uint64_t v = 0;
    for (const std::uint8_t b : bytes) {
        const int hi = b >> 4;
        const int lo = b & 0x0F;
        if (hi > 9 || lo > 9) return fail("bad_bcd", "a BCD byte holds a nibble above 9");
        v = v * 100 + static_cast<std::uint64_t>(hi * 10 + lo);
    }
    return v;
}

Result<Bytes> to_atol_text(std::string_view utf8) {
    auto cp = fiscal::utf8_to_cp866(utf8);
    if (!cp) return std::unexpected(cp.error());
    Bytes out(cp->begin(), cp->end());
    // ATOL's table puts '№' where ASCII has '$' and '$' where CP866 has '№' (§2.1).
    for (auto& b : out) {
        if (b == 0x24) {
            b = 0xFC;
        } else if (b == 0xFC) {
            b = 0x24;
        }
    }
    return out;
}

std::string from_atol_text(std::span<const std::uint8_t> bytes) {
    std::string cp(bytes.begin(), bytes.end());
    for (auto& c : cp) {
        const auto b = static_cast<std::uint8_t>(c);
        if (b == 0x24) {
            c = static_cast<char>(0xFC);
        } else if (b == 0xFC) {
            c = 0x24;
        }
    }
    return fiscal::cp866_to_utf8(cp);
}

Result<std::uint8_t> Reader::u8() {
    if (remaining() < 1) return truncated();
    return in_[pos_++];
}

Result<std::uint64_t> Reader::bcd(std::size_t size) {
    if (remaining() < size) return truncated();
    auto v = read_bcd(in_.subspan(pos_, size));
    pos_ += size;
    return v;
}

Result<std::uint64_t> Reader::le(std::size_t size) {
    if (remaining() < size) return truncated();
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < size; ++i) v |= static_cast<std::uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += size;
    return v;
}

Result<Bytes> Reader::raw(std::size_t size) {
    if (remaining() < size) return truncated();
    Bytes out(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.begin() + static_cast<std::ptrdiff_t>(pos_ + size));
    pos_ += size;
    return out;
}

Bytes Reader::rest() {
    Bytes out(in_.begin() + static_cast<std::ptrdiff_t>(pos_), in_.end());
    pos_ = in_.size();
    return out;
}

// ---- messages ----

Bytes Request::encode() const {
    Bytes out;
    out.reserve(3 + params.size());
    put_bcd(out, access_password % 10000, 2);
    out.push_back(code);
    out.insert(out.end(), params.begin(), params.end());
    return out;
}

Result<Request> Request::parse(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < 3) return fail("bad_request", "a request is password (2), command and parameters");
    auto pwd = read_bcd(bytes.first(2));
    if (!pwd) return std::unexpected(pwd.error());
    return Request{bytes[2], Bytes(bytes.begin() + 3, bytes.end()), static_cast<std::uint16_t>(*pwd)};
}

Result<Answer> Answer::parse(std::span<const std::uint8_t> bytes, std::uint8_t code) {
    if (code == cmd::kDeviceType) {
        if (bytes.empty()) return fail("bad_answer", "empty A5h answer");
        return Answer{bytes[0], 0, Bytes(bytes.begin() + 1, bytes.end())};
    }
    if (code == cmd::kStatus && !bytes.empty() && bytes[0] == kStatusPrefix)
        return Answer{0, 0, Bytes(bytes.begin() + 1, bytes.end())};
    if (code == cmd::kCashSum && !bytes.empty() && bytes[0] == cmd::kCashSum)
        return Answer{0, 0, Bytes(bytes.begin() + 1, bytes.end())};
    if (bytes.size() < 2 || bytes[0] != kAnswerPrefix) return fail("bad_answer", "the answer does not start with 55h");
    // Some commands answer `55 err` alone when they fail; the extended byte is then absent.
    Answer a{bytes[1], bytes.size() > 2 ? bytes[2] : std::uint8_t{0}, {}};
    if (bytes.size() > 3) a.data.assign(bytes.begin() + 3, bytes.end());
    return a;
}

Bytes Answer::encode(std::uint8_t code) const {
    Bytes out;
    if (code == cmd::kDeviceType) {
        out.push_back(error);
    } else if (code == cmd::kStatus && error == 0) {
        out.push_back(kStatusPrefix);
    } else if (code == cmd::kCashSum && error == 0) {
        out.push_back(cmd::kCashSum);
    } else {
        out = {kAnswerPrefix, error, extended};
    }
    if (error == 0 || code == cmd::kDeviceType) out.insert(out.end(), data.begin(), data.end());
    return out;
}

Request simple_request(std::uint8_t code) { return Request{code, {}, assume::kAccessPassword}; }

Request EnterModeRequest::request() const {
    Request r{cmd::kEnterMode, {mode}, assume::kAccessPassword};
    put_bcd(r.params, password % 100'000'000, 4);
    return r;
}

Result<EnterModeRequest> EnterModeRequest::decode(std::span<const std::uint8_t> params) {
    if (params.size() != 5) return fail("bad_request", "56h takes mode (1) and password (BCD4)");
    auto pwd = read_bcd(params.subspan(1));
    if (!pwd) return std::unexpected(pwd.error());
    return EnterModeRequest{params[0], static_cast<std::uint32_t>(*pwd)};
}

Bytes StatusAnswer::encode() const {
    Bytes out;
    out.reserve(kSize);
    put_bcd(out, cashier % 100, 1);
    out.push_back(number_in_hall);
    for (const auto v : date_time) out.push_back(to_bcd_byte(v % 100));
    out.push_back(flags);
    put_bcd(out, serial % 100'000'000, 4);
    out.push_back(model);
    out.insert(out.end(), version.begin(), version.end());
    out.push_back(mode);
    put_bcd(out, receipt_number % 10000, 2);
    put_bcd(out, shift_number % 10000, 2);
    out.push_back(receipt_state);
    put_bcd(out, receipt_sum % 10'000'000'000ull, 5);
    out.push_back(decimal_point);
    out.push_back(port);
    return out;
}

Result<StatusAnswer> StatusAnswer::decode(std::span<const std::uint8_t> data) {
    if (data.size() < kSize) return truncated();
    Reader r(data);
    StatusAnswer s;
    auto cashier = r.bcd(1);
    if (!cashier) return std::unexpected(cashier.error());
    s.cashier = static_cast<std::uint8_t>(*cashier);
    s.number_in_hall = *r.u8();
    for (auto& v : s.date_time) {
        auto b = r.bcd(1);
        if (!b) return std::unexpected(b.error());
        v = static_cast<std::uint8_t>(*b);
    }
    s.flags = *r.u8();
    auto serial = r.bcd(4);
    if (!serial) return std::unexpected(serial.error());
    s.serial = static_cast<std::uint32_t>(*serial);
    s.model = *r.u8();
    s.version = {*r.u8(), *r.u8()};
    s.mode = *r.u8();
    auto receipt = r.bcd(2);
    auto shift = r.bcd(2);
    if (!receipt || !shift) return fail("bad_bcd", "receipt or shift number is not BCD");
    s.receipt_number = static_cast<std::uint16_t>(*receipt);
    s.shift_number = static_cast<std::uint16_t>(*shift);
    s.receipt_state = *r.u8();
    auto sum = r.bcd(5);
    if (!sum) return std::unexpected(sum.error());
    s.receipt_sum = *sum;
    s.decimal_point = *r.u8();
    s.port = *r.u8();
    return s;
}

Bytes StatusCodeAnswer::encode() const { return {mode, flags}; }

Result<StatusCodeAnswer> StatusCodeAnswer::decode(std::span<const std::uint8_t> data) {
    if (data.size() < 2) return truncated();
    return StatusCodeAnswer{data[0], data[1]};
}

Bytes DeviceTypeAnswer::encode() const {
    Bytes out{protocol, type, model};
    out.insert(out.end(), mode.begin(), mode.end());
    out.insert(out.end(), version.begin(), version.end());
    if (auto text = to_atol_text(name)) out.insert(out.end(), text->begin(), text->end());
    return out;
}

Result<DeviceTypeAnswer> DeviceTypeAnswer::decode(std::span<const std::uint8_t> data) {
    if (data.size() < 10) return truncated();
    DeviceTypeAnswer a;
    a.protocol = data[0];
    a.type = data[1];
    a.model = data[2];
    a.mode = {data[3], data[4]};
    for (std::size_t i = 0; i < 5; ++i) a.version[i] = data[5 + i];
    a.name = from_atol_text(data.subspan(10));
    return a;
}

Request FlagsRequest::request() const {
    Request r{code, {flags}, assume::kAccessPassword};
    r.params.insert(r.params.end(), tail.begin(), tail.end());
    return r;
}

Request open_shift_request(std::uint8_t flags) { return FlagsRequest{cmd::kOpenShift, flags, {}}.request(); }

Request open_receipt_request(std::uint8_t type, std::uint8_t flags) {
    return FlagsRequest{cmd::kOpenReceipt, flags, {type}}.request();
}

Request report_request(std::uint8_t type) { return Request{cmd::kReport, {type}, assume::kAccessPassword}; }

Request begin_item_request() { return Request{cmd::kBeginItem, {0, 0, 0}, assume::kAccessPassword}; }

Result<Request> EndItemRequest::request() const {
    Request r{cmd::kEndItem, {flags}, assume::kAccessPassword};
    auto& p = r.params;
    bool fits = put_bcd(p, price, 7) && put_bcd(p, quantity_milli, 5) && put_bcd(p, amount, 7);
    p.push_back(tax);
    fits = fits && put_bcd(p, tax_sum, 7);
    p.push_back(section);
    p.push_back(subject);
    p.push_back(method);
    p.push_back(discount_sign);
    fits = fits && put_bcd(p, discount, 7);
    if (!fits) return fail("value_too_large", "a price, quantity or sum does not fit its BCD field");
    p.push_back(0);
    p.push_back(0);
    auto text = to_atol_text(name);
    if (!text) return std::unexpected(text.error());
    p.insert(p.end(), text->begin(), text->end());
    return r;
}

Result<EndItemRequest> EndItemRequest::decode(std::span<const std::uint8_t> params) {
    Reader r(params);
    EndItemRequest e;
    auto flags = r.u8();
    if (!flags) return std::unexpected(flags.error());
    e.flags = *flags;
    auto price = r.bcd(7);
    auto qty = r.bcd(5);
    auto amount = r.bcd(7);
    auto tax = r.u8();
    auto tax_sum = r.bcd(7);
    auto section = r.u8();
    auto subject = r.u8();
    auto method = r.u8();
    auto sign = r.u8();
    auto discount = r.bcd(7);
    auto reserved = r.raw(2);
    if (!price || !qty || !amount || !tax || !tax_sum || !section || !subject || !method || !sign || !discount ||
        !reserved)
        return fail("bad_request", "EBh parameters are truncated or not BCD");
    e.price = *price;
    e.quantity_milli = *qty;
    e.amount = *amount;
    e.tax = *tax;
    e.tax_sum = *tax_sum;
    e.section = *section;
    e.subject = *subject;
    e.method = *method;
    e.discount_sign = *sign;
    e.discount = *discount;
    e.name = from_atol_text(r.rest());
    return e;
}

Request WriteTagRequest::request() const {
    Request r{cmd::kWriteTag, {flags}, assume::kAccessPassword};
    r.params.insert(r.params.end(), tlv.begin(), tlv.end());
    return r;
}

Result<WriteTagRequest> WriteTagRequest::decode(std::span<const std::uint8_t> params) {
    if (params.size() < 5) return fail("bad_request", "E8h takes flags and one TLV");
    WriteTagRequest w{params[0], Bytes(params.begin() + 1, params.end())};
    const std::size_t len = w.tlv[2] | (w.tlv[3] << 8);
    if (len + 4 != w.tlv.size()) return fail("bad_request", "E8h TLV length does not match the command");
    return w;
}

Result<Request> MoneyRequest::request() const {
    Request r{code, {flags}, assume::kAccessPassword};
    if (type) r.params.push_back(*type);
    if (!put_bcd(r.params, sum, 5)) return fail("value_too_large", "sum above 99 999 999.99");
    return r;
}

Result<MoneyRequest> MoneyRequest::decode(std::uint8_t code, std::span<const std::uint8_t> params) {
    const bool typed = code == cmd::kPayment || code == cmd::kCloseReceipt;
    if (params.size() != (typed ? 7u : 6u)) return fail("bad_request", "wrong parameter length for a sum command");
    MoneyRequest m{code, params[0], std::nullopt, 0};
    if (typed) m.type = params[1];
    auto sum = read_bcd(params.last(5));
    if (!sum) return std::unexpected(sum.error());
    m.sum = *sum;
    return m;
}

Bytes PaymentAnswer::encode() const {
    Bytes out;
    put_bcd(out, remainder, 5);
    put_bcd(out, change, 5);
    return out;
}

Result<PaymentAnswer> PaymentAnswer::decode(std::span<const std::uint8_t> data) {
    if (data.size() < assume::kPaymentAnswerSize) return truncated();
    auto rem = read_bcd(data.first(5));
    auto change = read_bcd(data.subspan(5, 5));
    if (!rem || !change) return fail("bad_bcd", "99h answer sums are not BCD");
    return PaymentAnswer{*rem, *change};
}

Result<Request> print_string_request(std::string_view utf8) {
    auto text = to_atol_text(utf8);
    if (!text) return std::unexpected(text.error());
    return Request{cmd::kPrintString, std::move(*text), assume::kAccessPassword};
}

Request cut_request(std::uint8_t type) { return Request{cmd::kCut, {type}, assume::kAccessPassword}; }

Request BarcodeRequest::request() const {
    // type, alignment, scale, version 2 (0 = auto), options 2, correction, rows, columns,
    // proportions 2, pixel proportions 2 (assume A12).
    Request r{cmd::kPrintBarcode,
              {type, alignment, scale, 0, 0, 1, 0, correction, 0, 0, 0, 0, 0, 0},
              assume::kAccessPassword};
    r.params.insert(r.params.end(), data.begin(), data.end());
    return r;
}

Result<BarcodeRequest> BarcodeRequest::decode(std::span<const std::uint8_t> params) {
    if (params.size() <= kHeader) return fail("bad_request", "C1h without barcode data");
    BarcodeRequest b;
    b.type = params[0];
    b.alignment = params[1];
    b.scale = params[2];
    b.correction = params[7];
    b.data.assign(params.begin() + kHeader, params.end());
    return b;
}

// ---- ФН ----

Request fn_request(std::uint8_t sub, Bytes params) {
    Request r{cmd::kFn, {sub}, assume::kAccessPassword};
    r.params.insert(r.params.end(), params.begin(), params.end());
    return r;
}

FnDateTime FnDateTime::from(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    return FnDateTime{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min};
}

std::chrono::system_clock::time_point FnDateTime::to_time_point() const {
    return std::chrono::system_clock::from_time_t(to_utc(year, month, day, hour, minute, 0));
}

void FnDateTime::write(Bytes& out) const {
    out.push_back(static_cast<std::uint8_t>(year - 2000));
    out.push_back(static_cast<std::uint8_t>(month));
    out.push_back(static_cast<std::uint8_t>(day));
    out.push_back(static_cast<std::uint8_t>(hour));
    out.push_back(static_cast<std::uint8_t>(minute));
}

Result<FnDateTime> FnDateTime::read(Reader& r) {
    auto b = r.raw(5);
    if (!b) return std::unexpected(b.error());
    const auto& v = *b;
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59)
        return fail("bad_answer", "DATE_TIME out of range");
    return FnDateTime{2000 + v[0], v[1], v[2], v[3], v[4]};
}

Bytes FnStatusAnswer::encode() const {
    Bytes out{phase, current_document, document_data, static_cast<std::uint8_t>(shift_open ? 1 : 0), warnings};
    date_time.write(out);
    std::string num = fn_number;
    num.resize(16, ' ');
    out.insert(out.end(), num.begin(), num.end());
    put_le(out, last_fd_number, 4);
    return out;
}

Result<FnStatusAnswer> FnStatusAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    if (r.remaining() < 30) return truncated();
    FnStatusAnswer a;
    a.phase = *r.u8();
    a.current_document = *r.u8();
    a.document_data = *r.u8();
    a.shift_open = *r.u8() != 0;
    a.warnings = *r.u8();
    auto dt = FnDateTime::read(r);
    if (!dt) return std::unexpected(dt.error());
    a.date_time = *dt;
    auto num = *r.raw(16);
    a.fn_number.assign(num.begin(), num.end());
    while (!a.fn_number.empty() && (a.fn_number.back() == ' ' || a.fn_number.back() == '\0')) a.fn_number.pop_back();
    a.last_fd_number = static_cast<std::uint32_t>(*r.le(4));
    return a;
}

Bytes FnShiftAnswer::encode() const {
    Bytes out{static_cast<std::uint8_t>(open ? 1 : 0)};
    put_le(out, shift_number, 2);
    put_le(out, receipt_number, 2);
    return out;
}

Result<FnShiftAnswer> FnShiftAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    if (r.remaining() < 5) return truncated();
    FnShiftAnswer a;
    a.open = *r.u8() != 0;
    a.shift_number = static_cast<std::uint16_t>(*r.le(2));
    a.receipt_number = static_cast<std::uint16_t>(*r.le(2));
    return a;
}

Bytes FnOfdAnswer::encode() const {
    Bytes out{bits, reading};
    put_le(out, queued, 2);
    put_le(out, first_number, 4);
    first_date_time.write(out);
    return out;
}

Result<FnOfdAnswer> FnOfdAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    if (r.remaining() < 13) return truncated();
    FnOfdAnswer a;
    a.bits = *r.u8();
    a.reading = *r.u8();
    a.queued = static_cast<std::uint16_t>(*r.le(2));
    a.first_number = static_cast<std::uint32_t>(*r.le(4));
    // An empty queue carries a zero date: keep the default then.
    if (auto dt = FnDateTime::read(r)) a.first_date_time = *dt;
    return a;
}

Bytes FnExpiryAnswer::encode() const {
    return {static_cast<std::uint8_t>(year - 2000), static_cast<std::uint8_t>(month), static_cast<std::uint8_t>(day)};
}

Result<FnExpiryAnswer> FnExpiryAnswer::decode(std::span<const std::uint8_t> data) {
    if (data.size() < 3) return truncated();
    if (data[1] < 1 || data[1] > 12 || data[2] < 1 || data[2] > 31)
        return fail("bad_answer", "expiry date out of range");
    return FnExpiryAnswer{2000 + data[0], data[1], data[2]};
}

Request find_document_request(std::uint32_t number) {
    Bytes p;
    put_le(p, number, 4);
    return fn_request(fn::kFindDocument, std::move(p));
}

Result<std::uint32_t> decode_find_document(std::span<const std::uint8_t> fn_params) {
    if (fn_params.size() != 4) return fail("bad_request", "A4 40 takes a document number (LE4)");
    Reader r(fn_params);
    return static_cast<std::uint32_t>(*r.le(4));
}

Bytes FnDocumentAnswer::encode() const {
    Bytes out{type, static_cast<std::uint8_t>(ofd_ticket ? 1 : 0)};
    date_time.write(out);
    put_le(out, number, 4);
    put_le(out, fiscal_sign, 4);
    if (operation && amount) {
        out.push_back(*operation);
        put_le(out, *amount, 5);
    }
    return out;
}

Result<FnDocumentAnswer> FnDocumentAnswer::decode(std::span<const std::uint8_t> data) {
    Reader r(data);
    if (r.remaining() < 15) return truncated();
    FnDocumentAnswer a;
    a.type = *r.u8();
    a.ofd_ticket = *r.u8() != 0;
    auto dt = FnDateTime::read(r);
    if (!dt) return std::unexpected(dt.error());
    a.date_time = *dt;
    a.number = static_cast<std::uint32_t>(*r.le(4));
    a.fiscal_sign = static_cast<std::uint32_t>(*r.le(4));
    if ((a.type == doc_type::kReceipt || a.type == doc_type::kCorrection) && r.remaining() >= 6) {
        a.operation = *r.u8();
        a.amount = *r.le(5);
    }
    return a;
}

std::chrono::milliseconds answer_timeout(std::uint8_t code) {
    using std::chrono::seconds;
    switch (code) {
        case cmd::kCloseReceipt:
            return seconds{20};
        case cmd::kZReport:
            return seconds{40};
        case cmd::kEndItem:
        case cmd::kBeginItem:
            return seconds{50};
        default:
            return seconds{10};
    }
}

}  // namespace kassa::drivers::atol
