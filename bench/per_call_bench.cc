// Per intercepted call (issue 8): what one launch (aclrtLaunchKernel), one sync
// (aclrtSynchronizeStream) and one allocation (an aclrtMalloc + aclrtFree pair) cost, side by
// side in one process, at 1 and 2 threads. Run under LD_PRELOAD of libnpuprobe.so
// (bench/per_call.sh does). Variants:
//   bare          the stub called at its own address (no interposition)
//   floor         two CLOCK_MONOTONIC reads around an indirect call of the stub (for alloc:
//                 the reads around aclrtMalloc, then aclrtFree): what any timing wrapper pays
//   off           the exported name (npuprobe's wrapper) with npuprobe_set_enabled(0)
//   enabled       the exported name, npuprobe measuring
//   env_disabled  the exported name in a process started with NPUPROBE_DISABLE=1
// The stubs are bench_acl_stub.c: they return at once (aclrtMalloc hands out addresses from a
// per-thread ring of 256), so every nanosecond above "bare" is the wrapper's.
//
// Timing mode (default): one JSON object per line on stdout,
//   {"api":"launch","threads":1,"variant":"bare","rep":0,"ns_per_call":1.43,"cpu_ns_per_call":1.41}
// ns_per_call is the wall time of N calls on one thread divided by N (with 2 threads: each
// thread's, averaged: the latency one caller sees while another thread does the same). The
// repetitions interleave every (api, threads, variant), so slow drift hits them all alike.
//
// --task-queue 1 adds torch_npu's task-queue pattern at 2 threads: one thread launching while
// another waits on the same device (device 0), each timed on its own; its lines carry
// "pattern":"taskqueue" (api launch for the launching thread, sync for the waiting one). With
// stubs that return at once that is a step per wait, every wait closing a step of about one
// launch: the worst case. It also runs the pattern at a decode step's shape, "pattern":
// "taskqueue_step": the waiting thread waits, then spins kStepPauseNs on its clock (the rest of
// the step, the main thread's Python work, while the queue thread launches: a few hundred
// launches), and waits again; only the launching thread is timed, and its line says how many
// launches each wait closed ("launches_per_wait").
//
// Callgrind mode (--callgrind N): no timing; every path once to warm up, then N calls of each
// path inside a function named cg_<api>_<variant> (run it under valgrind --tool=callgrind
// --toggle-collect='cg_*': the instructions of those functions are the paths').
#include <dlfcn.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "npu/acl_api.h"
#include "npuprobe.h"  // the switch's type; found with dlsym, the bench runs without npuprobe too

extern "C" {
void *bench_bare_launch(void);
void *bench_bare_sync(void);
void *bench_bare_malloc(void);
void *bench_bare_free(void);
}

namespace {

using LaunchFn = aclError (*)(aclrtFuncHandle, uint32_t, const void *, size_t, aclrtStream);
using SyncFn = aclError (*)(aclrtStream);
using MallocFn = aclError (*)(void **, size_t, int);
using FreeFn = aclError (*)(void *);
using SetEnabledFn = npuprobe_set_enabled_fn;

LaunchFn g_bare_launch;
SyncFn g_bare_sync;
MallocFn g_bare_malloc;
FreeFn g_bare_free;

volatile int g_sink;  // the cg_* functions store a distinct tag here: no identical-code folding

inline void opaque(aclError rc) { __asm__ volatile("" : : "r"(rc) : "memory"); }

inline void clock_pair_begin(timespec *a) { clock_gettime(CLOCK_MONOTONIC, a); }
inline void clock_pair_end(timespec *a, timespec *b) {
  clock_gettime(CLOCK_MONOTONIC, b);
  __asm__ volatile("" : : "r"(a), "r"(b) : "memory");
}

}  // namespace

// One loop per (api, variant), extern "C" and noinline so that callgrind finds each by name;
// off, enabled and env_disabled run the same code (the exported name) under distinct names. The
// bodies are always_inline (no tail call into a shared loop: callgrind would charge that one).
#define NPB_LOOP extern "C" __attribute__((noinline, visibility("default"))) void
#define NPB_INLINE static inline __attribute__((always_inline)) void

