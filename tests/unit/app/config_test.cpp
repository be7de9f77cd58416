#include "app/config.hpp"

#include <gtest/gtest.h>

namespace kassa::app {
namespace {

TEST(Config, EmbeddedDefaultListensOnLoopbackWithOneSimulatedRegister) {
    const Config c = default_config();
    EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
    EXPECT_EQ(c.ledger.data_dir, "./var");
    EXPECT_EQ(c.ledger.checkpoint_writeback_pages_per_second, 4000);
    ASSERT_EQ(c.registers.size(), 1u);
    // Its simulated OFD acknowledges each document 2 s after it was formed, as a connected register's.
    EXPECT_EQ(c.registers[0].uri, "sim://embedded?ofd_ack_ms=2000");
    EXPECT_TRUE(validate(c));
}

TEST(Config, EmptyFileGivesTheDefaults) {
    auto c = parse_config("", "empty.toml");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
    EXPECT_EQ(c->server.web_root, "");  // kassad then serves the pages this build made
    EXPECT_EQ(c->registers, default_config().registers);
}

TEST(Config, ReadsEveryKey) {
    auto c = parse_config(R"(
[server]
listen = "127.0.0.1:9090"
body_limit_bytes = 2048
inflight_body_limit_bytes = 4096
header_limit_bytes = 4096
read_timeout_seconds = 5
io_threads = 3
handler_threads = 4
web_root = "/usr/share/kassa/web"

[ledger]
data_dir = "/tmp/kassa-data"
checkpoint_writeback_pages_per_second = 0

[log]
level = "debug"

[[entities]]
inn = "7701234567"
name = "ООО Ромашка"
tax_system = "usn_income"
cashier = "Иванов И.И."

[planner]
default_excess = "advance"
one_receipt_per_payment = false
refused_prepayment = "advance"
late_settlement = "list_for_office"
late_settlement_tolerance_seconds = 600
credit_at_door = "never"

[[registers]]
id = "office-1"
family = "shtrih"
uri = "serial:///dev/ttyACM0?baud=115200"
entity_inn = "7701234567"
failover_after_seconds = 5

[[registers]]
id = "office-2"
uri = "tcp://127.0.0.1:7778"
entity_inn = "7701234567"
)",
                          "full.toml");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->server.listen, "127.0.0.1:9090");
    EXPECT_EQ(c->server.body_limit_bytes, 2048u);
    EXPECT_EQ(c->server.inflight_body_limit_bytes, 4096u);
    EXPECT_EQ(c->server.header_limit_bytes, 4096u);
    EXPECT_EQ(c->server.read_timeout, std::chrono::seconds(5));
    EXPECT_EQ(c->server.io_threads, 3);
    EXPECT_EQ(c->server.handler_threads, 4);
    EXPECT_EQ(c->server.web_root, "/usr/share/kassa/web");
    EXPECT_EQ(c->ledger.data_dir, "/tmp/kassa-data");
    EXPECT_EQ(c->ledger.checkpoint_writeback_pages_per_second, 0);  // 4 000 unless set
    EXPECT_EQ(c->log.level, "debug");
    ASSERT_EQ(c->registers.size(), 2u);
    EXPECT_EQ(c->registers[0].id, "office-1");
    EXPECT_EQ(c->registers[0].entity_inn, "7701234567");
    EXPECT_EQ(c->registers[1].family, "shtrih");
    ASSERT_EQ(c->entities.size(), 1u);
    EXPECT_EQ(c->entities[0].tax_system, "usn_income");
    EXPECT_EQ(c->entities[0].cashier, "Иванов И.И.");
    EXPECT_EQ(c->planner.default_excess, "advance");
    EXPECT_EQ(c->planner.refused_prepayment, "advance");
    EXPECT_EQ(c->planner.late_settlement, "list_for_office");
    EXPECT_EQ(c->planner.late_settlement_tolerance_seconds, 600);
    EXPECT_EQ(c->planner.credit_at_door, "never");
    EXPECT_EQ((std::pair{c->registers[0].failover_after_seconds, c->registers[1].failover_after_seconds}),
              (std::pair{std::int64_t{5}, std::int64_t{30}}));
    EXPECT_FALSE(c->planner.one_receipt_per_payment);
    EXPECT_TRUE(c->planner.itemize_full_prepayment);
}

