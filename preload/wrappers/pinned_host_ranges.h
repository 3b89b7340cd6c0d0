// Pinned host memory handed out by aclrtMallocHost / aclrtMallocHostWithCfg, by address range.
// aclrtMemcpyAsyncWithCondition is asynchronous only when its host side is pinned; with
// pageable memory it returns once the copy is done, so it is a host wait (docs/ascend-stack.md,
// "Copies"). torch_npu's host caching allocator keeps a few large blocks, so a bounded table
// scanned linearly is enough; blocks beyond it are not known, and a copy into one counts as a
// wait (said once in the log). The fast path with no block is one relaxed load.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace npuprobe::preload {

class PinnedHostRanges {
 public:
  static constexpr int kSlots = 1024;

  bool contains(const void *address) const noexcept {
    const int used = used_.load(std::memory_order_acquire);
    const auto a = reinterpret_cast<std::uintptr_t>(address);
    for (int i = 0; i < used; ++i) {
      const std::uintptr_t low = slots_[i].low.load(std::memory_order_acquire);
      if (low > 1 && a >= low && a < slots_[i].high.load(std::memory_order_relaxed)) return true;
    }
    return false;
  }

  // False when the table is full.
  bool add(const void *base, std::size_t size) noexcept {
    const auto low = reinterpret_cast<std::uintptr_t>(base);
    if (low == 0 || size == 0) return true;
    for (int i = 0; i < kSlots; ++i) {
      std::uintptr_t expected = 0;
      // Claim with the reserved value 1 (never a range start), then publish the range.
      if (slots_[i].low.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
        slots_[i].high.store(low + size, std::memory_order_relaxed);
        slots_[i].low.store(low, std::memory_order_release);
        int used = used_.load(std::memory_order_relaxed);
        while (used < i + 1 &&
               !used_.compare_exchange_weak(used, i + 1, std::memory_order_acq_rel)) {
        }
        return true;
      }
    }
    return false;
  }

  void remove(const void *base) noexcept {
    const auto low = reinterpret_cast<std::uintptr_t>(base);
    const int used = used_.load(std::memory_order_acquire);
    for (int i = 0; low != 0 && i < used; ++i) {
      std::uintptr_t expected = low;
      if (slots_[i].low.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;
    }
  }

 private:
  struct Slot {
    std::atomic<std::uintptr_t> low{0};
    std::atomic<std::uintptr_t> high{0};
  };
  Slot slots_[kSlots];
  std::atomic<int> used_{0};
};

extern PinnedHostRanges g_pinned_host;

// Cold, logged once: a pinned block did not fit the table.
void note_pinned_table_full() noexcept;

}  // namespace npuprobe::preload
