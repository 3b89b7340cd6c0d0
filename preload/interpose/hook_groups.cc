#include "hook_groups.h"

#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "aclnn_thunks.h"
#include "hook.h"
#include "npuprobe/config/config.h"
#include "npuprobe/base/log.h"
#include "resolved_names.h"

namespace npuprobe::preload {

std::atomic<std::uint64_t> g_hook_mask[kHookMaskWords] = {{~std::uint64_t{0}},
                                                          {~std::uint64_t{0}}};
std::atomic<bool> g_wrap_dlsym_results{true};

namespace {

// The mask `hooks` asks for, and whether only lifecycle hooks run now; g_hook_mask combines
// them under g_mask_mutex (a stale combination could leave a measuring process unmeasured).
struct Mask {
  std::uint64_t words[kHookMaskWords] = {~std::uint64_t{0}, ~std::uint64_t{0}};
  void clear(int bit) { words[bit >> 6] &= ~(std::uint64_t{1} << (bit & 63)); }
  void set(int bit) { words[bit >> 6] |= std::uint64_t{1} << (bit & 63); }
};
Mask g_config_mask;
bool g_forward_only = false;
std::mutex g_mask_mutex;

void publish_mask_locked() {
  Mask mask = g_config_mask;
  if (g_forward_only) {
    for (int i = 0; i < kAclnnBit + 1; ++i) {
      if (i == kAclnnBit || hook_group(static_cast<HookId>(i)) != HookGroup::kLifecycle) {
        mask.clear(i);
      }
    }
  }
  for (int w = 0; w < kHookMaskWords; ++w) {
    g_hook_mask[w].store(mask.words[w], std::memory_order_relaxed);
  }
}

// Published once per apply and never freed: a dlsym on another thread may be reading the old
// list (reloads are rare; each list is a few names). Old lists stay reachable from `retired`,
// so that a leak checker at exit sees kept memory, not lost memory.
std::atomic<const std::vector<std::string> *> g_skip{nullptr};

// Under g_mask_mutex (re-made in a fork child, so a reload there cannot deadlock on it).
void retire_skip_list_locked(const std::vector<std::string> *list) {
  static auto *retired = new std::vector<const std::vector<std::string> *>;
  retired->push_back(list);
}

}  // namespace

HookGroup hook_group(HookId id) noexcept {
  switch (id) {
    case HookId::aclInit:
    case HookId::aclFinalize:
    case HookId::aclrtSetDevice:
    case HookId::aclrtResetDevice:
    case HookId::aclrtCreateContext:
    case HookId::aclrtSetCurrentContext:
    case HookId::aclmdlRICaptureBegin:
    case HookId::aclmdlRICaptureEnd:
    case HookId::aclmdlRICaptureTaskGrpBegin:
    case HookId::aclmdlRICaptureTaskGrpEnd:
    case HookId::aclmdlRICaptureTaskUpdateBegin:
    case HookId::aclmdlRICaptureTaskUpdateEnd:
    case HookId::HcclCommInitRootInfo:  // which rank of how many: the collectives' labels
    case HookId::HcclCommInitRootInfoConfig:
    case HookId::HcclCommInitAll:
    case HookId::HcclCommInitClusterInfo:
    case HookId::HcclCommDestroy:
      return HookGroup::kLifecycle;
    case HookId::aclrtCreateEvent:
    case HookId::aclrtCreateEventWithFlag:
    case HookId::aclrtDestroyEvent:
    case HookId::aclrtRecordEvent:  // events matter only to event waits
    case HookId::aclrtSynchronizeEvent:
    case HookId::aclrtSynchronizeEventWithTimeout:
    case HookId::aclrtSynchronizeStream:
    case HookId::aclrtSynchronizeStreamWithTimeout:
    case HookId::aclrtSynchronizeDevice:
    case HookId::aclrtSynchronizeDeviceWithTimeout:
    case HookId::aclrtMemcpy:
    case HookId::aclrtMemcpyBatch:
    case HookId::aclmdlExecute:  // synchronous: a launch and its wait in one call
    case HookId::aclmdlRIExecute:
      return HookGroup::kSync;
    case HookId::aclrtMalloc:
    case HookId::aclrtMallocAlign32:
    case HookId::aclrtFree:
    case HookId::aclrtMallocWithCfg:
    case HookId::aclrtMallocHost:
    case HookId::aclrtMallocHostWithCfg:
    case HookId::aclrtFreeHost:
    case HookId::aclrtMallocPhysical:
    case HookId::aclrtFreePhysical:
      return HookGroup::kMemory;
    case HookId::aclrtMemcpyAsync:
    case HookId::aclrtMemcpyAsyncWithCondition:  // a launch, or a wait with pageable memory
    case HookId::aclrtMemcpyBatchAsync:
    case HookId::aclopExecuteV2:
    case HookId::aclopCompileAndExecute:
    case HookId::aclopCompileAndExecuteV2:
    case HookId::aclmdlExecuteAsync:
    case HookId::aclmdlRIExecuteAsync:
    case HookId::aclrtLaunchKernel:
    case HookId::aclrtLaunchKernelV2:
    case HookId::aclrtLaunchKernelWithConfig:
    case HookId::aclrtLaunchKernelWithHostArgs:
    case HookId::rtKernelLaunchWithFlagV2:
    case HookId::rtAicpuKernelLaunchExWithArgs:
    // Collectives are enqueued on a stream like kernels: the launch group.
    case HookId::HcclAllReduce:
    case HookId::HcclAllGather:
    case HookId::HcclReduceScatter:
    case HookId::HcclBroadcast:
    case HookId::HcclReduce:
    case HookId::HcclAlltoAll:
    case HookId::HcclAlltoAllV:
    case HookId::HcclScatter:
    case HookId::HcclSend:
    case HookId::HcclRecv:
    case HookId::HcclBatchSendRecv:
    case HookId::HcclBarrier:
    case HookId::kCount:
      break;
  }
  return HookGroup::kLaunch;
}

void apply_hooks_config(const config::HooksConfig &hooks) {
  const auto group_on = [&](HookGroup group) {
    switch (group) {
      case HookGroup::kLaunch: return hooks.launch;
      case HookGroup::kSync: return hooks.sync;
      case HookGroup::kMemory: return hooks.memory;
      case HookGroup::kLifecycle: return true;
    }
    return true;
  };
  Mask mask;
  for (int i = 0; i < kHookCount; ++i) {
    if (!group_on(hook_group(static_cast<HookId>(i)))) mask.clear(i);
  }
  if (!hooks.launch) mask.clear(kAclnnBit);
  for (const std::string &name : hooks.skip) {
    bool wrapped = false;
    for (int i = 0; i < kHookCount; ++i) {
      if (name == hook_name(static_cast<HookId>(i))) {
        mask.clear(i);
        wrapped = true;
      }
    }
    if (!wrapped && !looks_like_aclnn_op_name(name.c_str())) {
      base::log_message(base::LogLevel::kWarn,
                         "hooks.skip: %s is neither an ACL function npuprobe wraps nor an aclnn "
                         "op (ignored)",
                         name.c_str());
    }
  }
  const std::vector<std::string> *previous =
      g_skip.exchange(new std::vector<std::string>(hooks.skip), std::memory_order_acq_rel);
  invalidate_resolved_names();  // what dlsym hands out for a skipped op changed
  {
    std::lock_guard<std::mutex> lock(g_mask_mutex);
    if (previous != nullptr) retire_skip_list_locked(previous);
    g_config_mask = mask;
    publish_mask_locked();
  }
  g_wrap_dlsym_results.store(hooks.dlsym, std::memory_order_relaxed);
}

void reset_hooks_lock_after_fork() noexcept {
  new (&g_mask_mutex) std::mutex;
}

void set_hooks_forward_only(bool forward_only) noexcept {
  std::lock_guard<std::mutex> lock(g_mask_mutex);
  g_forward_only = forward_only;
  publish_mask_locked();
}

bool aclnn_op_skipped(const char *name) noexcept {
  const std::vector<std::string> *skip = g_skip.load(std::memory_order_acquire);
  if (skip == nullptr) return false;
  for (const std::string &s : *skip) {
    if (std::strcmp(s.c_str(), name) == 0) return true;
  }
  return false;
}

}  // namespace npuprobe::preload
