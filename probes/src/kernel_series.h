// Task-time series (`npu:kernels{type}`, `npu:kernel_exec_duration{type}`, `npu:device_busy`)
// per (device, kernel type), resolved on the first record of each pair and kept. Cold and
// thread-safe (a mutex): records come from the thread that drains MSPTI's buffers. Bounded:
// kMaxKernelTypesPerDevice types per device, the rest share type="other".
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metric_families.h"
#include "npuprobe/probes/events.h"
#include "npuprobe/probes/task_time.h"

namespace npuprobe::probes {

class KernelSeries {
 public:
  struct Handles {
    KernelTypeHandles type;
    store::CounterHandle device_busy;
  };

  explicit KernelSeries(const MetricFamilies &families) : families_(families) {}

  // `device` is in [0, kMaxDevices); an empty `type` is kUnknownKernelType. A series the
  // registry cannot give (full) records into a sink, logged once per series.
  Handles get(int device, std::string_view type) noexcept;

  // Fork child: a thread of the parent may have held the mutex; the handles stay valid.
  void reset_lock_after_fork() noexcept;

 private:
  struct TypeEntry {
    std::string type;
    KernelTypeHandles handles;
  };
  struct Device {
    bool busy_resolved = false;
    store::CounterHandle busy;
    std::vector<TypeEntry> types;  // at most kMaxKernelTypesPerDevice, in order of arrival
    bool other_resolved = false;
    KernelTypeHandles other;  // type="other", once `types` is full
  };

  KernelTypeHandles resolve_type(int device, std::string_view type) noexcept;

  const MetricFamilies &families_;
  std::mutex mutex_;
  Device devices_[kMaxDevices];
};

}  // namespace npuprobe::probes
