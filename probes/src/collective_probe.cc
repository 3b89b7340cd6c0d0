// CollectiveProbe: a fixed table of communicators (address -> label set) filled at comm init and
// read without locks on every collective, and per (label set, op) series resolved once.
#include "collective_state.h"

namespace npuprobe::probes {

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
  std::vector<double> device_bounds(std::begin(kDeviceSeconds), std::end(kDeviceSeconds));
  if (auto custom = options.buckets.find("npu:hccl_duration"); custom != options.buckets.end()) {
    device_bounds = custom->second;
  }
  s.duration = registry.add_family(store::histogram_spec(
      p + "npu:hccl_duration",
      "Device time of one collective: MSPTI's HCCL record, end - start (task time mode 2)",
      labels, device_bounds));
  for (int d = 0; d < kMaxDevices; ++d) s.unknown[d].device = d;
}

CollectiveProbe::~CollectiveProbe() = default;

void CollectiveProbe::on_comm_init(const void *comm, int device, std::uint32_t rank,
                                   std::uint32_t size, std::string_view name) noexcept {
  State &s = *state_;
  if (comm == nullptr || comm == kTombstone || size == 0) return;
  std::lock_guard<std::mutex> lock(s.init_mutex);
  if (!name.empty()) s.remember_name(device, name, rank, size);
  const LabelSet *set = s.label_set(device, rank, size);
  const int label = set != nullptr ? static_cast<int>(set - s.labels) : -1;
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
  s.registry.recorder().observe_ns(series.latency, elapsed_ns(t0_ns, t1_ns));
}

}  // namespace npuprobe::probes
