#include "simulators/atol/faults.hpp"

#include <fstream>
#include <sstream>

namespace kassa::sim::atol {

Result<AtolFaults> AtolFaults::parse(const std::string& text) {
    AtolFaults f;
    std::istringstream script(text);
    std::string line;
    for (int no = 1; std::getline(script, line); ++no) {
        line = line.substr(0, line.find('#'));
        std::istringstream words(line);
        std::string kind;
        if (!(words >> kind)) continue;
        std::uint64_t n = 0;
        const auto where = "line " + std::to_string(no) + ": ";
        if (!(words >> n) || n == 0) return fail("bad_fault_script", where + kind + " needs N ≥ 1");
        if (kind == "drop_answer") {
            f.drop_answers.insert(n);
        } else if (kind == "corrupt_answer") {
            f.corrupt_answers.insert(n);
        } else if (kind == "power_cut_after_receipt") {
            f.power_cut_after_receipt = n;
        } else if (kind == "paper_out_after") {
            f.paper_out_after = n;
        } else {
            return fail("bad_fault_script", where + "unknown fault '" + kind + "'");
        }
    }
    return f;
}

Result<AtolFaults> AtolFaults::load(const std::string& path) {
    std::ifstream in(path);
    if (!in) return fail("bad_fault_script", "cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return parse(text.str());
}

}  // namespace kassa::sim::atol
