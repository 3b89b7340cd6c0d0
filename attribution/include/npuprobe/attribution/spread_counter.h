// A counter many threads add to on a hot path: one cache line per slot, a thread always adds to
// its own slot (assigned on its first add), and the reader sums the slots. Waits past the
// capture budget are counted here: a single shared counter would make every wait of every
// thread write the same cache line.
#pragma once

#include <atomic>
#include <cstdint>

namespace npuprobe::attribution {

class SpreadCounter {
 public:
  static constexpr unsigned kSlots = 16;

  void add() noexcept {
    slots_[slot_of_this_thread()].value.fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t sum() const noexcept {
    std::uint64_t total = 0;
    for (const Slot &s : slots_) total += s.value.load(std::memory_order_relaxed);
    return total;
  }
  void reset() noexcept {
    for (Slot &s : slots_) s.value.store(0, std::memory_order_relaxed);
  }

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> value{0};
  };
  // initial-exec: this code runs inside an LD_PRELOAD library, where general-dynamic TLS access
  // may call malloc on a thread's first use.
  static unsigned slot_of_this_thread() noexcept {
    static thread_local unsigned slot __attribute__((tls_model("initial-exec"))) = 0;
    if (__builtin_expect(slot == 0, 0)) {
      static std::atomic<unsigned> next{0};
      slot = next.fetch_add(1, std::memory_order_relaxed) % kSlots + 1;
    }
    return slot - 1;
  }
  Slot slots_[kSlots];
};

}  // namespace npuprobe::attribution
