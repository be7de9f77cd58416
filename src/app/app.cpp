#include "app/app.hpp"

#include "api/compat/atol_web.hpp"
#include "api/compat/common.hpp"
#include "api/compat/kkm.hpp"

#include <fcntl.h>
#include <spdlog/logger.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "api/auth.hpp"
#include "api/json_io.hpp"
#include "api/router.hpp"
#include "api/routes.hpp"
#include "api/server.hpp"
#include "api/service.hpp"
#include "app/ledger_port.hpp"
#include "app/notifier.hpp"
#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/uri.hpp"
#include "drivers/registry.hpp"
#include "drivers/worker/pool.hpp"
#include "ledger/ledger.hpp"
#include "notify/sms_sender.hpp"
#include "notify/smtp_sender.hpp"
#include "simulators/atol/server.hpp"
#include "simulators/shtrih/server.hpp"

namespace kassa::app {

namespace {

// Reads <data_dir>/admin-token, or creates it (mode 0600, never replaced) with a fresh token.
Result<std::string> bootstrap_admin_token(const std::filesystem::path& path) {
    if (std::ifstream in(path); in) {
        std::string token;
        std::getline(in, token);
        if (token.size() >= 32) return token;
        return fail("admin_token_invalid",
                    "'" + path.string() + "' does not hold a token; delete it to make a new one");
    }
    const std::string token = api::random_token();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return fail("admin_token_unwritable", "cannot create '" + path.string() + "'");
    const std::string line = token + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return fail("admin_token_unwritable", "cannot write '" + path.string() + "'");
    return token;
}

fiscal::PlannerPolicy policy_from(const PlannerConfig& c) {
    fiscal::PlannerPolicy p;
    p.unallocated_advance_vat = *api::parse_vat_class(c.unallocated_advance_vat);
    p.credit_repayment_without_vat = c.credit_repayment_without_vat;
    p.one_receipt_per_payment = c.one_receipt_per_payment;
    p.overpayment_separate_receipt = c.overpayment_separate_receipt;
    p.return_to_balance_by_prepayment = c.return_to_balance_by_prepayment;
    p.itemize_full_prepayment = c.itemize_full_prepayment;
    p.courier_cash_requires_contact = c.courier_cash_requires_contact;
    p.default_excess = c.default_excess == "advance" ? fiscal::ExcessHandling::Advance : fiscal::ExcessHandling::Change;
    p.refused_prepayment =
        c.refused_prepayment == "advance" ? fiscal::RefusedPrepayment::Advance : fiscal::RefusedPrepayment::Refund;
    return p;
}

api::CreditAtDoor credit_at_door_from(const PlannerConfig& c) {
    if (c.credit_at_door == "never") return api::CreditAtDoor::Never;
    if (c.credit_at_door == "any") return api::CreditAtDoor::Any;
    return api::CreditAtDoor::Order;
}

api::LateSettlement late_settlement_from(const PlannerConfig& c) {
    return c.late_settlement == "list_for_office" ? api::LateSettlement::ListForOffice : api::LateSettlement::Correct;
}

}  // namespace

struct App::Impl {
    Config config;
    api::TokenStore tokens;
    std::optional<std::filesystem::path> admin_token_path;
    std::unique_ptr<ledger::Ledger> ledger;
    std::vector<std::unique_ptr<sim::ShtrihSimulator>> simulators;  // embedded registers
    std::vector<std::unique_ptr<sim::atol::AtolSimulator>> atol_simulators;
    std::unique_ptr<notify::SmtpSender> smtp;
    std::unique_ptr<notify::SmsSender> sms;
    std::unique_ptr<notify::ChannelRouter> channels;
    std::unique_ptr<Notifier> notifier;
    std::unique_ptr<LedgerPort> port;
    drivers::RegisterPool pool;
    std::unique_ptr<api::Service> service;
    api::Router router;
    std::shared_ptr<api::HttpCounters> http_counters = std::make_shared<api::HttpCounters>();
    std::unique_ptr<api::Server> server;
    api::Router kkm_router;  // [compat] kkmserver_listen: its own router, port and auth
    std::unique_ptr<api::Server> kkm_server;
    api::Router atol_router;  // [compat] atol_listen
    std::unique_ptr<api::Server> atol_server;
    bool stopped = false;
};

App::App(Config config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

App::~App() { stop(); }

Status App::start() {
    auto& s = *impl_;
    auto logger = log::get("app");
    const auto& data_dir = s.config.ledger.data_dir;
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return fail("data_dir_unavailable", "cannot create data dir '" + data_dir.string() + "': " + ec.message());
    // The ledger holds buyers' phones and e-mails: the directory is the owner's alone (0700), and so
    // is every file in it (main sets the umask to 077; files an older version made are fixed below).
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all, ec);
    if (ec)
        return fail("data_dir_unavailable", "cannot make data dir '" + data_dir.string() + "' 0700: " + ec.message());
    for (const auto& entry : std::filesystem::directory_iterator(data_dir, ec))
        if (entry.is_regular_file(ec))
            std::filesystem::permissions(entry.path(),
                                         std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);

    // ---- tokens ---------------------------------------------------------------------------
    for (const auto& t : s.config.tokens) {
        api::Principal principal{t.name, *api::parse_role(t.role), t.registers, t.entities};
        if (auto added = s.tokens.add(t.sha256, std::move(principal)); !added) return added;
    }
    if (s.tokens.empty()) {
        const auto path = data_dir / "admin-token";
        auto token = bootstrap_admin_token(path);
        if (!token) return std::unexpected(token.error());
        (void)s.tokens.add(api::sha256_hex(*token), api::Principal{"bootstrap-admin", api::Role::Admin, {}, {}});
        s.admin_token_path = path;
    }
    api::install_auth(s.router, s.tokens);

    // ---- ledger ---------------------------------------------------------------------------
    const auto ledger_path = (data_dir / "kassa.sqlite").string();
    try {
        s.ledger = ledger::Ledger::open(
            ledger_path, SystemClock::instance(),
            ledger::LedgerOptions{
                .late_tolerance = std::chrono::seconds(s.config.planner.late_settlement_tolerance_seconds),
                .checkpoint_writeback_pages_per_second =
                    static_cast<int>(s.config.ledger.checkpoint_writeback_pages_per_second)});
        for (const auto& e : s.config.entities) s.ledger->upsert_entity(ledger::LegalEntity{e.inn, e.name});
        for (const auto& r : s.config.registers)
            s.ledger->upsert_register(ledger::Register{r.id, r.entity_inn, r.uri, true});
    } catch (const ledger::LedgerError& e) {
        return fail("ledger_unavailable", "cannot open the ledger '" + ledger_path + "': " + e.what());
    }
    // Tokens Kassa issued (POST /v1/tokens) and has not revoked, beside the config file's.
    for (const auto& t : s.ledger->tokens()) {
        const auto role = api::parse_role(t.role);
        if (t.revoked || !role) continue;
        if (auto added = s.tokens.add_issued(t.sha256, api::Principal{.name = t.name,
                                                                      .role = *role,
                                                                      .registers = t.registers,
                                                                      .entities = t.entities,
                                                                      .token_sha256 = t.sha256,
                                                                      .token_id = t.id});
            !added)
            logger->warn("issued token {} ('{}') is not usable: {}", t.id, t.name, added.error().message);
    }

    // ---- registers ------------------------------------------------------------------------
    std::vector<api::EntityInfo> entities;
    for (const auto& e : s.config.entities) {
        std::optional<qr::BankRequisites> bank;
        if (!e.bank_account.empty() || !e.bank_bic.empty()) {
            bank = qr::BankRequisites{.name = e.name,
                                      .personal_acc = e.bank_account,
                                      .bank_name = e.bank_name,
                                      .bic = e.bank_bic,
                                      .corresp_acc = e.bank_corr_account.empty() ? "0" : e.bank_corr_account,
                                      .payee_inn = e.inn,
                                      .kpp = e.kpp};
            if (auto valid = qr::validate_requisites(*bank); !valid)
                return fail("config_invalid", "entity " + e.inn + " bank requisites: " + valid.error().message);
        }
        entities.push_back(api::EntityInfo{.inn = e.inn,
                                           .name = e.name,
                                           .tax_system = *api::parse_tax_system(e.tax_system),
                                           .cashier = e.cashier,
                                           .cashier_inn = e.cashier_inn,
                                           .settlement_address = e.settlement_address,
                                           .settlement_place = e.settlement_place,
                                           .bank = std::move(bank),
                                           .sbp_link = e.sbp_link});
    }
    // ---- e-receipts ------------------------------------------------------------------------
    const auto& n = s.config.notify;
    if (!n.smtp_url.empty()) {
        notify::SmtpConfig smtp{.url = n.smtp_url,
                                .starttls = n.smtp_starttls,
                                .username = n.smtp_username,
                                .password = n.smtp_password,
                                .from = n.smtp_from,
                                .from_name = n.smtp_from_name};
        if (auto valid = notify::validate_smtp_config(smtp); !valid)
            return fail("config_invalid", "notify: " + valid.error().message);
        s.smtp = std::make_unique<notify::SmtpSender>(smtp, SystemClock::instance());
    }
    if (!n.sms_url.empty()) {
        notify::SmsGatewayConfig sms{.url = n.sms_url, .method = n.sms_method, .body_template = n.sms_body};
        sms.body_encoding = n.sms_encoding == "form"  ? notify::BodyEncoding::kForm
                            : n.sms_encoding == "raw" ? notify::BodyEncoding::kRaw
                                                      : notify::BodyEncoding::kJson;
        for (const auto& h : n.sms_headers) {
            const auto colon = h.find(':');
            if (colon == std::string::npos)
                return fail("config_invalid", "notify.sms_headers: '" + h + "' is not 'Name: value'");
            const auto value = h.find_first_not_of(' ', colon + 1);
            sms.headers.emplace_back(h.substr(0, colon), value == std::string::npos ? "" : h.substr(value));
        }
        if (auto valid = notify::validate_sms_config(sms); !valid)
            return fail("config_invalid", "notify: " + valid.error().message);
        s.sms = std::make_unique<notify::SmsSender>(sms);
    }
    s.channels = std::make_unique<notify::ChannelRouter>(s.smtp.get(), s.sms.get());
    notify::RetryPolicy retry;
    retry.initial_delay = std::chrono::seconds(n.retry_initial_seconds);
    retry.max_attempts = n.max_attempts;
    s.notifier = std::make_unique<Notifier>(*s.ledger, *s.channels, NotifierOptions{retry, n.check_url},
                                            SystemClock::instance());
    const auto wake = [&s] { s.notifier->wake(); };

    s.service = std::make_unique<api::Service>(
        api::ServiceOptions{.entities = entities,
                            .policy = policy_from(s.config.planner),
                            .late_settlement = late_settlement_from(s.config.planner),
                            .late_tolerance = std::chrono::seconds(s.config.planner.late_settlement_tolerance_seconds),
                            .credit_at_door = credit_at_door_from(s.config.planner),
                            .email_enabled = s.smtp != nullptr,
                            .sms_enabled = s.sms != nullptr,
                            .on_outbox = wake},
        *s.ledger, s.pool, SystemClock::instance());
    s.port = std::make_unique<LedgerPort>(
        *s.ledger, [&s](std::int64_t id) { s.service->settled(id); }, s.smtp != nullptr, s.sms != nullptr, wake);
    // Live events (GET /v1/events): every change of a receipt, and its e-receipt's delivery.
    s.port->on_changed([&s](std::int64_t id) { s.service->receipt_changed(id); });
    s.notifier->on_delivery([&s](std::int64_t id) { s.service->receipt_changed(id); });

    int sim_index = 0;
    for (const auto& r : s.config.registers) {
        auto resolved = device_uri_of(r);  // the model profile merged in (devices/*.json)
        if (!resolved) return fail("config_invalid", "register '" + r.id + "': " + resolved.error().message);
        std::string device_uri = *resolved;
        if (r.uri.starts_with("sim://")) {
            // A simulated register of the register's family (sim://<family>; sim://embedded = the
            // default, and tests; validate() admits only families with a simulator): on a loopback
            // TCP port, or on a pty with ?endpoint=pty. Its FN is kept beside the ledger so
            // receipts survive restarts like on a real register, registered to the entity, with an
            // FN serial of its own. Shtrih and ATOL are simulated.
            const auto uri = parse_uri(r.uri);
            const bool pty = uri && uri->param("endpoint") == "pty";
            // ?ofd_ack_ms=N: the simulated OFD acknowledges each document N ms after it was formed
            // (validated in config.cpp); without it there is no OFD and the backlog only grows.
            std::optional<std::chrono::milliseconds> ofd_ack_after;
            if (uri && !uri->param("ofd_ack_ms").empty())
                ofd_ack_after = std::chrono::milliseconds{uri->int_param("ofd_ack_ms", 0).value_or(0)};
            const auto state_file = (data_dir / ("sim-" + r.id + ".fn")).string();
            const auto serial = std::to_string(++sim_index);
            const auto fn_serial = "99990789" + std::string(8 - serial.size(), '0') + serial;
            if (r.family == "atol") {
                sim::atol::AtolSimulatorConfig ac;
                ac.endpoint =
                    pty ? sim::atol::AtolSimulatorConfig::Endpoint::Pty : sim::atol::AtolSimulatorConfig::Endpoint::Tcp;
                ac.state_file = state_file;
                ac.inn = r.entity_inn;
                ac.fn_serial = fn_serial;
                ac.ofd_ack_after = ofd_ack_after;
                auto simulator = std::make_unique<sim::atol::AtolSimulator>(ac);
                auto ready = simulator->start();
                if (!ready) return fail("simulator_failed", "register '" + r.id + "': " + ready.error().message);
                device_uri = simulator->device_uri();
                s.atol_simulators.push_back(std::move(simulator));
            } else {
                sim::SimulatorConfig sc;
                sc.endpoint = pty ? sim::SimulatorConfig::Endpoint::Pty : sim::SimulatorConfig::Endpoint::Tcp;
                sc.state_file = state_file;
                sc.inn = r.entity_inn;
                sc.fn_serial = fn_serial;
                sc.ofd_ack_after = ofd_ack_after;
                auto simulator = std::make_unique<sim::ShtrihSimulator>(sc);
                auto ready = simulator->start();
                if (!ready) return fail("simulator_failed", "register '" + r.id + "': " + ready.error().message);
                device_uri = simulator->device_uri();
                s.simulators.push_back(std::move(simulator));
            }
            if (!r.model.empty()) {  // the model's driver options apply to its simulator too
                RegisterConfig simulated = r;
                simulated.uri = device_uri;
                if (auto with_model = device_uri_of(simulated)) device_uri = *with_model;
            }
            logger->info("register '{}' is a simulated {} register at {}", r.id, r.family, device_uri);
        }
        const EntityConfig* entity = nullptr;
        for (const auto& e : s.config.entities)
            if (e.inn == r.entity_inn) entity = &e;
        drivers::WorkerOptions options;
        options.register_id = r.id;
        if (auto quiet = parse_time_of_day(r.shift_rotate_at)) options.quiet_time = std::chrono::minutes(*quiet);
        options.failover_after = std::chrono::seconds(r.failover_after_seconds);
        if (entity) {
            options.cashier = entity->cashier;
            options.cashier_inn = entity->cashier_inn;
        }
        auto connector = [family = r.family, device_uri]() { return drivers::make_device(family, device_uri); };
        s.pool.add(r.entity_inn,
                   std::make_unique<drivers::RegisterWorker>(options, connector, *s.port, SystemClock::instance()));
    }

    // ---- HTTP -------------------------------------------------------------------------------
    api::add_api_routes(
        s.router, *s.service, s.tokens,
        api::HealthSource{.version = KASSA_VERSION,
                          .clock = &SystemClock::instance(),
                          .started = SystemClock::instance().steady_now(),
                          .registers =
                              [&s] {
                                  std::vector<api::RegisterHealth> out;
                                  for (auto* w : s.pool.workers()) {
                                      const auto snap = w->snapshot();
                                      std::string family;
                                      for (const auto& r : s.config.registers)
                                          if (r.id == snap.register_id) family = r.family;
                                      out.push_back({snap.register_id, family, s.pool.entity_of(snap.register_id),
                                                     std::string(drivers::worker_state_name(snap.state)), snap.detail});
                                  }
                                  return out;
                              }},
        s.config.server.web_root,
        api::MetricsSource{.ledger_path = ledger_path, .http = s.http_counters, .clock = &SystemClock::instance()},
        data_dir / "backups", !s.config.server.tls_cert.empty());
    // Every authenticated call goes into the audit log with the token's name (open routes such as
    // /v1/health do not: load balancers poll them). Contacts never appear: only method and path.
    // Requests that made receipts wrote their audit row with the plan, in the same transaction.
    auto audit_observer = [&s](const api::HttpRequest& req, const api::HttpResponse& res, std::function<void()> then) {
        const bool refused = res.status == 401 || res.status == 403;
        if ((!req.principal && !refused) || res.audited) return then();
        // The answer leaves once its audit row is committed; no thread waits for that.
        s.ledger->audit_then(
            std::move(then),
            ledger::AuditRecord{.actor = req.principal ? req.principal->name + " (" +
                                                             std::string(api::role_name(req.principal->role)) + ")"
                                                       : std::string("unauthenticated"),
                                .action = req.method + " " + req.path,
                                .subject = std::to_string(res.status),
                                .address = req.remote});
    };
    s.router.set_observer(
        [&s, audit_observer](const api::HttpRequest& req, const api::HttpResponse& res, std::function<void()> then) {
            s.http_counters->record(req.method, req.route.empty() ? "unmatched" : req.route, res.status, req.received);
            audit_observer(req, res, std::move(then));
        });

    // A receipt handed to a sibling register is announced on /v1/events with its new register.
    s.pool.enable_failover([&s](std::int64_t id, const std::string& register_id) {
        const auto before = s.ledger->receipt(id);
        if (!s.ledger->reassign(id, register_id)) return false;
        s.service->receipt_moved(id, before ? before->register_id : std::string());
        return true;
    });
    // Receipts left in flight by the last run go first, then the workers start.
    s.service->recover();
    s.pool.start_all();
    s.notifier->start();

    auto listen = parse_host_port(s.config.server.listen);
    if (!listen) return std::unexpected(listen.error());
    api::ServerOptions options{.host = listen->host,
                               .port = listen->port,
                               .body_limit_bytes = s.config.server.body_limit_bytes,
                               .header_limit_bytes = s.config.server.header_limit_bytes,
                               .inflight_body_limit_bytes = s.config.server.inflight_body_limit_bytes,
                               .read_timeout = s.config.server.read_timeout,
                               .io_threads = s.config.server.io_threads,
                               .handler_threads = s.config.server.handler_threads,
                               .tls_cert = s.config.server.tls_cert,
                               .tls_key = s.config.server.tls_key};
    s.server = std::make_unique<api::Server>(options, s.router);
    if (auto started = s.server->start(); !started) return started;
    logger->info("listening on {}://{}:{}", s.config.server.tls_cert.empty() ? "http" : "https", listen->host,
                 s.server->port());
    // [compat]: drop-in listeners for integrations written for KKMServer or ATOL Web-server, each on
    // its own port with its own router (Kassa's own API and its OpenAPI document are not there).
    auto compat_listener = [&](const std::string& address, api::Router& router,
                               std::unique_ptr<api::Server>& server) -> Status {
        auto hp = parse_host_port(address);
        if (!hp) return std::unexpected(hp.error());
        router.set_observer(audit_observer);
        auto compat_options = options;
        compat_options.host = hp->host;
        compat_options.port = hp->port;
        compat_options.tls_cert.clear();  // the peers' clients speak plain HTTP
        compat_options.tls_key.clear();
        server = std::make_unique<api::Server>(compat_options, router);
        return server->start();
    };
    if (!s.config.compat.kkmserver_listen.empty()) {
        api::compat::install_basic_auth(s.kkm_router, s.tokens);
        api::compat::add_kkm_routes(s.kkm_router, *s.service);
        if (auto started = compat_listener(s.config.compat.kkmserver_listen, s.kkm_router, s.kkm_server); !started)
            return started;
        logger->info("KKMServer-compatible listener on port {}", s.kkm_server->port());
    }
    if (!s.config.compat.atol_listen.empty()) {
        api::compat::install_basic_auth(s.atol_router, s.tokens, s.config.compat.atol_require_auth,
                                        api::Principal{"atol-anonymous", api::Role::Cashier, {}, {}});
        api::compat::add_atol_routes(s.atol_router, *s.service);
        if (auto started = compat_listener(s.config.compat.atol_listen, s.atol_router, s.atol_server); !started)
            return started;
        logger->info("ATOL Web-server-compatible listener on port {}", s.atol_server->port());
    }
    return ok();
}

std::optional<std::filesystem::path> App::admin_token_path() const { return impl_->admin_token_path; }

std::uint16_t App::port() const { return impl_->server ? impl_->server->port() : 0; }

std::uint16_t App::kkm_port() const { return impl_->kkm_server ? impl_->kkm_server->port() : 0; }

std::uint16_t App::atol_port() const { return impl_->atol_server ? impl_->atol_server->port() : 0; }

void App::stop() {
    auto& s = *impl_;
    if (s.stopped) return;
    s.stopped = true;
    // Stop taking requests, let the ones in flight answer, then drain the registers (each
    // finishes its receipt in flight; queued ones stay in the ledger for the next start).
    if (s.service) s.service->release_waiters();     // long-polls answer now, with what they have
    if (s.service) s.service->events().close_all();  // live event streams end
    if (s.kkm_server) s.kkm_server->shutdown();
    if (s.atol_server) s.atol_server->shutdown();
    if (s.server) s.server->shutdown();
    s.pool.stop_all();
    if (s.notifier) s.notifier->stop();
    for (auto& simulator : s.simulators) simulator->stop();
    for (auto& simulator : s.atol_simulators) simulator->stop();
    s.kkm_server.reset();
    s.atol_server.reset();
    s.server.reset();
    log::get("app")->info("stopped");
}

}  // namespace kassa::app
