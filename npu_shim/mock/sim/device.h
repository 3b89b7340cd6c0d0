// One simulated NPU: a FIFO of tasks executed in order by a device thread in real time.
//
// All streams of a device share the FIFO (host enqueue order). That serializes streams, which a
// real NPU need not do, but it keeps every ordering the host can rely on (event record before a
// wait on it, copy after the kernels that produced its input) and makes "wait for task seq S"
// the single primitive behind stream, event and device synchronization.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace npumock {

struct Event;

struct Task {
  enum class Kind { Kernel, Copy, Memset, EventRecord, Callback, WaitOtherDevice, ProfTrace };
  Kind kind = Kind::Kernel;
  uint64_t seq = 0;           // assigned by enqueue
  uint64_t enqueue_ns = 0;    // assigned by enqueue
  uint64_t duration_ns = 0;
  uint32_t stream_id = 0;
  uint64_t correlation_id = 0;
  const char *name = nullptr;  // interned
  const char *type = nullptr;  // interned
  Event *event = nullptr;
  void (*callback)(void *) = nullptr;
  void *callback_arg = nullptr;
  void *dst = nullptr;
  const void *src = nullptr;
  size_t bytes = 0;
  int fill = 0;
  class Device *other = nullptr;
  uint64_t other_seq = 0;
  // ProfTrace (aclrtProfTrace): the step-trace record's index id and model id (MSPTI's marker
  // id and flag), reported with the time the device reached it.
  uint64_t trace_index = 0;
  uint64_t trace_model = 0;
};

class Device {
 public:
  explicit Device(int id);
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;

  int id() const { return id_; }
  // Queues a task; returns its sequence number. Never blocks on device progress.
  uint64_t enqueue(Task task);
  // Blocks until every task up to seq completed; timeout_ms < 0 waits forever.
  // Returns false on timeout.
  bool wait_for(uint64_t seq, int64_t timeout_ms = -1);
  bool wait_idle(int64_t timeout_ms = -1) { return wait_for(last_enqueued(), timeout_ms); }
  uint64_t last_enqueued();
  uint64_t completed();

  // Totals for the stats file.
  uint64_t kernels_executed();
  uint64_t busy_ns();

 private:
  void run();
  void execute(Task &task);

  const int id_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<Task> queue_;
  uint64_t next_seq_ = 1;
  uint64_t completed_seq_ = 0;
  uint64_t timeline_end_ns_ = 0;  // virtual end of the last task (device clock)
  uint64_t kernels_executed_ = 0;
  uint64_t busy_ns_ = 0;
  std::thread thread_;
};

// Devices are created on first use and never destroyed (the process may exit at any time).
Device *device(int id);          // nullptr when id is out of range
Device *device_if_started(int id);

}  // namespace npumock
