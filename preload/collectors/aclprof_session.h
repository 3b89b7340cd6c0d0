// acl_task_time = 1: npuprobe drives ACL profiling (aclprof) for the process, as
// msserviceprofiler does: aclprofInit(prof_dir), then for each device the application set
// aclprofCreateConfig([device], PIPE_UTILIZATION, MSPROFTX | level bits) and aclprofStart. The
// data goes to task_time.prof_dir for msprof; npuprobe only reports whether profiling is on.
// Profiling starts on the publisher thread within one flush of the device's first
// aclrtSetDevice, and stops (aclprofStop, aclprofDestroyConfig per device, then aclprofFinalize)
// when the level's duration or task_time.timelimit_s passes, while the switch is OFF, before
// aclFinalize and at exit. Not started when libmspti.so is in LD_PRELOAD (msserviceprofiler's
// rule: the two collectors exclude each other). When the runtime refuses aclprof (msprof's
// command line profiles the process, torch_npu's profiler initialized it first, dynamic
// profiling is on, or it is not running at aclprofStart), mode 1 stays off, said once, and
// refusal() names why (npuprobe:task_time_active{reason}, `npuprobe status`, `npuprobe check`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "npu/acl_api.h"
#include "npuprobe/config/config.h"
#include "npuprobe/npu_shim/npu_functions.h"

namespace npuprobe::preload {

class AclprofSession {
 public:
  AclprofSession(npu_shim::NpuFunctions &npu, const config::TaskTimeConfig &config);
  ~AclprofSession() = delete;  // lives as long as the process

  // Publisher thread, before each flush: `devices` has a bit per device the application set.
  void before_flush(std::uint64_t devices, bool measuring) noexcept;
  // A device was set for the first time: profile it from now on (unless finished).
  void start_now(std::uint64_t devices) noexcept;
  // aclFinalize and exit: profiling ends for good.
  void finish() noexcept;
  // Fork child: the profiling session is the parent's.
  void forget_after_fork() noexcept;
  bool profiling() const noexcept { return initialized_.load(std::memory_order_relaxed); }
  // Why mode 1 was refused for good ("msprof_command_line", "already_initialized",
  // "dynamic_profiling", "not_run", "mspti_preloaded", "prof_dir", "unavailable", "error"),
  // or null. Any thread.
  const char *refusal() const noexcept { return refusal_.load(std::memory_order_acquire); }

  // The refusal name of an aclprofInit / aclprofStart result (null: not a refusal of its own).
  static const char *refusal_of(aclError result) noexcept;

  // The aclprofCreateConfig data types for a level (docs/ascend-stack.md, "aclprof data types per
  // level").
  static std::uint64_t data_types(config::TaskTimeLevel level) noexcept;

 private:
  static constexpr int kDevices = 64;

  // aclprofInit once, then a started config for each device of `devices` not yet profiled.
  void start_devices(std::uint64_t devices) noexcept;
  // Stop and destroy every config, then aclprofFinalize.
  void stop() noexcept;
  // Whether the level's duration or the time limit has passed since profiling first started.
  const char *time_is_up() const noexcept;
  // Mode 1 off for good because of `reason`; what ran is stopped.
  void refuse(const char *reason) noexcept;

  npu_shim::NpuFunctions &npu_;
  const npu_shim::AclprofFunctions *aclprof_ = nullptr;
  const config::TaskTimeConfig config_;
  std::mutex mutex_;  // the publisher thread against aclFinalize/exit
  bool finished_ = false;
  // Between aclprofInit and aclprofFinalize; written under mutex_, read by profiling().
  std::atomic<bool> initialized_{false};
  bool ever_started_ = false;
  std::chrono::steady_clock::time_point first_start_;
  aclprofConfig *configs_[kDevices] = {};  // started, per device
  std::uint64_t failed_devices_ = 0;       // CreateConfig/Start failed: not retried
  std::atomic<const char *> refusal_{nullptr};
};

}  // namespace npuprobe::preload
