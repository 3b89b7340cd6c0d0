// Communicator lifecycle of the fake libhccl.so. Argument checks and codes follow hccl's
// op_base.cc (HcclGetRootInfo, HcclCommInitRootInfo, HcclCommDestroy, HcclGetRankId/Size:
// CHK_PTR_NULL -> HCCL_E_PTR, rank/size out of range -> HCCL_E_PARA; docs/mock-sources.md).
#include <cstring>
#include <mutex>
#include <unordered_set>

#include "hccl/comm.h"
#include "hccl/link_model.h"
#include "hccl/rendezvous.h"
#include "npu/hccl_api.h"
#include "npu/npumock.h"

namespace npumock::hccl {
namespace {

// The mock's bound: a root-info communicator of 1..kMaxRanks ranks (the rendezvous mask).
constexpr uint32_t kMaxRanks = 64;

std::mutex &comms_mutex() {
  static auto *mu = new std::mutex;  // leaked: collectives may run while the process exits
  return *mu;
}
std::unordered_set<Comm *> &comms() {
  static auto *set = new std::unordered_set<Comm *>;
  return *set;
}

}  // namespace

Comm *add_comm(const Comm &comm) {
  auto *c = new Comm(comm);
  std::lock_guard<std::mutex> lock(comms_mutex());
  comms().insert(c);
  return c;
}

bool find_comm(HcclComm handle, Comm *out) {
  if (handle == nullptr) return false;
  std::lock_guard<std::mutex> lock(comms_mutex());
  auto it = comms().find(static_cast<Comm *>(handle));
  if (it == comms().end()) return false;
  *out = **it;
  return true;
}

bool remove_comm(HcclComm handle) {
  std::lock_guard<std::mutex> lock(comms_mutex());
  auto *c = static_cast<Comm *>(handle);
  if (comms().erase(c) == 0) return false;
  delete c;
  return true;
}

HcclResult init_by_root_info(uint32_t nRanks, const HcclRootInfo *rootInfo, uint32_t rank,
                             HcclComm *comm) {
  if (rootInfo == nullptr || comm == nullptr) return HCCL_E_PTR;
  if (nRanks == 0 || nRanks > kMaxRanks || rank >= nRanks) return HCCL_E_PARA;
  if (!valid_root_key(*rootInfo)) return HCCL_E_PARA;
  int32_t device = -1;
  // Real HCCL binds the communicator to the calling thread's device (hrtGetDevice).
  if (aclrtGetDevice(&device) != ACL_SUCCESS) return HCCL_E_RUNTIME;
  if (HcclResult rc = rendezvous(*rootInfo, nRanks, rank, link_knobs().init_timeout_ms)) {
    return rc;
  }
  *comm = add_comm(Comm{rank, nRanks, device});
  return HCCL_SUCCESS;
}

}  // namespace npumock::hccl

using namespace npumock::hccl;

extern "C" {

HcclResult HcclGetRootInfo(HcclRootInfo *rootInfo) {
  NPUMOCK_HCCL_ENTER("HcclGetRootInfo");
  if (rootInfo == nullptr) return HCCL_E_PTR;
  memset(rootInfo, 0, sizeof *rootInfo);
  RootKey key;
  make_root_key(&key);
  memcpy(rootInfo->internal, &key, sizeof key);
  return HCCL_SUCCESS;
}

HcclResult HcclCommInitRootInfo(uint32_t nRanks, const HcclRootInfo *rootInfo, uint32_t rank,
                                HcclComm *comm) {
  NPUMOCK_HCCL_ENTER("HcclCommInitRootInfo");
  return init_by_root_info(nRanks, rootInfo, rank, comm);
}

// The same communicator; the configuration (buffer size, determinism, name) changes nothing the
// mock simulates.
HcclResult HcclCommInitRootInfoConfig(uint32_t nRanks, const HcclRootInfo *rootInfo, uint32_t rank,
                                      const HcclCommConfig *config, HcclComm *comm) {
  NPUMOCK_HCCL_ENTER("HcclCommInitRootInfoConfig");
  if (config == nullptr) return HCCL_E_PTR;
  return init_by_root_info(nRanks, rootInfo, rank, comm);
}

HcclResult HcclCommDestroy(HcclComm comm) {
  NPUMOCK_HCCL_ENTER("HcclCommDestroy");
  if (comm == nullptr) return HCCL_E_PTR;
  return remove_comm(comm) ? HCCL_SUCCESS : HCCL_E_PARA;
}

HcclResult HcclGetRankId(HcclComm comm, uint32_t *rank) {
  NPUMOCK_HCCL_ENTER("HcclGetRankId");
  if (comm == nullptr || rank == nullptr) return HCCL_E_PTR;
  Comm c;
  if (!find_comm(comm, &c)) return HCCL_E_PARA;
  *rank = c.rank;
  return HCCL_SUCCESS;
}

HcclResult HcclGetRankSize(HcclComm comm, uint32_t *rankSize) {
  NPUMOCK_HCCL_ENTER("HcclGetRankSize");
  if (comm == nullptr || rankSize == nullptr) return HCCL_E_PTR;
  Comm c;
  if (!find_comm(comm, &c)) return HCCL_E_PARA;
  *rankSize = c.size;
  return HCCL_SUCCESS;
}

}  // extern "C"
