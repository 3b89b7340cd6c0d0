/* ACL entry points that do nothing (or next to nothing), so that the benchmarks measure
 * npuprobe's wrappers and not the mock device. The signatures are the real ACL ones
 * (npu/acl_api.h is included, so the compiler checks them). bench_bare_*() give each function's
 * own address: calling it is "the bare call" (no interposition), while calling the exported
 * name goes through LD_PRELOAD's libnpuprobe.so when it is there.
 *
 * aclrtMalloc hands out fake device addresses from a per-thread ring of kRing distinct
 * addresses (what a caching allocator does: it reuses a working set of blocks), so that
 * npuprobe's pointer table sees realistic reuse instead of an endless stream of new keys (which
 * would fill it: it never forgets a key). aclrtFree accepts any pointer. */
#include <stddef.h>
#include <stdint.h>

#include "npu/acl_api.h"

#define HIDDEN __attribute__((visibility("hidden")))
#define BARRIER() __asm__ volatile("" ::: "memory")

enum { kRing = 256 };

HIDDEN int bare_launch(void *func, uint32_t blocks, const void *args, size_t size, void *stream) {
  (void)func; (void)blocks; (void)args; (void)size; (void)stream;
  BARRIER();
  return 0;
}

HIDDEN aclError bare_sync(aclrtStream stream) {
  (void)stream;
  BARRIER();
  return 0;
}

static unsigned ring_base_next; /* one ring per thread: threads never share an address */
/* initial-exec: a plain %fs-relative access, not a __tls_get_addr call per allocation */
#define TLS __thread __attribute__((tls_model("initial-exec")))
static TLS uintptr_t ring_base;
static TLS unsigned ring_slot;

HIDDEN aclError bare_malloc(void **devPtr, size_t size, int policy) {
  (void)size; (void)policy;
  if (devPtr == NULL) return 100000; /* ACL_ERROR_INVALID_PARAM */
  if (__builtin_expect(ring_base == 0, 0)) {
    const unsigned thread = __atomic_add_fetch(&ring_base_next, 1u, __ATOMIC_RELAXED);
    ring_base = (uintptr_t)0x100000000000ull + (uintptr_t)thread * ((uintptr_t)1 << 32);
  }
  *devPtr = (void *)(ring_base + (uintptr_t)ring_slot * 4096u);
  ring_slot = (ring_slot + 1u) & (kRing - 1u);
  return 0;
}

HIDDEN aclError bare_free(void *devPtr) {
  (void)devPtr;
  BARRIER();
  return 0;
}

aclError aclrtLaunchKernel(aclrtFuncHandle funcHandle, uint32_t blockDim, const void *argsData,
                           size_t argsSize, aclrtStream stream) __attribute__((alias("bare_launch")));
aclError aclrtSynchronizeStream(aclrtStream stream) __attribute__((alias("bare_sync")));
aclError aclrtMalloc(void **devPtr, size_t size, int policy) __attribute__((alias("bare_malloc")));
aclError aclrtFree(void *devPtr) __attribute__((alias("bare_free")));
aclError aclrtSetDevice(int32_t deviceId) { (void)deviceId; return 0; }

void *bench_bare_launch(void) { return (void *)&bare_launch; }
void *bench_bare_sync(void) { return (void *)&bare_sync; }
void *bench_bare_malloc(void) { return (void *)&bare_malloc; }
void *bench_bare_free(void) { return (void *)&bare_free; }
