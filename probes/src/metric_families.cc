#include "metric_families.h"

#include <set>
#include <vector>

#include "npuprobe/base/log.h"

namespace npuprobe::probes {
namespace {

using store::counter_spec;
using store::gauge_spec;
using store::histogram_spec;

// Bucket bounds, the one place they are chosen. Literals, not computed: the `le` label prints
// the double exactly, and 2.5 * 1e-5 is not 2.5e-5. Constant arrays, not vectors: no static
// constructor in a preloaded library (another library's constructor may call in first).
// Step phases and blocking waits: 10 us to 5 minutes, 1-2.5-5 per decade.
constexpr double kStepSeconds[] = {1e-5, 2.5e-5, 5e-5,  1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
                                   5e-3, 0.01,   0.025, 0.05, 0.1,    0.25, 0.5,  1,
                                   2.5,  5,      10,    25,   50,     100,  250,  300};
// One intercepted call (launch, allocation): 1 us to 1 s.
constexpr double kCallSeconds[] = {1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5, 1e-4,
                                   2.5e-4, 5e-4,   1e-3, 2.5e-3, 5e-3,   0.01, 0.025,
                                   0.05,   0.1,    0.25, 0.5,    1};
// Device execution time of one kernel (MSPTI records): 0.5 us to 1 s.
constexpr double kKernelSeconds[] = {5e-7,  1e-6,   2.5e-6, 5e-6, 1e-5,   2.5e-5, 5e-5,
                                     1e-4,  2.5e-4, 5e-4,   1e-3, 2.5e-3, 5e-3,   0.01,
                                     0.025, 0.05,   0.1,    0.25, 0.5,    1};
// Launches per step: powers of two up to 65536.
constexpr double kLaunchCounts[] = {1,   2,    4,    8,    16,   32,    64,    128,  256,
                                    512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};

constexpr std::string_view kDropReasonLabels[kDropReasonCount] = {
    "device_id",          "event_table_full", "concurrent_close", "free_unknown_pointer",
    "pointer_table_full", "error_table_full", "op_table_full",    "mspti_buffer",
    "op_series_full",     "op_unnamed",        "mspti_time_base",  "hccl_op"};

// Cells kept free for series that are not per device (npuprobe:dropped, api errors, frees of
// unknown pointers, task-time kernel types): far more than they ever take.
constexpr std::uint32_t kReservedOtherCells = 4096;

template <std::size_t N>
std::vector<double> bounds(const double (&list)[N]) {
  return std::vector<double>(list, list + N);
}

}  // namespace

MetricFamilies::MetricFamilies(store::MetricRegistry &registry, const ProbeOptions &options)
    : registry_(registry), dp_(options.dp) {
  const std::string &p = options.metric_prefix;
  const std::vector<std::string> device{"dp", "device"};
  const std::vector<std::string> api{"dp", "device", "api"};
  std::set<std::string> unused_buckets;
  for (const auto &[family, edges] : options.buckets) unused_buckets.insert(family);
  const auto add = [&](store::FamilySpec spec) {
    if (auto custom = options.buckets.find(spec.name);
        custom != options.buckets.end() && spec.type == store::MetricType::kHistogram) {
      spec.bucket_bounds = custom->second;
      unused_buckets.erase(spec.name);
    }
    spec.name = p + spec.name;
    return registry_.add_family(spec);
  };
  Ids &f = ids_;
  f.forward = add(histogram_spec("npu:forward_duration",
                                 "Step start to the return of the blocking wait that ends the step",
                                 device, bounds(kStepSeconds)));
  f.kernel_launch = add(histogram_spec("npu:kernel_launch",
                                       "Step start to the end of the last launch in the step",
                                       device, bounds(kStepSeconds)));
  f.non_forward = add(histogram_spec("npu:non_forward_duration",
                                     "End of the previous step to the start of this step", device,
                                     bounds(kStepSeconds)));
  f.sync_wait = add(histogram_spec("npu:sync_wait_duration",
                                   "Host time blocked in the wait that ended the step", device,
                                   bounds(kStepSeconds)));
  f.launch_api_duration = add(histogram_spec("npu:launch_api_duration",
                                             "Time spent inside launch calls during the step",
                                             device, bounds(kStepSeconds)));
  f.launches_per_step = add(histogram_spec("npu:launches_per_step", "Launches in the step", device,
                                           bounds(kLaunchCounts)));
  f.step_hccl_duration = add(histogram_spec(
      "npu:step_hccl_duration", "Host time spent inside collective calls during the step", device,
      bounds(kStepSeconds)));
  f.steps = add(counter_spec("npu:steps", "Steps completed", device));
  f.launches = add(counter_spec("npu:launches", "Launch-class calls", api));
  f.launch_latency = add(histogram_spec(
      "npu:launch_latency", "Host time inside one launch-class call", api, bounds(kCallSeconds)));
  f.syncs = add(counter_spec("npu:syncs", "Blocking waits", api));
  f.sync_latency = add(histogram_spec("npu:sync_latency", "Host time inside one blocking wait", api,
                                      bounds(kStepSeconds)));
  f.api_errors = add(counter_spec("npu:api_errors", "Intercepted calls that returned non-zero",
                                  {"dp", "device", "api", "code"}));
  f.allocated_bytes = add(gauge_spec("npu:memory:allocated_bytes",
                                     "Device bytes held through the ACL allocation calls", device));
  f.peak_allocated_bytes = add(
      gauge_spec("npu:memory:peak_allocated_bytes", "Highest allocated_bytes since start", device));
  f.host_pinned_bytes = add(gauge_spec("npu:memory:host_pinned_bytes",
                                       "Pinned host bytes held through aclrtMallocHost", device));
  f.allocs = add(counter_spec("npu:memory:allocs", "Successful device allocation calls", device));
  f.frees = add(counter_spec("npu:memory:frees", "Successful device free calls", device));
  f.alloc_failures =
      add(counter_spec("npu:memory:alloc_failures", "Failed allocation calls", device));
  f.alloc_latency =
      add(histogram_spec("npu:memory:alloc_latency", "Host time of one allocation call", device,
                         bounds(kCallSeconds)));
  f.hbm_used_bytes = add(gauge_spec("npu:memory:hbm_used_bytes",
                                    "Device HBM in use, sampled with aclrtGetMemInfo", device));
  f.hbm_total_bytes = add(gauge_spec("npu:memory:hbm_total_bytes",
                                     "Device HBM capacity, sampled with aclrtGetMemInfo", device));
  f.dropped = add(counter_spec("npuprobe:dropped", "Events the probes could not account for",
                               {"dp", "reason"}));
  if (options.op_label) {
    const std::vector<std::string> op{"dp", "device", "op"};
    f.op_launches = add(counter_spec("npu:op_launches", "Launches of one aclnn op", op));
    f.op_launch_latency =
        add(histogram_spec("npu:op_launch_latency", "Host time inside one launch of an aclnn op",
                           op, bounds(kCallSeconds)));
  }
  if (options.task_time) {
    const std::vector<std::string> type{"dp", "device", "type"};
    f.kernel_exec_duration = add(histogram_spec("npu:kernel_exec_duration",
                                                "Device execution time of each kernel record", type,
                                                bounds(kKernelSeconds)));
    f.kernels = add(counter_spec("npu:kernels", "Kernel records received", type));
    f.device_busy =
        add(counter_spec("npu:device_busy",
                         "Summed device execution seconds (rate() = device utilization)", device));
  }
  if (options.task_time && has_filter(options.api_filter)) {
    f.api_exec_duration =
        add(histogram_spec("npu:api_exec_duration",
                           "Host time of each ACL API call MSPTI reported (api_filter)", api,
                           bounds(kCallSeconds)));
  }
  reserve_core_cells(options);
  // Histograms that exist only with an option: an override for them is not unknown.
  if (!options.op_label) unused_buckets.erase("npu:op_launch_latency");
  unused_buckets.erase("npu:hccl_launch_latency");  // CollectiveProbe's (collective_probe.cc)
  if (!options.task_time) unused_buckets.erase("npu:kernel_exec_duration");
  if (!options.task_time || !has_filter(options.api_filter)) {
    unused_buckets.erase("npu:api_exec_duration");
  }
  for (const std::string &family : unused_buckets) {
    base::log_message(base::LogLevel::kWarn,
                       "buckets.%s: npuprobe has no histogram of that name (ignored)",
                       family.c_str());
  }
}

std::string_view to_string(DropReason reason) {
  return kDropReasonLabels[static_cast<int>(reason)];
}

// The op-labelled series are the detail that gets cut when the registry runs low: the core
// series of every device that may ever show up (kMaxDevices) are reserved up front, whatever
// order devices and ops arrive in, so a flood of ops on the first devices cannot leave a later
// device without its step and launch metrics.
void MetricFamilies::reserve_core_cells(const ProbeOptions &options) {
  if (!options.op_label) return;  // nothing is detail: first come, first served
  store::MetricRegistry &r = registry_;
  r.mark_detail(ids_.op_launches);
  r.mark_detail(ids_.op_launch_latency);
  const Ids &f = ids_;
  std::uint32_t per_device = 0;
  for (store::FamilyId id : {f.forward, f.kernel_launch, f.non_forward, f.sync_wait,
                             f.launch_api_duration, f.launches_per_step, f.step_hccl_duration,
                             f.steps, f.allocs, f.frees, f.alloc_failures, f.alloc_latency}) {
    per_device += r.cells_per_series(id);
  }
  per_device += kLaunchApiCount * (r.cells_per_series(f.launches) +
                                   r.cells_per_series(f.launch_latency));
  per_device += kSyncApiCount * (r.cells_per_series(f.syncs) + r.cells_per_series(f.sync_latency));
  if (options.task_time) per_device += r.cells_per_series(f.device_busy);
  r.reserve_cells(kMaxDevices * per_device + kReservedOtherCells);
}

DeviceHandles MetricFamilies::resolve_device(int device) const {
  store::MetricRegistry &r = registry_;
  const std::string id = std::to_string(device);
  const std::vector<std::string> labels{dp_, id};
  DeviceHandles h;
  h.forward = r.histogram(ids_.forward, labels);
  h.kernel_launch = r.histogram(ids_.kernel_launch, labels);
  h.non_forward = r.histogram(ids_.non_forward, labels);
  h.sync_wait = r.histogram(ids_.sync_wait, labels);
  h.launch_api_duration = r.histogram(ids_.launch_api_duration, labels);
  h.launches_per_step = r.histogram(ids_.launches_per_step, labels);
  h.step_hccl_duration = r.histogram(ids_.step_hccl_duration, labels);
  h.steps = r.counter(ids_.steps, labels);
  for (int a = 0; a < kLaunchApiCount; ++a) {
    const std::vector<std::string> api{dp_, id, std::string(to_string(LaunchApi(a)))};
    h.launches[a] = r.counter(ids_.launches, api);
    h.launch_latency[a] = r.histogram(ids_.launch_latency, api);
  }
  for (int a = 0; a < kSyncApiCount; ++a) {
    const std::vector<std::string> api{dp_, id, std::string(to_string(SyncApi(a)))};
    h.syncs[a] = r.counter(ids_.syncs, api);
    h.sync_latency[a] = r.histogram(ids_.sync_latency, api);
  }
  h.allocated_bytes = r.gauge(ids_.allocated_bytes, labels);
  h.peak_allocated_bytes = r.gauge(ids_.peak_allocated_bytes, labels);
  h.host_pinned_bytes = r.gauge(ids_.host_pinned_bytes, labels);
  h.allocs = r.counter(ids_.allocs, labels);
  h.frees = r.counter(ids_.frees, labels);
  h.alloc_failures = r.counter(ids_.alloc_failures, labels);
  h.alloc_latency = r.histogram(ids_.alloc_latency, labels);
  return h;
}

store::CounterHandle MetricFamilies::resolve_dropped(DropReason reason) const {
  return registry_.counter(ids_.dropped,
                           {dp_, std::string(kDropReasonLabels[static_cast<int>(reason)])});
}

store::CounterHandle MetricFamilies::resolve_api_error(const std::string &api, int code) const {
  return registry_.counter(ids_.api_errors,
                           {dp_, std::string(kUnknownDevice), api, std::to_string(code)});
}

store::CounterHandle MetricFamilies::resolve_unknown_device_frees() const {
  return registry_.counter(ids_.frees, {dp_, std::string(kUnknownDevice)});
}

OpHandles MetricFamilies::resolve_op(int device, const std::string &op) const {
  const std::vector<std::string> labels{dp_, std::to_string(device), op};
  const auto [launches, latency] =
      registry_.counter_and_histogram(ids_.op_launches, ids_.op_launch_latency, labels);
  return {launches, latency};
}

KernelTypeHandles MetricFamilies::resolve_kernel_type(int device, const std::string &type) const {
  const std::vector<std::string> labels{dp_, std::to_string(device), type};
  return {registry_.counter(ids_.kernels, labels),
          registry_.histogram(ids_.kernel_exec_duration, labels)};
}

HbmHandles MetricFamilies::resolve_hbm(int device) const {
  const std::vector<std::string> labels{dp_, std::to_string(device)};
  return {registry_.gauge(ids_.hbm_used_bytes, labels),
          registry_.gauge(ids_.hbm_total_bytes, labels)};
}

store::HistogramHandle MetricFamilies::resolve_api_record(const std::string &api) const {
  return registry_.histogram(ids_.api_exec_duration, {dp_, std::string(kUnknownDevice), api});
}

store::CounterHandle MetricFamilies::resolve_device_busy(int device) const {
  return registry_.counter(ids_.device_busy, {dp_, std::to_string(device)});
}

}  // namespace npuprobe::probes
