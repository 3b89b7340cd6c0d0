// `npuprobe top`'s numbers, apart from the terminal: per (dp, device) totals read from one
// snapshot of a store folder, and the rows of the table computed from two snapshots (rates and
// interval means from counter and _sum/_count deltas, as Prometheus' rate() would give them).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::cli::top {

// A histogram's _sum and _count, the two numbers an interval mean needs.
struct SumCount {
  double sum = 0;
  double count = 0;
};

// Cumulative values of one (dp, device) at one moment.
struct DeviceTotals {
  double steps = 0;
  double launches = 0;  // every api
  SumCount forward, kernel_launch, non_forward, launch_api;
  std::optional<SumCount> step_hccl;      // absent: a folder without npu:step_hccl_duration
  std::optional<double> allocated_bytes;  // a gauge: the value now, not a delta
  std::optional<double> device_busy_s;    // only with task time (MSPTI) on
};

// (dp, device) label values; ordered numerically where they are numbers.
struct DeviceKey {
  std::string dp, device;
  bool operator<(const DeviceKey &other) const;
};

struct Snapshot {
  double time_s = 0;  // a monotonic clock reading
  std::map<DeviceKey, DeviceTotals> devices;
};

// Totals per device from the collected families. Metric names are matched by their suffix
// ("npu:steps", ...) so that any configured metric_prefix works.
Snapshot snapshot_of(const std::vector<store::CollectedFamily> &families, double time_s);

struct Row {
  DeviceKey key;
  double steps_per_s = 0;
  double launches_per_s = 0;
  // Means over the interval in ms; empty when no step ended in it.
  std::optional<double> forward_ms, kernel_launch_ms, non_forward_ms, launch_api_ms_per_step;
  // non_forward / (forward + non_forward) of the interval means: the share of a step the NPU
  // waits on the host.
  std::optional<double> host_wait_share;
  // step_hccl_duration / forward_duration, sums over the interval: the share of the steps' time
  // the host spent inside collective calls (docs/contract.md). Empty without steps in it.
  std::optional<double> comm_share;
  std::optional<double> allocated_bytes;
  std::optional<double> busy_percent;  // rate of npu:device_busy_total, x100
};

// One row per device present in `after`, rates over after.time_s - before.time_s.
std::vector<Row> rows_between(const Snapshot &before, const Snapshot &after);

// The plain-text table: a header line, one line per row, "-" where a value is missing; the
// busy% column only when some row has it.
std::string format_table(const std::vector<Row> &rows);

}  // namespace npuprobe::cli::top
