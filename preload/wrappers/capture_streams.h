// Streams whose launches are recorded into a graph instead of run: capturing (between
// aclmdlRICaptureBegin and CaptureEnd; api="capture") or updating a captured task group
// (between aclmdlRICaptureTaskUpdateBegin and End; api="graph_update"). One set per kind. A
// handful of slots: real code captures one stream per device at a time. The fast path, with
// nothing capturing, is one relaxed load.
#pragma once

#include <atomic>

namespace npuprobe::preload {

class CaptureStreams {
 public:
  static constexpr int kSlots = 64;

  bool contains(const void *stream) const noexcept {
    if (__builtin_expect(active_.load(std::memory_order_acquire) == 0, 1)) return false;
    for (const auto &slot : slots_) {
      if (stream != nullptr && slot.load(std::memory_order_acquire) == stream) return true;
    }
    return false;
  }

  // False when every slot is taken (the stream's launches then count as ordinary launches).
  bool add(const void *stream) noexcept {
    for (auto &slot : slots_) {
      const void *expected = nullptr;
      if (slot.compare_exchange_strong(expected, stream, std::memory_order_acq_rel)) {
        active_.fetch_add(1, std::memory_order_acq_rel);
        return true;
      }
    }
    return false;
  }

  void remove(const void *stream) noexcept {
    for (auto &slot : slots_) {
      const void *expected = stream;
      if (stream != nullptr &&
          slot.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel)) {
        active_.fetch_sub(1, std::memory_order_acq_rel);
        return;
      }
    }
  }

  void clear() noexcept {
    for (auto &slot : slots_) slot.store(nullptr, std::memory_order_relaxed);
    active_.store(0, std::memory_order_relaxed);
  }

 private:
  std::atomic<int> active_{0};
  std::atomic<const void *> slots_[kSlots]{};
};

extern CaptureStreams g_capture_streams;
extern CaptureStreams g_update_streams;

}  // namespace npuprobe::preload
