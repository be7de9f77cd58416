// The RAII layer over sqlite3 and the migrations: from an empty file and from every earlier version.
#include "ledger/detail/sqlite.hpp"

#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "ledger/detail/migrate.hpp"
#include "ledger/ledger.hpp"
#include "temp_file.hpp"

namespace kassa::ledger {
namespace {

using detail::Db;
using detail::Savepoint;
using detail::Stmt;
using detail::Transaction;
using testing::TempDb;

std::int64_t count(Db& db, const std::string& table) { return db.scalar_int("SELECT COUNT(*) FROM " + table); }

TEST(LedgerSqlite, TransactionRollsBackUnlessCommitted) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t (x INTEGER)");
    {
        Transaction tx(db);
        db.exec("INSERT INTO t VALUES (1)");
    }
    EXPECT_EQ(count(db, "t"), 0);
    EXPECT_FALSE(db.in_transaction());
    {
        Transaction tx(db);
        db.exec("INSERT INTO t VALUES (1)");
        tx.commit();
    }
    EXPECT_EQ(count(db, "t"), 1);
}

TEST(LedgerSqlite, TransactionRollsBackWhenAnExceptionUnwinds) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t (x INTEGER NOT NULL)");
    EXPECT_THROW(
        {
            Transaction tx(db);
            db.exec("INSERT INTO t VALUES (1)");
            db.exec("INSERT INTO t VALUES (NULL)");
            tx.commit();
        },
        LedgerError);
    EXPECT_EQ(count(db, "t"), 0);
}

TEST(LedgerSqlite, SavepointRollsBackOnlyItsOwnWork) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t (x INTEGER)");
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
    {
        Savepoint sp(db, "a");
        db.exec("INSERT INTO t VALUES (2)");
    }
    {
        Savepoint sp(db, "b");
        db.exec("INSERT INTO t VALUES (3)");
        sp.release();
    }
    tx.commit();
    EXPECT_EQ(db.scalar_int("SELECT SUM(x) FROM t"), 4);
}

TEST(LedgerSqlite, StatementBindsAndReads) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t (i INTEGER, s TEXT)");
    Stmt ins(db, "INSERT INTO t VALUES (?, ?)");
    ins.bind(1, std::int64_t{-5}).bind(2, std::string_view{"a\0b", 3}).run();
    ins.reset();
    ins.bind(1, std::optional<std::int64_t>{}).bind(2, "x").run();
    Stmt q(db, "SELECT i, s FROM t ORDER BY rowid");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.get_int(0), -5);
    EXPECT_EQ(q.get_text(1), std::string("a\0b", 3));
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.get_opt_int(0), std::nullopt);
    EXPECT_FALSE(q.step());
}

TEST(LedgerSqlite, ErrorsCarryTheStorageCode) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    try {
        Stmt s(db, "SELECT * FROM missing");
        FAIL() << "prepare should throw";
    } catch (const LedgerError& e) {
        EXPECT_EQ(e.code(), "storage_error");
        EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
    }
    EXPECT_THROW(Db("/nonexistent-dir/x.sqlite", Db::Mode::ReadWrite), LedgerError);
}

TEST(LedgerMigrations, VersionsAreContiguousFromOne) {
    const auto& all = detail::migrations();
    ASSERT_GE(all.size(), 2u);
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
        EXPECT_FALSE(all[i].sql.empty());
    }
    EXPECT_EQ(detail::latest_schema_version(), static_cast<int>(all.size()));
}

