// The publisher-side cost of task-time mode 2 (MSPTI): what npuprobe's publisher thread pays per
// kernel record it reads out of a completed activity buffer. A 2 MiB buffer (37449 kernel
// records, MSPTI's packed layout) is walked with the fake libmspti's msptiActivityGetNextRecord,
// as the preload does, and each record goes to Probes::on_kernel_record.
//   WalkOnly:      the walk and the copy out of the packed layout, no metrics (the floor)
//   WalkAndRecord: + npu:kernels / npu:kernel_exec_duration / npu:device_busy
//   WalkFiltered:  + a kernel_filter of three substrings that keeps one name in three
//   PoolCycle:     lend + complete + drain of one buffer (the pool's own bookkeeping)
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "npuprobe/npu_shim/mspti_buffer_pool.h"
#include "npuprobe/npu_shim/mspti_records.h"
#include "npuprobe/probes/probes.h"
#include "npuprobe/store/registry.h"

namespace {

using npuprobe::npu_shim::MsptiBufferPool;
using npuprobe::npu_shim::MsptiFunctions;

constexpr const char *kTypes[] = {"KERNEL_AICORE", "KERNEL_AIVEC", "KERNEL_AICPU",
                                  "KERNEL_MIX_AIC"};
constexpr const char *kNames[] = {"MatMulV2", "Add", "Swish"};

// A full buffer as MSPTI hands it back: kernel records back to back on two devices.
struct FullBuffer {
  std::vector<std::uint8_t> bytes;
  std::size_t valid = 0;
  std::size_t records = 0;

  FullBuffer() : bytes(MsptiBufferPool::kBufferBytes + 8) {
    std::uint8_t *base = aligned();
    for (; valid + sizeof(msptiActivityKernel) <= MsptiBufferPool::kBufferBytes; ++records) {
      msptiActivityKernel k{};
      k.kind = MSPTI_ACTIVITY_KIND_KERNEL;
      k.start = 1000 * records;
      k.end = k.start + 5000 + (records % 7) * 1000;
      k.ds.deviceId = static_cast<std::uint32_t>(records % 2);
      k.correlationId = records;
      k.type = kTypes[records % 4];
      k.name = kNames[records % 3];
      std::memcpy(base + valid, &k, sizeof k);
      valid += sizeof k;
    }
  }
  std::uint8_t *aligned() {
    const auto at = reinterpret_cast<std::uintptr_t>(bytes.data());
    return bytes.data() + ((8 - at % 8) % 8);
  }
};

MsptiFunctions walk_functions() {
  MsptiFunctions f{};
  f.get_next_record = &msptiActivityGetNextRecord;
  return f;
}

void walk(benchmark::State &state, npuprobe::probes::Probes *probes) {
  FullBuffer buffer;
  const MsptiFunctions mspti = walk_functions();
  std::uint64_t sum = 0;
  for (auto _ : state) {
    npuprobe::npu_shim::for_each_record(
        mspti, buffer.aligned(), buffer.valid,
        [&](const msptiActivityKernel &k) {
          if (probes == nullptr) {
            sum += k.end - k.start;
            return;
          }
          probes->on_kernel_record(npuprobe::probes::KernelRecord{
              static_cast<int>(k.ds.deviceId), k.start, k.end, k.type, k.name});
        },
        [](const msptiActivityApi &) {});
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * buffer.records));
  state.counters["ns_per_record"] = benchmark::Counter(
      static_cast<double>(state.iterations() * buffer.records),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_WalkOnly(benchmark::State &state) { walk(state, nullptr); }

void BM_WalkAndRecord(benchmark::State &state) {
  npuprobe::store::MetricRegistry registry;
  npuprobe::probes::ProbeOptions options;
  options.task_time = true;
  npuprobe::probes::Probes probes(registry, options);
  walk(state, &probes);
}

void BM_WalkFiltered(benchmark::State &state) {
  npuprobe::store::MetricRegistry registry;
  npuprobe::probes::ProbeOptions options;
  options.task_time = true;
  options.kernel_filter = {"FlashAttention", "RmsNorm", "MatMul"};
  npuprobe::probes::Probes probes(registry, options);
  walk(state, &probes);
}

void BM_PoolCycle(benchmark::State &state) {
  MsptiBufferPool pool(8);
  std::size_t drained = 0;
  for (auto _ : state) {
    std::uint8_t *buffer = pool.lend();
    pool.complete(buffer, 56);
    drained += static_cast<std::size_t>(pool.drain([](std::uint8_t *, std::size_t) {}));
  }
  benchmark::DoNotOptimize(drained);
}

BENCHMARK(BM_WalkOnly)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WalkAndRecord)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WalkFiltered)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PoolCycle);

}  // namespace

BENCHMARK_MAIN();
