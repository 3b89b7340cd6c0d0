// HCCL collectives (docs/contract.md `npu:hccl_*`): each is enqueued on a stream; npuprobe counts
// the call, the bytes it moves (count x element size) and the host time of the enqueue, labelled
// with the communicator's rank and size, which the comm init wrapper hands to the probe. Reached
// linked (the exported names) and through dlsym(handle) like every hook (torch_npu's function
// loader resolves HcclAlltoAllV, HcclReduce, HcclScatter, HcclBatchSendRecv that way).
#include <string_view>

#include "hook.h"
#include "instrument.h"
#include "npu/hccl_api.h"
#include "npu/hccl_sizes.h"

using npuprobe::preload::HookId;
using npuprobe::probes::CollectiveOp;

namespace {

using npuprobe::preload::active_collectives;
using npuprobe::preload::active_probes;
using npuprobe::preload::g_capture_streams;
using npuprobe::preload::g_update_streams;
using npuprobe::preload::hook_api_id;
using npuprobe::preload::should_measure;
using npuprobe::preload::thread_state;
using npuprobe::preload::ThreadState;
using npuprobe::preload::timed_call;

// `bytes()` runs only after a success: the arrays it may read were read by HCCL itself. A
// collective is also an enqueue of the thread's device's step (npu:step_hccl_duration), unless
// its stream is capturing or updating a graph: recorded, not run, like such a launch.
template <typename Call, typename Bytes>
HcclResult measure_collective(HookId hook, CollectiveOp op, HcclComm comm, aclrtStream stream,
                              Call &&call, Bytes &&bytes) {
  ThreadState &t = thread_state();
  if (!should_measure(t)) return call();
  std::uint64_t t0, t1;
  const HcclResult rc = timed_call(t, call, &t0, &t1);
  if (rc == HCCL_SUCCESS) {
    active_collectives().on_collective(t.device, op, comm, bytes(), t0, t1);
    if (!g_capture_streams.contains(stream) && !g_update_streams.contains(stream)) {
      active_probes().on_collective(t.device, t0, t1);
    }
  } else {
    active_probes().on_api_error(hook_api_id(hook), static_cast<int>(rc));
  }
  return rc;
}

std::uint64_t bytes_of(std::uint64_t count, HcclDataType type) {
  return count * npu_hccl_type_size(type);
}

// libhccl's own function npuprobe calls at comm init (cold): the definition after npuprobe, else
// the first loaded object that has it (a libhccl loaded RTLD_LOCAL). Null when this libhccl has
// none (an old CANN): the communicator's MSPTI records then get rank/size "-1".
template <typename Fn>
Fn hccl_function(const char *name) {
  void *found = npuprobe::preload::lookup_symbol(RTLD_NEXT, name);
  if (found == nullptr) {
    found = npuprobe::preload::defined_in_loaded_objects(
        name, reinterpret_cast<const void *>(&bytes_of));
  }
  return reinterpret_cast<Fn>(found);
}

// The communicator's name (its identifier, the same on every rank), which MSPTI's HCCL records
// carry instead of the handle. Real HCCL copies the identifier with its NUL into the caller's
// buffer, bounded only by its own 128 (COMM_NAME_MAX_LENGTH of later hccl_types.h): the buffer
// is that size, and one byte more stays NUL.
std::string_view comm_name(HcclComm comm, char (&buffer)[129]) {
  using Fn = HcclResult (*)(HcclComm, char *);
  static const Fn get = hccl_function<Fn>("HcclGetCommName");
  buffer[0] = '\0';
  buffer[128] = '\0';
  if (get == nullptr || comm == nullptr || get(comm, buffer) != HCCL_SUCCESS) return {};
  return std::string_view(buffer);
}

// Cold, after a successful init: labels for the collectives and the name for MSPTI's records.
void comm_made(HcclComm comm, int device, std::uint32_t rank, std::uint32_t size) {
  char buffer[129];
  active_collectives().on_comm_init(comm, device, rank, size, comm_name(comm, buffer));
}

}  // namespace

NPUPROBE_HOOK(HcclResult, HcclCommInitRootInfo,
              (uint32_t nRanks, const HcclRootInfo *rootInfo, uint32_t rank, HcclComm *comm),
              (nRanks, rootInfo, rank, comm)) {
  static_cast<void>(caller);
  return npuprobe::preload::measure_plain(
      HookId::HcclCommInitRootInfo, [&] { return real(nRanks, rootInfo, rank, comm); },
      [&](HcclResult rc) {
        // The communicator is rank `rank` of `nRanks` on this thread's device (HCCL binds it
        // to the current device); its labels for every later collective.
        if (rc == HCCL_SUCCESS && comm != nullptr) {
          comm_made(*comm, thread_state().device, rank, nRanks);
        }
      });
}

