// Probes: construction, the cold entry points (names, flush, fork) and API errors. The launch,
// wait and memory entry points live in launch_probe.cc, sync_probe.cc and memory_probe.cc.
#include <new>
#include <utility>

#include "npuprobe/base/log.h"
#include "probes_state.h"

namespace npuprobe::probes {

Probes::State::State(store::MetricRegistry &metric_registry, ProbeOptions probe_options)
    : registry(metric_registry),
      options(std::move(probe_options)),
      families(registry, options),
      steps(options.min_launches_per_step) {
  // Not per device, and a zero here says "nothing dropped": resolved up front.
  for (int reason = 0; reason < kDropReasonCount; ++reason) {
    dropped[reason] = families.resolve_dropped(static_cast<DropReason>(reason));
  }
}

DeviceHandles Probes::State::resolve_device(int device) noexcept {
  try {
    return families.resolve_device(device);
  } catch (const std::exception &e) {
    // Default handles record into a sink: the device goes unmeasured, the host is unharmed.
    base::log_message(base::LogLevel::kWarn, "probes: no metrics for device %d: %s", device,
                       e.what());
    return DeviceHandles{};
  }
}

Probes::Probes(store::MetricRegistry &registry, ProbeOptions options)
    : state_(std::make_unique<State>(registry, std::move(options))) {}

Probes::~Probes() = default;

std::uint32_t Probes::register_api(std::string_view function_name) {
  return state_->api_names.id_of(function_name);
}

std::uint32_t Probes::register_op(std::string_view op_name) {
  return state_->op_names.id_of(op_name);
}

void Probes::on_api_error(std::uint32_t api, int code) noexcept {
  if (code == 0) return;  // not an error (and the table's empty key)
  if (!state_->errors.count(api, code)) state_->drop(DropReason::kErrorTableFull);
}

void Probes::State::log_first_drops() noexcept {
  static constexpr const char *kWhy[kDropReasonCount] = {
      "an event named a device id outside 0..63",
      "an event could not be remembered (event table full); its wait closed every open segment",
      "a wait arrived while another thread closed the same device's step",
      "a free of a pointer never seen allocated",
      "an allocation could not be remembered (pointer table full); its bytes are not counted",
      "an (api, error code) pair beyond the error table",
      "a (device, op) pair beyond the op table; its launches have no op-labelled series",
      "MSPTI activity records lost: no free buffer",
      "the registry's room for op-labelled series is full; launches of further (device, op) "
      "pairs are counted without their op series (every device's core series are reserved)",
      "aclnn launches of an op npuprobe cannot name (all aclnn thunks taken, or the op was "
      "called without dlsym) count in npu:launches{api=\"aclnn\"} without an op series",
      "MSPTI kernel records in raw device-counter ticks (MSPTI did not know the device's counter "
      "frequency): counted in npu:kernels, their durations not published (HCCL records in "
      "ticks: npu:hccl_duration not observed)",
      "MSPTI HCCL records of a function npuprobe does not know: not in npu:hccl_duration"};
  for (int r = 0; r < kDropReasonCount; ++r) {
    if (drop_logged[r] || !drop_seen[r].load(std::memory_order_relaxed)) continue;
    drop_logged[r] = true;
    const std::string_view reason = to_string(static_cast<DropReason>(r));
    base::log_message(base::LogLevel::kWarn,
                       "losing observations: %s; each is counted in npuprobe:dropped{reason=\"%.*s\"} "
                       "(logged once)",
                       kWhy[r], static_cast<int>(reason.size()), reason.data());
  }
}

void Probes::before_flush() noexcept {
  State &s = *state_;
  std::lock_guard<std::mutex> lock(s.flush_mutex);
  s.log_first_drops();
  for (int device = 0; device < kMaxDevices; ++device) {
    // Only devices that had an event: the others have no series and must not get any.
    if (!s.devices[device].once.ready()) continue;
    const DeviceHandles &h = s.devices[device].handles;
    const MemoryAccounting::Bytes bytes = s.memory.bytes(device);
    s.registry.set(h.allocated_bytes, static_cast<double>(bytes.allocated));
    s.registry.set(h.peak_allocated_bytes, static_cast<double>(bytes.peak_allocated));
    s.registry.set(h.host_pinned_bytes, static_cast<double>(bytes.host_pinned));
  }
  s.errors.flush(
      [&](std::uint32_t api, int code) -> store::CounterHandle {
        try {
          return s.families.resolve_api_error(s.api_names.name_of(api), code);
        } catch (const std::exception &e) {
          base::log_message(base::LogLevel::kWarn, "probes: api error counter: %s", e.what());
          return store::CounterHandle{};
        }
      },
      [&](store::CounterHandle counter, std::uint64_t delta) {
        s.registry.add(counter, static_cast<double>(delta));
      });
}

void Probes::set_min_launches_per_step(std::uint32_t min_launches) noexcept {
  state_->steps.set_min_launches(min_launches);
}

void Probes::reset_after_fork() noexcept {
  State &s = *state_;
  // Only this thread exists in the child. Handles stay (the registry keeps its series); a
  // resolution the parent's other threads had in progress starts over.
  new (&s.flush_mutex) std::mutex;  // see NameTable::reset_lock_after_fork
  s.api_names.reset_lock_after_fork();
  s.op_names.reset_lock_after_fork();
  s.kernel_series.reset_lock_after_fork();
  s.api_record_series.reset_lock_after_fork();
  for (State::DeviceSlot &slot : s.devices) slot.once.forget_unfinished();
  for (State::HbmSlot &slot : s.hbm) slot.once.forget_unfinished();
  s.unknown_frees_once.forget_unfinished();
  s.ops.forget_unfinished();
  s.steps.reset();
  s.memory.reset();
  s.errors.reset();
}

}  // namespace npuprobe::probes
