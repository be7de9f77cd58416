// The single writer with group commit: concurrent producers, one transaction per batch, and a
// failing operation that rolls back only itself.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ledger/detail/write_queue.hpp"
#include "ledger/ledger.hpp"
#include "temp_file.hpp"

namespace kassa::ledger {
namespace {

using namespace kassa::fiscal;
using detail::Db;
using testing::TempDb;

TEST(LedgerGroupCommit, FailingOpRollsBackOnlyItself) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER NOT NULL UNIQUE)");
    std::vector<std::future<void>> results;
    {
        detail::WriteQueue queue(db, 64);
        for (int i = 0; i < 200; ++i) {
            results.push_back(queue.run([i](Db& d) {
                d.exec("INSERT INTO t VALUES (" + std::to_string(i) + ")");
                // Every tenth op writes, then fails: its own insert must vanish, no one else's.
                if (i % 10 == 0) d.exec("INSERT INTO t VALUES (NULL)");
            }));
        }
    }  // the destructor drains the queue
    int failed = 0;
    for (auto& f : results) {
        try {
            f.get();
        } catch (const LedgerError& e) {
            EXPECT_EQ(e.code(), "storage_error");
            ++failed;
        }
    }
    EXPECT_EQ(failed, 20);
    EXPECT_EQ(db.scalar_int("SELECT COUNT(*) FROM t"), 180);
    EXPECT_EQ(db.scalar_int("SELECT COUNT(*) FROM t WHERE x % 10 = 0"), 0);
}

// The writer's latency histograms (/metrics): every committed op is timed to durability, every
// committed batch once, and the batch sizes add up to the ops in committed batches.
TEST(LedgerGroupCommit, TimesCommittedOpsAndBatches) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER NOT NULL UNIQUE)");
    detail::WriteQueue queue(db, 64);
    std::vector<std::future<void>> results;
    for (int i = 0; i < 50; ++i)
        results.push_back(queue.run([i](Db& d) {
            d.exec("INSERT INTO t VALUES (" + std::to_string(i % 45) + ")");  // five fail (duplicates)
        }));
    int failed = 0;
    for (auto& f : results) {
        try {
            f.get();
        } catch (const LedgerError&) {
            ++failed;
        }
    }
    EXPECT_EQ(failed, 5);
    const auto s = queue.stats();
    EXPECT_EQ(s.ops, 50u);
    EXPECT_EQ(s.durable.count, 45u);  // the failed ones never became durable
    EXPECT_EQ(s.transaction.count, s.batches);
    EXPECT_EQ(s.batch_size.count, s.batches);
    EXPECT_EQ(static_cast<std::uint64_t>(s.batch_size.sum), 50u);
    EXPECT_GT(s.durable.sum, 0.0);
    EXPECT_GT(s.transaction.sum, 0.0);
    // Cumulative buckets: never decreasing, never above the count.
    for (std::size_t i = 1; i < s.durable.buckets.size(); ++i)
        EXPECT_LE(s.durable.buckets[i - 1], s.durable.buckets[i]);
    EXPECT_LE(s.durable.buckets.back(), s.durable.count);
    EXPECT_EQ(s.batch_size.buckets.back(), s.batches);  // no batch above 256 ops (the limit is 64)
}

TEST(LedgerGroupCommit, ReturnsValuesAfterCommit) {
    TempDb file;
    Db db(file.path(), Db::Mode::ReadWriteCreate);
    db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER)");
    detail::WriteQueue queue(db, 8);
    auto f = queue.run([](Db& d) {
        d.exec("INSERT INTO t VALUES (42)");
        return d.last_insert_rowid();
    });
    EXPECT_EQ(f.get(), 1);
    // Committed: a second connection sees it.
    Db other(file.path(), Db::Mode::ReadWrite);
    EXPECT_EQ(other.scalar_int("SELECT x FROM t"), 42);
}

// 16 producers each store, send and confirm receipts; every balance entry lands exactly once and
// the writer needed fewer transactions than operations.
TEST(LedgerGroupCommit, ConcurrentProducersConfirmEverything) {
    TempDb file;
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock);
    ledger->upsert_entity({"7700000000", "OOO"});
    ledger->upsert_register({"kkt1", "7700000000", "", true});
    constexpr int kProducers = 16;
    constexpr int kReceipts = 40;
    std::vector<std::thread> producers;
    std::atomic<int> errors{0};
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            const std::string customer = "C" + std::to_string(p);
            for (int i = 0; i < kReceipts; ++i) {
                try {
                    PlannedReceipt r;
                    r.customer = customer;
                    r.receipt.total = Kopecks{i + 1};
                    r.balance_moves = {{Account::CustomerAdvance, customer, Kopecks{i + 1}}};
                    const std::string key = customer + "/" + std::to_string(i);
                    const auto id = ledger->store_plan({key, key, "kkt1", Plan{{r}}, std::nullopt}).receipts.at(0);
                    ledger->mark_sending(id);
                    ledger->mark_confirmed(id, FiscalResult{static_cast<std::uint64_t>(id), 1, "fn", 1, 1, {}, ""});
                } catch (const std::exception&) {
                    ++errors;
                }
            }
        });
    }
    for (auto& t : producers) t.join();
    EXPECT_EQ(errors, 0);
    for (int p = 0; p < kProducers; ++p) {
        EXPECT_EQ(ledger->customer_facts("C" + std::to_string(p)).advance_balance,
                  Kopecks{kReceipts * (kReceipts + 1) / 2});
    }
    EXPECT_EQ(ledger->receipts({.state = ReceiptState::Confirmed, .limit = 10000}).size(),
              static_cast<std::size_t>(kProducers * kReceipts));
    const auto stats = ledger->writer_stats();
    EXPECT_GE(stats.ops, static_cast<std::uint64_t>(kProducers * kReceipts * 3));
    EXPECT_LT(stats.batches, stats.ops) << "no two writes shared a commit";
    EXPECT_GT(stats.largest_batch, 1u);
}

// WAL: a reader holding a snapshot open does not hold up the writer, and keeps its snapshot.
TEST(LedgerGroupCommit, ReadersNeverBlockTheWriter) {
    TempDb file;
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock, LedgerOptions{.busy_timeout_ms = 100});
    ledger->upsert_entity({"7700000000", "OOO"});
    ledger->upsert_register({"kkt1", "7700000000", "", true});
    Db reader(file.path(), Db::Mode::ReadWrite);
    detail::Transaction snapshot(reader, detail::Transaction::Kind::Deferred);
    EXPECT_EQ(reader.scalar_int("SELECT COUNT(*) FROM receipts"), 0);
    for (int i = 0; i < 20; ++i) {
        PlannedReceipt r;
        r.customer = "C1";
        r.balance_moves = {{Account::CustomerAdvance, "C1", Kopecks{1}}};
        const auto id = ledger->store_plan({std::to_string(i), "h", "kkt1", Plan{{r}}, std::nullopt}).receipts[0];
        ledger->mark_sending(id);
        ledger->mark_confirmed(id, FiscalResult{static_cast<std::uint64_t>(id), 1, "fn", 1, 1, {}, ""});
    }
    EXPECT_EQ(reader.scalar_int("SELECT COUNT(*) FROM receipts"), 0);  // still its own snapshot
    EXPECT_EQ(ledger->customer_facts("C1").advance_balance, Kopecks{20});
}

}  // namespace
}  // namespace kassa::ledger
