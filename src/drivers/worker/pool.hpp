// The registers Kassa drives, grouped by legal entity (INN): a receipt goes to a register of its
// order's entity, the first idle one, else the one with the shortest queue; registers that are
// offline, stopped or waiting for an operator are used only when the entity has nothing better.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "drivers/worker/worker.hpp"

namespace kassa::drivers {

class RegisterPool {
  public:
    // Its workers share one FnClaims: of two registers that reach the same FN, only the first
    // connected takes work.
    void add(std::string entity_inn, std::unique_ptr<RegisterWorker> worker);

    // The register for new receipts of an entity; `allowed` (when not empty) limits the choice
    // (a token bound to registers). Errors: no_register. A register picked counts as loaded by one
    // more receipt until release(register) is called (when its receipts are queued, or refused).
    Result<std::string> pick(const std::string& entity_inn, const std::vector<std::string>& allowed = {}) const;
    void release(const std::string& register_id) const;

    RegisterWorker* find(const std::string& register_id) const;
    // The entity a register belongs to (empty when unknown).
    std::string entity_of(const std::string& register_id) const;
    std::vector<RegisterWorker*> workers() const;

    // Moves a planned receipt to another register in the ledger; false when it can no longer move.
    using Reassign = std::function<bool(std::int64_t receipt_id, const std::string& register_id)>;
    // Enables failover: a register offline for its failover_after hands its never-sent receipts to
    // another register of the same entity that can print now (idle or busy); none: they wait.
    void enable_failover(Reassign reassign);

    void start_all();
    void stop_all();

  private:
    struct Entry {
        std::string entity_inn;
        std::unique_ptr<RegisterWorker> worker;
        std::unique_ptr<std::atomic<int>> reserved;  // picked, not yet queued
    };
    std::vector<Entry> entries_;
    std::shared_ptr<FnClaims> claims_ = std::make_shared<FnClaims>();
};

}  // namespace kassa::drivers
