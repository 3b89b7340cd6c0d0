// CollectiveProbe: a fixed table of communicators (address -> label set) filled at comm init and
// read without locks on every collective, and per (label set, op) series resolved once.
#include <mutex>
#include <string>
#include <vector>

#include "npuprobe/base/log.h"
#include "npuprobe/probes/collectives.h"
#include "probes_state.h"
#include "resolve_once.h"

namespace npuprobe::probes {
namespace {

constexpr std::string_view kOpLabels[kCollectiveOpCount] = {
    "allreduce", "allgather", "reduce_scatter", "broadcast", "reduce", "alltoall",
    "alltoallv", "scatter",   "send",           "receive",   "batch_send_recv", "barrier"};

// Host time of one enqueue: the launch buckets (1 us to 1 s).
constexpr double kCallSeconds[] = {1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5, 1e-4,
                                   2.5e-4, 5e-4,   1e-3, 2.5e-3, 5e-3,   0.01, 0.025,
                                   0.05,   0.1,    0.25, 0.5,    1};

// A removed communicator's entry: free for the next init, never matched.
const void *const kTombstone = reinterpret_cast<const void *>(~std::uintptr_t{0});

struct OpSeries {
  ResolveOnce once;
  store::CounterHandle calls, bytes;
  store::HistogramHandle latency;
};

struct LabelSet {
  int device = -1;
  std::uint32_t rank = 0, size = 0;  // size 0: unknown (rank/size "-1")
  OpSeries ops[kCollectiveOpCount];
};

struct CommEntry {
  std::atomic<const void *> comm{nullptr};
  std::atomic<std::int32_t> label{-1};
  std::atomic<std::uint32_t> size{0};
};

}  // namespace

struct CollectiveProbe::State {
  store::MetricRegistry &registry;
  std::string dp;
  store::FamilyId calls, bytes, latency;
  LabelSet labels[kMaxCommLabels];
  std::atomic<int> labels_used{0};
  LabelSet unknown[kMaxDevices];  // per device, rank and size "-1"
  CommEntry comms[kMaxLiveComms];
  std::atomic<int> comms_used{0};
  std::mutex init_mutex;  // comm init and destroy only (cold)

  explicit State(store::MetricRegistry &r) : registry(r) {}

  const CommEntry *find(const void *comm) const noexcept {
    const int used = comms_used.load(std::memory_order_acquire);
    for (int i = 0; i < used; ++i) {
      if (comms[i].comm.load(std::memory_order_acquire) == comm) return &comms[i];
    }
    return nullptr;
  }

