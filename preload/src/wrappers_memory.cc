// Device memory (contract.md `npu:memory:*`): the caching allocator's two paths,
// aclrtMallocAlign32 and, with expandable segments, aclrtMallocPhysical; pinned host memory.
#include "hook.h"
#include "instrument.h"
#include "npu/acl_api.h"

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

NPUPROBE_HOOK(aclError, aclrtFree, (void *ptr), (ptr)) {
  static_cast<void>(caller);
  return measure_free(HookId::aclrtFree, AllocKind::kDevice, ptr, [&] { return real(ptr); });
}

NPUPROBE_HOOK(aclError, aclrtMallocHost, (void **ptr, size_t size), (ptr, size)) {
  static_cast<void>(caller);
  return measure_alloc(
      HookId::aclrtMallocHost, AllocKind::kHostPinned, size, [&] { return real(ptr, size); },
      [&]() -> const void * { return ptr != nullptr ? *ptr : nullptr; });
}

NPUPROBE_HOOK(aclError, aclrtFreeHost, (void *ptr), (ptr)) {
  static_cast<void>(caller);
  return measure_free(HookId::aclrtFreeHost, AllocKind::kHostPinned, ptr,
                      [&] { return real(ptr); });
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
