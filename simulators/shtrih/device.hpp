// The command layer of the simulated Shtrih-M register: one request body in, one answer body out
// (shared/spec/protocols.md §1.5, §1.7–§1.10). It keeps the register's volatile state (open receipt,
// low-level shift steps) and the emulated FN (fn_state.hpp), saved after every fiscal document.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "drivers/shtrih/commands.hpp"
#include "simulators/shtrih/faults.hpp"
#include "simulators/shtrih/fn_state.hpp"

namespace kassa::sim {

using drivers::shtrih::Bytes;

class SimDevice {
  public:
    // `state_path` empty = keep the FN in memory only.
    SimDevice(FnState state, std::string state_path, const Clock& clock, Faults faults);

    // Executes one command. `power_cut` is set when the answer must never be sent (fault).
    Bytes handle(const Bytes& request_body, bool& power_cut);

    // The operator loads a new roll (§1.7): a passive paper-out (sub-mode 1) ends at once; after an
    // active one (sub-mode 2, the tape ran out mid-document) the device waits for B0h (sub-mode 3).
    void load_paper();

    const FnState& fn() const { return fn_; }
    const std::vector<std::string>& tape() const { return tape_; }

  private:
    struct Line {
        drivers::shtrih::OperationV2 op;
        Bytes tags;  // FF4D tags bound to this line
    };
    struct OpenReceipt {
        std::uint8_t type = 0;  // 0..3 as in 8Dh
        bool correction = false;
        Bytes tags;  // FF0C document tags
        std::vector<Line> lines;
        Bytes pending_line_tags;  // FF4D before FF46 ("cash-core" order)
        std::uint64_t total = 0;
    };
    enum class ShiftStep : std::uint8_t { None, Opening, Closing, Correction };

    Bytes dispatch(const drivers::shtrih::Request& req, bool& power_cut);
    std::uint8_t mode() const;
    bool shift_expired() const;
    std::int64_t now_unix() const;
    // Paper state = the Shtrih sub-mode number (§1.7).
    enum class Paper : std::uint8_t { Present = 0, Out = 1, OutWhilePrinting = 2, AwaitingContinue = 3 };
    std::uint8_t submode() const { return static_cast<std::uint8_t>(paper_); }
    std::uint16_t flags() const;
    // The error a print command gets in the current paper state (§1.7, §1.10: 6Bh, 58h), if any.
    std::optional<std::uint8_t> print_refused() const;
    Bytes cash(const drivers::shtrih::Request& req);
    std::uint32_t sign(const Bytes& tlv) const;
    // Appends a document to the archive, saves the state file; returns the archived entry.
    const ArchivedDocument& write_document(std::uint8_t type, Bytes tlv, std::uint8_t operation, std::uint64_t total);
    void put_common_tags(Bytes& tlv, std::uint32_t fd) const;

    Bytes open_shift(std::uint16_t code, const drivers::shtrih::Request& req, const Bytes& tags);
    Bytes close_shift(std::uint16_t code, const drivers::shtrih::Request& req, const Bytes& tags);
    Bytes operation(const drivers::shtrih::Request& req);
    Bytes close_receipt(const drivers::shtrih::Request& req, bool& power_cut);
    Bytes correction_v2(const drivers::shtrih::Request& req);

    FnState fn_;
    std::string state_path_;
    const Clock& clock_;
    Faults faults_;
    std::optional<OpenReceipt> receipt_;
    ShiftStep shift_step_ = ShiftStep::None;
    Bytes shift_tags_;
    std::uint64_t receipts_this_run_ = 0;
    std::vector<std::string> tape_;
    Bytes barcode_data_;  // DDh blocks for DEh
    Paper paper_ = Paper::Present;
    std::string interrupted_;    // what was printing when the tape ran out (sub-modes 2, 3)
    std::string last_document_;  // what 8Ch prints again
};

}  // namespace kassa::sim
