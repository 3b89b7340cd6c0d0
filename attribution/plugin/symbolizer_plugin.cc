// build/lib/libnpuprobe-symbolizer.so: the libdw symbolizer (symbolizer.h) behind the C ABI of
// symbolizer_plugin.h. The preload opens it only when attribution is on (frame_resolver.h says
// why libdw cannot be inside libnpuprobe.so). Exceptions never cross the C boundary.
#include <string>
#include <type_traits>
#include <utility>

#include "npuprobe/attribution/symbolizer.h"
#include "npuprobe/attribution/symbolizer_plugin.h"

namespace {

struct Instance {
  explicit Instance(npuprobe::attribution::SymbolizerOptions options)
      : symbolizer(std::move(options)) {}

  npuprobe::attribution::Symbolizer symbolizer;
  npuprobe::attribution::Frame last;  // owns the strings handed out by the last lookup
};

}  // namespace

struct npuprobe_symbolizer {
  explicit npuprobe_symbolizer(npuprobe::attribution::SymbolizerOptions options)
      : instance(std::move(options)) {}

  Instance instance;
};

extern "C" {

__attribute__((visibility("default"))) npuprobe_symbolizer *npuprobe_symbolizer_create(
    const char *const *modules_without_lines, int count) {
  try {
    npuprobe::attribution::SymbolizerOptions options;
    for (int i = 0; modules_without_lines != nullptr && i < count; ++i) {
      if (modules_without_lines[i] != nullptr) {
        options.modules_without_lines.emplace_back(modules_without_lines[i]);
      }
    }
    return new npuprobe_symbolizer(std::move(options));
  } catch (...) {
    return nullptr;
  }
}

__attribute__((visibility("default"))) void npuprobe_symbolizer_delete(npuprobe_symbolizer *s) {
  delete s;
}

__attribute__((visibility("default"))) void npuprobe_symbolizer_lookup(
    npuprobe_symbolizer *s, std::uintptr_t pc, int is_return_address, npuprobe_frame *out) {
  *out = npuprobe_frame{pc, 0, "", 0, "", "", 0};
  try {
    Instance &i = s->instance;
    i.last = i.symbolizer.symbolize_one(pc, is_return_address != 0);
    *out = npuprobe_frame{pc,
                          i.last.known_module ? 1 : 0,
                          i.last.module.c_str(),
                          i.last.module_offset,
                          i.last.function.c_str(),
                          i.last.file.c_str(),
                          i.last.line};
  } catch (...) {
    // out stays "unknown"
  }
}

}  // extern "C"

// The exported functions have exactly the types the preload casts them to.
static_assert(std::is_same_v<decltype(&npuprobe_symbolizer_create), npuprobe_symbolizer_create_fn>);
static_assert(std::is_same_v<decltype(&npuprobe_symbolizer_delete), npuprobe_symbolizer_delete_fn>);
static_assert(std::is_same_v<decltype(&npuprobe_symbolizer_lookup), npuprobe_symbolizer_lookup_fn>);
