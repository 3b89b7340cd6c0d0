#include "device_steps.h"

#include <algorithm>

namespace npuprobe::probes {
namespace {

constexpr std::uint64_t elapsed(std::uint64_t from, std::uint64_t to) {
  return to > from ? to - from : 0;
}

}  // namespace

namespace {

// The lane index this thread claimed, plus one (0: none yet). initial-exec and trivial: inside
// an LD_PRELOAD library general-dynamic TLS may call malloc on a thread's first use, and a
// trivial type needs no TLS init wrapper or destructor. A fork child's only thread keeps its
// index, still its own.
thread_local unsigned tls_lane_plus_one __attribute__((tls_model("initial-exec"))) = 0;
std::atomic<unsigned> next_lane{0};

// Once per thread. Past the exclusive lanes the counter is no longer moved (no wrap-around
// after billions of threads could hand out an exclusive index twice).
__attribute__((noinline)) unsigned claim_lane() noexcept {
  unsigned index = DeviceSteps::kExclusiveLanes;  // not exclusive
  if (next_lane.load(std::memory_order_relaxed) < DeviceSteps::kExclusiveLanes) {
    index = next_lane.fetch_add(1, std::memory_order_relaxed);
  }
  if (index >= DeviceSteps::kExclusiveLanes) {
    // A shared lane: the thread pointer (or, without the builtin, the stack) tells threads
    // apart; threads' are a stack size apart, so a multiplicative hash spreads them.
#if defined(__has_builtin)
#if __has_builtin(__builtin_thread_pointer)
#define NPUPROBE_THREAD_POINTER() __builtin_thread_pointer()
#endif
#endif
#ifndef NPUPROBE_THREAD_POINTER
#define NPUPROBE_THREAD_POINTER() __builtin_frame_address(0)
#endif
    const auto pointer = reinterpret_cast<std::uintptr_t>(NPUPROBE_THREAD_POINTER());
    const auto hash = static_cast<std::uint64_t>(pointer) * 0x9E3779B97F4A7C15ULL;
    index = DeviceSteps::kExclusiveLanes +
            static_cast<unsigned>((hash >> 32) % DeviceSteps::kSharedLanes);
  }
  tls_lane_plus_one = index + 1;
  return index;
}

inline unsigned lane_index() noexcept {
  const unsigned plus_one = tls_lane_plus_one;
  return __builtin_expect(plus_one != 0, 1) ? plus_one - 1 : claim_lane();
}

}  // namespace

unsigned DeviceSteps::this_threads_lane_index() noexcept {
  return lane_index();
}

DeviceSteps::Lane &DeviceSteps::this_threads_lane(unsigned index) noexcept {
  Lane &lane = lanes_[index];
  // The lane's own flag, not the shared mask, is read on every call: the mask's line is written
  // only the first time a lane is used on this device.
  if (__builtin_expect(!lane.in_used_mask.load(std::memory_order_relaxed), 0)) {
    used_lanes_.fetch_or(1u << index, std::memory_order_acq_rel);
    lane.in_used_mask.store(true, std::memory_order_relaxed);
  }
  return lane;
}

namespace {

// One writer: a load and a store (no lock prefix), like the registry's cells.
inline void add_single_writer(std::atomic<std::uint64_t> &value, std::uint64_t amount) {
  value.store(value.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

}  // namespace

// A launch and a collective are both enqueues; each is counted, with its host time, in its own
// pair of the lane's fields.
inline __attribute__((always_inline)) void DeviceSteps::on_enqueue(
    std::atomic<std::uint64_t> Lane::*count, std::atomic<std::uint64_t> Lane::*host_ns,
    std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept {
  const unsigned index = lane_index();
  Lane &lane = this_threads_lane(index);
  if (__builtin_expect(!is_shared_lane(index), 1)) {
    open_segment(lane, t0_ns);
    add_single_writer(lane.*count, 1);
    add_single_writer(lane.*host_ns, elapsed(t0_ns, t1_ns));
  } else {
    on_shared_enqueue(lane, count, host_ns, t0_ns, t1_ns);
  }
  note_end(lane, t1_ns);
}

// A shared lane, for the threads past the exclusive lanes: read-modify-writes.
__attribute__((noinline)) void DeviceSteps::on_shared_enqueue(
    Lane &lane, std::atomic<std::uint64_t> Lane::*count, std::atomic<std::uint64_t> Lane::*host_ns,
    std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept {
  // Its writers' starts interleave: keep the earliest.
  std::uint64_t seen = lane.open_start.load(std::memory_order_relaxed);
  while ((seen == 0 || t0_ns < seen) &&
         !lane.open_start.compare_exchange_weak(seen, t0_ns, std::memory_order_relaxed)) {
  }
  (lane.*count).fetch_add(1, std::memory_order_relaxed);
  (lane.*host_ns).fetch_add(elapsed(t0_ns, t1_ns), std::memory_order_relaxed);
}

void DeviceSteps::on_launch(std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept {
  on_enqueue(&Lane::launches, &Lane::api_ns, t0_ns, t1_ns);
}

void DeviceSteps::on_collective(std::uint64_t t0_ns, std::uint64_t t1_ns) noexcept {
  on_enqueue(&Lane::collectives, &Lane::hccl_ns, t0_ns, t1_ns);
}

void DeviceSteps::open_segment(Lane &lane, std::uint64_t t0_ns) noexcept {
  // Relaxed is enough: a cut reads these on the same thread (torch's task queue launches and
  // records), and a close-everything wait on another thread takes whatever it sees as its cut.
  // The writer only ever replaces a 0 and a cut only ever stores 0, so a load and a store lose
  // nothing on a lane of one writer (whose starts only grow): a cut between them took 0.
  if (lane.open_start.load(std::memory_order_relaxed) == 0) {
    lane.open_start.store(t0_ns, std::memory_order_relaxed);
  }
}

DeviceSteps::Totals DeviceSteps::take_segment(std::uint64_t *first_start) noexcept {
  Totals totals;
  std::uint64_t start = 0;
  std::uint32_t used = used_lanes_.load(std::memory_order_acquire);
  while (used != 0) {
    Lane &lane = lanes_[__builtin_ctz(used)];
    used &= used - 1;
    // The start before the counts, as a launch writes them in the other order: a launch
    // counted here has its start taken here or by an earlier cut. Only a non-zero start is
    // taken (a lane idle since the last cut is not written).
    if (lane.open_start.load(std::memory_order_relaxed) != 0) {
      const std::uint64_t lane_start = lane.open_start.exchange(0, std::memory_order_acq_rel);
      if (lane_start != 0 && (start == 0 || lane_start < start)) start = lane_start;
    }
    totals.launches += lane.launches.load(std::memory_order_acquire);
    totals.api_ns += lane.api_ns.load(std::memory_order_acquire);
    totals.collectives += lane.collectives.load(std::memory_order_acquire);
    totals.hccl_ns += lane.hccl_ns.load(std::memory_order_acquire);
    totals.last_launch_end =
        std::max(totals.last_launch_end, lane.last_end.load(std::memory_order_acquire));
  }
  *first_start = start;
  return totals;
}

void DeviceSteps::note_end(Lane &lane, std::uint64_t t1_ns) noexcept {
  // A plain store, not a read-modify-write: a lane is one thread's (t1 only grows there); the
  // threads sharing a shared lane can at worst leave the end of a launch a few ns older
  // than the latest.
  if (t1_ns > lane.last_end.load(std::memory_order_relaxed)) {
    lane.last_end.store(t1_ns, std::memory_order_relaxed);
  }
}

std::uint64_t DeviceSteps::cut() noexcept {
  const std::uint64_t id = next_cut_.fetch_add(1, std::memory_order_acq_rel);
  Cut &slot = cuts_[id % kCutRing];
  // Seqlock write without fences (TSan does not model them): the field stores are release,
  // so a reader that sees any new field also sees the tag 0 stored before it.
  slot.tag.store(0, std::memory_order_relaxed);
  // note: not one atomic snapshot. A launch racing this cut from another thread may have its
  // start and its count fall on different sides; finish() copes with a step without a start.
  std::uint64_t first_start = 0;
  const Totals totals = take_segment(&first_start);
  slot.first_start.store(first_start, std::memory_order_release);
  slot.launches.store(totals.launches, std::memory_order_release);
  slot.api_ns.store(totals.api_ns, std::memory_order_release);
  slot.collectives.store(totals.collectives, std::memory_order_release);
  slot.hccl_ns.store(totals.hccl_ns, std::memory_order_release);
  slot.last_launch_end.store(totals.last_launch_end, std::memory_order_release);
  slot.tag.store(id + 1, std::memory_order_release);
  return id;
}

bool DeviceSteps::read_cut(std::uint64_t cut_id, Totals *totals,
                           std::uint64_t *first_start) const noexcept {
  const Cut &slot = cuts_[cut_id % kCutRing];
  if (slot.tag.load(std::memory_order_acquire) != cut_id + 1) return false;
  // Acquire loads: the second tag load below cannot move above them, and a field a newer
  // cut already rewrote makes that load see 0 or the newer id.
  totals->launches = slot.launches.load(std::memory_order_acquire);
  totals->api_ns = slot.api_ns.load(std::memory_order_acquire);
  totals->collectives = slot.collectives.load(std::memory_order_acquire);
  totals->hccl_ns = slot.hccl_ns.load(std::memory_order_acquire);
  totals->last_launch_end = slot.last_launch_end.load(std::memory_order_acquire);
  *first_start = slot.first_start.load(std::memory_order_acquire);
  // Seqlock check: the slot was not rewritten for a newer cut while we read it.
  return slot.tag.load(std::memory_order_relaxed) == cut_id + 1;
}

std::uint64_t DeviceSteps::first_start_of(std::uint64_t first_cut,
                                          std::uint64_t last_cut) const noexcept {
  // Cuts older than the ring are gone; the oldest one still remembered stands in for them.
  const std::uint64_t oldest_kept = last_cut + 1 > kCutRing ? last_cut + 1 - kCutRing : 0;
  for (std::uint64_t id = std::max(first_cut, oldest_kept); id <= last_cut; ++id) {
    Totals unused;
    std::uint64_t start = 0;
    if (read_cut(id, &unused, &start) && start != 0) return start;
  }
  return 0;
}

CloseResult DeviceSteps::close_through(std::uint64_t cut_id, std::uint64_t t0_ns,
                                       std::uint64_t t1_ns, std::uint64_t min_launches) noexcept {
  // Closed already (by a later event's wait or a stream sync): an empty wait, no write.
  if (cut_id < published_cut_.load(std::memory_order_acquire)) return {};
  if (closing_.exchange(true, std::memory_order_acquire)) return {CloseOutcome::kBusy, {}};
  CloseResult result;
  Totals totals;
  std::uint64_t unused = 0;
  if (cut_id < closed_cut_) {
    // Closed already (by a later event's wait or a stream sync): an empty wait.
  } else if (read_cut(cut_id, &totals, &unused)) {
    result =
        finish(cut_id + 1, totals, first_start_of(closed_cut_, cut_id), t0_ns, t1_ns, min_launches);
  } else {
    // The ring moved past this cut: close everything rather than guess.
    result = close_all_locked(t0_ns, t1_ns, min_launches);
  }
  closing_.store(false, std::memory_order_release);
  return result;
}

CloseResult DeviceSteps::close_all(std::uint64_t t0_ns, std::uint64_t t1_ns,
                                   std::uint64_t min_launches) noexcept {
  // Nothing cut or enqueued since the last close: closing would consume nothing and cut an
  // empty segment. Skip it without a write (a stream sync right after a device sync, two
  // threads waiting on one idle device).
  if (nothing_to_close()) return {};
  return close_all_now(t0_ns, t1_ns, min_launches);
}

CloseResult DeviceSteps::close_all_now(std::uint64_t t0_ns, std::uint64_t t1_ns,
                                       std::uint64_t min_launches) noexcept {
  if (closing_.exchange(true, std::memory_order_acquire)) return {CloseOutcome::kBusy, {}};
  const CloseResult result = close_all_locked(t0_ns, t1_ns, min_launches);
  closing_.store(false, std::memory_order_release);
  return result;
}

CloseResult DeviceSteps::close_all_locked(std::uint64_t t0_ns, std::uint64_t t1_ns,
                                          std::uint64_t min_launches) noexcept {
  // Cut the open segment too, so that launches after this wait start the next step, and events
  // recorded before it count as closed.
  const std::uint64_t id = next_cut_.fetch_add(1, std::memory_order_acq_rel);
  std::uint64_t open_start = 0;
  const Totals totals = take_segment(&open_start);
  std::uint64_t start = id > closed_cut_ ? first_start_of(closed_cut_, id - 1) : 0;
  if (start == 0) start = open_start;
  return finish(id + 1, totals, start, t0_ns, t1_ns, min_launches);
}

CloseResult DeviceSteps::finish(std::uint64_t next_open_cut, const Totals &totals,
                                std::uint64_t step_start, std::uint64_t t0_ns, std::uint64_t t1_ns,
                                std::uint64_t min_launches) noexcept {
  // Totals only grow, but two racing cutters may snapshot out of order: never go negative.
  const std::uint64_t launches = elapsed(closed_launches_, totals.launches);
  const std::uint64_t api_ns = elapsed(closed_api_ns_, totals.api_ns);
  const std::uint64_t collectives = elapsed(closed_collectives_, totals.collectives);
  const std::uint64_t hccl_ns = elapsed(closed_hccl_ns_, totals.hccl_ns);
  closed_cut_ = std::max(closed_cut_, next_open_cut);
  closed_launches_ = std::max(closed_launches_, totals.launches);
  closed_api_ns_ = std::max(closed_api_ns_, totals.api_ns);
  closed_collectives_ = std::max(closed_collectives_, totals.collectives);
  closed_hccl_ns_ = std::max(closed_hccl_ns_, totals.hccl_ns);
  published_enqueues_.store(closed_launches_ + closed_collectives_, std::memory_order_release);
  published_cut_.store(closed_cut_, std::memory_order_release);
  // Too little work: consumed, but no step; prev_step_end_ stays, so the idle gap goes on. A
  // collective is device work like a launch (a weight broadcast alone is a step).
  if (launches + collectives < min_launches) return {};

  // note: a start lost to a race or to ring overflow falls back to the last launch end.
  if (step_start == 0) step_start = totals.last_launch_end != 0 ? totals.last_launch_end : t0_ns;
  CloseResult result{CloseOutcome::kStep, {}};
  StepSample &step = result.step;
  step.launches = launches;
  step.launch_api_ns = api_ns;
  step.collectives = collectives;
  step.hccl_ns = hccl_ns;
  step.forward_ns = elapsed(step_start, t1_ns);
  step.kernel_launch_ns = elapsed(step_start, totals.last_launch_end);
  step.sync_wait_ns = elapsed(t0_ns, t1_ns);
  // Overlapping steps (the next began before this one's wait returned): 0, the device did not
  // wait for the host.
  step.has_non_forward = prev_step_end_ != 0;
  step.non_forward_ns = step.has_non_forward ? elapsed(prev_step_end_, step_start) : 0;
  prev_step_end_ = t1_ns;
  return result;
}

void DeviceSteps::reset() noexcept {
  for (Lane &lane : lanes_) {
    lane.launches.store(0, std::memory_order_relaxed);
    lane.api_ns.store(0, std::memory_order_relaxed);
    lane.collectives.store(0, std::memory_order_relaxed);
    lane.hccl_ns.store(0, std::memory_order_relaxed);
    lane.last_end.store(0, std::memory_order_relaxed);
    lane.open_start.store(0, std::memory_order_relaxed);
    lane.in_used_mask.store(false, std::memory_order_relaxed);
  }
  used_lanes_.store(0, std::memory_order_relaxed);
  next_cut_.store(0, std::memory_order_relaxed);
  for (Cut &slot : cuts_) slot.tag.store(0, std::memory_order_relaxed);
  closing_.store(false, std::memory_order_relaxed);
  published_cut_.store(0, std::memory_order_relaxed);
  published_enqueues_.store(0, std::memory_order_relaxed);
  closed_cut_ = 0;
  closed_launches_ = 0;
  closed_api_ns_ = 0;
  closed_collectives_ = 0;
  closed_hccl_ns_ = 0;
  prev_step_end_ = 0;
}

}  // namespace npuprobe::probes
