// One device's run: set up (stream, events, buffers, optional graph), N steps, tear down.
#pragma once

#include <memory>
#include <string>

#include "npu/npumock_rt.h"
#include "npu_sim/acl_binding.h"
#include "npu_sim/collectives.h"
#include "npu_sim/hccl_binding.h"
#include "npu_sim/helper/npusim_helper.h"
#include "npu_sim/ground_truth.h"
#include "npu_sim/launch_queue.h"
#include "npu_sim/options.h"

namespace npusim {

class DeviceWorkload {
 public:
  // `hccl`: the collectives' binding with --hccl-ranks, else null.
  DeviceWorkload(const Options &options, const AclBinding &acl, DeviceTruth *truth,
                 const HcclBinding *hccl = nullptr);
  void run();

 private:
  // A device buffer from the plain allocator or from the virtual-memory family.
  struct Block {
    void *ptr = nullptr;
    size_t size = 0;  // bytes charged on the device
    aclrtDrvMemHandle physical = nullptr;
  };

  // What a launch is part of: the eager step, the graph capture (recorded, never run) or a
  // task-group update (rewrites the captured group, never run). Only eager launches and graph
  // replays count for --stray-sync-every / --slow-launch-every.
  enum class Role { Eager, Capture, Update };

  bool setup();
  bool bind_device();
  bool capture_graph();
  void teardown();
  bool alloc(size_t size, Block *out);
  void release(Block *block);
  void enqueue_step();      // K launches, or one graph replay
  void enqueue_launch(uint32_t index, Role role);
  // The aclnn first stage of launch `index` on the calling thread ("main" or "queue"): fills
  // l->executor and l->aclnn (null with opapi-per-op) and names the second stage.
  bool plan_aclnn(uint32_t index, npusim_launch *l, const char **second_stage, const char *thread);
  // Makes one launch on the calling thread, slow and/or followed by a stray sync when its turn.
  // `aclnn_name` (opapi-per-op) is the second stage to look up right before the call.
  void launch(npusim_launch l, const char *function, const std::string &label, bool counted,
              const char *aclnn_name = nullptr);
  void format_cast();
  aclError batch_copy(void *host, bool async);  // one D2H copy of the output buffer
  void enqueue_step_copy();
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
  void *host_output_ = nullptr;   // pinned
  void *pageable_output_ = nullptr;  // malloc'ed (--sync conditional)
  aclrtContext context_ = nullptr;
  bool created_context_ = false;  // --bind-context without --task-queue
  aclrtTaskGrp group_ = nullptr;  // --graph-update
  uint64_t kernel_args_[2] = {0, 0};
  rtArgsEx_t rt_args_{};
  rtAicpuArgsEx_t aicpu_args_{};
  uint64_t launches_made_ = 0;  // eager ones; only the thread that makes launches counts
  std::unique_ptr<LaunchQueue> queue_;
  std::unique_ptr<StepCollectives> collectives_;  // --hccl-ranks
  Block hccl_send_, hccl_recv_;
};

}  // namespace npusim
