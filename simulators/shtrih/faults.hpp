// Fault injection for the Shtrih simulator, read from a script file, one fault per line:
//   corrupt_byte N        flip every bit of the Nth byte the device sends (1-based, whole run)
//   drop_byte N           do not send the Nth byte the device sends
//   nak_frame N           answer the Nth good command frame with NAK instead of executing it
//   stall N MS            execute the Nth command frame MS milliseconds late (ENQ meanwhile → ACK)
//   power_cut_after_receipt N   after the Nth receipt of this run is written to the FN (state file
//                         saved), stop answering for good: the answer never leaves the device
//   paper_out_after N     the receipt tape runs out while the Nth receipt (in total) prints: the
//                         receipt is fiscalised, its printing stops (sub-mode 2, §1.7); a
//                         restart after that finds the tape still empty (sub-mode 1). Loading
//                         paper (load_paper(), kassa-sim's SIGUSR1) clears it.
// '#' starts a comment; blank lines are ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "common/result.hpp"

namespace kassa::sim {

struct Faults {
    std::set<std::uint64_t> corrupt_bytes;
    std::set<std::uint64_t> drop_bytes;
    std::set<std::uint64_t> nak_frames;
    std::map<std::uint64_t, std::chrono::milliseconds> stalls;
    std::optional<std::uint64_t> power_cut_after_receipt;
    std::optional<std::uint64_t> paper_out_after;

    static Result<Faults> parse(const std::string& text);
    static Result<Faults> load(const std::string& path);
};

}  // namespace kassa::sim
