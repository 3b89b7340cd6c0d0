// What attribution needs from outside libnpuprobe.so, opened only when attribution is on:
// - the stack walk: libunwind's unw_backtrace (its fast path: cached frame descriptions,
//   addresses only, no malloc). Debian's libunwind.a is not position-independent, so it cannot
//   be linked in; the shared libunwind is opened instead, keeping `ldd libnpuprobe.so` clean.
// - symbolization: libnpuprobe-symbolizer.so, the libdw plugin next to libnpuprobe.so
//   (attribution/frame_resolver.h says why it is a plugin); dladdr names when it cannot load.
#pragma once

#include <memory>

#include "npuprobe/attribution/attributor.h"

namespace npuprobe::preload {

// Cold, once: unw_backtrace, or null (logged; attribution then stays off).
attribution::BacktraceFn load_unwinder() noexcept;

// Cold, once: the libdw plugin's resolver, else (logged) the dladdr fallback. Never null.
// An attribution::ResolverFactory.
std::unique_ptr<attribution::FrameResolver> load_frame_resolver(
    const attribution::SymbolizerOptions &options) noexcept;

}  // namespace npuprobe::preload
