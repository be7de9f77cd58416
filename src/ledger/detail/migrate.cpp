#include "ledger/detail/migrate.hpp"

#include <string>

namespace kassa::ledger::detail {

int latest_schema_version() {
    const auto& all = migrations();
    return all.empty() ? 0 : all.back().version;
}

int schema_version(Db& db) { return static_cast<int>(db.scalar_int("PRAGMA user_version")); }

int migrate(Db& db, int target) {
    const auto& all = migrations();
    // Versions must be 1, 2, 3, … with no gap: a gap means a file was lost or misnamed.
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].version != static_cast<int>(i) + 1) {
            throw LedgerError(errc::kStorage, "migration " + std::string(all[i].name) + " is out of sequence");
        }
    }
    const int latest = latest_schema_version();
    if (target < 0 || target > latest) target = latest;
    int current = schema_version(db);
    if (current > latest) {
        throw LedgerError(errc::kSchemaTooNew, "database schema version " + std::to_string(current) +
                                                   " is newer than this build's " + std::to_string(latest));
    }
    for (const auto& m : all) {
        if (m.version <= current || m.version > target) continue;
        // Schema and version move together: a crash mid-migration leaves the old version intact.
        Transaction tx(db, Transaction::Kind::Immediate);
        db.exec(m.sql);
        db.exec("PRAGMA user_version = " + std::to_string(m.version));
        tx.commit();
        current = m.version;
    }
    return current;
}

}  // namespace kassa::ledger::detail
