/* dlsym at the glibc floor (glibc_floor.c says why), in a file of its own: the preload is the
 * process's dlsym, never calls the public one, and so links everything of the floor but this. */
#define _GNU_SOURCE
#include <dlfcn.h>

#if defined(__x86_64__)
__asm__(".symver old_dlsym, dlsym@GLIBC_2.2.5");
#elif defined(__aarch64__)
__asm__(".symver old_dlsym, dlsym@GLIBC_2.17");
#else
#error "the glibc floor knows x86-64 and aarch64"
#endif

void *old_dlsym(void *, const char *);

__attribute__((visibility("hidden"))) void *__wrap_dlsym(void *handle, const char *name) {
  return old_dlsym(handle, name);
}
