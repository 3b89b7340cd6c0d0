#include "mspti/record_queue.h"

#include <chrono>
#include <cstdio>
#include <cstring>

namespace msptimock {

RecordQueue::RecordQueue(size_t capacity) : capacity_(capacity) {}

void RecordQueue::push(const QueuedRecord &record) {
  std::lock_guard<std::mutex> lock(queue_mu_);
  if (queue_.size() >= capacity_) {
    ++channel_lost_;
    return;
  }
  queue_.push_back(record);
}

void RecordQueue::set_callbacks(msptiBuffersCallbackRequestFunc request,
                                msptiBuffersCallbackCompleteFunc complete) {
  std::lock_guard<std::mutex> lock(deliver_mu_);
  request_ = request;
  complete_ = complete;
}

size_t RecordQueue::record_size(uint32_t kind) const {
  if (kind == MSPTI_ACTIVITY_KIND_KERNEL) return sizeof(msptiActivityKernel);
  if (kind == MSPTI_ACTIVITY_KIND_HCCL) return sizeof(msptiActivityHccl);
  return sizeof(msptiActivityApi);
}

void RecordQueue::write_record(const QueuedRecord &q) {
  const npumock_activity &a = q.a;
  uint8_t *at = buffer_ + valid_;
  if (a.kind == MSPTI_ACTIVITY_KIND_HCCL) {
    // HcclReporter::ReportHcclActivity (Ascend/mspti csrc/activity/ascend/parser/hccl_reporter.cpp)
    msptiActivityHccl h{};
    h.kind = MSPTI_ACTIVITY_KIND_HCCL;
    h.start = a.start_ns;
    h.end = a.end_ns;
    h.ds.deviceId = a.deviceId;
    h.ds.streamId = a.streamId;
    h.bandWidth = q.bandwidth;
    h.name = a.name;
    h.commName = q.comm_name;
    memcpy(at, &h, sizeof h);
  } else if (a.kind == MSPTI_ACTIVITY_KIND_KERNEL) {
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

// ActivityManager::Record (Ascend/mspti csrc/activity/activity_manager.cpp): with no current
// buffer, ask for one; when the current one is at least 80% full, hand it back (complete) and ask
// for the next, before the record is written. A buffer the user refused (NULL) or that has no
// room for the record loses the record (ActivityBuffer::Record fails, total_drop_num_++), and it
// stays the current buffer: a refused one with size 0 is "80% full" at once, so the next record
// completes it (complete(NULL, 0, 0)) and asks again, one request per record lost.
void RecordQueue::record(const QueuedRecord &r) {
  const npumock_activity &a = r.a;
  if (!has_buffer_) {
    request_buffer();
  } else if (static_cast<float>(valid_) >= kFullShare * static_cast<float>(buffer_size_)) {
    complete_(buffer_, buffer_size_, valid_);
    request_buffer();
  }
  const size_t need = record_size(a.kind);
  if (buffer_ == nullptr || need > buffer_size_ - valid_) {
    ++dropped_;
    return;
  }
  write_record(r);
}

size_t RecordQueue::discard() {
  std::lock_guard<std::mutex> lock(queue_mu_);
  const size_t n = queue_.size();
  queue_.clear();
  return n;
}

void RecordQueue::request_buffer() {
  uint8_t *b = nullptr;
  size_t size = 0, max_records = 0;  // maxNumRecords is read by nobody (ActivityBuffer::Init)
  request_(&b, &size, &max_records);
  // ActivityBuffer::Init warns for every buffer under 2 MiB, a refused one (size 0) included;
  // MSPTI's log goes to the CANN log, the mock's to stderr, with MSPTI's words.
  if (size < kMinBufferBytes) {
    fprintf(stderr,
            "npumock libmspti [W]: Please malloc the Activity Buffer more than 2MB. Current is "
            "%zu Bytes.\n",
            size);
  }
  buffer_ = b;
  buffer_size_ = size;
  valid_ = 0;
  has_buffer_ = true;
}

void RecordQueue::deliver(bool flush) {
  std::lock_guard<std::mutex> deliver_lock(deliver_mu_);
  std::deque<QueuedRecord> batch;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    batch.swap(queue_);
  }
  if (request_ == nullptr || complete_ == nullptr) {
    dropped_ += batch.size();  // ActivityBuffer::Init without a request callback: no buffer
    return;
  }
  for (const QueuedRecord &r : batch) record(r);
  // ActivityManager::FlushAll: the current buffer goes back as it is (even empty or refused);
  // the next record asks for a new one.
  if (flush && has_buffer_) {
    complete_(buffer_, buffer_size_, valid_);
    buffer_ = nullptr;
    buffer_size_ = 0;
    valid_ = 0;
    has_buffer_ = false;
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
