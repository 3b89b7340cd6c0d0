// Accept and Accept-Encoding as the /metrics server decides them
// (store/http/content_negotiation.cc).
#include "npuprobe/store/content_negotiation.h"

#include <gtest/gtest.h>

namespace npuprobe::store {
namespace {

TEST(AcceptsGzip, OnlyWithAQValueAboveZero) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("deflate, gzip;q=0.5, br"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("gzip; q=1.000"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;Q=0.000"));
  EXPECT_FALSE(accepts_gzip("gzipped"));
  EXPECT_FALSE(accepts_gzip("deflate;q=1, gzip;q=0"));
}

TEST(AcceptsGzip, WildcardCountsOnlyWhenGzipIsNotNamed) {
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("br, *;q=0.1"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.2, *;q=0"));
}

TEST(AcceptsGzip, MalformedQValuesMakeTheItemUnlisted) {
  EXPECT_FALSE(accepts_gzip("gzip;q=2"));
  EXPECT_FALSE(accepts_gzip("gzip;q=1.5"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.0001"));
  EXPECT_FALSE(accepts_gzip("gzip;q=high"));
  EXPECT_FALSE(accepts_gzip("gzip;q="));
  EXPECT_TRUE(accepts_gzip("gzip;q=banana, *"));
}

TEST(WantsOpenMetrics, AsPrometheusClientsChooseEncoder) {
  EXPECT_FALSE(wants_openmetrics(""));
  EXPECT_FALSE(wants_openmetrics("text/plain;version=0.0.4"));
  EXPECT_FALSE(wants_openmetrics("*/*"));
  EXPECT_TRUE(wants_openmetrics("application/openmetrics-text"));
  // What Prometheus sends by default.
  EXPECT_TRUE(wants_openmetrics(
      "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;"
      "version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"));
  EXPECT_TRUE(wants_openmetrics("text/plain, application/openmetrics-text ; version=1.0.0"));
  // choose_encoder compares case-sensitively and ignores q, so do we.
  EXPECT_FALSE(wants_openmetrics("Application/OpenMetrics-Text"));
  EXPECT_TRUE(wants_openmetrics("application/openmetrics-text;q=0"));
}

}  // namespace
}  // namespace npuprobe::store