TEST(Config, EntityAndPlannerRules) {
    EXPECT_EQ(parse_config("[[entities]]\ninn = \"123\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[[entities]]\ninn = \"7701234567\"\ntax_system = \"flat\"\n", "t").error().code,
              "config_invalid");
    EXPECT_EQ(parse_config("[planner]\ndefault_excess = \"keep\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[planner]\nrefused_prepayment = \"keep\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[planner]\nlate_settlement = \"later\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[planner]\ncredit_at_door = \"sometimes\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[planner]\none_receipt_per_payment = \"yes\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[planner]\nsplit = true\n", "t").error().code, "config_unknown_key");
    // A register must name a configured entity.
    EXPECT_EQ(
        parse_config("[[registers]]\nid = \"a\"\nuri = \"tcp://h:1\"\nentity_inn = \"7700000000\"\n", "t").error().code,
        "config_invalid");
}

TEST(Config, SimulatedOfdDelayIsWholeMillisecondsUpToADay) {
    const auto with = [](std::string query) {
        return parse_config("[[entities]]\ninn = \"7701234567\"\n[[registers]]\nid = \"s\"\nuri = \"sim://embedded?" +
                                query + "\"\nentity_inn = \"7701234567\"\n",
                            "t");
    };
    EXPECT_TRUE(with("ofd_ack_ms=0"));
    EXPECT_TRUE(with("ofd_ack_ms=86400000"));
    for (const char* bad : {"ofd_ack_ms=soon", "ofd_ack_ms=-1", "ofd_ack_ms=86400001", "ofd_ack_ms=1.5"}) {
        auto c = with(bad);
        ASSERT_FALSE(c) << bad;
        EXPECT_EQ(c.error().code, "config_invalid") << bad;
        EXPECT_NE(c.error().message.find("ofd_ack_ms"), std::string::npos) << c.error().message;
    }
}

