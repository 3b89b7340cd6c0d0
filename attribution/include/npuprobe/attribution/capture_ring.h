// The hand-over of captured stacks from application threads to the publisher thread: a bounded
// multi-producer, single-consumer ring (Vyukov's sequence-numbered slots). A producer claims a
// slot with one CAS and publishes it with one release store; it never waits, never allocates
// (every slot is allocated once, up front) and gives up when the ring is full (the caller counts
// that). The single consumer is the publisher thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "npuprobe/attribution/captured_stack.h"

namespace npuprobe::attribution {

class CaptureRing {
 public:
  // `capacity` is rounded up to a power of two (at least 2).
  explicit CaptureRing(std::size_t capacity);
  CaptureRing(const CaptureRing &) = delete;
  CaptureRing &operator=(const CaptureRing &) = delete;

  // Any thread. False when the ring is full (the stack is not kept).
  bool push(const CapturedStack &stack) noexcept {
    std::uint64_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Slot &slot = slots_[pos & mask_];
      const std::uint64_t seq = slot.sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::int64_t>(seq - pos);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          slot.stack = stack;
          slot.sequence.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // the consumer has not freed this slot yet: full
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // The consumer only. False when nothing is ready.
  bool pop(CapturedStack *out) noexcept {
    Slot &slot = slots_[tail_ & mask_];
    if (slot.sequence.load(std::memory_order_acquire) != tail_ + 1) return false;
    *out = slot.stack;
    slot.sequence.store(tail_ + mask_ + 1, std::memory_order_release);
    ++tail_;
    return true;
  }

  std::size_t capacity() const noexcept { return mask_ + 1; }

  // Fork child (single-threaded): empty again. Stacks the parent had not drained are the
  // parent's.
  void reset() noexcept;

 private:
  struct Slot {
    std::atomic<std::uint64_t> sequence{0};
    CapturedStack stack;
  };
  std::size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::uint64_t tail_ = 0;
};

}  // namespace npuprobe::attribution
