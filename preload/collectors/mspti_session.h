// acl_task_time = 2: npuprobe as the process's MSPTI subscriber. Kernel records (and API
// records, when task_time.api_filter names some) arrive in buffers lent from a fixed pool
// (npu_shim::MsptiBufferPool) on MSPTI's own threads; the publisher thread asks MSPTI to hand
// back what it holds before every flush and turns the records into npu:kernels,
// npu:kernel_exec_duration and npu:device_busy. While the switch is OFF collection pauses: the
// activity kinds are disabled, the subscription stays (msptiUnsubscribe stops the device's
// profiling tasks and tears down MSPTI's channels: far heavier). It ends, unsubscribed, at
// task_time.timelimit_s, before aclFinalize and at exit, always after a flush (msptiUnsubscribe
// hands no buffer back and drops what its channels still hold). MSPTI is looked for at every
// flush until it is loaded (mspti_lookup.h). Any MSPTI failure is said once and turns collection
// off; the application's calls are never affected.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "npu/visible_devices.h"
#include "npuprobe/config/config.h"
#include "npuprobe/npu_shim/mspti_buffer_pool.h"
#include "npuprobe/npu_shim/npu_functions.h"
#include "npuprobe/probes/collectives.h"
#include "npuprobe/probes/probes.h"

namespace npuprobe::preload {

class MsptiSession {
 public:
  MsptiSession(npu_shim::NpuFunctions &npu, const config::TaskTimeConfig &config,
               probes::Probes &probes, probes::CollectiveProbe &collectives);
  ~MsptiSession() = delete;  // lives as long as the process (MSPTI may call back until the end)

  // Publisher thread, before each flush: starts or resumes collection while measuring, stops
  // it when the switch is OFF or the time limit passed, and publishes the records MSPTI held.
  void before_flush(bool measuring) noexcept;
  // A device was set for the first time: collect from now on (if not already, not finished).
  void start_now() noexcept;
  // aclFinalize and exit: the last records are published; no collection after.
  void finish() noexcept;
  // Fork child: MSPTI's subscription and threads are the parent's; the child collects nothing.
  void forget_after_fork() noexcept;
  // Whether MSPTI is collecting for npuprobe now (npuprobe:task_time_active).
  bool collecting() const noexcept {
    return state_.load(std::memory_order_relaxed) == State::kCollecting;
  }
  // Why MSPTI refused part of the collection while the rest goes on, or null: the HCCL kind
  // ("hccl_without_ld_preload": real MSPTI wants libmspti.so in LD_PRELOAD for it; "hccl_error":
  // any other failure). npuprobe:task_time_active{reason}, `npuprobe status` and `check`.
  const char *refusal() const noexcept { return hccl_refusal_.load(std::memory_order_acquire); }

 private:
  // kPaused: subscribed, kinds disabled; kFinished: unsubscribed for good.
  enum class State { kIdle, kCollecting, kPaused, kFinished };

  // Subscribes (first time) and enables the kinds with MSPTI's `found` functions (looked up
  // before mutex_ was taken); false while MSPTI is not loaded (null) or failed.
  bool start(const npu_shim::MsptiFunctions *found) noexcept;
  // Enables the activity kinds (kernel, API with an api_filter, HCCL when MSPTI allows it).
  int enable_kinds() noexcept;
  // The HCCL kind (npu:hccl_duration): a refusal is said once and stops nothing else.
  void enable_hccl() noexcept;
  // Disables them (MSPTI first pushes the device's finished work into its buffer), then has
  // MSPTI hand back every buffer (msptiActivityFlushAll: the only call that returns a partial
  // one) and reads them. The subscription stays.
  void pause() noexcept;
  // pause(), unsubscribes, flushes again, reads.
  void stop() noexcept;
  // Flushes MSPTI's buffers (when collecting) and turns the completed ones into metrics.
  void read_records(bool flush) noexcept;
  // A failed MSPTI call: said once, collection ends.
  void fail(const char *function, int result, const char *hint) noexcept;

  npu_shim::NpuFunctions &npu_;
  const npu_shim::MsptiFunctions *mspti_ = nullptr;
  const config::TaskTimeConfig config_;
  const bool api_records_;
  probes::Probes &probes_;
  probes::CollectiveProbe &collectives_;
  bool hccl_enabled_ = false;  // under mutex_
  std::atomic<const char *> hccl_refusal_{nullptr};
  std::mutex mutex_;  // the publisher thread against aclFinalize/exit
  std::atomic<State> state_{State::kIdle};  // written under mutex_, read by collecting()
  void *subscriber_ = nullptr;
  npu_shim::MsptiBufferPool *pool_ = nullptr;  // made on the first start, never freed
  std::chrono::steady_clock::time_point first_start_;
  bool flush_failure_said_ = false;
  // Kernel records carry the driver's device id; the launch metrics the user's.
  const npu::VisibleDevices visible_;
};

}  // namespace npuprobe::preload
