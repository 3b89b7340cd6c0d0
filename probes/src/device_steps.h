// The step model of one device (docs/architecture.md, "The step (phase) model").
//
// Launches and event records arrive on the device's launching thread(s); blocking waits arrive
// on another thread, concurrently with the next step's launches. Nothing here blocks.
//
// - Launch side: cumulative atomics (launches, launch API time, collectives and their host time,
//   end of the latest enqueue) and the start of the first enqueue of the open segment, all in
//   the launching thread's own lane: a launch reads and writes nothing else of the device. A
//   collective (HCCL) is an enqueue like a launch: it opens a step and ends its enqueue span, and
//   counts toward the step's minimum of work, but its host time is kept apart from launch API time.
// - Cut: every event record ends the open segment. Its id comes from a counter; a snapshot of
//   the cumulative atomics and the segment's first start go into a ring slot tagged with the id.
// - Close: a wait on an event closes every segment up to that event's cut, merged into one
//   step (deltas of the cumulative counts since the last close); any other wait cuts and closes
//   everything. One closer at a time per device (a try-flag); a second one is skipped. A wait
//   with nothing to close (no cut and no enqueue since the last close) returns at once, without
//   the try-flag or any write, so back-to-back waits and two threads waiting on one device
//   share the close line read-only.
#pragma once

#include <atomic>
#include <cstdint>

namespace npuprobe::probes {

struct StepSample {
  std::uint64_t launches = 0;
  std::uint64_t launch_api_ns = 0;
  std::uint64_t collectives = 0;       // HCCL collective calls in the step
  std::uint64_t hccl_ns = 0;           // host time inside them
  std::uint64_t forward_ns = 0;        // step start -> return of the wait
  std::uint64_t kernel_launch_ns = 0;  // step start -> end of the last launch
  std::uint64_t sync_wait_ns = 0;      // the wait itself
  bool has_non_forward = false;        // false for the device's first step
  std::uint64_t non_forward_ns = 0;    // previous step end -> step start, 0 when they overlap
};

enum class CloseOutcome {
  kStep,    // a step was closed: observe it
  kNoStep,  // nothing (or fewer than min launches) to close: the idle gap goes on
  kBusy,    // another thread is closing this device's steps right now; skipped
};

struct CloseResult {
  CloseOutcome outcome = CloseOutcome::kNoStep;
  StepSample step;
};

class DeviceSteps {
 public:
  // Cuts remembered per device: a wait on an event whose cut is older than this many cuts
  // closes everything instead (its step start falls back to the oldest remembered segment).
  static constexpr std::uint64_t kCutRing = 128;

