#include "npuprobe/store/registry.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "family_validation.h"
#include "npuprobe/base/log.h"

namespace npuprobe::store {

using base::log_message;
using base::LogLevel;
namespace {

// Registry tokens are never reused, so a thread's cached token can never match a registry it
// did not attach to (not even one created at the address of a destroyed one).
std::atomic<std::uint64_t> g_next_token{1};

// Cells 0 and 1 and gauge slot 0 are sinks for default-constructed handles; never published.
constexpr std::uint32_t kReservedCells = 2;
constexpr std::uint32_t kReservedGauges = 1;

template <typename T>
T *zeroed_array(std::size_t count) {
  // note: calloc, not new[]: value-initialising would touch every page; calloc'ed memory is
  // zero pages until written, so a large shard costs only what its series use.
  return static_cast<T *>(std::calloc(count, sizeof(T)));
}

double wall_clock_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// The registry cells one series of the family takes: a counter 1, a histogram its buckets, +Inf,
// and the sum; a gauge none (gauges have their own slots).
std::uint32_t cells_of(const FamilyInfo &info) {
  switch (info.type) {
    case MetricType::kCounter: return 1;
    case MetricType::kHistogram: return static_cast<std::uint32_t>(info.bucket_bounds.size()) + 2;
    case MetricType::kGauge: break;
  }
  return 0;
}

std::string series_key(FamilyId family, const std::vector<std::string> &label_values) {
  std::string key = std::to_string(family.index);
  for (const std::string &value : label_values) {
    key += '\0';
    key += value;
  }
  return key;
}

}  // namespace

// `value` cut to at most kMaxLabelValueBytes, never inside a UTF-8 character (Prometheus wants
// valid UTF-8 label values). True when it was cut.
bool cut_label_value(std::string &value) {
  if (value.size() <= kMaxLabelValueBytes) return false;
  std::size_t end = kMaxLabelValueBytes;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
  value.resize(end);
  return true;
}


struct MetricRegistry::Shard {
  std::thread::id owner;
  detail::Cell *cells;
};

MetricRegistry::MetricRegistry(RegistryLimits limits)
    : limits_(limits),
      token_(g_next_token.fetch_add(1)),
      discard_cells_(zeroed_array<detail::Cell>(limits.max_cells)),
      gauges_(zeroed_array<GaugeSlot>(limits.max_gauges)),
      cells_used_(kReservedCells),
      gauges_used_(kReservedGauges) {
  if (!discard_cells_ || !gauges_ || limits.max_cells <= kReservedCells ||
      limits.max_gauges <= kReservedGauges) {
    std::free(discard_cells_);
    std::free(gauges_);
    throw MetricSpecError("npuprobe: cannot allocate the metric registry");
  }
}

MetricRegistry::~MetricRegistry() {
  for (auto &shard : shards_) std::free(shard->cells);
  std::free(discard_cells_);
  std::free(gauges_);
}

FamilyId MetricRegistry::add_family(const FamilySpec &spec) {
  FamilyInfo info = validate_family_spec(spec);
  std::lock_guard<std::mutex> lock(mutex_);
  if (family_by_name_.count(info.name)) {
    throw MetricSpecError("npuprobe: cannot register metric '" + spec.name +
                          "': a family with that name exists (the collector would mix them)");
  }
  const auto index = static_cast<std::uint32_t>(families_.size());
  if (info.type == MetricType::kHistogram) info.bucket_index.build(info.bucket_bounds);
  family_by_name_.emplace(info.name, index);
  families_.push_back(std::move(info));
  return FamilyId{index};
}

void MetricRegistry::mark_detail(FamilyId family) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (family.index >= families_.size()) throw MetricSpecError("npuprobe: unknown metric family");
  families_[family.index].detail = true;
}

void MetricRegistry::reserve_cells(std::uint32_t cells) {
  std::lock_guard<std::mutex> lock(mutex_);
  reserved_cells_ = std::min(cells, limits_.max_cells - cells_used_);
}

std::uint32_t MetricRegistry::cells_per_series(FamilyId family) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (family.index >= families_.size()) throw MetricSpecError("npuprobe: unknown metric family");
  return cells_of(families_[family.index]);
}