TEST(LedgerMigrations, EmptyFileReachesTheLatestVersion) {
    TempDb file;
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock);
    EXPECT_EQ(ledger->schema_version(), detail::latest_schema_version());
    ledger.reset();
    Db db(file.path(), Db::Mode::ReadWrite);
    EXPECT_EQ(detail::schema_version(db), detail::latest_schema_version());
    EXPECT_EQ(db.scalar_text("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(db.scalar_text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(db.scalar_int("SELECT COUNT(*) FROM pragma_foreign_key_check"), 0);
}

// From every earlier version: build the file at version v with data, then open it with the Ledger.
TEST(LedgerMigrations, EveryEarlierVersionUpgradesWithItsData) {
    for (const auto& m : detail::migrations()) {
        const int v = m.version;
        if (v == detail::latest_schema_version()) break;
        SCOPED_TRACE("from version " + std::to_string(v));
        TempDb file("-v" + std::to_string(v));
        {
            Db db(file.path(), Db::Mode::ReadWriteCreate);
            EXPECT_EQ(detail::migrate(db, v), v);
            EXPECT_EQ(detail::schema_version(db), v);
            // Data every version ≥ 1 has: an entity, a register, a customer, an open order.
            db.exec(
                "INSERT INTO legal_entities (inn, name) VALUES ('7700000000', 'OOO Romashka');"
                "INSERT INTO registers (id, entity_inn) VALUES ('kkt1', '7700000000');"
                "INSERT INTO customers (id) VALUES ('C1');"
                "INSERT INTO orders (id, customer, updated_ms) VALUES ('123', 'C1', 0);"
                "INSERT INTO order_lines VALUES ('123', 0, 'A', 'Товар А', 2000000, 0, 150000, 0, 1);"
                // A confirmed advance of 5.00 ₽ on kkt1: from version 5 it is held by kkt1's entity.
                "INSERT INTO receipts (id, state, register_id, sign, customer, total, plan_json, created_ms, "
                "updated_ms) VALUES (1, 'confirmed', 'kkt1', 1, 'C1', 500, '{}', 0, 0);");
            // From version 5 on, a journal entry names its entity itself (005 fills it only for older rows).
            db.exec(v >= 5
                        ? "INSERT INTO journal (receipt_id, account, owner, customer, delta, created_ms, entity_inn) "
                          "VALUES (1, 'customer_advance', 'C1', 'C1', 500, 0, '7700000000');"
                        : "INSERT INTO journal (receipt_id, account, owner, customer, delta, created_ms) VALUES "
                          "(1, 'customer_advance', 'C1', 'C1', 500, 0);");
        }
        ManualClock clock;
        auto ledger = Ledger::open(file.path(), clock);
        EXPECT_EQ(ledger->schema_version(), detail::latest_schema_version());
        const auto facts = ledger->order_facts("123");
        EXPECT_EQ(facts.order.customer, "C1");
        ASSERT_EQ(facts.order.lines.size(), 1u);
        EXPECT_EQ(facts.order.lines[0].price, fiscal::Kopecks{150000});
        EXPECT_EQ(ledger->registers().size(), 1u);
        EXPECT_EQ(ledger->customer_facts("C1", "7700000000").advance_balance, fiscal::Kopecks{500});
        EXPECT_EQ(ledger->customer_facts("C1", "7711111111").advance_balance, fiscal::Kopecks{0});
        // The newer tables work on the upgraded file.
        ledger->audit(AuditRecord{0, {}, "admin", "upgrade-test", "", "127.0.0.1", ""});
        EXPECT_EQ(ledger->audit_log().size(), 1u);
        // Issued tokens (007) on a file from any earlier version.
        const auto token = ledger->create_token(
            TokenRecord{.sha256 = std::string(64, '0'), .name = "c", .role = "courier", .created_by = "admin"},
            AuditRecord{0, {}, "admin", "token.create", "", "127.0.0.1", ""});
        EXPECT_EQ(ledger->tokens().size(), 1u);
        EXPECT_TRUE(ledger->revoke_token(token.id, AuditRecord{0, {}, "admin", "token.revoke", "", "", ""}));
    }
}

// 008 keeps each receipt's cash (1031) in a column: receipts from before it get theirs from the plan,
// so a courier's cash counts what was taken before the upgrade too.
TEST(LedgerMigrations, CashOfOlderReceiptsIsFilledIn) {
    TempDb file("-cash");
    {
        Db db(file.path(), Db::Mode::ReadWriteCreate);
        EXPECT_EQ(detail::migrate(db, 6), 6);
        db.exec(
            "INSERT INTO legal_entities (inn) VALUES ('7700000000');"
            "INSERT INTO registers (id, entity_inn) VALUES ('kkt1', '7700000000');"
            "INSERT INTO receipts (id, state, register_id, sign, customer, total, plan_json, created_ms, updated_ms, "
            "created_by) VALUES (1, 'confirmed', 'kkt1', 1, 'C1', 70000, "
            "'{\"format\":1,\"receipt\":{\"cash\":70000}}', "
            "0, 0, 'courier-1'), (2, 'confirmed', 'kkt1', 2, 'C1', 500, 'not json', 0, 0, 'courier-1');");
    }
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock);
    const auto cash = ledger->courier_cash("courier-1");
    ASSERT_EQ(cash.size(), 1u);
    EXPECT_EQ(cash[0].taken, fiscal::Kopecks{70000});
    EXPECT_EQ(cash[0].refunded, fiscal::Kopecks{0});  // a plan that is not JSON counts no cash
    EXPECT_TRUE(ledger->handovers(false).empty());
}

TEST(LedgerMigrations, MigratingTwiceChangesNothing) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    EXPECT_EQ(detail::migrate(db), detail::latest_schema_version());
    EXPECT_EQ(detail::migrate(db), detail::latest_schema_version());
}

TEST(LedgerMigrations, NewerFileIsRefused) {
    TempDb file;
    {
        Db db(file.path(), Db::Mode::ReadWriteCreate);
        db.exec("PRAGMA user_version = " + std::to_string(detail::latest_schema_version() + 1));
    }
    ManualClock clock;
    try {
        Ledger::open(file.path(), clock);
        FAIL() << "open should refuse a newer schema";
    } catch (const LedgerError& e) {
        EXPECT_EQ(e.code(), "schema_too_new");
    }
}

}  // namespace
}  // namespace kassa::ledger
