// The collectives of one rank's step (--hccl-ranks): an all-reduce per TP layer
// (--tp-allreduce K), an all-to-all-v dispatch and combine per MoE layer (--moe-layers L), and
// with --hccl-every-op one call of each other collective. Counted at the call site into the
// device's HcclTruth: the ground truth of npu:hccl_calls / npu:hccl_bytes.
#pragma once

#include <cstdint>

#include "npu/acl_api.h"
#include "npu_sim/ground_truth.h"
#include "npu_sim/hccl_binding.h"
#include "npu_sim/options.h"

namespace npusim {

class StepCollectives {
 public:
  StepCollectives(const Options &options, const HcclBinding &hccl, DeviceTruth *truth);
  // Device buffers big enough for every call of a step.
  uint64_t buffer_bytes() const;
  // Joins the communicator (blocks until every rank arrived). On the device's thread.
  bool init();
  // Enqueues the step's collectives on `stream` (the thread that makes the launches).
  void step(aclrtStream stream, void *send, void *recv);
  void destroy();

 private:
  // Makes one collective call, timed, and counts it when it succeeded.
  template <typename Call>
  void counted(const char *op, const char *function, Call &&call, uint64_t bytes);
  uint64_t alltoallv_count(uint32_t peer) const;

  const Options &o_;
  const HcclBinding &hccl_;
  DeviceTruth &truth_;
  HcclComm comm_ = nullptr;
};

}  // namespace npusim