NPB_INLINE launch_bare(long n) {
  for (long i = 0; i < n; ++i) opaque(g_bare_launch(nullptr, 1, nullptr, 0, nullptr));
}
NPB_INLINE launch_floor(long n) {
  for (long i = 0; i < n; ++i) {
    timespec a, b;
    clock_pair_begin(&a);
    opaque(g_bare_launch(nullptr, 1, nullptr, 0, nullptr));
    clock_pair_end(&a, &b);
  }
}
NPB_INLINE launch_wrapped(long n) {
  for (long i = 0; i < n; ++i) opaque(aclrtLaunchKernel(nullptr, 1, nullptr, 0, nullptr));
}
NPB_INLINE sync_bare(long n) {
  for (long i = 0; i < n; ++i) opaque(g_bare_sync(nullptr));
}
NPB_INLINE sync_floor(long n) {
  for (long i = 0; i < n; ++i) {
    timespec a, b;
    clock_pair_begin(&a);
    opaque(g_bare_sync(nullptr));
    clock_pair_end(&a, &b);
  }
}
NPB_INLINE sync_wrapped(long n) {
  for (long i = 0; i < n; ++i) opaque(aclrtSynchronizeStream(nullptr));
}
NPB_INLINE alloc_bare(long n) {
  for (long i = 0; i < n; ++i) {
    void *p = nullptr;
    opaque(g_bare_malloc(&p, 4096, 0));
    opaque(g_bare_free(p));
  }
}
NPB_INLINE alloc_floor(long n) {
  for (long i = 0; i < n; ++i) {
    void *p = nullptr;
    timespec a, b;
    clock_pair_begin(&a);
    opaque(g_bare_malloc(&p, 4096, 0));
    clock_pair_end(&a, &b);
    opaque(g_bare_free(p));
  }
}
NPB_INLINE alloc_wrapped(long n) {
  for (long i = 0; i < n; ++i) {
    void *p = nullptr;
    opaque(aclrtMalloc(&p, 4096, 0));
    opaque(aclrtFree(p));
  }
}

// What one read-modify-write of a shared counter costs on this machine, locked (fetch_add:
// lock xadd on x86) and as the plain load + store a counter of one writer needs: the unit in
// which per_call.sh states the cost of the locked instructions an allocation must make.
std::atomic<std::uint64_t> g_rmw_counter{0};
NPB_LOOP rmw_locked(long n) {
  for (long i = 0; i < n; ++i) g_rmw_counter.fetch_add(1, std::memory_order_relaxed);
}
NPB_LOOP rmw_plain(long n) {
  for (long i = 0; i < n; ++i) {
    g_rmw_counter.store(g_rmw_counter.load(std::memory_order_relaxed) + 1,
                        std::memory_order_relaxed);
  }
}

// g_sink gets a distinct tag in each: identical bodies are not folded into one symbol.
NPB_LOOP cg_launch_bare(long n) { g_sink = 1; launch_bare(n); }
NPB_LOOP cg_launch_floor(long n) { g_sink = 2; launch_floor(n); }
NPB_LOOP cg_launch_off(long n) { g_sink = 3; launch_wrapped(n); }
NPB_LOOP cg_launch_enabled(long n) { g_sink = 4; launch_wrapped(n); }
NPB_LOOP cg_launch_env_disabled(long n) { g_sink = 5; launch_wrapped(n); }
NPB_LOOP cg_sync_bare(long n) { g_sink = 6; sync_bare(n); }
NPB_LOOP cg_sync_floor(long n) { g_sink = 7; sync_floor(n); }
NPB_LOOP cg_sync_off(long n) { g_sink = 8; sync_wrapped(n); }
NPB_LOOP cg_sync_enabled(long n) { g_sink = 9; sync_wrapped(n); }
NPB_LOOP cg_sync_env_disabled(long n) { g_sink = 10; sync_wrapped(n); }
NPB_LOOP cg_alloc_bare(long n) { g_sink = 11; alloc_bare(n); }
NPB_LOOP cg_alloc_floor(long n) { g_sink = 12; alloc_floor(n); }
NPB_LOOP cg_alloc_off(long n) { g_sink = 13; alloc_wrapped(n); }
NPB_LOOP cg_alloc_enabled(long n) { g_sink = 14; alloc_wrapped(n); }
NPB_LOOP cg_alloc_env_disabled(long n) { g_sink = 15; alloc_wrapped(n); }

