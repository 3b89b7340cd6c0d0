// CollectiveProbe's state, shared by its two files: collective_probe.cc (communicators and the
// hot path's calls) and hccl_record_probe.cc (MSPTI's HCCL records, on the publisher thread).
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "npuprobe/base/log.h"
#include "npuprobe/probes/collectives.h"
#include "probes_state.h"
#include "resolve_once.h"

namespace npuprobe::probes {
namespace collective_detail {

inline constexpr std::string_view kOpLabels[kCollectiveOpCount] = {
    "allreduce", "allgather", "reduce_scatter", "broadcast", "reduce", "alltoall",
    "alltoallv", "scatter",   "send",           "receive",   "batch_send_recv", "barrier"};

// Host time of one enqueue: the launch buckets (1 us to 1 s).
inline constexpr double kCallSeconds[] = {1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5, 1e-4,
                                   2.5e-4, 5e-4,   1e-3, 2.5e-3, 5e-3,   0.01, 0.025,
                                   0.05,   0.1,    0.25, 0.5,    1};

// Device time of one collective (npu:hccl_duration): 10 us to 10 s.
inline constexpr double kDeviceSeconds[] = {1e-5,  2.5e-5, 5e-5,  1e-4, 2.5e-4, 5e-4, 1e-3,
                                            2.5e-3, 5e-3,  0.01,  0.025, 0.05,  0.1,  0.25,
                                            0.5,    1,     2.5,   5,     10};

// A removed communicator's entry: free for the next init, never matched.
inline const void *const kTombstone = reinterpret_cast<const void *>(~std::uintptr_t{0});

struct OpSeries {
  ResolveOnce once;
  store::CounterHandle calls, bytes;
  store::HistogramHandle latency;
  // npu:hccl_duration: resolved and observed on the publisher thread only.
  ResolveOnce duration_once;
  store::HistogramHandle duration;
};

struct LabelSet {
  int device = -1;
  std::uint32_t rank = 0, size = 0;  // size 0: unknown (rank/size "-1")
  OpSeries ops[kCollectiveOpCount];
};

struct CommEntry {
  std::atomic<const void *> comm{nullptr};
  std::atomic<std::int32_t> label{-1};
  std::atomic<std::uint32_t> size{0};
};

}  // namespace collective_detail

using namespace collective_detail;

struct CollectiveProbe::State {
  store::MetricRegistry &registry;
  std::string dp;
  store::FamilyId calls, bytes, latency, duration;
  LabelSet labels[kMaxCommLabels];
  std::atomic<int> labels_used{0};
  LabelSet unknown[kMaxDevices];  // per device, rank and size "-1"
  CommEntry comms[kMaxLiveComms];
  std::atomic<int> comms_used{0};
  std::mutex init_mutex;  // comm init and destroy, and the names below (cold)
  // (device, communicator name) -> rank and size, for MSPTI's HCCL records, which name the
  // communicator (HcclGetCommName: the same on every rank) and the device, not the handle. The
  // device is part of the key because HcclCommInitAll gives one process a rank per device under
  // one name. Bounded; a full table leaves later communicators' records at rank/size "-1".
  static constexpr std::size_t kMaxNames = 256;
  struct NamedComm {
    std::uint32_t rank = 0, size = 0;
  };
  std::unordered_map<std::string, NamedComm> names;

  static std::string name_key(int device, std::string_view name) {
    std::string key = std::to_string(device);
    key += ':';
    key.append(name.data(), name.size());
    return key;
  }
  // Under init_mutex.
  void remember_name(int device, std::string_view name, std::uint32_t rank,
                     std::uint32_t size) noexcept {
    try {
      std::string key = name_key(device, name);
      auto it = names.find(key);
      if (it != names.end()) {
        it->second = NamedComm{rank, size};
      } else if (names.size() < kMaxNames) {
        names.emplace(std::move(key), NamedComm{rank, size});
      }
    } catch (...) {  // no memory: this communicator's records get rank/size "-1"
    }
  }

  explicit State(store::MetricRegistry &r) : registry(r) {}

  const CommEntry *find(const void *comm) const noexcept {
    const int used = comms_used.load(std::memory_order_acquire);
    for (int i = 0; i < used; ++i) {
      if (comms[i].comm.load(std::memory_order_acquire) == comm) return &comms[i];
    }
    return nullptr;
  }

  std::vector<std::string> label_values(const LabelSet &set, CollectiveOp op) const {
    const std::string rank = set.size == 0 ? "-1" : std::to_string(set.rank);
    const std::string size = set.size == 0 ? "-1" : std::to_string(set.size);
    return {dp, std::to_string(set.device), std::string(kOpLabels[static_cast<int>(op)]), rank,
            size};
  }

  // The label set of (device, rank, size), added when new and there is room; null when not.
  // Under init_mutex.
  LabelSet *label_set(int device, std::uint32_t rank, std::uint32_t size) noexcept {
    const int used = labels_used.load(std::memory_order_relaxed);
    for (int i = 0; i < used; ++i) {
      LabelSet &l = labels[i];
      if (l.device == device && l.rank == rank && l.size == size) return &l;
    }
    if (used >= kMaxCommLabels) return nullptr;
    LabelSet &l = labels[used];
    l.device = device;
    l.rank = rank;
    l.size = size;
    labels_used.store(used + 1, std::memory_order_release);
    return &l;
  }

  __attribute__((noinline)) void resolve(LabelSet &set, CollectiveOp op) noexcept {
    OpSeries &s = set.ops[static_cast<int>(op)];
    try {
      const std::vector<std::string> values = label_values(set, op);
      s.calls = registry.counter(calls, values);
      s.bytes = registry.counter(bytes, values);
      s.latency = registry.histogram(latency, values);
    } catch (const std::exception &e) {
      // Default handles write to the registry's sink cell: the call is not shown, never lost
      // by the application.
      base::log_message(base::LogLevel::kDebug, "probes: hccl metrics: %s", e.what());
    }
  }
};

}  // namespace npuprobe::probes
