// Probes::on_launch: per-call counts and latency for every launch; device work (not graph
// capture) also feeds the device's step. Probes::on_collective: a collective's share of the step
// (its per-call series are CollectiveProbe's).
#include "npuprobe/base/log.h"
#include "probes_state.h"

namespace npuprobe::probes {

__attribute__((noinline)) void Probes::State::record_op(int device, std::uint32_t op,
                                                        std::uint64_t ns) noexcept {
  const OpHandles *handles = ops.get(device, op, [&]() -> OpHandles {
    try {
      return families.resolve_op(device, op_names.name_of(op));
    } catch (const std::exception &e) {
      // Counted below at every launch and said once by the publisher (log_first_drops).
      base::log_message(base::LogLevel::kDebug, "probes: op metrics: %s", e.what());
      return OpHandles{};
    }
  });
  if (handles == nullptr) return drop(DropReason::kOpTableFull);
  // Cell 0 is the sink of a default handle: the registry refused this (device, op).
  if (handles->launches.cell == 0) return drop(DropReason::kOpSeriesFull);
  const store::MetricRegistry::Recorder r = registry.recorder();
  r.add(handles->launches);
  r.observe_ns(handles->latency, ns);
}

void Probes::on_unnamed_op_launch() noexcept {
  State &s = *state_;
  if (s.options.op_label) s.drop(DropReason::kOpUnnamed);
}

void Probes::on_launch(int device, LaunchApi api, std::uint64_t t0_ns, std::uint64_t t1_ns,
                       std::uint32_t op) noexcept {
  State &s = *state_;
  const auto index = static_cast<unsigned>(api);
  if (!State::valid_device(device) || index >= kLaunchApiCount) {
    return s.drop(DropReason::kDeviceId);
  }
  const DeviceHandles &h = s.device_handles(device);
  const std::uint64_t ns = elapsed_ns(t0_ns, t1_ns);
  const store::MetricRegistry::Recorder r = s.registry.recorder();  // one shard lookup
  r.add(h.launches[index]);
  r.observe_ns(h.launch_latency[index], ns);
  if (op != 0 && s.options.op_label) s.record_op(device, op, ns);
  // A launch recorded into a graph (capture, task update) is not device work: no step.
  if (!records_into_graph(api)) s.steps.on_launch(device, t0_ns, t1_ns);
}

}  // namespace npuprobe::probes

namespace npuprobe::probes {

void Probes::on_collective(int device, std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept {
  State &s = *state_;
  if (!State::valid_device(device)) return s.drop(DropReason::kDeviceId);
  s.steps.on_collective(device, t0_ns, t1_ns);
}

}  // namespace npuprobe::probes
