// Task time (acl_task_time = 2, MSPTI): the kernel activity records the preload's MSPTI
// consumer hands to Probes::on_kernel_record. No MSPTI types: the consumer copies the fields.
#pragma once

#include <cstdint>
#include <string_view>

namespace npuprobe::probes {

// One kernel that ran on the device. Timestamps are the device's own, in nanoseconds; only their
// difference is used, and only when `timed` (the consumer could tell the unit: a record in raw
// device-counter ticks is counted, not timed). `type` is the kernel's kind as MSPTI names it ("KERNEL_AICORE",
// "KERNEL_AIVEC", "KERNEL_AICPU", ...) and becomes the `type` label; `name` is the kernel's
// name, matched against ProbeOptions::kernel_filter and never a label. The views need only
// live for the call.
struct KernelRecord {
  int device = 0;
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::string_view type;
  std::string_view name;
  bool timed = true;
};

// One ACL API call as MSPTI timed it on the host (records of kind API, collected only when
// ProbeOptions::api_filter names some). `name` is the entry point ("aclnnMatMul", ...).
struct ApiRecord {
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::string_view name;
};

// One MSPTI HCCL record (task time mode 2 with libmspti.so in LD_PRELOAD), copied out of MSPTI's
// buffer by the preload: `name` is the HCCL function ("HcclAllReduce"), `comm_name` the
// communicator's name (HcclGetCommName), `device` the user's device id. Timestamps as a kernel
// record's: only their difference is used, and only when `timed` (not counter ticks).
struct HcclRecord {
  int device = -1;
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::string_view name;
  std::string_view comm_name;
  bool timed = true;
};
// What became of a record: observed, or why not (the caller counts npuprobe:dropped{reason}).
enum class HcclRecordResult { kObserved, kUnknownOp, kDeviceId, kUntimed };

// Distinct `type` label values per device; later types are counted under kOtherKernelType.
inline constexpr int kMaxKernelTypesPerDevice = 64;
inline constexpr std::string_view kOtherKernelType = "other";
// The `type` label of a record with an empty type.
inline constexpr std::string_view kUnknownKernelType = "unknown";
// Distinct `api` label values of npu:api_exec_duration; later names share kOtherKernelType.
inline constexpr int kMaxApiRecordNames = 64;

}  // namespace npuprobe::probes
