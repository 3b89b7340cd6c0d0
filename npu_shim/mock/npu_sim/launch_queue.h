// torch_npu's task queue (TASK_QUEUE_ENABLE): the Python thread plans ops and pushes their
// launches; a dedicated thread bound to the same device makes the launch calls. Before any
// blocking wait the Python thread drains the queue, so launches and syncs of one device
// arrive on different threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace npusim {

class LaunchQueue {
 public:
  // `on_start` runs first on the launch thread (it binds the device).
  explicit LaunchQueue(std::function<void()> on_start);
  ~LaunchQueue();
  void push(std::function<void()> launch);
  void drain();  // returns once every pushed launch has been made

 private:
  void run(std::function<void()> on_start);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace npusim
