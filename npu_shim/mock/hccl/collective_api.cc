// The collectives of the fake libhccl.so. Each checks its arguments the way hccl's op_base.cc
// does (CheckAlltoAllVInputPara and friends: a NULL comm, buffer, count array or stream ->
// HCCL_E_PTR; a bad data type, reduce op, root or peer rank -> HCCL_E_PARA; a count of 0 is a
// successful no-op), then queues one task on the stream that lasts latency + bytes / bandwidth
// (link_model.h), after host time spent building it. Ranks do not wait for each other on the
// device: the link is modelled per rank, which keeps every rank's device time predictable
// (docs/mock-sources.md).
#include <cstdint>

#include "hccl/comm.h"
#include "hccl/link_model.h"
#include "npu/hccl_api.h"
#include "npu/hccl_sizes.h"
#include "npu/npumock.h"

using namespace npumock::hccl;

namespace {

bool valid_type(HcclDataType type) { return npu_hccl_type_size(type) != 0; }
bool valid_op(HcclReduceOp op) { return op >= HCCL_REDUCE_SUM && op < HCCL_REDUCE_RESERVED; }

// Resolves the communicator and checks the stream: HCCL_SUCCESS or the code to return.
HcclResult begin(HcclComm comm, aclrtStream stream, Comm *out) {
  if (comm == nullptr || stream == nullptr) return HCCL_E_PTR;
  return find_comm(comm, out) ? HCCL_SUCCESS : HCCL_E_PARA;
}

// The arguments passed the checks: the host builds the tasks (NPU_MOCK_HCCL_HOST_US), then they
// go onto the stream.
HcclResult enqueue(aclrtStream stream, const char *name, uint64_t bytes) {
  spend_enqueue_host_time();
  return npumock_launch_collective(stream, name, collective_duration_ns(bytes)) == ACL_SUCCESS
             ? HCCL_SUCCESS
             : HCCL_E_RUNTIME;
}

// The checks shared by every "count elements of one type" collective.
HcclResult counted(const char *name, HcclComm comm, aclrtStream stream, const void *buf_a,
                   const void *buf_b, uint64_t count, HcclDataType type, uint64_t copies = 1) {
  Comm c;
  if (HcclResult rc = begin(comm, stream, &c)) return rc;
  if (buf_a == nullptr || buf_b == nullptr) return HCCL_E_PTR;
  if (!valid_type(type)) return HCCL_E_PARA;
  if (count == 0) return HCCL_SUCCESS;
  return enqueue(stream, name, count * npu_hccl_type_size(type) * copies);
}

}  // namespace

