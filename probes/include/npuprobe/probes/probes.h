// Probes: events in, observations out. The preload calls the on_* functions from any
// application thread; they turn events into metric observations in the store's registry.
// No ACL types, no dlsym, no files, no threads, no clock: timestamps come in as arguments
// (CLOCK_MONOTONIC nanoseconds), so unit tests drive them with a fake clock.
//
// Hot path (every on_* except the cold ones marked below): no lock, no allocation, no syscall,
// no exception. The one exception is the first event seen for a device id, which resolves that
// device's metric handles once (a registry lookup); other threads seeing the same new device
// meanwhile wait for it without sleeping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <map>
#include <string>
#include <vector>
#include <string_view>

#include "npuprobe/probes/events.h"
#include "npuprobe/probes/task_time.h"
#include "npuprobe/store/registry.h"

namespace npuprobe::probes {

struct ProbeOptions {
  std::string metric_prefix = "vllm_profiling_";  // config `metric_prefix`
  std::string dp = "0";                           // the `dp` label (docs/contract.md)
  // A blocking wait that would close a step with fewer launches (and collectives) only extends
  // the idle gap.
  std::uint32_t min_launches_per_step = 1;
  // Adds `npu:op_launches{op}` / `npu:op_launch_latency{op}` for aclnn ops (cardinality: off by
  // default).
  bool op_label = false;
  // Bucket edges per histogram family, named without the prefix (config `buckets`); a family not
  // listed keeps its built-in buckets. Edges strictly increasing and finite (+Inf is implicit).
  std::map<std::string, std::vector<double>> buckets;
  // Task time from MSPTI kernel records (acl_task_time = 2): registers `npu:kernel_exec_duration`,
  // `npu:kernels` and `npu:device_busy`. Off: those families do not exist and on_kernel_record
  // ignores every record.
  bool task_time = false;
  // Kernel records kept: those whose name contains any of these substrings (empty strings are
  // ignored; no non-empty entry = keep all). A record filtered out is counted nowhere.
  std::vector<std::string> kernel_filter;
  // MSPTI API records kept (same matching as kernel_filter). With task_time and a non-empty
  // entry, `npu:api_exec_duration{api}` exists and on_api_record feeds it; otherwise API records
  // are not collected at all (the preload enables MSPTI's API activity only then).
  std::vector<std::string> api_filter;
};

// True when `name` contains one of the non-empty `filters`, or when there is none.
bool matches_filter(const std::vector<std::string> &filters, std::string_view name) noexcept;
// True when `filters` has a non-empty entry.
bool has_filter(const std::vector<std::string> &filters) noexcept;

class Probes {
 public:
  // Registers every family of docs/contract.md (per step, per call, device memory, self-observation
  // `npuprobe:dropped`) in `registry`. Throws store::MetricSpecError on a bad prefix.
  Probes(store::MetricRegistry &registry, ProbeOptions options);
  ~Probes();
  Probes(const Probes &) = delete;
  Probes &operator=(const Probes &) = delete;

  // Cold: names used by on_api_error and op-labelled launches. Same name -> same id. Ids start
  // at 1; 0 means "none". Thread-safe.
  std::uint32_t register_api(std::string_view function_name);
  std::uint32_t register_op(std::string_view op_name);

