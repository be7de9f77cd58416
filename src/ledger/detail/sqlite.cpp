#include "ledger/detail/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace kassa::ledger::detail {

void check(sqlite3* db, int rc, std::string_view what) {
    if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
    std::string message(what);
    message += ": ";
    message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw LedgerError(errc::kStorage, message);
}

Db::Db(const std::string& path, Mode mode, int busy_timeout_ms, const char* vfs) {
    // FULLMUTEX is not needed: each connection is used by one thread at a time (the writer, or a
    // reader checked out of the pool), so the cheaper multi-thread mode is enough.
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (mode == Mode::ReadWriteCreate) flags |= SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, vfs);
    if (rc != SQLITE_OK) {
        std::string message = "open " + path + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw LedgerError(errc::kStorage, message);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, busy_timeout_ms);
}

Db::~Db() {
    drop_cache();
    // close_v2 defers the close until every statement is finalized; never throws.
    if (db_ != nullptr) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {
    other.cache_.clear();
}

Db& Db::operator=(Db&& other) noexcept {
    if (this != &other) {
        drop_cache();
        if (db_ != nullptr) sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
        cache_ = std::move(other.cache_);
        other.cache_.clear();
    }
    return *this;
}

namespace {
constexpr std::size_t kMaxCachedStatements = 128;  // the ledger's fixed statements fit many times over
}

sqlite3_stmt* Db::take_cached(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) return nullptr;
    sqlite3_stmt* stmt = it->second;
    cache_.erase(it);
    return stmt;
}

void Db::give_back(std::string sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (cache_.size() >= kMaxCachedStatements || cache_.contains(sql)) {
        sqlite3_finalize(stmt);
        return;
    }
    cache_.emplace(std::move(sql), stmt);
}

void Db::drop_cache() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    cache_.clear();
}

void Db::exec(std::string_view sql) {
    const std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string message = err != nullptr ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw LedgerError(errc::kStorage, "exec: " + message);
    }
}

std::int64_t Db::scalar_int(std::string_view sql) {
    Stmt s(*this, sql);
    if (!s.step()) throw LedgerError(errc::kStorage, "query returned no row: " + std::string(sql));
    return s.get_int(0);
}

std::string Db::scalar_text(std::string_view sql) {
    Stmt s(*this, sql);
    if (!s.step()) throw LedgerError(errc::kStorage, "query returned no row: " + std::string(sql));
    return s.get_text(0);
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Db::changes() const { return sqlite3_changes(db_); }
bool Db::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Db::backup_to(const std::string& path) {
    Db dest(path, Mode::ReadWriteCreate);
    sqlite3_backup* b = sqlite3_backup_init(dest.db_, "main", db_, "main");
    if (b == nullptr) check(dest.db_, sqlite3_errcode(dest.db_), "backup init");
    // One step copies everything under one read snapshot: a consistent image even while the
    // writer keeps committing (WAL readers see a fixed snapshot).
    const int rc = sqlite3_backup_step(b, -1);
    const int finish = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) check(dest.db_, rc == SQLITE_OK ? SQLITE_ERROR : rc, "backup step");
    check(dest.db_, finish, "backup finish");
}

Stmt::Stmt(Db& db, std::string_view sql) : db_(&db), sql_(sql) {
    stmt_ = db.take_cached(sql_);
    if (stmt_ != nullptr) return;
    const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt_, nullptr);
    check(db.handle(), rc, "prepare");
}

Stmt::~Stmt() {
    if (stmt_ != nullptr) db_->give_back(std::move(sql_), stmt_);
}

Stmt& Stmt::bind(int index, std::int64_t value) {
    check(db_->handle(), sqlite3_bind_int64(stmt_, index, value), "bind");
    return *this;
}

Stmt& Stmt::bind(int index, std::string_view value) {
    check(db_->handle(), sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
          "bind");
    return *this;
}

Stmt& Stmt::bind_null(int index) {
    check(db_->handle(), sqlite3_bind_null(stmt_, index), "bind");
    return *this;
}

bool Stmt::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    check(db_->handle(), rc, "step");
    return false;
}

void Stmt::run() {
    if (step()) throw LedgerError(errc::kStorage, "statement returned rows where none were expected");
}

void Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Stmt::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::int64_t Stmt::get_int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Stmt::get_text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (p == nullptr) return {};
    return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::int64_t> Stmt::get_opt_int(int column) const {
    if (is_null(column)) return std::nullopt;
    return get_int(column);
}

std::optional<std::string> Stmt::get_opt_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return get_text(column);
}

Transaction::Transaction(Db& db, Kind kind) : db_(db) {
    Stmt(db_, kind == Kind::Immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED").run();
}

Transaction::~Transaction() {
    if (done_ || !db_.in_transaction()) return;
    // ROLLBACK can only fail when there is nothing to roll back; ignore it, never throw here.
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    Stmt(db_, "COMMIT").run();
    done_ = true;
}

Savepoint::Savepoint(Db& db, std::string name) : db_(db), name_(std::move(name)) {
    Stmt(db_, "SAVEPOINT " + name_).run();
}

Savepoint::~Savepoint() {
    if (done_ || !db_.in_transaction()) return;
    const std::string sql = "ROLLBACK TO " + name_ + "; RELEASE " + name_;
    sqlite3_exec(db_.handle(), sql.c_str(), nullptr, nullptr, nullptr);
}

void Savepoint::release() {
    Stmt(db_, "RELEASE " + name_).run();
    done_ = true;
}

}  // namespace kassa::ledger::detail
