#include "sim/device.h"

#include <cstring>

#include "sim/activity.h"
#include "sim/clock.h"
#include "sim/handles.h"
#include "sim/knobs.h"
#include "sim/visible_devices.h"

namespace npumock {

Device::Device(int id) : id_(id), thread_([this] { run(); }) { thread_.detach(); }

uint64_t Device::enqueue(Task task) {
  std::lock_guard<std::mutex> lock(mu_);
  task.seq = next_seq_++;
  task.enqueue_ns = now_ns();
  const uint64_t seq = task.seq;
  queue_.push_back(task);
  work_cv_.notify_one();
  return seq;
}

bool Device::wait_for(uint64_t seq, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  auto done = [&] { return completed_seq_ >= seq; };
  if (timeout_ms < 0) {
    done_cv_.wait(lock, done);
    return true;
  }
  return done_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), done);
}

uint64_t Device::last_enqueued() {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_ - 1;
}

uint64_t Device::completed() {
  std::lock_guard<std::mutex> lock(mu_);
  return completed_seq_;
}

uint64_t Device::kernels_executed() {
  std::lock_guard<std::mutex> lock(mu_);
  return kernels_executed_;
}

uint64_t Device::busy_ns() {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_ns_;
}

void Device::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return !queue_.empty(); });
      task = queue_.front();
      queue_.pop_front();
    }
    execute(task);
    std::lock_guard<std::mutex> lock(mu_);
    completed_seq_ = task.seq;
    done_cv_.notify_all();
  }
}

// Runs one task on the virtual timeline: it starts when both the device is free and the task
// was enqueued, lasts exactly duration_ns, and the thread sleeps until its end. A late wake-up
// does not stretch the timeline: the next task starts at the virtual end of this one.
void Device::execute(Task &task) {
  const uint64_t start = task.enqueue_ns > timeline_end_ns_ ? task.enqueue_ns : timeline_end_ns_;
  const uint64_t end = start + task.duration_ns;
  if (task.duration_ns > 0) sleep_until_ns(end);
  switch (task.kind) {
    case Task::Kind::Copy:
      if (task.bytes > 0) memmove(task.dst, task.src, task.bytes);
      break;
    case Task::Kind::Memset:
      if (task.bytes > 0) memset(task.dst, task.fill, task.bytes);
      break;
    case Task::Kind::EventRecord:
      task.event->timestamp_ns.store(end, std::memory_order_release);
      break;
    case Task::Kind::Callback:
      task.callback(task.callback_arg);
      break;
    case Task::Kind::WaitOtherDevice:
      task.other->wait_for(task.other_seq);
      break;
    case Task::Kind::Kernel:
    case Task::Kind::ProfTrace:
      break;
  }
  const uint64_t finished = task.kind == Task::Kind::WaitOtherDevice ? now_ns() : end;
  {
    std::lock_guard<std::mutex> lock(mu_);
    timeline_end_ns_ = finished;
    if (task.kind == Task::Kind::Kernel) {
      ++kernels_executed_;
      busy_ns_ += task.duration_ns;
    }
  }
  if (task.kind == Task::Kind::Kernel || task.kind == Task::Kind::Copy) {
    if (npumock_activity_sink sink = g_kernel_sink.load(std::memory_order_acquire)) {
      npumock_activity rec{};
      rec.kind = task.kind == Task::Kind::Kernel ? 2u : 7u;
      rec.deviceId = uint32_t(id_);
      rec.streamId = task.stream_id;
      rec.start_ns = start;
      rec.end_ns = end;
      rec.correlationId = task.correlation_id;
      rec.type = task.type;
      rec.name = task.name;
      sink(&rec);
    }
  } else if (task.kind == Task::Kind::ProfTrace) {
    // A step-trace mark: zero device time, stamped when the stream reached it (what MSPTI's
    // MstxParser reads back as a device marker: indexId, modelId = flag, the timestamp).
    if (npumock_activity_sink sink = g_kernel_sink.load(std::memory_order_acquire)) {
      npumock_activity rec{};
      rec.kind = 1u;  // MSPTI_ACTIVITY_KIND_MARKER
      rec.deviceId = uint32_t(id_);
      rec.streamId = task.stream_id;
      rec.start_ns = end;
      rec.end_ns = end;
      rec.correlationId = task.trace_index;
      rec.flag = task.trace_model;
      sink(&rec);
    }
  }
}

namespace {

struct DeviceTable {
  std::mutex mu;
  Device *devices[64] = {};
  Stream *default_streams[64] = {};
  Context *primary_contexts[64] = {};
};

DeviceTable &table() {
  static DeviceTable *t = new DeviceTable;
  return *t;
}

}  // namespace

Device *device(int id) {
  // `id` is a user device id: ASCEND_RT_VISIBLE_DEVICES decides how many there are
  // (Runtime::ChgUserDevIdToDeviceId refuses ids >= userDeviceCnt).
  if (id < 0 || id >= visible_devices().count) return nullptr;
  DeviceTable &t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  if (t.devices[id] == nullptr) {
    t.devices[id] = new Device(id);
    auto *s = new Stream;
    s->id = next_stream_id();
    s->device = id;
    s->is_default = true;
    t.default_streams[id] = streams().add(s);
    auto *c = new Context;
    c->device = id;
    c->primary = true;
    t.primary_contexts[id] = contexts().add(c);
  }
  return t.devices[id];
}

Device *device_if_started(int id) {
  if (id < 0 || id >= 64) return nullptr;
  DeviceTable &t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  return t.devices[id];
}

Stream *default_stream(int id) {
  if (device(id) == nullptr) return nullptr;
  DeviceTable &t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  return t.default_streams[id];
}

Context *primary_context(int id) {
  if (device(id) == nullptr) return nullptr;
  DeviceTable &t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  return t.primary_contexts[id];
}

HandleSet<Stream> &streams() {
  static auto *s = new HandleSet<Stream>;
  return *s;
}
HandleSet<Event> &events() {
  static auto *s = new HandleSet<Event>;
  return *s;
}
HandleSet<Graph> &graphs() {
  static auto *s = new HandleSet<Graph>;
  return *s;
}

HandleSet<TaskGroup> &task_groups() {
  static auto *s = new HandleSet<TaskGroup>;
  return *s;
}
HandleSet<Context> &contexts() {
  static auto *s = new HandleSet<Context>;
  return *s;
}

uint32_t next_stream_id() {
  static std::atomic<uint32_t> id{0};
  return id.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace npumock
