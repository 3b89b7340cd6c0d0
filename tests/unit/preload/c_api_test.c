/* include/npuprobe.h from C: this file is compiled as C90 with -pedantic-errors, so the header
 * stays valid plain C. It calls the API both ways a host can: linked against libnpuprobe.so,
 * and through dlsym() with the header's pointer types, and checks both reach the same switch.
 * No ACL call is made, so npuprobe stays idle: nothing is flushed, the switch alone moves. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "npuprobe.h"

static int failures = 0;

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "c_api_test: FAILED: %s\n", what);
    ++failures;
  }
}

/* ISO C has no cast from dlsym's void * to a function pointer; POSIX guarantees the bytes. */
static void find(const char *name, void *fn, size_t size) {
  void *address = dlsym(RTLD_DEFAULT, name);
  check(address != NULL, name);
  memcpy(fn, &address, size);
}

int main(void) {
  npuprobe_version_fn version = NULL;
  npuprobe_flush_now_fn flush_now = NULL;
  npuprobe_enabled_fn enabled = NULL;
  npuprobe_set_enabled_fn set_enabled = NULL;
  find("npuprobe_version", &version, sizeof version);
  find("npuprobe_flush_now", &flush_now, sizeof flush_now);
  find("npuprobe_enabled", &enabled, sizeof enabled);
  find("npuprobe_set_enabled", &set_enabled, sizeof set_enabled);
  if (failures != 0) return 1;

  check(npuprobe_version() != NULL && npuprobe_version()[0] != '\0', "version is a text");
  check(strcmp(version(), npuprobe_version()) == 0, "the same version both ways");
  check(npuprobe_flush_now() == 0 && flush_now() == 0, "nothing to flush before an ACL call");
  check(npuprobe_enabled() == 1, "measuring by default");
  npuprobe_set_enabled(0);
  check(npuprobe_enabled() == 0 && enabled() == 0, "switched off");
  set_enabled(1);
  check(npuprobe_enabled() == 1 && enabled() == 1, "switched on again");
  if (failures == 0) printf("c_api_test: npuprobe %s, all checks passed\n", npuprobe_version());
  return failures == 0 ? 0 : 1;
}
