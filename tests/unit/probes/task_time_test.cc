// Task time (acl_task_time = 2): MSPTI kernel records -> npu:kernels{type},
// npu:kernel_exec_duration{type} and npu:device_busy; the kernel filter, the families' absence
// without task_time, bad devices and the bound on types per device.
#include <string>
#include <thread>
#include <vector>

#include "probe_fixture.h"

namespace npuprobe::probes::testing {
namespace {

constexpr std::string_view kAicore = "KERNEL_AICORE";
constexpr std::string_view kAivec = "KERNEL_AIVEC";
constexpr std::string_view kAicpu = "KERNEL_AICPU";

Labels dev_type(int device, const std::string &type) {
  return {"0", std::to_string(device), type};
}

class TaskTimeTest : public ProbeTest {
 protected:
  TaskTimeTest() { configure(task_time_options()); }

  static ProbeOptions task_time_options() {
    ProbeOptions options;
    options.task_time = true;
    return options;
  }

  // A kernel of `duration` on `device` starting at `start`.
  void kernel(int device, std::string_view type, std::uint64_t duration,
              std::string_view name = "aclnnMatMul_0", std::uint64_t start = kStart) {
    probes().on_kernel_record(KernelRecord{device, start, start + duration, type, name});
  }
};

TEST_F(TaskTimeTest, CountsAndSumsPerDeviceAndType) {
  kernel(0, kAicore, 10 * kUs);
  kernel(0, kAicore, 20 * kUs);
  kernel(0, kAicore, 30 * kUs);
  kernel(0, kAivec, 5 * kUs);
  kernel(0, kAivec, 5 * kUs);
  kernel(1, kAicpu, 100 * kUs);
  const MetricReader m = read();
  EXPECT_EQ(m.series_count("npu:kernels"), 3u);
  EXPECT_EQ(m.series_count("npu:kernel_exec_duration"), 3u);
  EXPECT_EQ(m.series_count("npu:device_busy"), 2u);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, "KERNEL_AICORE")), 3);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, "KERNEL_AIVEC")), 2);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(1, "KERNEL_AICPU")), 1);

  const HistogramValue aicore =
      m.histogram("npu:kernel_exec_duration", dev_type(0, "KERNEL_AICORE"));
  EXPECT_EQ(aicore.count, 3);
  EXPECT_NEAR(aicore.sum, 60e-6, 1e-15);
  // Bounds 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, ...: 10 us in le=1e-5 (index 4),
  // 20 us in le=2.5e-5, 30 us in le=5e-5.
  ASSERT_EQ(aicore.buckets.size(), 21u) << "20 built-in bounds and +Inf";
  EXPECT_EQ(aicore.buckets[4], 1);
  EXPECT_EQ(aicore.buckets[5], 1);
  EXPECT_EQ(aicore.buckets[6], 1);
  const HistogramValue aivec = m.histogram("npu:kernel_exec_duration", dev_type(0, "KERNEL_AIVEC"));
  EXPECT_EQ(aivec.count, 2);
  EXPECT_NEAR(aivec.sum, 10e-6, 1e-15);
  EXPECT_EQ(aivec.buckets[3], 2) << "5 us in le=5e-6";
  const HistogramValue aicpu = m.histogram("npu:kernel_exec_duration", dev_type(1, "KERNEL_AICPU"));
  EXPECT_EQ(aicpu.count, 1);
  EXPECT_NEAR(aicpu.sum, 100e-6, 1e-15);

  EXPECT_NEAR(m.counter("npu:device_busy", dev(0)), 70e-6, 1e-15);
  EXPECT_NEAR(m.counter("npu:device_busy", dev(1)), 100e-6, 1e-15);
  // Kernel records are not launches: no per-device launch series appear.
  EXPECT_EQ(m.series_count("npu:launches"), 0u);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "device_id"}), 0);
}

