// What npuprobe's dlsym does for every handle but RTLD_NEXT (which dlsym_trampoline.S sends
// straight to the real dlsym): look the name up exactly as asked, then hand out a wrapper that
// calls exactly what the lookup found. The decision is made once per (name, address) and
// remembered (resolved_names.h): a repeated lookup costs the real dlsym plus a hash and a compare.
#include <dlfcn.h>
#include <link.h>

#include "aclnn_thunks.h"
#include "hook.h"
#include "hook_groups.h"
#include "op_libraries.h"
#include "real_dlsym.h"
#include "resolved_names.h"
#include "runtime.h"
#include "config_snapshot.h"

namespace npuprobe::preload {
namespace {

// npuprobe's own mapped image, so that "is this one of our wrappers?" is two compares.
std::uintptr_t g_self_low = 0, g_self_high = 0;
// NPUPROBE_DISABLE (config::disabled_by), read once at load: getenv on every lookup would cost
// more than dlsym.
bool g_disabled = false;

void find_own_image() noexcept {
  Dl_info self;
  if (dladdr(reinterpret_cast<void *>(&find_own_image), &self) == 0) return;
  struct Span {
    const void *base;
    std::uintptr_t low = ~std::uintptr_t{0}, high = 0;
  } span{self.dli_fbase};
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *data) -> int {
        auto *s = static_cast<Span *>(data);
        bool mine = false;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr) &ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          const std::uintptr_t low = info->dlpi_addr + ph.p_vaddr;
          if (reinterpret_cast<std::uintptr_t>(s->base) >= low &&
              reinterpret_cast<std::uintptr_t>(s->base) < low + ph.p_memsz) {
            mine = true;
          }
        }
        if (!mine && info->dlpi_addr != reinterpret_cast<std::uintptr_t>(s->base)) return 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr) &ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD) continue;
          const std::uintptr_t low = info->dlpi_addr + ph.p_vaddr;
          if (low < s->low) s->low = low;
          if (low + ph.p_memsz > s->high) s->high = low + ph.p_memsz;
        }
        return 1;
      },
      &span);
  if (span.high > span.low) {
    g_self_low = span.low;
    g_self_high = span.high;
  }
}

bool in_npuprobe(const void *address) noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(address);
  return a >= g_self_low && a < g_self_high;
}

// Only ACL (acl*, aclnn*), runtime (rt*) and HCCL (Hccl*) names are ever wrapped.
bool maybe_wrapped(const char *name) noexcept {
  return (name[0] == 'a' && name[1] == 'c' && name[2] == 'l') ||
         (name[0] == 'r' && name[1] == 't') ||
         (name[0] == 'H' && name[1] == 'c' && name[2] == 'c' && name[3] == 'l');
}

// True when `found` is npuprobe's exported wrapper of a function nothing else in the global
// scope defines (an optional entry point an older CANN lacks, or one only a library loaded
// RTLD_LOCAL has). Without npuprobe the lookup would fail, and callers probe optional features
// exactly that way: they must still see it missing. RTLD_NEXT, not the hook's next(): that one
// also finds local-scope definitions, for the calls that bind to the wrapper (hook.h).
bool only_npuprobe_defines(const char *name, void *found) {
  if (!in_npuprobe(found)) return false;
  const HookEntry *hook = find_hook(name);
  return hook != nullptr && found == hook->exported() &&
         lookup_symbol(RTLD_NEXT, name) == nullptr;
}

// The failure the caller would have got: null, with dlerror() saying the symbol is undefined.
void *as_missing(const char *name) {
  static_cast<void>(real_dlsym()(RTLD_NEXT, name));  // fails the same way, sets dlerror()
  return nullptr;
}

