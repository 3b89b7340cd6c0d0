#include "resolved_names.h"

namespace npuprobe::preload {

std::atomic<std::uint32_t> g_resolved_generation{1};
ResolvedNames g_resolved_names;

void *ResolvedNames::find(const void *target, std::uint64_t name,
                          std::uint32_t generation) const noexcept {
  const std::size_t start = home(target, name);
  for (std::size_t i = 0; i < kProbe; ++i) {
    const Entry &e = entries_[(start + i) & (kEntries - 1)];
    const std::uint32_t before = e.seq.load(std::memory_order_acquire);
    if (before == 0) return nullptr;  // never written: nothing further along either
    if ((before & 1u) != 0) continue;
    const bool match = e.target.load(std::memory_order_relaxed) == target &&
                       e.name.load(std::memory_order_relaxed) == name &&
                       e.generation.load(std::memory_order_relaxed) == generation;
    void *result = e.result.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (match && e.seq.load(std::memory_order_relaxed) == before) return result;
  }
  return nullptr;
}

void ResolvedNames::insert(const void *target, std::uint64_t name, std::uint32_t generation,
                           void *result) noexcept {
  const std::size_t start = home(target, name);
  for (std::size_t i = 0; i < kProbe; ++i) {
    Entry &e = entries_[(start + i) & (kEntries - 1)];
    std::uint32_t seq = e.seq.load(std::memory_order_acquire);
    if ((seq & 1u) != 0) continue;
    // A free entry, or one made in an older generation, may be (re)written.
    if (seq != 0 && e.generation.load(std::memory_order_relaxed) == generation) {
      if (e.target.load(std::memory_order_relaxed) == target &&
          e.name.load(std::memory_order_relaxed) == name) {
        return;  // another thread decided the same already
      }
      continue;
    }
    if (!e.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acq_rel)) continue;
    std::atomic_thread_fence(std::memory_order_release);  // odd seq before any field (seqlock)
    e.generation.store(generation, std::memory_order_relaxed);
    e.target.store(target, std::memory_order_relaxed);
    e.name.store(name, std::memory_order_relaxed);
    e.result.store(result, std::memory_order_relaxed);
    e.seq.store(seq + 2, std::memory_order_release);
    return;
  }
}

}  // namespace npuprobe::preload
