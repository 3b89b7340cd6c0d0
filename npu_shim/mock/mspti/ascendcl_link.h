// How the fake libmspti reaches libascendcl: its own dlopen + dlsym(handle), exactly like the
// real libmspti. That is what makes preload order matter: when libmspti.so precedes another
// interposer in LD_PRELOAD, the aclrt* calls it forwards never pass through that interposer.
#pragma once

#include <dlfcn.h>

namespace msptimock {

inline void *ascendcl_handle() {
  static void *handle = dlopen("libascendcl.so", RTLD_NOW | RTLD_GLOBAL);
  return handle;
}

template <typename Fn>
Fn ascendcl_symbol(const char *name) {
  void *h = ascendcl_handle();
  return h != nullptr ? reinterpret_cast<Fn>(dlsym(h, name)) : nullptr;
}

}  // namespace msptimock
