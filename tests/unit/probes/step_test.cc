// The step model (docs/architecture.md) on the shapes real programs produce: a stream sync per
// step, an event per step, vLLM's async scheduling (overlapping steps) and a mix.
#include "probe_fixture.h"

namespace npuprobe::probes::testing {
namespace {

class StepTest : public ProbeTest {};

TEST_F(StepTest, PlainStreamSyncSteps) {
  // 3 steps, 10 ms apart: 4 launches (100 us apart, 20 us each), a stream sync from +1 ms to
  // +5 ms, then the host gap.
  for (int n = 0; n < 3; ++n) {
    const std::uint64_t s = kStart + n * 10 * kMs;
    launch(0, 4, s, 100 * kUs, 20 * kUs);
    sync(0, SyncApi::kStream, s + 1 * kMs, s + 5 * kMs);
  }
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 3);
  const HistogramValue forward = m.histogram("npu:forward_duration", dev(0));
  EXPECT_EQ(forward.count, 3);
  EXPECT_NEAR(forward.sum, 3 * 0.005, 1e-12);
  const HistogramValue kernel_launch = m.histogram("npu:kernel_launch", dev(0));
  EXPECT_EQ(kernel_launch.count, 3);
  EXPECT_NEAR(kernel_launch.sum, 3 * 320e-6, 1e-12);  // 3 gaps of 100 us + the last 20 us
  const HistogramValue non_forward = m.histogram("npu:non_forward_duration", dev(0));
  EXPECT_EQ(non_forward.count, 2);  // not for the first step
  EXPECT_NEAR(non_forward.sum, 2 * 0.005, 1e-12);
  const HistogramValue wait = m.histogram("npu:sync_wait_duration", dev(0));
  EXPECT_EQ(wait.count, 3);
  EXPECT_NEAR(wait.sum, 3 * 0.004, 1e-12);
  const HistogramValue api = m.histogram("npu:launch_api_duration", dev(0));
  EXPECT_NEAR(api.sum, 3 * 4 * 20e-6, 1e-12);
  const HistogramValue per_step = m.histogram("npu:launches_per_step", dev(0));
  EXPECT_EQ(per_step.count, 3);
  EXPECT_EQ(per_step.sum, 12);
  EXPECT_EQ(per_step.buckets[2], 3);  // le=4

  EXPECT_EQ(m.counter("npu:launches", dev_api(0, "aclnn")), 12);
  EXPECT_EQ(m.counter("npu:launches", dev_api(0, "kernel")), 0);  // resolved with the device
  const HistogramValue latency = m.histogram("npu:launch_latency", dev_api(0, "aclnn"));
  EXPECT_EQ(latency.count, 12);
  EXPECT_NEAR(latency.sum, 12 * 20e-6, 1e-12);
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "stream")), 3);
  EXPECT_NEAR(m.histogram("npu:sync_latency", dev_api(0, "stream")).sum, 3 * 0.004, 1e-12);
}

TEST_F(StepTest, EventSyncSteps) {
  int event = 0;
  for (int n = 0; n < 4; ++n) {
    const std::uint64_t s = kStart + n * 10 * kMs;
    const std::uint64_t end = launch(0, 8, s, 10 * kUs, 5 * kUs);  // s + 75 us
    probes().on_record_event(0, &event, end);
    sync(0, SyncApi::kEvent, s + 2 * kMs, s + 3 * kMs, &event);
  }
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 4);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, 4 * 0.003, 1e-12);
  EXPECT_NEAR(m.histogram("npu:kernel_launch", dev(0)).sum, 4 * 75e-6, 1e-12);
  EXPECT_NEAR(m.histogram("npu:non_forward_duration", dev(0)).sum, 3 * 0.007, 1e-12);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 32);
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "event")), 4);
}

