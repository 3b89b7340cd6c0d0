// The publisher thread: every `interval` it merges the registry's shards and writes this
// process's files (StoreWriter). It never throws into the caller and never stops counting:
// a failing flush logs one line (once per distinct error) and is retried on the next tick.
//
// fork: call, in this order, Publisher::prepare_fork() then MetricRegistry::prepare_fork()
// before fork(); in the parent the two resume_after_fork_in_parent() (any order); in the child
// MetricRegistry::reset_after_fork() then Publisher::reset_after_fork(). The child then has no
// publisher thread and no files; start() makes new ones under the child's pid.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "npuprobe/store/registry.h"
#include "npuprobe/store/store_writer.h"

namespace npuprobe::store {

struct PublisherOptions {
  StoreWriterOptions store;
  std::chrono::milliseconds interval{500};  // NPUPROBE_FLUSH_MS, read by config
  // Called at the start of every flush, on the flushing thread, under the flush lock: the
  // place to move hot-path atomics into the registry (must not throw).
  std::function<void()> before_flush{};
  // Called after every flush with its duration in seconds and outcome (self-observation).
  std::function<void(double seconds, bool ok)> after_flush{};
};

class Publisher {
 public:
  Publisher(MetricRegistry &registry, PublisherOptions options);
  // Calls stop().
  ~Publisher();
  Publisher(const Publisher &) = delete;
  Publisher &operator=(const Publisher &) = delete;

  // Starts the thread (no-op when running). False if the thread could not be created.
  bool start() noexcept;
  // Stops the thread, flushes a last time and removes the live gauge files, if start() was
  // ever called. Idempotent.
  void stop() noexcept;
  // One synchronous flush on the calling thread; true when everything was written.
  bool flush_now() noexcept;

  void prepare_fork() noexcept;
  void resume_after_fork_in_parent() noexcept;
  void reset_after_fork() noexcept;

  // What the next flush applies before it writes (StoreWriter::set_shown_labels and
  // set_directory). Any thread, also from inside before_flush: they take their own small lock,
  // never the flush's.
  void set_shown_labels(ShownLabels shown);
  void set_directory(std::string directory);

  StoreFormat format() const noexcept;
  std::uint64_t successful_flushes() const noexcept { return successful_flushes_.load(); }
  std::uint64_t failed_flushes() const noexcept { return failed_flushes_.load(); }

 private:
  void run() noexcept;
  void note_outcome(bool ok, const std::string &error);

  MetricRegistry &registry_;
  const std::chrono::milliseconds interval_;
  const std::function<void()> before_flush_;
  const std::function<void(double, bool)> after_flush_;
  std::mutex flush_mutex_;  // guards writer_, snapshot_, last_error_ (flushes are serial)
  StoreWriter writer_;
  RegistrySnapshot snapshot_;
  std::string last_error_;
  std::mutex pending_mutex_;  // guards the two below: what the next flush applies
  std::unique_ptr<ShownLabels> pending_shown_;
  std::unique_ptr<std::string> pending_directory_;
  void apply_pending();
  std::mutex state_mutex_;  // guards thread_ and stop_requested_
  std::condition_variable wake_;
  std::unique_ptr<std::thread> thread_;
  bool stop_requested_ = false;
  // A publisher that never started has nothing to flush at stop(): a process that never
  // recorded anything leaves no files (docs/architecture.md, lazy start).
  bool ever_started_ = false;
  std::atomic<std::uint64_t> successful_flushes_{0};
  std::atomic<std::uint64_t> failed_flushes_{0};
  std::atomic<StoreFormat> format_;
};

}  // namespace npuprobe::store
