#include "simulators/shtrih/faults.hpp"

#include <fstream>
#include <sstream>

namespace kassa::sim {

Result<Faults> Faults::parse(const std::string& text) {
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
        std::uint64_t n = 0;
        if (!(in >> n) || n == 0) return fail("bad_fault_script", "line " + std::to_string(no) + ": needs N ≥ 1");
        if (kind == "corrupt_byte") {
            f.corrupt_bytes.insert(n);
        } else if (kind == "drop_byte") {
            f.drop_bytes.insert(n);
        } else if (kind == "nak_frame") {
            f.nak_frames.insert(n);
        } else if (kind == "stall") {
            long ms = 0;
            if (!(in >> ms) || ms < 0) return fail("bad_fault_script", "line " + std::to_string(no) + ": stall N MS");
            f.stalls[n] = std::chrono::milliseconds{ms};
        } else if (kind == "power_cut_after_receipt") {
            f.power_cut_after_receipt = n;
        } else if (kind == "paper_out_after") {
            f.paper_out_after = n;
        } else {
            return fail("bad_fault_script", "line " + std::to_string(no) + ": unknown fault '" + kind + "'");
        }
    }
    return f;
}

Result<Faults> Faults::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) return fail("bad_fault_script", "cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str());
}

}  // namespace kassa::sim
