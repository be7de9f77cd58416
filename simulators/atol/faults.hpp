// Fault injection for the ATOL simulator, read from a script file, one fault per line:
//   drop_answer N              the device's Nth answer never reaches the host (v3: the reply to the
//                              Nth host packet and any push it causes; v2: the Nth answer frame)
//   corrupt_answer N           the Nth answer arrives with its last byte flipped (a bad CRC)
//   power_cut_after_receipt N  after the Nth receipt of this run is in the FN (state file saved),
//                              the device stops answering for good
//   paper_out_after N          the roll runs out right after the Nth receipt of this run printed
// '#' starts a comment; blank lines are ignored. Answers are counted over the whole run, from 1.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "common/result.hpp"

namespace kassa::sim::atol {

struct AtolFaults {
    std::set<std::uint64_t> drop_answers;
    std::set<std::uint64_t> corrupt_answers;
    std::optional<std::uint64_t> power_cut_after_receipt;
    std::optional<std::uint64_t> paper_out_after;

    static Result<AtolFaults> parse(const std::string& text);
    static Result<AtolFaults> load(const std::string& path);
};

}  // namespace kassa::sim::atol
