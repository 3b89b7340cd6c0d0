// Device and host memory, the virtual-memory family, copies and memory info.
#include <cstring>

#include "ascendcl/runtime.h"
#include "sim/knobs.h"
#include "sim/memory.h"

using namespace npumock;

namespace {

aclError malloc_on_current(void **devPtr, size_t size, int policy) {
  if (policy < 0 || policy > 5) return ACL_ERROR_INVALID_PARAM;
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  return memory().malloc_device(dev, size, devPtr);
}

// Checks a copy's pointers against its kind; fills in the kind for ACL_MEMCPY_DEFAULT.
aclError check_copy(void *dst, size_t destMax, const void *src, size_t count, int *kind) {
  if (*kind < ACL_MEMCPY_HOST_TO_HOST || *kind > ACL_MEMCPY_DEFAULT) return ACL_ERROR_INVALID_PARAM;
  if (count > destMax) return ACL_ERROR_INVALID_PARAM;
  if (count > 0 && (dst == nullptr || src == nullptr)) return ACL_ERROR_INVALID_PARAM;
  const bool dst_dev = memory().is_device_range(dst, count, nullptr);
  const bool src_dev = memory().is_device_range(src, count, nullptr);
  if (*kind == ACL_MEMCPY_DEFAULT) {
    *kind = dst_dev ? (src_dev ? ACL_MEMCPY_DEVICE_TO_DEVICE : ACL_MEMCPY_HOST_TO_DEVICE)
                    : (src_dev ? ACL_MEMCPY_DEVICE_TO_HOST : ACL_MEMCPY_HOST_TO_HOST);
  }
  const bool want_dst_dev = *kind == ACL_MEMCPY_HOST_TO_DEVICE || *kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
  const bool want_src_dev = *kind == ACL_MEMCPY_DEVICE_TO_HOST || *kind == ACL_MEMCPY_DEVICE_TO_DEVICE;
  if (count > 0 && ((want_dst_dev && !dst_dev) || (want_src_dev && !src_dev))) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  return ACL_SUCCESS;
}

Task copy_task(void *dst, const void *src, size_t count, const char *name) {
  Task t;
  t.kind = Task::Kind::Copy;
  t.dst = dst;
  t.src = src;
  t.bytes = count;
  t.duration_ns = uint64_t(double(count) / knobs().copy_gbps);  // GB/s == bytes per ns
  t.name = name;
  t.type = "MEMCPY";
  return t;
}

Task memset_task(void *dst, int32_t value, size_t count) {
  Task t;
  t.kind = Task::Kind::Memset;
  t.dst = dst;
  t.fill = value;
  t.bytes = count;
  t.duration_ns = uint64_t(double(count) / (4 * knobs().copy_gbps));
  return t;
}

}  // namespace

