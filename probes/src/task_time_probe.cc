// Probes: MSPTI activity records (task time, acl_task_time = 2). Cold: called from the thread
// that drains MSPTI's activity buffers, never from an application thread.
#include "probes_state.h"

namespace npuprobe::probes {

bool has_filter(const std::vector<std::string> &filters) noexcept {
  for (const std::string &filter : filters) {
    if (!filter.empty()) return true;
  }
  return false;
}

bool matches_filter(const std::vector<std::string> &filters, std::string_view name) noexcept {
  for (const std::string &filter : filters) {
    if (!filter.empty() && name.find(filter) != std::string_view::npos) return true;
  }
  return !has_filter(filters);
}

void Probes::on_kernel_record(const KernelRecord &record) noexcept {
  State &s = *state_;
  if (!s.options.task_time || !matches_filter(s.options.kernel_filter, record.name)) return;
  if (!State::valid_device(record.device)) return s.drop(DropReason::kDeviceId);
  const KernelSeries::Handles h = s.kernel_series.get(record.device, record.type);
  s.registry.add(h.type.kernels);
  if (!record.timed) return s.drop(DropReason::kMsptiTimeBase);
  const double seconds = to_seconds(elapsed_ns(record.start_ns, record.end_ns));
  s.registry.observe(h.type.exec_duration, seconds);
  s.registry.add(h.device_busy, seconds);
}

void Probes::on_api_record(const ApiRecord &record) noexcept {
  State &s = *state_;
  if (!s.api_records || !matches_filter(s.options.api_filter, record.name)) return;
  s.registry.observe(s.api_record_series.get(record.name),
                     to_seconds(elapsed_ns(record.start_ns, record.end_ns)));
}

void Probes::on_task_time_records_lost(std::uint64_t count) noexcept {
  State &s = *state_;
  if (count > 0) s.registry.add(s.dropped[static_cast<int>(DropReason::kMsptiBuffer)], count);
}

void Probes::on_hccl_record_dropped(HcclRecordResult why) noexcept {
  State &s = *state_;
  switch (why) {
    case HcclRecordResult::kUnknownOp: return s.drop(DropReason::kHcclOp);
    case HcclRecordResult::kDeviceId: return s.drop(DropReason::kDeviceId);
    case HcclRecordResult::kUntimed: return s.drop(DropReason::kMsptiTimeBase);
    case HcclRecordResult::kObserved: return;
  }
}

}  // namespace npuprobe::probes
