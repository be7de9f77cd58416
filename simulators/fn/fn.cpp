#include "simulators/fn/fn.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>

#include "fiscal/counters.hpp"
#include "fiscal/tlv.hpp"

namespace kassa::sim::fn {

namespace {

std::unexpected<FnError> refuse(std::uint8_t code, std::string reason) {
    return std::unexpected(FnError{code, std::move(reason)});
}

Bytes from_hex(const std::string& h) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
}

std::string to_hex(std::span<const std::uint8_t> b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (const auto x : b) {
        s += kDigits[x >> 4];
        s += kDigits[x & 0xF];
    }
    return s;
}

// UInt32 tags (1040, 1038, 1042, 1118, ...) are four bytes little-endian (§3.2).
void put_u32(fiscal::TlvWriter& w, std::uint16_t tag, std::uint32_t v) {
    const std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                               static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
    (void)w.put_raw(tag, b);
}

// Fixed-length ASCII (1041, 1018, 1037): padded with spaces on the right (§3.1).
void put_fixed(fiscal::TlvWriter& w, std::uint16_t tag, const std::string& ascii, std::size_t size) {
    std::string v = ascii.substr(0, size);
    v.resize(size, ' ');
    (void)w.put_raw(tag, std::span(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
}

bool has(const std::vector<fiscal::Tlv>& tlvs, std::uint16_t tag) {
    return std::any_of(tlvs.begin(), tlvs.end(), [tag](const fiscal::Tlv& t) { return t.tag == tag; });
}

std::int64_t vln_of(const std::vector<fiscal::Tlv>& tlvs, std::uint16_t tag) {
    for (const auto& t : tlvs)
        if (t.tag == tag) return fiscal::decode_vln(t.value).value_or(0);
    return 0;
}

}  // namespace

FnResult<void> check_receipt(std::span<const std::uint8_t> tlv, bool correction) {
    auto tlvs = fiscal::decode_tlvs(tlv);
    if (!tlvs) return refuse(error::kFormat, "malformed TLV: " + tlvs.error().message);
    // Document-level attributes FFD 1.2 makes mandatory in every receipt (protocols.md §3.3).
    static constexpr std::uint16_t kDocument[] = {1054, 1055, 1020, 1021, 1009, 1187, 1031, 1081, 1215, 1216, 1217};
    for (const auto tag : kDocument)
        if (!has(*tlvs, tag)) return refuse(error::kFormat, "tag " + std::to_string(tag) + " missing");
    if (correction && (!has(*tlvs, 1173) || !has(*tlvs, 1174)))
        return refuse(error::kFormat, "correction without 1173/1174");
    // Every line (1059) with the item attributes FFD 1.2 requires (§3.3; 2108 per fiscal-rules §1.6).
    static constexpr std::uint16_t kLine[] = {1030, 1079, 1023, 1043, 1199, 1214, 1212, 2108};
    std::int64_t lines = 0;
    std::size_t count = 0;
    for (const auto& t : *tlvs) {
        if (t.tag != 1059) continue;
        ++count;
        auto inner = fiscal::decode_tlvs(t.value);
        if (!inner) return refuse(error::kFormat, "malformed 1059");
        for (const auto tag : kLine)
            if (!has(*inner, tag))
                return refuse(error::kFormat,
                              "line " + std::to_string(count) + ": tag " + std::to_string(tag) + " missing");
        lines += vln_of(*inner, 1043);
    }
    if (count == 0) return refuse(error::kFormat, "no 1059 line");
    const std::int64_t total = vln_of(*tlvs, 1020);
    if (lines != total) return refuse(error::kBadValue, "the lines' 1043 do not add up to 1020");
    const std::int64_t paid =
        vln_of(*tlvs, 1031) + vln_of(*tlvs, 1081) + vln_of(*tlvs, 1215) + vln_of(*tlvs, 1216) + vln_of(*tlvs, 1217);
    if (paid != total) return refuse(error::kBadValue, "the payments do not add up to 1020");
    return {};
}

EmulatedFn::EmulatedFn(FnState state, std::string state_path, const Clock& clock)
    : state_(std::move(state)), state_path_(std::move(state_path)), clock_(clock) {}

std::int64_t EmulatedFn::now_unix() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

bool EmulatedFn::shift_expired() const {
    return state_.shift_open && now_unix() - state_.shift_opened_at > kShiftLimitSeconds;
}

EmulatedFn::Warnings EmulatedFn::warnings() const {
    Warnings w;
    const std::int64_t left = state_.fn_expiry_unix - now_unix();
    w.resource_exhausted = left < 30 * 86400;
    w.replace_urgently = left < 3 * 86400;
    if (const auto* d = state_.ofd_oldest_unsent()) w.ofd_timeout = now_unix() - d->unix_time > kOfdTimeoutSeconds;
    return w;
}

FnResult<const ArchivedDocument*> EmulatedFn::open_shift(std::span<const std::uint8_t> tags) {
    if (state_.shift_open) return refuse(error::kWrongState, "the shift is open");
    if (!fiscal::decode_tlvs(tags)) return refuse(error::kFormat, "malformed TLV");
    state_.shift_open = true;
    state_.shift_number = static_cast<std::uint16_t>(state_.shift_number + 1);
    state_.shift_opened_at = now_unix();
    state_.receipts_in_shift = 0;
    state_.documents_in_shift = 0;
    state_.shift_totals = {};
    return write(form::kShiftOpen, Bytes(tags.begin(), tags.end()), false, 0, 0);
}

FnResult<const ArchivedDocument*> EmulatedFn::close_shift(std::span<const std::uint8_t> tags) {
    if (!state_.shift_open) return refuse(error::kWrongState, "the shift is closed");
    if (!fiscal::decode_tlvs(tags)) return refuse(error::kFormat, "malformed TLV");
    // The shift-close report's counters and flags (FFD 1.2 form 5).
    Bytes body(tags.begin(), tags.end());
    fiscal::TlvWriter c;
    put_u32(c, 1118, state_.receipts_in_shift);                         // receipts in the shift
    put_u32(c, 1111, state_.documents_in_shift + 1);                    // FDs in the shift, this one too
    put_u32(c, 1097, static_cast<std::uint32_t>(state_.ofd_unsent()));  // FDs without an OFD ticket
    if (const auto* d = state_.ofd_oldest_unsent())                     // the oldest of them
        c.put_unixtime(1098, static_cast<std::uint32_t>(d->unix_time));
    const Warnings warn = warnings();
    c.put_byte(1050, warn.resource_exhausted ? 1 : 0);
    c.put_byte(1051, warn.replace_urgently ? 1 : 0);
    c.put_byte(1052, warn.memory_full ? 1 : 0);
    c.put_byte(1053, warn.ofd_timeout ? 1 : 0);
    body.insert(body.end(), c.bytes().begin(), c.bytes().end());
    // FFD 1.2 shift-close report: the shift's and the FN's totals counters (fiscal/counters.hpp).
    for (const auto& [tag, counters] : {std::pair{fiscal::tag::kShiftTotals, &state_.shift_totals},
                                        std::pair{fiscal::tag::kFnTotals, &state_.fn_totals}}) {
        auto t = fiscal::encode_totals_counters(tag, *counters);
        if (!t) return refuse(error::kTlvTooLarge, t.error().message);
        body.insert(body.end(), t->begin(), t->end());
    }
    state_.shift_open = false;
    state_.receipts_in_shift = 0;  // FF40h shows no receipt number between shifts
    return write(form::kShiftClose, std::move(body), false, 0, 0);
}

FnResult<const ArchivedDocument*> EmulatedFn::settlement_report(std::span<const std::uint8_t> tags) {
    if (!fiscal::decode_tlvs(tags)) return refuse(error::kFormat, "malformed TLV");
    Bytes body(tags.begin(), tags.end());
    fiscal::TlvWriter c;
    put_u32(c, 1097, static_cast<std::uint32_t>(state_.ofd_unsent()));
    if (const auto* d = state_.ofd_oldest_unsent()) c.put_unixtime(1098, static_cast<std::uint32_t>(d->unix_time));
    body.insert(body.end(), c.bytes().begin(), c.bytes().end());
    // The FN's totals counters are mandatory in this report (FFD table 57).
    auto totals = fiscal::encode_totals_counters(fiscal::tag::kFnTotals, state_.fn_totals);
    if (!totals) return refuse(error::kTlvTooLarge, totals.error().message);
    body.insert(body.end(), totals->begin(), totals->end());
    return write(form::kSettlementReport, std::move(body), false, 0, 0);
}

FnResult<const ArchivedDocument*> EmulatedFn::receipt(bool correction, std::span<const std::uint8_t> tlv, bool strict) {
    if (!state_.shift_open) return refuse(error::kWrongState, "the shift is closed");
    if (shift_expired()) return refuse(error::kShiftOver24h, "the shift is over 24 h");
    if (strict) {
        if (auto c = check_receipt(tlv, correction); !c) return std::unexpected(c.error());
    }
    auto tlvs = fiscal::decode_tlvs(tlv);
    if (!tlvs) return refuse(error::kFormat, "malformed TLV");
    std::uint8_t operation = 0;
    for (const auto& t : *tlvs) {
        if (t.tag == 1054 && t.value.size() == 1) operation = t.value[0];
        // The receipt's tax system (1055) must be one the FN was registered with (1062), whichever
        // family's KKT built the document.
        if (strict && t.tag == 1055 && (t.value.size() != 1 || (t.value[0] & state_.tax_systems) == 0))
            return refuse(error::kBadValue, "1055 is not a tax system of the registration (1062)");
    }
    const auto total = static_cast<std::uint64_t>(vln_of(*tlvs, 1020));
    // The totals counters (1194, 1157) count what the document says, as the FN reads it.
    auto decoded = fiscal::decode_receipt(tlv);
    if (!decoded) return refuse(error::kFormat, "receipt: " + decoded.error().message);
    if (correction && !decoded->correction) decoded->correction.emplace();  // FFD 1.05 form: no 1173
    auto shift_totals = state_.shift_totals;
    auto fn_totals = state_.fn_totals;
    if (auto s = fiscal::count_receipt(shift_totals, *decoded); !s) return refuse(error::kBadValue, s.error().message);
    if (auto s = fiscal::count_receipt(fn_totals, *decoded); !s) return refuse(error::kBadValue, s.error().message);
    state_.shift_totals = shift_totals;
    state_.fn_totals = fn_totals;
    state_.receipts_in_shift = static_cast<std::uint16_t>(state_.receipts_in_shift + 1);
    ++state_.receipts_total;
    return write(correction ? form::kCorrectionReceipt : form::kReceipt, Bytes(tlv.begin(), tlv.end()), true, operation,
                 total);
}

void EmulatedFn::ofd_deliver(std::size_t count) {
    std::size_t done = 0;
    for (auto& d : state_.documents) {
        if (d.ofd_ticket) continue;
        if (count != 0 && done == count) break;
        d.ofd_ticket = true;
        ++done;
    }
    state_.archive_changed();
    if (done > 0) save();
}

void EmulatedFn::set_ofd_ack_after(std::optional<std::chrono::milliseconds> after) {
    ofd_ack_after_ = after;
    ofd_connected_at_ = clock_.now();
}

void EmulatedFn::ofd_pump() {
    if (!ofd_ack_after_) return;
    const auto now = clock_.now();
    std::size_t due = 0;
    for (const auto& d : state_.documents) {
        if (d.ofd_ticket) continue;
        // The archive keeps minutes only; this run's documents keep their exact formation time.
        const auto f = formed_at_.find(d.number);
        auto formed = f != formed_at_.end() ? f->second : ofd_connected_at_;
        if (formed < ofd_connected_at_) formed = ofd_connected_at_;
        if (formed + *ofd_ack_after_ > now) break;  // the OFD answers in order: the rest wait too
        ++due;
    }
    if (due > 0) ofd_deliver(due);
    // Tickets given: their formation times are no longer needed.
    for (auto it = formed_at_.begin(); it != formed_at_.end();) {
        const auto* d = state_.find(it->first);
        it = (d == nullptr || d->ofd_ticket) ? formed_at_.erase(it) : std::next(it);
    }
}

std::uint32_t EmulatedFn::sign(std::span<const std::uint8_t> tlv) const {
    // ФПД: HMAC-SHA256 over the document TLV with the FN's secret, first 4 bytes big-endian (§3.5).
    const Bytes key = from_hex(state_.secret_hex);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), tlv.data(), tlv.size(), mac, &len);
    return (static_cast<std::uint32_t>(mac[0]) << 24) | (static_cast<std::uint32_t>(mac[1]) << 16) |
           (static_cast<std::uint32_t>(mac[2]) << 8) | mac[3];
}

