// The Hccl* names real libmspti exports (Ascend/mspti csrc/common/inject/hccl_inject.cpp): each
// finds the real function in libhccl with its own dlopen + dlsym(handle) (csrc/common/
// function_loader.cpp: $ASCEND_HOME_PATH/lib64/libhccl.so when readable, else "libhccl.so",
// RTLD_LAZY), describes the collective for the bandwidth (opName = the function's name, count,
// data type, rank size from HcclGetRankSize) and, only while MSPTI_ACTIVITY_KIND_HCCL is on, wraps
// the call in device markers (hccl_reporter.h). HcclBarrier gets no marker. Because the lookup is
// handle-scoped, whichever interposer comes after libmspti in LD_PRELOAD is skipped, and a caller
// that binds with dlsym(handle) on libhccl itself (torch_npu's function loader) never reaches
// these (docs/interposition.md, "Other preloads").
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mspti/hccl_reporter.h"
#include "npu/hccl_api.h"
#include "npu/hccl_sizes.h"
#include "npu/mspti_api.h"

namespace msptimock {

bool kind_enabled(uint32_t kind);  // activity_api.cc

namespace {

void *hccl_handle() {
  static void *handle = [] {
    std::string path = "libhccl.so";
    const char *home = getenv("ASCEND_HOME_PATH");
    if (home != nullptr && home[0] != '\0') {
      const std::string candidate = std::string(home) + "/lib64/libhccl.so";
      if (access(candidate.c_str(), R_OK) == 0) path = candidate;
    }
    return dlopen(path.c_str(), RTLD_LAZY);
  }();
  return handle;
}

template <typename Fn>
Fn hccl_symbol(const char *name) {
  void *h = hccl_handle();
  return h != nullptr ? reinterpret_cast<Fn>(dlsym(h, name)) : nullptr;
}

// THROW_FUNC_NOTFOUND throws std::runtime_error out of the C entry point, which ends a C or C++
// caller; the mock says the same words and answers HCCL_E_NOT_SUPPORT instead.
HcclResult missing(const char *name) {
  fprintf(stderr, "npumock libmspti [E]: Failed to get function: \"%s\" from \"libhccl.so\"\n",
          name);
  return HCCL_E_NOT_SUPPORT;
}

// The inner HcclGetRankSize and HcclGetCommName (not exported: MSPTI builds with
// -fvisibility=hidden and marks only the collectives MSPTI_API).
uint32_t rank_size(HcclComm comm) {
  using Fn = HcclResult (*)(HcclComm, uint32_t *);
  static const Fn fn = hccl_symbol<Fn>("HcclGetRankSize");
  uint32_t size = 0;  // the op desc is value-initialised: 0 when the call fails
  if (fn != nullptr) fn(comm, &size);
  return size;
}

const char *comm_name(HcclComm comm) {
  using Fn = HcclResult (*)(HcclComm, char *);
  static const Fn fn = hccl_symbol<Fn>("HcclGetCommName");
  char name[128] = {};  // csrc/common/config.h COMM_NAME_MAX_LENGTH
  if (fn != nullptr) fn(comm, name);
  name[sizeof name - 1] = '\0';
  return shared_name(name);
}

// hccl_calculator.cpp: P2P ops (Send, Recv, AllReduce, Broadcast, Reduce) count x size;
// collective ones (AllGather, ReduceScatter, Scatter, AlltoAll) count x size x rank size, where
// HcclScatter never asks the rank size (0: its bandwidth is 0).
HcclOp describe(const char *name, uint64_t count, HcclDataType type, uint32_t ranks = 1) {
  HcclOp op;
  op.name = shared_name(name);
  const uint64_t size = npu_hccl_type_size(type);
  op.has_bytes = size != 0;
  op.bytes = count * size * ranks;
  return op;
}

// HcclInnerMark: made only while the HCCL kind is on; the end marker after the call returned.
class Marker {
 public:
  Marker(aclrtStream stream, HcclComm comm, HcclOp op) {
    if (!kind_enabled(MSPTI_ACTIVITY_KIND_HCCL)) return;
    op.comm_name = comm_name(comm);
    id_ = hccl_mark_start(stream, op);
  }
  ~Marker() { hccl_mark_end(id_); }
  Marker(const Marker &) = delete;
  Marker &operator=(const Marker &) = delete;

 private:
  uint64_t id_ = 0;
};

#define MSPTI_HCCL_REAL(fn)                                              \
  static const auto real = hccl_symbol<decltype(&::fn)>(#fn);            \
  if (real == nullptr) return missing(#fn)

}  // namespace
}  // namespace msptimock

using namespace msptimock;

extern "C" {

HcclResult HcclAllReduce(void *sendBuf, void *recvBuf, uint64_t count, HcclDataType dataType,
                         HcclReduceOp op, HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclAllReduce);
  Marker marker(stream, comm, describe("HcclAllReduce", count, dataType));
  return real(sendBuf, recvBuf, count, dataType, op, comm, stream);
}

HcclResult HcclBroadcast(void *buf, uint64_t count, HcclDataType dataType, uint32_t root,
                         HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclBroadcast);
  Marker marker(stream, comm, describe("HcclBroadcast", count, dataType));
  return real(buf, count, dataType, root, comm, stream);
}

HcclResult HcclAllGather(void *sendBuf, void *recvBuf, uint64_t sendCount, HcclDataType dataType,
                         HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclAllGather);
  const uint32_t ranks = rank_size(comm);
  Marker marker(stream, comm, describe("HcclAllGather", sendCount, dataType, ranks));
  return real(sendBuf, recvBuf, sendCount, dataType, comm, stream);
}

