#include "resolved_names.h"

namespace npuprobe::preload {

std::atomic<std::uint32_t> g_resolved_generation{1};
ResolvedNames g_resolved_names;

void *ResolvedNames::find(const void *target, const char *name,
                          std::uint32_t generation) const noexcept {
  const std::size_t start = home(target);
  for (std::size_t i = 0; i < kProbe; ++i) {
    const Entry &e = entries_[(start + i) & (kEntries - 1)];
    const std::uint32_t before = e.seq.load(std::memory_order_acquire);
    if (before == 0) return nullptr;  // never written: nothing further along either
    if ((before & 1u) != 0) continue;
    // Acquire loads of fields stored with release (no standalone fence: ThreadSanitizer does
    // not model one, and GCC refuses it there): a field from a newer write makes the odd
    // sequence number of that write visible to the check below.
    const void *entry_target = e.target.load(std::memory_order_acquire);
    const std::uint32_t entry_generation = e.generation.load(std::memory_order_acquire);
    const char *entry_name = e.name.load(std::memory_order_acquire);
    void *result = e.result.load(std::memory_order_acquire);
    if (e.seq.load(std::memory_order_relaxed) != before) continue;  // rewritten meanwhile
    // A consistent entry: its name was copied before it was published, so reading it is safe.
    if (entry_target == target && entry_generation == generation &&
        std::strcmp(entry_name, name) == 0) {
      return result;
    }
  }
  return nullptr;
}

const char *ResolvedNames::keep_name(const char *name) noexcept {
  const std::size_t size = std::strlen(name) + 1;
  std::size_t used = names_used_.load(std::memory_order_relaxed);
  do {
    if (used + size > kArenaBytes) return nullptr;
  } while (!names_used_.compare_exchange_weak(used, used + size, std::memory_order_relaxed));
  std::memcpy(names_ + used, name, size);
  return names_ + used;
}

void ResolvedNames::insert(const void *target, const char *name, std::uint32_t generation,
                           void *result) noexcept {
  const std::size_t start = home(target);
  const char *kept = nullptr;
  for (std::size_t i = 0; i < kProbe; ++i) {
    Entry &e = entries_[(start + i) & (kEntries - 1)];
    std::uint32_t seq = e.seq.load(std::memory_order_acquire);
    if ((seq & 1u) != 0) continue;
    // A free entry, or one made in an older generation, may be (re)written.
    if (seq != 0 && e.generation.load(std::memory_order_relaxed) == generation) continue;
    if (kept == nullptr && (kept = keep_name(name)) == nullptr) return;  // arena full
    if (!e.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acq_rel)) continue;
    // Release stores: the odd sequence number (and the name's bytes) come before each field.
    e.generation.store(generation, std::memory_order_release);
    e.target.store(target, std::memory_order_release);
    e.name.store(kept, std::memory_order_release);
    e.result.store(result, std::memory_order_release);
    e.seq.store(seq + 2, std::memory_order_release);
    return;
  }
}

}  // namespace npuprobe::preload
