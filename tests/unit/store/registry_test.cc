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

TEST(Registry, DetailSeriesLeaveTheReservedCellsToTheOthers) {
  // 64 cells, 2 of them sinks; 20 kept from detail.
  MetricRegistry registry(RegistryLimits{64, 4});
  const FamilyId core = registry.add_family(counter_spec("core", "h", {"i"}));
  const FamilyId op = registry.add_family(counter_spec("op", "h", {"i"}));
  const FamilyId op_latency = registry.add_family(device_histogram("op_latency", {1, 2}));
  registry.mark_detail(op);
  registry.mark_detail(op_latency);
  EXPECT_EQ(registry.cells_per_series(op_latency), 4u);
  registry.reserve_cells(20);
  // A pair takes 1 + 4 cells: 42 free cells hold 8 pairs (40), not a ninth.
  for (int i = 0; i < 8; ++i) registry.counter_and_histogram(op, op_latency, {std::to_string(i)});
  EXPECT_THROW(registry.counter_and_histogram(op, op_latency, {"8"}), MetricSpecError);
  // Nothing half made: the counter of the refused pair does not exist either.
  RegistrySnapshot snapshot;
  registry.collect(snapshot);
  EXPECT_EQ(snapshot.series.size(), 16u);
  // The reserve is the others' to take, all of it.
  for (int i = 0; i < 22; ++i) registry.counter(core, {std::to_string(i)});
  EXPECT_THROW(registry.counter(core, {"22"}), MetricSpecError);
}

TEST(Registry, LongLabelValuesAreCutAtACharacterBoundary) {
  MetricRegistry registry;
  const FamilyId c = registry.add_family(counter_spec("c", "h", {"dp"}));
  const std::string a(100000, 'a');
  const CounterHandle first = registry.counter(c, {a});
  // Values that differ only after the cut share one series.
  EXPECT_EQ(registry.counter(c, {a + "b"}).cell, first.cell);
  // 127 ASCII bytes and a 2-byte character: the character does not fit and is left out whole.
  const std::string split = std::string(127, 'x') + "\xc3\xa9" + "tail";
  registry.counter(c, {split});
  RegistrySnapshot snapshot;
  registry.collect(snapshot);
  ASSERT_EQ(snapshot.series.size(), 2u);
  EXPECT_EQ(snapshot.series[0].label_values[0], std::string(kMaxLabelValueBytes, 'a'));
  EXPECT_EQ(snapshot.series[1].label_values[0], std::string(127, 'x'));
}

}  // namespace
}  // namespace npuprobe::store
