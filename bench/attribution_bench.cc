// Call-site attribution (issue 9): what a capture costs the thread that waits or launches, and
// what naming it costs the publisher thread.
//   Hot side (the application's threads):
//     UnwBacktrace/depth:D     libunwind's unw_backtrace into a buffer of 64, addresses only, with
//                              about D frames on the stack (recursion of noinline functions)
//     GlibcBacktrace/depth:D   glibc's backtrace() on the same stacks, for comparison
//     SyncCaptured/depth:D     Attributor::begin_sync + finish_sync as SyncCapture does them (a
//                              clock read, the budget, the walk of max_depth + 1 = 33 frames,
//                              the push into the ring), every wait within the budget
//     SyncOverBudget           the same past this second's budget: no walk, two atomics
//     LaunchFast               attribute_launch of a fast launch: a pointer load and one
//                              comparison (on_launch)
//     LaunchSlow/depth:D       on_launch of a launch past slow_launch_us: a walk and a push
//   Cold side (the publisher thread):
//     SymbolizerFirstLookup    a new Symbolizer and its first symbolize_one: the Dwfl built from
//                              /proc/self/maps and this binary's ELF and DWARF read (page cache
//                              warm): once per process, and again after a dlopen/dlclose for the
//                              modules that changed
//     SymbolizeNewAddress_*    symbolize_one of an address never looked up before, in a warm
//                              Dwfl: in this binary (DWARF: function, file, line), in libc
//                              (a separate debug file when libc6-dbg is installed) and in
//                              libstdc++ (dynamic symbols only)
//     SymbolizeCachedAddress   symbolize_one of an address looked up before (the cache)
//     BeforeFlush*/stacks:N    Attributor::before_flush draining N captured stacks (resolve every
//                              frame, pick the site, count it); counter ns_per_stack
// The hot-side benchmarks drain the ring outside the timing (PauseTiming) with a resolver that
// names nothing, so every push finds room (counter `lost` = pushes refused, always 0).
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <libunwind.h>
#include <link.h>
#include <time.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <type_traits>

#include "npuprobe/attribution/attributor.h"
#include "npuprobe/attribution/frame_resolver.h"
#include "npuprobe/attribution/symbolizer.h"
#include "npuprobe/store/registry.h"

namespace {

using npuprobe::attribution::Attributor;
using npuprobe::attribution::AttributorOptions;
using npuprobe::attribution::BacktraceFn;
using npuprobe::attribution::CapturedStack;
using npuprobe::attribution::Frame;
using npuprobe::attribution::FrameResolver;
using npuprobe::attribution::make_libdw_resolver;
using npuprobe::attribution::Symbolizer;
using npuprobe::store::MetricRegistry;

constexpr int kBufferFrames = 64;
constexpr int kDrainEvery = 512;  // pushes between two drains; the ring holds 1024

std::uint64_t now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1000000000u + static_cast<std::uint64_t>(t.tv_nsec);
}

// note: linking libunwind puts its weak `backtrace` ahead of glibc's in symbol lookup, so glibc's
// is looked up in libc.so.6 itself.
BacktraceFn glibc_backtrace() {
  static const BacktraceFn fn = [] {
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    return libc != nullptr ? reinterpret_cast<BacktraceFn>(dlsym(libc, "backtrace")) : nullptr;
  }();
  return fn;
}

// ---- stacks of a chosen depth ---------------------------------------------------------------

using Body = void (*)(void *context);

// `levels` + 1 frames of its own, then body(context) at the bottom. Not a tail call (the result
// is used after the call), so every level stays a frame.
__attribute__((noinline)) int recurse(int levels, Body body, void *context) {
  if (levels <= 0) {
    body(context);
    return 0;
  }
  int below = recurse(levels - 1, body, context);
  benchmark::DoNotOptimize(below);
  return below + 1;
}

__attribute__((noinline)) int frames_here() {
  void *buffer[kBufferFrames];
  return unw_backtrace(buffer, kBufferFrames);
}

// Runs body(context) with about `depth` frames on the stack (as unw_backtrace counts them from
// inside the body): the frames below the benchmark function are counted first.
template <typename F>
void at_depth(int depth, F &&body) {
  const int base = frames_here() - 1;  // frames_here's own frame is not below us
  const int levels = depth - base - 2;  // recurse(0) + the body's frame
  using Fn = std::remove_reference_t<F>;
  recurse(levels > 0 ? levels : 0, [](void *f) { (*static_cast<Fn *>(f))(); }, &body);
}

// ---- one capture ----------------------------------------------------------------------------

