// The command layer of the simulated ATOL register: one application request in, one application
// answer out (shared/spec/protocols.md §2.1, §2.2, §2.5, §2.6). It is only the ATOL protocol and the
// KKT's volatile state (mode, open receipt, requisites written with E8h, the receipt roll); every
// fiscal document goes to the shared emulated FN (simulators/fn/fn.hpp), which checks, numbers,
// signs, archives and saves it. Layouts come from src/drivers/atol/commands.hpp, the readings the
// spec leaves open from src/drivers/atol/assumptions.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "drivers/atol/commands.hpp"
#include "simulators/fn/fn.hpp"
#include "simulators/fn/paper.hpp"
#include "simulators/fn/state.hpp"

namespace kassa::sim::atol {

using drivers::atol::Bytes;

class AtolSimDevice {
  public:
    // `state_path` empty = keep the FN in memory only.
    // `paper_out_after`: the roll runs out right after the Nth receipt of this run (fault script).
    AtolSimDevice(FnState state, std::string state_path, const Clock& clock,
                  std::optional<std::uint64_t> paper_out_after = std::nullopt);

    // Executes one application request (password, command, parameters) and returns its answer.
    Bytes handle(std::span<const std::uint8_t> request);

    void run_out_of_paper() { paper_.run_out(); }
    void load_paper() { paper_.load(); }
    const FnState& fn() const { return fn_.state(); }
    fn::EmulatedFn& emulated_fn() { return fn_; }
    const std::vector<std::string>& tape() const { return tape_; }
    std::uint64_t receipts_this_run() const { return receipts_this_run_; }

  private:
    struct OpenReceipt {
        std::uint8_t type = 0;  // 92h type
        std::uint8_t sign = 1;  // 1054
        bool correction = false;
        Bytes tags;                      // E8h document requisites
        std::vector<Bytes> lines;        // whole 1059 TLVs
        std::optional<Bytes> item_tags;  // between EAh and EBh
        std::uint64_t total = 0;
        std::array<std::uint64_t, 5> paid{};  // 99h types 1..5
    };

    Bytes dispatch(const drivers::atol::Request& req);
    Bytes status() const;
    Bytes fn_query(std::span<const std::uint8_t> params);
    Bytes end_item(const drivers::atol::Request& req);
    Bytes close_receipt(const drivers::atol::Request& req);
    Bytes cash(const drivers::atol::Request& req);
    // FN refusals in ATOL codes (§2.6): shift over 24 h F0h, wrong state D4h, format 13h.
    static std::uint8_t fn_error(std::uint8_t fn_code);
    void printed(std::string line);

    fn::EmulatedFn fn_;
    const Clock& clock_;
    PaperRoll paper_;
    std::uint8_t mode_ = 0;
    std::optional<OpenReceipt> receipt_;
    Bytes pending_tags_;  // E8h outside a receipt: for the next shift report or cash document
    std::vector<std::string> tape_;
    std::string last_document_;
    std::uint64_t receipts_this_run_ = 0;
    std::optional<std::uint64_t> paper_out_after_;
};

}  // namespace kassa::sim::atol
