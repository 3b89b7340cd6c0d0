// Records waiting for a user buffer, and their delivery through the request/complete callbacks.
// The device thread only appends to a bounded queue (never calls user code, never waits for a
// buffer); a delivery thread, or a flush on the caller's thread, moves them into buffers.
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

class RecordQueue {
 public:
  explicit RecordQueue(size_t capacity);

  // Device or host thread: queue one finished activity (dropped when the queue is full).
  void push(const npumock_activity &activity);
  void set_callbacks(msptiBuffersCallbackRequestFunc request,
                     msptiBuffersCallbackCompleteFunc complete);
  bool has_callbacks();
  // Moves queued records into buffers; with complete_partial, hands back the current buffer
  // even if not full (msptiActivityFlushAll).
  void deliver(bool complete_partial);
  void start_delivery_thread();
  uint64_t dropped() const { return dropped_.load(); }

 private:
  void write_record(const npumock_activity &a);
  size_t record_size(uint32_t kind) const;

  const size_t capacity_;
  std::mutex queue_mu_;
  std::deque<npumock_activity> queue_;
  std::atomic<uint64_t> dropped_{0};

  std::mutex deliver_mu_;  // serializes the delivery thread and flushes
  msptiBuffersCallbackRequestFunc request_ = nullptr;
  msptiBuffersCallbackCompleteFunc complete_ = nullptr;
  uint8_t *buffer_ = nullptr;
  size_t buffer_size_ = 0;
  size_t valid_ = 0;
  std::once_flag thread_once_;
};

}  // namespace msptimock
