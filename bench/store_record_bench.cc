// The cost of recording one observation on the hot path: npuprobe's registry against
// prometheus-cpp's Histogram::Observe and a plain shared atomic, with 1 and 2 threads on the
// same series. Plus the cold side: one publisher flush.
#include <benchmark/benchmark.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "npuprobe/store/publisher.h"

namespace {

using namespace npuprobe::store;

// Launch-latency style buckets: 1 us .. 1 s (13 finite bounds).
const std::vector<double> kBounds = {1e-6,   2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4,
                                     2.5e-4, 5e-4,   1e-3, 1e-2, 1e-1,   1};

// Values spread over the buckets; indexed by a counter so the compiler cannot fold them.
const std::array<double, 8> kValues = {3e-6, 7e-6, 2e-5, 4e-5, 9e-5, 3e-4, 2e-3, 0.5};

MetricRegistry &store_registry() {
  static MetricRegistry registry;
  return registry;
}

const HistogramHandle kStoreHistogram = store_registry().histogram(
    store_registry().add_family(histogram_spec("bench_latency", "h", {"api"}, kBounds)), {"aclnn"});
const CounterHandle kStoreCounter = store_registry().counter(
    store_registry().add_family(counter_spec("bench_launches", "h", {"api"})), {"aclnn"});

prometheus::Histogram &promcpp_histogram() {
  static prometheus::Registry registry;
  static prometheus::Histogram &histogram = prometheus::BuildHistogram()
                                                .Name("bench_latency")
                                                .Help("h")
                                                .Register(registry)
                                                .Add({{"api", "aclnn"}}, kBounds);
  return histogram;
}

std::atomic<std::uint64_t> g_shared_counter{0};

void BM_StoreHistogramObserve(benchmark::State &state) {
  std::size_t i = 0;
  for (auto _ : state) store_registry().observe(kStoreHistogram, kValues[i++ & 7]);
}
BENCHMARK(BM_StoreHistogramObserve)->Threads(1)->Threads(2);

void BM_StoreCounterAdd(benchmark::State &state) {
  for (auto _ : state) store_registry().add(kStoreCounter, 1);
}
BENCHMARK(BM_StoreCounterAdd)->Threads(1)->Threads(2);

void BM_PromCppHistogramObserve(benchmark::State &state) {
  prometheus::Histogram &histogram = promcpp_histogram();
  std::size_t i = 0;
  for (auto _ : state) histogram.Observe(kValues[i++ & 7]);
}
BENCHMARK(BM_PromCppHistogramObserve)->Threads(1)->Threads(2);

void BM_SharedAtomicFetchAdd(benchmark::State &state) {
  for (auto _ : state) g_shared_counter.fetch_add(1, std::memory_order_relaxed);
}
BENCHMARK(BM_SharedAtomicFetchAdd)->Threads(1)->Threads(2);

// Cold side: one publisher flush for N histogram series (each 13 bounds + Inf + sum = 15
// entries) in an existing v2 file, after T threads recorded into every series (range(1); each
// thread has its own shard, which outlives the thread, so the flush merges T shards).
void BM_PublisherFlush(benchmark::State &state) {
  char pattern[] = "/tmp/npuprobe-bench-XXXXXX";
  const std::string dir = ::mkdtemp(pattern);
  {
    MetricRegistry registry;
    const FamilyId family =
        registry.add_family(histogram_spec("flush_latency", "h", {"api"}, kBounds));
    std::vector<HistogramHandle> series;
    for (int s = 0; s < state.range(0); ++s)
      series.push_back(registry.histogram(family, {std::to_string(s)}));
    std::vector<std::thread> recorders;
    for (int t = 0; t < state.range(1); ++t) {
      recorders.emplace_back([&registry, &series, t] {
        for (const HistogramHandle &h : series) registry.observe(h, kValues[std::size_t(t) & 7]);
      });
    }
    for (std::thread &recorder : recorders) recorder.join();
    Publisher publisher(registry, {{dir, FormatPreference::kV2, "", {}}});
    publisher.flush_now();
    for (auto _ : state) publisher.flush_now();
    state.counters["entries"] = static_cast<double>(state.range(0) * 15);
    state.counters["shards"] = static_cast<double>(registry.thread_shard_count());
  }
  std::system(("rm -rf " + dir).c_str());
}
BENCHMARK(BM_PublisherFlush)
    ->ArgNames({"series", "threads"})
    ->ArgsProduct({{10, 100, 1000}, {1, 2, 8}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
