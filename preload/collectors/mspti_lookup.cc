#include "mspti_lookup.h"

#include <dlfcn.h>
#include <link.h>

#include <limits.h>

#include <atomic>
#include <cstring>

#include "real_dlsym.h"

namespace npuprobe::preload {
namespace {

// A loaded object whose file name starts with "libmspti" (the real one may be versioned or
// have no SONAME that dlopen("libmspti.so") would match). Runs under the loader's lock: copies
// into a fixed buffer, allocates nothing, never throws.
struct Found {
  char path[PATH_MAX];
  bool found;
};

int find_loaded_mspti(dl_phdr_info *info, size_t, void *data) {
  const char *path = info->dlpi_name;
  if (path == nullptr || path[0] == '\0') return 0;
  const char *slash = strrchr(path, '/');
  const char *file = slash != nullptr ? slash + 1 : path;
  if (strncmp(file, "libmspti", 8) != 0 || strlen(path) >= PATH_MAX) return 0;
  auto *out = static_cast<Found *>(data);
  memcpy(out->path, path, strlen(path) + 1);
  out->found = true;
  return 1;
}

void *loaded_mspti_handle() noexcept {
  static std::atomic<void *> kept{nullptr};
  if (void *h = kept.load(std::memory_order_acquire)) return h;
  void *h = dlopen("libmspti.so", RTLD_LAZY | RTLD_NOLOAD);
  if (h == nullptr) {
    // On the stack, no lock of npuprobe's: a thread inside dlopen (holding the loader's lock)
    // may come here through aclrtSetDevice while another is in dl_iterate_phdr.
    Found found;
    found.found = false;
    dl_iterate_phdr(&find_loaded_mspti, &found);
    if (found.found) h = dlopen(found.path, RTLD_LAZY | RTLD_NOLOAD);
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
