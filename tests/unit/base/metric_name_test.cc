// base/metric_name.h: prometheus_client's name rules.
#include "npuprobe/base/metric_name.h"

#include <gtest/gtest.h>

namespace npuprobe::base {
namespace {

TEST(MetricName, MetricNames) {
  for (const char *ok : {"a", "_a", ":a", "npu:kernel_seconds", "A9_:"}) {
    EXPECT_TRUE(is_valid_metric_name(ok)) << ok;
  }
  for (const char *bad : {"", "9a", "a-b", "a b", "é", "a.b"}) {
    EXPECT_FALSE(is_valid_metric_name(bad)) << bad;
  }
}

TEST(MetricName, LabelNames) {
  for (const char *ok : {"a", "_a", "device_id", "A9"}) EXPECT_TRUE(is_valid_label_name(ok)) << ok;
  for (const char *bad : {"", "9a", "a:b", "__name__", "__x", "a-b"}) {
    EXPECT_FALSE(is_valid_label_name(bad)) << bad;
  }
}

}  // namespace
}  // namespace npuprobe::base
