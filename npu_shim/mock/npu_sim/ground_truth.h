// What npu-sim did, counted at the call site: the ground truth its --report writes and the
// end-to-end tests compare npuprobe's metrics against.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "npu_sim/options.h"

namespace npusim {

// --hccl-ranks: the collectives of this device's rank, by the contract's op label.
struct HcclTruth {
  uint32_t rank = 0, size = 0;
  std::map<std::string, uint64_t> calls;  // successful calls
  std::map<std::string, uint64_t> bytes;  // count x element size (all-to-all: x rank size)
  uint64_t device_ns = 0;                 // sum of latency + bytes / bandwidth (mock link)
  uint64_t host_ns = 0;                   // host time inside the successful calls (measured)
};

struct DeviceTruth {
  int device = 0;
  uint64_t steps = 0;
  uint64_t kernels = 0;           // kernels the device executes (graph replays count each)
  uint64_t overlapped_steps = 0;  // steps enqueued before the host waited for the previous one
  std::map<std::string, uint64_t> launches;  // by contract api label
  // by contract api label; "stray_stream" = --stray-sync-every's aclrtSynchronizeStream calls,
  // kept apart from "stream" (the step's own wait) so both stay checkable
  std::map<std::string, uint64_t> syncs;
  std::map<std::string, uint64_t> errors;    // failed calls by function name
  uint64_t allocs = 0, frees = 0, alloc_failures = 0;
  uint64_t bytes_allocated = 0, bytes_freed = 0, host_pinned_bytes = 0;
  uint64_t host_gap_ns = 0;  // total host time spent between steps (measured)
  // The median of the steps' host wall times (start of one step's launches to the next's):
  // a benchmark's step time that a preempted step or two do not move (bench/macro_bench.py).
  uint64_t step_ns_median = 0;
  uint64_t slow_launches = 0;  // launches made by npu_sim_slow_launch (--slow-launch-every)
  // --bind-context: successful aclrtSetCurrentContext and aclrtCreateContext calls
  uint64_t context_binds = 0;
  // --format-cast: aclnnNpuFormatCastCalculateSizeAndFormat calls that succeeded with the
  // right shape and format (a wrong one is counted in errors)
  uint64_t format_casts = 0;
  // --binding opapi-per-op: dlsym(libopapi, name) calls made for aclnn functions
  uint64_t opapi_lookups = 0;
  // aclnn first stages by the thread that made them: "main" (the device's thread) or "queue"
  // (the task-queue thread, --task-queue-level 2)
  std::map<std::string, uint64_t> first_stages;
  HcclTruth hccl;

  // Launch and wait counters may be bumped from the launch thread and the main thread.
  void count(std::map<std::string, uint64_t> &m, const std::string &key, uint64_t n = 1) {
    std::lock_guard<std::mutex> lock(mu);
    m[key] += n;
  }
  void add(uint64_t *field, uint64_t n = 1) {
    std::lock_guard<std::mutex> lock(mu);
    *field += n;
  }
  std::mutex mu;
};

// Writes the report as JSON; returns false if the file cannot be written.
bool write_report(const std::string &path, const Options &o, std::vector<DeviceTruth> &truth,
                  uint64_t wall_ns);

// The deterministic one-line summary per device printed on stdout (no timings, so that a run
// with and without an interposer prints the same bytes).
void print_summary(const std::vector<DeviceTruth> &truth);

}  // namespace npusim
