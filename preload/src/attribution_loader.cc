#include "attribution_loader.h"

#include <dlfcn.h>

#include "npuprobe/attribution/symbolizer_plugin.h"
#include "npuprobe/base/log.h"
#include "real_dlsym.h"
#include "sibling_library.h"

namespace npuprobe::preload {

using base::log_message;
using base::LogLevel;

attribution::BacktraceFn load_unwinder() noexcept {
#if defined(NPUPROBE_SANITIZER_TSAN)
  // ThreadSanitizer builds only: libunwind frees its per-thread trace cache in a pthread key
  // destructor that takes a mutex after TSan has retired the exiting thread, and every process
  // then crashes at its first thread exit. glibc's backtrace (libgcc's unwinder, no per-thread
  // state) walks the same stacks there, so the suite still covers capture under TSan.
  if (void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD)) {
    if (void *fn = lookup_symbol(libc, "backtrace")) {
      return reinterpret_cast<attribution::BacktraceFn>(fn);
    }
  }
#endif
  // RTLD_LOCAL: libunwind's weak `backtrace` must not replace glibc's for the application.
  for (const char *name : attribution::kUnwinderLibraries) {
    void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) continue;
    if (void *fn = lookup_symbol(handle, "unw_backtrace")) {
      return reinterpret_cast<attribution::BacktraceFn>(fn);
    }
    dlclose(handle);
  }
  log_message(LogLevel::kWarn,
              "attribution is off: libunwind.so.8 (with unw_backtrace) cannot be loaded; "
              "install libunwind8 or set attribution.enabled: false");
  return nullptr;
}

std::unique_ptr<attribution::FrameResolver> load_frame_resolver(
    const attribution::SymbolizerOptions &options) noexcept {
  try {
    const std::string path = sibling_library_path(attribution::kSymbolizerPluginFile);
    if (void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      attribution::SymbolizerPluginApi api;
      api.create = reinterpret_cast<npuprobe_symbolizer_create_fn>(
          lookup_symbol(handle, attribution::kSymbolizerCreate));
      api.destroy = reinterpret_cast<npuprobe_symbolizer_delete_fn>(
          lookup_symbol(handle, attribution::kSymbolizerDelete));
      api.lookup = reinterpret_cast<npuprobe_symbolizer_lookup_fn>(
          lookup_symbol(handle, attribution::kSymbolizerLookup));
      if (auto resolver = attribution::make_plugin_resolver(api, options)) return resolver;
      log_message(LogLevel::kWarn, "attribution: %s is unusable; sites are named from dynamic "
                  "symbols only (no source lines)", path.c_str());
    } else {
      const char *why = dlerror();
      log_message(LogLevel::kWarn, "attribution: cannot load %s (%s); sites are named from "
                  "dynamic symbols only (no source lines)", path.c_str(),
                  why != nullptr ? why : "unknown error");
    }
  } catch (...) {
  }
  return attribution::make_dladdr_resolver();
}

}  // namespace npuprobe::preload