// dlsym(RTLD_DEFAULT) searches the caller's scope: the global scope, then the local group of a
// library loaded with RTLD_LOCAL. npuprobe's own lookup covers the first. The second needs a
// real handle of the caller's library: its link map is one only if it was dlopen'ed (a library
// loaded at start has no search list, and glibc's lookup crashes on it), so the library is
// opened again with RTLD_NOLOAD, which gives any loaded object its handle, and closed after.
void *lookup_default(const char *name, const void *caller) {
  DlsymFn real = real_dlsym();
  void *found = real(RTLD_DEFAULT, name);
  if (found != nullptr && only_npuprobe_defines(name, found)) found = nullptr;
  if (found != nullptr || caller == nullptr) return found != nullptr ? found : as_missing(name);
  Dl_info info;
  link_map *map = nullptr;
  if (dladdr1(caller, &info, reinterpret_cast<void **>(&map), RTLD_DL_LINKMAP) == 0 ||
      map == nullptr || map->l_prev == nullptr || info.dli_fname == nullptr) {
    return as_missing(name);  // the executable's scope is the global scope
  }
  void *handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return as_missing(name);
  found = real(handle, name);
  close_quietly(handle);
  return found != nullptr && only_npuprobe_defines(name, found) ? as_missing(name) : found;
}

// What to hand out for `target`, the definition the lookup of `name` found. Cold: once per
// (name, address, generation).
void *decide(const char *name, void *target) {
  static_cast<void>(runtime_active());  // a lookup is the first use of ACL as much as a call
  if (const HookEntry *hook = find_hook(name)) {
    if (target == hook->next()) return hook->exported();  // the definition we forward to
    void *bound = hook->bind(target);
    return bound != nullptr ? bound : target;
  }
  if (aclnn_op_skipped(name) || !is_aclnn_second_stage(name, target)) return target;
  // Launches made inside the operator's library belong to it (op_libraries.h); the library
  // may have been loaded since the last scan.
  if (!g_op_libraries.contains(target)) g_op_libraries.rescan();
  void *thunk = bind_aclnn_thunk(name, target);
  return thunk != nullptr ? thunk : target;
}

void *wrap(const char *name, void *target, std::uint32_t generation) {
  if (in_npuprobe(target)) {
    // Our own export (RTLD_DEFAULT, or a handle of npuprobe): it already measures.
    if (only_npuprobe_defines(name, target)) return as_missing(name);
    static_cast<void>(runtime_active());
    return target;
  }
  void *handed_out = g_resolved_names.find(target, name, generation);
  if (handed_out == nullptr) {
    handed_out = decide(name, target);
    g_resolved_names.insert(target, name, generation, handed_out);
  }
  return g_wrap_dlsym_results.load(std::memory_order_relaxed) ? handed_out : target;
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
  npuprobe::preload::find_own_image();
  npuprobe::preload::g_disabled = npuprobe::preload::disabled_by_environment();
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
  // Read before the lookup: a library closed meanwhile makes this decision stale, never current.
  const std::uint32_t generation = g_resolved_generation.load(std::memory_order_acquire);
  void *target = handle == RTLD_DEFAULT ? lookup_default(name, caller) : real(handle, name);
  if (target == nullptr || name == nullptr || !maybe_wrapped(name) || g_disabled) return target;
  return wrap(name, target, generation);
}

namespace npuprobe::preload {

// The dlclose after npuprobe's: closing a handle npuprobe opened itself unloads nothing, so the
// remembered decisions stay.
int close_quietly(void *handle) noexcept {
  using CloseFn = int (*)(void *);
  static std::atomic<CloseFn> next{nullptr};
  CloseFn fn = next.load(std::memory_order_acquire);
  if (fn == nullptr) {
    fn = reinterpret_cast<CloseFn>(lookup_symbol(RTLD_NEXT, "dlclose"));
    if (fn == nullptr) return -1;
    next.store(fn, std::memory_order_release);
  }
  return fn(handle);
}

}  // namespace npuprobe::preload

// dlclose: the only way an address can come to mean another library, so the decisions dlsym
// remembered are dropped (after the close: a lookup that raced it keeps its older generation).
extern "C" __attribute__((visibility("default"))) int dlclose(void *handle) {
  const int rc = npuprobe::preload::close_quietly(handle);
  npuprobe::preload::invalidate_resolved_names();
  return rc;
}