namespace {

using Loop = void (*)(long);

struct Path {
  const char *api;
  const char *variant;
  Loop loop;      // cg_<api>_<variant>
  int switch_on;  // -1: leave npuprobe's switch alone; 0 / 1: npuprobe_set_enabled(value)
};

const Path kPaths[] = {
    {"launch", "bare", cg_launch_bare, -1},
    {"launch", "floor", cg_launch_floor, -1},
    {"launch", "off", cg_launch_off, 0},
    {"launch", "enabled", cg_launch_enabled, 1},
    {"launch", "env_disabled", cg_launch_env_disabled, -1},
    {"sync", "bare", cg_sync_bare, -1},
    {"sync", "floor", cg_sync_floor, -1},
    {"sync", "off", cg_sync_off, 0},
    {"sync", "enabled", cg_sync_enabled, 1},
    {"sync", "env_disabled", cg_sync_env_disabled, -1},
    {"alloc", "bare", cg_alloc_bare, -1},
    {"alloc", "floor", cg_alloc_floor, -1},
    {"alloc", "off", cg_alloc_off, 0},
    {"alloc", "enabled", cg_alloc_enabled, 1},
    {"alloc", "env_disabled", cg_alloc_env_disabled, -1},
};

SetEnabledFn g_set_enabled;

void apply_switch(const Path &p) {
  if (p.switch_on >= 0 && g_set_enabled != nullptr) g_set_enabled(p.switch_on);
}

std::vector<std::string> split(const char *list) {
  std::vector<std::string> out;
  std::string item;
  for (const char *c = list;; ++c) {
    if (*c == ',' || *c == '\0') {
      if (!item.empty()) out.push_back(item);
      item.clear();
      if (*c == '\0') break;
    } else {
      item += *c;
    }
  }
  return out;
}

bool listed(const std::vector<std::string> &list, const char *name) {
  for (const std::string &s : list) {
    if (s == name) return true;
  }
  return false;
}

std::uint64_t now_ns(clockid_t clock = CLOCK_MONOTONIC) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1000000000u + static_cast<std::uint64_t>(t.tv_nsec);
}

struct Sample {
  double wall_ns = 0;  // per call
  double cpu_ns = 0;   // per call, the thread's CPU time (what a busy neighbour cannot inflate)
};

// N calls of path `paths[i % paths.size()]` on each of `threads` threads, started together
// after a warm-up; each thread's elapsed / N.
std::vector<Sample> time_threads(const std::vector<const Path *> &paths, int threads, long calls) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<Sample> per_thread(static_cast<std::size_t>(threads));
  auto body = [&](int index) {
    const Path &p = *paths[static_cast<std::size_t>(index) % paths.size()];
    aclrtSetDevice(0);
    p.loop(calls / 8 + 1);  // warm-up: first-call resolution, this thread's shard, caches
    ready.fetch_add(1);
    while (!go.load(std::memory_order_acquire)) {
    }
    const std::uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    const std::uint64_t t0 = now_ns();
    p.loop(calls);
    const std::uint64_t t1 = now_ns();
    const std::uint64_t c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    Sample &out = per_thread[static_cast<std::size_t>(index)];
    out.wall_ns = static_cast<double>(t1 - t0) / static_cast<double>(calls);
    out.cpu_ns = static_cast<double>(c1 - c0) / static_cast<double>(calls);
  };
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) workers.emplace_back(body, i);
  std::thread self_go([&] {
    while (ready.load() < threads) std::this_thread::yield();
    go.store(true, std::memory_order_release);
  });
  body(0);
  self_go.join();
  for (std::thread &t : workers) t.join();
  return per_thread;
}

