// Fault injection for every family's simulator, read from a script file, one fault per line.
// Each family acts on the faults its link has (the rest are refused when the script is read):
//   Shtrih (byte level, simulators/shtrih/link.cpp):
//     corrupt_byte N        flip every bit of the Nth byte the device sends (1-based, whole run)
//     drop_byte N           do not send the Nth byte the device sends
//     nak_frame N           answer the Nth good command frame with NAK instead of executing it
//     stall N MS            execute the Nth command frame MS milliseconds late (ENQ meanwhile → ACK)
//     slow_ack N MS         a device too busy to read its line: the Nth command frame and every byte
//                           after it wait MS milliseconds, then are handled in order (its ACK, its
//                           answer, then the host's ENQs of meanwhile, each answered as §1.3 says)
//   ATOL (answer level, simulators/atol/link.cpp; answers are counted over the whole run, from 1):
//     drop_answer N         the device's Nth answer never reaches the host (v3: the reply to the
//                           Nth host packet and any push it causes; v2: the Nth answer frame)
//     corrupt_answer N      the Nth answer arrives with its last byte flipped (a bad CRC)
//   Both:
//     power_cut_after_receipt N   after the Nth receipt of this run is written to the FN (state file
//                           saved), stop answering for good: the answer never leaves the device
//     paper_out_after N     the receipt tape runs out with the Nth receipt, which is fiscalised
//                           all the same. Shtrih: N counts every receipt in the FN, and the tape
//                           stops mid-receipt (sub-mode 2, §1.7; a restart finds it still empty);
//                           ATOL: N counts this run's receipts, and the roll ends right after it.
//                           Loading paper (load_paper(), kassa-sim's SIGUSR1) clears it.
//     cut_link PERMILLE SEED   TCP only (the server, simulators/fn/server.cpp): each chunk of
//                           bytes crossing the line, either way, is with probability PERMILLE/1000
//                           cut short (a random prefix of it, maybe none, gets through) and the
//                           connection is dropped, as a pulled cable or a dying Wi-Fi bridge does
//                           mid-frame. The draws come from SEED, so a run can be repeated.
// '#' starts a comment; blank lines are ignored.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kassa::sim {

// The faults each family's link acts on.
inline constexpr std::array<std::string_view, 8> kShtrihFaults = {
    "corrupt_byte",    "drop_byte", "nak_frame", "stall", "slow_ack", "power_cut_after_receipt",
    "paper_out_after", "cut_link"};
inline constexpr std::array<std::string_view, 5> kAtolFaults = {
    "drop_answer", "corrupt_answer", "power_cut_after_receipt", "paper_out_after", "cut_link"};
inline constexpr std::array<std::string_view, 10> kAllFaults = {
    "corrupt_byte",    "drop_byte",   "nak_frame",      "stall",
    "slow_ack",        "drop_answer", "corrupt_answer", "power_cut_after_receipt",
    "paper_out_after", "cut_link"};

// cut_link: the connection drops mid-chunk with this probability per chunk (per mille), seeded.
struct LinkCut {
    std::uint32_t permille = 0;  // 1..1000
    std::uint64_t seed = 0;

    friend bool operator==(const LinkCut&, const LinkCut&) = default;
};

struct Faults {
    // Shtrih
    std::set<std::uint64_t> corrupt_bytes;
    std::set<std::uint64_t> drop_bytes;
    std::set<std::uint64_t> nak_frames;
    std::map<std::uint64_t, std::chrono::milliseconds> stalls;
    std::map<std::uint64_t, std::chrono::milliseconds> slow_acks;
    // ATOL
    std::set<std::uint64_t> drop_answers;
    std::set<std::uint64_t> corrupt_answers;
    // both
    std::optional<std::uint64_t> power_cut_after_receipt;
    std::optional<std::uint64_t> paper_out_after;
    std::optional<LinkCut> link_cut;  // acted on by the server (ServerConfig::link_cut), not the link

    // Every fault the script names is one of `supported` (a family's list above), else
    // bad_fault_script: a script never names a fault the simulator would silently ignore.
    static Result<Faults> parse(const std::string& text, std::span<const std::string_view> supported = kAllFaults);
    static Result<Faults> load(const std::string& path, std::span<const std::string_view> supported = kAllFaults);
};

}  // namespace kassa::sim
