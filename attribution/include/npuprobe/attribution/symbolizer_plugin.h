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
// Exported by the plugin under these names.
typedef npuprobe_symbolizer *(*npuprobe_symbolizer_new_fn)(void);
typedef void (*npuprobe_symbolizer_delete_fn)(npuprobe_symbolizer *);
typedef void (*npuprobe_symbolizer_lookup_fn)(npuprobe_symbolizer *, std::uintptr_t pc,
                                             int is_return_address, npuprobe_frame *out);
}

namespace npuprobe::attribution {

inline constexpr const char *kSymbolizerPluginFile = "libnpuprobe-symbolizer.so";

struct SymbolizerPluginApi {
  npuprobe_symbolizer_new_fn create = nullptr;
  npuprobe_symbolizer_delete_fn destroy = nullptr;
  npuprobe_symbolizer_lookup_fn lookup = nullptr;
};

// A resolver over the plugin's functions (all three non-null); null when create() fails.
std::unique_ptr<FrameResolver> make_plugin_resolver(const SymbolizerPluginApi &api);

}  // namespace npuprobe::attribution
