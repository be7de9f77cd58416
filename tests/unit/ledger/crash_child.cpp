// The process crash_test kills with SIGKILL. Usage: ledger_crash_child <db> <round>
// It first finishes what the previous (killed) run left — as the register workers would: planned
// receipts are sent, sending/uncertain ones are reconciled — then prints "ready" and lets four
// producers store, send and confirm/fail receipts forever, printing one '\n' per finished receipt.
// Every receipt's confirmation journals three balance entries, so a half-applied confirmation
// would show as a receipt with one or two entries.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "ledger/ledger.hpp"

using namespace kassa;
using namespace kassa::ledger;
using namespace kassa::fiscal;

namespace {

void say(const char* text, std::size_t n) {
    // One write(2) per marker: markers from several threads never interleave.
    if (::write(STDOUT_FILENO, text, n) != static_cast<ssize_t>(n)) std::_Exit(3);
}

FiscalResult fiscal_for(ReceiptId id) {
    return FiscalResult{static_cast<std::uint64_t>(id),
                        7'000'000'000ull + static_cast<std::uint64_t>(id),
                        "9999078900012345",
                        1,
                        static_cast<std::uint32_t>(id),
                        SystemClock::instance().now(),
                        ""};
}

PlannedReceipt receipt_for(const std::string& customer, std::int64_t i) {
    PlannedReceipt p;
    p.customer = customer;
    p.receipt.total = Kopecks{100 + i};
    p.balance_moves = {{Account::CustomerAdvance, customer, Kopecks{100 + i}},
                       {Account::CustomerAdvance, customer, Kopecks{-i}},
                       {Account::CustomerAdvance, customer, Kopecks{1}}};
    return p;
}

// The reconciliation a worker would do; which way it goes is irrelevant to the ledger.
void resolve(Ledger& ledger, const ReceiptRecord& r) {
    if (r.state == ReceiptState::Sending) ledger.mark_uncertain(r.id, "process restarted");
    if (r.id % 2 == 0) {
        ledger.mark_confirmed(r.id, fiscal_for(r.id));
    } else {
        ledger.mark_failed(r.id, "not found in the fiscal storage");
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s <db> <round>\n", argv[0]);
        return 2;
    }
    const std::string path = argv[1];
    const std::string round = argv[2];
    log::set_level("error");
    try {
        auto ledger = Ledger::open(path, SystemClock::instance());
        ledger->upsert_entity({"7700000000", "OOO"});
        ledger->upsert_register({"kkt1", "7700000000", "", true});
        for (const auto& [reg, list] : ledger->recovery()) {
            for (const auto& r : list) resolve(*ledger, r);
        }
        for (const auto& r : ledger->receipts({.state = ReceiptState::Planned, .limit = 1'000'000})) {
            ledger->mark_sending(r.id);
            ledger->mark_confirmed(r.id, fiscal_for(r.id));
        }
        say("ready\n", 6);

        std::vector<std::thread> producers;
        for (int t = 0; t < 4; ++t) {
            producers.emplace_back([&, t] {
                const std::string customer = "C" + std::to_string(t);
                for (std::int64_t i = 0;; ++i) {
                    const std::string key = round + "/" + std::to_string(t) + "/" + std::to_string(i);
                    // Two receipts per plan: a plan is stored whole or not at all.
                    StorePlanRequest req{key, key, "kkt1",
                                         Plan{{receipt_for(customer, i), receipt_for(customer, i + 1)}}, std::nullopt};
                    const auto ids = ledger->store_plan(req).receipts;
                    for (const auto id : ids) {
                        switch (id % 5) {
                            case 0:
                                ledger->mark_failed(id, "refused before sending");
                                break;
                            case 1:
                                ledger->mark_sending(id);
                                ledger->mark_failed(id, "device refused");
                                break;
                            case 2:
                                ledger->mark_sending(id);
                                ledger->mark_uncertain(id, "link lost");
                                ledger->mark_confirmed(id, fiscal_for(id));
                                break;
                            default:
                                ledger->mark_sending(id);
                                ledger->mark_confirmed(id, fiscal_for(id));
                                break;
                        }
                        say("\n", 1);
                    }
                }
            });
        }
        for (auto& p : producers) p.join();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crash child: %s\n", e.what());
        return 1;
    }
    return 0;
}
