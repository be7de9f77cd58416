// The ledger as a register worker sees it (drivers::ReceiptPort): marks receipts, builds the
// receipt-check QR string on confirmation, and tells the service when a receipt has settled.
#pragma once

#include <functional>

#include "drivers/worker/worker.hpp"
#include "ledger/ledger.hpp"

namespace kassa::app {

class LedgerPort final : public drivers::ReceiptPort {
  public:
    // `email` / `sms`: whether an e-receipt goes out by that channel (its outbox message is written
    // in the confirming transaction); `on_outbox` wakes the notifier.
    LedgerPort(ledger::Ledger& ledger, std::function<void(std::int64_t)> on_settled, bool email = false,
               bool sms = false, std::function<void()> on_outbox = {})
        : ledger_(ledger),
          on_settled_(std::move(on_settled)),
          email_(email),
          sms_(sms),
          on_outbox_(std::move(on_outbox)) {}

    // Called after every change of a receipt this port made (live events).
    void on_changed(std::function<void(std::int64_t)> listener) { on_changed_ = std::move(listener); }

    void mark_sending(std::int64_t id) override;
    void mark_confirmed(std::int64_t id, const fiscal::Receipt& receipt, const drivers::FiscalResult& result) override;
    void mark_confirmed_then_sending(std::int64_t id, const fiscal::Receipt& receipt,
                                     const drivers::FiscalResult& result, std::int64_t next,
                                     bool& next_sending) override;
    void mark_failed(std::int64_t id, const std::string& why) override;
    void mark_uncertain(std::int64_t id, const std::string& why) override;
    bool document_claimed(const std::string& fn_number, std::uint32_t fd_number) override;

  private:
    struct Confirmation {
        ledger::FiscalResult result;
        std::vector<ledger::OutboxDraft> drafts;
    };
    Confirmation confirmation(std::int64_t id, const fiscal::Receipt& receipt, const drivers::FiscalResult& r) const;
    void confirmed(std::int64_t id, bool outbox) const;

    ledger::Ledger& ledger_;
    std::function<void(std::int64_t)> on_settled_;
    bool email_;
    bool sms_;
    std::function<void()> on_outbox_;
    std::function<void(std::int64_t)> on_changed_;
    void changed(std::int64_t id) const {
        if (on_changed_) on_changed_(id);
    }
};

}  // namespace kassa::app
