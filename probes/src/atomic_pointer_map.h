// A fixed-capacity lock-free map from a non-zero 64-bit key (a pointer, or two ids packed) to a
// 64-bit value, for the hot path: no allocation, no lock, bounded work per call.
//
// Open addressing with linear probing over at most kMaxProbe slots. A slot claimed by a key
// (CAS 0 -> key) keeps that key until clear(): emptying a slot in place would cut the probe
// chains of other keys. An erased key therefore leaves its slot with the value 0 ("absent") and
// takes the same slot again when it comes back, which is what pointers do (allocators and event
// pools reuse addresses). More distinct keys than fit make find_or_insert() fail; the caller
// counts that as dropped.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace npuprobe::probes {

template <std::size_t kCapacity, std::size_t kMaxProbe = 128>
class AtomicPointerMap {
  static_assert(kCapacity >= kMaxProbe && (kCapacity & (kCapacity - 1)) == 0,
                "capacity: a power of two, at least one probe window");

 public:
  static constexpr std::size_t kNone = SIZE_MAX;
  static constexpr std::size_t capacity() { return kCapacity; }

  static std::uint64_t key_of(const void *pointer) {
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(pointer));
  }

  // The slot of `key` (claimed for it if it had none), or kNone when its probe window is full.
  std::size_t find_or_insert(std::uint64_t key) noexcept {
    std::size_t slot = home(key);
    for (std::size_t probe = 0; probe < kMaxProbe; ++probe, slot = (slot + 1) & kMask) {
      std::uint64_t seen = slots_[slot].key.load(std::memory_order_acquire);
      if (seen == 0 && slots_[slot].key.compare_exchange_strong(seen, key, std::memory_order_acq_rel,
                                                           std::memory_order_acquire)) {
        return slot;
      }
      // note: a lost CAS leaves in `seen` the key that won; it may be ours (a racing insert).
      if (seen == key) return slot;
    }
    return kNone;
  }

  // The slot of `key`, or kNone. Slots are never emptied, so the first empty one ends the chain.
  std::size_t find(std::uint64_t key) const noexcept {
    std::size_t slot = home(key);
    for (std::size_t probe = 0; probe < kMaxProbe; ++probe, slot = (slot + 1) & kMask) {
      const std::uint64_t seen = slots_[slot].key.load(std::memory_order_acquire);
      if (seen == key) return slot;
      if (seen == 0) return kNone;
    }
    return kNone;
  }

  std::atomic<std::uint64_t> &value(std::size_t slot) noexcept { return slots_[slot].value; }
  // 0 = a slot no key has claimed.
  std::uint64_t key(std::size_t slot) const noexcept {
    return slots_[slot].key.load(std::memory_order_acquire);
  }

  // Only while no other thread uses the map (a fork child).
  void clear() noexcept {
    for (std::size_t i = 0; i < kCapacity; ++i) {
      slots_[i].key.store(0, std::memory_order_relaxed);
      slots_[i].value.store(0, std::memory_order_relaxed);
    }
  }

 private:
  static constexpr std::size_t kMask = kCapacity - 1;

  // murmur3's 64-bit finaliser: pointers are aligned and clustered, their low bits say little.
  static std::size_t home(std::uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return static_cast<std::size_t>(key) & kMask;
  }

  // A key and its value side by side (16 bytes, never across a cache line): a lookup and the
  // value's update touch one line.
  struct alignas(16) Slot {
    std::atomic<std::uint64_t> key{0};
    std::atomic<std::uint64_t> value{0};
  };
  Slot slots_[kCapacity];
};

}  // namespace npuprobe::probes
