// memory.sample_hz (msserviceprofiler's npu_memory_usage_freq): device HBM read with
// aclrtGetMemInfo(ACL_HBM_MEM) at that rate, for every device the process itself set. The call
// needs a thread bound to the device, so each device gets one sampling thread that binds it once
// (and only devices the application set: npuprobe never opens a device of its own). The latest
// sample goes into npu:memory:hbm_used_bytes / hbm_total_bytes at each flush.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "npuprobe/npu_shim/npu_functions.h"
#include "npuprobe/probes/probes.h"

namespace npuprobe::preload {

class MemorySampler {
 public:
  MemorySampler(npu_shim::NpuFunctions &npu, int hz);
  ~MemorySampler() = delete;  // lives as long as the process (threads may outlive statics)

  // Publisher thread, before each flush: starts a thread for each device newly set (`devices`,
  // bit per device) and hands the latest samples to the probes.
  void before_flush(std::uint64_t devices, probes::Probes &probes) noexcept;
  // Stops and joins every sampling thread (aclFinalize, exit). Idempotent; no restart after.
  void stop() noexcept;
  // Fork child: the threads are the parent's; start afresh on the next flush.
  void forget_after_fork() noexcept;

 private:
  struct Device {
    std::thread thread;
    std::atomic<std::uint64_t> used{0}, total{0};
    std::atomic<bool> sampled{false};
    bool running = false;
  };
  static constexpr int kDevices = 64;

  void sample_loop(int device) noexcept;

  npu_shim::NpuFunctions &npu_;
  const std::chrono::microseconds period_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool failed_ = false;  // the feature turned itself off
  Device *devices_;      // kDevices entries; replaced (never freed) after fork
};

}  // namespace npuprobe::preload
