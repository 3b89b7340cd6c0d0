// `npuprobe top`'s table from hand-made folder contents: which samples count for a device, the
// rates and interval means between two snapshots, and the text the terminal gets.
#include "top_table.h"

#include <gtest/gtest.h>

namespace npuprobe::cli::top {
namespace {

constexpr const char *kPrefix = "vllm_profiling_";

store::Sample sample(const std::string &name, const std::string &dp, const std::string &device,
                     double value, store::LabelPairs extra = {}) {
  store::LabelPairs labels = std::move(extra);
  labels.emplace_back("device", device);
  labels.emplace_back("dp", dp);
  return {kPrefix + name, labels, value};
}

store::CollectedFamily family(const std::string &name, const std::string &type,
                              std::vector<store::Sample> samples) {
  return {kPrefix + name, "", type, std::move(samples)};
}

// Cumulative totals of two devices (dp 0 / device 0, dp 1 / device 1) after `steps` steps of
// 2 ms forward, 1 ms kernel_launch, 0.5 ms non_forward and 0.25 ms launch API time, 10 aclnn and
// 2 graph launches each; device 0 also has 0.4 s of kernel time per 100 steps and 0.3 ms of
// collective host time per step (device 1 has no npu:step_hccl_duration: an older folder).
std::vector<store::CollectedFamily> folder_after(double steps) {
  std::vector<store::CollectedFamily> families;
  std::vector<store::Sample> step_samples, launch_samples, busy;
  for (const char *id : {"0", "1"}) {
    step_samples.push_back(sample("npu:steps_total", id, id, steps));
    launch_samples.push_back(sample("npu:launches_total", id, id, 10 * steps, {{"api", "aclnn"}}));
    launch_samples.push_back(sample("npu:launches_total", id, id, 2 * steps, {{"api", "graph"}}));
  }
  families.push_back(family("npu:steps", "counter", step_samples));
  families.push_back(family("npu:launches", "counter", launch_samples));
  const auto histogram = [&](const std::string &name, double seconds_per_step, double count) {
    std::vector<store::Sample> samples;
    for (const char *id : {"0", "1"}) {
      samples.push_back(sample(name + "_bucket", id, id, count, {{"le", "+Inf"}}));
      samples.push_back(sample(name + "_count", id, id, count));
      samples.push_back(sample(name + "_sum", id, id, seconds_per_step * count));
    }
    families.push_back(family(name, "histogram", samples));
  };
  histogram("npu:forward_duration", 0.002, steps);
  histogram("npu:kernel_launch", 0.001, steps);
  histogram("npu:non_forward_duration", 0.0005, steps - 1);  // none for a device's first step
  histogram("npu:launch_api_duration", 0.00025, steps);
  families.push_back(family("npu:step_hccl_duration", "histogram",
                            {sample("npu:step_hccl_duration_count", "0", "0", steps),
                             sample("npu:step_hccl_duration_sum", "0", "0", 0.0003 * steps)}));
  families.push_back(family("npu:device_busy", "counter",
                            {sample("npu:device_busy_total", "0", "0", 0.004 * steps)}));
  return families;
}

TEST(TopTable, SnapshotSumsEveryApiAndLiveProcessPerDevice) {
  std::vector<store::CollectedFamily> families = folder_after(100);
  // v1 gauges (liveall) carry a pid label: two processes on device 1 hold 1 MiB and 3 MiB.
  families.push_back(
      family("npu:memory:allocated_bytes", "gauge",
             {sample("npu:memory:allocated_bytes", "1", "1", 1 << 20, {{"pid", "7"}}),
              sample("npu:memory:allocated_bytes", "1", "1", 3 << 20, {{"pid", "8"}})}));
  // Not per device, or not npuprobe's: ignored.
  families.push_back({std::string(kPrefix) + "npuprobe:info",
                      "",
                      "gauge",
                      {{std::string(kPrefix) + "npuprobe:info", {{"version", "0.1.0"}}, 1}}});
  families.push_back(
      family("vllm:num_requests", "gauge", {sample("vllm:num_requests", "0", "0", 5)}));

  const Snapshot snapshot = snapshot_of(families, 12.5);
  EXPECT_EQ(snapshot.time_s, 12.5);
  ASSERT_EQ(snapshot.devices.size(), 2u);
  const DeviceTotals &zero = snapshot.devices.at({"0", "0"});
  EXPECT_EQ(zero.steps, 100);
  EXPECT_EQ(zero.launches, 1200);
  EXPECT_DOUBLE_EQ(zero.forward.sum, 0.2);
  EXPECT_EQ(zero.forward.count, 100);
  EXPECT_EQ(zero.non_forward.count, 99);
  EXPECT_FALSE(zero.allocated_bytes.has_value());
  ASSERT_TRUE(zero.device_busy_s.has_value());
  EXPECT_DOUBLE_EQ(*zero.device_busy_s, 0.4);
  const DeviceTotals &one = snapshot.devices.at({"1", "1"});
  ASSERT_TRUE(one.allocated_bytes.has_value());
  EXPECT_EQ(*one.allocated_bytes, 4 << 20);
  EXPECT_FALSE(one.device_busy_s.has_value());
}

TEST(TopTable, RowsAreRatesAndMeansOverTheInterval) {
  const Snapshot before = snapshot_of(folder_after(100), 10.0);
  const Snapshot after = snapshot_of(folder_after(300), 12.0);  // 200 steps in 2 s
  const std::vector<Row> rows = rows_between(before, after);
  ASSERT_EQ(rows.size(), 2u);
  const Row &row = rows[0];
  EXPECT_EQ(row.key.dp, "0");
  EXPECT_DOUBLE_EQ(row.steps_per_s, 100);
  EXPECT_DOUBLE_EQ(row.launches_per_s, 1200);
  EXPECT_NEAR(*row.forward_ms, 2.0, 1e-9);
  EXPECT_NEAR(*row.kernel_launch_ms, 1.0, 1e-9);
  EXPECT_NEAR(*row.non_forward_ms, 0.5, 1e-9);
  EXPECT_NEAR(*row.launch_api_ms_per_step, 0.25, 1e-9);
  EXPECT_NEAR(*row.host_wait_share, 0.5 / 2.5, 1e-9);
  EXPECT_NEAR(*row.busy_percent, 100.0 * 0.8 / 2.0, 1e-9);
  EXPECT_NEAR(*row.comm_share, 0.3 / 2.0, 1e-9);  // collective host time / forward
  EXPECT_FALSE(rows[1].busy_percent.has_value());
  EXPECT_FALSE(rows[1].comm_share.has_value());
}

TEST(TopTable, AnIdleIntervalHasNoMeans) {
  const Snapshot before = snapshot_of(folder_after(100), 10.0);
  const Snapshot after = snapshot_of(folder_after(100), 11.0);
  const Row row = rows_between(before, after).at(0);
  EXPECT_EQ(row.steps_per_s, 0);
  EXPECT_FALSE(row.forward_ms.has_value());
  EXPECT_FALSE(row.host_wait_share.has_value());
  EXPECT_FALSE(row.comm_share.has_value());
  EXPECT_EQ(*row.busy_percent, 0);
}

TEST(TopTable, ADroppedCounterCountsAsAReset) {
  // `npuprobe gc` removed a dead process's files: totals went down; the new value is the increase.
  const Snapshot before = snapshot_of(folder_after(500), 10.0);
  const Snapshot after = snapshot_of(folder_after(50), 11.0);
  const Row row = rows_between(before, after).at(0);
  EXPECT_DOUBLE_EQ(row.steps_per_s, 50);
  EXPECT_NEAR(*row.forward_ms, 2.0, 1e-9);
  EXPECT_NEAR(*row.comm_share, 0.15, 1e-9);
}

TEST(TopTable, DevicesSortNumerically) {
  std::vector<store::Sample> steps;
  for (const char *device : {"10", "2", "x", "0"})
    steps.push_back(sample("npu:steps_total", "0", device, 1));
  const Snapshot snapshot = snapshot_of({family("npu:steps", "counter", steps)}, 1);
  std::vector<std::string> order;
  for (const auto &entry : snapshot.devices) order.push_back(entry.first.device);
  EXPECT_EQ(order, (std::vector<std::string>{"0", "2", "10", "x"}));
}

TEST(TopTable, TableShowsBusyOnlyWhenSomeDeviceHasIt) {
  const std::vector<Row> rows =
      rows_between(snapshot_of(folder_after(100), 10), snapshot_of(folder_after(300), 12));
  const std::string with_busy = format_table(rows);
  EXPECT_NE(with_busy.find("busy%"), std::string::npos) << with_busy;
  // Device 1 has no busy value: "-" in its last column.
  EXPECT_NE(with_busy.find("-\n"), std::string::npos) << with_busy;

  std::vector<Row> without = rows;
  for (Row &row : without) row.busy_percent.reset();
  const std::string text = format_table(without);
  EXPECT_EQ(text.find("busy%"), std::string::npos) << text;
  EXPECT_EQ(text,
            "  dp device   steps/s  launches/s   forward kernel_launch non_forward host_wait% "
            " comm% launch_api/step  alloc_MiB\n"
            "   0      0     100.0      1200.0     2.000         1.000       0.500       20.0 "
            "  15.0           0.250          -\n"
            "   1      1     100.0      1200.0     2.000         1.000       0.500       20.0 "
            "     -           0.250          -\n");
}

}  // namespace
}  // namespace npuprobe::cli::top