TEST(Config, UnknownTopLevelKeyIsNamedWithItsLine) {
    auto c = parse_config("[log]\nlevel = \"info\"\n\n[colour]\nx = 1\n", "kassa.toml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, "config_unknown_key");
    EXPECT_NE(c.error().message.find("'colour'"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("kassa.toml:4"), std::string::npos) << c.error().message;
}

TEST(Config, UnknownNestedKeyIsNamedWithItsTableAndLine) {
    auto c = parse_config("[server]\nlisten = \"127.0.0.1:1\"\nlisen = \"x\"\n", "kassa.toml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, "config_unknown_key");
    EXPECT_NE(c.error().message.find("'server.lisen'"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("kassa.toml:3"), std::string::npos) << c.error().message;
}

TEST(Config, UnknownKeyInARegisterIsAnError) {
    auto c = parse_config("[[registers]]\nid = \"a\"\nuri = \"tcp://127.0.0.1:1\"\nbaud = 9600\n", "r.toml");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().message.find("'registers.baud'"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("r.toml:4"), std::string::npos) << c.error().message;
}

TEST(Config, WrongTypesAndRangesAreErrors) {
    EXPECT_EQ(parse_config("[server]\nio_threads = \"two\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[server]\nio_threads = 0\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("server = 1\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[log]\nlevel = \"loud\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[server]\nlisten = \"nowhere\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[ledger]\ncheckpoint_writeback_pages_per_second = -1\n", "t").error().code,
              "config_invalid");
}

TEST(Config, RegisterRules) {
    EXPECT_EQ(parse_config("[[registers]]\nid = \"a\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(parse_config("[[registers]]\nid = \"a\"\nuri = \"tcp://h:1\"\nentity_inn = "
                           "\"7701234567\"\n[[registers]]\nid = \"a\"\nuri = "
                           "\"tcp://h:2\"\nentity_inn = \"7701234567\"\n",
                           "t")
                  .error()
                  .code,
              "config_invalid");
    EXPECT_EQ(
        parse_config("[[registers]]\nid = \"a\"\nuri = \"ftp://h:1\"\nentity_inn = \"7701234567\"\n", "t").error().code,
        "config_invalid");
    EXPECT_EQ(
        parse_config(
            "[[registers]]\nid = \"a\"\nfamily = \"epson\"\nuri = \"tcp://h:1\"\nentity_inn = \"7701234567\"\n", "t")
            .error()
            .code,
        "config_invalid");
}

TEST(Config, ModelsResolveDeviceProfilesAndFamiliesComeFromTheRegistry) {
    auto reg = [](const std::string& body) {
        return parse_config("[[registers]]\nid = \"a\"\nentity_inn = \"7701234567\"\n" + body, "t");
    };
    auto c = reg("uri = \"serial:///dev/ttyACM0\"\nmodel = \"shtrih-cash-core\"\n");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->registers[0].model, "shtrih-cash-core");
    auto uri = device_uri_of(c->registers[0]);
    ASSERT_TRUE(uri);
    EXPECT_EQ(*uri, "serial:///dev/ttyACM0?baud=115200&tlv_first=1");
    EXPECT_EQ(reg("uri = \"tcp://h:1\"\nmodel = \"no-such-model\"\n").error().code, "config_invalid");
    EXPECT_EQ(reg("uri = \"tcp://h:1?tlv_frist=1\"\n").error().code, "config_invalid") << "unknown driver option";
    EXPECT_TRUE(reg("uri = \"sim://shtrih\"\n"));
    EXPECT_TRUE(reg("uri = \"sim://embedded\"\nmodel = \"shtrih-m-fn\"\n"));
    EXPECT_EQ(reg("uri = \"sim://atol\"\n").error().code, "config_invalid") << "sim:// of another family";
}

TEST(Config, TokensWithRolesAndBindings) {
    auto c = parse_config(R"(
[[registers]]
id = "r1"
uri = "tcp://127.0.0.1:1"
entity_inn = "7701234567"

[[tokens]]
name = "courier-petrov"
role = "courier"
sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
registers = ["r1"]
entities = ["7701234567"]
)",
                          "t.toml");
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->tokens.size(), 1u);
    EXPECT_EQ(c->tokens[0].role, "courier");
    EXPECT_EQ(c->tokens[0].registers, std::vector<std::string>{"r1"});
    EXPECT_EQ(c->tokens[0].entities, std::vector<std::string>{"7701234567"});
}

TEST(Config, ShiftRotationTime) {
    EXPECT_EQ(parse_time_of_day("04:30"), 270);
    EXPECT_EQ(parse_time_of_day("00:00"), 0);
    EXPECT_FALSE(parse_time_of_day("24:00"));
    EXPECT_FALSE(parse_time_of_day("4:30"));
    EXPECT_FALSE(parse_time_of_day("04-30"));
    auto c = parse_config(
        "[[registers]]\nid = \"a\"\nuri = \"tcp://h:1\"\nentity_inn = \"7701234567\"\n"
        "shift_rotate_at = \"03:15\"\n",
        "t");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->registers[0].shift_rotate_at, "03:15");
    EXPECT_EQ(parse_config("[[registers]]\nid = \"a\"\nuri = \"tcp://h:1\"\nentity_inn = \"7701234567\"\n"
                           "shift_rotate_at = \"late\"\n",
                           "t")
                  .error()
                  .code,
              "config_invalid");
}

TEST(Config, TokenRules) {
    const std::string hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    EXPECT_EQ(parse_config("[[tokens]]\nname = \"a\"\nrole = \"root\"\nsha256 = \"" + hash + "\"\n", "t").error().code,
              "config_invalid");
    EXPECT_EQ(parse_config("[[tokens]]\nname = \"a\"\nrole = \"admin\"\n", "t").error().code, "config_invalid");
    EXPECT_EQ(
        parse_config("[[tokens]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"" + hash + "\"\nregisters = [\"nope\"]\n",
                     "t")
            .error()
            .code,
        "config_invalid");
    EXPECT_EQ(
        parse_config("[[tokens]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"" + hash + "\"\ntoken = \"x\"\n", "t")
            .error()
            .code,
        "config_unknown_key");
}

TEST(Config, SyntaxErrorNamesTheLine) {
    auto c = parse_config("[server]\nlisten = \n", "bad.toml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, "config_syntax");
    EXPECT_NE(c.error().message.find("bad.toml:2"), std::string::npos) << c.error().message;
}

TEST(Config, MissingFileIsAClearError) {
    auto c = load_config_file("/nonexistent/kassa.toml");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, "config_unreadable");
}

}  // namespace
}  // namespace kassa::app
