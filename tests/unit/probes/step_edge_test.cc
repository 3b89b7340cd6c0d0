// The step model's edges: waits with nothing to close, the launch minimum, graph capture,
// unknown and re-awaited events, several devices, ring overflow, bad device ids.
#include "device_steps.h"
#include "probe_fixture.h"

namespace npuprobe::probes::testing {
namespace {

class StepEdgeTest : public ProbeTest {};

TEST_F(StepEdgeTest, EmptyWaitsExtendTheIdleGap) {
  launch(0, 3, kStart);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 2 * kMs);  // step 1 ends at +2 ms
  sync(0, SyncApi::kStream, kStart + 5 * kMs, kStart + 6 * kMs);  // nothing enqueued
  sync(0, SyncApi::kDevice, kStart + 7 * kMs, kStart + 8 * kMs);
  launch(0, 3, kStart + 20 * kMs);
  sync(0, SyncApi::kStream, kStart + 21 * kMs, kStart + 22 * kMs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 2);
  EXPECT_EQ(m.histogram("npu:sync_wait_duration", dev(0)).count, 2);
  const HistogramValue non_forward = m.histogram("npu:non_forward_duration", dev(0));
  EXPECT_EQ(non_forward.count, 1);
  EXPECT_NEAR(non_forward.sum, 0.018, 1e-12);  // from the last real step's end
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "stream")), 3);
}

TEST_F(StepEdgeTest, StepsBelowTheLaunchMinimumAreConsumedWithoutAStep) {
  ProbeOptions options;
  options.min_launches_per_step = 3;
  configure(options);
  launch(0, 2, kStart);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 2 * kMs);  // 2 < 3: no step
  launch(0, 3, kStart + 10 * kMs);
  sync(0, SyncApi::kStream, kStart + 11 * kMs, kStart + 12 * kMs);
  launch(0, 5, kStart + 20 * kMs);
  sync(0, SyncApi::kStream, kStart + 21 * kMs, kStart + 23 * kMs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 2);
  const HistogramValue per_step = m.histogram("npu:launches_per_step", dev(0));
  EXPECT_EQ(per_step.sum, 8);  // the 2 launches were consumed, not carried over
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, 0.002 + 0.003, 1e-12);
  const HistogramValue non_forward = m.histogram("npu:non_forward_duration", dev(0));
  EXPECT_EQ(non_forward.count, 1);
  EXPECT_NEAR(non_forward.sum, 0.008, 1e-12);
}

TEST_F(StepEdgeTest, CaptureLaunchesNeverOpenAStep) {
  launch(0, 4, kStart, 10 * kUs, 5 * kUs, LaunchApi::kCapture);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 2 * kMs);
  // Within a step, a capture launch neither counts nor moves the start.
  launch(0, 1, kStart + 10 * kMs, 10 * kUs, 5 * kUs, LaunchApi::kCapture);
  launch(0, 2, kStart + 11 * kMs);
  sync(0, SyncApi::kStream, kStart + 12 * kMs, kStart + 13 * kMs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:launches", dev_api(0, "capture")), 5);
  EXPECT_EQ(m.histogram("npu:launch_latency", dev_api(0, "capture")).count, 5);
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 1);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 2);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, 0.002, 1e-12);
  EXPECT_NEAR(m.histogram("npu:launch_api_duration", dev(0)).sum, 10e-6, 1e-12);
}

TEST_F(StepEdgeTest, AWaitOnAnUnknownEventClosesEverythingOnItsDevice) {
  int never_recorded = 0;
  int destroyed = 0;
  launch(0, 3, kStart);
  sync(0, SyncApi::kEvent, kStart + 1 * kMs, kStart + 2 * kMs, &never_recorded);
  launch(0, 2, kStart + 10 * kMs);
  probes().on_record_event(0, &destroyed, kStart + 10 * kMs);
  probes().on_destroy_event(&destroyed);
  launch(0, 1, kStart + 11 * kMs);
  sync(0, SyncApi::kEvent, kStart + 12 * kMs, kStart + 13 * kMs, &destroyed);
  launch(0, 4, kStart + 20 * kMs);
  sync(0, SyncApi::kEvent, kStart + 21 * kMs, kStart + 22 * kMs, nullptr);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 3);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 10);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, 0.002 + 0.003 + 0.002, 1e-12);
}

