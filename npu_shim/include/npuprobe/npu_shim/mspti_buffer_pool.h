// The activity buffers npuprobe lends to MSPTI (acl_task_time = 2). MSPTI asks for a buffer
// from its own threads and hands it back full; npuprobe reads it on the publisher thread. All
// buffers are allocated when the pool is made, so lending never allocates, locks or waits: when
// every buffer is out (a burst larger than the pool), MSPTI gets none and loses those records,
// and the refusal is counted. Buffers are 2 MiB and 8-aligned: MSPTI warns in its log for every
// buffer under 2 MiB it is given (Ascend/mspti csrc/activity/activity_manager.cpp
// ActivityBuffer::Init, MIN_ACTIVITY_BUFFER_SIZE), so a smaller one would say so at every
// request.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace npuprobe::npu_shim {

class MsptiBufferPool {
 public:
  static constexpr std::size_t kBufferBytes = std::size_t(2) << 20;

  // `buffers` >= 1. Throws std::bad_alloc.
  explicit MsptiBufferPool(int buffers);
  ~MsptiBufferPool();
  MsptiBufferPool(const MsptiBufferPool &) = delete;
  MsptiBufferPool &operator=(const MsptiBufferPool &) = delete;

  // MSPTI's request callback: a free buffer, or null (counted) when all are out.
  std::uint8_t *lend() noexcept;
  // MSPTI's complete callback: `buffer` holds `valid` bytes of records. A buffer that is not
  // the pool's is ignored.
  void complete(std::uint8_t *buffer, std::size_t valid) noexcept;
  // Consumer: calls `read(buffer, valid)` for each completed buffer, then makes it free again.
  // One consumer at a time. Returns the number of buffers read.
  int drain(const std::function<void(std::uint8_t *, std::size_t)> &read);
  // Refusals since the last call (MSPTI asked while every buffer was out).
  std::uint64_t take_refused() noexcept;

  int size() const noexcept { return count_; }

 private:
  enum State : std::uint32_t { kFree, kLent, kCompleted };
  struct Slot {
    std::uint8_t *data = nullptr;
    std::atomic<std::uint32_t> state{kFree};
    std::atomic<std::size_t> valid{0};
  };

  const int count_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace npuprobe::npu_shim
