#define _GNU_SOURCE
/* Resolves every export of libdlsym_shapes.so through each way a name can be resolved (dlsym on
 * a handle, RTLD_DEFAULT, RTLD_NEXT, dlvsym), calls it with known arguments and prints what it
 * returned, so that runs with and without npuprobe can be compared byte for byte. After ACL is
 * in use (npuprobe started), the library is opened, closed and opened again at another address
 * (its first one is kept reserved), then replaced by a build of it without the operator's first
 * stage, and looked up afresh each time; a last round opens it RTLD_GLOBAL for every way.
 * Usage: dlsym_shapes_main LIB LIB_WITHOUT_TWIN */
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>

#include "npu/acl_api.h"

void *default_lookup_from_a_linked_library(const char *name);

typedef int (*FormatCastFn)(const void *, int, int, int64_t **, uint64_t *, int *);
typedef int (*ReselectFn)(void);
typedef int (*ReselectPathFn)(const char *);
typedef double (*ManyFn)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                         int64_t, int64_t, double, double, double, double, double, double, double,
                         double, double, float);
typedef float (*FloatFn)(float, double);
typedef int (*StageFn)(void *, uint64_t, void *, void *);
typedef int (*FirstFn)(uint64_t *, void **);

enum { kHandle, kDefault, kNext, kVersioned, kWays };
static const char *const kWayNames[kWays] = {"handle", "default", "next", "dlvsym"};

static void *resolve(void *handle, int way, const char *name) {
  switch (way) {
    case kHandle: return dlsym(handle, name);
    case kDefault: return dlsym(RTLD_DEFAULT, name);
    case kNext: return dlsym(RTLD_NEXT, name);
    default: return dlvsym(handle, name, "SHAPES_1.0");
  }
}

static int g_op_calls = 0;

static void exercise(void *handle, int way, int round) {
  const char *w = kWayNames[way];
  FormatCastFn cast = (FormatCastFn)resolve(handle, way, "aclnnNpuFormatCastCalculateSizeAndFormat");
  int64_t *shape = NULL;
  uint64_t size = 0;
  int format = -1;
  int rc = cast((const void *)(uintptr_t)(0x1200 + round), 29, 4, &shape, &size, &format);
  printf("%s format_cast rc=%d size=%llu shape=%lld,%lld,%lld format=%d\n", w, rc,
         (unsigned long long)size, (long long)shape[0], (long long)shape[1], (long long)shape[2],
         format);
  printf("%s reselect=%d\n", w, ((ReselectFn)resolve(handle, way, "aclnnReselectStaticKernel"))());
  printf("%s reselect_path=%d\n", w,
         ((ReselectPathFn)resolve(handle, way, "aclnnReselectStaticKernelWithPath"))("/opp/x"));
  ManyFn many = (ManyFn)resolve(handle, way, "aclnnManyArguments");
  printf("%s many=%.6f\n", w,
         many(1, 2, 3, 4, 5, 6, 7, 8, 9, round, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.25f));
  printf("%s float=%.6f\n", w,
         (double)((FloatFn)resolve(handle, way, "aclnnFloatingPoint"))(1.25f, 7.0 * round));
  printf("%s no_twin=%d\n", w,
         ((StageFn)resolve(handle, way, "aclnnNoTwin"))((void *)0x100, 0x20, (void *)0x3000, NULL));
  printf("%s twin_only=%s\n", w, resolve(handle, way, "aclnnTwinOnly") == NULL ? "missing" : "found");
  FirstFn first = (FirstFn)resolve(handle, way, "aclnnShapesOpGetWorkspaceSize");
  StageFn op = (StageFn)resolve(handle, way, "aclnnShapesOp");
  uint64_t ws = 64;
  void *executor = (void *)0x5eed;
  static char workspace[64];
  rc = first != NULL ? first(&ws, &executor) : -1;
  const int launched = op(workspace, ws, executor, NULL);
  ++g_op_calls;
  printf("%s op first=%d second=%d\n", w, rc, launched);
}

