#include "npuprobe/base/plugin_loader.h"

#include <dlfcn.h>

#include "npuprobe/base/log.h"

namespace npuprobe::base {

std::string sibling_library_path(const char *file_name) {
  Dl_info info;
  // note: this function's own address names the object base is linked into (libnpuprobe.so).
  if (dladdr(reinterpret_cast<void *>(&sibling_library_path), &info) == 0 ||
      info.dli_fname == nullptr) {
    return file_name;
  }
  const std::string self = info.dli_fname;
  const std::size_t slash = self.rfind('/');
  return (slash == std::string::npos ? std::string() : self.substr(0, slash + 1)) + file_name;
}

bool load_plugin(const char *file_name, SymbolLookup lookup, const PluginSymbol *symbols,
                 std::size_t count, const char *consequence) noexcept {
  for (std::size_t i = 0; i < count; ++i) *symbols[i].address = nullptr;
  try {
    const std::string path = sibling_library_path(file_name);
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char *why = dlerror();
      log_message(LogLevel::kWarn, "cannot load %s (%s); %s", path.c_str(),
                  why != nullptr ? why : "unknown error", consequence);
      return false;
    }
    for (std::size_t i = 0; i < count; ++i) {
      *symbols[i].address = lookup(handle, symbols[i].name);
      if (*symbols[i].address == nullptr && symbols[i].required) {
        for (std::size_t k = 0; k < i; ++k) *symbols[k].address = nullptr;
        log_message(LogLevel::kWarn, "cannot use %s (it lacks %s); %s", path.c_str(),
                    symbols[i].name, consequence);
        return false;
      }
    }
    return true;
  } catch (...) {  // std::bad_alloc from the path: no plugin, quietly
    return false;
  }
}

}  // namespace npuprobe::base
