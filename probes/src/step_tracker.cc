#include "step_tracker.h"

#include <algorithm>

namespace npuprobe::probes {

StepTracker::StepTracker(std::uint32_t min_launches_per_step)
    : min_launches_(std::max<std::uint64_t>(1, min_launches_per_step)) {}

bool StepTracker::on_record_event(int device, const void *event) noexcept {
  const std::uint64_t cut_id = devices_[device].cut();
  if (event == nullptr) return true;  // nothing can wait on it
  const std::size_t slot = events_.find_or_insert(events_.key_of(event));
  if (slot == events_.kNone) return false;
  // Release: a waiter that reads this value also sees the cut written above. A re-recorded
  // event simply stands for its newest cut.
  events_.value(slot).store(pack(device, cut_id), std::memory_order_release);
  return true;
}

void StepTracker::on_destroy_event(const void *event) noexcept {
  const std::size_t slot = events_.find(events_.key_of(event));
  if (slot != events_.kNone) events_.value(slot).store(0, std::memory_order_release);
}

StepTracker::Closed StepTracker::close_event(int device, const void *event, std::uint64_t t0_ns,
                                             std::uint64_t t1_ns) noexcept {
  const std::size_t slot = event ? events_.find(events_.key_of(event)) : events_.kNone;
  const std::uint64_t value =
      slot != events_.kNone ? events_.value(slot).load(std::memory_order_acquire) : 0;
  if (value == 0) return close_all(device, t0_ns, t1_ns);
  const int recorder = static_cast<int>(value & 0xff);
  const std::uint64_t cut_id = (value >> 8) - 1;
  return {recorder, devices_[recorder].close_through(cut_id, t0_ns, t1_ns,
                                       min_launches_.load(std::memory_order_relaxed))};
}

StepTracker::Closed StepTracker::close_all(int device, std::uint64_t t0_ns,
                                           std::uint64_t t1_ns) noexcept {
  return {device, devices_[device].close_all(t0_ns, t1_ns, min_launches_.load(std::memory_order_relaxed))};
}

StepTracker::Closed StepTracker::close_all_now(int device, std::uint64_t t0_ns,
                                               std::uint64_t t1_ns) noexcept {
  return {device, devices_[device].close_all_now(t0_ns, t1_ns,
                                                 min_launches_.load(std::memory_order_relaxed))};
}

void StepTracker::reset() noexcept {
  for (DeviceSteps &device : devices_) device.reset();
  events_.clear();
}

}  // namespace npuprobe::probes
