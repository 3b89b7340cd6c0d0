// Prints, for each name on the command line, the file of the library that defines it when looked
// up as op-plugin and older torch_npu do: dlopen("libascendcl.so") + dlsym(handle, name). Links
// no CANN library, so LD_LIBRARY_PATH alone picks the layout (split_layout_test.cc runs it).
#include <dlfcn.h>

#include <cstdio>

int main(int argc, char **argv) {
  void *h = dlopen("libascendcl.so", RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    void *sym = dlsym(h, argv[i]);
    Dl_info info{};
    if (sym == nullptr || dladdr(sym, &info) == 0 || info.dli_fname == nullptr) {
      printf("%s -\n", argv[i]);
      continue;
    }
    const char *base = info.dli_fname;
    for (const char *p = info.dli_fname; *p; ++p) {
      if (*p == '/') base = p + 1;
    }
    printf("%s %s\n", argv[i], base);
  }
  return 0;
}
