// What npuprobe's dlsym decided for (name, address the real lookup found): the pointer it hands
// out (a wrapper, a thunk, or the address itself). op-plugin 26 looks every aclnn op up with
// dlsym on every call (docs/ascend-stack.md, "How real code binds names"), so a repeated lookup
// must cost no more than a hash and a compare on top of the real dlsym.
//
// Keyed by the address; the name is compared too (two names may share one address: the same
// function, so any decision is safe to call, but the label is the name's), against a copy kept
// in a write-once arena. Not by the caller's pointer: a buffer reused for another name would
// match. An entry holds the generation it was made in; the generation moves when a library is
// closed (an address may then come back for another library) or when the hooks configuration
// changes what dlsym hands out, and older entries no longer match. Fixed size, lock-free: each
// entry is a seqlock over atomic words (acquire/release, no standalone fence), so a reader never
// sees half an entry, and reads the arena only through a consistent entry. A full probe window
// or arena only means the next lookup of that name decides again.
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

  static constexpr std::size_t kArenaBytes = 128 * 1024;

  // The decision for (target, name) made in `generation`, or null.
  void *find(const void *target, const char *name, std::uint32_t generation) const noexcept;
  void insert(const void *target, const char *name, std::uint32_t generation,
              void *result) noexcept;

 private:
  struct Entry {
    std::atomic<std::uint32_t> seq{0};  // 0 never written; odd while written
    std::atomic<std::uint32_t> generation{0};
    std::atomic<const void *> target{nullptr};
    std::atomic<const char *> name{nullptr};  // in names_
    std::atomic<void *> result{nullptr};
  };
  static std::size_t home(const void *target) noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(target);
    return static_cast<std::size_t>((a >> 4) ^ (a >> 16)) & (kEntries - 1);
  }
  // A copy of `name` in the arena, or null when it is full. Written once, never reused.
  const char *keep_name(const char *name) noexcept;

  Entry entries_[kEntries];
  char names_[kArenaBytes];
  std::atomic<std::size_t> names_used_{0};
};

// Moves when a library is closed or the hooks configuration changes (see above).
extern std::atomic<std::uint32_t> g_resolved_generation;
inline void invalidate_resolved_names() noexcept {
  g_resolved_generation.fetch_add(1, std::memory_order_acq_rel);
}

extern ResolvedNames g_resolved_names;

}  // namespace npuprobe::preload
