#include "simulators/fn/faults.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace kassa::sim {

Result<Faults> Faults::parse(const std::string& text, std::span<const std::string_view> supported) {
    Faults f;
    std::istringstream lines(text);
    std::string line;
    int no = 0;
    while (std::getline(lines, line)) {
        ++no;
        if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::istringstream in(line);
        std::string kind;
        if (!(in >> kind)) continue;
        const auto where = "line " + std::to_string(no) + ": ";
        if (std::find(kAllFaults.begin(), kAllFaults.end(), kind) == kAllFaults.end())
            return fail("bad_fault_script", where + "unknown fault '" + kind + "'");
        if (std::find(supported.begin(), supported.end(), kind) == supported.end())
            return fail("bad_fault_script", where + "this family's simulator has no fault '" + kind + "'");
        std::uint64_t n = 0;
        if (!(in >> n) || n == 0) return fail("bad_fault_script", where + kind + " needs N ≥ 1");
        if (kind == "cut_link") {
            std::uint64_t seed = 0;
            if (n > 1000 || !(in >> seed)) return fail("bad_fault_script", where + "cut_link PERMILLE(1..1000) SEED");
            f.link_cut = LinkCut{static_cast<std::uint32_t>(n), seed};
            continue;
        }
        if (kind == "corrupt_byte") {
            f.corrupt_bytes.insert(n);
        } else if (kind == "drop_byte") {
            f.drop_bytes.insert(n);
        } else if (kind == "nak_frame") {
            f.nak_frames.insert(n);
        } else if (kind == "stall") {
            long ms = 0;
            if (!(in >> ms) || ms < 0) return fail("bad_fault_script", where + "stall N MS");
            f.stalls[n] = std::chrono::milliseconds{ms};
        } else if (kind == "slow_ack") {
            long ms = 0;
            if (!(in >> ms) || ms < 0) return fail("bad_fault_script", where + "slow_ack N MS");
            f.slow_acks[n] = std::chrono::milliseconds{ms};
        } else if (kind == "drop_answer") {
            f.drop_answers.insert(n);
        } else if (kind == "corrupt_answer") {
            f.corrupt_answers.insert(n);
        } else if (kind == "power_cut_after_receipt") {
            f.power_cut_after_receipt = n;
        } else {
            f.paper_out_after = n;
        }
    }
    return f;
}

Result<Faults> Faults::load(const std::string& path, std::span<const std::string_view> supported) {
    std::ifstream in(path);
    if (!in) return fail("bad_fault_script", "cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), supported);
}

}  // namespace kassa::sim
