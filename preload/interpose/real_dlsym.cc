#include "real_dlsym.h"

#include <dlfcn.h>

#include <atomic>

extern "C" {
// Plain pointer for the assembly trampoline; written once with the same value by any racer.
void *npuprobe_real_dlsym_ptr = nullptr;
}

namespace npuprobe::preload {
DlsymFn real_dlsym() noexcept {
  void *known = __atomic_load_n(&npuprobe_real_dlsym_ptr, __ATOMIC_ACQUIRE);
  if (__builtin_expect(known != nullptr, 1)) return reinterpret_cast<DlsymFn>(known);
  return reinterpret_cast<DlsymFn>(npuprobe_resolve_real_dlsym());
}

void *lookup_symbol(void *handle, const char *name) noexcept {
  DlsymFn real = real_dlsym();
  return real == nullptr ? nullptr : real(handle, name);
}

}  // namespace npuprobe::preload

// Uninstrumented: it may run inside a sanitizer runtime's own initialisation (see
// dlsym_lookup.cc).
extern "C" __attribute__((no_sanitize("address", "thread", "undefined"))) void *
npuprobe_resolve_real_dlsym() {
  // dlsym's symbol versions: glibc >= 2.34 moved it into libc (GLIBC_2.34); older ones keep
  // the first version of each architecture. Literals, no array in instrumented memory.
  for (int i = 0; i < 4; ++i) {
    const char *version = i == 0 ? "GLIBC_2.34" : i == 1 ? "GLIBC_2.2.5" : i == 2 ? "GLIBC_2.17"
                                                                                  : "GLIBC_2.0";
    void *found = dlvsym(RTLD_NEXT, "dlsym", version);
    if (found != nullptr) {
      __atomic_store_n(&npuprobe_real_dlsym_ptr, found, __ATOMIC_RELEASE);
      return found;
    }
  }
  return nullptr;
}
