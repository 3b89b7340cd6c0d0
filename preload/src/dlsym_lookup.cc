// What npuprobe's dlsym does for every handle but RTLD_NEXT (which dlsym_trampoline.S sends
// straight to the real dlsym): look the name up exactly as asked, then hand out a wrapper that
// calls exactly what the lookup found.
#include <dlfcn.h>
#include <link.h>

#include "aclnn_thunks.h"
#include "hook.h"
#include "hook_groups.h"
#include "op_libraries.h"
#include "real_dlsym.h"
#include "runtime.h"
#include "settings.h"

namespace npuprobe::preload {
namespace {

// True when `found` is npuprobe's exported wrapper of a function nothing else defines (an
// optional entry point an older CANN lacks). Without npuprobe the lookup would fail, and callers
// probe optional features exactly that way: they must still see it missing.
bool only_npuprobe_defines(const char *name, void *found) {
  const HookEntry *hook = find_hook(name);
  return hook != nullptr && found == hook->exported() && hook->next() == nullptr;
}

// The failure the caller would have got: null, with dlerror() saying the symbol is undefined.
void *as_missing(const char *name) {
  static_cast<void>(real_dlsym()(RTLD_NEXT, name));  // fails the same way, sets dlerror()
  return nullptr;
}

// dlsym(RTLD_DEFAULT) searches the caller's scope: the global scope, then the local group of a
// library loaded with RTLD_LOCAL. npuprobe's own lookup covers the first; the caller's link map
// (a valid handle in glibc) covers the second.
void *lookup_default(const char *name, const void *caller) {
  DlsymFn real = real_dlsym();
  void *found = real(RTLD_DEFAULT, name);
  if (found != nullptr && only_npuprobe_defines(name, found)) found = nullptr;
  if (found != nullptr || caller == nullptr) return found != nullptr ? found : as_missing(name);
  Dl_info info;
  link_map *map = nullptr;
  if (dladdr1(caller, &info, reinterpret_cast<void **>(&map), RTLD_DL_LINKMAP) == 0 ||
      map == nullptr) {
    return as_missing(name);
  }
  found = real(map, name);
  return found != nullptr && only_npuprobe_defines(name, found) ? as_missing(name) : found;
}

// A lookup of an ACL function or aclnn op is the process's first use of ACL as much as a call:
// npuprobe starts here (lazy start), so that the configuration's hooks section (dlsym off, skipped
// ops) decides what this lookup hands out.
void start_on_acl_lookup() {
  static_cast<void>(runtime_active());
}

void *wrap(const char *name, void *target) {
  const HookEntry *hook = find_hook(name);
  const bool aclnn = hook == nullptr && is_aclnn_launch_name(name);
  if (hook == nullptr && !aclnn) return target;
  if (hook != nullptr && only_npuprobe_defines(name, target)) return as_missing(name);
  start_on_acl_lookup();
  if (!g_wrap_dlsym_results.load(std::memory_order_relaxed)) return target;
  if (hook != nullptr) {
    if (target == hook->exported()) return target;             // found npuprobe itself
    if (target == hook->next()) return hook->exported();       // the definition we forward to
    void *bound = hook->bind(target);
    return bound != nullptr ? bound : target;
  }
  if (aclnn_op_skipped(name)) return target;
  g_op_libraries.rescan();  // the library that defines it is loaded now
  void *thunk = bind_aclnn_thunk(name, target);
  return thunk != nullptr ? thunk : target;
}

}  // namespace
}  // namespace npuprobe::preload

namespace {

// Set by npuprobe's constructor. Before it, dlsym may be called by a sanitizer runtime that is
// still initialising (ASan and TSan resolve their interceptors with dlsym from a preinit
// function), when instrumented code would crash: such early lookups are forwarded by this
// uninstrumented path alone, unwrapped.
bool g_constructed = false;

__attribute__((constructor)) void mark_constructed() {
  __atomic_store_n(&g_constructed, true, __ATOMIC_RELEASE);
}

}  // namespace

extern "C" __attribute__((visibility("hidden"), no_sanitize("address", "thread", "undefined")))
void *npuprobe_dlsym_lookup(void *handle, const char *name, const void *caller) {
  using namespace npuprobe::preload;
  if (!__atomic_load_n(&g_constructed, __ATOMIC_ACQUIRE)) {
    void *real_ptr = __atomic_load_n(&npuprobe_real_dlsym_ptr, __ATOMIC_ACQUIRE);
    if (real_ptr == nullptr) real_ptr = npuprobe_resolve_real_dlsym();
    return real_ptr == nullptr ? nullptr : reinterpret_cast<DlsymFn>(real_ptr)(handle, name);
  }
  DlsymFn real = real_dlsym();
  if (real == nullptr) return nullptr;
  void *target = handle == RTLD_DEFAULT ? lookup_default(name, caller) : real(handle, name);
  if (target == nullptr || name == nullptr || disabled_by_environment()) return target;
  return wrap(name, target);
}
