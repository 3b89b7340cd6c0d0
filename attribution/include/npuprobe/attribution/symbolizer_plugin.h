// The C interface of libnpuprobe-symbolizer.so (plugin/symbolizer_plugin.cc): the libdw
// symbolizer behind a plain C ABI, so the preload and the plugin share no C++ types.
#pragma once

#include <cstdint>
#include <memory>

#include "npuprobe/attribution/frame_resolver.h"

extern "C" {

struct npuprobe_frame {
  std::uintptr_t pc;
  int known_module;
  const char *module;  // the strings stay valid until the next lookup on the same symbolizer
  std::uintptr_t module_offset;
  const char *function;
  const char *file;
  int line;
};

struct npuprobe_symbolizer;
// Exported by the plugin under these names (kSymbolizerCreate... below).
// `modules_without_lines`: `count` patterns (SymbolizerOptions), copied by the call.
typedef npuprobe_symbolizer *(*npuprobe_symbolizer_create_fn)(
    const char *const *modules_without_lines, int count);
typedef void (*npuprobe_symbolizer_delete_fn)(npuprobe_symbolizer *);
typedef void (*npuprobe_symbolizer_lookup_fn)(npuprobe_symbolizer *, std::uintptr_t pc,
                                             int is_return_address, npuprobe_frame *out);
}

namespace npuprobe::attribution {

inline constexpr const char *kSymbolizerPluginFile = "libnpuprobe-symbolizer.so";
// The exported names. A plugin from an older build (npuprobe_symbolizer_new, no options) lacks
// the first and is refused as unusable instead of being called with the wrong arguments.
inline constexpr const char *kSymbolizerCreate = "npuprobe_symbolizer_create";
inline constexpr const char *kSymbolizerDelete = "npuprobe_symbolizer_delete";
inline constexpr const char *kSymbolizerLookup = "npuprobe_symbolizer_lookup";

struct SymbolizerPluginApi {
  npuprobe_symbolizer_create_fn create = nullptr;
  npuprobe_symbolizer_delete_fn destroy = nullptr;
  npuprobe_symbolizer_lookup_fn lookup = nullptr;
};

// A resolver over the plugin's functions (all three non-null); null when create() fails.
std::unique_ptr<FrameResolver> make_plugin_resolver(const SymbolizerPluginApi &api,
                                                    const SymbolizerOptions &options);

}  // namespace npuprobe::attribution
