#include "app/config.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "common/log.hpp"
#include "common/uri.hpp"
#include "drivers/profiles.hpp"
#include "drivers/registry.hpp"

namespace kassa::app {

namespace {

std::string where(const std::string& origin, const toml::source_region& src) {
    return origin + ":" + std::to_string(src.begin.line);
}

// Reads the keys of one table into a struct and reports any key nobody asked for. Each getter
// marks its key as known; finish() turns the rest into an error naming the first one.
class TableReader {
  public:
    TableReader(const toml::table& table, std::string prefix, const std::string& origin)
        : table_(table), prefix_(std::move(prefix)), origin_(origin) {}

    Status string(const char* key, std::string& out) {
        known_.insert(key);
        const auto* node = table_.get(key);
        if (!node) return ok();
        auto value = node->value<std::string>();
        if (!value) return type_error(key, *node, "a string");
        out = *value;
        return ok();
    }

    template <class Int>
    Status integer(const char* key, Int& out, std::int64_t min, std::int64_t max) {
        known_.insert(key);
        const auto* node = table_.get(key);
        if (!node) return ok();
        auto value = node->value<std::int64_t>();
        if (!value || !node->is_integer()) return type_error(key, *node, "an integer");
        if (*value < min || *value > max)
            return fail("config_invalid", where(origin_, node->source()) + ": '" + prefix_ + key + "' must be in [" +
                                              std::to_string(min) + ", " + std::to_string(max) + "]");
        out = static_cast<Int>(*value);
        return ok();
    }

    Status boolean(const char* key, bool& out) {
        known_.insert(key);
        const auto* node = table_.get(key);
        if (!node) return ok();
        auto value = node->value<bool>();
        if (!value || !node->is_boolean()) return type_error(key, *node, "true or false");
        out = *value;
        return ok();
    }

    Status strings(const char* key, std::vector<std::string>& out) {
        known_.insert(key);
        const auto* node = table_.get(key);
        if (!node) return ok();
        const auto* array = node->as_array();
        if (!array) return type_error(key, *node, "an array of strings");
        out.clear();
        for (const auto& element : *array) {
            auto value = element.value<std::string>();
            if (!value) return type_error(key, element, "an array of strings");
            out.push_back(*value);
        }
        return ok();
    }

    const toml::node* sub(const char* key) {
        known_.insert(key);
        return table_.get(key);
    }

    Status finish() const {
        for (const auto& [key, node] : table_) {
            if (!known_.contains(std::string(key.str())))
                return fail("config_unknown_key",
                            where(origin_, key.source()) + ": unknown key '" + prefix_ + std::string(key.str()) + "'");
        }
        return ok();
    }

  private:
    Status type_error(const char* key, const toml::node& node, const char* expected) const {
        return fail("config_invalid", where(origin_, node.source()) + ": '" + prefix_ + key + "' must be " + expected);
    }