extern "C" {

aclError aclrtMalloc(void **devPtr, size_t size, int policy) {
  NPUMOCK_ENTER("aclrtMalloc");
  return malloc_on_current(devPtr, size, policy);
}

aclError aclrtMallocAlign32(void **devPtr, size_t size, int policy) {
  NPUMOCK_ENTER("aclrtMallocAlign32");
  return malloc_on_current(devPtr, size, policy);
}

aclError aclrtFree(void *devPtr) {
  NPUMOCK_ENTER("aclrtFree");
  return memory().free_device(devPtr);
}

aclError aclrtMallocHost(void **hostPtr, size_t size) {
  NPUMOCK_ENTER("aclrtMallocHost");
  return memory().malloc_host(size, hostPtr);
}

aclError aclrtFreeHost(void *hostPtr) {
  NPUMOCK_ENTER("aclrtFreeHost");
  return memory().free_host(hostPtr);
}

aclError aclrtMallocPhysical(aclrtDrvMemHandle *handle, size_t size, const void *prop,
                             uint64_t flags) {
  NPUMOCK_ENTER("aclrtMallocPhysical");
  (void)prop;
  if (flags != 0) return ACL_ERROR_INVALID_PARAM;  // reserved, must be 0
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  PhysicalBlock *block = nullptr;
  aclError rc = memory().malloc_physical(dev, size, &block);
  if (rc == ACL_SUCCESS) *handle = block;
  return rc;
}

aclError aclrtFreePhysical(aclrtDrvMemHandle handle) {
  NPUMOCK_ENTER("aclrtFreePhysical");
  return memory().free_physical(static_cast<PhysicalBlock *>(handle));
}

aclError aclrtReserveMemAddress(void **virPtr, size_t size, size_t alignment, void *expectPtr,
                                uint64_t flags) {
  NPUMOCK_ENTER("aclrtReserveMemAddress");
  (void)expectPtr;  // a hint only
  if (flags != 0) return ACL_ERROR_INVALID_PARAM;
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  return memory().reserve(dev, size, alignment, virPtr);
}

aclError aclrtReleaseMemAddress(void *virPtr) {
  NPUMOCK_ENTER("aclrtReleaseMemAddress");
  return memory().release(virPtr);
}

aclError aclrtMapMem(void *virPtr, size_t size, size_t offset, aclrtDrvMemHandle handle,
                     uint64_t flags) {
  NPUMOCK_ENTER("aclrtMapMem");
  if (flags != 0) return ACL_ERROR_INVALID_PARAM;
  return memory().map(virPtr, size, offset, static_cast<PhysicalBlock *>(handle));
}

aclError aclrtUnmapMem(void *virPtr) {
  NPUMOCK_ENTER("aclrtUnmapMem");
  return memory().unmap(virPtr);
}

aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count, int kind) {
  NPUMOCK_ENTER("aclrtMemcpy");
  if (aclError rc = check_copy(dst, destMax, src, count, &kind)) return rc;
  if (kind == ACL_MEMCPY_HOST_TO_HOST) {
    if (count > 0) memmove(dst, src, count);
    return ACL_SUCCESS;
  }
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(nullptr, &s)) return rc;
  // Synchronous: queued behind everything already on the device, and the host waits for it.
  const uint64_t seq = enqueue_task(s, copy_task(dst, src, count, "aclrtMemcpy"));
  device(s->device)->wait_for(seq);
  return ACL_SUCCESS;
}

aclError aclrtMemcpyAsync(void *dst, size_t destMax, const void *src, size_t count, int kind,
                          aclrtStream stream) {
  NPUMOCK_ENTER("aclrtMemcpyAsync");
  if (aclError rc = check_copy(dst, destMax, src, count, &kind)) return rc;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  enqueue_task(s, copy_task(dst, src, count, "aclrtMemcpyAsync"));
  return ACL_SUCCESS;
}

aclError aclrtMemset(void *devPtr, size_t maxCount, int32_t value, size_t count) {
  NPUMOCK_ENTER("aclrtMemset");
  if (count > maxCount) return ACL_ERROR_INVALID_PARAM;
  if (!memory().is_device_range(devPtr, count, nullptr)) return ACL_ERROR_RT_PARAM_INVALID;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(nullptr, &s)) return rc;
  device(s->device)->wait_for(enqueue_task(s, memset_task(devPtr, value, count)));
  return ACL_SUCCESS;
}

aclError aclrtMemsetAsync(void *devPtr, size_t maxCount, int32_t value, size_t count,
                          aclrtStream stream) {
  NPUMOCK_ENTER("aclrtMemsetAsync");
  if (count > maxCount) return ACL_ERROR_INVALID_PARAM;
  if (!memory().is_device_range(devPtr, count, nullptr)) return ACL_ERROR_RT_PARAM_INVALID;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  enqueue_task(s, memset_task(devPtr, value, count));
  return ACL_SUCCESS;
}

aclError aclrtGetMemInfo(int attr, size_t *free, size_t *total) {
  NPUMOCK_ENTER("aclrtGetMemInfo");
  if (free == nullptr || total == nullptr || attr < ACL_DDR_MEM || attr > ACL_HBM_MEM_NORMAL) {
    return ACL_ERROR_INVALID_PARAM;
  }
  const int dev = current_device();
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  uint64_t f = 0, t = 0;
  if (attr == ACL_HBM_MEM || attr == ACL_HBM_MEM_HUGE) memory().mem_info(dev, &f, &t);
  // DDR and the "normal page" HBM pool are empty on an A2-class device.
  *free = size_t(f);
  *total = size_t(t);
  return ACL_SUCCESS;
}

}  // extern "C"
