// Group-commit rate of the ledger (issue 5): confirmed receipts per second with N concurrent
// producers, durable (WAL, synchronous=FULL, a real file under the build tree). Each receipt is
// three durable writes, as in production: store the plan (planned, with its idempotency key),
// mark it sending, confirm it with fiscal results (journalling its balance move).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "ledger/ledger.hpp"

namespace {

using namespace kassa;
using namespace kassa::ledger;
using namespace kassa::fiscal;

std::unique_ptr<Ledger> g_ledger;
std::atomic<std::int64_t> g_key{0};

std::string bench_path() {
    const char* dir = std::getenv("KASSA_BENCH_DIR");
    const std::string base = dir != nullptr ? dir : KASSA_BENCH_TMP_DIR;
    std::filesystem::create_directories(base);
    return base + "/ledger_bench.sqlite";
}

void remove_files(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

void setup(const benchmark::State&) {
    log::set_level("warn");
    const auto path = bench_path();
    remove_files(path);
    g_ledger = Ledger::open(path, SystemClock::instance());
    g_ledger->upsert_entity({"7700000000", "OOO"});
    g_ledger->upsert_register({"kkt1", "7700000000", "", true});
}

void teardown(const benchmark::State&) {
    g_ledger.reset();
    remove_files(bench_path());
}

void BM_ConfirmedReceipts(benchmark::State& state) {
    const std::string customer = "C" + std::to_string(state.thread_index());
    PlannedReceipt p;
    p.customer = customer;
    p.receipt.total = Kopecks{100000};
    p.balance_moves = {{Account::CustomerAdvance, customer, Kopecks{100000}}};
    for (auto _ : state) {
        const std::string key = "bench/" + std::to_string(g_key.fetch_add(1));
        const auto id = g_ledger->store_plan({key, key, "kkt1", Plan{{p}}, std::nullopt}).receipts.front();
        g_ledger->mark_sending(id);
        g_ledger->mark_confirmed(id, FiscalResult{static_cast<std::uint64_t>(id), 1, "9999078900012345", 1, 1, {}, ""});
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        const auto s = g_ledger->writer_stats();
        state.counters["ops_per_batch"] =
            s.batches == 0 ? 0.0 : static_cast<double>(s.ops) / static_cast<double>(s.batches);
    }
}

BENCHMARK(BM_ConfirmedReceipts)->Setup(setup)->Teardown(teardown)->Threads(1)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_ConfirmedReceipts)->Setup(setup)->Teardown(teardown)->Threads(16)->UseRealTime()->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
