#include "npuprobe/store/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

namespace npuprobe::store {
namespace {

FamilySpec device_histogram(std::string name, std::vector<double> bounds) {
  return histogram_spec(std::move(name), "help", {"device"}, std::move(bounds));
}

TEST(Registry, InvalidMetricNamesAreRefusedWithAClearError) {
  MetricRegistry registry;
  for (const char *bad : {"", "1abc", "npu-launches", "npu launches", "é", "a.b"}) {
    try {
      registry.add_family(counter_spec(bad, "h", {}));
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const MetricSpecError &e) {
      EXPECT_NE(std::string(e.what()).find("^[a-zA-Z_:][a-zA-Z0-9_:]*$"), std::string::npos);
    }
  }
  EXPECT_NO_THROW(registry.add_family(counter_spec("vllm_profiling_npu:steps", "h", {})));
}

TEST(Registry, BadLabelsBucketsAndDuplicatesAreRefused) {
  MetricRegistry registry;
  EXPECT_THROW(registry.add_family(counter_spec("a", "h", {"__x"})), MetricSpecError);
  EXPECT_THROW(registry.add_family(counter_spec("b", "h", {"x", "x"})), MetricSpecError);
  EXPECT_THROW(registry.add_family(histogram_spec("c", "h", {"le"}, {1})), MetricSpecError);
  EXPECT_THROW(registry.add_family(gauge_spec("d", "h", {"pid"})), MetricSpecError);
  EXPECT_THROW(registry.add_family(device_histogram("e", {})), MetricSpecError);
  EXPECT_THROW(registry.add_family(device_histogram("f", {2, 1})), MetricSpecError);
  EXPECT_THROW(registry.add_family(device_histogram("g", {1, std::nan("")})), MetricSpecError);
  registry.add_family(counter_spec("dup_total", "h", {}));
  // "dup_total" is stored as "dup", so a second "dup" would clash in the collector.
  EXPECT_THROW(registry.add_family(gauge_spec("dup", "h", {})), MetricSpecError);
  const FamilyId gauge = registry.add_family(gauge_spec("gauge", "h", {"a"}));
  EXPECT_THROW(registry.counter(gauge, {"x"}), MetricSpecError);
  EXPECT_THROW(registry.gauge(gauge, {}), MetricSpecError);
}

TEST(Registry, SameLabelValuesGiveTheSameHandle) {
  MetricRegistry registry;
  const FamilyId family = registry.add_family(counter_spec("c", "h", {"api"}));
  EXPECT_EQ(registry.counter(family, {"aclnn"}).cell, registry.counter(family, {"aclnn"}).cell);
  EXPECT_NE(registry.counter(family, {"aclnn"}).cell, registry.counter(family, {"aclop"}).cell);
}

TEST(Registry, HistogramBucketsAreNonCumulativeWithSum) {
  MetricRegistry registry;
  const FamilyId family = registry.add_family(device_histogram("h", {1, 2, 4, HUGE_VAL}));
  const HistogramHandle h = registry.histogram(family, {"0"});
  EXPECT_EQ(h.bound_count, 3u);  // trailing +Inf dropped: it is implicit
  for (double v : {0.5, 1.0, 1.5, 4.0, 9.0, 100.0}) registry.observe(h, v);
  RegistrySnapshot snapshot;
  registry.collect(snapshot);
  const double *cells = &snapshot.cell_totals[h.first_cell];
  EXPECT_EQ(cells[0], 2);  // le=1 (0.5, 1.0: bounds are inclusive)
  EXPECT_EQ(cells[1], 1);  // le=2
  EXPECT_EQ(cells[2], 1);  // le=4
  EXPECT_EQ(cells[3], 2);  // +Inf
  EXPECT_EQ(cells[4], 116.0);
}

TEST(Registry, ExitedThreadsKeepTheirCounts) {
  MetricRegistry registry;
  const CounterHandle c = registry.counter(registry.add_family(counter_spec("c", "h", {})), {});
  for (int i = 0; i < 4; ++i) {
    std::thread([&] { registry.add(c, 2.5); }).join();
  }
  RegistrySnapshot snapshot;
  registry.collect(snapshot);
  EXPECT_EQ(snapshot.cell_totals[c.cell], 10.0);
}

TEST(Registry, GaugeIsLastWriterWithTimestamp) {
  MetricRegistry registry;
  const GaugeHandle g = registry.gauge(registry.add_family(gauge_spec("g", "h", {})), {});
  RegistrySnapshot snapshot;
  registry.collect(snapshot);
  EXPECT_EQ(snapshot.gauges[g.slot].timestamp, 0.0);  // never set
  registry.set(g, 5);
  registry.set(g, 7);
  registry.collect(snapshot);
  EXPECT_EQ(snapshot.gauges[g.slot].value, 7);
  EXPECT_GT(snapshot.gauges[g.slot].timestamp, 1.6e9);
}

TEST(Registry, DefaultHandlesRecordIntoASinkNeverPublished) {
  MetricRegistry registry;
  const CounterHandle c = registry.counter(registry.add_family(counter_spec("c", "h", {})), {});
  registry.add(CounterHandle{}, 1);
  registry.observe(HistogramHandle{}, 1);
  registry.set(GaugeHandle{}, 1);
  RegistrySnapshot snapshot;
  registry.collect(snapshot);
  EXPECT_EQ(snapshot.cell_totals[c.cell], 0.0);
  EXPECT_EQ(snapshot.series.size(), 1u);
}

TEST(Registry, TwoRegistriesOnOneThreadStaySeparate) {
  MetricRegistry a;
  MetricRegistry b;
  const CounterHandle ca = a.counter(a.add_family(counter_spec("c", "h", {})), {});
  const CounterHandle cb = b.counter(b.add_family(counter_spec("c", "h", {})), {});
  for (int i = 0; i < 3; ++i) {
    a.add(ca, 1);
    b.add(cb, 10);
  }
  RegistrySnapshot sa;
  RegistrySnapshot sb;
  a.collect(sa);
  b.collect(sb);
  EXPECT_EQ(sa.cell_totals[ca.cell], 3.0);
  EXPECT_EQ(sb.cell_totals[cb.cell], 30.0);
  EXPECT_EQ(a.thread_shard_count(), 1u);  // the thread found its shard again, no new one
}

TEST(Registry, FullRegistryIsRefused) {
  MetricRegistry registry(RegistryLimits{8, 4});
  const FamilyId c = registry.add_family(counter_spec("c", "h", {"i"}));
  for (int i = 0; i < 6; ++i) registry.counter(c, {std::to_string(i)});
  EXPECT_THROW(registry.counter(c, {"6"}), MetricSpecError);
}

}  // namespace
}  // namespace npuprobe::store
