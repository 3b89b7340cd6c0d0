#include "mspti_lookup.h"

#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <cstring>
#include <string>

#include "real_dlsym.h"

namespace npuprobe::preload {
namespace {

// A loaded object whose file name starts with "libmspti" (the real one may be versioned or
// have no SONAME that dlopen("libmspti.so") would match).
int find_loaded_mspti(dl_phdr_info *info, size_t, void *data) {
  const char *path = info->dlpi_name;
  if (path == nullptr || path[0] == '\0') return 0;
  const char *slash = strrchr(path, '/');
  const char *file = slash != nullptr ? slash + 1 : path;
  if (strncmp(file, "libmspti", 8) != 0) return 0;
  *static_cast<std::string *>(data) = path;
  return 1;
}

void *loaded_mspti_handle() noexcept {
  static std::atomic<void *> kept{nullptr};
  if (void *h = kept.load(std::memory_order_acquire)) return h;
  void *h = dlopen("libmspti.so", RTLD_LAZY | RTLD_NOLOAD);
  if (h == nullptr) {
    try {
      std::string path;
      dl_iterate_phdr(&find_loaded_mspti, &path);
      if (!path.empty()) h = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    } catch (...) {
      return nullptr;
    }
  }
  if (h != nullptr) kept.store(h, std::memory_order_release);  // never closed: see the header
  return h;
}

}  // namespace

void *find_mspti_function(const char *name) noexcept {
  if (void *f = lookup_symbol(RTLD_DEFAULT, name)) return f;
  void *h = loaded_mspti_handle();
  return h != nullptr ? lookup_symbol(h, name) : nullptr;
}

}  // namespace npuprobe::preload
