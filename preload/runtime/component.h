// One part of the running preload with a life of its own (a session, a thread, a lock, a file):
// the events it takes part in. Every part the runtime starts is registered in one list
// (component_list.h) and the runtime only ever walks that list, so a part cannot be forgotten
// at fork or exit. Every event has a default that does nothing: a part overrides what concerns
// it. All events are cold (start, publisher thread, fork, aclFinalize, exit); the wrappers'
// hot path never goes through this interface.
#pragma once

#include <cstdint>

#include "npuprobe/store/metric_types.h"

namespace npuprobe::preload {

// Publisher thread, before a flush, after the runtime switch was read (what it says is what
// every part sees).
struct FlushContext {
  bool measuring = false;      // the switch is ON
  std::uint64_t devices = 0;   // bit d: the application set device d (g_devices_used)
};

// Publisher thread, after a flush.
struct FlushResult {
  double seconds = 0;          // how long writing the store files took
  bool ok = false;             // the files were written
  store::StoreFormat format = store::StoreFormat::kV2;
  bool measuring = false;
  std::uint64_t config_generation = 0;  // 0 when no configuration file is named
};

class Component {
 public:
  // Publisher thread, before each flush: feed the probes, poll, serve. The one event that may
  // throw: the publisher catches it and counts the flush as failed, skipping the parts after.
  virtual void before_flush(const FlushContext &) {}
  // Publisher thread, after each flush: report on it.
  virtual void after_flush(const FlushResult &) noexcept {}
  // The application set a device for the first time (`devices` as in FlushContext).
  virtual void on_first_use_of_device(std::uint64_t /*devices*/) noexcept {}
  // pthread_atfork's three moments: take the locks the child must not inherit held; release
  // them in the parent; in the child release or re-create them and forget the parent's threads,
  // sessions and counts.
  virtual void before_fork() noexcept {}
  virtual void after_fork_in_parent() noexcept {}
  virtual void after_fork_in_child() noexcept {}
  // npuprobe's own use of the NPU ends, before the application's aclFinalize and at exit.
  // Idempotent: it may come twice (aclFinalize, then exit).
  virtual void stop_npu_collection() noexcept {}
  // Normal exit, after stop_npu_collection: threads joined, files removed. Once.
  virtual void stop() noexcept {}

 protected:
  // Parts live as long as the process (wrappers and MSPTI may call in after static
  // destructors): never deleted, and never through this interface.
  ~Component() = default;
};

}  // namespace npuprobe::preload