std::vector<std::string> MetricRegistry::capped_labels(const std::vector<std::string> &given) {
  std::vector<std::string> label_values = given;
  const std::string *cut = nullptr;
  for (std::size_t i = 0; i < label_values.size(); ++i) {
    if (cut_label_value(label_values[i]) && cut == nullptr) cut = &given[i];
  }
  if (cut != nullptr && !label_cut_logged_.exchange(true)) {
    log_message(LogLevel::kWarn, "a label value of %zu bytes (starting \"%.32s\") is cut to %zu "
                "bytes; values that differ only after that share one series (logged once)",
                cut->size(), cut->c_str(), kMaxLabelValueBytes);
  }
  return label_values;
}

std::uint32_t MetricRegistry::resolve_series(FamilyId family, MetricType expected,
                                             const std::vector<std::string> &label_values,
                                             std::uint32_t keep_room) {
  if (family.index >= families_.size()) throw MetricSpecError("npuprobe: unknown metric family");
  const FamilyInfo &info = families_[family.index];
  if (info.type != expected) {
    throw MetricSpecError("npuprobe: metric '" + info.name + "' is a " +
                          std::string(to_string(info.type)) + ", not a " +
                          std::string(to_string(expected)));
  }
  if (label_values.size() != info.label_names.size()) {
    throw MetricSpecError("npuprobe: metric '" + info.name + "' takes " +
                          std::to_string(info.label_names.size()) + " label values, got " +
                          std::to_string(label_values.size()));
  }
  const std::string key = series_key(family, label_values);
  if (auto found = series_by_key_.find(key); found != series_by_key_.end()) return found->second;

  std::uint32_t first = 0;
  if (expected == MetricType::kGauge) {
    if (gauges_used_ >= limits_.max_gauges) {
      throw MetricSpecError("npuprobe: registry full: more than " +
                            std::to_string(limits_.max_gauges) + " gauge series");
    }
    first = gauges_used_++;
  } else {
    const std::uint32_t cells = cells_of(info);
    const std::uint32_t free_cells = limits_.max_cells - cells_used_;
    if (info.detail && free_cells < cells + keep_room + reserved_cells_) {
      throw MetricSpecError("npuprobe: registry's room for detail series full: " +
                            std::to_string(reserved_cells_) + " of " +
                            std::to_string(limits_.max_cells) + " cells are kept for the others");
    }
    if (free_cells < cells) {
      throw MetricSpecError("npuprobe: registry full: more than " +
                            std::to_string(limits_.max_cells) + " cells");
    }
    if (!info.detail) reserved_cells_ -= std::min(cells, reserved_cells_);
    first = cells_used_;
    cells_used_ += cells;
  }
  const auto index = static_cast<std::uint32_t>(series_.size());
  series_.push_back(SeriesInfo{family.index, label_values, first});
  series_by_key_.emplace(key, index);
  return index;
}

CounterHandle MetricRegistry::counter(FamilyId family, const std::vector<std::string> &labels) {
  const std::vector<std::string> values = capped_labels(labels);
  std::lock_guard<std::mutex> lock(mutex_);
  return CounterHandle{series_[resolve_series(family, MetricType::kCounter, values)].first};
}

GaugeHandle MetricRegistry::gauge(FamilyId family, const std::vector<std::string> &labels) {
  const std::vector<std::string> values = capped_labels(labels);
  std::lock_guard<std::mutex> lock(mutex_);
  return GaugeHandle{series_[resolve_series(family, MetricType::kGauge, values)].first};
}

HistogramHandle MetricRegistry::histogram_handle(FamilyId family, std::uint32_t series) const {
  const FamilyInfo &info = families_[family.index];
  return HistogramHandle{series_[series].first,
                         static_cast<std::uint32_t>(info.bucket_bounds.size()),
                         info.bucket_bounds.data(), &info.bucket_index};
}

HistogramHandle MetricRegistry::histogram(FamilyId family, const std::vector<std::string> &labels) {
  const std::vector<std::string> values = capped_labels(labels);
  std::lock_guard<std::mutex> lock(mutex_);
  return histogram_handle(family, resolve_series(family, MetricType::kHistogram, values));
}