// torch_npu's choice when libhccl has it: the same labels.
NPUPROBE_HOOK(HcclResult, HcclCommInitRootInfoConfig,
              (uint32_t nRanks, const HcclRootInfo *rootInfo, uint32_t rank,
               const HcclCommConfig *config, HcclComm *comm),
              (nRanks, rootInfo, rank, config, comm)) {
  static_cast<void>(caller);
  return npuprobe::preload::measure_plain(
      HookId::HcclCommInitRootInfoConfig,
      [&] { return real(nRanks, rootInfo, rank, config, comm); },
      [&](HcclResult rc) {
        if (rc == HCCL_SUCCESS && comm != nullptr) {
          comm_made(*comm, thread_state().device, rank, nRanks);
        }
      });
}

// One process, one communicator per device: rank i of ndev on devices[i] (hccl.h). Real HCCL
// makes them on threads of its own through HcclCommInitRootInfo; if those inner calls reach
// npuprobe's export, the labels they get are replaced here.
NPUPROBE_HOOK(HcclResult, HcclCommInitAll, (uint32_t ndev, int32_t *devices, HcclComm *comms),
              (ndev, devices, comms)) {
  static_cast<void>(caller);
  return npuprobe::preload::measure_plain(
      HookId::HcclCommInitAll, [&] { return real(ndev, devices, comms); },
      [&](HcclResult rc) {
        if (rc != HCCL_SUCCESS || devices == nullptr || comms == nullptr) return;
        for (uint32_t i = 0; i < ndev; ++i) comm_made(comms[i], devices[i], i, ndev);
      });
}

// A rank table file names the ranks: this is rank `rank` on the thread's device, of the size
// libhccl reports for the communicator (HcclGetRankSize; unknown: rank/size "-1").
NPUPROBE_HOOK(HcclResult, HcclCommInitClusterInfo,
              (const char *clusterInfo, uint32_t rank, HcclComm *comm),
              (clusterInfo, rank, comm)) {
  static_cast<void>(caller);
  return npuprobe::preload::measure_plain(
      HookId::HcclCommInitClusterInfo, [&] { return real(clusterInfo, rank, comm); },
      [&](HcclResult rc) {
        if (rc != HCCL_SUCCESS || comm == nullptr) return;
        using Fn = HcclResult (*)(HcclComm, uint32_t *);
        static const Fn get_size = hccl_function<Fn>("HcclGetRankSize");
        uint32_t size = 0;
        if (get_size != nullptr && get_size(*comm, &size) == HCCL_SUCCESS && size > rank) {
          comm_made(*comm, thread_state().device, rank, size);
        }
      });
}

NPUPROBE_HOOK(HcclResult, HcclCommDestroy, (HcclComm comm), (comm)) {
  static_cast<void>(caller);
  return npuprobe::preload::measure_plain(
      HookId::HcclCommDestroy, [&] { return real(comm); }, [&](HcclResult rc) {
        if (rc == HCCL_SUCCESS) active_collectives().on_comm_destroy(comm);
      });
}

NPUPROBE_HOOK(HcclResult, HcclAllReduce,
              (void *sendBuf, void *recvBuf, uint64_t count, HcclDataType dataType,
               HcclReduceOp op, HcclComm comm, aclrtStream stream),
              (sendBuf, recvBuf, count, dataType, op, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclAllReduce, CollectiveOp::kAllReduce, comm, stream,
      [&] { return real(sendBuf, recvBuf, count, dataType, op, comm, stream); },
      [&] { return bytes_of(count, dataType); });
}

NPUPROBE_HOOK(HcclResult, HcclAllGather,
              (void *sendBuf, void *recvBuf, uint64_t sendCount, HcclDataType dataType,
               HcclComm comm, aclrtStream stream),
              (sendBuf, recvBuf, sendCount, dataType, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclAllGather, CollectiveOp::kAllGather, comm, stream,
      [&] { return real(sendBuf, recvBuf, sendCount, dataType, comm, stream); },
      [&] { return bytes_of(sendCount, dataType); });
}

NPUPROBE_HOOK(HcclResult, HcclReduceScatter,
              (void *sendBuf, void *recvBuf, uint64_t recvCount, HcclDataType dataType,
               HcclReduceOp op, HcclComm comm, aclrtStream stream),
              (sendBuf, recvBuf, recvCount, dataType, op, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclReduceScatter, CollectiveOp::kReduceScatter, comm, stream,
      [&] { return real(sendBuf, recvBuf, recvCount, dataType, op, comm, stream); },
      [&] { return bytes_of(recvCount, dataType); });
}

NPUPROBE_HOOK(HcclResult, HcclBroadcast,
              (void *buf, uint64_t count, HcclDataType dataType, uint32_t root, HcclComm comm,
               aclrtStream stream),
              (buf, count, dataType, root, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclBroadcast, CollectiveOp::kBroadcast, comm, stream,
      [&] { return real(buf, count, dataType, root, comm, stream); },
      [&] { return bytes_of(count, dataType); });
}

