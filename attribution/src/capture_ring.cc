#include "npuprobe/attribution/capture_ring.h"

namespace npuprobe::attribution {
namespace {

std::size_t round_up_to_power_of_two(std::size_t n) {
  std::size_t p = 2;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

CaptureRing::CaptureRing(std::size_t capacity)
    : mask_(round_up_to_power_of_two(capacity) - 1), slots_(new Slot[mask_ + 1]) {
  reset();
}

void CaptureRing::reset() noexcept {
  for (std::size_t i = 0; i <= mask_; ++i) slots_[i].sequence.store(i, std::memory_order_relaxed);
  head_.store(0, std::memory_order_relaxed);
  tail_ = 0;
}

}  // namespace npuprobe::attribution
