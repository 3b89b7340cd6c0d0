// DeviceSteps on its own: exclusive and shared launch lanes, the lock-free empty close, the
// fork reset. Exact counts; meant to run under TSan too.
#include "device_steps.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

namespace npuprobe::probes::testing {
namespace {

constexpr std::uint64_t kT = 1'000'000'000;  // a CLOCK_MONOTONIC-like start, never 0

std::unique_ptr<DeviceSteps> make_steps() {
  return std::make_unique<DeviceSteps>();
}

TEST(DeviceStepsTest, MoreThreadsThanLanesCountEveryLaunchAndCollective) {
  // More threads than exclusive lanes: the first ones of the process get a lane each, the
  // rest share the shared lanes. Every launch, collective and nanosecond lands exactly once.
  constexpr int kThreads = static_cast<int>(DeviceSteps::kLanes) * 2 + 3;
  constexpr int kLaunches = 2000;
  constexpr int kCollectives = 300;
  auto steps = make_steps();
  std::atomic<int> ready{0};
  std::vector<unsigned> lanes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      lanes[static_cast<std::size_t>(t)] = DeviceSteps::this_threads_lane_index();
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kLaunches; ++i) {
        const std::uint64_t t0 = kT + static_cast<std::uint64_t>(i) * 100;
        steps->on_launch(t0, t0 + 7);
        if (i < kCollectives) steps->on_collective(t0 + 10, t0 + 13);
      }
    });
  }
  for (std::thread &thread : threads) thread.join();
  std::set<unsigned> exclusive;
  int shared = 0;
  for (unsigned lane : lanes) {
    ASSERT_LT(lane, DeviceSteps::kLanes);
    if (DeviceSteps::is_shared_lane(lane)) {
      ++shared;
    } else {
      EXPECT_TRUE(exclusive.insert(lane).second) << "lane " << lane << " handed out twice";
    }
  }
  EXPECT_GE(shared, kThreads - static_cast<int>(DeviceSteps::kExclusiveLanes));

  const CloseResult closed = steps->close_all(kT + 1'000'000, kT + 2'000'000, 1);
  ASSERT_EQ(closed.outcome, CloseOutcome::kStep);
  EXPECT_EQ(closed.step.launches, std::uint64_t{kThreads} * kLaunches);
  EXPECT_EQ(closed.step.launch_api_ns, std::uint64_t{kThreads} * kLaunches * 7);
  EXPECT_EQ(closed.step.collectives, std::uint64_t{kThreads} * kCollectives);
  EXPECT_EQ(closed.step.hccl_ns, std::uint64_t{kThreads} * kCollectives * 3);
  EXPECT_EQ(closed.step.kernel_launch_ns, (kLaunches - 1) * 100 + 7);  // start kT, last end
  EXPECT_EQ(closed.step.forward_ns, 2'000'000u);
}

TEST(DeviceStepsTest, ClosesRacingLaunchesOnManyLanesLoseNothing) {
  // Launching threads on exclusive and shared lanes while two threads close everything:
  // the steps' launches add up to every launch, whichever close (or skip) takes them.
  constexpr int kLaunchers = static_cast<int>(DeviceSteps::kLanes) + 4;
  constexpr int kLaunches = 3000;
  auto steps = make_steps();
  std::atomic<int> done{0};
  std::atomic<std::uint64_t> clock{kT};
  std::atomic<std::uint64_t> closed_launches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kLaunchers; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kLaunches; ++i) {
        const std::uint64_t t0 = clock.fetch_add(10);
        steps->on_launch(t0, t0 + 5);
      }
      done.fetch_add(1);
    });
  }
  const auto closer = [&] {
    while (done.load() < kLaunchers) {
      const std::uint64_t t0 = clock.fetch_add(10);
      const CloseResult r = steps->close_all(t0, t0 + 5, 1);
      if (r.outcome == CloseOutcome::kStep) closed_launches.fetch_add(r.step.launches);
    }
  };
  std::thread other_closer(closer);
  closer();
  for (std::thread &thread : threads) thread.join();
  other_closer.join();
  const CloseResult last = steps->close_all(clock.fetch_add(10), clock.fetch_add(10), 1);
  if (last.outcome == CloseOutcome::kStep) closed_launches.fetch_add(last.step.launches);
  EXPECT_EQ(closed_launches.load(), std::uint64_t{kLaunchers} * kLaunches);
  // And nothing is left: the next wait has nothing to close.
  EXPECT_EQ(steps->close_all(clock.fetch_add(10), clock.fetch_add(10), 1).outcome,
            CloseOutcome::kNoStep);
}