/* The span of the loaded object that defines `symbol`. */
static void span_of(void *symbol, uintptr_t *low, size_t *size) {
  Dl_info info;
  struct link_map *map = NULL;
  *low = 0;
  *size = 0;
  if (dladdr1(symbol, &info, (void **)&map, RTLD_DL_LINKMAP) == 0 || map == NULL) return;
  const ElfW(Ehdr) *ehdr = (const ElfW(Ehdr) *)info.dli_fbase;
  const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)((const char *)ehdr + ehdr->e_phoff);
  uintptr_t high = 0;
  for (int i = 0; i < ehdr->e_phnum; ++i) {
    if (phdr[i].p_type != PT_LOAD) continue;
    const uintptr_t end = map->l_addr + phdr[i].p_vaddr + phdr[i].p_memsz;
    if (end > high) high = end;
  }
  *low = (uintptr_t)info.dli_fbase;
  *size = (high - *low + 4095) & ~(uintptr_t)4095;
}

/* One round: open `path` (RTLD_LOCAL, so that a close unloads it; RTLD_GLOBAL for the lookups
 * through RTLD_DEFAULT and RTLD_NEXT, which pin the library for good), resolve and call
 * everything the given ways, close. Returns the address of aclnnNoTwin, or NULL. */
static void *round_of(const char *path, int global, int round, uintptr_t *low, size_t *size) {
  void *handle = dlopen(path, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
  if (handle == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    exit(4);
  }
  void *symbol = dlsym(handle, "aclnnNoTwin");
  if (low != NULL) span_of(symbol, low, size);
  for (int way = 0; way < kWays; ++way) {
    if (global || way == kHandle || way == kVersioned) exercise(handle, way, round);
  }
  dlclose(handle);
  return symbol;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s LIB LIB_WITHOUT_TWIN\n", argv[0]);
    return 2;
  }
  if (aclrtSetDevice(0) != ACL_SUCCESS) return 3;  // npuprobe starts before the library loads
  /* RTLD_DEFAULT from a library loaded at start: a miss, an ACL name, an aclnn name nobody has. */
  printf("linked default: aclNoSuchFunction %s, aclrtSetDevice %s, aclnnNoSuchOp %s\n",
         default_lookup_from_a_linked_library("aclNoSuchFunction") == NULL ? "missing" : "found",
         default_lookup_from_a_linked_library("aclrtSetDevice") == NULL ? "missing" : "found",
         default_lookup_from_a_linked_library("aclnnNoSuchOp") == NULL ? "missing" : "found");
  uintptr_t first_low = 0;
  size_t first_size = 0;
  round_of(argv[1], 0, 1, &first_low, &first_size);
  /* Keep the first address taken, so that the library comes back somewhere else. */
  void *reserved = mmap((void *)first_low, first_size, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (reserved != MAP_FAILED && reserved != (void *)first_low) {  /* an old kernel: a hint */
    munmap(reserved, first_size);
    reserved = MAP_FAILED;
  }
  const uintptr_t second = (uintptr_t)round_of(argv[1], 0, 2, NULL, NULL);
  printf("reopened at %s address\n",
         second >= first_low && second < first_low + first_size ? "the same" : "another");
  if (reserved != MAP_FAILED) munmap(reserved, first_size);
  /* The same names, no first stage beside the op: at an address a library with it had before,
   * so that a decision remembered from then would be wrong now. */
  uintptr_t third_low = 0;
  size_t third_size = 0;
  round_of(argv[2], 0, 3, &third_low, &third_size);
  printf("without its first stage at %s address\n",
         third_low == first_low || (second >= third_low && second < third_low + third_size)
             ? "an earlier" : "another");
  round_of(argv[1], 1, 4, NULL, NULL);  /* every way */
  printf("op calls %d\n", g_op_calls);
  aclrtResetDevice(0);
  return 0;
}
