// Schema migrations: numbered .sql files under src/ledger/migrations, embedded at build time and
// applied in order, each in its own transaction, recording the version in PRAGMA user_version.
#pragma once

#include <string_view>
#include <vector>

#include "ledger/detail/sqlite.hpp"

namespace kassa::ledger::detail {

struct Migration {
    int version;
    std::string_view name;
    std::string_view sql;
};

// Every migration, by ascending version (generated: migrations_embedded.cpp).
const std::vector<Migration>& migrations();

// The newest schema version this build knows.
int latest_schema_version();

// PRAGMA user_version of the connection's database.
int schema_version(Db& db);

// Applies the migrations newer than the file's version, up to `target` (default: all). Throws
// LedgerError(schema_too_new) when the file is newer than this build. Returns the final version.
int migrate(Db& db, int target = -1);

}  // namespace kassa::ledger::detail
