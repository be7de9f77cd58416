#include "drivers/worker/pool.hpp"

#include <algorithm>
#include <limits>

namespace kassa::drivers {

namespace {

// Lower is better: a register that can print now beats one that cannot.
int availability_rank(WorkerState state) {
    switch (state) {
        case WorkerState::Idle:
            return 0;
        case WorkerState::Busy:
            return 1;
        case WorkerState::Connecting:
            return 2;
        case WorkerState::NeedsOperator:
            return 3;
        case WorkerState::Offline:
            return 4;
        case WorkerState::DeviceStopped:
            return 5;
        case WorkerState::Stopped:
            return 6;
    }
    return 7;
}

}  // namespace

void RegisterPool::add(std::string entity_inn, std::unique_ptr<RegisterWorker> worker) {
    worker->share_fn_claims(claims_);
    entries_.push_back(Entry{std::move(entity_inn), std::move(worker), std::make_unique<std::atomic<int>>(0)});
}

Result<std::string> RegisterPool::pick(const std::string& entity_inn, const std::vector<std::string>& allowed) const {
    const Entry* best = nullptr;
    std::pair<int, std::size_t> best_key{std::numeric_limits<int>::max(), 0};
    for (const auto& e : entries_) {
        if (e.entity_inn != entity_inn) continue;
        if (!allowed.empty() && std::ranges::find(allowed, e.worker->register_id()) == allowed.end()) continue;
        const auto [state, depth] = e.worker->load();
        // Idle and busy registers both print now; among them the least loaded wins, counting the
        // receipts picked for it that are still being committed (many requests arrive at once).
        const int rank = state == WorkerState::Idle ? 0 : availability_rank(state);
        const std::size_t load =
            depth + static_cast<std::size_t>(e.reserved->load()) + (state == WorkerState::Busy ? 1 : 0);
        const std::pair<int, std::size_t> key{rank <= 1 ? 0 : rank, load};
        if (!best || key < best_key) {
            best = &e;
            best_key = key;
        }
    }
    if (!best)
        return fail("no_register", "no register of legal entity " + entity_inn + " is configured for this caller");
    best->reserved->fetch_add(1);
    return best->worker->register_id();
}

void RegisterPool::release(const std::string& register_id) const {
    for (const auto& e : entries_)
        if (e.worker->register_id() == register_id) {
            e.reserved->fetch_sub(1);
            return;
        }
}

RegisterWorker* RegisterPool::find(const std::string& register_id) const {
    for (const auto& e : entries_)
        if (e.worker->register_id() == register_id) return e.worker.get();
    return nullptr;
}

std::string RegisterPool::entity_of(const std::string& register_id) const {
    for (const auto& e : entries_)
        if (e.worker->register_id() == register_id) return e.entity_inn;
    return {};
}

std::vector<RegisterWorker*> RegisterPool::workers() const {
    std::vector<RegisterWorker*> out;
    for (const auto& e : entries_) out.push_back(e.worker.get());
    return out;
}

void RegisterPool::enable_failover(Reassign reassign) {
    for (auto& e : entries_) {
        // The registers of the same entity that print now (idle or busy), with their queue depths:
        // read once per hand-over (one cheap load() each), not once per receipt.
        auto siblings = [this, entity = e.entity_inn, self = e.worker.get()] {
            std::vector<std::pair<RegisterWorker*, std::pair<int, std::size_t>>> out;
            for (const auto& other : entries_) {
                if (other.entity_inn != entity || other.worker.get() == self) continue;
                const auto [state, depth] = other.worker->load();
                const int rank = availability_rank(state);
                if (rank <= 1) out.push_back({other.worker.get(), {rank, depth}});
            }
            return out;
        };
        e.worker->on_stranded(
            [reassign, siblings](const std::string&, std::vector<ReceiptJob> jobs) {
                auto targets = siblings();
                std::vector<ReceiptJob> left;
                for (auto& job : jobs) {
                    auto best = std::ranges::min_element(targets, {}, [](const auto& t) { return t.second; });
                    if (best != targets.end() && reassign(job.id, best->first->register_id())) {
                        best->first->submit(std::move(job));
                        ++best->second.second;  // the next receipt goes to the least loaded then
                    } else {
                        left.push_back(std::move(job));
                    }
                }
                return left;
            },
            [siblings] { return !siblings().empty(); });
    }
}

void RegisterPool::start_all() {
    for (auto& e : entries_) e.worker->start();
}

void RegisterPool::stop_all() {
    for (auto& e : entries_) e.worker->stop();
}

}  // namespace kassa::drivers
