// The command layer of the simulated Shtrih-M register: one request body in, one answer body out
// (shared/spec/protocols.md §1.5–§1.10). It is only the Shtrih protocol and the KKT's volatile
// state (open receipt, low-level shift steps, the receipt roll); every fiscal document goes to the
// shared emulated FN (simulators/fn/fn.hpp), which checks, numbers, signs, archives and saves it.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "drivers/shtrih/commands.hpp"
#include "simulators/fn/faults.hpp"
#include "simulators/fn/fn.hpp"
#include "simulators/fn/paper.hpp"
#include "simulators/fn/state.hpp"

namespace kassa::sim {

using drivers::shtrih::Bytes;

// What the register says about itself (FCh, 11h; spec §1.8, §1.8.1).
struct ShtrihModel {
    std::string name = "ШТРИХ-М-01Ф";  // FCh name, WIN1251 on the wire
    std::uint8_t model = 0;            // FCh model byte: not in the spec; clients go by the name
    std::uint8_t protocol_version = 1;
    std::uint8_t protocol_subversion = 18;                   // protocol 1.18 (§1)
    std::array<std::uint8_t, 2> firmware_version{'C', '1'};  // printed "C.1"
    std::uint16_t firmware_build = 26703;
    std::array<std::uint8_t, 3> firmware_date{21, 6, 23};  // 21.06.23
    std::uint32_t serial = 12345678;
};

class SimDevice {
  public:
    // `state_path` empty = keep the FN in memory only.
    SimDevice(FnState state, std::string state_path, const Clock& clock, Faults faults, ShtrihModel model = {});

    // Executes one command. `power_cut` is set when the answer must never be sent (fault).
    Bytes handle(const Bytes& request_body, bool& power_cut);

    // The operator loads a new roll (§1.7): a passive paper-out (sub-mode 1) ends at once; after an
    // active one (sub-mode 2, the tape ran out mid-document) the device waits for B0h (sub-mode 3).
    void load_paper() { paper_.load(); }
    // The roll runs out while the device is idle (§1.7: sub-mode 1).
    void run_out_of_paper() { paper_.run_out(); }

    const FnState& fn() const { return fn_.state(); }
    fn::EmulatedFn& emulated_fn() { return fn_; }
    const std::vector<std::string>& tape() const { return tape_; }

  private:
    struct Line {
        drivers::shtrih::OperationV2 op;
        Bytes tags;  // FF4D tags bound to this line
    };
    struct OpenReceipt {
        std::uint8_t type = 0;  // 0..3 as in 8Dh
        bool correction = false;
        std::uint8_t operator_number = 0;
        Bytes tags;  // FF0C document tags
        std::vector<Line> lines;
        Bytes pending_line_tags;  // FF4D before FF46 ("cash-core" order)
        std::uint64_t total = 0;
    };
    enum class ShiftStep : std::uint8_t { None, Opening, Closing, Correction, Settlement };
    struct Closed {
        std::uint64_t change = 0;
        const ArchivedDocument* doc = nullptr;
    };

    Bytes dispatch(const drivers::shtrih::Request& req, bool& power_cut);
    std::uint8_t mode() const;
    std::uint16_t flags() const;
    // The error a print command gets in the current paper state (§1.7, §1.10: 6Bh, 58h), if any.
    std::optional<std::uint8_t> print_refused() const;
    void printed(std::string line);  // a document on the tape; 8Ch prints it again

    Bytes open_shift(std::uint16_t code, std::uint8_t op_no, const Bytes& tags);
    Bytes close_shift(std::uint16_t code, std::uint8_t op_no, const Bytes& tags);
    Bytes table_field(std::uint8_t table, std::uint16_t row, std::uint8_t field, std::uint8_t& error) const;
    // One receipt line from FF46h or the legacy 80h/82h; 0 or the error code.
    std::uint8_t add_line(std::uint16_t code, drivers::shtrih::OperationV2 op, std::uint8_t op_no, Bytes line_tags);
    // FF45h / 85h: payments [0] cash, [1..12] electronic, [13] 1215, [14] 1216, [15] 1217.
    std::expected<Closed, std::uint8_t> close_receipt(const std::array<std::uint64_t, 16>& payments,
                                                      std::uint8_t tax_system, bool& power_cut);
    Bytes correction_v2(const drivers::shtrih::Request& req);
    Bytes cash(const drivers::shtrih::Request& req, std::uint8_t op_no);

    fn::EmulatedFn fn_;
    const Clock& clock_;
    Faults faults_;
    ShtrihModel model_;
    PaperRoll paper_;
    std::optional<OpenReceipt> receipt_;
    ShiftStep shift_step_ = ShiftStep::None;
    Bytes shift_tags_;
    std::uint64_t receipts_this_run_ = 0;
    std::vector<std::string> tape_;
    Bytes barcode_data_;         // DDh blocks for DEh
    std::string last_document_;  // what 8Ch prints again
};

}  // namespace kassa::sim