extern "C" {

HcclResult HcclAllReduce(void *sendBuf, void *recvBuf, uint64_t count, HcclDataType dataType,
                         HcclReduceOp op, HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclAllReduce");
  if (comm != nullptr && !valid_op(op)) return HCCL_E_PARA;
  return counted("HcclAllReduce", comm, stream, sendBuf, recvBuf, count, dataType);
}

HcclResult HcclBroadcast(void *buf, uint64_t count, HcclDataType dataType, uint32_t root,
                         HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclBroadcast");
  Comm c;
  if (find_comm(comm, &c) && root >= c.size) return HCCL_E_PARA;
  return counted("HcclBroadcast", comm, stream, buf, buf, count, dataType);
}

HcclResult HcclReduceScatter(void *sendBuf, void *recvBuf, uint64_t recvCount,
                             HcclDataType dataType, HcclReduceOp op, HcclComm comm,
                             aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclReduceScatter");
  if (comm != nullptr && !valid_op(op)) return HCCL_E_PARA;
  return counted("HcclReduceScatter", comm, stream, sendBuf, recvBuf, recvCount, dataType);
}

HcclResult HcclScatter(void *sendBuf, void *recvBuf, uint64_t recvCount, HcclDataType dataType,
                       uint32_t root, HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclScatter");
  Comm c;
  if (find_comm(comm, &c) && root >= c.size) return HCCL_E_PARA;
  return counted("HcclScatter", comm, stream, sendBuf, recvBuf, recvCount, dataType);
}

HcclResult HcclAllGather(void *sendBuf, void *recvBuf, uint64_t sendCount, HcclDataType dataType,
                         HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclAllGather");
  return counted("HcclAllGather", comm, stream, sendBuf, recvBuf, sendCount, dataType);
}

HcclResult HcclReduce(void *sendBuf, void *recvBuf, uint64_t count, HcclDataType dataType,
                      HcclReduceOp op, uint32_t root, HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclReduce");
  Comm c;
  if (find_comm(comm, &c) && (root >= c.size || !valid_op(op))) return HCCL_E_PARA;
  return counted("HcclReduce", comm, stream, sendBuf, recvBuf, count, dataType);
}

HcclResult HcclBarrier(HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclBarrier");
  Comm c;
  if (HcclResult rc = begin(comm, stream, &c)) return rc;
  return enqueue(stream, "HcclBarrier", 0);
}

HcclResult HcclSend(void *sendBuf, uint64_t count, HcclDataType dataType, uint32_t destRank,
                    HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclSend");
  Comm c;
  if (find_comm(comm, &c) && (destRank >= c.size || destRank == c.rank)) return HCCL_E_PARA;
  return counted("HcclSend", comm, stream, sendBuf, sendBuf, count, dataType);
}

HcclResult HcclRecv(void *recvBuf, uint64_t count, HcclDataType dataType, uint32_t srcRank,
                    HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclRecv");
  Comm c;
  if (find_comm(comm, &c) && (srcRank >= c.size || srcRank == c.rank)) return HCCL_E_PARA;
  return counted("HcclRecv", comm, stream, recvBuf, recvBuf, count, dataType);
}

HcclResult HcclAlltoAll(const void *sendBuf, uint64_t sendCount, HcclDataType sendType,
                        const void *recvBuf, uint64_t recvCount, HcclDataType recvType,
                        HcclComm comm, aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclAlltoAll");
  Comm c;
  if (HcclResult rc = begin(comm, stream, &c)) return rc;
  if (sendBuf == nullptr || recvBuf == nullptr) return HCCL_E_PTR;
  // CheckAlltoAllInputPara: the counts and types must agree, and the buffers differ.
  if (sendCount != recvCount || sendType != recvType || !valid_type(sendType) ||
      sendBuf == recvBuf) {
    return HCCL_E_PARA;
  }
  if (sendCount == 0) return HCCL_SUCCESS;
  return enqueue(stream, "HcclAlltoAll", sendCount * npu_hccl_type_size(sendType) * c.size);
}

HcclResult HcclAlltoAllV(const void *sendBuf, const void *sendCounts, const void *sdispls,
                         HcclDataType sendType, const void *recvBuf, const void *recvCounts,
                         const void *rdispls, HcclDataType recvType, HcclComm comm,
                         aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclAlltoAllV");
  Comm c;
  if (HcclResult rc = begin(comm, stream, &c)) return rc;
  if (sendCounts == nullptr || sdispls == nullptr || recvCounts == nullptr ||
      rdispls == nullptr) {
    return HCCL_E_PTR;
  }
  if (!valid_type(sendType) || !valid_type(recvType)) return HCCL_E_PARA;
  const auto *send = static_cast<const uint64_t *>(sendCounts);
  const auto *recv = static_cast<const uint64_t *>(recvCounts);
  uint64_t sent = 0, received = 0;
  for (uint32_t r = 0; r < c.size; ++r) {
    sent += send[r];
    received += recv[r];
  }
  // The arrays are rank-size long; what a rank sends to itself is what it receives from
  // itself (hccl checks the whole send/receive matrix; one rank can check its own diagonal).
  if (send[c.rank] != recv[c.rank]) return HCCL_E_PARA;
  if ((sent > 0 && sendBuf == nullptr) || (received > 0 && recvBuf == nullptr)) return HCCL_E_PTR;
  if (sent == 0 && received == 0) return HCCL_SUCCESS;
  return enqueue(stream, "HcclAlltoAllV", sent * npu_hccl_type_size(sendType));
}

HcclResult HcclBatchSendRecv(HcclSendRecvItem *sendRecvInfo, uint32_t itemNum, HcclComm comm,
                             aclrtStream stream) {
  NPUMOCK_HCCL_ENTER("HcclBatchSendRecv");
  Comm c;
  if (HcclResult rc = begin(comm, stream, &c)) return rc;
  if (sendRecvInfo == nullptr) return HCCL_E_PTR;
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < itemNum; ++i) {
    const HcclSendRecvItem &item = sendRecvInfo[i];
    if (item.buf == nullptr) return HCCL_E_PTR;
    if (item.sendRecvType != HCCL_SEND && item.sendRecvType != HCCL_RECV) return HCCL_E_PARA;
    if (!valid_type(item.dataType) || item.remoteRank >= c.size) return HCCL_E_PARA;
    bytes += item.count * npu_hccl_type_size(item.dataType);
  }
  if (itemNum == 0) return HCCL_SUCCESS;
  return enqueue(stream, "HcclBatchSendRecv", bytes);
}

}  // extern "C"
