#include "sibling_library.h"

#include <dlfcn.h>

namespace npuprobe::preload {

std::string sibling_library_path(const char *file_name) {
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&sibling_library_path), &info) == 0 ||
      info.dli_fname == nullptr) {
    return file_name;
  }
  const std::string self = info.dli_fname;
  const std::size_t slash = self.rfind('/');
  return (slash == std::string::npos ? std::string() : self.substr(0, slash + 1)) + file_name;
}

}  // namespace npuprobe::preload