    const toml::table& table_;
    std::string prefix_;
    const std::string& origin_;
    std::set<std::string> known_;
};

// Returns the error of a Status-like expression from the enclosing function. The variable name
// carries the line so a KASSA_TRY inside a lambda inside another KASSA_TRY does not shadow.
#define KASSA_CONCAT_(a, b) a##b
#define KASSA_CONCAT(a, b) KASSA_CONCAT_(a, b)
#define KASSA_TRY(expr)                                                                                  \
    do {                                                                                                 \
        if (auto KASSA_CONCAT(kassa_status_, __LINE__) = (expr); !KASSA_CONCAT(kassa_status_, __LINE__)) \
            return std::unexpected(KASSA_CONCAT(kassa_status_, __LINE__).error());                       \
    } while (0)

Status read_table(TableReader& parent, const char* key, const std::string& origin,
                  const std::function<Status(TableReader&)>& body) {
    const auto* node = parent.sub(key);
    if (!node) return ok();
    const auto* table = node->as_table();
    if (!table) return fail("config_invalid", where(origin, node->source()) + ": '" + key + "' must be a table");
    TableReader reader(*table, std::string(key) + ".", origin);
    KASSA_TRY(body(reader));
    return reader.finish();
}

}  // namespace

Config default_config() {
    Config config;
    // The embedded default: one legal entity and one simulated register (the simulator's FN is
    // registered to this INN).
    config.entities.push_back(EntityConfig{.inn = "7701234567",
                                           .name = "ООО «Пример»",
                                           .tax_system = "osn",
                                           .cashier = "Кассир",
                                           .cashier_inn = "",
                                           .settlement_address = "г. Москва, ул. Примерная, д. 1",
                                           .settlement_place = "Офис"});
    config.registers.push_back(RegisterConfig{
        .id = "sim-1", .family = "shtrih", .uri = "sim://embedded?ofd_ack_ms=2000", .entity_inn = "7701234567"});
    return config;
}

Result<Config> parse_config(std::string_view toml_text, const std::string& origin) {
    // Debian's toml++ is built with exceptions: a syntax error arrives as toml::parse_error.
    toml::table root;
    try {
        root = toml::parse(toml_text, origin);
    } catch (const toml::parse_error& err) {
        return fail("config_syntax", where(origin, err.source()) + ": " + std::string(err.description()));
    }
    Config config = default_config();
    TableReader top(root, "", origin);

    KASSA_TRY(read_table(top, "server", origin, [&](TableReader& t) -> Status {
        KASSA_TRY(t.string("listen", config.server.listen));
        KASSA_TRY(t.integer("body_limit_bytes", config.server.body_limit_bytes, 1024, 64 * 1024 * 1024));
        KASSA_TRY(t.integer("header_limit_bytes", config.server.header_limit_bytes, 1024, 1024 * 1024));
        KASSA_TRY(t.integer("inflight_body_limit_bytes", config.server.inflight_body_limit_bytes, 1024,
                            std::int64_t{16} * 1024 * 1024 * 1024));
        std::int64_t seconds = config.server.read_timeout.count();
        KASSA_TRY(t.integer("read_timeout_seconds", seconds, 1, 3600));
        config.server.read_timeout = std::chrono::seconds(seconds);
        KASSA_TRY(t.integer("io_threads", config.server.io_threads, 1, 64));
        KASSA_TRY(t.integer("handler_threads", config.server.handler_threads, 1, 256));
        KASSA_TRY(t.string("tls_cert", config.server.tls_cert));
        KASSA_TRY(t.string("tls_key", config.server.tls_key));
        KASSA_TRY(t.string("web_root", config.server.web_root));
        return ok();
    }));
    KASSA_TRY(read_table(top, "compat", origin, [&](TableReader& t) -> Status {
        KASSA_TRY(t.string("kkmserver_listen", config.compat.kkmserver_listen));
        KASSA_TRY(t.string("atol_listen", config.compat.atol_listen));
        return t.boolean("atol_require_auth", config.compat.atol_require_auth);
    }));
    KASSA_TRY(read_table(top, "ledger", origin, [&](TableReader& t) -> Status {
        std::string dir = config.ledger.data_dir.string();
        KASSA_TRY(t.string("data_dir", dir));
        config.ledger.data_dir = dir;
        return t.integer("checkpoint_writeback_pages_per_second", config.ledger.checkpoint_writeback_pages_per_second,
                         0, 1'000'000);
    }));
    KASSA_TRY(
        read_table(top, "log", origin, [&](TableReader& t) -> Status { return t.string("level", config.log.level); }));

    KASSA_TRY(read_table(top, "planner", origin, [&](TableReader& t) -> Status {
        auto& p = config.planner;
        KASSA_TRY(t.string("unallocated_advance_vat", p.unallocated_advance_vat));
        KASSA_TRY(t.boolean("credit_repayment_without_vat", p.credit_repayment_without_vat));
        KASSA_TRY(t.boolean("one_receipt_per_payment", p.one_receipt_per_payment));
        KASSA_TRY(t.boolean("overpayment_separate_receipt", p.overpayment_separate_receipt));
        KASSA_TRY(t.boolean("return_to_balance_by_prepayment", p.return_to_balance_by_prepayment));
        KASSA_TRY(t.boolean("itemize_full_prepayment", p.itemize_full_prepayment));
        KASSA_TRY(t.boolean("courier_cash_requires_contact", p.courier_cash_requires_contact));
        KASSA_TRY(t.string("refused_prepayment", p.refused_prepayment));
        KASSA_TRY(t.string("late_settlement", p.late_settlement));
        KASSA_TRY(t.string("credit_at_door", p.credit_at_door));
        KASSA_TRY(t.integer("late_settlement_tolerance_seconds", p.late_settlement_tolerance_seconds, 0, 86400));
        return t.string("default_excess", p.default_excess);
    }));

    KASSA_TRY(read_table(top, "notify", origin, [&](TableReader& t) -> Status {
        auto& n = config.notify;
        KASSA_TRY(t.string("smtp_url", n.smtp_url));
        KASSA_TRY(t.boolean("smtp_starttls", n.smtp_starttls));
        KASSA_TRY(t.string("smtp_username", n.smtp_username));
        KASSA_TRY(t.string("smtp_password", n.smtp_password));
        KASSA_TRY(t.string("smtp_from", n.smtp_from));
        KASSA_TRY(t.string("smtp_from_name", n.smtp_from_name));
        KASSA_TRY(t.string("sms_url", n.sms_url));
        KASSA_TRY(t.string("sms_method", n.sms_method));
        KASSA_TRY(t.string("sms_body", n.sms_body));
        KASSA_TRY(t.string("sms_encoding", n.sms_encoding));
        KASSA_TRY(t.strings("sms_headers", n.sms_headers));
        KASSA_TRY(t.string("check_url", n.check_url));
        KASSA_TRY(t.integer("max_attempts", n.max_attempts, 1, 100));
        return t.integer("retry_initial_seconds", n.retry_initial_seconds, 1, 86400);
    }));

    if (const auto* node = top.sub("entities")) {
        const auto* array = node->as_array();
        if (!array || !array->is_array_of_tables())
            return fail("config_invalid", where(origin, node->source()) + ": 'entities' must be [[entities]] tables");
        // A file that lists entities replaces the embedded one.
        config.entities.clear();
        for (const auto& element : *array) {
            EntityConfig e;
            TableReader t(*element.as_table(), "entities.", origin);
            KASSA_TRY(t.string("inn", e.inn));
            KASSA_TRY(t.string("name", e.name));
            KASSA_TRY(t.string("tax_system", e.tax_system));
            KASSA_TRY(t.string("cashier", e.cashier));
            KASSA_TRY(t.string("cashier_inn", e.cashier_inn));
            KASSA_TRY(t.string("settlement_address", e.settlement_address));
            KASSA_TRY(t.string("settlement_place", e.settlement_place));
            KASSA_TRY(t.string("bank_name", e.bank_name));
            KASSA_TRY(t.string("bank_bic", e.bank_bic));
            KASSA_TRY(t.string("bank_account", e.bank_account));
            KASSA_TRY(t.string("bank_corr_account", e.bank_corr_account));
            KASSA_TRY(t.string("kpp", e.kpp));
            KASSA_TRY(t.string("sbp_link", e.sbp_link));
            KASSA_TRY(t.finish());
            config.entities.push_back(std::move(e));
        }
    }

    if (const auto* node = top.sub("registers")) {
        const auto* array = node->as_array();
        if (!array || !array->is_array_of_tables())
            return fail("config_invalid", where(origin, node->source()) + ": 'registers' must be [[registers]] tables");
        // A file that lists registers replaces the embedded simulated one.
        config.registers.clear();
        for (const auto& element : *array) {
            RegisterConfig reg;
            TableReader t(*element.as_table(), "registers.", origin);
            KASSA_TRY(t.string("id", reg.id));
            KASSA_TRY(t.string("family", reg.family));
            KASSA_TRY(t.string("model", reg.model));
            KASSA_TRY(t.string("uri", reg.uri));
            KASSA_TRY(t.string("entity_inn", reg.entity_inn));
            KASSA_TRY(t.string("shift_rotate_at", reg.shift_rotate_at));
            KASSA_TRY(t.integer("failover_after_seconds", reg.failover_after_seconds, 1, 86400));
            KASSA_TRY(t.finish());
            if (reg.id.empty() || reg.uri.empty())
                return fail("config_invalid",
                            where(origin, element.source()) + ": a register needs at least 'id' and 'uri'");
            config.registers.push_back(std::move(reg));
        }
    }
    if (const auto* node = top.sub("tokens")) {
        const auto* array = node->as_array();
        if (!array || !array->is_array_of_tables())
            return fail("config_invalid", where(origin, node->source()) + ": 'tokens' must be [[tokens]] tables");
        for (const auto& element : *array) {
            TokenConfig token;
            TableReader t(*element.as_table(), "tokens.", origin);
            KASSA_TRY(t.string("name", token.name));
            KASSA_TRY(t.string("role", token.role));
            KASSA_TRY(t.string("sha256", token.sha256));
            KASSA_TRY(t.strings("registers", token.registers));
            KASSA_TRY(t.strings("entities", token.entities));
            KASSA_TRY(t.finish());
            if (token.name.empty() || token.role.empty() || token.sha256.empty())
                return fail("config_invalid",
                            where(origin, element.source()) + ": a token needs 'name', 'role' and 'sha256'");
            config.tokens.push_back(std::move(token));
        }
    }
    KASSA_TRY(top.finish());
    KASSA_TRY(validate(config));
    return config;
}

Result<Config> load_config_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail("config_unreadable", "cannot read config file '" + path.string() + "'");
    std::ostringstream text;
    text << in.rdbuf();
    auto config = parse_config(text.str(), path.string());
    if (config) config->source = path;
    return config;
}

