// Device and host memory, the virtual-memory family, copies and memory info.
#include <cstdint>
#include <cstring>
#include <vector>

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

// The allocation config checks of aclrtMallocInnerWithCfg (memory.cpp) and of the runtime
// (ApiErrorDecorator::DevMalloc, ApiImpl::HostMallocWithCfg): attrs may only be NULL with a NULL
// cfg. A device-id attribute must name the current device (ApiImpl::DevMalloc).
aclError check_malloc_cfg(const aclrtMallocConfig *cfg, int dev) {
  if (cfg == nullptr) return ACL_SUCCESS;
  if (cfg->attrs == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  for (size_t i = 0; i < cfg->numAttrs; ++i) {
    const aclrtMallocAttribute &a = cfg->attrs[i];
    if (a.attr == ACL_RT_MEM_ATTR_DEVICE_ID && int64_t(a.value.deviceId) != dev) {
      return ACL_ERROR_RT_PARAM_INVALID;
    }
  }
  return ACL_SUCCESS;
}

// The host side of a copy: pinned (aclrtMallocHost / aclrtMallocHostWithCfg) or pageable.
bool host_side_pageable(void *dst, const void *src, int kind) {
  if (kind == ACL_MEMCPY_HOST_TO_DEVICE) return !memory().is_host_pinned(src);
  if (kind == ACL_MEMCPY_DEVICE_TO_HOST) return !memory().is_host_pinned(dst);
  return false;
}

// One pair of a batch copy against its attribute (ApiImpl::CheckMemCpyAttr /
// ValidateMemCpyParamsAndAttributes): the location each side really has must be the declared
// one (pageable host memory counts as host, HOST_NUMA as host), device ids must match, and only
// host<->device directions are allowed. *kind gets the direction.
aclError check_batch_pair(void *dst, const void *src, size_t size, const aclrtMemcpyBatchAttr &attr,
                          int *kind) {
  int dst_dev = -1, src_dev = -1;
  const bool dst_is_dev = memory().is_device_range(dst, size, &dst_dev);
  const bool src_is_dev = memory().is_device_range(src, size, &src_dev);
  auto declared = [](aclrtMemLocationType t) {
    return t == ACL_MEM_LOCATION_TYPE_HOST_NUMA ? ACL_MEM_LOCATION_TYPE_HOST : t;
  };
  const aclrtMemLocationType dst_type = dst_is_dev ? ACL_MEM_LOCATION_TYPE_DEVICE : ACL_MEM_LOCATION_TYPE_HOST;
  const aclrtMemLocationType src_type = src_is_dev ? ACL_MEM_LOCATION_TYPE_DEVICE : ACL_MEM_LOCATION_TYPE_HOST;
  if (dst_type != declared(attr.dstLoc.type) || (dst_is_dev && int64_t(attr.dstLoc.id) != dst_dev)) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  if (src_type != declared(attr.srcLoc.type) || (src_is_dev && int64_t(attr.srcLoc.id) != src_dev)) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  if (dst_is_dev == src_is_dev) return ACL_ERROR_RT_PARAM_INVALID;  // H2D or D2H only
  *kind = dst_is_dev ? ACL_MEMCPY_HOST_TO_DEVICE : ACL_MEMCPY_DEVICE_TO_HOST;
  return ACL_SUCCESS;
}

// The argument checks every batch copy makes before it copies anything: ACL's MemcpyBatchImpl
// and ValidateMemcpyBatchParams (ACL_ERROR_INVALID_PARAM), then the runtime's
// ApiErrorDecorator::MemcpyBatch(Async), which first sets *failIndex to SIZE_MAX
// (ACL_ERROR_RT_PARAM_INVALID). Returns ACL_SUCCESS with *all_empty when every size is 0.
aclError check_batch(void **dsts, size_t *destMaxs, void **srcs, size_t *sizes, size_t numBatches,
                     aclrtMemcpyBatchAttr *attrs, size_t *attrsIndexes, size_t numAttrs,
                     size_t *failIndex, bool async, bool *all_empty) {
  *all_empty = false;
  if (failIndex == nullptr || sizes == nullptr || numBatches == 0) return ACL_ERROR_INVALID_PARAM;
  bool empty = true;
  for (size_t i = 0; i < numBatches; ++i) empty = empty && sizes[i] == 0;
  if (empty) {
    *failIndex = SIZE_MAX;
    *all_empty = true;
    return ACL_SUCCESS;
  }
  if (dsts == nullptr || destMaxs == nullptr || srcs == nullptr || attrs == nullptr ||
      attrsIndexes == nullptr) {
    return ACL_ERROR_INVALID_PARAM;
  }
  for (size_t i = 0; i < numBatches; ++i) {
    if (destMaxs[i] < sizes[i]) return ACL_ERROR_INVALID_PARAM;
  }
  for (size_t a = 0; a < numAttrs; ++a) {
    for (uint8_t b : attrs[a].rsv) {
      if (b != 0) return ACL_ERROR_INVALID_PARAM;
    }
  }
  *failIndex = SIZE_MAX;
  constexpr size_t kMaxSyncBatch = 4096;  // DEVMM_MEMCPY_BATCH_MAX_COUNT, synchronous only
  if (numAttrs == 0 || numAttrs > numBatches || (!async && numBatches > kMaxSyncBatch)) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  if (attrsIndexes[0] != 0) return ACL_ERROR_RT_PARAM_INVALID;
  for (size_t a = 1; a < numAttrs; ++a) {
    if (attrsIndexes[a] <= attrsIndexes[a - 1] || attrsIndexes[a] >= numBatches) {
      return ACL_ERROR_RT_PARAM_INVALID;
    }
  }
  return ACL_SUCCESS;
}

// The attribute that applies to copy i (attrs[k] covers attrsIndexes[k] .. attrsIndexes[k+1]-1).
const aclrtMemcpyBatchAttr &batch_attr(size_t i, const aclrtMemcpyBatchAttr *attrs,
                                       const size_t *attrsIndexes, size_t numAttrs) {
  size_t k = 0;
  while (k + 1 < numAttrs && i >= attrsIndexes[k + 1]) ++k;
  return attrs[k];
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

aclError aclrtMallocWithCfg(void **devPtr, size_t size, aclrtMemMallocPolicy policy,
                            aclrtMallocConfig *cfg) {
  NPUMOCK_ENTER("aclrtMallocWithCfg");
  (void)policy;  // any value is accepted: out-of-range policies pick pages by size (docs)
  if (devPtr == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (cfg != nullptr && cfg->numAttrs != 0 && cfg->attrs == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (size == 0) return ACL_ERROR_INVALID_PARAM;
  const int dev = current_device();
  if (aclError rc = check_malloc_cfg(cfg, dev)) return rc;
  if (dev < 0) return ACL_ERROR_RT_CONTEXT_NULL;
  return memory().malloc_device(dev, size, devPtr);
}

aclError aclrtMallocHostWithCfg(void **ptr, uint64_t size, aclrtMallocConfig *cfg) {
  NPUMOCK_ENTER("aclrtMallocHostWithCfg");
  if (ptr == nullptr || size == 0) return ACL_ERROR_INVALID_PARAM;
  if (cfg != nullptr && cfg->attrs == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  if (current_device() < 0) return ACL_ERROR_RT_CONTEXT_NULL;  // HostMallocWithCfg needs one
  return memory().malloc_host(size_t(size), ptr);
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

// memory.cpp + ApiErrorDecorator::MemcpyAsync: like aclrtMemcpyAsync, but when the host side is
// pageable the runtime turns the copy into "synchronize the stream, then copy synchronously"
// (refused on a capturing stream), so the call returns once the copy is done.
aclError aclrtMemcpyAsyncWithCondition(void *dst, size_t destMax, const void *src, size_t count,
                                       aclrtMemcpyKind kind, aclrtStream stream) {
  NPUMOCK_ENTER("aclrtMemcpyAsyncWithCondition");
  if (count == 0) return ACL_SUCCESS;
  if (dst == nullptr || src == nullptr) return ACL_ERROR_INVALID_PARAM;
  if (kind < ACL_MEMCPY_HOST_TO_HOST || kind > ACL_MEMCPY_DEFAULT) return ACL_ERROR_INVALID_PARAM;
  if (count > destMax) return ACL_ERROR_RT_PARAM_INVALID;
  int k = kind;
  if (aclError rc = check_copy(dst, destMax, src, count, &k)) return rc;
  if (k == ACL_MEMCPY_HOST_TO_HOST) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  if (!host_side_pageable(dst, src, k)) {
    enqueue_task(s, copy_task(dst, src, count, "aclrtMemcpyAsyncWithCondition"));
    return ACL_SUCCESS;
  }
  {
    std::lock_guard<std::mutex> lock(s->capture_mu);
    if (s->capturing != nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  }
  // The stream's tasks, then the copy, all done before the call returns.
  device(s->device)->wait_for(enqueue_task(s, copy_task(dst, src, count, "aclrtMemcpyAsyncWithCondition")));
  return ACL_SUCCESS;
}

// Synchronous: every pair is checked (failIndex names the first bad one), then all are copied
// and the call returns when they are done. Queued behind the work already on the devices, like
// the mock's aclrtMemcpy.
aclError aclrtMemcpyBatch(void **dsts, size_t *destMaxs, void **srcs, size_t *sizes,
                          size_t numBatches, aclrtMemcpyBatchAttr *attrs, size_t *attrsIndexes,
                          size_t numAttrs, size_t *failIndex) {
  NPUMOCK_ENTER("aclrtMemcpyBatch");
  bool empty = false;
  if (aclError rc = check_batch(dsts, destMaxs, srcs, sizes, numBatches, attrs, attrsIndexes,
                                numAttrs, failIndex, false, &empty)) {
    return rc;
  }
  if (empty) return ACL_SUCCESS;
  std::vector<int> devs(numBatches, -1);
  for (size_t i = 0; i < numBatches; ++i) {
    int kind = 0;
    if (check_batch_pair(dsts[i], srcs[i], sizes[i], batch_attr(i, attrs, attrsIndexes, numAttrs),
                         &kind) != ACL_SUCCESS) {
      *failIndex = i;
      return ACL_ERROR_RT_PARAM_INVALID;
    }
    memory().is_device_range(kind == ACL_MEMCPY_HOST_TO_DEVICE ? dsts[i] : srcs[i], sizes[i], &devs[i]);
  }
  std::vector<uint64_t> last(64, 0);
  for (size_t i = 0; i < numBatches; ++i) {
    if (sizes[i] == 0) continue;
    last[size_t(devs[i])] = enqueue_task(default_stream(devs[i]),
                                         copy_task(dsts[i], srcs[i], sizes[i], "aclrtMemcpyBatch"));
  }
  for (size_t d = 0; d < last.size(); ++d) {
    if (last[d] != 0) device(int(d))->wait_for(last[d]);
  }
  return ACL_SUCCESS;
}

// ApiImpl::LoopMemcpyAsync: pair by pair, a copy with pageable host memory synchronizes the
// stream and copies synchronously, any other is queued on the stream; a bad pair stops the loop
// (earlier pairs stay issued) and is named by failIndex.
aclError aclrtMemcpyBatchAsync(void **dsts, size_t *destMaxs, void **srcs, size_t *sizes,
                               size_t numBatches, aclrtMemcpyBatchAttr *attrs,
                               size_t *attrsIndexes, size_t numAttrs, size_t *failIndex,
                               aclrtStream stream) {
  NPUMOCK_ENTER("aclrtMemcpyBatchAsync");
  bool empty = false;
  if (aclError rc = check_batch(dsts, destMaxs, srcs, sizes, numBatches, attrs, attrsIndexes,
                                numAttrs, failIndex, true, &empty)) {
    return rc;
  }
  if (empty) return ACL_SUCCESS;
  Stream *s = nullptr;
  if (aclError rc = resolve_stream(stream, &s)) return rc;
  for (size_t i = 0; i < numBatches; ++i) {
    int kind = 0;
    if (sizes[i] == 0 || sizes[i] > destMaxs[i] || srcs[i] == nullptr || dsts[i] == nullptr ||
        check_batch_pair(dsts[i], srcs[i], sizes[i], batch_attr(i, attrs, attrsIndexes, numAttrs),
                         &kind) != ACL_SUCCESS) {
      *failIndex = i;
      return ACL_ERROR_RT_PARAM_INVALID;
    }
    const uint64_t seq =
        enqueue_task(s, copy_task(dsts[i], srcs[i], sizes[i], "aclrtMemcpyBatchAsync"));
    if (host_side_pageable(dsts[i], srcs[i], kind)) device(s->device)->wait_for(seq);
  }
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
