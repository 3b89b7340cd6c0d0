// A counter many threads add to on a hot path: one cache line per slot, and the reader sums the
// slots. Waits past the capture budget are counted here: a single shared counter would make
// every wait of every thread write the same cache line.
//
// The first kOwnSlots threads that add each get a slot of their own and add with a plain load
// and store (the slot has one writer; the reader's relaxed loads see each value whole): no
// locked instruction, which would cost more than the rest of a wait's bookkeeping. Later threads
// share kSharedSlots slots, picked in turn, and keep fetch_add.
#pragma once

#include <atomic>
#include <cstdint>

namespace npuprobe::attribution {

class SpreadCounter {
 public:
  static constexpr unsigned kOwnSlots = 16;
  static constexpr unsigned kSharedSlots = 4;

  void add() noexcept {
    const unsigned slot = slot_of_this_thread();
    std::atomic<std::uint64_t> &value = slots_[slot].value;
    if (__builtin_expect(slot < kOwnSlots, 1)) {
      value.store(value.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    } else {
      value.fetch_add(1, std::memory_order_relaxed);
    }
  }
  std::uint64_t sum() const noexcept {
    std::uint64_t total = 0;
    for (const Slot &s : slots_) total += s.value.load(std::memory_order_relaxed);
    return total;
  }
  // Only while no other thread adds (a fork child, single-threaded): an owned slot's writer
  // would otherwise write back what it read before the reset.
  void reset() noexcept {
    for (Slot &s : slots_) s.value.store(0, std::memory_order_relaxed);
  }

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> value{0};
  };
  // Which slot this thread adds to: owned while fewer than kOwnSlots threads came before it.
  // The numbering is process-wide (every SpreadCounter uses the same one), so a thread owns the
  // same slot index in each counter. initial-exec: this code runs inside an LD_PRELOAD library,
  // where general-dynamic TLS access may call malloc on a thread's first use.
  static unsigned slot_of_this_thread() noexcept {
    static thread_local unsigned slot __attribute__((tls_model("initial-exec"))) = 0;
    if (__builtin_expect(slot == 0, 0)) {
      static std::atomic<unsigned> next{0};
      const unsigned n = next.fetch_add(1, std::memory_order_relaxed);
      slot = (n < kOwnSlots ? n : kOwnSlots + (n - kOwnSlots) % kSharedSlots) + 1;
    }
    return slot - 1;
  }
  Slot slots_[kOwnSlots + kSharedSlots];
};

}  // namespace npuprobe::attribution
