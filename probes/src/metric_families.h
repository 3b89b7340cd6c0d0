// The metric families of docs/contract.md, registered once, and the resolution of their series
// (label values -> handles). Resolution takes the registry's lock: cold, once per device, op
// or error code. Every family's labels start with dp, device.
#pragma once

#include <string>
#include <string_view>

#include "npuprobe/probes/events.h"
#include "npuprobe/probes/probes.h"
#include "npuprobe/store/registry.h"

namespace npuprobe::probes {

// Every handle the hot path needs for one device; all api labels are resolved together.
struct DeviceHandles {
  store::HistogramHandle forward, kernel_launch, non_forward, sync_wait, launch_api_duration,
      launches_per_step, step_hccl_duration;
  store::CounterHandle steps;
  store::CounterHandle launches[kLaunchApiCount];
  store::HistogramHandle launch_latency[kLaunchApiCount];
  store::CounterHandle syncs[kSyncApiCount];
  store::HistogramHandle sync_latency[kSyncApiCount];
  store::GaugeHandle allocated_bytes, peak_allocated_bytes, host_pinned_bytes;
  store::CounterHandle allocs, frees, alloc_failures;
  store::HistogramHandle alloc_latency;
};

// Task time, per (device, kernel type) and per device.
struct KernelTypeHandles {
  store::CounterHandle kernels;
  store::HistogramHandle exec_duration;
};

// npu:memory:hbm_used_bytes / hbm_total_bytes: only for devices that are sampled.
struct HbmHandles {
  store::GaugeHandle used, total;
};

struct OpHandles {
  store::CounterHandle launches;
  store::HistogramHandle latency;
};

// `npuprobe:dropped{reason}`: what the probes could not account for.
enum class DropReason {
  kDeviceId,            // a device id outside [0, kMaxDevices)
  kEventTableFull,      // an event could not be remembered; its wait closes everything
  kConcurrentClose,     // a wait arrived while another thread closed the same device's step
  kFreeUnknownPointer,  // a free of a pointer never seen allocated (or forgotten)
  kPointerTableFull,    // an allocation could not be remembered; its bytes are not counted
  kErrorTableFull,      // an (api, code) pair beyond the error table
  kOpTableFull,         // a (device, op) pair beyond the op handle table
  kMsptiBuffer,         // MSPTI activity records lost: no free buffer when MSPTI asked for one
  kOpSeriesFull,        // an op launch whose (device, op) series the registry refused: the
                        // room for op-labelled detail is full (the core series are reserved)
  kOpUnnamed,           // an aclnn launch whose op npuprobe cannot name (op_label only)
  kMsptiTimeBase,       // a kernel record in raw device-counter ticks: counted, not timed
                        // (an HCCL record in ticks: not observed)
  kHcclOp,              // an MSPTI HCCL record of a function npuprobe does not know
};
inline constexpr int kDropReasonCount = 12;
// The `reason` label value of a drop reason.
std::string_view to_string(DropReason reason);

// Label value of a device that is not known (API errors, frees of unknown pointers).
inline constexpr std::string_view kUnknownDevice = "-1";

class MetricFamilies {
 public:
  // Registers every family; throws store::MetricSpecError (bad prefix, duplicate family).
  MetricFamilies(store::MetricRegistry &registry, const ProbeOptions &options);

  // Resolution may throw what the registry throws (registry full, out of memory).
  DeviceHandles resolve_device(int device) const;
  store::CounterHandle resolve_dropped(DropReason reason) const;
  HbmHandles resolve_hbm(int device) const;
  store::CounterHandle resolve_api_error(const std::string &api, int code) const;
  store::CounterHandle resolve_unknown_device_frees() const;
  OpHandles resolve_op(int device, const std::string &op) const;
  // Only with ProbeOptions::task_time (the families exist only then).
  KernelTypeHandles resolve_kernel_type(int device, const std::string &type) const;
  store::CounterHandle resolve_device_busy(int device) const;
  // Only with task_time and an api_filter.
  store::HistogramHandle resolve_api_record(const std::string &api) const;

 private:
  void reserve_core_cells(const ProbeOptions &options);

  struct Ids {
    store::FamilyId forward, kernel_launch, non_forward, sync_wait, launch_api_duration,
        launches_per_step, step_hccl_duration, steps;
    store::FamilyId launches, launch_latency, syncs, sync_latency, api_errors;
    store::FamilyId allocated_bytes, peak_allocated_bytes, host_pinned_bytes, allocs, frees,
        alloc_failures, alloc_latency, hbm_used_bytes, hbm_total_bytes;
    store::FamilyId dropped, op_launches, op_launch_latency;
    store::FamilyId kernel_exec_duration, kernels, device_busy, api_exec_duration;
  };

  store::MetricRegistry &registry_;
  const std::string dp_;
  Ids ids_;
};

}  // namespace npuprobe::probes
