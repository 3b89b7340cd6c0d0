/* Loads floor_probe (a library built at the glibc floor) and runs it. Exit 0: every rerouted
 * function worked. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  void *probe = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (probe == NULL) {
    fprintf(stderr, "floor_main: %s\n", dlerror());
    return 3;
  }
  int (*run)(void) = (int (*)(void))dlsym(probe, "floor_probe_run");
  if (run == NULL) return 4;
  const int rc = run();
  if (rc == 0) printf("floor_probe: every rerouted function works\n");
  return rc;
}
