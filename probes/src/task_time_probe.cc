// Probes: MSPTI kernel records (task time, acl_task_time = 2). Cold: called from the thread
// that drains MSPTI's activity buffers, never from an application thread.
#include "probes_state.h"

namespace npuprobe::probes {

bool Probes::State::keep_kernel(std::string_view name) const noexcept {
  bool any_filter = false;
  for (const std::string &filter : options.kernel_filter) {
    if (filter.empty()) continue;
    any_filter = true;
    if (name.find(filter) != std::string_view::npos) return true;
  }
  return !any_filter;
}

void Probes::on_kernel_record(const KernelRecord &record) noexcept {
  State &s = *state_;
  if (!s.options.task_time || !s.keep_kernel(record.name)) return;
  if (!State::valid_device(record.device)) return s.drop(DropReason::kDeviceId);
  const KernelSeries::Handles h = s.kernel_series.get(record.device, record.type);
  const double seconds = to_seconds(elapsed_ns(record.start_ns, record.end_ns));
  s.registry.add(h.type.kernels);
  s.registry.observe(h.type.exec_duration, seconds);
  s.registry.add(h.device_busy, seconds);
}

}  // namespace npuprobe::probes
