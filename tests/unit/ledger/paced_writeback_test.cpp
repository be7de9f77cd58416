// The checkpoint's paced writeback (issue 10): a connection opened through PacedWriteback's VFS
// works as any other (the same file, its locks and WAL index shared with the default VFS's
// connections), and its writes to the main database file are counted and spread at the pace asked.
#include "ledger/detail/paced_writeback.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "ledger/detail/sqlite.hpp"
#include "temp_file.hpp"

namespace kassa::ledger {
namespace {

using detail::Db;
using detail::PacedWriteback;
using detail::Stmt;
using detail::Transaction;
using testing::TempDb;
using namespace std::chrono_literals;

// A descriptor of the file, closed after every connection (closing one drops the process's locks).
struct Fd {
    explicit Fd(const std::string& path) : fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {}
    ~Fd() { ::close(fd); }
    int fd;
};

// `rows` rows of about a page each, in one transaction.
void insert_pages(Db& db, int from, int rows) {
    const std::string pad(3500, 'p');
    Transaction tx(db);
    for (int i = from; i < from + rows; ++i) {
        Stmt s(db, "INSERT INTO t (id, pad) VALUES (?, ?)");
        s.bind(1, std::int64_t{i}).bind(2, pad).run();
    }
    tx.commit();
}

TEST(PacedWriteback, SpreadsTheMainFilesWritesAtThePaceAsked) {
    TempDb file;
    Fd fd(file.path());
    PacedWriteback pacer(fd.fd);
    {
        // A rollback journal: the commit writes the main database file itself.
        Db db(file.path(), Db::Mode::ReadWriteCreate, 5000, pacer.vfs_name());
        ASSERT_EQ(db.scalar_text("PRAGMA journal_mode = DELETE"), "delete");
        db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)");
        pacer.end();
        const auto spacing = 3ms;  // per chunk of kChunkPages
        const auto t0 = PacedWriteback::Clock::now();
        pacer.begin(spacing, t0 + 1h);
        insert_pages(db, 0, 64);
        const auto took = PacedWriteback::Clock::now() - t0;
        const auto pages = pacer.end();
        EXPECT_GE(pages, 64);
        // Each full chunk waited for its turn: never faster than the pace.
        EXPECT_GE(took, spacing * (pages / PacedWriteback::kChunkPages));
        EXPECT_EQ(pacer.end(), 0);  // counted once
    }
    Db again(file.path(), Db::Mode::ReadWrite);
    EXPECT_EQ(again.scalar_int("SELECT COUNT(*) FROM t"), 64);
    EXPECT_EQ(again.scalar_text("PRAGMA integrity_check"), "ok");
}

TEST(PacedWriteback, NeverPacesPastItsDeadlineNorOnceHurried) {
    TempDb file;
    Fd fd(file.path());
    PacedWriteback pacer(fd.fd);
    Db db(file.path(), Db::Mode::ReadWriteCreate, 5000, pacer.vfs_name());
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)");
    // At this pace 64 pages would take 80 s; the deadline (now) lets them go at once.
    pacer.begin(10s, PacedWriteback::Clock::now());
    auto t0 = PacedWriteback::Clock::now();
    insert_pages(db, 0, 64);
    EXPECT_LT(PacedWriteback::Clock::now() - t0, 10s);
    EXPECT_GE(pacer.end(), 64);
    // Hurried (a stop): every later pass goes unpaced whatever its deadline.
    pacer.hurry();
    pacer.begin(10s, PacedWriteback::Clock::now() + 1h);
    t0 = PacedWriteback::Clock::now();
    insert_pages(db, 64, 64);
    EXPECT_LT(PacedWriteback::Clock::now() - t0, 10s);
    EXPECT_GE(pacer.end(), 64);
}

TEST(PacedWriteback, SharesTheWalWithTheDefaultVfsAndCheckpointsThroughIt) {
    TempDb file;
    Fd fd(file.path());
    PacedWriteback pacer(fd.fd);
    {
        Db writer(file.path(), Db::Mode::ReadWriteCreate);
        ASSERT_EQ(writer.scalar_text("PRAGMA journal_mode = WAL"), "wal");
        writer.exec("PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)");
        Db paced(file.path(), Db::Mode::ReadWrite, 5000, pacer.vfs_name());
        insert_pages(writer, 0, 40);
        // The paced connection reads the WAL the default one wrote (one WAL index, one set of locks).
        EXPECT_EQ(paced.scalar_int("SELECT COUNT(*) FROM t"), 40);
        // Its checkpoint copies the frames into the database file through the VFS: counted.
        pacer.end();
        pacer.begin(0ns, PacedWriteback::Clock::now() + 1h);
        int frames = 0;
        int copied = 0;
        ASSERT_EQ(sqlite3_wal_checkpoint_v2(paced.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &frames, &copied),
                  SQLITE_OK);
        EXPECT_GE(pacer.end(), 40);
        // And the default connection goes on writing after it.
        insert_pages(writer, 40, 10);
        EXPECT_EQ(paced.scalar_int("SELECT COUNT(*) FROM t"), 50);
    }
    Db again(file.path(), Db::Mode::ReadWrite);
    EXPECT_EQ(again.scalar_int("SELECT COUNT(*) FROM t"), 50);
    EXPECT_EQ(again.scalar_text("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace kassa::ledger
