// The in-process metric registry: families and label sets are registered once, then recorded
// through handles on the hot path with no lock, no allocation and no syscall.
//
// Counters and histograms live in per-thread shards: each thread adds into its own cells
// (single-writer relaxed atomics) and the publisher sums the shards. Shards belong to the
// registry and outlive their threads: a thread that exits keeps its counts. Gauges are
// process-wide last-writer-wins slots stamped with the wall clock (for `mostrecent`).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "npuprobe/store/detail/thread_shard.h"
#include "npuprobe/store/family.h"
#include "npuprobe/store/handles.h"
#include "npuprobe/store/registry_snapshot.h"

namespace npuprobe::store {

// Longest label value kept, in bytes (docs/contract.md, "Metrics"). A value comes from the
// environment (VLLM_DP_RANK) or from names the application chooses (aclnn ops); without a cap a
// 100 kB value is written into every series key of every store file.
inline constexpr std::size_t kMaxLabelValueBytes = 128;
// `value` cut to at most kMaxLabelValueBytes, never inside a UTF-8 character; true when cut.
bool cut_label_value(std::string &value);

struct RegistryLimits {
  // Cells per thread shard (8 bytes each). Shards are calloc'ed, so pages no series uses are
  // never touched and cost no memory: 1 MiB of address space per recording thread.
  std::uint32_t max_cells = 1u << 17;
  std::uint32_t max_gauges = 1u << 12;
};

class MetricRegistry {
 public:
  explicit MetricRegistry(RegistryLimits limits = {});
  ~MetricRegistry();
  MetricRegistry(const MetricRegistry &) = delete;
  MetricRegistry &operator=(const MetricRegistry &) = delete;

  // Registration (cold; thread-safe). Throws MetricSpecError with a clear message on an
  // invalid name, label name, bucket list, duplicate family, wrong label count or full registry.
  FamilyId add_family(const FamilySpec &spec);
  // Detail families (op-labelled series) are what gets cut when the registry runs low: their
  // series are refused while fewer than the reserved cells (reserve_cells) would stay free.
  // Every other series first takes its cells out of the reserve. Call before resolving series.
  void mark_detail(FamilyId family);
  void reserve_cells(std::uint32_t cells);
  // Cells one series of `family` takes: 1 for a counter, buckets + 2 for a histogram, 0 for a
  // gauge (gauges have their own slots).
  std::uint32_t cells_per_series(FamilyId family) const;
  // Resolving the same label values again returns the same handle. A label value longer than
  // kMaxLabelValueBytes is cut to that length (at a UTF-8 character boundary) before it names
  // the series; the first cut is logged.
  CounterHandle counter(FamilyId family, const std::vector<std::string> &label_values);
  GaugeHandle gauge(FamilyId family, const std::vector<std::string> &label_values);
  HistogramHandle histogram(FamilyId family, const std::vector<std::string> &label_values);
  // A counter and a histogram with the same labels, both or neither (one lock): a detail pair
  // never leaves half of itself behind when the room for detail runs out.
  std::pair<CounterHandle, HistogramHandle> counter_and_histogram(
      FamilyId counter, FamilyId histogram, const std::vector<std::string> &label_values);

  // Recording (hot; any thread).
  void add(CounterHandle counter, double amount = 1.0) noexcept {
    Recorder(thread_cells()).add(counter, amount);
  }

  __attribute__((always_inline)) void observe(HistogramHandle histogram, double value) noexcept {
    Recorder(thread_cells()).observe(histogram, value);
  }

