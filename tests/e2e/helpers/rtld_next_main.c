/* Prints 11 when upper's RTLD_NEXT lookup found lower's definition. Also checks that dlsym
 * with a handle and with RTLD_DEFAULT still finds ordinary symbols. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int which_layer(void);

int main(void) {
  void *libc = dlopen("libc.so.6", RTLD_NOW);
  if (libc == NULL || dlsym(libc, "printf") == NULL || dlsym(RTLD_DEFAULT, "printf") == NULL) {
    printf("lookup failed\n");
    return 1;
  }
  printf("%d\n", which_layer());
  return 0;
}
