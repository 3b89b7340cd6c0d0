// Collectives in the step model: npu:step_hccl_duration (host time inside collective calls per
// step, accounted like launch API time) and a collective as an enqueue of the step
// (docs/architecture.md, "The step (phase) model").
#include "probe_fixture.h"

namespace npuprobe::probes::testing {
namespace {

class StepHcclTest : public ProbeTest {
 protected:
  // `count` collectives on `device`: the first starts at `t`, each takes `cost` and starts `gap`
  // after the previous one. Returns the end of the last one.
  std::uint64_t collectives(int device, int count, std::uint64_t t, std::uint64_t gap,
                            std::uint64_t cost) {
    std::uint64_t end = t;
    for (int i = 0; i < count; ++i, t += gap) {
      probes().on_collective(device, t, t + cost);
      end = t + cost;
    }
    return end;
  }
};

TEST_F(StepHcclTest, MoeStepsSumTheirCollectivesApartFromLaunchApiTime) {
  // 3 steps, 10 ms apart: 4 launches (100 us apart, 20 us each), then 4 all-to-alls (2 MoE
  // layers x dispatch + combine) from +400 us, 50 us apart, 30 us each; a stream sync from +1 ms
  // to +5 ms.
  for (int n = 0; n < 3; ++n) {
    const std::uint64_t s = kStart + n * 10 * kMs;
    launch(0, 4, s, 100 * kUs, 20 * kUs);
    collectives(0, 4, s + 400 * kUs, 50 * kUs, 30 * kUs);  // last ends at s + 580 us
    sync(0, SyncApi::kStream, s + 1 * kMs, s + 5 * kMs);
  }
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 3);
  const HistogramValue hccl = m.histogram("npu:step_hccl_duration", dev(0));
  EXPECT_EQ(hccl.count, 3);
  EXPECT_NEAR(hccl.sum, 3 * 4 * 30e-6, 1e-12);
  EXPECT_EQ(hccl.buckets[4], 3);  // 120 us: le=2.5e-4
  // Launch API time and launches per step do not take the collectives in.
  EXPECT_NEAR(m.histogram("npu:launch_api_duration", dev(0)).sum, 3 * 4 * 20e-6, 1e-12);
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 12);
  // The enqueue span ends with the last collective.
  EXPECT_NEAR(m.histogram("npu:kernel_launch", dev(0)).sum, 3 * 580e-6, 1e-12);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, 3 * 0.005, 1e-12);
  // The share of the forward: step_hccl_duration_sum / forward_duration_sum.
  EXPECT_NEAR(hccl.sum / m.histogram("npu:forward_duration", dev(0)).sum, 120e-6 / 0.005, 1e-9);
}

TEST_F(StepHcclTest, StepsWithoutCollectivesObserveZero) {
  for (int n = 0; n < 2; ++n) {
    const std::uint64_t s = kStart + n * 10 * kMs;
    launch(0, 3, s);
    sync(0, SyncApi::kStream, s + 1 * kMs, s + 2 * kMs);
  }
  const MetricReader m = read();
  const HistogramValue hccl = m.histogram("npu:step_hccl_duration", dev(0));
  EXPECT_EQ(hccl.count, 2);  // == npu:steps: one observation per closed step
  EXPECT_EQ(hccl.sum, 0);
  EXPECT_EQ(hccl.buckets[0], 2);  // le=1e-5
}

TEST_F(StepHcclTest, AStepOfCollectivesOnlyIsAStep) {
  // A weight broadcast alone, then the wait: device work the host waited for.
  collectives(0, 1, kStart, 0, 40 * kUs);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 3 * kMs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 1);
  EXPECT_NEAR(m.histogram("npu:step_hccl_duration", dev(0)).sum, 40e-6, 1e-12);
  const HistogramValue per_step = m.histogram("npu:launches_per_step", dev(0));
  EXPECT_EQ(per_step.count, 1);
  EXPECT_EQ(per_step.sum, 0);
  EXPECT_NEAR(m.histogram("npu:forward_duration", dev(0)).sum, 0.003, 1e-12);  // from its start
  EXPECT_NEAR(m.histogram("npu:kernel_launch", dev(0)).sum, 40e-6, 1e-12);
  EXPECT_EQ(m.histogram("npu:launch_api_duration", dev(0)).sum, 0);
}

