/* A library whose constructor uses ACL before main() runs and, possibly, before npuprobe's own
 * constructor: the first resolution of the real functions and npuprobe's lazy start happen
 * inside another library's constructor. */
#include <stdio.h>

#include "npu/acl_api.h"

int ctor_caller_status = -1;

__attribute__((constructor)) static void use_acl_early(void) {
  void *ptr = NULL;
  int rc = aclrtSetDevice(0);
  if (rc == 0) rc = aclrtMalloc(&ptr, 4096, ACL_MEM_MALLOC_HUGE_FIRST);
  if (rc == 0) rc = aclrtFree(ptr);
  ctor_caller_status = rc;
}