  // Launch timestamps must be non-zero (CLOCK_MONOTONIC never is): 0 means "no launch yet".
  void on_launch(std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept;
  // A collective call (same timestamps rule): an enqueue whose host time is HCCL's, not launch
  // API time.
  void on_collective(std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept;
  // Ends the open segment; returns its cut id, to remember for the recorded event.
  std::uint64_t cut() noexcept;

  // `min_launches` >= 1, compared with the step's launches plus collectives. t0/t1: the wait's own
  // start and return.
  CloseResult close_through(std::uint64_t cut_id, std::uint64_t t0_ns, std::uint64_t t1_ns,
                            std::uint64_t min_launches) noexcept;
  CloseResult close_all(std::uint64_t t0_ns, std::uint64_t t1_ns,
                        std::uint64_t min_launches) noexcept;
  // No cut and no enqueue since the last close: close_all() would return kNoStep without a
  // write. Lock-free and read-only, so a caller can skip building a result at all.
  bool nothing_to_close() const noexcept;
  // close_all() without that check, for a caller that just made it.
  CloseResult close_all_now(std::uint64_t t0_ns, std::uint64_t t1_ns,
                            std::uint64_t min_launches) noexcept;

  // Only while no other thread uses this device (a fork child).
  void reset() noexcept;

 private:
  struct Totals {
    std::uint64_t launches = 0;
    std::uint64_t api_ns = 0;
    std::uint64_t collectives = 0;
    std::uint64_t hccl_ns = 0;
    std::uint64_t last_launch_end = 0;
  };
  // One cut, written like a seqlock: tag = 0 while written, then cut id + 1 (release).
  struct Cut {
    std::atomic<std::uint64_t> tag{0};
    std::atomic<std::uint64_t> launches{0};
    std::atomic<std::uint64_t> api_ns{0};
    std::atomic<std::uint64_t> collectives{0};
    std::atomic<std::uint64_t> hccl_ns{0};
    std::atomic<std::uint64_t> last_launch_end{0};
    std::atomic<std::uint64_t> first_start{0};  // first launch start of the segment it ended
  };

  // What a launch and a collective share: the open segment's first start in the lane (before
  // the counts, as a cut reads them) and the end of the latest enqueue (after).
  struct Lane;
  static void open_segment(Lane &lane, std::uint64_t t0_ns) noexcept;  // a lane of one writer
  static void note_end(Lane &lane, std::uint64_t t1_ns) noexcept;
  void on_enqueue(std::atomic<std::uint64_t> Lane::*count,
                  std::atomic<std::uint64_t> Lane::*host_ns, std::uint64_t t0_ns,
                  std::uint64_t t1_ns) noexcept;
  static void on_shared_enqueue(Lane &lane, std::atomic<std::uint64_t> Lane::*count,
                                std::atomic<std::uint64_t> Lane::*host_ns, std::uint64_t t0_ns,
                                std::uint64_t t1_ns) noexcept;
  bool read_cut(std::uint64_t cut_id, Totals *totals, std::uint64_t *first_start) const noexcept;
  std::uint64_t first_start_of(std::uint64_t first_cut, std::uint64_t last_cut) const noexcept;
  CloseResult close_all_locked(std::uint64_t t0_ns, std::uint64_t t1_ns,
                               std::uint64_t min_launches) noexcept;
  CloseResult finish(std::uint64_t next_open_cut, const Totals &totals, std::uint64_t step_start,
                     std::uint64_t t0_ns, std::uint64_t t1_ns, std::uint64_t min_launches) noexcept;

  // Launch side: one lane (cache line) per launching thread, so that two threads launching on
  // one device (torch's task queue and the main thread) do not bounce a line on every call; a
  // cut adds the lanes up. The first kExclusiveLanes threads of the process that ever enqueue
  // each claim a lane index of their own (the same in every device), once: a lane with one
  // writer is counted with a load and a store, no locked read-modify-write. Lanes are never
  // given back (no thread-exit hook), so later threads share the kSharedLanes lanes after
  // those, spread by a hash of the thread pointer (taken once) and counted with fetch_add:
  // launching threads born after many short-lived ones still rarely share a line.
 public:
  static constexpr unsigned kExclusiveLanes = 16;
  static constexpr unsigned kSharedLanes = 8;
  static constexpr unsigned kLanes = kExclusiveLanes + kSharedLanes;
  static constexpr bool is_shared_lane(unsigned index) { return index >= kExclusiveLanes; }
  // This thread's lane index (claimed on the first call); exposed for tests.
  static unsigned this_threads_lane_index() noexcept;

 private:
  struct alignas(64) Lane {
    std::atomic<std::uint64_t> launches{0};
    std::atomic<std::uint64_t> api_ns{0};
    std::atomic<std::uint64_t> collectives{0};
    std::atomic<std::uint64_t> hccl_ns{0};
    std::atomic<std::uint64_t> last_end{0};
    // The first start of this lane's enqueues since the last cut (0: none). Set by the lane's
    // writer when 0; a cut takes it (exchange with 0) only when it is not 0.
    std::atomic<std::uint64_t> open_start{0};
    std::atomic<bool> in_used_mask{false};  // its bit is set in used_lanes_ (a lane's own flag)
  };
  Lane &this_threads_lane(unsigned index) noexcept;
  // Cuts the open segment: takes every lane's open start (the earliest is the segment's, 0 if
  // none), then adds the lanes up.
  Totals take_segment(std::uint64_t *first_start) noexcept;
  std::uint64_t enqueues_now() const noexcept;  // launches + collectives of all lanes
  Lane lanes_[kLanes];
  // Read by cuts and closes; written once per lane ever used on this device.
  alignas(64) std::atomic<std::uint32_t> used_lanes_{0};  // a bit per lane ever written (rarely written)
  static_assert(kLanes <= 32, "used_lanes_ has a bit per lane");
  // Cut side.
  alignas(64) std::atomic<std::uint64_t> next_cut_{0};
  Cut cuts_[kCutRing];
  // Close side: plain fields, touched only by the thread holding closing_.
  alignas(64) std::atomic<bool> closing_{false};
  // What the last close consumed, for the lock-free empty check: written by the closer only
  // (under closing_), after its plain fields; read by any waiter.
  std::atomic<std::uint64_t> published_cut_{0};       // = closed_cut_
  std::atomic<std::uint64_t> published_enqueues_{0};  // = closed_launches_ + closed_collectives_
  std::uint64_t closed_cut_ = 0;  // the oldest cut not yet closed
  std::uint64_t closed_launches_ = 0;
  std::uint64_t closed_api_ns_ = 0;
  std::uint64_t closed_collectives_ = 0;
  std::uint64_t closed_hccl_ns_ = 0;
  std::uint64_t prev_step_end_ = 0;  // 0: no step yet
};

// Inline: every stream or device wait asks first (Probes::on_sync).
inline std::uint64_t DeviceSteps::enqueues_now() const noexcept {
  std::uint64_t enqueues = 0;
  std::uint32_t used = used_lanes_.load(std::memory_order_acquire);
  while (used != 0) {
    const Lane &lane = lanes_[__builtin_ctz(used)];
    used &= used - 1;
    enqueues += lane.launches.load(std::memory_order_acquire) +
                lane.collectives.load(std::memory_order_acquire);
  }
  return enqueues;
}

inline bool DeviceSteps::nothing_to_close() const noexcept {
  // The published cut first: both only grow, and published_cut_ <= next_cut_, so equal values
  // mean that, when next_cut_ was read, every cut was closed. Acquire on the published values:
  // lane counts read after them are at least what that close consumed, so equal enqueues mean
  // no launch or collective visible now was left out. One racing this wait is taken by the
  // next close that sees it, as one that falls after a close always was.
  const std::uint64_t closed_cut = published_cut_.load(std::memory_order_acquire);
  const std::uint64_t closed_enqueues = published_enqueues_.load(std::memory_order_acquire);
  return next_cut_.load(std::memory_order_acquire) == closed_cut &&
         enqueues_now() == closed_enqueues;
}

}  // namespace npuprobe::probes
