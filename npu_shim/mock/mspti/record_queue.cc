#include "mspti/record_queue.h"

#include <chrono>
#include <cstring>

namespace msptimock {

RecordQueue::RecordQueue(size_t capacity) : capacity_(capacity) {}

void RecordQueue::push(const npumock_activity &activity) {
  std::lock_guard<std::mutex> lock(queue_mu_);
  if (queue_.size() >= capacity_) {
    ++dropped_;
    return;
  }
  queue_.push_back(activity);
}

void RecordQueue::set_callbacks(msptiBuffersCallbackRequestFunc request,
                                msptiBuffersCallbackCompleteFunc complete) {
  std::lock_guard<std::mutex> lock(deliver_mu_);
  request_ = request;
  complete_ = complete;
}

bool RecordQueue::has_callbacks() {
  std::lock_guard<std::mutex> lock(deliver_mu_);
  return request_ != nullptr && complete_ != nullptr;
}

size_t RecordQueue::record_size(uint32_t kind) const {
  return kind == MSPTI_ACTIVITY_KIND_KERNEL ? sizeof(msptiActivityKernel) : sizeof(msptiActivityApi);
}

void RecordQueue::write_record(const npumock_activity &a) {
  uint8_t *at = buffer_ + valid_;
  if (a.kind == MSPTI_ACTIVITY_KIND_KERNEL) {
    msptiActivityKernel k{};
    k.kind = MSPTI_ACTIVITY_KIND_KERNEL;
    k.start = a.start_ns;
    k.end = a.end_ns;
    k.ds.deviceId = a.deviceId;
    k.ds.streamId = a.streamId;
    k.correlationId = a.correlationId;
    k.type = a.type;
    k.name = a.name;
    memcpy(at, &k, sizeof k);
  } else {
    msptiActivityApi r{};
    r.kind = MSPTI_ACTIVITY_KIND_API;
    r.start = a.start_ns;
    r.end = a.end_ns;
    r.pt.processId = a.deviceId;  // the mock's API records carry pid/tid in these two fields
    r.pt.threadId = a.streamId;
    r.correlationId = a.correlationId;
    r.name = a.name;
    memcpy(at, &r, sizeof r);
  }
  valid_ += record_size(a.kind);
}

void RecordQueue::deliver(bool complete_partial) {
  std::lock_guard<std::mutex> deliver_lock(deliver_mu_);
  if (request_ == nullptr || complete_ == nullptr) return;
  std::deque<npumock_activity> batch;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    batch.swap(queue_);
  }
  for (const npumock_activity &a : batch) {
    const size_t need = record_size(a.kind);
    if (buffer_ != nullptr && valid_ + need > buffer_size_) {
      complete_(buffer_, buffer_size_, valid_);
      buffer_ = nullptr;
    }
    if (buffer_ == nullptr) {
      uint8_t *b = nullptr;
      size_t size = 0, max_records = 0;
      request_(&b, &size, &max_records);
      if (b == nullptr || size < need) {
        std::lock_guard<std::mutex> lock(queue_mu_);
        ++dropped_;  // the user gave no usable buffer: the record is lost, as with real MSPTI
        continue;
      }
      buffer_ = b;
      buffer_size_ = size;
      valid_ = 0;
    }
    write_record(a);
  }
  if (complete_partial && buffer_ != nullptr && valid_ > 0) {
    complete_(buffer_, buffer_size_, valid_);
    buffer_ = nullptr;
  }
}

void RecordQueue::start_delivery_thread() {
  std::call_once(thread_once_, [this] {
    std::thread([this] {
      for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        deliver(false);
      }
    }).detach();
  });
}

}  // namespace msptimock
