// Streams, events, captured graphs and models: the opaque handles the fake runtime hands out.
// Handles are validated against a registry before use, so a wrong or stale handle returns the
// runtime's error code instead of crashing the mock.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_set>
#include <vector>

namespace npumock {

class Device;

struct KernelSpec {
  const char *name;  // interned
  const char *type;  // interned
  uint64_t duration_ns;
};

struct Graph {
  int device = -1;
  std::vector<KernelSpec> kernels;
};

struct Stream {
  uint32_t id = 0;
  int device = -1;
  bool is_default = false;
  std::atomic<uint64_t> last_seq{0};  // seq of the last task enqueued on this stream
  std::mutex capture_mu;
  Graph *capturing = nullptr;  // non-null between aclmdlRICaptureBegin and End
};

struct Event {
  int device = -1;
  uint32_t flags = 0;
  std::atomic<uint64_t> record_seq{0};    // 0 = never recorded
  std::atomic<uint64_t> timestamp_ns{0};  // device time at which the record executed
};

struct Model {
  uint32_t kernels = 1;
  uint32_t kernel_us = 0;  // 0 = current default
  const char *name = nullptr;
};

// A set of live handles of one kind.
template <typename T>
class HandleSet {
 public:
  T *add(T *p) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.insert(p);
    return p;
  }
  bool contains(const void *p) {
    std::lock_guard<std::mutex> lock(mu_);
    return live_.count(static_cast<T *>(const_cast<void *>(p))) != 0;
  }
  // Removes and returns true if p was live (the caller then frees it).
  bool remove(const void *p) {
    std::lock_guard<std::mutex> lock(mu_);
    return live_.erase(static_cast<T *>(const_cast<void *>(p))) != 0;
  }

 private:
  std::mutex mu_;
  std::unordered_set<T *> live_;
};

HandleSet<Stream> &streams();
HandleSet<Event> &events();
HandleSet<Graph> &graphs();

// The default stream of a device (what a NULL aclrtStream means), created with the device.
Stream *default_stream(int device);
uint32_t next_stream_id();

}  // namespace npumock
