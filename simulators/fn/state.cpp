#include "simulators/fn/state.hpp"

#include <openssl/rand.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kassa::sim {

namespace json = boost::json;

namespace {

// The counters are kept in the state file as the hex of their own TLV (1194 / 1157).
std::string counters_hex(std::uint16_t tag, const fiscal::TotalsCounters& c) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    if (auto b = fiscal::encode_totals_counters(tag, c)) {
        for (const auto x : *b) {
            out += kDigits[x >> 4];
            out += kDigits[x & 0xF];
        }
    }
    return out;
}

fiscal::TotalsCounters counters_of(const std::string& hex) {
    fiscal::Bytes b;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        b.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    if (b.size() < 4) return {};
    auto c = fiscal::decode_totals_counters(std::span(b).subspan(4));
    if (!c) throw std::runtime_error("totals counters: " + c.error().message);
    return *c;
}

}  // namespace

const ArchivedDocument* FnState::find(std::uint32_t number) const {
    if (number == 0 || number > documents.size()) return nullptr;
    const auto& d = documents[number - 1];  // numbers are dense from 1
    return d.number == number ? &d : nullptr;
}

std::size_t FnState::ofd_unsent() const {
    std::size_t n = 0;
    for (const auto& d : documents) n += d.ofd_ticket ? 0 : 1;
    return n;
}

const ArchivedDocument* FnState::ofd_oldest_unsent() const {
    for (const auto& d : documents)
        if (!d.ofd_ticket) return &d;
    return nullptr;
}