  // A launch-class call returned ACL_SUCCESS on `device`: t0/t1 are the clock before and after
  // the real call. `op` is a register_op() id or 0.
  void on_launch(int device, LaunchApi api, std::uint64_t t0_ns, std::uint64_t t1_ns,
                 std::uint32_t op = 0) noexcept;
  // A collective (HCCL) call returned success on `device` (the calling thread's) and was not
  // recorded into a graph: an enqueue of the device's step like a launch (it opens the step,
  // ends its enqueue span and counts toward min_launches_per_step), whose host time t1 - t0 goes
  // to the step's `npu:step_hccl_duration`, not to launch API time. The call's own series
  // (npu:hccl_*) are CollectiveProbe's. Hot.
  void on_collective(int device, std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept;
  // An aclnn launch whose op has no name (seen only as its inner kernel launch: no thunk was
  // left for it, or the op was called without dlsym). With op_label it is a lost op
  // observation: npuprobe:dropped{reason="op_unnamed"}. Hot; call after on_launch.
  void on_unnamed_op_launch() noexcept;
  // aclrtRecordEvent(event, stream) succeeded on `device`: cuts the device's open work.
  void on_record_event(int device, const void *event, std::uint64_t t_ns) noexcept;
  void on_destroy_event(const void *event) noexcept;
  // A blocking wait returned (whatever its result). For kEvent, `event` is the awaited event
  // and the step closed is the one on the device that recorded it (falls back to `device`,
  // closing everything, when the event was never recorded or is no longer known). kModel
  // (synchronous aclmdlExecute) is preceded by an on_launch(kModel) of the same call.
  void on_sync(int device, SyncApi api, const void *event, std::uint64_t t0_ns,
               std::uint64_t t1_ns) noexcept;
  // An intercepted call returned non-zero.
  void on_api_error(std::uint32_t api, int code) noexcept;
  // Allocation calls; `key` is the pointer or handle handed out (ignored when !ok).
  void on_alloc(int device, AllocKind kind, const void *key, std::size_t size, bool ok,
                std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept;
  void on_free(AllocKind kind, const void *key, bool ok) noexcept;
  // Cold (memory sampling, before a flush): the device's HBM as aclrtGetMemInfo(HBM) reported it.
  void on_hbm_sample(int device, std::uint64_t used_bytes, std::uint64_t total_bytes) noexcept;

  // Cold (the thread that drains MSPTI's activity buffers, never an application thread): one
  // kernel record -> `npu:kernels{type}` + 1, `npu:kernel_exec_duration{type}` and
  // `npu:device_busy` observe end - start (0 when end < start). Ignored unless
  // ProbeOptions::task_time; dropped silently when the name fails kernel_filter; a device outside
  // [0, kMaxDevices) is counted in `npuprobe:dropped{reason="device_id"}`. Series are resolved
  // on the first record of each (device, type); past kMaxKernelTypesPerDevice distinct types on
  // a device the rest share type="other". Thread-safe (a mutex).
  void on_kernel_record(const KernelRecord &record) noexcept;
  // Cold, like on_kernel_record: one API record -> `npu:api_exec_duration{device="-1", api}`
  // observes end - start. Ignored unless task_time and an api_filter; dropped silently when the
  // name fails it. At most kMaxApiRecordNames names, the rest share api="other".
  void on_api_record(const ApiRecord &record) noexcept;
  // Cold: MSPTI activity records lost because no buffer was free to lend (a burst larger than
  // the pool) -> `npuprobe:dropped{reason="mspti_buffer"}` += count.
  void on_task_time_records_lost(std::uint64_t count) noexcept;
  // Cold: an MSPTI HCCL record npuprobe could not observe (CollectiveProbe::on_hccl_record said
  // why): a function it does not know -> `npuprobe:dropped{reason="hccl_op"}`, a device outside
  // [0, kMaxDevices) -> "device_id", counter ticks -> "mspti_time_base".
  void on_hccl_record_dropped(HcclRecordResult why) noexcept;

  // Cold, on the publisher thread before every flush: moves what the hot path kept in atomics
  // (memory gauges, error counters by code) into the registry.
  void before_flush() noexcept;
  // Cold (configuration reload): the `min_launches_per_step` of ProbeOptions, for waits from now
  // on. The other options shape the series and stay.
  void set_min_launches_per_step(std::uint32_t min_launches) noexcept;
  // Cold, in a fork child (after the registry's reset_after_fork): forget every device's step
  // state, remembered pointers and events; the child starts from nothing.
  void reset_after_fork() noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace npuprobe::probes