  // Several records in a row on one thread: the thread's shard is looked up once (by
  // recorder()) instead of once per record. Use it within one call, on the thread that made it.
  class Recorder {
   public:
    void add(CounterHandle counter, double amount = 1.0) const noexcept {
      detail::add_to_cell(cells_[counter.cell], amount);
    }
    __attribute__((always_inline)) void observe(HistogramHandle histogram,
                                                double value) const noexcept {
      detail::Cell *cells = cells_ + histogram.first_cell;
      // First bound >= value (Prometheus `le`); past the end = the +Inf bucket.
      const std::uint32_t bucket =
          histogram.index != nullptr
              ? histogram.index->find(histogram.bounds, histogram.bound_count, value)
              : static_cast<std::uint32_t>(std::lower_bound(histogram.bounds,
                                                            histogram.bounds +
                                                                histogram.bound_count,
                                                            value) -
                                           histogram.bounds);
      detail::add_to_cell(cells[bucket], 1.0);
      detail::add_to_cell(cells[histogram.bound_count + 1], value);
    }
    // observe(histogram, ns / 1e9) for a duration in integer nanoseconds: the same bucket and
    // sum, but the bucket is found from the integer (BucketIndex::find_ns), so the division
    // only feeds the sum and no longer delays the bucket's cell.
    __attribute__((always_inline)) void observe_ns(HistogramHandle histogram,
                                                   std::uint64_t ns) const noexcept {
      detail::Cell *cells = cells_ + histogram.first_cell;
      const std::uint32_t bucket =
          histogram.index != nullptr ? histogram.index->find_ns(histogram.bound_count, ns) : 0;
      detail::add_to_cell(cells[bucket], 1.0);
      detail::add_to_cell(cells[histogram.bound_count + 1], static_cast<double>(ns) / 1e9);
    }

   private:
    friend class MetricRegistry;
    explicit Recorder(detail::Cell *cells) noexcept : cells_(cells) {}
    detail::Cell *cells_;
  };
  Recorder recorder() noexcept { return Recorder(thread_cells()); }

  void set(GaugeHandle gauge, double value) noexcept;

  // Publisher side: refreshes totals and appends metadata registered since the last call.
  void collect(RegistrySnapshot &snapshot) const;

  // fork(): call prepare_fork() before, then resume_after_fork_in_parent() in the parent or
  // reset_after_fork() in the child (pthread_atfork order). The child drops every count and
  // gauge value it inherited, keeps families and handles, and records afresh.
  void prepare_fork();
  void resume_after_fork_in_parent();
  void reset_after_fork();

  std::size_t thread_shard_count() const;

 private:
  struct GaugeSlot {
    std::atomic<double> value;
    std::atomic<double> timestamp;
  };
  struct Shard;

  detail::Cell *thread_cells() noexcept {
    const detail::ThreadShardCache &cache = detail::tls_shard_cache;
    if (__builtin_expect(cache.token == token_.load(std::memory_order_relaxed), 1)) {
      return cache.cells;
    }
    return attach_thread_slow();
  }
  detail::Cell *attach_thread_slow() noexcept;
  // Label values cut to kMaxLabelValueBytes (the first cut is logged). No lock needed.
  std::vector<std::string> capped_labels(const std::vector<std::string> &given);
  // mutex_ held. A detail series also needs `keep_room` more cells free after it.
  std::uint32_t resolve_series(FamilyId family, MetricType expected,
                               const std::vector<std::string> &label_values,
                               std::uint32_t keep_room = 0);
  HistogramHandle histogram_handle(FamilyId family, std::uint32_t series) const;

  const RegistryLimits limits_;
  std::atomic<std::uint64_t> token_;
  mutable std::mutex mutex_;
  std::deque<FamilyInfo> families_;  // deque: bounds pointers in handles stay valid
  std::vector<SeriesInfo> series_;
  std::unordered_map<std::string, std::uint32_t> series_by_key_;
  std::unordered_map<std::string, std::uint32_t> family_by_name_;
  std::vector<std::unique_ptr<Shard>> shards_;
  detail::Cell *discard_cells_;  // used by a thread whose shard could not be allocated
  GaugeSlot *gauges_;
  std::uint32_t cells_used_;
  std::uint32_t gauges_used_;
  std::uint32_t reserved_cells_ = 0;  // still kept for non-detail series
  std::atomic<bool> label_cut_logged_{false};
  std::uint64_t fork_generation_ = 0;
};

}  // namespace npuprobe::store
