// The receipt plan: what a register is asked to fiscalise, in FFD 1.2 terms. Produced by the
// planner, stored by the ledger, sent by the drivers. Tag numbers are in the comments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fiscal/money.hpp"
#include "fiscal/quantity.hpp"

namespace kassa::fiscal {

// Tag 1054 «признак расчета».
enum class CalcSign : std::uint8_t { Income = 1, IncomeReturn = 2, Expense = 3, ExpenseReturn = 4 };

// Tag 1214 «признак способа расчета», per line.
enum class PaymentMethod : std::uint8_t {
    FullPrepayment = 1,
    PartialPrepayment = 2,
    Advance = 3,
    FullPayment = 4,
    PartialPaymentAndCredit = 5,
    CreditTransfer = 6,
    CreditPayment = 7,
};

// Tag 1212 «признак предмета расчета» values Kassa uses by name; any 1..33 is accepted on a line.
namespace subject {
inline constexpr std::uint8_t kGoods = 1;
inline constexpr std::uint8_t kExciseGoods = 2;
inline constexpr std::uint8_t kWork = 3;
inline constexpr std::uint8_t kService = 4;
inline constexpr std::uint8_t kPayment = 10;
inline constexpr std::uint8_t kOther = 13;
}  // namespace subject

// The VAT class of a good; the tag 1199 code on a line depends on it and on the payment method.
enum class VatClass : std::uint8_t { Vat22, Vat10, Vat0, None, Vat5, Vat7, Vat20 };

// Tag 1055 «применяемая система налогообложения»: exactly one bit per receipt.
enum class TaxSystem : std::uint8_t {
    Osn = 0x01,
    UsnIncome = 0x02,
    UsnIncomeMinusExpense = 0x04,
    Envd = 0x08,
    Eshn = 0x10,
    Patent = 0x20,
};

struct ReceiptLine {
    std::string name;                                   // 1030, ≤ 128 characters, CP866-encodable
    Quantity quantity;                                  // 1023
    std::uint8_t unit = 0;                              // 2108 «мера количества», 0 = pieces
    Kopecks price;                                      // 1079, per unit incl. discounts
    Kopecks amount;                                     // 1043 = price × quantity rounded half up
    PaymentMethod method = PaymentMethod::FullPayment;  // 1214
    std::uint8_t subject = subject::kGoods;             // 1212
    VatClass vat_class = VatClass::Vat22;               // the good's class (not sent)
    std::uint8_t vat_code = 0;                          // 1199, derived from vat_class and method
    Kopecks vat;                                        // 1200, VAT in this line's amount
    std::string sku;                                    // the ledger's key for returns (not sent)

    friend bool operator==(const ReceiptLine&, const ReceiptLine&) = default;
};

// Payment sums by form; they add up to the receipt total (1020).
struct Payments {
    Kopecks cash;        // 1031
    Kopecks electronic;  // 1081 (card, SBP, bank transfer)
    Kopecks prepayment;  // 1215 offset of advances and prepayments
    Kopecks credit;      // 1216 postpayment
    Kopecks provision;   // 1217 counter-provision

    friend bool operator==(const Payments&, const Payments&) = default;
};

// Correction receipt fields (FFD 1.2).
struct Correction {
    std::uint8_t type = 0;       // 1173: 0 own initiative, 1 by order of the tax authority
    std::int64_t date_unix = 0;  // 1178: date of the corrected settlement, 00:00:00 local → UnixTime
    std::string order_number;    // 1179: the tax authority's order number; only when type = 1

    friend bool operator==(const Correction&, const Correction&) = default;
};

struct Receipt {
    CalcSign sign = CalcSign::Income;  // 1054
    std::vector<ReceiptLine> lines;    // 1059 each
    Payments payments;
    Kopecks total;                          // 1020
    TaxSystem tax_system = TaxSystem::Osn;  // 1055
    std::string cashier;                    // 1021
    std::string cashier_inn;                // 1203, 12 digits or empty
    std::string buyer_contact;              // 1008, +7XXXXXXXXXX or e-mail, or empty
    std::string settlement_address;         // 1009
    std::string settlement_place;           // 1187
    std::optional<Correction> correction;   // present → a correction receipt (1173/1174)
    std::string additional_attribute;       // 1192, e.g. the fiscal sign of the receipt corrected

    bool is_correction() const { return correction.has_value(); }
    friend bool operator==(const Receipt&, const Receipt&) = default;
};

}  // namespace kassa::fiscal
