// Communicator lifecycle of the fake libhccl.so. Argument checks and codes follow hccl's
// op_base.cc (HcclGetRootInfo, HcclCommInitRootInfo, HcclCommDestroy, HcclGetRankId/Size:
// CHK_PTR_NULL -> HCCL_E_PTR, rank/size out of range -> HCCL_E_PARA; docs/mock-sources.md).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
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
  Comm c{rank, nRanks, device, {}};
  RootKey key;
  memcpy(&key, rootInfo->internal, sizeof key);
  static_assert(sizeof c.name >= sizeof key.key, "the identifier fits");
  memcpy(c.name, key.key, sizeof key.key);  // NUL-terminated: valid_root_key checked it
  *comm = add_comm(c);
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

// op_base.cc HcclGetCommName: CHK_PTR_NULL on both, then the identifier copied with its NUL
// (strncpy_s to ROOTINFO_INDENTIFIER_MAX_LENGTH): the caller's buffer must hold it, which is why
// callers size it COMM_NAME_MAX_LENGTH = 128 (MSPTI, nnopbase). The mock's identifiers are at
// most 47 characters; a real one ("<ip>%<nic>_<port>_<n>_<time>") is often longer than 32.
HcclResult HcclGetCommName(HcclComm comm, char *commName) {
  NPUMOCK_HCCL_ENTER("HcclGetCommName");
  if (comm == nullptr || commName == nullptr) return HCCL_E_PTR;
  Comm c;
  if (!find_comm(comm, &c)) return HCCL_E_PARA;
  memcpy(commName, c.name, strlen(c.name) + 1);
  return HCCL_SUCCESS;
}

// op_base.cc HcclCommInitAll: the calling thread needs a device (hrtGetDeviceRefresh), ndev 0 ->
// HCCL_E_PARA, NULL comms or devices -> HCCL_E_PTR, a device listed twice -> HCCL_E_PARA. Real
// HCCL then makes one root info and one thread per device that sets it and calls
// HcclCommInitRootInfo(ndev, root, i); any failure destroys what was made and returns the
// error (a device it cannot set: HCCL_E_INTERNAL). In one process there is nobody to meet, so
// the mock makes the ndev communicators directly: rank i of ndev on devices[i], one identifier.
HcclResult HcclCommInitAll(uint32_t ndev, int32_t *devices, HcclComm *comms) {
  NPUMOCK_HCCL_ENTER("HcclCommInitAll");
  int32_t current = -1;
  if (aclrtGetDevice(&current) != ACL_SUCCESS) return HCCL_E_RUNTIME;
  if (ndev == 0) return HCCL_E_PARA;
  if (comms == nullptr || devices == nullptr) return HCCL_E_PTR;
  if (std::set<int32_t>(devices, devices + ndev).size() != ndev) return HCCL_E_PARA;
  if (ndev > kMaxRanks) return HCCL_E_PARA;
  uint32_t count = 0;
  if (aclrtGetDeviceCount(&count) != ACL_SUCCESS) return HCCL_E_RUNTIME;
  for (uint32_t i = 0; i < ndev; ++i) {
    comms[i] = nullptr;
    if (devices[i] < 0 || uint32_t(devices[i]) >= count) return HCCL_E_INTERNAL;
  }
  RootKey key;
  make_root_key(&key);
  for (uint32_t i = 0; i < ndev; ++i) {
    Comm c{i, ndev, devices[i], {}};
    memcpy(c.name, key.key, sizeof key.key);
    comms[i] = add_comm(c);
  }
  return HCCL_SUCCESS;
}

// op_base.cc HcclCommInitClusterInfo: a device on the thread, CHK_PTR_NULL on both pointers, a
// rank table file it cannot load -> HCCL_E_INTERNAL (HcomLoadRanktableFile). The mock reads no
// rank tables and meets no peers by them: a readable file -> HCCL_E_NOT_SUPPORT, said on stderr.
HcclResult HcclCommInitClusterInfo(const char *clusterInfo, uint32_t rank, HcclComm *comm) {
  NPUMOCK_HCCL_ENTER("HcclCommInitClusterInfo");
  int32_t current = -1;
  if (aclrtGetDevice(&current) != ACL_SUCCESS) return HCCL_E_RUNTIME;
  if (clusterInfo == nullptr || comm == nullptr) return HCCL_E_PTR;
  const int fd = open(clusterInfo, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return HCCL_E_INTERNAL;
  close(fd);
  fprintf(stderr, "npumock libhccl: HcclCommInitClusterInfo(%s, rank %u): rank tables are not "
                  "simulated (HCCL_E_NOT_SUPPORT)\n", clusterInfo, rank);
  return HCCL_E_NOT_SUPPORT;
}

}  // extern "C"
