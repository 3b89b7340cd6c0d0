// Device memory: bytes held per device (gauges set at flush), allocation counts, failures,
// frees of pointers never seen, pointer reuse and pinned host memory.
#include "probe_fixture.h"

namespace npuprobe::probes::testing {
namespace {

class MemoryTest : public ProbeTest {
 protected:
  // Keys are just addresses: these never hold data.
  const void *key(int i) const { return &keys_[i]; }

  void alloc(int device, AllocKind kind, int k, std::size_t size, bool ok = true) {
    probes().on_alloc(device, kind, ok ? key(k) : nullptr, size, ok, kStart, kStart + 40 * kUs);
  }

  double gauge(const std::string &name, int device) {
    probes().before_flush();
    return read().gauge(name, dev(device));
  }

 private:
  char keys_[16] = {};
};

TEST_F(MemoryTest, AllocFreePeakAndFailures) {
  alloc(0, AllocKind::kDevice, 0, 100);
  alloc(0, AllocKind::kPhysical, 1, 200);
  alloc(0, AllocKind::kDevice, 2, 1000, /*ok=*/false);
  probes().on_free(AllocKind::kDevice, key(0), true);
  probes().before_flush();
  const MetricReader m = read();
  EXPECT_EQ(m.gauge("npu:memory:allocated_bytes", dev(0)), 200);
  EXPECT_EQ(m.gauge("npu:memory:peak_allocated_bytes", dev(0)), 300);
  EXPECT_EQ(m.gauge("npu:memory:host_pinned_bytes", dev(0)), 0);
  EXPECT_EQ(m.counter("npu:memory:allocs", dev(0)), 2);
  EXPECT_EQ(m.counter("npu:memory:frees", dev(0)), 1);
  EXPECT_EQ(m.counter("npu:memory:alloc_failures", dev(0)), 1);
  const HistogramValue latency = m.histogram("npu:memory:alloc_latency", dev(0));
  EXPECT_EQ(latency.count, 3);  // failures too
  EXPECT_NEAR(latency.sum, 3 * 40e-6, 1e-12);
}

TEST_F(MemoryTest, AFailedFreeChangesNothing) {
  alloc(0, AllocKind::kDevice, 0, 100);
  probes().on_free(AllocKind::kDevice, key(0), false);
  probes().on_free(AllocKind::kDevice, nullptr, true);
  EXPECT_EQ(gauge("npu:memory:allocated_bytes", 0), 100);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:memory:frees", dev(0)), 0);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "free_unknown_pointer"}), 0);
}

TEST_F(MemoryTest, FreeOfAnUnknownPointerIsCountedOnDeviceMinusOne) {
  alloc(0, AllocKind::kDevice, 0, 100);
  probes().on_free(AllocKind::kDevice, key(5), true);
  probes().on_free(AllocKind::kHostPinned, key(6), true);
  EXPECT_EQ(gauge("npu:memory:allocated_bytes", 0), 100);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:memory:frees", dev(0)), 0);
  EXPECT_EQ(m.counter("npu:memory:frees", {"0", "-1"}), 1);  // device kinds only
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "free_unknown_pointer"}), 2);
  // Only frees{device="-1"}: no other series for the unknown device.
  EXPECT_FALSE(m.has("npu:steps", {"0", "-1"}));
}

TEST_F(MemoryTest, AReusedPointerIsAccountedAgain) {
  alloc(0, AllocKind::kDevice, 0, 100);
  probes().on_free(AllocKind::kDevice, key(0), true);
  alloc(1, AllocKind::kDevice, 0, 400);  // the same address, now on device 1
  EXPECT_EQ(gauge("npu:memory:allocated_bytes", 0), 0);
  EXPECT_EQ(gauge("npu:memory:allocated_bytes", 1), 400);
  probes().on_free(AllocKind::kDevice, key(0), true);
  EXPECT_EQ(gauge("npu:memory:allocated_bytes", 1), 0);
  EXPECT_EQ(gauge("npu:memory:peak_allocated_bytes", 1), 400);
  EXPECT_EQ(gauge("npu:memory:peak_allocated_bytes", 0), 100);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:memory:frees", dev(0)), 1);
  EXPECT_EQ(m.counter("npu:memory:frees", dev(1)), 1);
}

TEST_F(MemoryTest, AnAllocationOverAnUnseenFreeReplacesTheOldRecord) {
  alloc(0, AllocKind::kDevice, 0, 100);
  alloc(0, AllocKind::kDevice, 0, 30);  // its free went unseen: 100 bytes are not held
  EXPECT_EQ(gauge("npu:memory:allocated_bytes", 0), 30);
  probes().on_free(AllocKind::kDevice, key(0), true);
  EXPECT_EQ(gauge("npu:memory:allocated_bytes", 0), 0);
}

TEST_F(MemoryTest, HostPinnedMovesOnlyItsGauge) {
  alloc(2, AllocKind::kHostPinned, 0, 64);
  alloc(2, AllocKind::kHostPinned, 1, 32);
  probes().on_free(AllocKind::kHostPinned, key(0), true);
  probes().before_flush();
  const MetricReader m = read();
  EXPECT_EQ(m.gauge("npu:memory:host_pinned_bytes", dev(2)), 32);
  EXPECT_EQ(m.gauge("npu:memory:allocated_bytes", dev(2)), 0);
  EXPECT_EQ(m.counter("npu:memory:allocs", dev(2)), 0);
  EXPECT_EQ(m.counter("npu:memory:frees", dev(2)), 0);
  EXPECT_EQ(m.histogram("npu:memory:alloc_latency", dev(2)).count, 2);
}

TEST_F(MemoryTest, AFullPointerTableCountsTheAllocationButNotItsBytes) {
  // More distinct live pointers than the table holds: the extra ones are dropped.
  constexpr std::size_t kExtra = 100;
  const std::size_t total = (1u << 16) + kExtra;
  std::vector<char> blocks(total);
  for (std::size_t i = 0; i < total; ++i) {
    probes().on_alloc(0, AllocKind::kDevice, &blocks[i], 1, true, kStart, kStart + 1);
  }
  probes().before_flush();
  const MetricReader m = read();
  const double dropped = m.counter("npuprobe:dropped", {"0", "pointer_table_full"});
  EXPECT_GE(dropped, kExtra);
  EXPECT_EQ(m.counter("npu:memory:allocs", dev(0)), total);
  EXPECT_EQ(m.gauge("npu:memory:allocated_bytes", dev(0)), total - dropped);
}

TEST_F(MemoryTest, HbmSamplesSetTheirGaugesOnlyForSampledDevices) {
  probes().on_hbm_sample(2, 96, 1024);
  probes().on_hbm_sample(2, 128, 1024);  // the latest sample wins
  probes().on_hbm_sample(70, 1, 2);      // not a device: dropped
  const MetricReader m = read();
  EXPECT_EQ(m.gauge("npu:memory:hbm_used_bytes", dev(2)), 128);
  EXPECT_EQ(m.gauge("npu:memory:hbm_total_bytes", dev(2)), 1024);
  EXPECT_EQ(m.series_count("npu:memory:hbm_used_bytes"), 1u);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "device_id"}), 1);
}

}  // namespace
}  // namespace npuprobe::probes::testing