std::optional<int> parse_time_of_day(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    for (int i : {0, 1, 3, 4})
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
    const int hours = (text[0] - '0') * 10 + (text[1] - '0');
    const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
    if (hours > 23 || minutes > 59) return std::nullopt;
    return hours * 60 + minutes;
}

bool simulated_family(std::string_view family) { return family == "shtrih" || family == "atol"; }

Result<std::string> device_uri_of(const RegisterConfig& reg) {
    if (reg.model.empty()) return reg.uri;
    auto profile = drivers::find_profile(drivers::default_devices_dir(), reg.model);
    if (!profile) return std::unexpected(profile.error());
    if (profile->family != reg.family)
        return fail("model_family",
                    "model '" + reg.model + "' is a " + profile->family + " register, not " + reg.family);
    return drivers::apply_profile(*profile, reg.uri);
}

Status validate(const Config& config) {
    if (auto hp = parse_host_port(config.server.listen); !hp)
        return fail("config_invalid", "server.listen: " + hp.error().message);
    for (const auto& [key, address] : {std::pair{"kkmserver_listen", &config.compat.kkmserver_listen},
                                       std::pair{"atol_listen", &config.compat.atol_listen}})
        if (!address->empty())
            if (auto hp = parse_host_port(*address); !hp)
                return fail("config_invalid", std::string("compat.") + key + ": " + hp.error().message);
    if (config.server.tls_cert.empty() != config.server.tls_key.empty())
        return fail("config_invalid", "server.tls_cert and server.tls_key go together");
    if (!log::is_valid_level(config.log.level))
        return fail("config_invalid", "log.level '" + config.log.level +
                                          "' is not one of trace, debug, info, warn, error, critical, off");
    static const std::set<std::string> kTaxSystems = {"osn",  "usn_income", "usn_income_expense",
                                                      "envd", "eshn",       "patent"};
    std::set<std::string> inns;
    for (const auto& e : config.entities) {
        const bool digits = std::ranges::all_of(e.inn, [](char c) { return c >= '0' && c <= '9'; });
        if ((e.inn.size() != 10 && e.inn.size() != 12) || !digits)
            return fail("config_invalid", "entity inn '" + e.inn + "' must be 10 or 12 digits");
        if (!inns.insert(e.inn).second) return fail("config_invalid", "entity " + e.inn + " is listed twice");
        if (!kTaxSystems.contains(e.tax_system))
            return fail("config_invalid", "entity " + e.inn + ": unknown tax_system '" + e.tax_system + "'");
        if (!e.cashier_inn.empty() && e.cashier_inn.size() != 12)
            return fail("config_invalid", "entity " + e.inn + ": cashier_inn must be 12 digits");
    }
    static const std::set<std::string> kVat = {"vat22", "vat10", "vat0", "none", "vat5", "vat7", "vat20"};
    if (!kVat.contains(config.planner.unallocated_advance_vat))
        return fail("config_invalid", "planner.unallocated_advance_vat '" + config.planner.unallocated_advance_vat +
                                          "' is not a VAT class");
    if (config.planner.default_excess != "change" && config.planner.default_excess != "advance")
        return fail("config_invalid", "planner.default_excess must be 'change' or 'advance'");
    if (config.planner.refused_prepayment != "refund" && config.planner.refused_prepayment != "advance")
        return fail("config_invalid", "planner.refused_prepayment must be 'refund' or 'advance'");
    if (config.planner.late_settlement != "correct" && config.planner.late_settlement != "list_for_office")
        return fail("config_invalid", "planner.late_settlement must be 'correct' or 'list_for_office'");
    if (config.planner.credit_at_door != "order" && config.planner.credit_at_door != "never" &&
        config.planner.credit_at_door != "any")
        return fail("config_invalid", "planner.credit_at_door must be 'order', 'never' or 'any'");
    std::set<std::string> ids;
    for (const auto& reg : config.registers) {
        if (!inns.contains(reg.entity_inn))
            return fail("config_invalid", "register '" + reg.id + "' names entity '" + reg.entity_inn +
                                              "', which is not in [[entities]]");
        if (!ids.insert(reg.id).second) return fail("config_invalid", "register id '" + reg.id + "' is used twice");
        if (!reg.shift_rotate_at.empty() && !parse_time_of_day(reg.shift_rotate_at))
            return fail("config_invalid", "register '" + reg.id + "': shift_rotate_at must be HH:MM");
        if (!drivers::find_family(reg.family))
            return fail("config_invalid", "register '" + reg.id + "': unknown family '" + reg.family + "'");
        auto uri = parse_uri(reg.uri);
        if (!uri) return fail("config_invalid", "register '" + reg.id + "': " + uri.error().message);
        if (uri->scheme != "serial" && uri->scheme != "tcp" && uri->scheme != "usb" && uri->scheme != "sim")
            return fail("config_invalid", "register '" + reg.id + "': unsupported scheme '" + uri->scheme + "'");
        if (uri->scheme == "sim" && uri->host != "embedded" && uri->host != reg.family)
            return fail("config_invalid", "register '" + reg.id + "': sim://" + uri->host +
                                              " simulates another family than '" + reg.family + "'");
        if (uri->scheme == "sim" && !simulated_family(reg.family))
            return fail("config_invalid", "register '" + reg.id + "': no simulator for family '" + reg.family + "'");
        if (uri->scheme == "sim" && !uri->param("ofd_ack_ms").empty()) {
            auto ms = uri->int_param("ofd_ack_ms", 0);
            if (!ms || *ms < 0 || *ms > 86'400'000)
                return fail("config_invalid",
                            "register '" + reg.id + "': ofd_ack_ms must be a whole number of milliseconds up to a day");
        }
        auto device_uri = device_uri_of(reg);
        if (!device_uri) return fail("config_invalid", "register '" + reg.id + "': " + device_uri.error().message);
        if (uri->scheme != "sim") {
            if (auto st = drivers::check_device_options(reg.family, *device_uri); !st)
                return fail("config_invalid", "register '" + reg.id + "': " + st.error().message);
        }
    }
    std::set<std::string> names;
    for (const auto& token : config.tokens) {
        if (token.role != "admin" && token.role != "cashier" && token.role != "courier")
            return fail("config_invalid",
                        "token '" + token.name + "': role '" + token.role + "' is not admin, cashier or courier");
        if (!names.insert(token.name).second)
            return fail("config_invalid", "token name '" + token.name + "' is used twice");
        for (const auto& reg : token.registers)
            if (!ids.contains(reg))
                return fail("config_invalid", "token '" + token.name + "' is bound to unknown register '" + reg + "'");
    }
    return ok();
}

}  // namespace kassa::app
