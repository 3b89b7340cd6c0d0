// The aclrt* names the real libmspti interposes, forwarded to libascendcl.
#include "mspti/ascendcl_link.h"
#include "npu/acl_api.h"

#define MSPTI_FORWARD(name, params, args)                                          \
  aclError name params {                                                           \
    using Fn = aclError(*) params;                                                 \
    static const Fn real = msptimock::ascendcl_symbol<Fn>(#name);                  \
    return real != nullptr ? real args : ACL_ERROR_API_NOT_SUPPORT;                \
  }

extern "C" {

MSPTI_FORWARD(aclrtSetDevice, (int32_t d), (d))
MSPTI_FORWARD(aclrtResetDevice, (int32_t d), (d))
MSPTI_FORWARD(aclrtCreateContext, (aclrtContext * c, int32_t d), (c, d))
MSPTI_FORWARD(aclrtDestroyContext, (aclrtContext c), (c))
MSPTI_FORWARD(aclrtCreateStream, (aclrtStream * s), (s))
MSPTI_FORWARD(aclrtDestroyStream, (aclrtStream s), (s))
MSPTI_FORWARD(aclrtSynchronizeStream, (aclrtStream s), (s))
MSPTI_FORWARD(aclrtLaunchKernel,
              (aclrtFuncHandle f, uint32_t b, const void *a, size_t n, aclrtStream s),
              (f, b, a, n, s))
MSPTI_FORWARD(aclrtLaunchKernelV2,
              (aclrtFuncHandle f, uint32_t b, const void *a, size_t n, void *c, aclrtStream s),
              (f, b, a, n, c, s))
MSPTI_FORWARD(aclrtLaunchKernelWithConfig,
              (aclrtFuncHandle f, uint32_t b, aclrtStream s, void *c, void *a, void *r),
              (f, b, s, c, a, r))
MSPTI_FORWARD(aclrtLaunchKernelWithHostArgs,
              (aclrtFuncHandle f, uint32_t b, aclrtStream s, void *c, void *h, size_t n, void *p,
               size_t pn),
              (f, b, s, c, h, n, p, pn))
MSPTI_FORWARD(aclrtMalloc, (void **p, size_t n, int policy), (p, n, policy))
MSPTI_FORWARD(aclrtMallocAlign32, (void **p, size_t n, int policy), (p, n, policy))
MSPTI_FORWARD(aclrtMallocHost, (void **p, size_t n), (p, n))
MSPTI_FORWARD(aclrtFree, (void *p), (p))
MSPTI_FORWARD(aclrtFreeHost, (void *p), (p))
MSPTI_FORWARD(aclrtMemcpy, (void *d, size_t m, const void *s, size_t n, int k), (d, m, s, n, k))
MSPTI_FORWARD(aclrtMemcpyAsync,
              (void *d, size_t m, const void *s, size_t n, int k, aclrtStream st),
              (d, m, s, n, k, st))
MSPTI_FORWARD(aclrtMemset, (void *d, size_t m, int32_t v, size_t n), (d, m, v, n))
MSPTI_FORWARD(aclrtMemsetAsync, (void *d, size_t m, int32_t v, size_t n, aclrtStream st),
              (d, m, v, n, st))
MSPTI_FORWARD(aclrtGetMemInfo, (int attr, size_t *f, size_t *t), (attr, f, t))

}  // extern "C"
