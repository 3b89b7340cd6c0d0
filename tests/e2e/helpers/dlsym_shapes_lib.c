/* Exports with aclnn names and shapes other than a second stage, as libopapi has them (torch_npu
 * looks aclnnNpuFormatCastCalculateSizeAndFormat and aclnnReselectStaticKernel up by name,
 * docs/ascend-stack.md), plus one real two-stage op and a twin without its second stage. Every
 * function folds all its arguments into its result, so a wrapper that drops, reorders or
 * garbles one shows in the output. Versioned (SHAPES_1.0), so that dlvsym finds them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* A real two-stage op: the second stage is a launch, counted once per call. Built without its
 * first stage (SHAPES_NO_TWIN, defined last in this file so that this function keeps its offset:
 * the library reloaded at the same address must be decided afresh) it is no operator, and must
 * not count. */

EXPORT int aclnnShapesOp(void *workspace, uint64_t size, void *executor, void *stream) {
  return executor == (void *)0x5eed && size == 64 && workspace != NULL && stream == NULL ? 0 : 561000;
}

/* torch_npu FormatCastKernelNpu.cpp: int(const aclTensor*, int, int, int64_t**, uint64_t*, int*).
 * NULL out-parameters are an error, as in the real one: a thunk that dropped arguments 5 and 6
 * would get 161001 here, and a real callee would write through garbage. */
EXPORT int aclnnNpuFormatCastCalculateSizeAndFormat(const void *tensor, int dst_format,
                                                    int group, int64_t **shape,
                                                    uint64_t *shape_size, int *format) {
  if (shape == NULL || shape_size == NULL || format == NULL) return 161001;
  static int64_t dims[3];
  dims[0] = (int64_t)(uintptr_t)tensor & 0xff;
  dims[1] = dst_format;
  dims[2] = group;
  *shape = dims;
  *shape_size = 3;
  *format = dst_format * 10 + group;
  return 0;
}

static int reselected = 0;
EXPORT int aclnnReselectStaticKernel(void) { return ++reselected; }
EXPORT int aclnnReselectStaticKernelWithPath(const char *path) {
  return path == NULL ? -1 : (int)strlen(path) + 1000 * ++reselected;
}

/* More arguments than registers on both x86-64 and aarch64, integer and floating point mixed. */
EXPORT double aclnnManyArguments(int64_t a, int64_t b, int64_t c, int64_t d, int64_t e, int64_t f,
                                 int64_t g, int64_t h, int64_t i, int64_t j, double x0, double x1,
                                 double x2, double x3, double x4, double x5, double x6, double x7,
                                 double x8, float x9) {
  return (double)(a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j) +
         x0 + 2 * x1 + 3 * x2 + 4 * x3 + 5 * x4 + 6 * x5 + 7 * x6 + 8 * x7 + 9 * x8 + 10 * x9;
}

EXPORT float aclnnFloatingPoint(float x, double y) { return (float)(x * 3.0 - y / 7.0); }

/* Four arguments like a second stage, but no GetWorkspaceSize beside it: not an operator. */
EXPORT int aclnnNoTwin(void *workspace, uint64_t size, void *executor, void *stream) {
  return (int)(((uintptr_t)workspace ^ size ^ (uintptr_t)executor ^ (uintptr_t)stream) & 0x7fff);
}

/* A first stage whose second stage does not exist: looking up aclnnTwinOnly must fail. */
EXPORT int aclnnTwinOnlyGetWorkspaceSize(uint64_t *size, void **executor) {
  if (size != NULL) *size = 0;
  if (executor != NULL) *executor = NULL;
  return 0;
}

/* The op's first stage, last: see aclnnShapesOp. */
#ifndef SHAPES_NO_TWIN
EXPORT int aclnnShapesOpGetWorkspaceSize(uint64_t *size, void **executor) {
  if (size == NULL || executor == NULL) return 161001;
  *size = 64;
  *executor = (void *)0x5eed;
  return 0;
}
#endif
