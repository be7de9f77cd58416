// RAII over the SQLite C API, in the manner of SQLiteCpp: a connection, a prepared statement, a
// transaction and a savepoint that roll back unless committed. Failures throw LedgerError with
// code storage_error (or the constraint message); destructors never throw. sqlite3.h stays in
// sqlite.cpp: the handles are forward-declared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ledger/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace kassa::ledger::detail {

class Db {
  public:
    enum class Mode { ReadWriteCreate, ReadWrite };

    // Opens (creating when asked) the file; busy timeout in milliseconds; `vfs`: a registered VFS's
    // name, or null for SQLite's default.
    Db(const std::string& path, Mode mode, int busy_timeout_ms = 5000, const char* vfs = nullptr);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    Db(Db&& other) noexcept;
    Db& operator=(Db&& other) noexcept;

    // Runs one or more statements that return no rows of interest.
    void exec(std::string_view sql);
    // The first column of the first row of a query as an integer / text.
    std::int64_t scalar_int(std::string_view sql);
    std::string scalar_text(std::string_view sql);

    std::int64_t last_insert_rowid() const;
    int changes() const;
    bool in_transaction() const;  // false once SQLite rolled a transaction back by itself
    sqlite3* handle() const { return db_; }

    // Online copy of the whole database to `path` (SQLite backup API), in one step.
    void backup_to(const std::string& path);

  private:
    friend class Stmt;
    // Prepared statements kept for reuse by their SQL text (a Stmt takes one out while it runs and
    // puts it back reset): the hot paths run the same few statements thousands of times a second.
    sqlite3_stmt* take_cached(const std::string& sql);
    void give_back(std::string sql, sqlite3_stmt* stmt);
    void drop_cache();

    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class Stmt {
  public:
    Stmt(Db& db, std::string_view sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    // Parameters are 1-based, as in SQLite.
    Stmt& bind(int index, std::int64_t value);
    Stmt& bind(int index, std::string_view value);
    Stmt& bind(int index, const std::string& value) { return bind(index, std::string_view{value}); }
    Stmt& bind(int index, const char* value) { return bind(index, std::string_view{value}); }
    Stmt& bind_null(int index);
    template <class T>
    Stmt& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index);
    }

    // Advances: true while a row is available.
    bool step();
    // Steps a statement that must finish without rows.
    void run();
    void reset();

    bool is_null(int column) const;
    std::int64_t get_int(int column) const;
    std::string get_text(int column) const;
    std::optional<std::int64_t> get_opt_int(int column) const;
    std::optional<std::string> get_opt_text(int column) const;

  private:
    Db* db_;
    std::string sql_;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN [IMMEDIATE] … COMMIT; rolls back in the destructor unless committed.
class Transaction {
  public:
    enum class Kind { Deferred, Immediate };
    explicit Transaction(Db& db, Kind kind = Kind::Immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

  private:
    Db& db_;
    bool done_ = false;
};

// SAVEPOINT … RELEASE; rolls back to the savepoint in the destructor unless released.
class Savepoint {
  public:
    Savepoint(Db& db, std::string name);
    ~Savepoint();
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    void release();

  private:
    Db& db_;
    std::string name_;
    bool done_ = false;
};

// Throws LedgerError(storage_error) with SQLite's message for `rc` when rc is not OK/ROW/DONE.
void check(sqlite3* db, int rc, std::string_view what);

}  // namespace kassa::ledger::detail