// The task-queue pattern at a decode step's shape: `launch` on this thread, timed; on another
// thread `sync` once, then a pause, until the launches are done. Also says how many launches
// fell to each wait.
constexpr std::uint64_t kStepPauseNs = 10000;
Sample time_task_queue_steps(const Path &launch, const Path &sync, long calls,
                             double *launches_per_wait) {
  std::atomic<bool> done{false};
  long waits = 0;
  std::thread waiter([&] {
    aclrtSetDevice(0);
    while (!done.load(std::memory_order_relaxed)) {
      sync.loop(1);
      ++waits;
      const std::uint64_t until = now_ns() + kStepPauseNs;
      while (now_ns() < until) {
      }
    }
  });
  const Sample launching = time_threads({&launch}, 1, calls)[0];
  done.store(true, std::memory_order_relaxed);
  waiter.join();
  // The launches of the warm-up (calls / 8 + 1) count too: the waiter ran through it.
  *launches_per_wait = static_cast<double>(calls + calls / 8 + 1) / static_cast<double>(
                           waits > 0 ? waits : 1);
  return launching;
}

// The mean over the threads of one path.
Sample time_path(const Path &p, int threads, long calls) {
  Sample mean;
  for (const Sample &v : time_threads({&p}, threads, calls)) {
    mean.wall_ns += v.wall_ns / threads;
    mean.cpu_ns += v.cpu_ns / threads;
  }
  return mean;
}

const Path *find_path(const char *api, const char *variant) {
  for (const Path &p : kPaths) {
    if (std::strcmp(p.api, api) == 0 && std::strcmp(p.variant, variant) == 0) return &p;
  }
  return nullptr;
}

