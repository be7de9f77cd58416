#include "app/ledger_port.hpp"

#include <spdlog/logger.h>
#include <boost/json.hpp>

#include "common/log.hpp"
#include "fiscal/check_qr.hpp"
#include "notify/notification.hpp"

namespace kassa::app {

void LedgerPort::mark_sending(std::int64_t id) {
    ledger_.mark_sending(id);
    changed(id);
}

LedgerPort::Confirmation LedgerPort::confirmation(std::int64_t id, const fiscal::Receipt& receipt,
                                                  const drivers::FiscalResult& r) const {
    ledger::FiscalResult result{.fd_number = r.fd_number,
                                .fiscal_sign = r.fiscal_sign,
                                .fn_number = r.fn_number,
                                .shift = static_cast<std::uint32_t>(r.shift_number),
                                .receipt_number = static_cast<std::uint32_t>(r.receipt_number),
                                .time = r.date_time,
                                .qr = {}};
    // The device's clock is local wall time carried as if it were UTC (see the drivers), so its
    // seconds since the epoch are the local components the QR string wants.
    const auto local = std::chrono::duration_cast<std::chrono::seconds>(r.date_time.time_since_epoch()).count();
    auto qr = fiscal::check_qr_string(fiscal::CheckQrData{.time = fiscal::DocumentTime::from_local_unix(local),
                                                          .total = receipt.total,
                                                          .fn_serial = r.fn_number,
                                                          .document_number = r.fd_number,
                                                          .fiscal_sign = r.fiscal_sign,
                                                          .sign = receipt.sign});
    if (qr)
        result.qr = *qr;
    else
        log::get("ledger")->warn("receipt {}: no check QR: {}", id, qr.error().message);

    std::vector<ledger::OutboxDraft> drafts;
    if (!receipt.buyer_contact.empty()) {
        const auto channel = notify::channel_for(receipt.buyer_contact);
        if ((channel == notify::Channel::kEmail && email_) || (channel == notify::Channel::kSms && sms_))
            drafts.push_back(
                ledger::OutboxDraft{notify::outbox_kind(channel),
                                    boost::json::serialize(boost::json::object{{"to", receipt.buyer_contact}})});
    }
    return Confirmation{std::move(result), std::move(drafts)};
}

void LedgerPort::confirmed(std::int64_t id, bool outbox) const {
    on_settled_(id);
    changed(id);
    if (outbox && on_outbox_) on_outbox_();
}

void LedgerPort::mark_confirmed(std::int64_t id, const fiscal::Receipt& receipt, const drivers::FiscalResult& r) {
    auto c = confirmation(id, receipt, r);
    ledger_.mark_confirmed(id, c.result, c.drafts);
    confirmed(id, !c.drafts.empty());
}

void LedgerPort::mark_confirmed_then_sending(std::int64_t id, const fiscal::Receipt& receipt,
                                             const drivers::FiscalResult& r, std::int64_t next, bool& next_sending) {
    next_sending = false;
    auto c = confirmation(id, receipt, r);
    const bool outbox = !c.drafts.empty();
    // Queued back to back, so the writer usually commits both in one batch: one wait instead of
    // two. The write queue commits in order, so `next` is never durable `sending` without this
    // confirmation before it (after a crash: neither, the confirmation alone, or both).
    auto confirm = ledger_.mark_confirmed_async(id, std::move(c.result), std::move(c.drafts));
    std::future<void> send;
    try {
        send = ledger_.mark_sending_async(next);
    } catch (...) {  // not queued: `next` stays planned
    }
    std::exception_ptr failed;
    try {
        confirm.get();
    } catch (...) {
        failed = std::current_exception();
    }
    if (send.valid()) {
        try {
            send.get();
            next_sending = true;
        } catch (...) {
        }
    }
    if (next_sending) changed(next);
    if (failed) std::rethrow_exception(failed);
    confirmed(id, outbox);
}

void LedgerPort::mark_failed(std::int64_t id, const std::string& why) {
    ledger_.mark_failed(id, why);
    on_settled_(id);
    changed(id);
}

void LedgerPort::mark_uncertain(std::int64_t id, const std::string& why) {
    ledger_.mark_uncertain(id, why);
    changed(id);
}

bool LedgerPort::document_claimed(const std::string& fn_number, std::uint32_t fd_number) {
    return ledger_.has_fiscal_document(fn_number, fd_number);
}

}  // namespace kassa::app