void EmulatedFn::save() {
    if (!state_path_.empty()) (void)state_.save(state_path_);
}

FnResult<const ArchivedDocument*> EmulatedFn::write(std::uint8_t form, Bytes body, bool receipt_number,
                                                    std::uint8_t operation, std::uint64_t total) {
    const std::uint32_t fd = ++state_.last_fd;
    const std::int64_t minute = now_unix() / 60 * 60;
    // The FN's own attributes first (§3.3), then what the KKT sent.
    fiscal::TlvWriter w;
    w.put_unixtime(1012, static_cast<std::uint32_t>(minute));
    put_u32(w, 1040, fd);
    put_fixed(w, 1041, state_.fn_serial, 16);
    put_fixed(w, 1018, state_.inn, 12);
    put_fixed(w, 1037, state_.rnm, 20);
    put_u32(w, 1038, state_.shift_number);
    if (receipt_number) put_u32(w, 1042, state_.receipts_in_shift);
    Bytes tlv = w.take();
    tlv.insert(tlv.end(), body.begin(), body.end());
    ++state_.documents_in_shift;

    ArchivedDocument d;
    d.number = fd;
    d.type = form;
    d.unix_time = minute;
    d.fiscal_sign = sign(tlv);
    d.operation = operation;
    d.total = total;
    d.tlv_hex = to_hex(tlv);
    state_.documents.push_back(std::move(d));
    if (ofd_ack_after_) formed_at_[fd] = clock_.now();
    save();
    return &state_.documents.back();
}

}  // namespace kassa::sim::fn
