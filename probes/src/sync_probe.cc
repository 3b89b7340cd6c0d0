// Probes: event records and blocking waits, which cut and close the steps of the step model
// (device_steps.h), and the observation of a closed step.
#include "probes_state.h"

namespace npuprobe::probes {

void Probes::State::observe_step(int device, const StepSample &step) noexcept {
  const DeviceHandles &h = device_handles(device);
  const store::MetricRegistry::Recorder r = registry.recorder();  // one shard lookup
  r.add(h.steps);
  r.observe_ns(h.forward, step.forward_ns);
  r.observe_ns(h.kernel_launch, step.kernel_launch_ns);
  r.observe_ns(h.sync_wait, step.sync_wait_ns);
  r.observe_ns(h.launch_api_duration, step.launch_api_ns);
  r.observe_ns(h.step_hccl_duration, step.hccl_ns);  // 0 in a step without collectives
  r.observe(h.launches_per_step, static_cast<double>(step.launches));
  if (step.has_non_forward) r.observe_ns(h.non_forward, step.non_forward_ns);
}

void Probes::on_record_event(int device, const void *event, std::uint64_t /*t_ns*/) noexcept {
  State &s = *state_;
  if (!State::valid_device(device)) return s.drop(DropReason::kDeviceId);
  if (!s.steps.on_record_event(device, event)) s.drop(DropReason::kEventTableFull);
}

void Probes::on_destroy_event(const void *event) noexcept {
  if (event != nullptr) state_->steps.on_destroy_event(event);
}

void Probes::on_sync(int device, SyncApi api, const void *event, std::uint64_t t0_ns,
                     std::uint64_t t1_ns) noexcept {
  State &s = *state_;
  const auto index = static_cast<unsigned>(api);
  if (!State::valid_device(device) || index >= kSyncApiCount) {
    return s.drop(DropReason::kDeviceId);
  }
  const DeviceHandles &h = s.device_handles(device);
  const store::MetricRegistry::Recorder r = s.registry.recorder();  // one shard lookup
  r.add(h.syncs[index]);
  r.observe_ns(h.sync_latency[index], elapsed_ns(t0_ns, t1_ns));

  // A stream or device wait with nothing new to close (the common second wait of a pair, or
  // a second thread waiting on the same device) ends here, having written nothing shared.
  if (api != SyncApi::kEvent && s.steps.nothing_to_close(device)) return;
  const StepTracker::Closed closed = api == SyncApi::kEvent
                                         ? s.steps.close_event(device, event, t0_ns, t1_ns)
                                         : s.steps.close_all_now(device, t0_ns, t1_ns);
  switch (closed.result.outcome) {
    case CloseOutcome::kStep:
      s.observe_step(closed.device, closed.result.step);
      break;
    case CloseOutcome::kBusy:
      s.drop(DropReason::kConcurrentClose);
      break;
    case CloseOutcome::kNoStep:
      break;
  }
}

}  // namespace npuprobe::probes
