// The real dlsym, reached without ever calling the public `dlsym` (which is npuprobe's own
// interposer): bootstrapped through dlvsym(RTLD_NEXT, "dlsym", <version>) (docs/interposition.md).
#pragma once

namespace npuprobe::preload {

using DlsymFn = void *(*)(void *, const char *);

// Never null after the first successful call; null only if no libc version could be found.
DlsymFn real_dlsym() noexcept;

// Symbol lookup for npuprobe's own needs, always through real_dlsym.
void *lookup_symbol(void *handle, const char *name) noexcept;

// dlclose of a handle npuprobe opened itself, through the next dlclose: npuprobe's own dlclose
// would drop dlsym's remembered decisions though nothing was unloaded (dlsym_lookup.cc).
int close_quietly(void *handle) noexcept;

}  // namespace npuprobe::preload

// Read by the dlsym trampoline (dlsym_trampoline.S): the real dlsym, null until resolved.
extern "C" void *npuprobe_real_dlsym_ptr __attribute__((visibility("hidden")));
extern "C" void *npuprobe_resolve_real_dlsym() __attribute__((visibility("hidden")));