TEST(DeviceStepsTest, AnEmptyCloseTakesNoCutAndKeepsTheIdleGap) {
  auto steps = make_steps();
  steps->on_launch(kT, kT + 10);
  const CloseResult first = steps->close_all(kT + 100, kT + 200, 1);  // takes cut 0
  ASSERT_EQ(first.outcome, CloseOutcome::kStep);
  EXPECT_FALSE(first.step.has_non_forward);
  // Back-to-back waits with nothing new: no step, and no cut id spent.
  EXPECT_EQ(steps->close_all(kT + 300, kT + 400, 1).outcome, CloseOutcome::kNoStep);
  EXPECT_EQ(steps->close_all(kT + 500, kT + 600, 1).outcome, CloseOutcome::kNoStep);
  EXPECT_EQ(steps->cut(), 1u);  // an event recorded now: the next id after the first close's
  // The recorded cut is new: the next close runs (nothing enqueued: no step) and marks it
  // closed, so a wait on that event is empty too.
  EXPECT_EQ(steps->close_all(kT + 700, kT + 800, 1).outcome, CloseOutcome::kNoStep);
  EXPECT_EQ(steps->close_through(1, kT + 900, kT + 950, 1).outcome, CloseOutcome::kNoStep);
  EXPECT_EQ(steps->cut(), 3u);  // that close spent cut 2
  // The idle gap runs from the end of the last real step.
  steps->on_launch(kT + 10'000, kT + 10'050);
  const CloseResult second = steps->close_all(kT + 11'000, kT + 12'000, 1);
  ASSERT_EQ(second.outcome, CloseOutcome::kStep);
  EXPECT_EQ(second.step.launches, 1u);
  EXPECT_EQ(second.step.forward_ns, 2'000u);
  EXPECT_TRUE(second.step.has_non_forward);
  EXPECT_EQ(second.step.non_forward_ns, 10'000u - 200u);
}

TEST(DeviceStepsTest, AnEventRecordedBeforeTheWaitIsClosedByIt) {
  // launch, record (cut), wait on the stream: the cut's launches are the step, and the event's
  // own wait afterwards finds it closed.
  auto steps = make_steps();
  steps->on_launch(kT, kT + 10);
  steps->on_launch(kT + 20, kT + 30);
  const std::uint64_t cut = steps->cut();
  const CloseResult closed = steps->close_all(kT + 100, kT + 200, 1);
  ASSERT_EQ(closed.outcome, CloseOutcome::kStep);
  EXPECT_EQ(closed.step.launches, 2u);
  EXPECT_EQ(closed.step.forward_ns, 200u);
  EXPECT_EQ(closed.step.kernel_launch_ns, 30u);
  EXPECT_EQ(steps->close_through(cut, kT + 300, kT + 400, 1).outcome, CloseOutcome::kNoStep);
  // An event wait closing its cut, then a stream sync with nothing after the cut: empty.
  steps->on_launch(kT + 1000, kT + 1010);
  const std::uint64_t cut2 = steps->cut();
  const CloseResult by_event = steps->close_through(cut2, kT + 1100, kT + 1200, 1);
  ASSERT_EQ(by_event.outcome, CloseOutcome::kStep);
  EXPECT_EQ(by_event.step.launches, 1u);
  EXPECT_EQ(steps->close_all(kT + 1300, kT + 1400, 1).outcome, CloseOutcome::kNoStep);
  // A launch after the event's cut is still open after the event's wait: the stream sync
  // closes it.
  steps->on_launch(kT + 2000, kT + 2010);
  const std::uint64_t cut3 = steps->cut();
  steps->on_launch(kT + 2100, kT + 2110);
  ASSERT_EQ(steps->close_through(cut3, kT + 2200, kT + 2300, 1).step.launches, 1u);
  const CloseResult rest = steps->close_all(kT + 2400, kT + 2500, 1);
  ASSERT_EQ(rest.outcome, CloseOutcome::kStep);
  EXPECT_EQ(rest.step.launches, 1u);
  EXPECT_EQ(rest.step.forward_ns, 400u);  // from the open segment's first start
}

TEST(DeviceStepsTest, WaitsBelowTheMinimumConsumeAndThenAreEmpty) {
  auto steps = make_steps();
  steps->on_launch(kT, kT + 10);
  EXPECT_EQ(steps->close_all(kT + 100, kT + 200, 3).outcome, CloseOutcome::kNoStep);
  EXPECT_EQ(steps->close_all(kT + 300, kT + 400, 1).outcome, CloseOutcome::kNoStep);
  steps->on_collective(kT + 500, kT + 520);
  const CloseResult closed = steps->close_all(kT + 600, kT + 700, 1);
  ASSERT_EQ(closed.outcome, CloseOutcome::kStep);
  EXPECT_EQ(closed.step.launches, 0u);
  EXPECT_EQ(closed.step.collectives, 1u);
  EXPECT_EQ(closed.step.hccl_ns, 20u);
}

TEST(DeviceStepsTest, TwoThreadsWaitingOnAnIdleDeviceNeverCollide) {
  // Nothing to close: both skip without the try-flag, so neither is ever told "busy".
  auto steps = make_steps();
  steps->on_launch(kT, kT + 10);
  ASSERT_EQ(steps->close_all(kT + 100, kT + 200, 1).outcome, CloseOutcome::kStep);
  std::atomic<int> busy{0};
  std::atomic<int> stepped{0};
  const auto waiter = [&] {
    for (int i = 0; i < 20000; ++i) {
      const CloseOutcome outcome = steps->close_all(kT + 300, kT + 400, 1).outcome;
      if (outcome == CloseOutcome::kBusy) busy.fetch_add(1);
      if (outcome == CloseOutcome::kStep) stepped.fetch_add(1);
    }
  };
  std::thread other(waiter);
  waiter();
  other.join();
  EXPECT_EQ(busy.load(), 0);
  EXPECT_EQ(stepped.load(), 0);
}

// Runs `body` on a new thread and waits for it.
template <typename Body>
void on_new_thread(Body body) {
  std::thread thread(body);
  thread.join();
}

TEST(DeviceStepsTest, TheSegmentStartsAtTheEarliestStartOfAnyLane) {
  // Each launching thread keeps its segment's first start in its own lane (the shared lane
  // keeps the earliest of its threads'); a cut takes the earliest. Every launch comes from a
  // new thread: exclusive lanes while the process has some left, then the shared one.
  auto steps = make_steps();
  on_new_thread([&] { steps->on_launch(kT + 100, kT + 110); });
  on_new_thread([&] { steps->on_launch(kT + 200, kT + 210); });
  const CloseResult first = steps->close_all(kT + 1000, kT + 1100, 1);
  ASSERT_EQ(first.outcome, CloseOutcome::kStep);
  EXPECT_EQ(first.step.launches, 2u);
  EXPECT_EQ(first.step.forward_ns, 1000u);        // from +100
  EXPECT_EQ(first.step.kernel_launch_ns, 110u);   // to +210

  // A record cuts both lanes: the launch after it, on the other lane, starts the next segment.
  std::uint64_t cut = 0;
  std::thread a([&] {
    steps->on_launch(kT + 2000, kT + 2010);
    cut = steps->cut();
  });
  a.join();
  on_new_thread([&] { steps->on_launch(kT + 2100, kT + 2110); });
  on_new_thread([&] { steps->on_launch(kT + 2050, kT + 2060); });  // earlier start, later call
  const CloseResult by_event = steps->close_through(cut, kT + 3000, kT + 3100, 1);
  ASSERT_EQ(by_event.outcome, CloseOutcome::kStep);
  EXPECT_EQ(by_event.step.launches, 1u);
  EXPECT_EQ(by_event.step.forward_ns, 1100u);  // from +2000
  EXPECT_EQ(by_event.step.non_forward_ns, 2000u - 1100u);
  const CloseResult rest = steps->close_all(kT + 3200, kT + 3300, 1);
  ASSERT_EQ(rest.outcome, CloseOutcome::kStep);
  EXPECT_EQ(rest.step.launches, 2u);
  EXPECT_EQ(rest.step.forward_ns, 3300u - 2050u);  // the earliest start of the open segment
  EXPECT_EQ(rest.step.non_forward_ns, 0u);          // it began before the last wait returned
}

TEST(DeviceStepsTest, TheSharedLanesKeepStartsAndCountsExact) {
  // Use up the exclusive lanes, so the threads below use the shared lanes.
  for (unsigned i = 0; i < DeviceSteps::kExclusiveLanes; ++i) {
    on_new_thread([] { DeviceSteps::this_threads_lane_index(); });
  }
  auto steps = make_steps();
  // More threads than shared lanes: at least two share one.
  constexpr int kThreads = static_cast<int>(DeviceSteps::kSharedLanes) + 4;
  constexpr int kLaunches = 5000;
  std::vector<std::thread> threads;
  std::atomic<int> shared{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      if (DeviceSteps::is_shared_lane(DeviceSteps::this_threads_lane_index())) shared.fetch_add(1);
      for (int i = 0; i < kLaunches; ++i) {
        const std::uint64_t t0 = kT + 1000 + static_cast<std::uint64_t>(t) +
                                 static_cast<std::uint64_t>(i) * 10;
        steps->on_launch(t0, t0 + 3);
      }
    });
  }
  for (std::thread &thread : threads) thread.join();
  EXPECT_EQ(shared.load(), kThreads);
  const CloseResult closed = steps->close_all(kT + 1'000'000, kT + 1'000'100, 1);
  ASSERT_EQ(closed.outcome, CloseOutcome::kStep);
  EXPECT_EQ(closed.step.launches, std::uint64_t{kThreads} * kLaunches);
  EXPECT_EQ(closed.step.launch_api_ns, std::uint64_t{kThreads} * kLaunches * 3);
  // One of the threads' first launches (+1000 .. +1000 + kThreads - 1) opened the segment.
  EXPECT_GE(closed.step.forward_ns, 1'000'100u - 1000u - (kThreads - 1));
  EXPECT_LE(closed.step.forward_ns, 1'000'100u - 1000u);
  // Next segment: a launch on a shared lane after the cut starts it.
  on_new_thread([&] { steps->on_launch(kT + 2'000'000, kT + 2'000'005); });
  const CloseResult next = steps->close_all(kT + 2'000'100, kT + 2'000'200, 1);
  ASSERT_EQ(next.outcome, CloseOutcome::kStep);
  EXPECT_EQ(next.step.launches, 1u);
  EXPECT_EQ(next.step.forward_ns, 200u);
}