TEST_F(StepEdgeTest, AnEventWaitedTwiceClosesOnce) {
  int event = 0;
  launch(0, 3, kStart);
  probes().on_record_event(0, &event, kStart + 1 * kMs);
  sync(0, SyncApi::kEvent, kStart + 1 * kMs, kStart + 2 * kMs, &event);
  launch(0, 2, kStart + 3 * kMs);  // not covered by the event: stays open
  sync(0, SyncApi::kEvent, kStart + 4 * kMs, kStart + 5 * kMs, &event);
  sync(0, SyncApi::kStream, kStart + 6 * kMs, kStart + 7 * kMs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 2);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 5);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, 0.002 + 0.004, 1e-12);
  EXPECT_NEAR(m.histogram("npu:non_forward_duration", dev(0)).sum, 0.001, 1e-12);
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "event")), 2);
}

TEST_F(StepEdgeTest, DevicesAreIndependent) {
  int event_on_1 = 0;
  launch(0, 2, kStart);
  launch(1, 3, kStart + 1 * kMs);
  sync(0, SyncApi::kStream, kStart + 2 * kMs, kStart + 3 * kMs);  // device 1 stays open
  launch(1, 1, kStart + 4 * kMs);
  probes().on_record_event(1, &event_on_1, kStart + 5 * kMs);
  // A thread on device 0 waits for device 1's event: device 1's step closes.
  sync(0, SyncApi::kEvent, kStart + 6 * kMs, kStart + 8 * kMs, &event_on_1);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 1);
  EXPECT_EQ(m.counter("npu:steps", dev(1)), 1);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 2);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(1)).sum, 4);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(1)).sum, 0.007, 1e-12);
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "event")), 1);  // counted where it was called
  EXPECT_EQ(m.counter("npu:syncs", dev_api(1, "event")), 0);
}

TEST_F(StepEdgeTest, RingOverflowFallsBackToClosingEverything) {
  constexpr int kCuts = static_cast<int>(DeviceSteps::kCutRing) + 5;
  std::vector<char> events(kCuts);
  for (int i = 0; i < kCuts; ++i) {
    launch(0, 1, kStart + i * kMs);
    probes().on_record_event(0, &events[i], kStart + i * kMs + 500 * kUs);
  }
  launch(0, 1, kStart + kCuts * kMs);  // open, after the last cut
  const std::uint64_t t1 = kStart + (kCuts + 1) * kMs;
  // Cut 0 was overwritten: everything closes as one step, started by the oldest cut remembered.
  sync(0, SyncApi::kEvent, t1 - 100 * kUs, t1, &events[0]);
  sync(0, SyncApi::kEvent, t1 + 1 * kMs, t1 + 2 * kMs, &events[kCuts - 1]);  // closed already
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 1);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, kCuts + 1);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, seconds(t1 - (kStart + 5 * kMs)),
              1e-12);
  // And the device goes on normally.
  launch(0, 2, t1 + 5 * kMs);
  probes().on_record_event(0, &events[0], t1 + 6 * kMs);
  sync(0, SyncApi::kEvent, t1 + 6 * kMs, t1 + 7 * kMs, &events[0]);
  const MetricReader after = read();
  EXPECT_EQ(after.counter("npu:steps", dev(0)), 2);
  EXPECT_EQ(after.histogram("npu:launches_per_step", dev(0)).sum, kCuts + 3);
}

TEST_F(StepEdgeTest, BadDeviceIdsAreDroppedAndCreateNoSeries) {
  launch(-1, 1, kStart);
  launch(kMaxDevices, 1, kStart);
  sync(kMaxDevices, SyncApi::kStream, kStart, kStart + 1);
  probes().on_alloc(-1, AllocKind::kDevice, &kStart, 8, true, kStart, kStart + 1);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "device_id"}), 4);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "concurrent_close"}), 0);
  EXPECT_EQ(m.series_count("npu:steps"), 0u);
  EXPECT_EQ(m.series_count("npu:launches"), 0u);
}

TEST_F(StepEdgeTest, OnlyDevicesWithEventsGetSeries) {
  launch(3, 1, kStart);
  const MetricReader m = read();
  EXPECT_EQ(m.series_count("npu:steps"), 1u);
  EXPECT_TRUE(m.has("npu:steps", dev(3)));
  EXPECT_EQ(m.series_count("npu:launches"), std::size_t{kLaunchApiCount});
  EXPECT_EQ(m.series_count("npu:sync_latency"), std::size_t{kSyncApiCount});
  EXPECT_EQ(m.series_count("npu:api_errors"), 0u);
  EXPECT_EQ(m.series_count("npu:memory:frees"), 1u);
}

}  // namespace
}  // namespace npuprobe::probes::testing