TEST_F(StepTest, AsyncSchedulingOverlapsSteps) {
  // npu-sim --async-sched: step n enqueues K kernels and an output copy, records e[n % 2], and
  // only then waits for step n - 1's event; the host gap follows. Each step starts before the
  // previous one's wait returns, so the device never waits for the host.
  constexpr int kSteps = 6;
  constexpr int kKernels = 5;
  int events[2] = {};
  std::uint64_t now = kStart;
  std::uint64_t starts[kSteps] = {};
  std::uint64_t ends[kSteps] = {};
  for (int n = 0; n < kSteps; ++n) {
    starts[n] = now;
    now = launch(0, kKernels, now, 20 * kUs, 10 * kUs) + 10 * kUs;
    probes().on_launch(0, LaunchApi::kMemcpyAsync, now, now + 10 * kUs);
    now += 20 * kUs;
    probes().on_record_event(0, &events[n % 2], now);
    now += 5 * kUs;
    if (n > 0) {
      const std::uint64_t t0 = now;
      now += 2 * kMs;  // the rest of step n - 1's device time
      sync(0, SyncApi::kEvent, t0, now, &events[(n - 1) % 2]);
      ends[n - 1] = now;
    }
    now += 1 * kMs;  // host gap
  }
  const std::uint64_t t0 = now;
  now += 3 * kMs;
  sync(0, SyncApi::kEvent, t0, now, &events[(kSteps - 1) % 2]);
  ends[kSteps - 1] = now;

  double forward = 0;
  for (int n = 0; n < kSteps; ++n) forward += seconds(ends[n] - starts[n]);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), kSteps);
  const HistogramValue per_step = m.histogram("npu:launches_per_step", dev(0));
  EXPECT_EQ(per_step.count, kSteps);
  EXPECT_EQ(per_step.sum, kSteps * (kKernels + 1));
  EXPECT_EQ(per_step.buckets[3], kSteps);  // le=8: every step has exactly K + 1
  const HistogramValue non_forward = m.histogram("npu:non_forward_duration", dev(0));
  EXPECT_EQ(non_forward.count, kSteps - 1);
  EXPECT_EQ(non_forward.sum, 0);
  const HistogramValue forward_h = m.histogram("npu:forward_duration", dev(0));
  EXPECT_NEAR(forward_h.sum, forward, 1e-12);
  // Each step's forward covers at least its 2 ms of remaining device time: nothing below 2.5 ms.
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(forward_h.buckets[i], 0) << "bucket " << i;
  EXPECT_NEAR(m.histogram("npu:kernel_launch", dev(0)).sum, kSteps * 110e-6, 1e-12);
  EXPECT_NEAR(m.histogram("npu:launch_api_duration", dev(0)).sum, kSteps * 60e-6, 1e-12);
  EXPECT_EQ(m.counter("npu:launches", dev_api(0, "memcpy_async")), kSteps);
}

TEST_F(StepTest, StreamSyncClosesAnOpenEventCutAndWhatFollows) {
  int event = 0;
  launch(0, 3, kStart);  // starts the step
  probes().on_record_event(0, &event, kStart + 1 * kMs);
  launch(0, 2, kStart + 2 * kMs);
  sync(0, SyncApi::kStream, kStart + 3 * kMs, kStart + 4 * kMs);
  sync(0, SyncApi::kEvent, kStart + 5 * kMs, kStart + 6 * kMs, &event);  // closed already
  launch(0, 1, kStart + 10 * kMs);
  sync(0, SyncApi::kDevice, kStart + 11 * kMs, kStart + 12 * kMs);

  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 2);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 6);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, 0.004 + 0.002, 1e-12);
  // The empty event wait did not end a step: the gap runs from the stream sync's return.
  EXPECT_NEAR(m.histogram("npu:non_forward_duration", dev(0)).sum, 0.006, 1e-12);
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "event")), 1);
  EXPECT_EQ(m.counter("npu:syncs", dev_api(0, "device")), 1);
}

TEST_F(StepTest, MemcpyAndModelWaitsCloseEverything) {
  launch(0, 2, kStart);
  sync(0, SyncApi::kMemcpy, kStart + 1 * kMs, kStart + 2 * kMs);
  probes().on_launch(0, LaunchApi::kModel, kStart + 3 * kMs, kStart + 4 * kMs);
  sync(0, SyncApi::kModel, kStart + 3 * kMs, kStart + 4 * kMs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 2);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 3);
  EXPECT_NEAR(m.histogram("npu:non_forward_duration", dev(0)).sum, 0.001, 1e-12);
}

}  // namespace
}  // namespace npuprobe::probes::testing
