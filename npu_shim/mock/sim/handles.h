// Streams, events, captured graphs and models: the opaque handles the fake runtime hands out.
// Handles are validated against a registry before use, so a wrong or stale handle returns the
// runtime's error code instead of crashing the mock.
#pragma once

#include <atomic>
#include <cstddef>
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

struct Graph;

// A group of captured tasks (aclmdlRICaptureTaskGrpBegin/End): kernels [begin, end) of a graph.
struct TaskGroup {
  Graph *graph = nullptr;
  size_t begin = 0;
  size_t end = 0;
  bool updating = false;  // between aclmdlRICaptureTaskUpdateBegin and End on some stream
};

struct Graph {
  int device = -1;
  std::mutex mu;  // kernels: replays copy them while an update may rewrite a group
  std::vector<KernelSpec> kernels;
  std::vector<TaskGroup *> groups;  // owned; destroyed with the graph
};

// A runtime context (aclrtCreateContext, or a device's primary context made by aclrtSetDevice).
// Never freed: a thread may still have it current after aclrtDestroyContext, so destroying
// only marks it, and every use checks the mark.
struct Context {
  int device = -1;
  bool primary = false;
  std::atomic<bool> destroyed{false};
};

struct Stream {
  uint32_t id = 0;
  int device = -1;
  bool is_default = false;
  std::atomic<uint64_t> last_seq{0};  // seq of the last task enqueued on this stream
  std::mutex capture_mu;       // guards the capture and task-group fields below
  Graph *capturing = nullptr;  // non-null between aclmdlRICaptureBegin and End
  TaskGroup *grouping = nullptr;  // between aclmdlRICaptureTaskGrpBegin and End (capturing)
  TaskGroup *updating = nullptr;  // between aclmdlRICaptureTaskUpdateBegin and End
  size_t update_index = 0;        // tasks of `updating` rewritten so far
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
HandleSet<TaskGroup> &task_groups();
HandleSet<Context> &contexts();

// The default stream of a device (what a NULL aclrtStream means), created with the device.
Stream *default_stream(int device);
// The device's primary context (aclrtSetDevice binds it; aclrtGetCurrentContext returns it),
// created with the device.
Context *primary_context(int device);
uint32_t next_stream_id();

}  // namespace npumock
