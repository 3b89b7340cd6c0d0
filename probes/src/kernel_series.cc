#include "kernel_series.h"

#include <new>

#include "npuprobe/base/log.h"

namespace npuprobe::probes {

KernelSeries::Handles KernelSeries::get(int device, std::string_view type) noexcept {
  if (type.empty()) type = kUnknownKernelType;
  std::lock_guard<std::mutex> lock(mutex_);
  Device &d = devices_[device];
  if (!d.busy_resolved) {
    try {
      d.busy = families_.resolve_device_busy(device);
    } catch (const std::exception &e) {
      base::log_message(base::LogLevel::kWarn, "probes: no device_busy for device %d: %s", device,
                         e.what());
    }
    d.busy_resolved = true;  // a failure records into the sink from now on
  }
  // Linear: a device sees a handful of types (at most kMaxKernelTypesPerDevice), and a
  // string_view compare needs no std::string per record.
  for (const TypeEntry &entry : d.types) {
    if (entry.type == type) return {entry.handles, d.busy};
  }
  if (d.types.size() < static_cast<std::size_t>(kMaxKernelTypesPerDevice)) {
    const KernelTypeHandles handles = resolve_type(device, type);
    try {
      d.types.push_back({std::string(type), handles});
    } catch (const std::bad_alloc &) {
      // Not kept: the next record of this type resolves again (the same series).
    }
    return {handles, d.busy};
  }
  if (!d.other_resolved) {
    base::log_message(base::LogLevel::kInfo,
                       "probes: device %d has more than %d kernel types; the others count as "
                       "type=\"other\"",
                       device, kMaxKernelTypesPerDevice);
    d.other = resolve_type(device, kOtherKernelType);
    d.other_resolved = true;
  }
  return {d.other, d.busy};
}

KernelTypeHandles KernelSeries::resolve_type(int device, std::string_view type) noexcept {
  try {
    return families_.resolve_kernel_type(device, std::string(type));
  } catch (const std::exception &e) {
    base::log_message(base::LogLevel::kWarn, "probes: no task-time series for device %d: %s",
                       device, e.what());
    return KernelTypeHandles{};
  }
}

void KernelSeries::reset_lock_after_fork() noexcept {
  new (&mutex_) std::mutex;  // see NameTable::reset_lock_after_fork
}

}  // namespace npuprobe::probes
