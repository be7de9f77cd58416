// WAL checkpoints off the writer thread (issue 10): the writer's commits stay durable and whole,
// and the WAL still starts again from its beginning, so it stays bounded.
#include "ledger/detail/checkpointer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "ledger/detail/sqlite.hpp"
#include "temp_file.hpp"

namespace kassa::ledger {
namespace {

using detail::Checkpointer;
using detail::Db;
using detail::Stmt;
using detail::Transaction;
using testing::TempDb;

constexpr int kCommits = 600;

void commit_rows(Db& db, int from, int to) {
    const std::string pad(3000, 'x');  // about one page per row
    for (int i = from; i < to; ++i) {
        Transaction tx(db);
        Stmt s(db, "INSERT INTO t (id, pad) VALUES (?, ?)");
        s.bind(1, std::int64_t{i}).bind(2, pad).run();
        tx.commit();
    }
}

Db open_wal(const std::string& path) {
    Db db(path, Db::Mode::ReadWriteCreate);
    EXPECT_EQ(db.scalar_text("PRAGMA journal_mode = WAL"), "wal");
    db.exec("PRAGMA synchronous = FULL");
    return db;
}

TEST(LedgerCheckpointer, KeepsTheWalBoundedAndEveryCommit) {
    TempDb file;
    Checkpointer::Options options{
        .threshold_pages = 20, .restart_pages = 60, .writer_finish_pages = 8, .writer_fallback_pages = 200};
    {
        Db writer = open_wal(file.path());
        writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)");
        Checkpointer checkpointer(writer, file.path(), 5000, options);
        commit_rows(writer, 0, kCommits);
        // More than a page per commit: without a checkpoint restarting it, the WAL would hold
        // over kCommits frames. It restarted, so it never grew past the writer's fallback (plus
        // the commits made while the thread held the checkpoint).
        const auto page = writer.scalar_int("PRAGMA page_size");
        const auto wal_bytes = std::filesystem::file_size(file.path() + "-wal");
        EXPECT_LT(wal_bytes, static_cast<std::uintmax_t>((options.writer_fallback_pages + 100) * (page + 24) + 32));
        const auto stats = checkpointer.stats();
        EXPECT_GT(stats.thread_seconds.count + stats.writer_seconds.count, 0U);
        // A reader on a connection of its own sees every commit.
        Db reader(file.path(), Db::Mode::ReadWrite);
        EXPECT_EQ(reader.scalar_int("SELECT COUNT(*) FROM t"), kCommits);
    }
    // Closed and opened again: every commit is there.
    Db again(file.path(), Db::Mode::ReadWrite);
    EXPECT_EQ(again.scalar_int("SELECT COUNT(*) FROM t"), kCommits);
    EXPECT_EQ(again.scalar_int("SELECT MAX(id) FROM t"), kCommits - 1);
}

TEST(LedgerCheckpointer, PacedWritebackKeepsTheWalBoundedAndEveryCommit) {
    TempDb file;
    // As kassad runs it: the thread's copies written back at a pace, through a descriptor of the
    // file that outlives every connection.
    const int fd = ::open(file.path().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    Checkpointer::Options options{.threshold_pages = 20,
                                  .restart_pages = 60,
                                  .writer_finish_pages = 8,
                                  .writer_fallback_pages = 200,
                                  .writeback_pages_per_second = 4000};
    {
        Db writer = open_wal(file.path());
        writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)");
        Checkpointer checkpointer(writer, file.path(), 5000, options, fd);
        commit_rows(writer, 0, kCommits);
        const auto page = writer.scalar_int("PRAGMA page_size");
        const auto wal_bytes = std::filesystem::file_size(file.path() + "-wal");
        EXPECT_LT(wal_bytes, static_cast<std::uintmax_t>((options.writer_fallback_pages + 100) * (page + 24) + 32));
        const auto stats = checkpointer.stats();
        EXPECT_GT(stats.thread_seconds.count, 0U);
        EXPECT_GT(stats.paced_pages, 0);  // the thread's copies went through the paced VFS
        Db reader(file.path(), Db::Mode::ReadWrite);
        EXPECT_EQ(reader.scalar_int("SELECT COUNT(*) FROM t"), kCommits);
    }
    {
        Db again(file.path(), Db::Mode::ReadWrite);
        EXPECT_EQ(again.scalar_int("SELECT COUNT(*) FROM t"), kCommits);
        EXPECT_EQ(again.scalar_text("PRAGMA integrity_check"), "ok");
    }
    ::close(fd);
}

TEST(LedgerCheckpointer, BelowTheThresholdNothingIsCopied) {
    TempDb file;
    Db writer = open_wal(file.path());
    writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)");
    Checkpointer checkpointer(writer, file.path(), 5000,
                              Checkpointer::Options{.threshold_pages = 1000,
                                                    .restart_pages = 4096,
                                                    .writer_finish_pages = 128,
                                                    .writer_fallback_pages = 16000});
    commit_rows(writer, 0, 20);
    const auto stats = checkpointer.stats();
    EXPECT_EQ(stats.thread_seconds.count, 0U);
    EXPECT_EQ(stats.writer_seconds.count, 0U);
    // SQLite's automatic checkpoint is replaced, not kept beside: the WAL holds all 20 commits.
    const auto page = writer.scalar_int("PRAGMA page_size");
    EXPECT_GE(std::filesystem::file_size(file.path() + "-wal"), static_cast<std::uintmax_t>(20 * page));
}

}  // namespace
}  // namespace kassa::ledger