TEST_F(TaskTimeTest, DeviceBusyIsTheSumOfEveryDuration) {
  const std::string_view types[] = {kAicore, kAivec, kAicpu};
  std::uint64_t total_ns = 0;
  std::uint64_t t = kStart;
  for (int i = 0; i < 300; ++i) {
    const std::uint64_t duration = (1 + static_cast<std::uint64_t>(i) * 7919 % 5000) * 100;
    kernel(2, types[i % 3], duration, "k", t);
    total_ns += duration;
    t += duration + 3 * kUs;
  }
  const MetricReader m = read();
  double histogram_sums = 0;
  double counts = 0;
  for (std::string_view type : types) {
    const HistogramValue h =
        m.histogram("npu:kernel_exec_duration", dev_type(2, std::string(type)));
    histogram_sums += h.sum;
    counts += h.count;
    EXPECT_EQ(m.counter("npu:kernels", dev_type(2, std::string(type))), 100);
  }
  EXPECT_EQ(counts, 300);
  const double busy = m.counter("npu:device_busy", dev(2));
  EXPECT_NEAR(busy, seconds(total_ns), 1e-12);
  EXPECT_NEAR(busy, histogram_sums, 1e-12);
}

TEST_F(TaskTimeTest, EndBeforeStartCountsWithDurationZero) {
  probes().on_kernel_record(KernelRecord{0, kStart + 5 * kUs, kStart, kAicore, "k"});
  probes().on_kernel_record(KernelRecord{0, kStart, kStart, kAicore, "k"});
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, "KERNEL_AICORE")), 2);
  const HistogramValue h = m.histogram("npu:kernel_exec_duration", dev_type(0, "KERNEL_AICORE"));
  EXPECT_EQ(h.count, 2);
  EXPECT_EQ(h.sum, 0);
  EXPECT_EQ(h.buckets[0], 2) << "0 s falls in the first bucket";
  EXPECT_EQ(m.counter("npu:device_busy", dev(0)), 0);
}

// A record in raw device-counter ticks (MSPTI without the device's frequency): counted, its
// duration unknown, so no duration and no busy time; each one counted as mspti_time_base.
TEST_F(TaskTimeTest, AnUntimedRecordIsCountedWithoutDuration) {
  KernelRecord ticks{1, 1000, 1500, kAicore, "k"};
  ticks.timed = false;
  probes().on_kernel_record(ticks);
  probes().on_kernel_record(ticks);
  kernel(1, kAicore, 10 * kUs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:kernels", dev_type(1, "KERNEL_AICORE")), 3);
  const HistogramValue h = m.histogram("npu:kernel_exec_duration", dev_type(1, "KERNEL_AICORE"));
  EXPECT_EQ(h.count, 1);
  EXPECT_NEAR(h.sum, 10e-6, 1e-15);
  EXPECT_NEAR(m.counter("npu:device_busy", dev(1)), 10e-6, 1e-15);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "mspti_time_base"}), 2);
}

TEST_F(TaskTimeTest, AnEmptyTypeIsUnknown) {
  kernel(0, "", 1 * kUs);
  EXPECT_EQ(read().counter("npu:kernels", dev_type(0, "unknown")), 1);
}

TEST_F(TaskTimeTest, FilterKeepsNamesContainingAnyEntryAndCountsNothingElse) {
  ProbeOptions options = task_time_options();
  options.kernel_filter = {"MatMul", "Add"};
  configure(options);
  kernel(0, kAicore, 10 * kUs, "aclnnMatMul_3_MatMulV2");
  kernel(0, kAicore, 20 * kUs, "AddKernel");
  kernel(0, kAivec, 40 * kUs, "aclnnAdd_1");
  kernel(0, kAicore, 1000 * kUs, "Softmax");    // filtered out
  kernel(0, "KERNEL_MIX", 1000 * kUs, "Gelu");  // filtered out: no series either
  kernel(-1, kAicore, 1 * kUs, "Softmax");      // filtered out before the device
  kernel(0, kAicore, 1000 * kUs, "matmul");     // case matters
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, "KERNEL_AICORE")), 2);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, "KERNEL_AIVEC")), 1);
  EXPECT_FALSE(m.has("npu:kernels", dev_type(0, "KERNEL_MIX")));
  EXPECT_EQ(m.series_count("npu:kernels"), 2u);
  EXPECT_NEAR(m.histogram("npu:kernel_exec_duration", dev_type(0, "KERNEL_AICORE")).sum, 30e-6,
              1e-15);
  EXPECT_NEAR(m.counter("npu:device_busy", dev(0)), 70e-6, 1e-15);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "device_id"}), 0);
}

