// Records waiting for a user buffer, and their delivery through the request/complete callbacks.
// The device thread only appends to a bounded queue (never calls user code, never waits for a
// buffer): the stand-in for the driver's profiling channel that real MSPTI reads. A delivery
// thread, or a flush on the caller's thread, moves them into buffers the way real MSPTI's
// ActivityManager::Record does (docs/mock-sources.md, "libmspti.so").
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "npu/mspti_api.h"
#include "npu/npumock.h"

namespace msptimock {

// A record waiting for a buffer: what the device reported, plus what only an HCCL record has.
struct QueuedRecord {
  npumock_activity a{};
  double bandwidth = 0;
  const char *comm_name = nullptr;
};

class RecordQueue {
 public:
  explicit RecordQueue(size_t capacity);

  // Device or host thread: queue one finished activity (lost when the queue is full: counted in
  // channel_lost(), which real MSPTI has no counterpart of).
  void push(const npumock_activity &activity) { push(QueuedRecord{activity, 0, nullptr}); }
  void push(const QueuedRecord &record);
  void set_callbacks(msptiBuffersCallbackRequestFunc request,
                     msptiBuffersCallbackCompleteFunc complete);
  // Moves queued records into buffers; with flush, hands back the current buffer as it is
  // (msptiActivityFlushAll).
  void deliver(bool flush);
  void start_delivery_thread();
  // The channels are torn down (msptiUnsubscribe): queued records are lost, silently as in
  // MSPTI. Returns how many.
  size_t discard();
  // Records MSPTI lost for want of a buffer (its total_drop_num_).
  uint64_t dropped() const { return dropped_.load(); }
  // Records lost before MSPTI saw them: the queue was full (NPU_MOCK_MSPTI_QUEUE).
  uint64_t channel_lost() const { return channel_lost_.load(); }
  size_t capacity() const { return capacity_; }

 private:
  static constexpr float kFullShare = 0.8f;  // ACTIVITY_BUFFER_THRESHOLD (a float there too)
  static constexpr size_t kMinBufferBytes = size_t(2) << 20;  // MIN_ACTIVITY_BUFFER_SIZE

  void record(const QueuedRecord &r);
  void request_buffer();
  void write_record(const QueuedRecord &r);
  size_t record_size(uint32_t kind) const;

  const size_t capacity_;
  std::mutex queue_mu_;
  std::deque<QueuedRecord> queue_;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> channel_lost_{0};

  std::mutex deliver_mu_;  // serializes the delivery thread and flushes
  msptiBuffersCallbackRequestFunc request_ = nullptr;
  msptiBuffersCallbackCompleteFunc complete_ = nullptr;
  uint8_t *buffer_ = nullptr;
  size_t buffer_size_ = 0;
  size_t valid_ = 0;
  bool has_buffer_ = false;  // ActivityManager's cur_buf_ (its buffer may be NULL: refused)
  std::once_flag thread_once_;
};

}  // namespace msptimock
