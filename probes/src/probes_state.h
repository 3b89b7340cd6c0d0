// Everything a Probes object owns, shared by the files that implement its entry points
// (launch_probe.cc, sync_probe.cc, memory_probe.cc, task_time_probe.cc, probes.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "api_record_series.h"
#include "error_counts.h"
#include "kernel_series.h"
#include "memory_accounting.h"
#include "metric_families.h"
#include "name_table.h"
#include "npuprobe/probes/probes.h"
#include "op_handle_table.h"
#include "resolve_once.h"
#include "step_tracker.h"

namespace npuprobe::probes {

struct Probes::State {
  State(store::MetricRegistry &registry, ProbeOptions options);

  static bool valid_device(int device) { return device >= 0 && device < kMaxDevices; }

  // The device's handles, resolved on its first event (valid_device(device) holds).
  const DeviceHandles &device_handles(int device) noexcept {
    DeviceSlot &slot = devices[device];
    slot.once.ensure([&] { slot.handles = resolve_device(device); });
    return slot.handles;
  }
  DeviceHandles resolve_device(int device) noexcept;

  // Slow paths of the entry points, split out (launch_probe.cc, sync_probe.cc).
  void record_op(int device, std::uint32_t op, std::uint64_t ns) noexcept;
  void observe_step(int device, const StepSample &step) noexcept;

  // Hot: a count, and a flag the publisher turns into one log line per reason.
  void drop(DropReason reason) noexcept {
    const int r = static_cast<int>(reason);
    registry.add(dropped[r]);
    if (!drop_seen[r].load(std::memory_order_relaxed)) {
      drop_seen[r].store(true, std::memory_order_relaxed);
    }
  }
  // Publisher thread (before_flush): says once per reason that losses began.
  void log_first_drops() noexcept;

  struct DeviceSlot {
    ResolveOnce once;
    DeviceHandles handles;
  };
  struct HbmSlot {
    ResolveOnce once;
    HbmHandles handles;
  };

  store::MetricRegistry &registry;
  const ProbeOptions options;
  const MetricFamilies families;
  store::CounterHandle dropped[kDropReasonCount];
  std::atomic<bool> drop_seen[kDropReasonCount] = {};
  bool drop_logged[kDropReasonCount] = {};  // publisher thread only
  DeviceSlot devices[kMaxDevices];
  HbmSlot hbm[kMaxDevices];  // resolved on a device's first memory sample
  ResolveOnce unknown_frees_once;  // frees{device="-1"}, only once such a free happened
  store::CounterHandle unknown_frees;
  OpHandleTable ops;
  NameTable api_names;
  NameTable op_names;
  StepTracker steps;
  MemoryAccounting memory;
  ErrorCounts errors;
  // Task time (on_kernel_record), only used with options.task_time.
  KernelSeries kernel_series{families};
  // API records (on_api_record), only used with options.task_time and an api_filter.
  const bool api_records = options.task_time && has_filter(options.api_filter);
  ApiRecordSeries api_record_series{families};
  std::mutex flush_mutex;  // before_flush() callers, one at a time
};

inline double to_seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}
inline std::uint64_t elapsed_ns(std::uint64_t t0_ns, std::uint64_t t1_ns) {
  return t1_ns > t0_ns ? t1_ns - t0_ns : 0;
}

}  // namespace npuprobe::probes