FnState FnState::fresh(std::int64_t now_unix) {
    FnState s;
    unsigned char key[32];
    if (RAND_bytes(key, sizeof key) != 1) {
        for (unsigned i = 0; i < sizeof key; ++i) key[i] = static_cast<unsigned char>(now_unix >> (i % 8) ^ i);
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    for (const unsigned char b : key) {
        s.secret_hex += kDigits[b >> 4];
        s.secret_hex += kDigits[b & 0xF];
    }
    const std::int64_t day = 86400;
    s.fn_expiry_unix = (now_unix / day + 3 * 365) * day;
    return s;
}

Result<FnState> FnState::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("state_missing", "no state file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    json::value v = json::parse(ss.str(), ec);
    if (ec || !v.is_object()) return fail("state_corrupt", "state file " + path + " is not a JSON object");
    try {
        const auto& o = v.as_object();
        FnState s;
        s.inn = json::value_to<std::string>(o.at("inn"));
        s.rnm = json::value_to<std::string>(o.at("rnm"));
        s.fn_serial = json::value_to<std::string>(o.at("fn_serial"));
        s.secret_hex = json::value_to<std::string>(o.at("secret"));
        s.ffd_version = static_cast<std::uint8_t>(o.at("ffd").to_number<int>());
        s.tax_systems = static_cast<std::uint8_t>(o.at("tax_systems").to_number<int>());
        s.settlement_address.clear();  // older files registered none
        s.settlement_place.clear();
        if (const auto* a = o.if_contains("settlement_address")) s.settlement_address = json::value_to<std::string>(*a);
        if (const auto* p = o.if_contains("settlement_place")) s.settlement_place = json::value_to<std::string>(*p);
        s.fn_expiry_unix = o.at("fn_expiry").to_number<std::int64_t>();
        s.last_fd = o.at("last_fd").to_number<std::uint32_t>();
        s.shift_open = o.at("shift_open").as_bool();
        s.shift_number = o.at("shift_number").to_number<std::uint16_t>();
        s.shift_opened_at = o.at("shift_opened_at").to_number<std::int64_t>();
        s.receipts_in_shift = o.at("receipts_in_shift").to_number<std::uint16_t>();
        s.receipts_total = o.at("receipts_total").to_number<std::uint64_t>();
        // "paper" of older files is ignored: paper is the printer's, not the FN's, and a restart
        // finds it as the fault script says (faults.hpp).
        if (const auto* c = o.if_contains("cash_in_drawer")) s.cash_in_drawer = c->to_number<std::int64_t>();
        if (const auto* d = o.if_contains("documents_in_shift")) s.documents_in_shift = d->to_number<std::uint32_t>();
        if (const auto* k = o.if_contains("kkt_documents")) s.kkt_documents = k->to_number<std::uint32_t>();
        // Older files kept no totals counters: they start from zero.
        if (const auto* t = o.if_contains("shift_totals"))
            s.shift_totals = counters_of(json::value_to<std::string>(*t));
        if (const auto* t = o.if_contains("fn_totals")) s.fn_totals = counters_of(json::value_to<std::string>(*t));
        for (const auto& dv : o.at("documents").as_array()) {
            const auto& d = dv.as_object();
            ArchivedDocument a;
            a.number = d.at("number").to_number<std::uint32_t>();
            a.type = static_cast<std::uint8_t>(d.at("type").to_number<int>());
            a.unix_time = d.at("time").to_number<std::int64_t>();
            a.fiscal_sign = d.at("fp").to_number<std::uint32_t>();
            a.operation = static_cast<std::uint8_t>(d.at("operation").to_number<int>());
            a.total = d.at("total").to_number<std::uint64_t>();
            a.tlv_hex = json::value_to<std::string>(d.at("tlv"));
            a.ofd_ticket = d.at("ofd_ticket").as_bool();
            s.documents.push_back(std::move(a));
        }
        return s;
    } catch (const std::exception& e) {
        return fail("state_corrupt", "state file " + path + ": " + e.what());
    }
}

Status FnState::save(const std::string& path) const {
    json::object o;
    o["inn"] = inn;
    o["rnm"] = rnm;
    o["fn_serial"] = fn_serial;
    o["secret"] = secret_hex;
    o["ffd"] = ffd_version;
    o["tax_systems"] = tax_systems;
    o["settlement_address"] = settlement_address;
    o["settlement_place"] = settlement_place;
    o["fn_expiry"] = fn_expiry_unix;
    o["last_fd"] = last_fd;
    o["shift_open"] = shift_open;
    o["shift_number"] = shift_number;
    o["shift_opened_at"] = shift_opened_at;
    o["receipts_in_shift"] = receipts_in_shift;
    o["receipts_total"] = receipts_total;
    o["cash_in_drawer"] = cash_in_drawer;
    o["kkt_documents"] = kkt_documents;
    o["documents_in_shift"] = documents_in_shift;
    o["shift_totals"] = counters_hex(fiscal::tag::kShiftTotals, shift_totals);
    o["fn_totals"] = counters_hex(fiscal::tag::kFnTotals, fn_totals);
    if (serialized_documents_ > documents.size()) serialized_documents_ = 0;
    if (serialized_documents_ == 0) documents_json_.clear();
    for (std::size_t i = serialized_documents_; i < documents.size(); ++i) {
        const auto& d = documents[i];
        json::object j;
        j["number"] = d.number;
        j["type"] = d.type;
        j["time"] = d.unix_time;
        j["fp"] = d.fiscal_sign;
        j["operation"] = d.operation;
        j["total"] = d.total;
        j["tlv"] = d.tlv_hex;
        j["ofd_ticket"] = d.ofd_ticket;
        if (!documents_json_.empty()) documents_json_ += ',';
        documents_json_ += json::serialize(j);
    }
    serialized_documents_ = documents.size();
    o["documents"] = json::array{};
    // The header's last member is the empty archive: splice the kept text into it.
    std::string text = json::serialize(o);
    const std::string empty = "\"documents\":[]";
    text.insert(text.rfind(empty) + empty.size() - 1, documents_json_);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return fail("state_write_failed", "cannot write " + tmp);
        out << text << '\n';
        out.flush();
        if (!out) return fail("state_write_failed", "cannot write " + tmp);
    }
    // The FN archive holds buyers' contacts (1008): the owner's only, whatever the umask.
    std::error_code ec;
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    if (ec) return fail("state_write_failed", "cannot make " + tmp + " 0600: " + ec.message());
    if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail("state_write_failed", "cannot rename " + tmp);
    return ok();
}

}  // namespace kassa::sim
