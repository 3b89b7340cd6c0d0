// Names registered by the preload, API error counts by code (moved into the registry at flush),
// op-labelled launches, and the families' names and labels.
#include "probe_fixture.h"

namespace npuprobe::probes::testing {
namespace {

class ErrorsAndNamesTest : public ProbeTest {};

TEST_F(ErrorsAndNamesTest, NamesGetStableIdsFromOne) {
  EXPECT_EQ(probes().register_api("aclrtMalloc"), 1u);
  EXPECT_EQ(probes().register_api("aclrtFree"), 2u);
  EXPECT_EQ(probes().register_api("aclrtMalloc"), 1u);
  EXPECT_EQ(probes().register_op("aclnnMatMul"), 1u);  // ops are numbered on their own
  EXPECT_EQ(probes().register_op("aclnnAdd"), 2u);
  EXPECT_EQ(probes().register_op("aclnnMatMul"), 1u);
}

TEST_F(ErrorsAndNamesTest, ApiErrorsByCodeAppearAtFlush) {
  const std::uint32_t malloc_id = probes().register_api("aclrtMalloc");
  const std::uint32_t free_id = probes().register_api("aclrtFree");
  for (int i = 0; i < 3; ++i) probes().on_api_error(malloc_id, 207001);
  probes().on_api_error(malloc_id, -1);
  probes().on_api_error(free_id, 107000);
  probes().on_api_error(free_id, 0);                     // not an error
  EXPECT_EQ(read().series_count("npu:api_errors"), 0u);  // not before the flush

  probes().before_flush();
  MetricReader m = read();
  EXPECT_EQ(m.series_count("npu:api_errors"), 3u);
  EXPECT_EQ(m.counter("npu:api_errors", {"0", "-1", "aclrtMalloc", "207001"}), 3);
  EXPECT_EQ(m.counter("npu:api_errors", {"0", "-1", "aclrtMalloc", "-1"}), 1);
  EXPECT_EQ(m.counter("npu:api_errors", {"0", "-1", "aclrtFree", "107000"}), 1);

  // Only what is new is added at the next flush.
  probes().on_api_error(malloc_id, 207001);
  probes().before_flush();
  probes().before_flush();
  m = read();
  EXPECT_EQ(m.counter("npu:api_errors", {"0", "-1", "aclrtMalloc", "207001"}), 4);
  EXPECT_EQ(m.counter("npu:api_errors", {"0", "-1", "aclrtFree", "107000"}), 1);
}

TEST_F(ErrorsAndNamesTest, AnUnregisteredApiIdIsNamedUnknown) {
  probes().on_api_error(42, 5);
  probes().before_flush();
  EXPECT_EQ(read().counter("npu:api_errors", {"0", "-1", "unknown", "5"}), 1);
}

TEST_F(ErrorsAndNamesTest, OpLabelsOnlyWhenAskedAndOnlyForOpsThatRan) {
  const std::uint32_t matmul = probes().register_op("aclnnMatMul");
  probes().on_launch(0, LaunchApi::kAclnn, kStart, kStart + 10 * kUs, matmul);
  EXPECT_EQ(read().series_count("npu:op_launches"), 0u);

  ProbeOptions options;
  options.op_label = true;
  configure(options);
  const std::uint32_t add = probes().register_op("aclnnAdd");
  const std::uint32_t mm = probes().register_op("aclnnMatMul");
  probes().register_op("aclnnNeverCalled");
  for (int i = 0; i < 3; ++i) {
    probes().on_launch(0, LaunchApi::kAclnn, kStart, kStart + 10 * kUs, add);
  }
  probes().on_launch(1, LaunchApi::kAclnn, kStart, kStart + 20 * kUs, mm);
  probes().on_launch(1, LaunchApi::kAclnn, kStart, kStart + 20 * kUs);  // no op id
  const MetricReader m = read();
  EXPECT_EQ(m.series_count("npu:op_launches"), 2u);
  EXPECT_EQ(m.counter("npu:op_launches", {"0", "0", "aclnnAdd"}), 3);
  EXPECT_EQ(m.counter("npu:op_launches", {"0", "1", "aclnnMatMul"}), 1);
  const HistogramValue latency = m.histogram("npu:op_launch_latency", {"0", "0", "aclnnAdd"});
  EXPECT_EQ(latency.count, 3);
  EXPECT_NEAR(latency.sum, 30e-6, 1e-12);
  EXPECT_EQ(m.counter("npu:launches", dev_api(1, "aclnn")), 2);
}

TEST_F(ErrorsAndNamesTest, PrefixAndDpLabelComeFromTheOptions) {
  ProbeOptions options;
  options.metric_prefix = "custom_";
  options.dp = "3";
  configure(options);
  probes().on_launch(0, LaunchApi::kGraph, kStart, kStart + 1 * kUs);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 2 * kMs);
  const MetricReader m(registry(), "custom_");
  EXPECT_EQ(m.counter("npu:steps", {"3", "0"}), 1);
  EXPECT_EQ(m.counter("npu:launches", {"3", "0", "graph"}), 1);
  EXPECT_EQ(m.counter("npuprobe:dropped", {"3", "device_id"}), 0);
}

TEST_F(ErrorsAndNamesTest, BucketOverridesReplaceOnlyTheNamedHistograms) {
  ProbeOptions options;
  options.buckets["npu:forward_duration"] = {0.001, 1};
  options.buckets["npu:steps"] = {1, 2};  // a counter: no buckets to replace
  configure(options);
  launch(0, 2, kStart);
  sync(0, SyncApi::kStream, kStart + 1 * kMs, kStart + 3 * kMs);  // forward: 3 ms
  const HistogramValue forward = read().histogram("npu:forward_duration", dev(0));
  EXPECT_EQ(forward.buckets, (std::vector<double>{0, 1, 0}));  // (0.001, 1]; +Inf last
  EXPECT_EQ(read().histogram("npu:sync_wait_duration", dev(0)).buckets.size(), 25u)
      << "built-in: 24 bounds and +Inf";
  EXPECT_EQ(read().counter("npu:steps", dev(0)), 1);
}

TEST_F(ErrorsAndNamesTest, ABadPrefixIsRefusedAtConstruction) {
  store::MetricRegistry registry;
  ProbeOptions options;
  options.metric_prefix = "bad-prefix_";
  EXPECT_THROW(Probes(registry, options), store::MetricSpecError);
}

}  // namespace
}  // namespace npuprobe::probes::testing
