// Launches on one thread, waits on another (torch_npu's task queue), several threads meeting a
// new device at once, and memory from many threads. Exact totals; meant to run under TSan too.
#include <atomic>
#include <thread>
#include <vector>

#include "probe_fixture.h"

namespace npuprobe::probes::testing {
namespace {

class ConcurrencyTest : public ProbeTest {
 protected:
  // One clock for all threads, so every timestamp is unique and increasing.
  std::uint64_t tick() { return clock_.fetch_add(1000, std::memory_order_relaxed); }

  void launch_now(int device) {
    const std::uint64_t t0 = tick();
    probes().on_launch(device, LaunchApi::kAclnn, t0, t0 + 500);
  }

 private:
  std::atomic<std::uint64_t> clock_{kStart};
};

void wait_until(const std::atomic<int> &value, int at_least) {
  while (value.load(std::memory_order_acquire) < at_least) std::this_thread::yield();
}

TEST_F(ConcurrencyTest, AsyncSchedulingAcrossThreads) {
  // The launch thread runs at most one step ahead of the waits (async scheduling with two
  // events): step n is enqueued while the main thread waits for step n - 1.
  constexpr int kSteps = 10000;
  constexpr int kKernels = 3;
  int events[2] = {};
  std::atomic<int> recorded{0};
  std::atomic<int> waited{0};
  std::thread launcher([&] {
    for (int n = 0; n < kSteps; ++n) {
      wait_until(waited, n - 1);  // e[n % 2] was last used by step n - 2
      for (int k = 0; k < kKernels; ++k) launch_now(0);
      probes().on_record_event(0, &events[n % 2], tick());
      recorded.store(n + 1, std::memory_order_release);
    }
  });
  for (int n = 0; n < kSteps; ++n) {
    wait_until(recorded, n + 1);
    const std::uint64_t t0 = tick();
    sync(0, SyncApi::kEvent, t0, tick(), &events[n % 2]);
    waited.store(n + 1, std::memory_order_release);
  }
  launcher.join();

  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), kSteps);
  const HistogramValue per_step = m.histogram("npu:launches_per_step", dev(0));
  EXPECT_EQ(per_step.sum, kSteps * kKernels);
  EXPECT_EQ(per_step.buckets[2], kSteps);  // le=4: every step exactly K
  EXPECT_EQ(m.histogram("npu:non_forward_duration", dev(0)).count, kSteps - 1);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "concurrent_close"}), 0);
}

TEST_F(ConcurrencyTest, StreamSyncsRacingLaunchesLoseNoLaunch) {
  // Two threads closing everything while launches keep arriving: however the launches fall
  // into steps (and whichever close is skipped as concurrent), each lands in exactly one.
  constexpr int kLaunches = 20000;
  std::atomic<int> done{0};
  std::atomic<int> syncs{0};
  std::thread launcher([&] {
    for (int i = 0; i < kLaunches; ++i) launch_now(0);
    done.store(1, std::memory_order_release);
  });
  const auto syncer = [&] {
    while (done.load(std::memory_order_acquire) == 0) {
      const std::uint64_t t0 = tick();
      sync(0, SyncApi::kStream, t0, tick());
      syncs.fetch_add(1);
    }
  };
  std::thread other_syncer(syncer);
  syncer();
  launcher.join();
  other_syncer.join();
  sync(0, SyncApi::kStream, tick(), tick());
  const MetricReader m = read();
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, kLaunches);
  const double skipped = m.counter("npuprobe:dropped", {"0", "concurrent_close"});
  EXPECT_LE(m.counter("npu:steps", dev(0)) + skipped, syncs.load() + 1);
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "stream")), syncs.load() + 1);
}

TEST_F(ConcurrencyTest, TwoStreamsOfOneDeviceRecordAndWaitConcurrently) {
  // Two threads each launch, record their own event and wait for it: cuts and closes of one
  // device race. Every launch still lands in exactly one step.
  constexpr int kRounds = 5000;
  int events[2] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        launch_now(0);
        launch_now(0);
        probes().on_record_event(0, &events[t], tick());
        const std::uint64_t t0 = tick();
        sync(0, SyncApi::kEvent, t0, tick(), &events[t]);
      }
    });
  }
  for (std::thread &thread : threads) thread.join();
  sync(0, SyncApi::kDevice, tick(), tick());
  const MetricReader m = read();
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 2 * kRounds * 2);
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "event")), 2 * kRounds);
}

TEST_F(ConcurrencyTest, ThreadsMeetingANewDeviceAllCount) {
  constexpr int kThreads = 8;
  constexpr int kEach = 1000;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      ready.fetch_add(1);
      wait_until(ready, kThreads);  // all hit the unresolved device together
      for (int i = 0; i < kEach; ++i) launch_now(5);
    });
  }
  for (std::thread &thread : threads) thread.join();
  sync(5, SyncApi::kDevice, tick(), tick());
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:launches", dev_api(5, "aclnn")), kThreads * kEach);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(5)).sum, kThreads * kEach);
  EXPECT_EQ(m.series_count("npu:steps"), 1u);
}

