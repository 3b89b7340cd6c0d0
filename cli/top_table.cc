#include "top_table.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>

namespace npuprobe::cli::top {
namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string label(const store::LabelPairs &labels, const std::string &name) {
  for (const auto &[key, value] : labels) {
    if (key == name) return value;
  }
  return "";
}

// Label values that are numbers sort as numbers ("2" before "10"), the rest after, by text.
std::pair<long, std::string> sort_key(const std::string &text) {
  char *end = nullptr;
  const long number = std::strtol(text.c_str(), &end, 10);
  if (!text.empty() && end != nullptr && *end == '\0') return {number, ""};
  return {std::numeric_limits<long>::max(), text};
}

// A counter's increase; a drop means the folder lost files (npuprobe gc) or a process restarted,
// so the new value is taken as the increase, as Prometheus does on a counter reset.
double increase(double before, double after) {
  return after >= before ? after - before : after;
}

// The interval's part of a histogram (a reset: the whole of the later one).
SumCount interval_part(const SumCount &before, const SumCount &after) {
  if (after.count < before.count) return after;
  return {after.sum - before.sum, after.count - before.count};
}

std::optional<double> interval_mean_ms(const SumCount &before, const SumCount &after) {
  const bool reset = after.count < before.count;
  const double count = reset ? after.count : after.count - before.count;
  const double sum = reset ? after.sum : after.sum - before.sum;
  if (count <= 0) return std::nullopt;
  return 1000.0 * sum / count;
}

// Adds one sample to the totals of its device, if it is one of the metrics top shows.
void add_sample(const std::string &family, const store::Sample &sample, DeviceTotals &totals) {
  const std::string_view name = sample.name;
  const auto histogram_part = [&](std::string_view metric, SumCount &into) {
    if (!ends_with(family, metric)) return;
    if (ends_with(name, "_sum")) into.sum += sample.value;
    if (ends_with(name, "_count")) into.count += sample.value;
  };
  if (ends_with(family, "npu:steps") && ends_with(name, "_total")) totals.steps += sample.value;
  if (ends_with(family, "npu:launches") && ends_with(name, "_total"))
    totals.launches += sample.value;
  histogram_part("npu:forward_duration", totals.forward);
  histogram_part("npu:kernel_launch", totals.kernel_launch);
  histogram_part("npu:non_forward_duration", totals.non_forward);
  histogram_part("npu:launch_api_duration", totals.launch_api);
  if (ends_with(family, "npu:step_hccl_duration")) {
    if (!totals.step_hccl) totals.step_hccl = SumCount{};
    histogram_part("npu:step_hccl_duration", *totals.step_hccl);
  }
  // v1 gauges are `liveall`: one sample per live process, each holding its own allocations.
  if (ends_with(family, "npu:memory:allocated_bytes"))
    totals.allocated_bytes = totals.allocated_bytes.value_or(0) + sample.value;
  if (ends_with(family, "npu:device_busy") && ends_with(name, "_total"))
    totals.device_busy_s = totals.device_busy_s.value_or(0) + sample.value;
}

std::string fixed(const std::optional<double> &value, int decimals) {
  if (!value) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, *value);
  return text;
}

}  // namespace

bool DeviceKey::operator<(const DeviceKey &other) const {
  return std::make_pair(sort_key(dp), sort_key(device)) <
         std::make_pair(sort_key(other.dp), sort_key(other.device));
}

Snapshot snapshot_of(const std::vector<store::CollectedFamily> &families, double time_s) {
  Snapshot snapshot;
  snapshot.time_s = time_s;
  for (const store::CollectedFamily &family : families) {
    if (family.name.find("npu:") == std::string::npos) continue;
    for (const store::Sample &sample : family.samples) {
      const std::string device = label(sample.labels, "device");
      if (device.empty()) continue;  // not a per-device series
      add_sample(family.name, sample, snapshot.devices[{label(sample.labels, "dp"), device}]);
    }
  }
  return snapshot;
}

std::vector<Row> rows_between(const Snapshot &before, const Snapshot &after) {
  const double seconds = after.time_s - before.time_s;
  std::vector<Row> rows;
  for (const auto &[key, now] : after.devices) {
    static const DeviceTotals kNothing;
    const auto found = before.devices.find(key);
    const DeviceTotals &then = found == before.devices.end() ? kNothing : found->second;
    Row row;
    row.key = key;
    if (seconds > 0) {
      row.steps_per_s = increase(then.steps, now.steps) / seconds;
      row.launches_per_s = increase(then.launches, now.launches) / seconds;
      if (now.device_busy_s)
        row.busy_percent =
            100.0 * increase(then.device_busy_s.value_or(0), *now.device_busy_s) / seconds;
    }
    row.forward_ms = interval_mean_ms(then.forward, now.forward);
    row.kernel_launch_ms = interval_mean_ms(then.kernel_launch, now.kernel_launch);
    row.non_forward_ms = interval_mean_ms(then.non_forward, now.non_forward);
    row.launch_api_ms_per_step = interval_mean_ms(then.launch_api, now.launch_api);
    if (row.forward_ms && row.non_forward_ms && *row.forward_ms + *row.non_forward_ms > 0)
      row.host_wait_share = *row.non_forward_ms / (*row.forward_ms + *row.non_forward_ms);
    if (now.step_hccl) {
      const SumCount forward = interval_part(then.forward, now.forward);
      const SumCount hccl = interval_part(then.step_hccl.value_or(SumCount{}), *now.step_hccl);
      if (forward.count > 0 && forward.sum > 0) row.comm_share = hccl.sum / forward.sum;
    }
    row.allocated_bytes = now.allocated_bytes;
    rows.push_back(row);
  }
  return rows;
}

std::string format_table(const std::vector<Row> &rows) {
  bool any_busy = false;
  for (const Row &row : rows) any_busy = any_busy || row.busy_percent.has_value();
  char line[256];
  std::snprintf(line, sizeof line, "%4s %6s %9s %11s %9s %13s %11s %10s %6s %15s %10s", "dp",
                "device", "steps/s", "launches/s", "forward", "kernel_launch", "non_forward",
                "host_wait%", "comm%", "launch_api/step", "alloc_MiB");
  std::string out = line;
  out += any_busy ? "      busy%\n" : "\n";
  for (const Row &row : rows) {
    std::optional<double> wait_percent, comm_percent, mib;
    if (row.host_wait_share) wait_percent = 100.0 * *row.host_wait_share;
    if (row.comm_share) comm_percent = 100.0 * *row.comm_share;
    if (row.allocated_bytes) mib = *row.allocated_bytes / (1024.0 * 1024.0);
    std::snprintf(line, sizeof line, "%4s %6s %9.1f %11.1f %9s %13s %11s %10s %6s %15s %10s",
                  row.key.dp.empty() ? "-" : row.key.dp.c_str(), row.key.device.c_str(),
                  row.steps_per_s, row.launches_per_s, fixed(row.forward_ms, 3).c_str(),
                  fixed(row.kernel_launch_ms, 3).c_str(), fixed(row.non_forward_ms, 3).c_str(),
                  fixed(wait_percent, 1).c_str(), fixed(comm_percent, 1).c_str(),
                  fixed(row.launch_api_ms_per_step, 3).c_str(), fixed(mib, 1).c_str());
    out += line;
    if (any_busy) {
      std::snprintf(line, sizeof line, " %10s", fixed(row.busy_percent, 1).c_str());
      out += line;
    }
    out += "\n";
  }
  return out;
}

}  // namespace npuprobe::cli::top
