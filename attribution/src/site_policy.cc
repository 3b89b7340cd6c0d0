#include "npuprobe/attribution/site_policy.h"

#include <cstdio>
#include <string_view>

#include "npuprobe/attribution/module_match.h"

namespace npuprobe::attribution {
namespace {

constexpr std::string_view kNpuprobeModule = "libnpuprobe";

bool is_npuprobe_module(const std::string &module) {
  return module_basename(module).find(kNpuprobeModule) != std::string_view::npos;
}

}  // namespace

std::vector<std::string> default_skip_modules() {
  // note: only code that is never "the site". torch_npu, op-plugin and vLLM's own extensions are
  // the user's framework and stay visible: a stray sync in torch_npu is exactly what we look for.
  return {// CANN and the Ascend runtime (the mocked NPU carries the same names).
          "libascendcl", "libacl_", "libopapi", "libnnopbase", "libruntime", "libge_", "libhccl",
          "libmspti", "libascend", "libmsprof",
          // npuprobe itself: the interposer and the capture are on every captured stack.
          "libnpuprobe",
          // The C and C++ runtimes and the unwinder.
          "libc.so", "libc-", "ld-linux", "libpthread", "libdl", "libstdc++", "libgcc_s",
          "libunwind",
          // The Python interpreter and ctypes: the caller is somewhere in Python code, which native
          // stacks cannot name.
          "python", "libpython", "libffi", "_ctypes"};
}

bool is_skipped_module(const SitePolicy &policy, const std::string &module) {
  return module_matches(policy.skip_modules, module);
}

std::size_t site_frame_index(const SitePolicy &policy, const std::vector<Frame> &frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].known_module && !is_skipped_module(policy, frames[i].module)) return i;
  }
  // Every known frame is skipped (Python calling CANN through ctypes): the innermost frame that
  // is not npuprobe's own still tells which runtime entry point waited.
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].known_module && !is_npuprobe_module(frames[i].module)) return i;
  }
  return frames.size();
}

bool reaches_thread_entry(const std::vector<Frame> &frames) {
  // The outermost frames of a fully unwound stack on x86-64 and aarch64 glibc: the main thread
  // ends in _start (via __libc_start_main / __libc_start_call_main), every other thread in
  // clone/clone3 (via start_thread); musl-style and some runtimes' threads end in thread_start.
  static constexpr std::string_view kEntries[] = {"_start",
                                                  "__libc_start_main",
                                                  "__libc_start_call_main",
                                                  "start_thread",
                                                  "clone",
                                                  "clone3",
                                                  "__clone",
                                                  "__clone3",
                                                  "thread_start"};
  if (frames.empty()) return false;
  const Frame *outermost = &frames.back();
  // Some unwinders end the walk with a null return address; the entry is the frame before it.
  if (outermost->pc == 0 && frames.size() > 1) outermost = &frames[frames.size() - 2];
  std::string_view function = outermost->function;
  // glibc's debug symbols name some of them through internal aliases (__GI___clone3).
  constexpr std::string_view kInternalAlias = "__GI_";
  if (function.substr(0, kInternalAlias.size()) == kInternalAlias) {
    function.remove_prefix(kInternalAlias.size());
  }
  for (std::string_view entry : kEntries) {
    if (function == entry) return true;
  }
  return false;
}

std::string site_name(const Frame &frame) {
  if (!frame.known_module || frame.module.empty()) return "unknown";
  const std::string_view module = module_basename(frame.module);
  std::string name;
  if (!frame.function.empty()) {
    name = frame.function;
    name += " (";
    if (!frame.file.empty() && frame.line > 0) {
      name += module_basename(frame.file);
      name += ':';
      name += std::to_string(frame.line);
    } else {
      name += module;
    }
    name += ')';
    return name;
  }
  char offset[2 + 2 * sizeof(std::uintptr_t) + 1];
  std::snprintf(offset, sizeof(offset), "0x%llx",
                static_cast<unsigned long long>(frame.module_offset));
  name = module;
  name += '+';
  name += offset;
  return name;
}

}  // namespace npuprobe::attribution