TEST_F(StepHcclTest, CollectivesCountTowardTheLaunchMinimum) {
  ProbeOptions options;
  options.min_launches_per_step = 3;
  configure(options);
  launch(0, 1, kStart);
  collectives(0, 1, kStart + 100 * kUs, 0, 10 * kUs);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 2 * kMs);  // 1 + 1 < 3: no step
  launch(0, 2, kStart + 10 * kMs);
  collectives(0, 1, kStart + 10 * kMs + 100 * kUs, 0, 20 * kUs);
  sync(0, SyncApi::kStream, kStart + 11 * kMs, kStart + 12 * kMs);  // 2 + 1: a step
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 1);
  const HistogramValue hccl = m.histogram("npu:step_hccl_duration", dev(0));
  EXPECT_EQ(hccl.count, 1);
  EXPECT_NEAR(hccl.sum, 20e-6, 1e-12);  // the consumed step's 10 us is not carried over
  EXPECT_EQ(m.histogram("npu:launches_per_step", dev(0)).sum, 2);
}

TEST_F(StepHcclTest, AnEventCutSplitsCollectivesBetweenOverlappingSteps) {
  // Async scheduling: step 1's collectives before its event, step 2's after; the wait on step
  // 1's event comes after step 2 was enqueued and closes step 1 alone.
  int events[2] = {};
  launch(0, 2, kStart);
  collectives(0, 2, kStart + 100 * kUs, 50 * kUs, 10 * kUs);
  probes().on_record_event(0, &events[0], kStart + 200 * kUs);
  launch(0, 2, kStart + 300 * kUs);
  collectives(0, 3, kStart + 400 * kUs, 50 * kUs, 25 * kUs);
  probes().on_record_event(0, &events[1], kStart + 600 * kUs);
  sync(0, SyncApi::kEvent, kStart + 700 * kUs, kStart + 1 * kMs, &events[0]);
  MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 1);
  EXPECT_NEAR(m.histogram("npu:step_hccl_duration", dev(0)).sum, 20e-6, 1e-12);
  sync(0, SyncApi::kEvent, kStart + 1 * kMs, kStart + 2 * kMs, &events[1]);
  m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 2);
  const HistogramValue hccl = m.histogram("npu:step_hccl_duration", dev(0));
  EXPECT_EQ(hccl.count, 2);
  EXPECT_NEAR(hccl.sum, 20e-6 + 75e-6, 1e-12);
}

TEST_F(StepHcclTest, CollectivesOfOneDeviceStayInItsSteps) {
  launch(0, 1, kStart);
  launch(1, 1, kStart);
  collectives(1, 2, kStart + 100 * kUs, 50 * kUs, 15 * kUs);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 2 * kMs);
  sync(1, SyncApi::kStream, kStart + 1 * kMs, kStart + 2 * kMs);
  const MetricReader m = read();
  EXPECT_EQ(m.histogram("npu:step_hccl_duration", dev(0)).sum, 0);
  EXPECT_NEAR(m.histogram("npu:step_hccl_duration", dev(1)).sum, 30e-6, 1e-12);
}

TEST_F(StepHcclTest, ADeviceOutsideTheRangeIsDropped) {
  probes().on_collective(64, kStart, kStart + kUs);
  probes().on_collective(-1, kStart, kStart + kUs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "device_id"}), 2);
}

TEST_F(StepHcclTest, AForkChildForgetsTheParentsCollectives) {
  launch(0, 1, kStart);
  collectives(0, 2, kStart + 100 * kUs, 50 * kUs, 15 * kUs);
  registry().prepare_fork();  // the pthread_atfork order: prepare takes what reset releases
  registry().reset_after_fork();
  probes().reset_after_fork();
  launch(0, 1, kStart + 10 * kMs);
  collectives(0, 1, kStart + 10 * kMs + 100 * kUs, 0, 5 * kUs);
  sync(0, SyncApi::kStream, kStart + 11 * kMs, kStart + 12 * kMs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:steps", dev(0)), 1);
  EXPECT_NEAR(m.histogram("npu:step_hccl_duration", dev(0)).sum, 5e-6, 1e-12);
}

}  // namespace
}  // namespace npuprobe::probes::testing
