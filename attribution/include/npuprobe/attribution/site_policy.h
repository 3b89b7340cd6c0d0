// Which frame of a stack is "the site": the first frame (innermost first) whose module is none
// of the skipped ones (CANN, npuprobe, libc/libstdc++, the Python interpreter; configurable).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "npuprobe/attribution/symbolizer.h"

namespace npuprobe::attribution {

// Default `attribution.skip_modules`: substrings of a module's file name (basename).
std::vector<std::string> default_skip_modules();

struct SitePolicy {
  std::vector<std::string> skip_modules = default_skip_modules();
};

// True when the basename of `module` contains one of `policy.skip_modules`.
bool is_skipped_module(const SitePolicy &policy, const std::string &module);

// Index of the site frame in `frames`: the first frame with a known module that is not skipped.
// When every known frame is skipped (a pure Python caller through ctypes), the first known frame
// outside npuprobe itself; frames.size() when there is no usable frame at all.
std::size_t site_frame_index(const SitePolicy &policy, const std::vector<Frame> &frames);

// True when the outermost frame is a thread's or the process's entry (_start,
// __libc_start_main, __libc_start_call_main, start_thread, clone, clone3, thread_start): the
// unwinder walked the whole stack. False means a partial stack (a frame without unwind
// information, an unknown module, or truncation stopped it).
bool reaches_thread_entry(const std::vector<Frame> &frames);

// The site's name as labels and `npuprobe sites` show it:
//   "function (file_basename:line)"  with debug line info
//   "function (module_basename)"     with a symbol but no line info
//   "module_basename+0xOFFSET"       without a symbol
//   "unknown"                        no usable frame / unknown module
std::string site_name(const Frame &frame);

}  // namespace npuprobe::attribution
