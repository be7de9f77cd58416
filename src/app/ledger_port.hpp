// The ledger as a register worker sees it (drivers::ReceiptPort): marks receipts, builds the
// receipt-check QR string on confirmation, and tells the service when a receipt has settled.
#pragma once

#include <functional>

#include "drivers/worker/worker.hpp"
#include "ledger/ledger.hpp"

namespace kassa::app {

class LedgerPort final : public drivers::ReceiptPort {
  public:
    LedgerPort(ledger::Ledger& ledger, std::function<void(std::int64_t)> on_settled)
        : ledger_(ledger), on_settled_(std::move(on_settled)) {}

    void mark_sending(std::int64_t id) override;
    void mark_confirmed(std::int64_t id, const drivers::FiscalResult& result) override;
    void mark_failed(std::int64_t id, const std::string& why) override;
    void mark_uncertain(std::int64_t id, const std::string& why) override;
    bool document_claimed(const std::string& fn_number, std::uint32_t fd_number) override;

  private:
    ledger::Ledger& ledger_;
    std::function<void(std::int64_t)> on_settled_;
};

}  // namespace kassa::app
