/* Preloaded after libnpuprobe.so ("libnpuprobe.so librtld_next_early.so"): the loader runs its
 * constructor before npuprobe's, and its dlsym(RTLD_NEXT) reaches npuprobe's dlsym while the real
 * dlsym is not known yet, so the trampoline resolves it first (its first-use branch) and must
 * still answer from this library: the next which_layer is rtld_next_upper's (10 + lower's 1). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

__attribute__((constructor)) static void early_lookup(void) {
  int (*next)(void) = (int (*)(void))dlsym(RTLD_NEXT, "which_layer");
  printf("early %d\n", next == NULL ? -1 : next());
  fflush(stdout);
}
