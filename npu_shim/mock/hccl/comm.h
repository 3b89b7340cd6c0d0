// A communicator of the fake libhccl: which rank of how many, on which device. Handles are
// checked against the live set, so a stale or foreign pointer is an error, never a crash.
#pragma once

#include <cstdint>

#include "npu/hccl_api.h"

namespace npumock::hccl {

// The name is what real HCCL calls the communicator's identifier: the root info's identifier
// (op_base.cc HcclCommInitRootInfo copies rootHandle.identifier; HcclGetCommName returns it), so
// every rank of one communicator has the same one, and no two communicators share it.
struct Comm {
  uint32_t rank = 0;
  uint32_t size = 0;
  int32_t device = -1;
  char name[64] = {};
};

// Call accounting and fault injection (NPU_MOCK_FAIL / _HANG), shared with libascendcl: returns
// the code injected for this call, 0 to run normally.
#define NPUMOCK_HCCL_ENTER(fn)                                          \
  static const int npumock_hccl_id_ = npumock_api_id(fn);               \
  if (int npumock_injected_ = npumock_api_enter(npumock_hccl_id_)) {    \
    return static_cast<HcclResult>(npumock_injected_);                  \
  }

Comm *add_comm(const Comm &comm);
// The live communicator behind `handle`, copied into *out; false for NULL or an unknown handle.
bool find_comm(HcclComm handle, Comm *out);
bool remove_comm(HcclComm handle);
// HcclCommInitRootInfo(Config) after their own checks: meets the other ranks, makes the comm.
HcclResult init_by_root_info(uint32_t nRanks, const HcclRootInfo *rootInfo, uint32_t rank,
                             HcclComm *comm);

}  // namespace npumock::hccl
