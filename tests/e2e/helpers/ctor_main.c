/* Prints what ctor_caller's constructor got from ACL (0 = every call succeeded). */
#include <stdio.h>

extern int ctor_caller_status;

int main(void) {
  printf("%d\n", ctor_caller_status);
  return ctor_caller_status == 0 ? 0 : 1;
}
