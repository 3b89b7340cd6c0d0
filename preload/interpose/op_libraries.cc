#include "op_libraries.h"

#include <link.h>

#include <cstring>

namespace npuprobe::preload {

OpLibraries g_op_libraries;

bool OpLibraries::is_operator_library(const char *path) noexcept {
  if (path == nullptr) return false;
  const char *slash = std::strrchr(path, '/');
  const char *base = slash != nullptr ? slash + 1 : path;
  static const char *const kPrefixes[] = {"libopapi.so", "libcust_opapi.so", "libaclnn_",
                                          "libnnopbase.so"};
  for (const char *prefix : kPrefixes) {
    if (std::strncmp(base, prefix, std::strlen(prefix)) == 0) return true;
  }
  return false;
}

void OpLibraries::add(std::uintptr_t low, std::uintptr_t high) noexcept {
  const int count = count_.load(std::memory_order_relaxed);
  for (int i = 0; i < count; ++i) {
    if (ranges_[i].low.load(std::memory_order_relaxed) == low) return;
  }
  if (count >= kMaxRanges) return;
  ranges_[count].low.store(low, std::memory_order_relaxed);
  ranges_[count].high.store(high, std::memory_order_relaxed);
  count_.store(count + 1, std::memory_order_release);
}

void OpLibraries::rescan() noexcept {
  // One scanner at a time; a concurrent rescan request is covered by the one running.
  if (scanning_.exchange(true, std::memory_order_acquire)) return;
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *self) -> int {
        if (!is_operator_library(info->dlpi_name)) return 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr) &ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
          const std::uintptr_t low = info->dlpi_addr + ph.p_vaddr;
          static_cast<OpLibraries *>(self)->add(low, low + ph.p_memsz);
        }
        return 0;
      },
      this);
  scanning_.store(false, std::memory_order_release);
}

}  // namespace npuprobe::preload
