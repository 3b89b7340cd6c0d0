// One rule for "this frame's module is one of these": the basename of the module's path
// contains one of the patterns (attribution.skip_modules). Header-only, because both the site
// policy (in libnpuprobe.so) and the libdw symbolizer (in the plugin) apply it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace npuprobe::attribution {

inline std::string_view module_basename(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

inline bool module_matches(const std::vector<std::string> &patterns, std::string_view module) {
  const std::string_view name = module_basename(module);
  for (const std::string &pattern : patterns) {
    // An empty entry (a stray comma in the config) would match every module.
    if (!pattern.empty() && name.find(pattern) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace npuprobe::attribution
