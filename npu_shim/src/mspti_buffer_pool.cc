#include "npuprobe/npu_shim/mspti_buffer_pool.h"

#include <cstdlib>
#include <new>

namespace npuprobe::npu_shim {

MsptiBufferPool::MsptiBufferPool(int buffers)
    : count_(buffers < 1 ? 1 : buffers), slots_(new Slot[static_cast<std::size_t>(count_)]) {
  for (int i = 0; i < count_; ++i) {
    // Untouched pages cost no memory until MSPTI writes records into them.
    void *data = std::aligned_alloc(8, kBufferBytes);
    if (data == nullptr) {
      for (int j = 0; j < i; ++j) std::free(slots_[j].data);
      throw std::bad_alloc();
    }
    slots_[i].data = static_cast<std::uint8_t *>(data);
  }
}

MsptiBufferPool::~MsptiBufferPool() {
  for (int i = 0; i < count_; ++i) std::free(slots_[i].data);
}

std::uint8_t *MsptiBufferPool::lend() noexcept {
  for (int i = 0; i < count_; ++i) {
    std::uint32_t expected = kFree;
    if (slots_[i].state.compare_exchange_strong(expected, kLent, std::memory_order_acquire)) {
      return slots_[i].data;
    }
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void MsptiBufferPool::complete(std::uint8_t *buffer, std::size_t valid) noexcept {
  for (int i = 0; i < count_; ++i) {
    Slot &slot = slots_[i];
    if (slot.data != buffer) continue;
    slot.valid.store(valid > kBufferBytes ? kBufferBytes : valid, std::memory_order_relaxed);
    // release: the records MSPTI wrote are visible to the consumer that sees kCompleted.
    slot.state.store(kCompleted, std::memory_order_release);
    return;
  }
}

int MsptiBufferPool::drain(const std::function<void(std::uint8_t *, std::size_t)> &read) {
  int drained = 0;
  for (int i = 0; i < count_; ++i) {
    Slot &slot = slots_[i];
    if (slot.state.load(std::memory_order_acquire) != kCompleted) continue;
    const std::size_t valid = slot.valid.load(std::memory_order_relaxed);
    if (valid > 0) read(slot.data, valid);
    ++drained;
    // release: our reads of the records finish before MSPTI may be lent the buffer again.
    slot.state.store(kFree, std::memory_order_release);
  }
  return drained;
}

std::uint64_t MsptiBufferPool::take_refused() noexcept {
  return refused_.exchange(0, std::memory_order_relaxed);
}

}  // namespace npuprobe::npu_shim
