// What npuprobe's dlsym decided for (name, address the real lookup found): the pointer it hands
// out (a wrapper, a thunk, or the address itself). op-plugin 26 looks every aclnn op up with
// dlsym on every call (docs/ascend-stack.md, "How real code binds names"), so a repeated lookup
// must cost no more than a hash and a compare on top of the real dlsym.
//
// Keyed by the address and a hash of the name (two names may share one address). An entry holds
// the generation it was made in; the generation moves when a library is closed (an address may
// then come back for another library) or when the hooks configuration changes what dlsym hands
// out, and older entries no longer match. Fixed size, lock-free: each entry is a seqlock over
// atomic words, so a reader never sees half an entry. A full probe window only means the next
// lookup of that name decides again.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace npuprobe::preload {

class ResolvedNames {
 public:
  static constexpr std::size_t kEntries = 4096;  // power of two
  static constexpr std::size_t kProbe = 8;

  // The decision for (target, name) made in `generation`, or null.
  void *find(const void *target, std::uint64_t name, std::uint32_t generation) const noexcept;
  void insert(const void *target, std::uint64_t name, std::uint32_t generation,
              void *result) noexcept;

 private:
  struct Entry {
    std::atomic<std::uint32_t> seq{0};  // 0 never written; odd while written
    std::atomic<std::uint32_t> generation{0};
    std::atomic<const void *> target{nullptr};
    std::atomic<std::uint64_t> name{0};
    std::atomic<void *> result{nullptr};
  };
  static std::size_t home(const void *target, std::uint64_t name) noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(target);
    return static_cast<std::size_t>((a >> 4) ^ name ^ (name >> 29)) & (kEntries - 1);
  }
  Entry entries_[kEntries];
};

// Hash of a symbol name, a word at a time (after strlen, so no read past its end).
inline std::uint64_t hash_name(const char *name) noexcept {
  const std::size_t n = std::strlen(name);
  std::uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, name + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  std::uint64_t w = 0;
  std::memcpy(&w, name + i, n - i);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 29);
}

// Moves when a library is closed or the hooks configuration changes (see above).
extern std::atomic<std::uint32_t> g_resolved_generation;
inline void invalidate_resolved_names() noexcept {
  g_resolved_generation.fetch_add(1, std::memory_order_acq_rel);
}

extern ResolvedNames g_resolved_names;

}  // namespace npuprobe::preload
