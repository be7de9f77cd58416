#include "app/notifier.hpp"

#include "common/uri.hpp"

#include <spdlog/logger.h>
#include <boost/json.hpp>

#include "common/log.hpp"
#include "qr/render.hpp"

namespace kassa::app {

namespace {

using namespace std::chrono_literals;

std::string roubles(fiscal::Kopecks k) { return k.to_roubles_string(); }

const char* sign_text(fiscal::CalcSign s) {
    switch (s) {
        case fiscal::CalcSign::Income:
            return "Приход";
        case fiscal::CalcSign::IncomeReturn:
            return "Возврат прихода";
        case fiscal::CalcSign::Expense:
            return "Расход";
        case fiscal::CalcSign::ExpenseReturn:
            return "Возврат расхода";
    }
    return "";
}

// The receipt as text for the e-mail body: what the paper receipt says, in the same order.
std::string receipt_text(const ledger::ReceiptRecord& r) {
    const auto& receipt = r.planned.receipt;
    std::string t = std::string("Кассовый чек. ") + sign_text(receipt.sign) + "\n\n";
    for (const auto& l : receipt.lines)
        t += l.name + "\n  " + l.quantity.to_string() + " × " + roubles(l.price) + " = " + roubles(l.amount) + "\n";
    t += "\nИТОГ: " + roubles(receipt.total) + "\n";
    const auto& p = receipt.payments;
    if (p.cash.is_positive()) t += "Наличными: " + roubles(p.cash) + "\n";
    if (p.electronic.is_positive()) t += "Безналичными: " + roubles(p.electronic) + "\n";
    if (p.prepayment.is_positive()) t += "Предварительная оплата (зачёт аванса): " + roubles(p.prepayment) + "\n";
    if (p.credit.is_positive()) t += "Последующая оплата (кредит): " + roubles(p.credit) + "\n";
    if (!receipt.cashier.empty()) t += "Кассир: " + receipt.cashier + "\n";
    if (!receipt.settlement_address.empty()) t += "Место расчётов: " + receipt.settlement_address + "\n";
    if (r.fiscal) {
        t += "ФН: " + r.fiscal->fn_number + "  ФД: " + std::to_string(r.fiscal->fd_number) +
             "  ФП: " + std::to_string(r.fiscal->fiscal_sign) + "\n";
    }
    return t;
}

}  // namespace

Notifier::Notifier(ledger::Ledger& ledger, notify::Sender& sender, NotifierOptions options, const Clock& clock)
    : ledger_(ledger), sender_(sender), options_(std::move(options)), clock_(clock) {}

Notifier::~Notifier() { stop(); }

void Notifier::start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void Notifier::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Notifier::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_all();
}

void Notifier::loop() {
    auto logger = log::get("notify");
    while (true) {
        std::vector<ledger::OutboxMessage> batch;
        try {
            // A lease longer than any send: a message is handed out again only if we died.
            batch = ledger_.outbox_claim(8, 5min);
        } catch (const std::exception& e) {
            logger->error("outbox: {}", e.what());
        }
        for (const auto& m : batch) {
            try {
                deliver(m);
            } catch (const std::exception& e) {
                logger->error("outbox message {}: {}", m.id, e.what());
            }
        }
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        if (batch.empty()) {
            // Retries come due with time; new messages wake us.
            cv_.wait_for(lock, 1s, [this] { return stopping_ || woken_; });
            woken_ = false;
            if (stopping_) return;
        }
    }
}

void Notifier::deliver(const ledger::OutboxMessage& m) {
    auto logger = log::get("notify");
    boost::system::error_code ec;
    const auto payload = boost::json::parse(m.payload, ec);
    if (ec || !payload.is_object() || !payload.as_object().contains("to") || !m.receipt) {
        ledger_.outbox_mark_dead(m.id, "malformed outbox message");
        return;
    }
    const std::string to(payload.as_object().at("to").as_string());
    const auto record = ledger_.receipt(*m.receipt);
    if (!record || !record->fiscal) {
        ledger_.outbox_mark_dead(m.id, "the receipt is not confirmed");
        return;
    }
    notify::Notification n;
    n.kind = notify::channel_of_kind(m.kind);
    n.to = to;
    n.id = "r" + std::to_string(*m.receipt) + "-m" + std::to_string(m.id);
    if (!options_.check_url.empty() && !record->fiscal->qr.empty()) {
        n.link = options_.check_url;
        if (auto at = n.link.find("{qr}"); at != std::string::npos)
            n.link.replace(at, 4, url_encode(record->fiscal->qr));
    }
    if (n.kind == notify::Channel::kEmail) {
        n.subject = "Кассовый чек № " + std::to_string(record->fiscal->fd_number);
        n.text = receipt_text(*record);
        if (auto png = qr::render_png(record->fiscal->qr); png) n.png = std::move(*png);
    } else {
        n.text = "Чек " + roubles(record->planned.receipt.total) + " руб. ФН " + record->fiscal->fn_number + " ФД " +
                 std::to_string(record->fiscal->fd_number) + " ФП " + std::to_string(record->fiscal->fiscal_sign);
    }
    const auto sent = sender_.send(n);
    struct Announce {  // however this ends, the receipt's delivery state changed
        const std::function<void(std::int64_t)>& listener;
        std::int64_t receipt;
        ~Announce() {
            if (listener) listener(receipt);
        }
    } announce{on_delivery_, *m.receipt};
    if (sent) {
        ledger_.outbox_mark_sent(m.id);
        logger->info("receipt {} sent by {} to {}", *m.receipt, m.kind, log::mask_contact(to));
        return;
    }
    const auto& failure = sent.error();
    const bool again = failure.retryable && m.attempts < options_.retry.max_attempts;
    logger->warn("receipt {} by {} to {}: {} ({})", *m.receipt, m.kind, log::mask_contact(to), failure.error.message,
                 again ? "will retry" : "giving up");
    if (again)
        ledger_.outbox_mark_failed(m.id, failure.error.message, notify::backoff_delay(options_.retry, m.attempts));
    else
        ledger_.outbox_mark_dead(m.id, failure.error.message);
}

}  // namespace kassa::app
