// Waiting a few hundred nanoseconds for another thread without sleeping (a lazy handle
// resolution in progress): a CPU pause hint first, then give the core away.
#pragma once

#include <thread>

namespace npuprobe::probes {

inline void spin_pause(unsigned spins) noexcept {
  if (spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  } else {
    std::this_thread::yield();
  }
}

}  // namespace npuprobe::probes
