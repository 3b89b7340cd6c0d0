// Device memory (docs/contract.md `npu:memory:*`): the caching allocator's two paths,
// aclrtMallocAlign32 and, with expandable segments, aclrtMallocPhysical; aclrtMallocWithCfg;
// pinned host memory (aclrtMallocHostWithCfg first in torch_npu's host caching allocator, then
// aclrtMallocHost), whose ranges the copy wrappers also need (pinned_host_ranges.h).
#include "hook.h"
#include "instrument.h"
#include "npu/acl_api.h"
#include "pinned_host_ranges.h"

using npuprobe::preload::HookId;
using npuprobe::preload::measure_alloc;
using npuprobe::preload::measure_free;
using npuprobe::probes::AllocKind;

NPUPROBE_HOOK(aclError, aclrtMalloc, (void **ptr, size_t size, int policy), (ptr, size, policy)) {
  static_cast<void>(caller);
  return measure_alloc(
      HookId::aclrtMalloc, AllocKind::kDevice, size, [&] { return real(ptr, size, policy); },
      [&]() -> const void * { return ptr != nullptr ? *ptr : nullptr; });
}

NPUPROBE_HOOK(aclError, aclrtMallocAlign32, (void **ptr, size_t size, int policy),
              (ptr, size, policy)) {
  static_cast<void>(caller);
  return measure_alloc(
      HookId::aclrtMallocAlign32, AllocKind::kDevice, size,
      [&] { return real(ptr, size, policy); },
      [&]() -> const void * { return ptr != nullptr ? *ptr : nullptr; });
}

NPUPROBE_HOOK(aclError, aclrtMallocWithCfg,
              (void **ptr, size_t size, aclrtMemMallocPolicy policy, aclrtMallocConfig *cfg),
              (ptr, size, policy, cfg)) {
  static_cast<void>(caller);
  return measure_alloc(
      HookId::aclrtMallocWithCfg, AllocKind::kDevice, size,
      [&] { return real(ptr, size, policy, cfg); },
      [&]() -> const void * { return ptr != nullptr ? *ptr : nullptr; });
}

NPUPROBE_HOOK(aclError, aclrtFree, (void *ptr), (ptr)) {
  static_cast<void>(caller);
  return measure_free(HookId::aclrtFree, AllocKind::kDevice, ptr, [&] { return real(ptr); });
}

namespace {

// A pinned block is remembered by range whether or not npuprobe measures right now.
aclError note_pinned(aclError rc, void **ptr, std::size_t size) {
  if (rc == ACL_SUCCESS && ptr != nullptr &&
      !npuprobe::preload::g_pinned_host.add(*ptr, size)) {
    npuprobe::preload::note_pinned_table_full();
  }
  return rc;
}

}  // namespace

NPUPROBE_HOOK(aclError, aclrtMallocHost, (void **ptr, size_t size), (ptr, size)) {
  static_cast<void>(caller);
  const aclError rc = measure_alloc(
      HookId::aclrtMallocHost, AllocKind::kHostPinned, size, [&] { return real(ptr, size); },
      [&]() -> const void * { return ptr != nullptr ? *ptr : nullptr; });
  return note_pinned(rc, ptr, size);
}

NPUPROBE_HOOK(aclError, aclrtMallocHostWithCfg, (void **ptr, uint64_t size, aclrtMallocConfig *cfg),
              (ptr, size, cfg)) {
  static_cast<void>(caller);
  const aclError rc = measure_alloc(
      HookId::aclrtMallocHostWithCfg, AllocKind::kHostPinned, static_cast<std::size_t>(size),
      [&] { return real(ptr, size, cfg); },
      [&]() -> const void * { return ptr != nullptr ? *ptr : nullptr; });
  return note_pinned(rc, ptr, static_cast<std::size_t>(size));
}

NPUPROBE_HOOK(aclError, aclrtFreeHost, (void *ptr), (ptr)) {
  static_cast<void>(caller);
  const aclError rc = measure_free(HookId::aclrtFreeHost, AllocKind::kHostPinned, ptr,
                                   [&] { return real(ptr); });
  if (rc == ACL_SUCCESS) npuprobe::preload::g_pinned_host.remove(ptr);
  return rc;
}

NPUPROBE_HOOK(aclError, aclrtMallocPhysical,
              (aclrtDrvMemHandle * handle, size_t size, const void *prop, uint64_t flags),
              (handle, size, prop, flags)) {
  static_cast<void>(caller);
  return measure_alloc(
      HookId::aclrtMallocPhysical, AllocKind::kPhysical, size,
      [&] { return real(handle, size, prop, flags); },
      [&]() -> const void * { return handle != nullptr ? *handle : nullptr; });
}

NPUPROBE_HOOK(aclError, aclrtFreePhysical, (aclrtDrvMemHandle handle), (handle)) {
  static_cast<void>(caller);
  return measure_free(HookId::aclrtFreePhysical, AllocKind::kPhysical, handle,
                      [&] { return real(handle); });
}
