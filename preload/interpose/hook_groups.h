// Which wrappers measure (config `hooks`): the groups launch, sync and memory, the dlsym
// interposer, and `hooks.skip`, function names never wrapped. A hook that is off forwards as if
// npuprobe were not there. Applied at start and on every `npuprobe restart`; the wrappers read
// one relaxed word.
#pragma once

#include <atomic>
#include <cstdint>

#include "hook_list.h"

namespace npuprobe::config {
struct HooksConfig;
}

namespace npuprobe::preload {

// What a hook belongs to. Lifecycle hooks (aclInit/Finalize, Set/ResetDevice, graph capture
// begin/end) are on unless skipped by name: they tell npuprobe which device a thread uses.
enum class HookGroup { kLaunch, kSync, kMemory, kLifecycle };
HookGroup hook_group(HookId id) noexcept;

// Bit i: HookId i measures; bit kAclnnBit: the aclnn thunks dlsym hands out (launch group).
// Two words (the hooks outgrew one); a wrapper reads the one word its bit is in.
// Constant-initialised to all-on, so wrappers running before npuprobe starts measure.
inline constexpr int kAclnnBit = kHookCount;
inline constexpr int kHookMaskWords = 2;
static_assert(kAclnnBit < 64 * kHookMaskWords, "one bit per hook");
extern std::atomic<std::uint64_t> g_hook_mask[kHookMaskWords];
extern std::atomic<bool> g_wrap_dlsym_results;  // hooks.dlsym

inline bool hook_on(int bit) noexcept {
  return (g_hook_mask[bit >> 6].load(std::memory_order_relaxed) >> (bit & 63)) & 1u;
}
inline bool hook_on(HookId id) noexcept {
  return hook_on(static_cast<int>(id));
}

// While npuprobe does not measure (switch OFF, NPUPROBE_DISABLE=1, a failed start), only the
// lifecycle hooks stay in g_hook_mask: every other wrapper forwards at its first test, without
// looking at thread state or the runtime (bench/README.md, per-call "switch off"). The wrappers
// still check the switch themselves, so a mask a moment late only costs time. Cold, serialized.
void set_hooks_forward_only(bool forward_only) noexcept;

// Fork child: a thread of the parent may have held the mask's lock.
void reset_hooks_lock_after_fork() noexcept;

// Sets the mask and the skip list from `hooks`; a skip name npuprobe does not wrap is reported
// (warning). Cold: start-up and reload.
void apply_hooks_config(const config::HooksConfig &hooks);

// True for an aclnn op named in hooks.skip: dlsym hands it out unwrapped (a later reload cannot
// wrap a pointer the caller already holds). Allocation-free: dlsym may run anywhere.
bool aclnn_op_skipped(const char *name) noexcept;

}  // namespace npuprobe::preload
