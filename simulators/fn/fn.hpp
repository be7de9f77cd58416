// The emulated fiscal storage (ФН) every family's simulator shares (DESIGN.md §3 simulators/fn).
//
// A family simulator (simulators/shtrih, simulators/atol) is only its device protocol: it decodes
// its commands, keeps its own volatile state (an open receipt, low-level shift steps), builds the
// receipt's TLVs the way its KKT does, and hands every fiscal document to EmulatedFn, which
//   - keeps the registration (1018 INN, 1037 RNM, 1041 FN number, 1062 tax systems, 1209 FFD),
//   - opens and closes shifts and refuses documents in a shift older than 24 h (§1.10 16h),
//   - runs format-logical control on receipts: the mandatory FFD 1.2 tags (protocols.md §3.3,
//     fiscal-rules.md §1: 1054, 1055, 1020, 1021, 1009, 1187, 1031/1081/1215/1216/1217, and in every
//     1059 line 1030, 1079, 1023, 1043, 1199, 1214, 1212, 2108) and the sums (Σ 1043 = 1020 =
//     Σ payments); a refused document is not numbered, signed or stored (error kFormat),
//   - adds the fiscal attributes (1012, 1040, 1041, 1018, 1037, 1038, 1042), signs (ФПД = first
//     four bytes of HMAC-SHA256 over the document with the FN's secret, §3.5), archives the document
//     and writes the state file before it returns,
//   - keeps the counters: documents and receipts per shift, totals per calculation sign, and writes
//     the shift-close report's 1118, 1111, 1097, 1098, 1050–1053 and the totals counters 1194 / 1157,
//   - keeps the OFD queue: every document waits for a ticket until ofd_deliver() acknowledges it, or,
//     with set_ofd_ack_after(), until an OFD connected to the KKT has had it for that long.
// Errors are the FN's own codes (protocols.md §1.10, the "ФН" rows): Shtrih passes them through
// unchanged; another family maps them onto its codes. Paper is the printer's: see paper.hpp.
// Not thread-safe: the family's server serialises calls (one device, one I/O thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "simulators/fn/state.hpp"

namespace kassa::sim::fn {

using Bytes = std::vector<std::uint8_t>;

// FN error codes (protocols.md §1.10).
namespace error {
inline constexpr std::uint8_t kFormat = 0x01;      // unknown command, wrong format (format-logical control)
inline constexpr std::uint8_t kWrongState = 0x02;  // e.g. a receipt with the shift closed
inline constexpr std::uint8_t kNoData = 0x08;
inline constexpr std::uint8_t kBadValue = 0x09;
inline constexpr std::uint8_t kTlvTooLarge = 0x10;
inline constexpr std::uint8_t kShiftOver24h = 0x16;
}  // namespace error

struct FnError {
    std::uint8_t code = error::kFormat;
    std::string reason;  // for logs and tests: which tag or rule
};

template <class T>
using FnResult = std::expected<T, FnError>;

// FFD form codes of the archive (§1.8 FF0A notes); families map them to their own numbering.
namespace form {
inline constexpr std::uint8_t kShiftOpen = 2;
inline constexpr std::uint8_t kReceipt = 3;
inline constexpr std::uint8_t kCorrectionReceipt = 31;
inline constexpr std::uint8_t kShiftClose = 5;
inline constexpr std::uint8_t kSettlementReport = 21;
}  // namespace form

inline constexpr std::int64_t kShiftLimitSeconds = 24 * 3600;       // §1.9
inline constexpr std::int64_t kOfdTimeoutSeconds = 30 * 24 * 3600;  // §1.10 15h: transfer overdue after 30 days

class EmulatedFn {
  public:
    // `state_path` empty = keep the FN in memory only.
    EmulatedFn(FnState state, std::string state_path, const Clock& clock);

    const FnState& state() const { return state_; }
    std::int64_t now_unix() const;
    bool shift_open() const { return state_.shift_open; }
    bool shift_expired() const;

    // Shift-open report (form 2). `tags`: what the KKT adds (1021 cashier, 1203 cashier INN).
    FnResult<const ArchivedDocument*> open_shift(std::span<const std::uint8_t> tags);
    // Shift-close report (form 5) with the shift counters and FN flags. Allowed in an expired shift.
    FnResult<const ArchivedDocument*> close_shift(std::span<const std::uint8_t> tags);

    // Report on the state of settlements (form 21): documents waiting for an OFD ticket (1097) and
    // the date of the oldest (1098). Allowed with the shift open or closed.
    FnResult<const ArchivedDocument*> settlement_report(std::span<const std::uint8_t> tags);

    // A receipt (form 3) or correction receipt (form 31): `tlv` is the document as the KKT built it
    // (1054, 1055, the 1059 lines, the payments, 1020 and the user's tags, in any order). Format-
    // logical control runs first. `strict` = false skips it for the FFD 1.05 correction form some
    // KKTs still offer (Shtrih FF4Ah); everything else is strict.
    FnResult<const ArchivedDocument*> receipt(bool correction, std::span<const std::uint8_t> tlv, bool strict = true);

    // The OFD acknowledged the oldest `count` documents waiting for a ticket (0 = all of them).
    void ofd_deliver(std::size_t count = 0);
    // An OFD that acknowledges each document `after` it was formed, oldest first, as a KKT with an
    // OFD connection sees its backlog drain (kassa-sim --ofd-ack-after-ms). Documents already
    // waiting when this is set count from now (the connection is (re)established). nullopt (the
    // default): no OFD answers and the backlog only grows.
    void set_ofd_ack_after(std::optional<std::chrono::milliseconds> after);
    // Hands the OFD's tickets due by the clock's now to their documents (and saves the state file
    // when any arrived). The family calls it before each command, so every answer sees them.
    void ofd_pump();

    // The KKT's own registers kept in the same state file (FnState::cash_in_drawer, kkt_documents):
    // the family changes them, then calls save().
    FnState& registers() { return state_; }
    void save();

    // The flags a shift-close report and the FN status carry (1050–1053; FF01 warning bits).
    struct Warnings {
        bool resource_exhausted = false;  // 1050: less than 30 days left
        bool replace_urgently = false;    // 1051: less than 3 days left
        bool memory_full = false;         // 1052: archive 99 % full (never, in a simulator)
        bool ofd_timeout = false;         // 1053: a document waits for its ticket beyond the limit
    };
    Warnings warnings() const;

  private:
    FnResult<const ArchivedDocument*> write(std::uint8_t form, Bytes body, bool receipt_number, std::uint8_t operation,
                                            std::uint64_t total);
    std::uint32_t sign(std::span<const std::uint8_t> tlv) const;

    FnState state_;
    std::string state_path_;
    const Clock& clock_;
    std::optional<std::chrono::milliseconds> ofd_ack_after_;
    Clock::time_point ofd_connected_at_{};                  // documents formed before: count from here
    std::map<std::uint32_t, Clock::time_point> formed_at_;  // FD number → formation time (this run)
};

// Format-logical control alone (the checks receipt() runs), for tests and for families that want
// to refuse before they change their own state. Returns the first failure.
FnResult<void> check_receipt(std::span<const std::uint8_t> tlv, bool correction);

}  // namespace kassa::sim::fn
