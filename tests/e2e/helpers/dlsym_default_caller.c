/* A library the executable links (DT_NEEDED, loaded at start, never dlopen'ed): its
 * dlsym(RTLD_DEFAULT) lookups search from its own scope. Missing names must stay missing, and
 * present ones be found, exactly as without npuprobe. */
#define _GNU_SOURCE
#include <dlfcn.h>

__attribute__((visibility("default"))) void *default_lookup_from_a_linked_library(const char *name) {
  void *volatile found = dlsym(RTLD_DEFAULT, name);  /* not a tail call: the caller is us */
  return found;
}
