// How receipts and registers look in JSON, wherever the API shows them: the routes that read them
// and the live events (api/events.hpp) that announce their changes, so both say the same.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "common/clock.hpp"
#include "ledger/ledger.hpp"

namespace kassa::drivers {
class RegisterWorker;
}

namespace kassa::api {

// "2026-12-02T14:05:00Z"
std::string iso_time(Clock::time_point t);

// A receipt: state, register, customer, orders, the planned receipt, once confirmed its fiscal
// data, the card reference and, for late settlements, the true time and where the office stands.
boost::json::object record_to_json(const ledger::ReceiptRecord& r);

// The same with its e-receipt deliveries (the outbox's messages for it).
boost::json::object record_with_deliveries(const ledger::Ledger& ledger, const ledger::ReceiptRecord& r);

// A register as its worker last saw it: state, queue, shift, FN, OFD backlog, paper.
boost::json::object register_to_json(const drivers::RegisterWorker& worker, const std::string& entity);

}  // namespace kassa::api
