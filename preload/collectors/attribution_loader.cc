#include "attribution_loader.h"

#include <dlfcn.h>

#include "npuprobe/attribution/symbolizer_plugin.h"
#include "npuprobe/base/log.h"
#include "npuprobe/base/plugin_loader.h"
#include "real_dlsym.h"

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
  constexpr const char *kWithout = "attribution: sites are named from dynamic symbols only (no "
                                   "source lines)";
  void *create = nullptr;
  void *destroy = nullptr;
  void *lookup = nullptr;
  const base::PluginSymbol symbols[] = {{attribution::kSymbolizerCreate, &create},
                                        {attribution::kSymbolizerDelete, &destroy},
                                        {attribution::kSymbolizerLookup, &lookup}};
  if (base::load_plugin(attribution::kSymbolizerPluginFile, &lookup_symbol, symbols, 3,
                        kWithout)) {
    try {
      attribution::SymbolizerPluginApi api;
      api.create = reinterpret_cast<npuprobe_symbolizer_create_fn>(create);
      api.destroy = reinterpret_cast<npuprobe_symbolizer_delete_fn>(destroy);
      api.lookup = reinterpret_cast<npuprobe_symbolizer_lookup_fn>(lookup);
      if (auto resolver = attribution::make_plugin_resolver(api, options)) return resolver;
      log_message(LogLevel::kWarn, "%s cannot start a symbolizer; %s",
                  attribution::kSymbolizerPluginFile, kWithout);
    } catch (...) {
    }
  }
  return attribution::make_dladdr_resolver();
}

}  // namespace npuprobe::preload