void walk(benchmark::State &state, BacktraceFn backtrace) {
  if (backtrace == nullptr) {
    state.SkipWithError("backtrace function not found");
    return;
  }
  at_depth(static_cast<int>(state.range(0)), [&] {
    void *buffer[kBufferFrames];
    int frames = backtrace(buffer, kBufferFrames);  // warm-up: lazy initialization, caches
    for (auto _ : state) {
      frames = backtrace(buffer, kBufferFrames);
      benchmark::DoNotOptimize(buffer);
    }
    state.counters["frames"] = frames;
  });
}

void BM_UnwBacktrace(benchmark::State &state) { walk(state, &unw_backtrace); }
void BM_GlibcBacktrace(benchmark::State &state) { walk(state, glibc_backtrace()); }

// ---- the attributor's hot side --------------------------------------------------------------

class NullResolver final : public FrameResolver {
 public:
  Frame resolve(std::uintptr_t pc, bool) override {
    Frame frame;
    frame.pc = pc;
    return frame;
  }
};

std::unique_ptr<FrameResolver> null_resolver(const npuprobe::attribution::SymbolizerOptions &) {
  return std::make_unique<NullResolver>();
}

AttributorOptions options(std::uint32_t captures_per_s) {
  AttributorOptions o;
  o.sync_apis = {"stream", "device", "event"};
  o.launch_apis = {"kernel", "aclnn"};
  o.sync_captures_per_s = captures_per_s;
  return o;  // defaults otherwise: max_depth 32, slow_launch_ns 1 ms, ring of 1024
}

constexpr std::uint32_t kEveryWait = 4000000000u;

// A wait as SyncCapture + measure_sync see it: begin_sync with a clock read, the wait (nothing
// here), finish_sync with its duration.
inline void one_sync(Attributor &a) {
  CapturedStack stack;
  if (a.begin_sync(stack, 0, 0, now_ns())) a.finish_sync(stack, 1000);
}

// Drains the ring every kDrainEvery pushes, outside the timing.
inline void drain_sometimes(benchmark::State &state, Attributor &a, int *pushes) {
  if (++*pushes < kDrainEvery) return;
  *pushes = 0;
  state.PauseTiming();
  a.before_flush();
  state.ResumeTiming();
}

void BM_SyncCaptured(benchmark::State &state) {
  MetricRegistry registry;
  Attributor a(registry, options(kEveryWait), &unw_backtrace, null_resolver);
  at_depth(static_cast<int>(state.range(0)), [&] {
    one_sync(a);
    int pushes = 0;
    for (auto _ : state) {
      one_sync(a);
      drain_sometimes(state, a, &pushes);
    }
    CapturedStack probe;
    a.begin_sync(probe, 0, 0, now_ns());
    state.counters["frames"] = probe.depth;  // kept (max_depth 32); the walk asks for 33
  });
  state.counters["lost"] = static_cast<double>(a.captures_lost_ring_full());
}

void BM_SyncOverBudget(benchmark::State &state) {
  MetricRegistry registry;
  Attributor a(registry, options(1), &unw_backtrace, null_resolver);
  one_sync(a);  // this second's one capture; a second boundary in the run gives one more
  for (auto _ : state) one_sync(a);
}

// The preload's attribute_launch: the active attributor (a global), then on_launch.
Attributor *g_active = nullptr;

inline void attribute_launch(std::uint64_t t0, std::uint64_t t1) {
  if (Attributor *a = g_active) a->on_launch(0, 0, t0, t1);
}

void BM_LaunchFast(benchmark::State &state) {
  MetricRegistry registry;
  Attributor a(registry, options(1000), &unw_backtrace, null_resolver);
  g_active = &a;
  std::uint64_t t0 = 1000, t1 = 1000 + 20000;  // 20 us: fast
  for (auto _ : state) {
    benchmark::DoNotOptimize(t0);
    benchmark::DoNotOptimize(t1);
    attribute_launch(t0, t1);
    benchmark::ClobberMemory();  // the attributor pointer and the threshold are read each time
  }
  g_active = nullptr;
  state.counters["lost"] = static_cast<double>(a.captures_lost_ring_full());
}

void BM_LaunchSlow(benchmark::State &state) {
  MetricRegistry registry;
  Attributor a(registry, options(1000), &unw_backtrace, null_resolver);
  g_active = &a;
  at_depth(static_cast<int>(state.range(0)), [&] {
    std::uint64_t t0 = 1000, t1 = 1000 + 2000000;  // 2 ms: slow
    int pushes = 0;
    for (auto _ : state) {
      benchmark::DoNotOptimize(t0);
      benchmark::DoNotOptimize(t1);
      attribute_launch(t0, t1);
      drain_sometimes(state, a, &pushes);
    }
  });
  g_active = nullptr;
  state.counters["lost"] = static_cast<double>(a.captures_lost_ring_full());
}