TEST_F(TaskTimeTest, EmptyFilterEntriesAreIgnored) {
  ProbeOptions options = task_time_options();
  options.kernel_filter = {""};  // no real entry: keep all
  configure(options);
  kernel(0, kAicore, 1 * kUs, "Softmax");
  EXPECT_EQ(read().counter("npu:kernels", dev_type(0, "KERNEL_AICORE")), 1);

  options.kernel_filter = {"", "MatMul"};  // one real entry: it alone decides
  configure(options);
  kernel(0, kAicore, 1 * kUs, "Softmax");
  kernel(0, kAicore, 1 * kUs, "MatMul");
  EXPECT_EQ(read().counter("npu:kernels", dev_type(0, "KERNEL_AICORE")), 1);
}

TEST_F(TaskTimeTest, FamiliesExistOnlyWithTaskTime) {
  {
    const MetricReader m = read();  // task_time: registered, no series before a record
    EXPECT_TRUE(m.has_family("npu:kernel_exec_duration"));
    EXPECT_TRUE(m.has_family("npu:kernels"));
    EXPECT_TRUE(m.has_family("npu:device_busy"));
    EXPECT_EQ(m.series_count("npu:kernels"), 0u);
    EXPECT_EQ(m.series_count("npu:device_busy"), 0u);
  }
  configure(ProbeOptions{});
  kernel(0, kAicore, 10 * kUs);
  kernel(99, kAicore, 10 * kUs);  // ignored too: not even a drop
  const MetricReader m = read();
  EXPECT_FALSE(m.has_family("npu:kernel_exec_duration"));
  EXPECT_FALSE(m.has_family("npu:kernels"));
  EXPECT_FALSE(m.has_family("npu:device_busy"));
  EXPECT_TRUE(m.has_family("npu:launches"));
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "device_id"}), 0);
}

TEST_F(TaskTimeTest, ADeviceOutOfRangeIsDropped) {
  kernel(-1, kAicore, 10 * kUs);
  kernel(kMaxDevices, kAicore, 10 * kUs);
  kernel(kMaxDevices - 1, kAicore, 10 * kUs);  // the last valid one
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "device_id"}), 2);
  EXPECT_EQ(m.series_count("npu:kernels"), 1u);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(kMaxDevices - 1, "KERNEL_AICORE")), 1);
  EXPECT_EQ(m.series_count("npu:device_busy"), 1u);
}

TEST_F(TaskTimeTest, TypesBeyondTheBoundShareOther) {
  const auto type = [](int i) { return "TYPE_" + std::to_string(i); };
  for (int i = 0; i < kMaxKernelTypesPerDevice; ++i) kernel(0, type(i), 1 * kUs);
  for (int i = kMaxKernelTypesPerDevice; i < kMaxKernelTypesPerDevice + 6; ++i) {
    kernel(0, type(i), 2 * kUs);
  }
  kernel(0, type(0), 1 * kUs);                             // a known type keeps its own series
  kernel(1, type(kMaxKernelTypesPerDevice + 1), 1 * kUs);  // another device: its own bound
  const MetricReader m = read();
  EXPECT_EQ(m.series_count("npu:kernels"), static_cast<std::size_t>(kMaxKernelTypesPerDevice) + 2);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, type(0))), 2);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, type(kMaxKernelTypesPerDevice - 1))), 1);
  EXPECT_FALSE(m.has("npu:kernels", dev_type(0, type(kMaxKernelTypesPerDevice))));
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, "other")), 6);
  EXPECT_NEAR(m.histogram("npu:kernel_exec_duration", dev_type(0, "other")).sum, 12e-6, 1e-15);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(1, type(kMaxKernelTypesPerDevice + 1))), 1);
  EXPECT_NEAR(m.counter("npu:device_busy", dev(0)), (kMaxKernelTypesPerDevice + 1 + 12) * 1e-6,
              1e-12);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"0", "device_id"}), 0);
}

TEST_F(TaskTimeTest, BucketsCanBeOverridden) {
  ProbeOptions options = task_time_options();
  options.buckets["npu:kernel_exec_duration"] = {1e-5, 1e-3};
  configure(options);
  kernel(0, kAicore, 5 * kUs);
  kernel(0, kAicore, 50 * kUs);
  kernel(0, kAicore, 5 * kMs);
  const HistogramValue h =
      read().histogram("npu:kernel_exec_duration", dev_type(0, "KERNEL_AICORE"));
  EXPECT_EQ(h.buckets, (std::vector<double>{1, 1, 1}));
}

