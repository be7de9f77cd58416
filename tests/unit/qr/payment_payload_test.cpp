#include "qr/payment_payload.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace kassa::qr {
namespace {

using fiscal::Kopecks;

// ---------------------------------------------------------------------------------------------
// Worked examples (GOST R 56042-2014 as summarised in spec/fiscal-rules.md §5.2). The bank
// requisites are real banks' BICs and correspondent accounts; payees are made up, with account
// keys and INN check digits worked here by hand.
//
// Account key (Bank of Russia, 08.09.1997 № 515): 3-digit conditional number + 20-digit account
// with its key digit (the 9th) set to 0; weights 7 1 3 repeated over the 23 digits; add the last
// digits of the products; key = last digit of (last digit of the sum × 3).
// ---------------------------------------------------------------------------------------------

// Example 1: organisation, UTF-8 ("ST00012").
//  BIC 044525225 (ПАО Сбербанк), CorrespAcc 30101810400000000225.
//   CorrespAcc key: conditional number "0" + BIC digits 5..6 = 025;
//     0 2 5 3 0 1 0 1 8 1 0 0 0 0 0 0 0 0 0 0 2 2 5  × 7 1 3 7 1 3 …
//     last digits 0 2 5 1 0 3 0 1 4 7 0 0 0 0 0 0 0 0 0 0 6 4 5, sum 38 → 8 × 3 = 24 → key 4 ✓.
//   PersonalAcc 40702810K00000012345: conditional number = BIC digits 7..9 = 225;
//     2 2 5 4 0 7 0 2 8 1 0 0 0 0 0 0 0 0 1 2 3 4 5  × 7 1 3 7 1 3 …
//     products 14 2 15 28 0 21 0 2 24 7 0 … 0 7 2 9 28 5, last digits sum 64 → 4 × 3 = 12 → K = 2.
//  INN 770123456K: 7·2 + 7·4 + 0·10 + 1·3 + 2·5 + 3·9 + 4·4 + 5·6 + 6·8 = 176; 176 mod 11 = 0 → K = 0.
//  Sum 7 000.00 ₽ → "700000" kopecks.
BankRequisites example1() {
    return {.name = "ООО «Ромашка»",
            .personal_acc = "40702810200000012345",
            .bank_name = "ПАО СБЕРБАНК",
            .bic = "044525225",
            .corresp_acc = "30101810400000000225",
            .payee_inn = "7701234560",
            .kpp = "770101001"};
}

TEST(GostPayload, Example1OrganisationUtf8) {
    auto payload = build_gost_payload({.payee = example1(),
                                       .sum = Kopecks{700000},
                                       .purpose = "Оплата заказа №123, в т.ч. НДС 22% 1262.30",
                                       .charset = GostCharset::kUtf8});
    ASSERT_TRUE(payload) << payload.error().message;
    const std::string expected =
        "ST00012|Name=ООО «Ромашка»|PersonalAcc=40702810200000012345|BankName=ПАО СБЕРБАНК|BIC=044525225|"
        "CorrespAcc=30101810400000000225|PayeeINN=7701234560|KPP=770101001|Sum=700000|"
        "Purpose=Оплата заказа №123, в т.ч. НДС 22% 1262.30";
    EXPECT_EQ(*payload, expected);
}

// Example 2: individual entrepreneur (12-digit INN, no KPP), windows-1251 ("ST00011").
//  BIC 044525187 (Банк ВТБ), CorrespAcc 30101810700000000187:
//   025 + 30101810000000000187 → last digits 0 2 5 1 0 3 0 1 4 7 0 … 0 3 6 7, sum 39 → 9 × 3 = 27 → 7 ✓.
//  PersonalAcc 40802810K00000054321, conditional number 187:
//   last digits 7 8 1 8 0 4 0 2 4 7 0 … 0 5 4 9 4 1, sum 64 → 4 × 3 = 12 → K = 2.
//  INN 5001234567 + two check digits:
//   n11: 5·7 + 0·2 + 0·4 + 1·10 + 2·3 + 3·5 + 4·9 + 5·4 + 6·6 + 7·8 = 214; 214 mod 11 = 5 → 5;
//   n12: 5·3 + 0·7 + 0·2 + 1·4 + 2·10 + 3·3 + 4·5 + 5·9 + 6·4 + 7·6 + 5·8 = 219; 219 mod 11 = 10 → 0.
//   → 500123456750.
//  Sum 1 500.50 ₽ → "150050". Cyrillic in windows-1251: А..я = 0xC0..0xFF in alphabetical order.
TEST(GostPayload, Example2EntrepreneurWindows1251) {
    BankRequisites payee{.name = "ИП Петров",
                         .personal_acc = "40802810200000054321",
                         .bank_name = "Банк ВТБ (ПАО)",
                         .bic = "044525187",
                         .corresp_acc = "30101810700000000187",
                         .payee_inn = "500123456750",
                         .kpp = ""};
    auto payload = build_gost_payload(
        {.payee = payee, .sum = Kopecks{150050}, .purpose = "Заказ 42", .charset = GostCharset::kWindows1251});
    ASSERT_TRUE(payload) << payload.error().message;
    const std::string expected =
        "ST00011|Name="
        "\xC8\xCF \xCF\xE5\xF2\xF0\xEE\xE2"  // ИП Петров
        "|PersonalAcc=40802810200000054321|BankName="
        "\xC1\xE0\xED\xEA \xC2\xD2\xC1 (\xCF\xC0\xCE)"  // Банк ВТБ (ПАО)
        "|BIC=044525187|CorrespAcc=30101810700000000187|PayeeINN=500123456750|Sum=150050|Purpose="
        "\xC7\xE0\xEA\xE0\xE7 42";  // Заказ 42
    EXPECT_EQ(*payload, expected);
}

// Example 3: organisation, KOI8-R ("ST00013").
//  BIC 044525593 (АО «Альфа-Банк»), CorrespAcc 30101810200000000593:
//   025 + 30101810000000000593 → last digits 0 2 5 1 0 3 0 1 4 7 0 … 0 5 3 3, sum 34 → 4 × 3 = 12 → 2 ✓.
//  PersonalAcc 40702810K00001234567, conditional number 593:
//   last digits 5 9 9 8 0 1 0 2 4 7 0 0 0 0 0 0 1 6 1 4 5 2 7, sum 71 → 1 × 3 = 3 → K = 3.
//  INN 540123456K: 5·2 + 4·4 + 0·10 + 1·3 + 2·5 + 3·9 + 4·4 + 5·6 + 6·8 = 160; 160 mod 11 = 6 → K = 6.
//  Sum 0.01 ₽ → "1". KOI8-R (RFC 1489): capitals 0xE0..0xFF, small 0xC0..0xDF, in the order
//  ю а б ц д е ф г х и й к л м н о п я р с т у ж в ь ы з ш э щ ч ъ.
TEST(GostPayload, Example3OrganisationKoi8R) {
    BankRequisites payee{.name = "ООО Лютик",
                         .personal_acc = "40702810300001234567",
                         .bank_name = "АО АЛЬФА-БАНК",
                         .bic = "044525593",
                         .corresp_acc = "30101810200000000593",
                         .payee_inn = "5401234566",
                         .kpp = "540101001"};
    auto payload =
        build_gost_payload({.payee = payee, .sum = Kopecks{1}, .purpose = "Счет 7", .charset = GostCharset::kKoi8R});
    ASSERT_TRUE(payload) << payload.error().message;
    const std::string expected =
        "ST00013|Name="
        "\xEF\xEF\xEF \xEC\xC0\xD4\xC9\xCB"  // ООО Лютик
        "|PersonalAcc=40702810300001234567|BankName="
        "\xE1\xEF \xE1\xEC\xF8\xE6\xE1-\xE2\xE1\xEE\xEB"  // АО АЛЬФА-БАНК
        "|BIC=044525593|CorrespAcc=30101810200000000593|PayeeINN=5401234566|KPP=540101001|Sum=1|Purpose="
        "\xF3\xDE\xC5\xD4 7";  // Счет 7
    EXPECT_EQ(*payload, expected);
}

// The illustrative payload in spec/fiscal-rules.md §5.2 uses made-up requisites that fail the
// checks: PersonalAcc 40702810900000012345 at BIC 044525225 needs key 2, not 9 (example 1), and
// INN 7701234567 needs check digit 0. Kassa refuses to print such a QR code.
TEST(GostPayload, TheSpecIllustrationIsRejected) {
    BankRequisites spec = example1();
    spec.personal_acc = "40702810900000012345";
    EXPECT_EQ(validate_requisites(spec).error().code, "invalid_account");
    spec = example1();
    spec.payee_inn = "7701234567";
    EXPECT_EQ(validate_requisites(spec).error().code, "invalid_inn");
}

// The Bank of Russia's own worked examples (order № 515, appendix): correspondent account
// 30101810800000000746 at the RKC with BIC 049805000 (conditional number 005), and client account
// 40602810700000000025 at the bank with BIC 049805746 (conditional number 746).
TEST(GostPayload, AccountKeyMatchesTheBankOfRussiaExamples) {
    EXPECT_TRUE(account_key_matches("005", "30101810800000000746"));
    EXPECT_TRUE(account_key_matches("746", "40602810700000000025"));
    for (char k = '0'; k <= '9'; ++k) {
        if (k == '8') continue;
        std::string wrong = "30101810800000000746";
        wrong[8] = k;
        EXPECT_FALSE(account_key_matches("005", wrong)) << wrong;
    }
    EXPECT_FALSE(account_key_matches("05", "30101810800000000746"));
    EXPECT_FALSE(account_key_matches("005", "3010181080000000074"));
    EXPECT_FALSE(account_key_matches("005", "3010181080000000074a"));
}

TEST(GostPayload, InnCheckDigits) {
    EXPECT_TRUE(is_valid_inn("7707083893"));  // ПАО Сбербанк
    EXPECT_TRUE(is_valid_inn("7701234560"));
    EXPECT_TRUE(is_valid_inn("500123456750"));
    EXPECT_FALSE(is_valid_inn("7707083894"));
    EXPECT_FALSE(is_valid_inn("500123456751"));
    EXPECT_FALSE(is_valid_inn("500123456760"));
    EXPECT_FALSE(is_valid_inn("77070838"));
    EXPECT_FALSE(is_valid_inn("770708389X"));
    EXPECT_FALSE(is_valid_inn(""));
}

// Every mandatory field, missing or invalid → its error code.
struct Case {
    const char* name;
    std::function<void(GostPaymentOrder&)> mutate;
    const char* code;
    const char* field;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class GostPayloadInvalid : public ::testing::TestWithParam<Case> {};

TEST_P(GostPayloadInvalid, IsRejectedWithItsCode) {
    GostPaymentOrder order{.payee = example1(), .sum = Kopecks{700000}, .purpose = "Оплата заказа №123"};
    GetParam().mutate(order);
    auto payload = build_gost_payload(order);
    ASSERT_FALSE(payload) << *payload;
    EXPECT_EQ(payload.error().code, GetParam().code) << payload.error().message;
    EXPECT_TRUE(payload.error().message.starts_with(std::string(GetParam().field) + ": ")) << payload.error().message;
}

std::string repeat(std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, GostPayloadInvalid,
    ::testing::Values(
        Case{"NameMissing", [](auto& o) { o.payee.name.clear(); }, "missing_field", "Name"},
        Case{"NameTooLong", [](auto& o) { o.payee.name = repeat("Я", 161); }, "field_too_long", "Name"},
        Case{"NamePipe", [](auto& o) { o.payee.name = "ООО Ромашка|Sum=1"; }, "invalid_character", "Name"},
        Case{"NameNewline", [](auto& o) { o.payee.name = "ООО\nРомашка"; }, "invalid_character", "Name"},
        Case{"NameBadUtf8", [](auto& o) { o.payee.name = "\xD0"; }, "invalid_utf8", "Name"},
        Case{"AccountMissing", [](auto& o) { o.payee.personal_acc.clear(); }, "missing_field", "PersonalAcc"},
        Case{"AccountShort", [](auto& o) { o.payee.personal_acc = "4070281020000001234"; }, "invalid_account",
             "PersonalAcc"},
        Case{"AccountLetters", [](auto& o) { o.payee.personal_acc = "4070281020000001234A"; }, "invalid_account",
             "PersonalAcc"},
        Case{"AccountKey", [](auto& o) { o.payee.personal_acc = "40702810300000012345"; }, "invalid_account",
             "PersonalAcc"},
        Case{"AccountOfAnotherBank",
             [](auto& o) {
                 // Valid at BIC …187 (example 2) but not at …225.
                 o.payee.personal_acc = "40802810200000054321";
             },
             "invalid_account", "PersonalAcc"},
        Case{"BankNameMissing", [](auto& o) { o.payee.bank_name.clear(); }, "missing_field", "BankName"},
        Case{"BankNameTooLong", [](auto& o) { o.payee.bank_name = repeat("Б", 46); }, "field_too_long", "BankName"},
        Case{"BicMissing", [](auto& o) { o.payee.bic.clear(); }, "missing_field", "BIC"},
        Case{"BicEightDigits", [](auto& o) { o.payee.bic = "04452522"; }, "invalid_bic", "BIC"},
        Case{"BicTenDigits", [](auto& o) { o.payee.bic = "0445252250"; }, "invalid_bic", "BIC"},
        Case{"BicLetter", [](auto& o) { o.payee.bic = "04452522X"; }, "invalid_bic", "BIC"},
        Case{"CorrespMissing", [](auto& o) { o.payee.corresp_acc.clear(); }, "missing_field", "CorrespAcc"},
        Case{"CorrespShort", [](auto& o) { o.payee.corresp_acc = "3010181040000000022"; }, "invalid_corresp_account",
             "CorrespAcc"},
        Case{"CorrespKey", [](auto& o) { o.payee.corresp_acc = "30101810500000000225"; }, "invalid_corresp_account",
             "CorrespAcc"},
        Case{"InnMissing", [](auto& o) { o.payee.payee_inn.clear(); }, "missing_field", "PayeeINN"},
        Case{"InnCheckDigit", [](auto& o) { o.payee.payee_inn = "7701234561"; }, "invalid_inn", "PayeeINN"},
        Case{"InnElevenDigits", [](auto& o) { o.payee.payee_inn = "77012345601"; }, "invalid_inn", "PayeeINN"},
        Case{"KppMissing", [](auto& o) { o.payee.kpp.clear(); }, "missing_field", "KPP"},
        Case{"KppShort", [](auto& o) { o.payee.kpp = "77010100"; }, "invalid_kpp", "KPP"},
        Case{"KppLowercase", [](auto& o) { o.payee.kpp = "7701ab001"; }, "invalid_kpp", "KPP"},
        Case{"KppForEntrepreneur",
             [](auto& o) {
                 o.payee.payee_inn = "500123456750";
                 o.payee.kpp = "770101001";
             },
             "invalid_kpp", "KPP"},
        Case{"SumZero", [](auto& o) { o.sum = Kopecks{0}; }, "invalid_sum", "Sum"},
        Case{"SumNegative", [](auto& o) { o.sum = Kopecks{-100}; }, "invalid_sum", "Sum"},
        Case{"SumNineteenDigits", [](auto& o) { o.sum = Kopecks{1'000'000'000'000'000'000}; }, "invalid_sum", "Sum"},
        Case{"PurposeMissing", [](auto& o) { o.purpose.clear(); }, "missing_field", "Purpose"},
        Case{"PurposeTooLong", [](auto& o) { o.purpose = repeat("ж", 161); }, "field_too_long", "Purpose"},
        Case{"PurposePipe", [](auto& o) { o.purpose = "Заказ|1"; }, "invalid_character", "Purpose"},
        Case{"NameNotInKoi8R",
             [](auto& o) {
                 o.charset = GostCharset::kKoi8R;  // '«' and '»' have no KOI8-R code
             },
             "unencodable_character", "Name"},
        Case{"PurposeNotInCp1251",
             [](auto& o) {
                 o.charset = GostCharset::kWindows1251;
                 o.purpose = "Заказ ✓";
             },
             "unencodable_character", "Purpose"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(GostPayload, CharsetNamesAndUnknownFlag) {
    EXPECT_EQ(parse_gost_charset("UTF-8").value(), GostCharset::kUtf8);
    EXPECT_EQ(parse_gost_charset("windows-1251").value(), GostCharset::kWindows1251);
    EXPECT_EQ(parse_gost_charset("cp1251").value(), GostCharset::kWindows1251);
    EXPECT_EQ(parse_gost_charset("KOI8-R").value(), GostCharset::kKoi8R);
    EXPECT_EQ(parse_gost_charset("latin1").error().code, "invalid_charset");
    GostPaymentOrder order{
        .payee = example1(), .sum = Kopecks{1}, .purpose = "x", .charset = static_cast<GostCharset>('4')};
    EXPECT_EQ(build_gost_payload(order).error().code, "invalid_charset");
}

TEST(GostPayload, LimitsAreInCharactersNotBytes) {
    GostPaymentOrder order{.payee = example1(), .sum = Kopecks{1}, .purpose = repeat("ж", 160)};
    order.payee.name = repeat("Я", 160);      // 320 bytes of UTF-8
    order.payee.bank_name = repeat("Б", 45);  // 90 bytes
    EXPECT_TRUE(build_gost_payload(order));
}

TEST(GostPayload, KppMayCarryLettersInTheReasonCode) {
    GostPaymentOrder order{.payee = example1(), .sum = Kopecks{1}, .purpose = "x"};
    order.payee.kpp = "7701AB001";
    EXPECT_TRUE(build_gost_payload(order));
}

TEST(GostPayload, AccountAtABankOfRussiaDivisionHasNoCorrespondentAccount) {
    // The RKC example of order № 515: an account held at the division itself uses "0" + BIC
    // digits 5..6 as its conditional number; CorrespAcc is then "0".
    BankRequisites r = example1();
    r.bic = "049805000";
    r.corresp_acc = "0";
    r.personal_acc = "30101810800000000746";
    EXPECT_TRUE(validate_requisites(r)) << validate_requisites(r).error().message;
    r.personal_acc = "30101810900000000746";
    EXPECT_EQ(validate_requisites(r).error().code, "invalid_account");
}

// --- SBP ---------------------------------------------------------------------------------------

constexpr const char* kStatic =
    "https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2?type=01&bank=100000000001&sum=10000&cur=RUB&crc=C08B";
constexpr const char* kDynamic =
    "https://qr.nspk.ru/AD10006PTORDPC5D98HPT12HV37MMQ6G?type=02&bank=100000000284&sum=15590000&cur=RUB&crc=4C8A";
constexpr const char* kStaticNoSum = "https://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2?type=01&bank=100000000001";

TEST(SbpLink, NspkLinkIsUsedExactlyAsIssued) {
    auto link = build_sbp_link({.link = kDynamic, .amount = Kopecks{15590000}, .order = "123"}, {});
    ASSERT_TRUE(link) << link.error().message;
    EXPECT_EQ(link->url, kDynamic);
    EXPECT_TRUE(link->amount_embedded);

    // A static link without a sum is never extended (its crc is undocumented): the buyer types
    // the amount.
    auto open = build_sbp_link({.link = kStaticNoSum, .amount = Kopecks{500}, .order = "123"},
                               {.allowed_hosts = {"qr.nspk.ru"}, .amount_param = "sum", .order_param = "order"});
    ASSERT_TRUE(open) << open.error().message;
    EXPECT_EQ(open->url, kStaticNoSum);
    EXPECT_FALSE(open->amount_embedded);
}

TEST(SbpLink, AmountFixedByTheLinkMustMatchTheAmountDue) {
    auto link = build_sbp_link({.link = kStatic, .amount = Kopecks{10001}}, {});
    ASSERT_FALSE(link);
    EXPECT_EQ(link.error().code, "sbp_amount_mismatch");
    EXPECT_TRUE(build_sbp_link({.link = kStatic, .amount = Kopecks{10000}}, {}));
    EXPECT_TRUE(build_sbp_link({.link = kStatic}, {}));
    EXPECT_EQ(build_sbp_link({.link = kStatic, .amount = Kopecks{0}}, {}).error().code, "invalid_sum");
}

TEST(SbpLink, BankHostGetsOnlyTheParametersItsFormatNames) {
    const SbpConfig config{
        .allowed_hosts = {"qr.nspk.ru", "pay.examplebank.ru"}, .amount_param = "amount", .order_param = "order"};
    auto link = build_sbp_link(
        {.link = "https://pay.examplebank.ru/sbp/merchant-77?lang=ru", .amount = Kopecks{700000}, .order = "№ 123/A"},
        config);
    ASSERT_TRUE(link) << link.error().message;
    EXPECT_EQ(link->url, "https://pay.examplebank.ru/sbp/merchant-77?lang=ru&amount=700000&order=%E2%84%96%20123%2FA");
    EXPECT_TRUE(link->amount_embedded);

    // Without configured parameter names the bank link stays as it is.
    auto plain = build_sbp_link({.link = "https://pay.examplebank.ru/sbp/merchant-77", .amount = Kopecks{700000}},
                                {.allowed_hosts = {"pay.examplebank.ru"}});
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->url, "https://pay.examplebank.ru/sbp/merchant-77");
    EXPECT_FALSE(plain->amount_embedded);
}

TEST(SbpLink, RejectsLinksThatAreNotHttpsOnAnAllowedHost) {
    auto code = [](std::string link) { return build_sbp_link({.link = std::move(link)}, {}).error().code; };
    EXPECT_EQ(code(""), "missing_field");
    EXPECT_EQ(code("http://qr.nspk.ru/AS1000670LSS7DN18SJQDNP4B05KLJL2"), "invalid_sbp_link");
    EXPECT_EQ(code("https://evil.example/AS1000670LSS7DN18SJQDNP4B05KLJL2"), "sbp_host_not_allowed");
    EXPECT_EQ(code("https://qr.nspk.ru.evil.example/AS1"), "sbp_host_not_allowed");
    EXPECT_EQ(code("https://qr.nspk.ru@evil.example/AS1"), "invalid_sbp_link");
    EXPECT_EQ(code("https://qr.nspk.ru/"), "invalid_sbp_link");
    EXPECT_EQ(code("https://qr.nspk.ru"), "invalid_sbp_link");
    EXPECT_EQ(code("https://qr.nspk.ru/AS1 0"), "invalid_sbp_link");
    EXPECT_EQ(code("https://qr.nspk.ru/AS1\n"), "invalid_sbp_link");
    EXPECT_EQ(code("https://qr.nspk.ru/AS1?sum=12a"), "invalid_sbp_link");
    EXPECT_TRUE(build_sbp_link({.link = "HTTPS://QR.NSPK.RU/AS1000670LSS7DN18SJQDNP4B05KLJL2"}, {}));
    EXPECT_TRUE(build_sbp_link({.link = "https://pay.examplebank.ru/x"}, {.allowed_hosts = {"Pay.ExampleBank.ru"}}));
}

}  // namespace
}  // namespace kassa::qr
