// CollectiveProbe: series per (device, rank, size) of a communicator seen at init, unknown
// communicators as rank/size "-1", bounded tables, exact calls, bytes and latency.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "metric_reader.h"
#include "npuprobe/probes/collectives.h"

namespace npuprobe::probes::testing {
namespace {

const void *comm(std::uintptr_t n) { return reinterpret_cast<const void *>(0x1000 + 16 * n); }

Labels series(int device, const std::string &op, const std::string &rank, const std::string &size) {
  return {"0", std::to_string(device), op, rank, size};
}

class CollectiveTest : public ::testing::Test {
 protected:
  store::MetricRegistry registry_;
  CollectiveProbe probe_{registry_, ProbeOptions{}};
  MetricReader read() const { return MetricReader(registry_); }
};

TEST_F(CollectiveTest, KnownCommunicatorLabelsCallsBytesAndLatency) {
  probe_.on_comm_init(comm(1), 2, 1, 4);
  EXPECT_EQ(probe_.comm_size(comm(1)), 4u);
  probe_.on_collective(0, CollectiveOp::kAllToAllV, comm(1), 1000, 100000, 105000);
  probe_.on_collective(0, CollectiveOp::kAllToAllV, comm(1), 3000, 200000, 203000);
  probe_.on_collective(0, CollectiveOp::kBarrier, comm(1), 0, 300000, 300500);
  const MetricReader m = read();
  // The communicator's device (2), not the calling thread's (0).
  EXPECT_EQ(m.counter("npu:hccl_calls", series(2, "alltoallv", "1", "4")), 2);
  EXPECT_EQ(m.counter("npu:hccl_bytes", series(2, "alltoallv", "1", "4")), 4000);
  const HistogramValue h = m.histogram("npu:hccl_launch_latency", series(2, "alltoallv", "1", "4"));
  EXPECT_EQ(h.count, 2);
  EXPECT_NEAR(h.sum, 8e-6, 1e-12);
  EXPECT_EQ(m.counter("npu:hccl_calls", series(2, "barrier", "1", "4")), 1);
  EXPECT_EQ(m.counter("npu:hccl_bytes", series(2, "barrier", "1", "4")), 0);
  EXPECT_EQ(m.series_count("npu:hccl_calls"), 2u);
}

TEST_F(CollectiveTest, UnknownCommunicatorCountsOnTheCallersDeviceWithoutRank) {
  EXPECT_EQ(probe_.comm_size(comm(9)), 0u);
  probe_.on_collective(5, CollectiveOp::kAllReduce, comm(9), 64, 0, 1000);
  probe_.on_collective(5, CollectiveOp::kAllReduce, nullptr, 64, 0, 1000);
  probe_.on_collective(-1, CollectiveOp::kAllReduce, comm(9), 64, 0, 1000);  // no device: not shown
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:hccl_calls", series(5, "allreduce", "-1", "-1")), 2);
  EXPECT_EQ(m.counter("npu:hccl_bytes", series(5, "allreduce", "-1", "-1")), 128);
  EXPECT_EQ(m.series_count("npu:hccl_calls"), 1u);
}

TEST_F(CollectiveTest, SameLabelsShareSeriesAndADestroyedAddressMayComeBackAsAnother) {
  probe_.on_comm_init(comm(1), 0, 0, 2);  // e.g. the TP group
  probe_.on_comm_init(comm(2), 0, 0, 2);  // the EP group: same rank and size
  probe_.on_collective(0, CollectiveOp::kSend, comm(1), 10, 0, 1);
  probe_.on_collective(0, CollectiveOp::kSend, comm(2), 10, 0, 1);
  probe_.on_comm_destroy(comm(1));
  EXPECT_EQ(probe_.comm_size(comm(1)), 0u);
  probe_.on_collective(0, CollectiveOp::kSend, comm(1), 10, 0, 1);  // after destroy: unknown
  probe_.on_comm_init(comm(1), 0, 3, 8);  // the address again, another communicator
  probe_.on_collective(0, CollectiveOp::kSend, comm(1), 10, 0, 1);
  const MetricReader m = read();
  EXPECT_EQ(m.counter("npu:hccl_calls", series(0, "send", "0", "2")), 2);
  EXPECT_EQ(m.counter("npu:hccl_calls", series(0, "send", "-1", "-1")), 1);
  EXPECT_EQ(m.counter("npu:hccl_calls", series(0, "send", "3", "8")), 1);
}

TEST_F(CollectiveTest, BoundedLabelSetsAndLiveCommunicators) {
  // One label set more than the bound: the last communicator keeps its size (bytes of an
  // all-to-all) but is labelled unknown.
  for (int i = 0; i <= CollectiveProbe::kMaxCommLabels; ++i) {
    probe_.on_comm_init(comm(std::uintptr_t(i)), 0, std::uint32_t(i), 100);
  }
  for (int i = 0; i <= CollectiveProbe::kMaxCommLabels; ++i) {
    probe_.on_collective(0, CollectiveOp::kReduce, comm(std::uintptr_t(i)), 1, 0, 1);
  }
  EXPECT_EQ(probe_.comm_size(comm(CollectiveProbe::kMaxCommLabels)), 100u);
  MetricReader m = read();
  EXPECT_EQ(m.series_count("npu:hccl_calls"), std::size_t(CollectiveProbe::kMaxCommLabels) + 1);
  EXPECT_EQ(m.counter("npu:hccl_calls", series(0, "reduce", "-1", "-1")), 1);
  // Live communicators past the table: unknown, size 0; a destroyed entry is reused.
  for (int i = 0; i < 2 * CollectiveProbe::kMaxLiveComms; ++i) {
    probe_.on_comm_init(comm(1000 + std::uintptr_t(i)), 1, 0, 2);
  }
  const int live = CollectiveProbe::kMaxLiveComms - CollectiveProbe::kMaxCommLabels - 1;
  EXPECT_EQ(probe_.comm_size(comm(1000 + std::uintptr_t(live) - 1)), 2u);
  EXPECT_EQ(probe_.comm_size(comm(1000 + std::uintptr_t(live))), 0u);
  probe_.on_comm_destroy(comm(1000));
  probe_.on_comm_init(comm(5000), 1, 0, 2);
  EXPECT_EQ(probe_.comm_size(comm(5000)), 2u);
}

TEST_F(CollectiveTest, InitsRaceWithCollectivesWithoutLosingACall) {
  constexpr int kCalls = 20000;
  std::thread caller([&] {
    for (int i = 0; i < kCalls; ++i) {
      probe_.on_collective(0, CollectiveOp::kAllGather, comm(std::uintptr_t(i % 8)), 2, 0, 1);
    }
  });
  for (int i = 0; i < 8; ++i) probe_.on_comm_init(comm(std::uintptr_t(i)), 0, 0, 8);
  caller.join();
  const MetricReader m = read();
  // Either series may not exist (the caller can finish before the first init, or start after
  // the last): a call is in exactly one of them.
  double total = 0;
  for (const char *rank : {"0", "-1"}) {
    const std::string size = rank[0] == '0' ? "8" : "-1";
    if (m.has("npu:hccl_calls", series(0, "allgather", rank, size))) {
      total += m.counter("npu:hccl_calls", series(0, "allgather", rank, size));
    }
  }
  EXPECT_EQ(total, kCalls);
  EXPECT_EQ(to_string(CollectiveOp::kBatchSendRecv), "batch_send_recv");
}

// MSPTI's HCCL records: npu:hccl_duration under the label set of the communicator the record
// names on its device; barrier-free; unknown names rank/size "-1"; untimed, unknown functions
// and bad devices not observed, and said why.
TEST_F(CollectiveTest, HcclRecordsObserveDeviceTimeUnderTheNamedCommunicatorsLabels) {
  probe_.on_comm_init(comm(1), 2, 1, 4, "10.0.0.1%eth0_60000_0_1");
  probe_.on_comm_init(comm(2), 2, 0, 2, "tp-group");
  using R = HcclRecordResult;
  EXPECT_EQ(probe_.on_hccl_record({2, 1000, 31000, "HcclAllReduce", "10.0.0.1%eth0_60000_0_1"}),
            R::kObserved);
  EXPECT_EQ(probe_.on_hccl_record({2, 5000, 15000, "HcclAllReduce", "10.0.0.1%eth0_60000_0_1"}),
            R::kObserved);
  EXPECT_EQ(probe_.on_hccl_record({2, 0, 7000, "HcclAlltoAllV", "tp-group"}), R::kObserved);
  EXPECT_EQ(probe_.on_hccl_record({2, 0, 2000, "HcclRecv", "never-seen"}), R::kObserved);
  // The same name on another device is another communicator (HcclCommInitAll's ranks).
  EXPECT_EQ(probe_.on_hccl_record({3, 0, 2000, "HcclRecv", "tp-group"}), R::kObserved);
  EXPECT_EQ(probe_.on_hccl_record({2, 0, 2000, "HcclAllGatherV", "tp-group"}), R::kUnknownOp);
  EXPECT_EQ(probe_.on_hccl_record({64, 0, 2000, "HcclSend", "tp-group"}), R::kDeviceId);
  EXPECT_EQ(probe_.on_hccl_record({2, 0, 2000, "HcclSend", "tp-group", false}), R::kUntimed);
  const MetricReader m = read();
  const HistogramValue ar = m.histogram("npu:hccl_duration", series(2, "allreduce", "1", "4"));
  EXPECT_EQ(ar.count, 2);
  EXPECT_NEAR(ar.sum, 40e-6, 1e-12);
  EXPECT_EQ(m.histogram("npu:hccl_duration", series(2, "alltoallv", "0", "2")).count, 1);
  EXPECT_EQ(m.histogram("npu:hccl_duration", series(2, "receive", "-1", "-1")).count, 1);
  EXPECT_EQ(m.histogram("npu:hccl_duration", series(3, "receive", "-1", "-1")).count, 1);
  EXPECT_EQ(m.series_count("npu:hccl_duration"), 4u);
  EXPECT_EQ(m.series_count("npu:hccl_calls"), 0u) << "records are not calls";
}

TEST_F(CollectiveTest, HcclCommInitAllRanksShareANameOnDifferentDevices) {
  for (std::uint32_t r = 0; r < 4; ++r) probe_.on_comm_init(comm(r), int(r) + 4, r, 4, "all");
  for (int d = 4; d < 8; ++d) {
    EXPECT_EQ(probe_.on_hccl_record({d, 0, 1000, "HcclBroadcast", "all"}),
              HcclRecordResult::kObserved);
  }
  const MetricReader m = read();
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(m.histogram("npu:hccl_duration", series(r + 4, "broadcast", std::to_string(r), "4"))
                  .count,
              1);
  }
}

}  // namespace
}  // namespace npuprobe::probes::testing
