#include "memory_sampler.h"

#include "npuprobe/base/log.h"
#include "runtime.h"

namespace npuprobe::preload {

using base::log_message;
using base::LogLevel;

MemorySampler::MemorySampler(npu_shim::NpuFunctions &npu, int hz)
    : npu_(npu), period_(1000000 / (hz > 0 ? hz : 1)), devices_(new Device[kDevices]) {}

void MemorySampler::before_flush(std::uint64_t devices, probes::Probes &probes) noexcept {
  if (failed_) return;
  if (npu_.memory() == nullptr) {
    failed_ = true;  // said once by npu_shim
    return;
  }
  for (int d = 0; d < kDevices; ++d) {
    Device &device = devices_[d];
    if ((devices >> d & 1u) && !device.running) {
      std::lock_guard<std::mutex> hold(mutex_);
      if (stopping_) continue;  // after aclFinalize: no new binding, the last samples still go
      try {
        device.thread = std::thread(&MemorySampler::sample_loop, this, d);
        device.running = true;
      } catch (const std::exception &e) {
        log_message(LogLevel::kWarn, "memory sampling of device %d not started: %s", d, e.what());
        failed_ = true;
        return;
      }
    }
    if (device.sampled.load(std::memory_order_acquire)) {
      probes.on_hbm_sample(d, device.used.load(std::memory_order_relaxed),
                           device.total.load(std::memory_order_relaxed));
    }
  }
}

void MemorySampler::sample_loop(int device) noexcept {
  const npu_shim::MemoryFunctions &acl = *npu_.memory();
  Device &slot = devices_[device];
  // note: the real aclrtSetDevice, not npuprobe's wrapper: this thread's binding is ours, not the
  // application's, and must not count as its call.
  const aclError bound = acl.set_device(device);
  if (bound != ACL_SUCCESS) {
    log_message(LogLevel::kWarn, "memory sampling of device %d off: aclrtSetDevice returned %d",
                device, bound);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  int failures = 0;
  while (!stopping_) {
    lock.unlock();
    if (!g_measuring.load(std::memory_order_relaxed)) {  // switched OFF: no ACL call of ours
      lock.lock();
      wake_.wait_for(lock, period_, [this] { return stopping_; });
      continue;
    }
    size_t free_bytes = 0, total_bytes = 0;
    const aclError rc = acl.get_mem_info(ACL_HBM_MEM, &free_bytes, &total_bytes);
    if (rc == ACL_SUCCESS && total_bytes >= free_bytes) {
      slot.used.store(total_bytes - free_bytes, std::memory_order_relaxed);
      slot.total.store(total_bytes, std::memory_order_relaxed);
      slot.sampled.store(true, std::memory_order_release);
      failures = 0;
    } else if (++failures == 3) {
      log_message(LogLevel::kWarn,
                  "memory sampling of device %d off: aclrtGetMemInfo(HBM) returned %d 3 times",
                  device, rc);
      return;
    }
    lock.lock();
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

void MemorySampler::stop() noexcept {
  {
    std::lock_guard<std::mutex> hold(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (int d = 0; d < kDevices; ++d) {
    if (devices_[d].running && devices_[d].thread.joinable()) devices_[d].thread.join();
  }
}

void MemorySampler::forget_after_fork() noexcept {
  // The std::thread objects name threads of the parent: never join or detach them here.
  devices_ = new Device[kDevices];
  new (&mutex_) std::mutex;
  new (&wake_) std::condition_variable;
}

}  // namespace npuprobe::preload