TEST_F(ConcurrencyTest, MemoryFromManyThreadsBalances) {
  constexpr int kThreads = 4;
  constexpr int kEach = 5000;
  std::vector<char> blocks(kThreads * 64);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const void *block = &blocks[t * 64 + i % 64];  // each thread reuses its own addresses
        probes().on_alloc(t % 2, AllocKind::kDevice, block, 100, true, kStart, kStart + 1);
        probes().on_free(AllocKind::kDevice, block, true);
      }
    });
  }
  std::thread flusher([&] {
    for (int i = 0; i < 50; ++i) probes().before_flush();
  });
  for (std::thread &thread : threads) thread.join();
  flusher.join();
  probes().before_flush();
  const MetricReader m = read();
  for (int device = 0; device < 2; ++device) {
    EXPECT_EQ(m.gauge("npu:memory:allocated_bytes", dev(device)), 0);
    EXPECT_EQ(m.counter("npu:memory:allocs", dev(device)), 2 * kEach);
    EXPECT_EQ(m.counter("npu:memory:frees", dev(device)), 2 * kEach);
    EXPECT_LE(m.gauge("npu:memory:peak_allocated_bytes", dev(device)), 2 * 100);
    EXPECT_GE(m.gauge("npu:memory:peak_allocated_bytes", dev(device)), 100);
  }
}

TEST_F(ConcurrencyTest, PeakIsExactAcrossThreads) {
  // Every allocation of every thread is live at once (all allocate, meet, then all free): the
  // peak is exactly their sum, and the bytes held go back to 0.
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  std::vector<char> blocks(kThreads * kEach);
  std::atomic<int> allocated{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        probes().on_alloc(3, AllocKind::kDevice, &blocks[t * kEach + i], 1 + t, true, kStart,
                          kStart + 1);
      }
      allocated.fetch_add(1);
      wait_until(allocated, kThreads);
      for (int i = 0; i < kEach; ++i) probes().on_free(AllocKind::kDevice, &blocks[t * kEach + i], true);
    });
  }
  for (std::thread &thread : threads) thread.join();
  probes().before_flush();
  const MetricReader m = read();
  EXPECT_EQ(m.gauge("npu:memory:allocated_bytes", dev(3)), 0);
  EXPECT_EQ(m.gauge("npu:memory:peak_allocated_bytes", dev(3)), kEach * (1 + 2 + 3 + 4));
  EXPECT_EQ(m.counter("npu:memory:allocs", dev(3)), kThreads * kEach);
  EXPECT_EQ(m.counter("npu:memory:frees", dev(3)), kThreads * kEach);
}

TEST_F(ConcurrencyTest, AddressesFreedOnOneThreadAndReusedOnAnotherBalance) {
  // A caching allocator's blocks move between threads: thread A allocates, hands the block to
  // B, B frees it and hands it back, A allocates the same address again. Every record is
  // written by one thread at a time, in order: exact counts, nothing left held.
  constexpr int kRounds = 20000;
  constexpr int kBlocks = 8;
  char blocks[kBlocks] = {};
  std::atomic<int> owner[kBlocks];  // 0: A may allocate, 1: B may free
  for (std::atomic<int> &o : owner) o.store(0);
  std::thread freer([&] {
    for (int n = 0; n < kRounds; ++n) {
      const int b = n % kBlocks;
      while (owner[b].load(std::memory_order_acquire) != 1) std::this_thread::yield();
      probes().on_free(AllocKind::kDevice, &blocks[b], true);
      owner[b].store(0, std::memory_order_release);
    }
  });
  for (int n = 0; n < kRounds; ++n) {
    const int b = n % kBlocks;
    while (owner[b].load(std::memory_order_acquire) != 0) std::this_thread::yield();
    probes().on_alloc(4, AllocKind::kDevice, &blocks[b], 64, true, kStart, kStart + 1);
    owner[b].store(1, std::memory_order_release);
  }
  freer.join();
  probes().before_flush();
  const MetricReader m = read();
  EXPECT_EQ(m.gauge("npu:memory:allocated_bytes", dev(4)), 0);
  EXPECT_EQ(m.gauge("npu:memory:peak_allocated_bytes", dev(4)), kBlocks * 64);
  EXPECT_EQ(m.counter("npu:memory:allocs", dev(4)), kRounds);
  EXPECT_EQ(m.counter("npu:memory:frees", dev(4)), kRounds);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "free_unknown_pointer"}), 0);
}

}  // namespace
}  // namespace npuprobe::probes::testing
