/* A library loaded with dlopen(RTLD_LOCAL) that calls ACL directly (linked), as Python loads
 * torch_npu's extension module, whose libtorch_npu links libascendcl: libascendcl is then in that
 * library's local group only, and the calls bind to npuprobe's exported wrappers, which must
 * still find the runtime (preload/interpose/elf_symbols.h). Same entry point as
 * rtld_default_local.c, for rtld_default_main. Returns the successful stream waits, or a
 * negative step. */
#include <stddef.h>
#include <stdint.h>

#include "npu/acl_api.h"

__attribute__((visibility("default"))) int local_scope_run(int syncs) {
  if (aclrtSetDevice(0) != ACL_SUCCESS) return -2;
  void *buffer = NULL;
  if (aclrtMalloc(&buffer, 4096, ACL_MEM_MALLOC_HUGE_FIRST) != ACL_SUCCESS) return -4;
  int done = 0;
  for (int i = 0; i < syncs; ++i) done += aclrtSynchronizeStream(NULL) == ACL_SUCCESS;
  if (aclrtFree(buffer) != ACL_SUCCESS) return -5;
  if (aclrtResetDevice(0) != ACL_SUCCESS) return -3; /* flushes npuprobe's counts */
  return done;
}
