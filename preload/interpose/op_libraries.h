// Where the aclnn operator libraries are mapped. A kernel launch made from inside one of them
// (libopapi's second stage calling aclrtLaunchKernelWithHostArgs) is an aclnn launch even when
// the aclnnXxx call itself was not seen (code that links libopapi directly).
#pragma once

#include <atomic>
#include <cstdint>

namespace npuprobe::preload {

class OpLibraries {
 public:
  static constexpr int kMaxRanges = 32;

  bool contains(const void *address) const noexcept {
    const auto a = reinterpret_cast<std::uintptr_t>(address);
    const int count = count_.load(std::memory_order_acquire);
    for (int i = 0; i < count; ++i) {
      if (a >= ranges_[i].low.load(std::memory_order_relaxed) &&
          a < ranges_[i].high.load(std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  // Cold (dl_iterate_phdr): finds the executable segments of operator libraries loaded now.
  void rescan() noexcept;

  static bool is_operator_library(const char *path) noexcept;

 private:
  struct Range {
    std::atomic<std::uintptr_t> low{0};
    std::atomic<std::uintptr_t> high{0};
  };
  void add(std::uintptr_t low, std::uintptr_t high) noexcept;

  Range ranges_[kMaxRanges];
  std::atomic<int> count_{0};
  std::atomic<bool> scanning_{false};
};

extern OpLibraries g_op_libraries;

}  // namespace npuprobe::preload
