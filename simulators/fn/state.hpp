// The state of the emulated fiscal storage (fn.hpp), kept in a JSON state file so that it survives
// restarts: registration, counters, shift, the archive of every fiscal document with its fiscal
// sign. The family's KKT keeps its own two registers in the same file (cash drawer sum, document
// through-number), so a simulated register is one file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "fiscal/counters.hpp"

namespace kassa::sim {

struct ArchivedDocument {
    std::uint32_t number = 0;
    std::uint8_t type = 0;          // FFD form code: 2 shift open, 3 receipt, 31 correction, 5 shift close
    std::int64_t unix_time = 0;     // formation time, UTC seconds (minute precision on the wire)
    std::uint32_t fiscal_sign = 0;  // 4-byte ФПД as printed
    std::uint8_t operation = 0;     // receipts: tag 1054
    std::uint64_t total = 0;        // receipts: tag 1020, kopecks
    std::string tlv_hex;            // the document's TLV as signed
    bool ofd_ticket = false;
};

struct FnState {
    // Registration (tags 1018, 1037, 1041, 1209, 1062).
    std::string inn = "7701234567";
    std::string rnm = "0000000001012345";
    std::string fn_serial = "9999078900012345";
    std::string secret_hex;           // per-FN HMAC key
    std::uint8_t ffd_version = 4;     // 1209: 4 = FFD 1.2
    std::uint8_t tax_systems = 0x3F;  // 1062 bitmask of registered systems
    // 1009 / 1187 of the registration report: the KKT puts them in a receipt whose host sent none
    // (empty = not registered: such receipts fail the FN's format-logical control).
    std::string settlement_address = "г. Москва, ул. Примерная, д. 1";
    std::string settlement_place = "Офис";
    std::int64_t fn_expiry_unix = 0;  // 00:00 UTC of the expiry day

    std::uint32_t last_fd = 0;
    bool shift_open = false;
    std::uint16_t shift_number = 0;  // current or last closed
    std::int64_t shift_opened_at = 0;
    std::uint16_t receipts_in_shift = 0;   // 1118 of the shift-close report
    std::uint32_t documents_in_shift = 0;  // 1111: every fiscal document of the shift
    std::uint64_t receipts_total = 0;      // every receipt ever printed (paper-out fault counts these)
    std::int64_t cash_in_drawer = 0;       // kopecks: cash receipts, 50h in, 51h out, cash refunds
    std::uint32_t kkt_documents = 0;       // the KKT's through-number: every document printed
    // 1194 «счетчики итогов смены» (from the shift's opening) and 1157 «счетчики итогов ФН» (since
    // registration): every receipt and correction receipt, by calculation sign (fiscal/counters.hpp).
    fiscal::TotalsCounters shift_totals;
    fiscal::TotalsCounters fn_totals;
    std::vector<ArchivedDocument> documents;

    const ArchivedDocument* find(std::uint32_t number) const;
    std::size_t ofd_unsent() const;
    const ArchivedDocument* ofd_oldest_unsent() const;

    // A fresh, registered FN with a random secret, expiring three years after `now_unix`.
    static FnState fresh(std::int64_t now_unix);
    static Result<FnState> load(const std::string& path);
    // Write-then-rename, so a crash never leaves half a file. The archive's JSON is kept between
    // saves and only new documents are serialised, so a save after every document costs little
    // more than the write itself as the archive grows.
    Status save(const std::string& path) const;
    // A document already in the archive changed (the OFD's ticket): serialise them all again.
    void archive_changed() const { serialized_documents_ = 0; }

  private:
    mutable std::string documents_json_;  // "{…},{…}" of documents[0, serialized_documents_)
    mutable std::size_t serialized_documents_ = 0;
};

}  // namespace kassa::sim
