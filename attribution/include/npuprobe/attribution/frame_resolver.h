// One address to one Frame, as the attributor sees symbolization. Two implementations:
// - the libdw symbolizer (symbolizer.h) behind the plugin libnpuprobe-symbolizer.so
//   (symbolizer_plugin.h): module, function, source file and line;
// - dladdr (make_dladdr_resolver): module and the nearest dynamic symbol only, the fallback when
//   the plugin or libdw cannot be loaded.
// Why a plugin: Debian's libdw.a uses local-exec TLS (R_X86_64_TPOFF32), which cannot go into a
// shared object, so libnpuprobe.so cannot link libdw statically; linking the shared libdw would
// make every host process load it. The plugin is opened only when attribution is on.
#pragma once

#include <cstdint>
#include <memory>

#include "npuprobe/attribution/symbolizer.h"

namespace npuprobe::attribution {

class FrameResolver {
 public:
  virtual ~FrameResolver() = default;
  // `is_return_address`: look up pc - 1 (a return address points after its call).
  virtual Frame resolve(std::uintptr_t pc, bool is_return_address) = 0;
};

std::unique_ptr<FrameResolver> make_dladdr_resolver();

// The libdw symbolizer (symbolizer.h) as a resolver; in npuprobe_symbolizer (links libdw), for
// the plugin, tests and benchmarks.
std::unique_ptr<FrameResolver> make_libdw_resolver(SymbolizerOptions options = {});

}  // namespace npuprobe::attribution