// ---- symbolization --------------------------------------------------------------------------

__attribute__((noinline)) void symbolized_function() { __asm__ volatile(""); }

void BM_SymbolizerFirstLookup(benchmark::State &state) {
  const auto pc = reinterpret_cast<std::uintptr_t>(&symbolized_function);
  for (auto _ : state) {
    Symbolizer s;
    Frame f = s.symbolize_one(pc, false);
    benchmark::DoNotOptimize(f);
    if (f.line == 0) state.SkipWithError("no line information: is the bench built with -g?");
  }
}

struct TextRange {
  std::uintptr_t begin = 0;
  std::size_t size = 0;
};

// The executable segment of the loaded object whose name contains `part` ("" = the program).
TextRange text_of(const char *part) {
  struct Search {
    const char *part;
    TextRange found;
  } search{part, {}};
  dl_iterate_phdr(
      [](dl_phdr_info *info, std::size_t, void *data) -> int {
        auto *s = static_cast<Search *>(data);
        const char *name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        const bool match = s->part[0] == '\0' ? name[0] == '\0' : std::strstr(name, s->part) != nullptr;
        if (!match) return 0;
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr) &ph = info->dlpi_phdr[i];
          if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) != 0 && ph.p_memsz > s->found.size) {
            s->found.begin = info->dlpi_addr + ph.p_vaddr;
            s->found.size = ph.p_memsz;
          }
        }
        return 1;
      },
      &search);
  return search.found;
}

// Every iteration names an address not named before. The addresses step through the module's
// code with a stride prime to its size, so they repeat only after `size` lookups, long after
// the symbolizer's cache (65536 entries, then cleared) forgot them: counter hit_ratio shows it.
void symbolize_new(benchmark::State &state, const char *module,
                   npuprobe::attribution::SymbolizerOptions options = {}) {
  const TextRange text = text_of(module);
  if (text.size == 0) {
    state.SkipWithError("module not loaded");
    return;
  }
  std::size_t stride = 7919;
  while (std::gcd(stride, text.size) != 1) stride += 2;
  Symbolizer s(std::move(options));
  s.symbolize_one(text.begin, false);  // the Dwfl and this module's ELF/DWARF: not timed
  const std::uint64_t hits0 = s.cache_hits(), misses0 = s.cache_misses();
  std::size_t offset = 0;
  std::size_t named = 0, lines = 0;
  for (auto _ : state) {
    offset = (offset + stride) % text.size;
    Frame f = s.symbolize_one(text.begin + offset, false);
    named += f.function.empty() ? 0 : 1;
    lines += f.line > 0 ? 1 : 0;
    benchmark::DoNotOptimize(f);
  }
  const double n = state.iterations() > 0 ? static_cast<double>(state.iterations()) : 1;
  state.counters["line_ratio"] = static_cast<double>(lines) / n;
  const double lookups = static_cast<double>(s.cache_hits() - hits0 + s.cache_misses() - misses0);
  state.counters["hit_ratio"] = lookups > 0 ? static_cast<double>(s.cache_hits() - hits0) / lookups : 0;
  state.counters["named_ratio"] = static_cast<double>(named) / n;
  state.counters["text_kib"] = static_cast<double>(text.size) / 1024;
}

// This binary: DWARF in the file (RelWithDebInfo). libc: DWARF only where libc6-dbg installed
// its separate, compressed debug file (/usr/lib/debug/.build-id/), else symbols only.
// libstdc++: .dynsym only (Debian ships no .symtab and no debug file by default), like a stripped
// vendor library. line_ratio says which case the machine had.
void BM_SymbolizeNewAddress_ThisBinary(benchmark::State &state) { symbolize_new(state, ""); }
void BM_SymbolizeNewAddress_Libc(benchmark::State &state) { symbolize_new(state, "libc.so"); }
void BM_SymbolizeNewAddress_Libstdcxx(benchmark::State &state) {
  symbolize_new(state, "libstdc++.so");
}
// libc as the preload names it: a skipped module (attribution.skip_modules), no source lines.
void BM_SymbolizeNewAddress_LibcNoLines(benchmark::State &state) {
  npuprobe::attribution::SymbolizerOptions options;
  options.modules_without_lines = {"libc.so"};
  symbolize_new(state, "libc.so", std::move(options));
}

