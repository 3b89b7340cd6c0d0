// Every device's step state, plus which cut each recorded event stands for: a wait on an event
// closes the steps of the device that recorded it, up to the moment it was recorded.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "atomic_pointer_map.h"
#include "device_steps.h"
#include "npuprobe/probes/events.h"

namespace npuprobe::probes {

class StepTracker {
 public:
  static constexpr std::size_t kEventCapacity = 1u << 12;

  // `min_launches_per_step`: 0 is taken as 1 (a step without launches has no start).
  explicit StepTracker(std::uint32_t min_launches_per_step);

  // Devices are in [0, kMaxDevices): the caller checks.
  void on_launch(int device, std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept {
    devices_[device].on_launch(t0_ns, t1_ns);
  }
  // A collective call on `device` (docs/architecture.md, "The step (phase) model").
  void on_collective(int device, std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept {
    devices_[device].on_collective(t0_ns, t1_ns);
  }
  // false: the event table is full; waits on this event will close everything.
  bool on_record_event(int device, const void *event) noexcept;
  void on_destroy_event(const void *event) noexcept;

  struct Closed {
    int device;  // whose step it was (for an event: the device that recorded it)
    CloseResult result;
  };
  // A wait on `event`; an unknown event closes everything on `device`.
  Closed close_event(int device, const void *event, std::uint64_t t0_ns,
                     std::uint64_t t1_ns) noexcept;
  Closed close_all(int device, std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept;
  // A stream or device wait that finds nothing to close (DeviceSteps::nothing_to_close) needs
  // no close_all() at all; one that found something calls close_all_now().
  bool nothing_to_close(int device) const noexcept { return devices_[device].nothing_to_close(); }
  Closed close_all_now(int device, std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept;

  // `npuprobe restart` with a new phases.min_launches_per_step: applies to waits from now on.
  void set_min_launches(std::uint32_t min_launches_per_step) noexcept {
    min_launches_.store(std::max<std::uint64_t>(1, min_launches_per_step),
                        std::memory_order_relaxed);
  }

  void reset() noexcept;

 private:
  // Event value: (cut id + 1) << 8 | device, never 0 (0 = absent: destroyed or never seen).
  static std::uint64_t pack(int device, std::uint64_t cut_id) {
    return (cut_id + 1) << 8 | static_cast<std::uint64_t>(device);
  }

  std::atomic<std::uint64_t> min_launches_;
  DeviceSteps devices_[kMaxDevices];
  AtomicPointerMap<kEventCapacity> events_;
};

}  // namespace npuprobe::probes
