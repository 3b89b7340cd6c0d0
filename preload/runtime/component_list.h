// The one list of the runtime's parts (component.h) and the order each event walks it. The order
// of registration is the order of dependence: a part comes after the parts it uses.
//  - before_flush, after_flush, on_first_use_of_device, after_fork_in_parent,
//    after_fork_in_child, stop_npu_collection: registration order;
//  - before_fork and stop: reverse registration order. before_fork follows pthread_atfork's
//    rule (the last registered prepares first), so that a part's lock is taken after the locks
//    of the parts that use it and that may hold theirs while calling it; stop ends a user
//    before what it uses (the publisher thread before the exposer it serves through).
// Cold: registration at start, then the walks. A walk neither allocates nor locks, so it is
// safe in fork handlers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "component.h"

namespace npuprobe::preload {

class ComponentList {
 public:
  static constexpr std::size_t kCapacity = 24;

  // Returns false (and registers nothing) when the list is full: a programming error that the
  // unit test catches, never a state in the field.
  bool add(Component &part) noexcept;
  std::size_t size() const noexcept { return count_; }

  void before_flush(const FlushContext &context);  // may throw (component.h)
  void after_flush(const FlushResult &result) noexcept;
  void on_first_use_of_device(std::uint64_t devices) noexcept;
  void before_fork() noexcept;
  void after_fork_in_parent() noexcept;
  void after_fork_in_child() noexcept;
  void stop_npu_collection() noexcept;
  void stop() noexcept;

 private:
  // A fixed array, not a vector: nothing to allocate or free, ever (fork handlers, exit).
  Component *parts_[kCapacity] = {};
  std::size_t count_ = 0;
};

}  // namespace npuprobe::preload