// A process's first libc frame: a new Symbolizer (the Dwfl from /proc/self/maps) and one libc
// address, with source lines (libc6-dbg's compressed DWARF read, where installed) and without
// (the preload's default: libc is a skipped module).
void first_libc_lookup(benchmark::State &state, bool lines) {
  const TextRange text = text_of("libc.so");
  if (text.size == 0) {
    state.SkipWithError("libc not found");
    return;
  }
  npuprobe::attribution::SymbolizerOptions options;
  if (!lines) options.modules_without_lines = {"libc.so"};
  int with_line = 0;
  for (auto _ : state) {
    Symbolizer s(options);
    Frame f = s.symbolize_one(text.begin + text.size / 2, false);
    with_line += f.line > 0 ? 1 : 0;
    benchmark::DoNotOptimize(f);
  }
  state.counters["line_ratio"] =
      state.iterations() > 0 ? with_line / static_cast<double>(state.iterations()) : 0;
}
void BM_SymbolizerFirstLibcLookup_Lines(benchmark::State &state) {
  first_libc_lookup(state, true);
}
void BM_SymbolizerFirstLibcLookup_NoLines(benchmark::State &state) {
  first_libc_lookup(state, false);
}

void BM_SymbolizeCachedAddress(benchmark::State &state) {
  const auto pc = reinterpret_cast<std::uintptr_t>(&symbolized_function);
  Symbolizer s;
  s.symbolize_one(pc, true);
  for (auto _ : state) {
    Frame f = s.symbolize_one(pc, true);
    benchmark::DoNotOptimize(f);
  }
  state.counters["hit_ratio"] =
      static_cast<double>(s.cache_hits()) / static_cast<double>(s.cache_hits() + s.cache_misses());
}

// Per iteration: N waits captured at one site (not timed), then one before_flush (timed).
// Steady state of a serving process: the sites recur, so every frame is a cache hit of the
// resolver (libdw) or a dladdr call (the fallback resolver, which caches nothing).
void before_flush(benchmark::State &state, npuprobe::attribution::ResolverFactory resolver) {
  MetricRegistry registry;
  AttributorOptions o = options(kEveryWait);
  o.ring_capacity = 1024;
  Attributor a(registry, std::move(o), &unw_backtrace, std::move(resolver));
  const int stacks = static_cast<int>(state.range(0));
  int frames = 0;
  at_depth(30, [&] {
    for (int i = 0; i < stacks; ++i) one_sync(a);
    a.before_flush();  // the first sight of these addresses: not timed
    for (auto _ : state) {
      state.PauseTiming();
      for (int i = 0; i < stacks; ++i) one_sync(a);
      state.ResumeTiming();
      a.before_flush();
    }
    CapturedStack probe;
    a.begin_sync(probe, 0, 0, now_ns());
    frames = probe.depth;
  });
  state.counters["frames"] = frames;
  state.counters["lost"] = static_cast<double>(a.captures_lost_ring_full());
  state.counters["ns_per_stack"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * stacks,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_BeforeFlushLibdw(benchmark::State &state) {
  before_flush(state, [](const npuprobe::attribution::SymbolizerOptions &s)
                   -> std::unique_ptr<FrameResolver> { return make_libdw_resolver(s); });
}
void BM_BeforeFlushDladdr(benchmark::State &state) {
  before_flush(state, [](const npuprobe::attribution::SymbolizerOptions &) {
    return npuprobe::attribution::make_dladdr_resolver();
  });
}

BENCHMARK(BM_UnwBacktrace)->ArgName("depth")->Arg(10)->Arg(30)->Arg(60);
BENCHMARK(BM_GlibcBacktrace)->ArgName("depth")->Arg(10)->Arg(30)->Arg(60);
// note: the drains outside the timing cost about ten times the timed work; 0.1 s of timed work
// per repetition keeps the run short (the cv stays around 1 %).
BENCHMARK(BM_SyncCaptured)->ArgName("depth")->Arg(10)->Arg(30)->Arg(60)->MinTime(0.1);
BENCHMARK(BM_SyncOverBudget);
BENCHMARK(BM_LaunchFast);
BENCHMARK(BM_LaunchSlow)->ArgName("depth")->Arg(10)->Arg(30)->Arg(60)->MinTime(0.1);
BENCHMARK(BM_SymbolizerFirstLookup)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SymbolizeNewAddress_ThisBinary)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SymbolizeNewAddress_Libc)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SymbolizeNewAddress_Libstdcxx)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SymbolizeNewAddress_LibcNoLines)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SymbolizerFirstLibcLookup_Lines)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SymbolizerFirstLibcLookup_NoLines)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SymbolizeCachedAddress);
BENCHMARK(BM_BeforeFlushLibdw)->ArgName("stacks")->Arg(1)->Arg(64)->Arg(1000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BeforeFlushDladdr)->ArgName("stacks")->Arg(64)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