  __attribute__((noinline)) void resolve(LabelSet &set, CollectiveOp op) noexcept {
    OpSeries &s = set.ops[static_cast<int>(op)];
    try {
      const std::string rank = set.size == 0 ? "-1" : std::to_string(set.rank);
      const std::string size = set.size == 0 ? "-1" : std::to_string(set.size);
      const std::vector<std::string> values{dp, std::to_string(set.device),
                                            std::string(kOpLabels[static_cast<int>(op)]), rank,
                                            size};
      s.calls = registry.counter(calls, values);
      s.bytes = registry.counter(bytes, values);
      s.latency = registry.histogram(latency, values);
    } catch (const std::exception &e) {
      // Default handles write to the registry's sink cell: the call is not shown, never lost
      // by the application.
      base::log_message(base::LogLevel::kDebug, "probes: hccl metrics: %s", e.what());
    }
  }
};

std::string_view to_string(CollectiveOp op) {
  return kOpLabels[static_cast<int>(op)];
}

CollectiveProbe::CollectiveProbe(store::MetricRegistry &registry, const ProbeOptions &options)
    : state_(std::make_unique<State>(registry)) {
  State &s = *state_;
  s.dp = options.dp;
  const std::vector<std::string> labels{"dp", "device", "op", "rank", "size"};
  const std::string &p = options.metric_prefix;
  std::vector<double> bounds(std::begin(kCallSeconds), std::end(kCallSeconds));
  if (auto custom = options.buckets.find("npu:hccl_launch_latency");
      custom != options.buckets.end()) {
    bounds = custom->second;
  }
  s.calls = registry.add_family(
      store::counter_spec(p + "npu:hccl_calls", "Collective calls that returned success", labels));
  s.bytes = registry.add_family(store::counter_spec(
      p + "npu:hccl_bytes", "Bytes of successful collectives (count x element size)", labels));
  s.latency = registry.add_family(store::histogram_spec(
      p + "npu:hccl_launch_latency", "Host time inside one collective call (enqueue)", labels,
      bounds));
  for (int d = 0; d < kMaxDevices; ++d) s.unknown[d].device = d;
}

CollectiveProbe::~CollectiveProbe() = default;

void CollectiveProbe::on_comm_init(const void *comm, int device, std::uint32_t rank,
                                   std::uint32_t size) noexcept {
  State &s = *state_;
  if (comm == nullptr || comm == kTombstone || size == 0) return;
  std::lock_guard<std::mutex> lock(s.init_mutex);
  int label = -1;
  const int used = s.labels_used.load(std::memory_order_relaxed);
  for (int i = 0; i < used; ++i) {
    const LabelSet &l = s.labels[i];
    if (l.device == device && l.rank == rank && l.size == size) label = i;
  }
  if (label < 0 && used < kMaxCommLabels) {
    LabelSet &l = s.labels[used];
    l.device = device;
    l.rank = rank;
    l.size = size;
    label = used;
    s.labels_used.store(used + 1, std::memory_order_release);
  }
  // An address npuprobe still maps (its destroy was not seen) is simply remapped.
  CommEntry *entry = const_cast<CommEntry *>(s.find(comm));
  if (entry == nullptr) {
    const int comms_used = s.comms_used.load(std::memory_order_relaxed);
    for (int i = 0; i < comms_used && entry == nullptr; ++i) {
      if (s.comms[i].comm.load(std::memory_order_relaxed) == kTombstone) entry = &s.comms[i];
    }
    if (entry == nullptr && comms_used < kMaxLiveComms) {
      entry = &s.comms[comms_used];
      entry->comm.store(kTombstone, std::memory_order_relaxed);
      s.comms_used.store(comms_used + 1, std::memory_order_release);
    }
  }
  if (entry == nullptr) return;  // too many live communicators: this one counts as unknown
  // Label and size first, the address last (release): a reader that matches the address sees
  // them. Past the label bound the communicator keeps its size (bytes) with unknown labels.
  entry->label.store(label, std::memory_order_relaxed);
  entry->size.store(size, std::memory_order_relaxed);
  entry->comm.store(comm, std::memory_order_release);
}

void CollectiveProbe::on_comm_destroy(const void *comm) noexcept {
  State &s = *state_;
  if (comm == nullptr || comm == kTombstone) return;
  std::lock_guard<std::mutex> lock(s.init_mutex);
  if (auto *entry = const_cast<CommEntry *>(s.find(comm))) {
    entry->comm.store(kTombstone, std::memory_order_release);
  }
}

std::uint32_t CollectiveProbe::comm_size(const void *comm) const noexcept {
  const CommEntry *entry = state_->find(comm);
  return entry != nullptr ? entry->size.load(std::memory_order_relaxed) : 0;
}

void CollectiveProbe::on_collective(int device, CollectiveOp op, const void *comm,
                                    std::uint64_t bytes, std::uint64_t t0_ns,
                                    std::uint64_t t1_ns) noexcept {
  State &s = *state_;
  const auto index = static_cast<unsigned>(op);
  if (index >= static_cast<unsigned>(kCollectiveOpCount)) return;
  LabelSet *set = nullptr;
  if (const CommEntry *entry = s.find(comm)) {
    const std::int32_t label = entry->label.load(std::memory_order_relaxed);
    if (label >= 0) set = &s.labels[label];
  }
  if (set == nullptr) {
    if (device < 0 || device >= kMaxDevices) return;
    set = &s.unknown[device];
  }
  OpSeries &series = set->ops[index];
  series.once.ensure([&] { s.resolve(*set, op); });
  s.registry.add(series.calls);
  s.registry.add(series.bytes, static_cast<double>(bytes));
  s.registry.observe(series.latency, to_seconds(elapsed_ns(t0_ns, t1_ns)));
}

}  // namespace npuprobe::probes