std::pair<CounterHandle, HistogramHandle> MetricRegistry::counter_and_histogram(
    FamilyId counter, FamilyId histogram, const std::vector<std::string> &labels) {
  const std::vector<std::string> values = capped_labels(labels);
  std::lock_guard<std::mutex> lock(mutex_);
  // The counter is refused unless the histogram fits after it: both or neither.
  const std::uint32_t histogram_cells =
      histogram.index < families_.size()
          ? static_cast<std::uint32_t>(families_[histogram.index].bucket_bounds.size()) + 2
          : 0;
  const std::string key = series_key(histogram, values);
  const std::uint32_t keep = series_by_key_.count(key) ? 0 : histogram_cells;
  const std::uint32_t c = resolve_series(counter, MetricType::kCounter, values, keep);
  const std::uint32_t h = resolve_series(histogram, MetricType::kHistogram, values);
  return {CounterHandle{series_[c].first}, histogram_handle(histogram, h)};
}

void MetricRegistry::set(GaugeHandle gauge, double value) noexcept {
  GaugeSlot &slot = gauges_[gauge.slot];
  slot.value.store(value, std::memory_order_relaxed);
  // The stamp is released after the value: a reader that sees the stamp sees this value or a
  // later one. Concurrent setters may pair one's value with the other's stamp; both are recent.
  slot.timestamp.store(wall_clock_seconds(), std::memory_order_release);
}

detail::Cell *MetricRegistry::attach_thread_slow() noexcept {
  detail::Cell *cells = discard_cells_;
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::thread::id self = std::this_thread::get_id();
    for (const auto &shard : shards_) {
      // A shard whose thread has exited may be taken over by a new thread with the same id:
      // it still has exactly one writer.
      if (shard->owner == self) cells = shard->cells;
    }
    if (cells == discard_cells_) {
      if (auto *fresh = zeroed_array<detail::Cell>(limits_.max_cells)) {
        shards_.push_back(std::make_unique<Shard>(Shard{self, fresh}));
        cells = fresh;
      }
    }
  } catch (...) {
    // Out of memory: record into the shared discard shard rather than fail the caller.
  }
  detail::tls_shard_cache = {token_.load(std::memory_order_relaxed), cells};
  return cells;
}

void MetricRegistry::collect(RegistrySnapshot &snapshot) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (snapshot.fork_generation != fork_generation_) {
    snapshot = RegistrySnapshot{};
    snapshot.fork_generation = fork_generation_;
  }
  for (std::size_t i = snapshot.families.size(); i < families_.size(); ++i) {
    snapshot.families.push_back(families_[i]);
  }
  snapshot.series.insert(snapshot.series.end(),
                         series_.begin() + static_cast<std::ptrdiff_t>(snapshot.series.size()),
                         series_.end());
  snapshot.cell_totals.assign(cells_used_, 0.0);
  for (const auto &shard : shards_) {
    for (std::uint32_t i = kReservedCells; i < cells_used_; ++i) {
      snapshot.cell_totals[i] += shard->cells[i].load(std::memory_order_relaxed);
    }
  }
  snapshot.gauges.resize(gauges_used_);
  for (std::uint32_t i = kReservedGauges; i < gauges_used_; ++i) {
    const double stamp = gauges_[i].timestamp.load(std::memory_order_acquire);
    snapshot.gauges[i] = GaugeReading{gauges_[i].value.load(std::memory_order_relaxed), stamp};
  }
}

void MetricRegistry::prepare_fork() {
  mutex_.lock();
}

void MetricRegistry::resume_after_fork_in_parent() {
  mutex_.unlock();
}

void MetricRegistry::reset_after_fork() {
  // Only the forking thread exists in the child and it holds mutex_ (prepare_fork), so plain
  // zeroing cannot race. Shards of the parent's other threads stay as empty spares.
  for (auto &shard : shards_) {
    for (std::uint32_t i = 0; i < cells_used_; ++i)
      shard->cells[i].store(0, std::memory_order_relaxed);
  }
  for (std::uint32_t i = 0; i < cells_used_; ++i)
    discard_cells_[i].store(0, std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < gauges_used_; ++i) {
    gauges_[i].value.store(0, std::memory_order_relaxed);
    gauges_[i].timestamp.store(0, std::memory_order_relaxed);
  }
  ++fork_generation_;
  token_.store(g_next_token.fetch_add(1), std::memory_order_relaxed);
  mutex_.unlock();
}

std::size_t MetricRegistry::thread_shard_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shards_.size();
}

}  // namespace npuprobe::store