NPUPROBE_HOOK(HcclResult, HcclReduce,
              (void *sendBuf, void *recvBuf, uint64_t count, HcclDataType dataType,
               HcclReduceOp op, uint32_t root, HcclComm comm, aclrtStream stream),
              (sendBuf, recvBuf, count, dataType, op, root, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclReduce, CollectiveOp::kReduce, comm, stream,
      [&] { return real(sendBuf, recvBuf, count, dataType, op, root, comm, stream); },
      [&] { return bytes_of(count, dataType); });
}

// sendCount elements to every rank: x the communicator's size (0 bytes when npuprobe did not
// see the communicator made).
NPUPROBE_HOOK(HcclResult, HcclAlltoAll,
              (const void *sendBuf, uint64_t sendCount, HcclDataType sendType,
               const void *recvBuf, uint64_t recvCount, HcclDataType recvType, HcclComm comm,
               aclrtStream stream),
              (sendBuf, sendCount, sendType, recvBuf, recvCount, recvType, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclAlltoAll, CollectiveOp::kAllToAll, comm, stream,
      [&] {
        return real(sendBuf, sendCount, sendType, recvBuf, recvCount, recvType, comm, stream);
      },
      [&] { return bytes_of(sendCount, sendType) * active_collectives().comm_size(comm); });
}

// The sum of the rank-size send count array (uint64_t elements), read after HCCL read it.
NPUPROBE_HOOK(HcclResult, HcclAlltoAllV,
              (const void *sendBuf, const void *sendCounts, const void *sdispls,
               HcclDataType sendType, const void *recvBuf, const void *recvCounts,
               const void *rdispls, HcclDataType recvType, HcclComm comm, aclrtStream stream),
              (sendBuf, sendCounts, sdispls, sendType, recvBuf, recvCounts, rdispls, recvType,
               comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclAlltoAllV, CollectiveOp::kAllToAllV, comm, stream,
      [&] {
        return real(sendBuf, sendCounts, sdispls, sendType, recvBuf, recvCounts, rdispls,
                    recvType, comm, stream);
      },
      [&] {
        const std::uint32_t size = active_collectives().comm_size(comm);
        const auto *counts = static_cast<const std::uint64_t *>(sendCounts);
        std::uint64_t elements = 0;
        for (std::uint32_t r = 0; counts != nullptr && r < size; ++r) elements += counts[r];
        return bytes_of(elements, sendType);
      });
}

NPUPROBE_HOOK(HcclResult, HcclScatter,
              (void *sendBuf, void *recvBuf, uint64_t recvCount, HcclDataType dataType,
               uint32_t root, HcclComm comm, aclrtStream stream),
              (sendBuf, recvBuf, recvCount, dataType, root, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclScatter, CollectiveOp::kScatter, comm, stream,
      [&] { return real(sendBuf, recvBuf, recvCount, dataType, root, comm, stream); },
      [&] { return bytes_of(recvCount, dataType); });
}

NPUPROBE_HOOK(HcclResult, HcclSend,
              (void *sendBuf, uint64_t count, HcclDataType dataType, uint32_t destRank,
               HcclComm comm, aclrtStream stream),
              (sendBuf, count, dataType, destRank, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclSend, CollectiveOp::kSend, comm, stream,
      [&] { return real(sendBuf, count, dataType, destRank, comm, stream); },
      [&] { return bytes_of(count, dataType); });
}

NPUPROBE_HOOK(HcclResult, HcclRecv,
              (void *recvBuf, uint64_t count, HcclDataType dataType, uint32_t srcRank,
               HcclComm comm, aclrtStream stream),
              (recvBuf, count, dataType, srcRank, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclRecv, CollectiveOp::kReceive, comm, stream,
      [&] { return real(recvBuf, count, dataType, srcRank, comm, stream); },
      [&] { return bytes_of(count, dataType); });
}

// Every item, sends and receives alike (as HcclSend and HcclRecv count).
NPUPROBE_HOOK(HcclResult, HcclBatchSendRecv,
              (HcclSendRecvItem * sendRecvInfo, uint32_t itemNum, HcclComm comm,
               aclrtStream stream),
              (sendRecvInfo, itemNum, comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclBatchSendRecv, CollectiveOp::kBatchSendRecv, comm, stream,
      [&] { return real(sendRecvInfo, itemNum, comm, stream); },
      [&] {
        std::uint64_t bytes = 0;
        for (uint32_t i = 0; sendRecvInfo != nullptr && i < itemNum; ++i) {
          bytes += bytes_of(sendRecvInfo[i].count, sendRecvInfo[i].dataType);
        }
        return bytes;
      });
}

NPUPROBE_HOOK(HcclResult, HcclBarrier, (HcclComm comm, aclrtStream stream), (comm, stream)) {
  static_cast<void>(caller);
  return measure_collective(
      HookId::HcclBarrier, CollectiveOp::kBarrier, comm, stream, [&] { return real(comm, stream); },
      [] { return std::uint64_t{0}; });
}