void print_sample(const char *api, int threads, const char *variant, int rep, const Sample &ns,
                  const char *pattern, double launches_per_wait = 0) {
  std::printf("{\"api\":\"%s\",\"threads\":%d,\"variant\":\"%s\",\"rep\":%d,"
              "\"ns_per_call\":%.4f,\"cpu_ns_per_call\":%.4f%s%s%s",
              api, threads, variant, rep, ns.wall_ns, ns.cpu_ns,
              pattern != nullptr ? ",\"pattern\":\"" : "", pattern != nullptr ? pattern : "",
              pattern != nullptr ? "\"" : "");
  if (launches_per_wait > 0) std::printf(",\"launches_per_wait\":%.1f", launches_per_wait);
  std::printf("}\n");
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: per_call_bench [--reps R] [--calls N] [--threads 1,2] "
               "[--apis launch,sync,alloc] [--variants bare,floor,off,enabled,env_disabled] "
               "[--task-queue 0|1] [--rmw 0|1] [--callgrind N]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  int reps = 10;
  long calls = 200000;
  long callgrind_calls = -1;
  std::vector<std::string> apis{"launch", "sync", "alloc"};
  std::vector<std::string> variants{"bare", "floor", "off", "enabled"};
  std::vector<int> thread_counts{1, 2};
  bool task_queue = false;
  bool rmw = false;  // --rmw 1: also the cost of a locked and a plain read-modify-write
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) usage();
    ++i;
    if (std::strcmp(arg, "--reps") == 0) {
      reps = std::atoi(value);
    } else if (std::strcmp(arg, "--calls") == 0) {
      calls = std::atol(value);
    } else if (std::strcmp(arg, "--rmw") == 0) {
      rmw = std::strcmp(value, "1") == 0;
    } else if (std::strcmp(arg, "--task-queue") == 0) {
      task_queue = std::strcmp(value, "1") == 0;
    } else if (std::strcmp(arg, "--callgrind") == 0) {
      callgrind_calls = std::atol(value);
    } else if (std::strcmp(arg, "--apis") == 0) {
      apis = split(value);
    } else if (std::strcmp(arg, "--variants") == 0) {
      variants = split(value);
    } else if (std::strcmp(arg, "--threads") == 0) {
      thread_counts.clear();
      for (const std::string &t : split(value)) thread_counts.push_back(std::atoi(t.c_str()));
    } else {
      usage();
    }
  }
  if (reps < 1 || calls < 1) usage();

  g_bare_launch = reinterpret_cast<LaunchFn>(bench_bare_launch());
  g_bare_sync = reinterpret_cast<SyncFn>(bench_bare_sync());
  g_bare_malloc = reinterpret_cast<MallocFn>(bench_bare_malloc());
  g_bare_free = reinterpret_cast<FreeFn>(bench_bare_free());
  g_set_enabled = reinterpret_cast<SetEnabledFn>(dlsym(RTLD_DEFAULT, "npuprobe_set_enabled"));

  // A variant that claims npuprobe's state must be running in that state.
  const char *disable = std::getenv("NPUPROBE_DISABLE");
  const bool env_disabled = disable != nullptr && std::strcmp(disable, "1") == 0;
  const bool wants_probe = listed(variants, "off") || listed(variants, "enabled");
  if (wants_probe && (g_set_enabled == nullptr || env_disabled)) {
    std::fprintf(stderr,
                 "per_call_bench: 'off'/'enabled' need LD_PRELOAD=libnpuprobe.so without "
                 "NPUPROBE_DISABLE=1 (bench/per_call.sh sets it up)\n");
    return 1;
  }
  if (listed(variants, "env_disabled") && (!env_disabled || wants_probe)) {
    std::fprintf(stderr,
                 "per_call_bench: 'env_disabled' needs NPUPROBE_DISABLE=1 in its own process "
                 "(without 'off'/'enabled')\n");
    return 1;
  }

  aclrtSetDevice(0);  // starts npuprobe (lazy start on the first ACL call)

  std::vector<const Path *> selected;
  for (const Path &p : kPaths) {
    if (listed(apis, p.api) && listed(variants, p.variant)) selected.push_back(&p);
  }

  if (callgrind_calls >= 0) {
    for (const Path *p : selected) {  // warm-up, outside any cg_* function's count
      apply_switch(*p);
      p->loop(16);
    }
    for (const Path *p : selected) {
      apply_switch(*p);
      p->loop(callgrind_calls);
    }
    if (g_set_enabled != nullptr && !env_disabled) g_set_enabled(1);
    return 0;
  }

  for (int rep = 0; rep < reps; ++rep) {
    for (int threads : thread_counts) {
      for (const Path *p : selected) {
        apply_switch(*p);
        print_sample(p->api, threads, p->variant, rep, time_path(*p, threads, calls), nullptr);
      }
      if (g_set_enabled != nullptr && !env_disabled) g_set_enabled(1);
    }
    if (rmw) {
      print_sample("rmw", 1, "locked", rep, time_path(Path{"rmw", "locked", rmw_locked, -1}, 1,
                                                      calls), nullptr);
      print_sample("rmw", 1, "plain", rep, time_path(Path{"rmw", "plain", rmw_plain, -1}, 1,
                                                     calls), nullptr);
    }
    // The task-queue pattern: thread 0 launches, thread 1 waits, one device.
    for (const std::string &variant : task_queue ? variants : std::vector<std::string>{}) {
      const Path *launch = find_path("launch", variant.c_str());
      const Path *sync = find_path("sync", variant.c_str());
      if (launch == nullptr || sync == nullptr) continue;
      apply_switch(*launch);
      const std::vector<Sample> both = time_threads({launch, sync}, 2, calls);
      print_sample("launch", 2, launch->variant, rep, both[0], "taskqueue");
      print_sample("sync", 2, sync->variant, rep, both[1], "taskqueue");
      double per_wait = 0;
      const Sample stepped = time_task_queue_steps(*launch, *sync, calls, &per_wait);
      print_sample("launch", 2, launch->variant, rep, stepped, "taskqueue_step", per_wait);
      if (g_set_enabled != nullptr && !env_disabled) g_set_enabled(1);
    }
    std::fflush(stdout);
  }
  return 0;
}
