#include "npu_sim/launch_queue.h"

namespace npusim {

LaunchQueue::LaunchQueue(std::function<void()> on_start)
    : thread_([this, on_start] { run(on_start); }) {}

LaunchQueue::~LaunchQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void LaunchQueue::push(std::function<void()> launch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(launch));
  }
  cv_.notify_all();
}

void LaunchQueue::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void LaunchQueue::run(std::function<void()> on_start) {
  on_start();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop requested and nothing left
    std::function<void()> launch = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    launch();
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace npusim
