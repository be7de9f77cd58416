// Issued tokens in the ledger (migration 007): stored by digest with their audit row, listed,
// revoked once and for good.
#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "ledger/detail/sqlite.hpp"
#include "ledger/ledger.hpp"
#include "temp_file.hpp"

namespace kassa::ledger {
namespace {

using namespace std::chrono_literals;
using testing::TempDb;

TokenRecord courier(std::string digest) {
    return TokenRecord{.sha256 = std::move(digest),
                       .name = "Курьер Петров",
                       .role = "courier",
                       .entities = {"7700000000"},
                       .registers = {"kkt1", "kkt2"},
                       .created_by = "admin"};
}

AuditRecord row(std::string action) {
    return AuditRecord{.actor = "admin (admin)", .action = std::move(action), .address = "127.0.0.1"};
}

TEST(LedgerTokens, CreatedTokenIsListedWithItsBindingsAndAudited) {
    TempDb file;
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock);
    const auto made = ledger->create_token(courier(std::string(64, 'a')), row("token.create"));
    EXPECT_GT(made.id, 0);
    EXPECT_FALSE(made.revoked);

    const auto all = ledger->tokens();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].id, made.id);
    EXPECT_EQ(all[0].sha256, std::string(64, 'a'));
    EXPECT_EQ(all[0].name, "Курьер Петров");
    EXPECT_EQ(all[0].role, "courier");
    EXPECT_EQ(all[0].entities, std::vector<std::string>{"7700000000"});
    EXPECT_EQ(all[0].registers, (std::vector<std::string>{"kkt1", "kkt2"}));
    EXPECT_EQ(all[0].created_by, "admin");

    const auto audit = ledger->audit_log();
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].action, "token.create");
    EXPECT_EQ(audit[0].subject, "token " + std::to_string(made.id));
}

TEST(LedgerTokens, RevocationIsRecordedOnceAndIsFinal) {
    TempDb file;
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock);
    const auto made = ledger->create_token(courier(std::string(64, 'b')), row("token.create"));
    clock.advance(5s);
    const auto revoked = ledger->revoke_token(made.id, row("token.revoke"));
    ASSERT_TRUE(revoked);
    ASSERT_TRUE(revoked->revoked);
    EXPECT_EQ(*revoked->revoked, clock.now());
    // Again: the same record, no second audit row, the first time kept.
    clock.advance(5s);
    const auto again = ledger->revoke_token(made.id, row("token.revoke"));
    ASSERT_TRUE(again && again->revoked);
    EXPECT_EQ(*again->revoked, *revoked->revoked);
    EXPECT_EQ(ledger->audit_log().size(), 2u);
    EXPECT_FALSE(ledger->revoke_token(made.id + 100, row("token.revoke")));
    EXPECT_EQ(ledger->token(made.id)->revoked, revoked->revoked);
}

TEST(LedgerTokens, RefusesMalformedAndDuplicateTokensWithoutWritingAnything) {
    TempDb file;
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock);
    ledger->create_token(courier(std::string(64, 'c')), row("token.create"));
    for (auto bad : {courier(std::string(64, 'c')), courier("short")}) {
        try {
            ledger->create_token(bad, row("token.create"));
            FAIL() << "stored a bad token";
        } catch (const LedgerError& e) {
            EXPECT_EQ(e.code(), errc::kInvalidArgument);
        }
    }
    auto spaced = courier(std::string(64, 'd'));
    spaced.registers = {"kkt 1"};
    EXPECT_THROW(ledger->create_token(spaced, row("token.create")), LedgerError);
    EXPECT_EQ(ledger->tokens().size(), 1u);
    EXPECT_EQ(ledger->audit_log().size(), 1u);
}

// The SQL guards hold for any writer, not only through the Ledger.
TEST(LedgerTokens, SchemaRefusesUnknownRolesAndUnrevoking) {
    TempDb file;
    ManualClock clock;
    auto ledger = Ledger::open(file.path(), clock);
    const auto made = ledger->create_token(courier(std::string(64, 'e')), row("token.create"));
    ledger->revoke_token(made.id, row("token.revoke"));
    ledger.reset();
    detail::Db db(file.path(), detail::Db::Mode::ReadWrite);
    EXPECT_THROW(db.exec("UPDATE tokens SET revoked_ms = NULL"), LedgerError);
    EXPECT_THROW(db.exec("INSERT INTO tokens (sha256, name, role, created_ms, created_by) VALUES ('" +
                         std::string(64, 'f') + "', 'x', 'root', 0, 'admin')"),
                 LedgerError);
}

}  // namespace
}  // namespace kassa::ledger
