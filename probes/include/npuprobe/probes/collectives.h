// Collective communication (HCCL): calls, bytes and host enqueue latency per collective, with
// the communicator's rank and size as labels (docs/contract.md, npu:hccl_*). Pure C++ like the
// other probes: the preload tells it about communicators and calls; no HCCL types here.
//
// Bounded: series exist per (device, rank, size) of a communicator seen at its init, at most
// kMaxCommLabels of them; a communicator npuprobe did not see created (made by a function it does
// not wrap, or past the bounds) is counted with rank="-1" and size="-1".
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "npuprobe/probes/probes.h"
#include "npuprobe/probes/task_time.h"
#include "npuprobe/store/registry.h"

namespace npuprobe::probes {

// The `op` label: hccl's own command names (HcclCMDType), lower case.
enum class CollectiveOp : std::uint8_t {
  kAllReduce,
  kAllGather,
  kReduceScatter,
  kBroadcast,
  kReduce,
  kAllToAll,
  kAllToAllV,
  kScatter,
  kSend,
  kReceive,
  kBatchSendRecv,
  kBarrier,
};
inline constexpr int kCollectiveOpCount = 12;
std::string_view to_string(CollectiveOp op);


class CollectiveProbe {
 public:
  // Distinct (device, rank, size) label sets, and communicators alive at once.
  static constexpr int kMaxCommLabels = 64;
  static constexpr int kMaxLiveComms = 256;

  // Registers npu:hccl_calls, npu:hccl_bytes, npu:hccl_launch_latency and npu:hccl_duration.
  // Throws what the registry throws (bad prefix, duplicate family).
  CollectiveProbe(store::MetricRegistry &registry, const ProbeOptions &options);
  ~CollectiveProbe();
  CollectiveProbe(const CollectiveProbe &) = delete;
  CollectiveProbe &operator=(const CollectiveProbe &) = delete;

  // Cold (communicator init returned success): `comm` is rank `rank` of `size` on `device`,
  // named `name` (HcclGetCommName; empty when libhccl has none: its HCCL records then get
  // rank/size "-1"). Lock-free for the hot path's readers; init calls are serialised among
  // themselves.
  void on_comm_init(const void *comm, int device, std::uint32_t rank, std::uint32_t size,
                    std::string_view name = {}) noexcept;
  // Cold: the communicator is gone (its address may come back as another one).
  void on_comm_destroy(const void *comm) noexcept;

  // Hot: the rank size of a communicator seen at init, 0 when unknown. No lock, no allocation.
  std::uint32_t comm_size(const void *comm) const noexcept;

  // Hot: a collective call returned success after t1 - t0 ns of host time, moving `bytes`
  // (count x element size). `device` is the calling thread's, used when `comm` is unknown.
  // The first call of each (label set, op) resolves its series (registry lock, once).
  void on_collective(int device, CollectiveOp op, const void *comm, std::uint64_t bytes,
                     std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept;

  // Cold (publisher thread): one MSPTI HCCL record -> npu:hccl_duration{device, op, rank, size}
  // observes end - start, with rank and size of the communicator named at init on that device.
  HcclRecordResult on_hccl_record(const HcclRecord &record) noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace npuprobe::probes
