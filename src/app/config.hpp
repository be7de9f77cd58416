// kassad's typed configuration: one TOML file, every key has a default, unknown keys are an error
// that names the key and its line. With no file at all, the embedded default: listen on
// 127.0.0.1:8080, ledger in ./var, one simulated register.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace kassa::app {

struct ServerConfig {
    std::string listen = "127.0.0.1:8080";
    std::size_t body_limit_bytes = 1024 * 1024;
    std::size_t header_limit_bytes = 16 * 1024;
    std::size_t inflight_body_limit_bytes = 64 * 1024 * 1024;  // bodies being received, all connections
    std::chrono::seconds read_timeout{30};
    int io_threads = 2;
    int handler_threads = 8;
    std::string tls_cert;  // PEM files: both set → HTTPS (TLS 1.2+)
    std::string tls_key;
    std::string web_root;  // the built web pages; empty: the ones this build made (<build>/web/dist)
};

struct LedgerConfig {
    std::filesystem::path data_dir = "./var";  // the ledger is <data_dir>/kassa.sqlite
    // ledger::LedgerOptions::checkpoint_writeback_pages_per_second; 0: all at once by the fsync
    std::int64_t checkpoint_writeback_pages_per_second = 4000;
};

struct LogConfig {
    std::string level = "info";
};

struct RegisterConfig {
    std::string id;
    std::string family = "shtrih";  // a family of the driver registry (src/drivers/registry.cpp)
    // serial:///dev/ttyACM0?baud=115200 | tcp://host:port | usb://?vid=..&pid=.. | sim://<family>
    // (sim://embedded = the default family's simulator, in-process)
    std::string uri;
    // A devices/<model>.json profile: its family must be this one; its line speed and driver
    // options are merged into `uri` (drivers/profiles.hpp). Empty: no profile.
    std::string model;
    std::string entity_inn;
    // "HH:MM" local time when a shift older than an hour is closed and reopened (quiet time);
    // empty: only before the 24-hour limit.
    std::string shift_rotate_at;
    // Offline this long, the register hands its never-sent receipts to another of its entity.
    std::int64_t failover_after_seconds = 30;

    friend bool operator==(const RegisterConfig&, const RegisterConfig&) = default;
};

// A legal entity that sells; its registers print its receipts.
struct EntityConfig {
    std::string inn;  // 10 or 12 digits
    std::string name;
    std::string tax_system = "osn";  // osn | usn_income | usn_income_expense | envd | eshn | patent
    std::string cashier = "Кассир";  // 1021 when a request names nobody
    std::string cashier_inn;         // 1203, 12 digits or empty
    std::string settlement_address;  // 1009 default
    std::string settlement_place;    // 1187 default
    // Bank requisites for GOST R 56042 payment QR codes (all empty: no such codes for this entity).
    std::string bank_name;
    std::string bank_bic;
    std::string bank_account;       // settlement account, 20 digits
    std::string bank_corr_account;  // correspondent account, 20 digits
    std::string kpp;                // 9 digits for a 10-digit INN
    std::string sbp_link;           // a static SBP link issued by the bank (https://qr.nspk.ru/...)

    friend bool operator==(const EntityConfig&, const EntityConfig&) = default;
};

// The planner's policies where the law leaves a choice (scenarios.json "policies").
struct PlannerConfig {
    std::string unallocated_advance_vat = "vat22";
    bool credit_repayment_without_vat = true;
    bool one_receipt_per_payment = true;
    bool overpayment_separate_receipt = true;
    bool return_to_balance_by_prepayment = true;
    bool itemize_full_prepayment = true;
    std::string default_excess = "change";  // change | advance
    // Prepayment above the goods handed over when some are refused at the door: refund | advance.
    std::string refused_prepayment = "refund";
    // An action settled (by the phone's clock) longer ago than the tolerance: correct | list_for_office.
    std::string late_settlement = "correct";
    // credit_at_door: when a courier may settle an order on credit at the door: "order" (the order
    // says so: credit_allowed, or payment_method credit), "never", or "any" order.
    std::string credit_at_door = "order";
    std::int64_t late_settlement_tolerance_seconds = 300;
    // fiscal-rules.md §3.11: a courier (token role courier) taking cash at the door gets an e-receipt
    // only; without a buyer contact (1008) the settlement is refused (422 contact_required).
    bool courier_cash_requires_contact = true;
};

// E-receipts: Kassa's own copy of each receipt to the buyer's e-mail or phone (tag 1008 already
// asks the OFD to send the legal one). A channel with no URL is off.
struct NotifyConfig {
    std::string smtp_url;  // smtp://host:port (STARTTLS with smtp_starttls) or smtps://host:port
    bool smtp_starttls = false;
    std::string smtp_username;
    std::string smtp_password;
    std::string smtp_from;
    std::string smtp_from_name;
    std::string sms_url;  // HTTP gateway; may contain {phone} {text} {link}
    std::string sms_method = "POST";
    std::string sms_body;                  // body template with {phone} {text} {link}
    std::string sms_encoding = "json";     // json | form | raw: how placeholders are escaped
    std::vector<std::string> sms_headers;  // "Name: value"
    std::string check_url;                 // link to check a receipt; {qr} is the check QR string
    int max_attempts = 10;
    int retry_initial_seconds = 30;
};

struct TokenConfig {
    std::string name;                    // for the audit log
    std::string role;                    // admin | cashier | courier
    std::string sha256;                  // hex SHA-256 of the token; the token itself is never in the file
    std::vector<std::string> registers;  // optional binding to register ids
    std::vector<std::string> entities;   // optional binding to legal entities (INN)

    friend bool operator==(const TokenConfig&, const TokenConfig&) = default;
};

// Drop-in listeners for integrations written for other local fiscal servers (src/api/compat/).
// Off by default: an empty address opens nothing.
struct CompatConfig {
    std::string kkmserver_listen;  // KKMServer's POST /Execute, usually "127.0.0.1:5893"; HTTP Basic, password = token
    std::string atol_listen;       // ATOL Web-server's /api/v2/requests, usually "127.0.0.1:16732"
    // false: ATOL requests without an Authorization header act as the cashier "atol-anonymous"
    // (ATOL's auth is optional; keep such a listener on loopback). With the header: Basic, password = token.
    bool atol_require_auth = true;
};

struct Config {
    ServerConfig server;
    CompatConfig compat;
    LedgerConfig ledger;
    LogConfig log;
    std::vector<EntityConfig> entities;
    std::vector<RegisterConfig> registers;
    PlannerConfig planner;
    NotifyConfig notify;
    // With no tokens at all, kassad makes an admin token on first start and keeps it in
    // <data_dir>/admin-token (mode 0600) so the operator can read it.
    std::vector<TokenConfig> tokens;
    std::optional<std::filesystem::path> source;  // the file it came from, if any
};

// The embedded default: what kassad runs with no config file.
Config default_config();

// Parses TOML text; `origin` names the file in error messages.
Result<Config> parse_config(std::string_view toml_text, const std::string& origin);

// Reads and parses a file.
Result<Config> load_config_file(const std::filesystem::path& path);

// "04:30" → minutes after midnight; nullopt for anything else.
std::optional<int> parse_time_of_day(std::string_view text);

// Checks cross-field rules (listen address, log level, unique register ids, known families, URIs).
Status validate(const Config& config);

// Families kassad can simulate in-process behind sim://<family> (simulators/<family>).
bool simulated_family(std::string_view family);

// The URI the driver opens: the register's, with its model profile merged in (devices/*.json).
Result<std::string> device_uri_of(const RegisterConfig& reg);

}  // namespace kassa::app
