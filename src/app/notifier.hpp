// E-receipt delivery from the ledger's outbox: a thread that claims ready messages, builds the
// e-mail (receipt text, check QR image, check link) or the SMS, sends it through src/notify, and
// marks it sent, retried later with exponential backoff, or failed for good. Messages enter the
// outbox in the transaction that confirms their receipt, so none is lost to a crash; a claim lease
// hands a message out again if kassad died while sending it.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <functional>
#include "common/clock.hpp"

#include "ledger/ledger.hpp"
#include "notify/notification.hpp"
#include "notify/retry.hpp"

namespace kassa::app {

struct NotifierOptions {
    notify::RetryPolicy retry;
    std::string check_url;  // "{qr}" is replaced by the URL-encoded check QR string; empty: no link
};

class Notifier {
  public:
    Notifier(ledger::Ledger& ledger, notify::Sender& sender, NotifierOptions options, const Clock& clock);
    ~Notifier();
    void start();
    void stop();
    // A message was enqueued: look now rather than at the next poll.
    void wake();
    // Called (on the notifier's thread) after a receipt's e-receipt was sent, failed or given up.
    void on_delivery(std::function<void(std::int64_t receipt)> listener) { on_delivery_ = std::move(listener); }

  private:
    void loop();
    void deliver(const ledger::OutboxMessage& message);

    ledger::Ledger& ledger_;
    notify::Sender& sender_;
    NotifierOptions options_;
    const Clock& clock_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread thread_;
    std::function<void(std::int64_t)> on_delivery_;
};

}  // namespace kassa::app
