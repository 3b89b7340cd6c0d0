// The extra host time of one intercepted launch (issue 4): run under LD_PRELOAD of
// libnpuprobe.so (bench/run-preload-bench.sh does), side by side in one process:
//   bare       the launch function called directly (no interposition)
//   two_clocks two CLOCK_MONOTONIC reads: the floor of any timing wrapper
//   enabled    through npuprobe's wrapper, measuring
//   disabled   through npuprobe's wrapper with the runtime switch off (plain forward)
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <time.h>

#include <cstdint>
#include <cstdio>

extern "C" {
int aclrtLaunchKernel(void *func, uint32_t blocks, const void *args, size_t size, void *stream);
int aclrtSetDevice(int32_t device);
void *bench_bare_launch(void);
}

namespace {

using LaunchFn = int (*)(void *, uint32_t, const void *, size_t, void *);
using SetEnabledFn = void (*)(int);

SetEnabledFn set_enabled() {
  static SetEnabledFn fn =
      reinterpret_cast<SetEnabledFn>(dlsym(RTLD_DEFAULT, "npuprobe_set_enabled"));
  return fn;
}

void BM_Bare(benchmark::State &state) {
  auto bare = reinterpret_cast<LaunchFn>(bench_bare_launch());
  for (auto _ : state) benchmark::DoNotOptimize(bare(nullptr, 1, nullptr, 0, nullptr));
}

void BM_TwoClockReads(benchmark::State &state) {
  auto bare = reinterpret_cast<LaunchFn>(bench_bare_launch());
  for (auto _ : state) {
    timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    benchmark::DoNotOptimize(bare(nullptr, 1, nullptr, 0, nullptr));
    clock_gettime(CLOCK_MONOTONIC, &b);
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
  }
}

void BM_Wrapper(benchmark::State &state, bool enabled) {
  if (set_enabled() == nullptr) {
    state.SkipWithError("libnpuprobe.so is not preloaded (use bench/run-preload-bench.sh)");
    return;
  }
  set_enabled()(enabled ? 1 : 0);
  for (auto _ : state) benchmark::DoNotOptimize(aclrtLaunchKernel(nullptr, 1, nullptr, 0, nullptr));
  set_enabled()(1);
}

void BM_WrapperEnabled(benchmark::State &state) { BM_Wrapper(state, true); }
void BM_WrapperDisabled(benchmark::State &state) { BM_Wrapper(state, false); }

}  // namespace

BENCHMARK(BM_Bare);
BENCHMARK(BM_TwoClockReads);
BENCHMARK(BM_WrapperEnabled);
BENCHMARK(BM_WrapperDisabled);
BENCHMARK(BM_WrapperEnabled)->Threads(2);

int main(int argc, char **argv) {
  aclrtSetDevice(0);  // starts npuprobe (lazy start on the first ACL call)
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
