// One device's run: set up (stream, events, buffers, optional graph), N steps, tear down.
#pragma once

#include <memory>

#include "npu_sim/acl_binding.h"
#include "npu_sim/helper/npusim_helper.h"
#include "npu_sim/ground_truth.h"
#include "npu_sim/launch_queue.h"
#include "npu_sim/options.h"

namespace npusim {

class DeviceWorkload {
 public:
  DeviceWorkload(const Options &options, const AclBinding &acl, DeviceTruth *truth);
  void run();

 private:
  // A device buffer from the plain allocator or from the virtual-memory family.
  struct Block {
    void *ptr = nullptr;
    size_t size = 0;  // bytes charged on the device
    aclrtDrvMemHandle physical = nullptr;
  };

  bool setup();
  void teardown();
  bool alloc(size_t size, Block *out);
  void release(Block *block);
  void enqueue_step();      // K launches, or one graph replay
  void enqueue_launch(uint32_t index);
  // Makes one launch on the calling thread, slow and/or followed by a stray sync when its turn.
  void launch(const npusim_launch &l, const char *function, const std::string &label, bool captured);
  void wait(uint32_t step);  // the blocking wait that ends a step (non-async)
  void host_gap();
  void enqueue(std::function<void()> work);  // on the task queue when there is one
  void drain();
  bool ok(aclError rc, const char *function);

  const Options &o_;
  const AclBinding &acl_;
  DeviceTruth &truth_;
  const int device_;
  aclrtStream stream_ = nullptr;
  aclrtEvent events_[2] = {nullptr, nullptr};
  aclrtFuncHandle kernel_ = nullptr;
  aclTensor *tensor_ = nullptr;
  aclmdlRI graph_ = nullptr;
  Block output_, extra_;
  void *host_output_ = nullptr;
  bool capturing_ = false;
  uint64_t launches_made_ = 0;  // outside capture; only the thread that makes launches counts
  std::unique_ptr<LaunchQueue> queue_;
};

}  // namespace npusim
