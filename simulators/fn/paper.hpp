// The receipt roll of a simulated register, shared by every family (the family maps the states
// onto its own status bytes: Shtrih sub-modes 0..3, protocols.md §1.7; ATOL flags, §2.5 45h).
// Paper is the printer's, not the FN's: it is not saved with the FN, so a restart finds a full
// roll unless the family's fault script says otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace kassa::sim {

class PaperRoll {
  public:
    enum class State : std::uint8_t {
        Present = 0,           // printing works
        Out = 1,               // ran out between documents ("passive")
        OutWhilePrinting = 2,  // ran out in the middle of a document ("active")
        AwaitingContinue = 3,  // paper loaded after an active paper-out: waits for "continue printing"
    };

    State state() const { return state_; }
    bool can_print() const { return state_ == State::Present; }
    // The paper sensor sees paper.
    bool sensed() const { return state_ == State::Present || state_ == State::AwaitingContinue; }

    // The roll ends. `interrupted`: the document whose printing stopped ("" = none was printing).
    void run_out(std::string interrupted = {}) {
        interrupted_ = std::move(interrupted);
        state_ = interrupted_.empty() ? State::Out : State::OutWhilePrinting;
    }
    // The operator loads a roll.
    void load() {
        if (state_ == State::Out) state_ = State::Present;
        if (state_ == State::OutWhilePrinting) state_ = State::AwaitingContinue;
    }
    // "Continue printing": the interrupted document, printed now; nullopt when nothing waits.
    std::optional<std::string> resume() {
        if (state_ != State::AwaitingContinue) return std::nullopt;
        state_ = State::Present;
        return std::exchange(interrupted_, {});
    }

  private:
    State state_ = State::Present;
    std::string interrupted_;
};

}  // namespace kassa::sim
