/* A library loaded with dlopen(RTLD_LOCAL) that links libascendcl (in its local group only) and
 * finds the ACL functions with dlsym(RTLD_DEFAULT): glibc searches the global scope, then the
 * caller's local group. Returns the number of successful stream waits, or a negative step. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>

#include "npu/acl_api.h"

typedef aclError (*DeviceFn)(int32_t);
typedef aclError (*SyncFn)(aclrtStream);

__attribute__((visibility("default"))) int local_scope_run(int syncs) {
  DeviceFn volatile set = (DeviceFn)dlsym(RTLD_DEFAULT, "aclrtSetDevice");
  SyncFn volatile sync = (SyncFn)dlsym(RTLD_DEFAULT, "aclrtSynchronizeStream");
  DeviceFn volatile reset = (DeviceFn)dlsym(RTLD_DEFAULT, "aclrtResetDevice");
  if (set == NULL || sync == NULL || reset == NULL) return -1;
  if (set(0) != ACL_SUCCESS) return -2;
  int done = 0;
  for (int i = 0; i < syncs; ++i) done += sync(NULL) == ACL_SUCCESS;
  if (reset(0) != ACL_SUCCESS) return -3;  /* flushes npuprobe's counts */
  return done;
}
