#include "npuprobe/store/publisher.h"

#include <new>

#include "npuprobe/base/log.h"

namespace npuprobe::store {

using base::log_message;
using base::LogLevel;

Publisher::Publisher(MetricRegistry &registry, PublisherOptions options)
    : registry_(registry),
      interval_(options.interval),
      before_flush_(std::move(options.before_flush)),
      after_flush_(std::move(options.after_flush)),
      writer_(std::move(options.store)),
      format_(writer_.format()) {}

Publisher::~Publisher() {
  stop();
}

bool Publisher::start() noexcept {
  std::lock_guard<std::mutex> lock(state_mutex_);
  if (thread_) return true;
  stop_requested_ = false;
  ever_started_ = true;
  try {
    thread_ = std::make_unique<std::thread>([this] { run(); });
    return true;
  } catch (const std::exception &e) {
    log_message(LogLevel::kError, "cannot start the publisher thread: %s", e.what());
    return false;
  }
}

void Publisher::run() noexcept {
  std::unique_lock<std::mutex> lock(state_mutex_);
  while (!stop_requested_) {
    wake_.wait_for(lock, interval_, [this] { return stop_requested_; });
    if (stop_requested_) break;
    lock.unlock();
    flush_now();
    lock.lock();
  }
}

void Publisher::stop() noexcept {
  std::unique_ptr<std::thread> thread;
  bool was_started = false;
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    stop_requested_ = true;
    thread = std::move(thread_);
    was_started = ever_started_;
  }
  wake_.notify_all();
  if (thread && thread->joinable()) thread->join();
  if (!was_started) return;
  flush_now();
  std::lock_guard<std::mutex> lock(flush_mutex_);
  writer_.remove_live_files();
}

bool Publisher::flush_now() noexcept {
  std::lock_guard<std::mutex> lock(flush_mutex_);
  const auto started = std::chrono::steady_clock::now();
  bool ok = false;
  std::string error;
  try {
    if (before_flush_) before_flush_();
    apply_pending();
    registry_.collect(snapshot_);
    ok = writer_.write(snapshot_, &error);
    format_.store(writer_.format());
  } catch (const std::exception &e) {
    error = std::string("flush failed: ") + e.what();
  } catch (...) {
    error = "flush failed";
  }
  note_outcome(ok, error);
  if (after_flush_) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    after_flush_(took.count(), ok);
  }
  return ok;
}

void Publisher::note_outcome(bool ok, const std::string &error) {
  (ok ? successful_flushes_ : failed_flushes_).fetch_add(1, std::memory_order_relaxed);
  // One line per distinct problem, one when it is over: a full disk must not flood the log.
  if (!ok && error != last_error_) {
    log_message(LogLevel::kWarn, "cannot publish metrics (will retry, counting goes on): %s",
                error.c_str());
  } else if (ok && !last_error_.empty()) {
    log_message(LogLevel::kInfo, "publishing metrics works again");
  }
  last_error_ = ok ? std::string() : error;
}

void Publisher::set_shown_labels(ShownLabels shown) {
  std::lock_guard<std::mutex> lock(pending_mutex_);
  pending_shown_ = std::make_unique<ShownLabels>(std::move(shown));
}

void Publisher::set_directory(std::string directory) {
  std::lock_guard<std::mutex> lock(pending_mutex_);
  pending_directory_ = std::make_unique<std::string>(std::move(directory));
}

// Under the flush lock. The folder first: the labels then lay the series out in it.
void Publisher::apply_pending() {
  std::unique_ptr<ShownLabels> shown;
  std::unique_ptr<std::string> directory;
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    shown = std::move(pending_shown_);
    directory = std::move(pending_directory_);
  }
  if (directory) writer_.set_directory(std::move(*directory));
  if (shown) writer_.set_shown_labels(std::move(*shown));
}

StoreFormat Publisher::format() const noexcept {
  return format_.load();
}

void Publisher::prepare_fork() noexcept {
  flush_mutex_.lock();
  state_mutex_.lock();
}

void Publisher::resume_after_fork_in_parent() noexcept {
  state_mutex_.unlock();
  flush_mutex_.unlock();
}

void Publisher::reset_after_fork() noexcept {
  pending_shown_.reset();  // only ever taken under flush_mutex_, which the fork holds
  pending_directory_.reset();
  // The thread object describes a thread of the parent: it cannot be joined or detached here,
  // so it is deliberately leaked.
  static_cast<void>(thread_.release());
  // The parent's publisher thread was waiting on wake_ when fork() ran. glibc's condition
  // variable counts its waiters, and notify/destroy in the child would wait forever for that
  // waiter to leave. Build a fresh one over the old storage without running its destructor.
  new (&wake_) std::condition_variable();
  stop_requested_ = false;
  ever_started_ = false;
  snapshot_ = RegistrySnapshot{};
  last_error_.clear();
  writer_.forget_files_after_fork();
  state_mutex_.unlock();
  flush_mutex_.unlock();
}

}  // namespace npuprobe::store
