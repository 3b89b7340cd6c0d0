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

// Cold side: merge the shards of 2 threads and store every value, for N histogram series
// (each 13 bounds + Inf + sum = 15 entries) in an existing v2 file.
void BM_PublisherFlush(benchmark::State &state) {
  char pattern[] = "/tmp/npuprobe-bench-XXXXXX";
  const std::string dir = ::mkdtemp(pattern);
  {
    MetricRegistry registry;
    const FamilyId family =
        registry.add_family(histogram_spec("flush_latency", "h", {"api"}, kBounds));
    for (int s = 0; s < state.range(0); ++s)
      registry.observe(registry.histogram(family, {std::to_string(s)}), 1e-4);
    Publisher publisher(registry, {{dir, FormatPreference::kV2, "", {}}});
    publisher.flush_now();
    for (auto _ : state) publisher.flush_now();
    state.counters["entries"] = static_cast<double>(state.range(0) * 15);
  }
  std::system(("rm -rf " + dir).c_str());
}
BENCHMARK(BM_PublisherFlush)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
