/* dlsym(RTLD_DEFAULT, "acl...") from an executable that does not link ACL, and from a library it
 * dlopen'ed RTLD_LOCAL whose own dependency is libascendcl (the library's local scope). Prints
 * what each lookup found, so that runs with and without npuprobe can be compared byte for byte.
 * Usage: rtld_default_main LOCAL_LIBRARY SYNCS */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void from_main(const char *when, const char *name) {
  dlerror();
  void *volatile found = dlsym(RTLD_DEFAULT, name);
  const char *error = dlerror();
  printf("main %s: %s %s, dlerror %s\n", when, name, found != NULL ? "found" : "missing",
         error != NULL ? "set" : "clear");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s LOCAL_LIBRARY SYNCS\n", argv[0]);
    return 2;
  }
  /* Nothing defines these but npuprobe's own exports: they must stay missing. */
  from_main("before", "aclrtSynchronizeStream");
  from_main("before", "aclrtSetDevice");
  void *local = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (local == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 3;
  }
  int (*run)(int) = (int (*)(int))dlsym(local, "local_scope_run");
  if (run == NULL) return 4;
  const int syncs = atoi(argv[2]);
  printf("local scope: %d\n", run(syncs));
  /* libascendcl is in the library's local group only: the executable's scope still lacks it. */
  from_main("after", "aclrtSynchronizeStream");
  return 0;
}