HcclResult HcclReduceScatter(void *sendBuf, void *recvBuf, uint64_t recvCount,
                             HcclDataType dataType, HcclReduceOp op, HcclComm comm,
                             aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclReduceScatter);
  const uint32_t ranks = rank_size(comm);
  Marker marker(stream, comm, describe("HcclReduceScatter", recvCount, dataType, ranks));
  return real(sendBuf, recvBuf, recvCount, dataType, op, comm, stream);
}

HcclResult HcclReduce(void *sendBuf, void *recvBuf, uint64_t count, HcclDataType dataType,
                      HcclReduceOp op, uint32_t root, HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclReduce);
  Marker marker(stream, comm, describe("HcclReduce", count, dataType));
  return real(sendBuf, recvBuf, count, dataType, op, root, comm, stream);
}

HcclResult HcclAlltoAll(const void *sendBuf, uint64_t sendCount, HcclDataType sendType,
                        const void *recvBuf, uint64_t recvCount, HcclDataType recvType,
                        HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclAlltoAll);
  const uint32_t ranks = rank_size(comm);
  Marker marker(stream, comm, describe("HcclAlltoAll", sendCount, sendType, ranks));
  return real(sendBuf, sendCount, sendType, recvBuf, recvCount, recvType, comm, stream);
}

// CalculateAll2AllVBandWidth: max(sum of sendCounts x send size, sum of recvCounts x recv size)
// over the rank size. MSPTI keeps the array pointers and reads them when the end mark is parsed;
// the mock reads them now (the application may have reused them by then).
HcclResult HcclAlltoAllV(const void *sendBuf, const void *sendCounts, const void *sdispls,
                         HcclDataType sendType, const void *recvBuf, const void *recvCounts,
                         const void *rdispls, HcclDataType recvType, HcclComm comm,
                         aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclAlltoAllV);
  const uint32_t ranks = rank_size(comm);
  HcclOp op;
  op.name = shared_name("HcclAlltoAllV");
  const uint64_t send_size = npu_hccl_type_size(sendType);
  const uint64_t recv_size = npu_hccl_type_size(recvType);
  if (sendCounts != nullptr && recvCounts != nullptr && send_size != 0 && recv_size != 0) {
    const auto *send = static_cast<const uint64_t *>(sendCounts);
    const auto *recv = static_cast<const uint64_t *>(recvCounts);
    uint64_t sent = 0, received = 0;
    for (uint32_t i = 0; i < ranks; ++i) {
      sent += send[i] * send_size;
      received += recv[i] * recv_size;
    }
    op.bytes = std::max(sent, received);
    op.has_bytes = true;
  }
  Marker marker(stream, comm, op);
  return real(sendBuf, sendCounts, sdispls, sendType, recvBuf, recvCounts, rdispls, recvType,
              comm, stream);
}

HcclResult HcclBarrier(HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclBarrier);
  return real(comm, stream);  // no marker: MSPTI makes no HCCL record of a barrier
}

HcclResult HcclScatter(void *sendBuf, void *recvBuf, uint64_t recvCount, HcclDataType dataType,
                       uint32_t root, HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclScatter);
  Marker marker(stream, comm, describe("HcclScatter", recvCount, dataType, 0));
  return real(sendBuf, recvBuf, recvCount, dataType, root, comm, stream);
}

HcclResult HcclSend(void *sendBuf, uint64_t count, HcclDataType dataType, uint32_t destRank,
                    HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclSend);
  Marker marker(stream, comm, describe("HcclSend", count, dataType));
  return real(sendBuf, count, dataType, destRank, comm, stream);
}

HcclResult HcclRecv(void *recvBuf, uint64_t count, HcclDataType dataType, uint32_t srcRank,
                    HcclComm comm, aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclRecv);
  Marker marker(stream, comm, describe("HcclRecv", count, dataType));
  return real(recvBuf, count, dataType, srcRank, comm, stream);
}

// CalculateBatchSendRecvBandWidth: every item, sends and receives; an unknown type: none.
HcclResult HcclBatchSendRecv(HcclSendRecvItem *sendRecvInfo, uint32_t itemNum, HcclComm comm,
                             aclrtStream stream) {
  MSPTI_HCCL_REAL(HcclBatchSendRecv);
  HcclOp op;
  op.name = shared_name("HcclBatchSendRecv");
  op.has_bytes = true;
  for (uint32_t i = 0; sendRecvInfo != nullptr && i < itemNum; ++i) {
    const uint64_t size = npu_hccl_type_size(sendRecvInfo[i].dataType);
    if (size == 0) op.has_bytes = false;
    op.bytes += sendRecvInfo[i].count * size;
  }
  Marker marker(stream, comm, op);
  return real(sendRecvInfo, itemNum, comm, stream);
}

}  // extern "C"