TEST_F(TaskTimeTest, RecordsFromSeveralThreadsAllCount) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every thread meets new (device, type) pairs: resolution races with recording.
        const std::string type = "T" + std::to_string(i % 8);
        kernel(t % 2, type, 1 * kUs);
      }
    });
  }
  for (std::thread &thread : threads) thread.join();
  const MetricReader m = read();
  double total = 0;
  for (int device = 0; device < 2; ++device) {
    for (int i = 0; i < 8; ++i)
      total += m.counter("npu:kernels", dev_type(device, "T" + std::to_string(i)));
  }
  EXPECT_EQ(total, kThreads * kPerThread);
  EXPECT_NEAR(m.counter("npu:device_busy", dev(0)) + m.counter("npu:device_busy", dev(1)),
              kThreads * kPerThread * 1e-6, 1e-9);
}

TEST_F(TaskTimeTest, RecordsCountAfterAForkReset) {
  kernel(0, kAicore, 1 * kUs);
  probes().reset_after_fork();
  kernel(0, kAicore, 1 * kUs);
  kernel(0, kAivec, 1 * kUs);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, "KERNEL_AICORE")), 2);
  EXPECT_EQ(m.counter("npu:kernels", dev_type(0, "KERNEL_AIVEC")), 1);
}


// API records (kind API, collected only when api_filter names some): npu:api_exec_duration{api}
// with device="-1", filtered by name; absent without an api_filter.
TEST_F(TaskTimeTest, ApiRecordsNeedAnApiFilterAndKeepOnlyMatchingNames) {
  probes().on_api_record(ApiRecord{kStart, kStart + 5 * kUs, "aclnnMatMul"});
  EXPECT_FALSE(read().has_family("npu:api_exec_duration")) << "no api_filter: no family";

  ProbeOptions options = task_time_options();
  options.api_filter = {"MatMul", "", "Launch"};
  configure(options);
  probes().on_api_record(ApiRecord{kStart, kStart + 5 * kUs, "aclnnMatMul"});
  probes().on_api_record(ApiRecord{kStart, kStart + 15 * kUs, "aclnnMatMul"});
  probes().on_api_record(ApiRecord{kStart, kStart + 2 * kUs, "aclrtLaunchKernel"});
  probes().on_api_record(ApiRecord{kStart, kStart + 9 * kUs, "aclrtSynchronizeStream"});
  const MetricReader m = read();
  EXPECT_EQ(m.series_count("npu:api_exec_duration"), 2u);
  const HistogramValue matmul = m.histogram("npu:api_exec_duration", {"0", "-1", "aclnnMatMul"});
  EXPECT_EQ(matmul.count, 2);
  EXPECT_NEAR(matmul.sum, 20e-6, 1e-15);
  EXPECT_EQ(m.histogram("npu:api_exec_duration", {"0", "-1", "aclrtLaunchKernel"}).count, 1);
}

TEST_F(TaskTimeTest, ApiNamesBeyondTheBoundShareOther) {
  ProbeOptions options = task_time_options();
  options.api_filter = {"acl"};
  configure(options);
  std::vector<std::string> names;
  for (int i = 0; i < kMaxApiRecordNames + 3; ++i) names.push_back("aclApi" + std::to_string(i));
  for (const std::string &name : names) probes().on_api_record(ApiRecord{kStart, kStart + kUs, name});
  const MetricReader m = read();
  EXPECT_EQ(m.series_count("npu:api_exec_duration"), std::size_t(kMaxApiRecordNames) + 1);
  EXPECT_EQ(m.histogram("npu:api_exec_duration", {"0", "-1", "other"}).count, 3);
}

TEST_F(TaskTimeTest, LostRecordsAreCountedAsMsptiBufferDrops) {
  EXPECT_EQ(read().counter("npuprobe:dropped", {"0", "mspti_buffer"}), 0);
  probes().on_task_time_records_lost(7);
  probes().on_task_time_records_lost(0);
  probes().on_task_time_records_lost(5);
  EXPECT_EQ(read().counter("npuprobe:dropped", {"0", "mspti_buffer"}), 12);
}

}  // namespace
}  // namespace npuprobe::probes::testing
