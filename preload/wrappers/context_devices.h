// Which device an ACL context belongs to. A thread can be bound to a device without
// aclrtSetDevice: aclrtCreateContext binds the new context to the caller, and torch_npu's
// allocator event thread and graph callback thread (and vllm-ascend's csrc) bind with
// aclrtSetCurrentContext(ctx) where ctx came from aclrtGetCurrentContext on another thread
// (docs/ascend-stack.md, "1. Lifecycle" and "Consequences for npuprobe"). Learned from
// aclrtCreateContext, or asked of the runtime (aclrtGetDevice) once per unknown context. Bounded
// and lock-free; a full table only means the runtime is asked again.
#pragma once

#include <atomic>
#include <cstdint>

namespace npuprobe::preload {

class ContextDevices {
 public:
  static constexpr int kSlots = 256;

  bool find(const void *context, std::int32_t *device) const noexcept {
    for (const Slot &s : slots_) {
      if (context != nullptr && s.context.load(std::memory_order_acquire) == context) {
        *device = s.device.load(std::memory_order_relaxed);
        return true;
      }
    }
    return false;
  }

  // Insert or update (a destroyed context's address may come back for another device).
  void set(const void *context, std::int32_t device) noexcept {
    if (context == nullptr) return;
    for (Slot &s : slots_) {
      if (s.context.load(std::memory_order_acquire) == context) {
        s.device.store(device, std::memory_order_relaxed);
        return;
      }
    }
    // Reserve a free slot first, so that the device is in place before the context shows.
    for (Slot &s : slots_) {
      const void *expected = nullptr;
      if (s.context.compare_exchange_strong(expected, kReserved, std::memory_order_acq_rel)) {
        s.device.store(device, std::memory_order_relaxed);
        s.context.store(context, std::memory_order_release);
        return;
      }
    }
  }

  // aclrtResetDevice: the device's contexts may be freed and their addresses reused.
  void forget_device(std::int32_t device) noexcept {
    for (Slot &s : slots_) {
      const void *context = s.context.load(std::memory_order_acquire);
      if (context != nullptr && context != kReserved &&
          s.device.load(std::memory_order_relaxed) == device) {
        s.context.compare_exchange_strong(context, nullptr, std::memory_order_acq_rel);
      }
    }
  }

 private:
  static inline const void *const kReserved = reinterpret_cast<const void *>(1);
  struct Slot {
    std::atomic<const void *> context{nullptr};
    std::atomic<std::int32_t> device{0};
  };
  Slot slots_[kSlots];
};

extern ContextDevices g_context_devices;

}  // namespace npuprobe::preload