TEST(DeviceStepsTest, ResetForgetsEverything) {
  auto steps = make_steps();
  steps->on_launch(kT, kT + 10);
  steps->on_collective(kT + 20, kT + 30);
  steps->cut();
  steps->on_launch(kT + 40, kT + 50);
  ASSERT_EQ(steps->close_all(kT + 100, kT + 200, 1).outcome, CloseOutcome::kStep);
  steps->on_launch(kT + 300, kT + 310);
  steps->reset();  // a fork child
  EXPECT_EQ(steps->close_all(kT + 400, kT + 500, 1).outcome, CloseOutcome::kNoStep);
  EXPECT_EQ(steps->cut(), 0u);
  steps->on_launch(kT + 1000, kT + 1004);
  steps->on_launch(kT + 1100, kT + 1104);
  const CloseResult closed = steps->close_all(kT + 1200, kT + 1300, 1);
  ASSERT_EQ(closed.outcome, CloseOutcome::kStep);
  EXPECT_EQ(closed.step.launches, 2u);
  EXPECT_EQ(closed.step.launch_api_ns, 8u);
  EXPECT_EQ(closed.step.collectives, 0u);
  EXPECT_FALSE(closed.step.has_non_forward);  // the child's first step
  EXPECT_EQ(closed.step.forward_ns, 300u);
}

}  // namespace
}  // namespace npuprobe::probes::testing
