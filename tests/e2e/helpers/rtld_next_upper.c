/* A layering library (like an interposer or LLVM OpenMP's tool lookup): its which_layer()
 * forwards to the definition after itself through dlsym(RTLD_NEXT). Under LD_PRELOAD of
 * npuprobe, "next" must still be computed from this library, not from npuprobe (which would
 * find this very function again and recurse). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

int which_layer(void) {
  int (*next)(void) = (int (*)(void))dlsym(RTLD_NEXT, "which_layer");
  if (next == NULL || next == &which_layer) return -1;
  return 10 + next();
}
