// The fake libmspti's HCCL records, as real MSPTI makes them (Ascend/mspti
// csrc/common/inject/hccl_inject.cpp, hccl_range_mark.cpp, csrc/activity/ascend/parser/
// hccl_reporter.cpp, hccl_calculator.cpp; docs/mock-sources.md): libmspti's own Hccl* exports put
// a device marker on the stream before and after each collective, one record per call except
// HcclBarrier, with the function's name, the communicator's name, the start marker's device and
// stream, and bytes / (end - start) as the bandwidth. The test binary is linked with libhccl and
// runs with LD_PRELOAD=libmspti.so (set by CMake), so its collectives bind to libmspti's.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "npu/hccl_api.h"
#include "npu/mspti_api.h"
#include "npu/npumock.h"

static_assert(offsetof(msptiActivityHccl, start) == 4, "packed layout");
static_assert(offsetof(msptiActivityHccl, end) == 12, "packed layout");
static_assert(offsetof(msptiActivityHccl, ds) == 20, "packed layout");
static_assert(offsetof(msptiActivityHccl, bandWidth) == 28, "packed layout");
static_assert(offsetof(msptiActivityHccl, name) == 36, "packed layout");
static_assert(offsetof(msptiActivityHccl, commName) == 44, "packed layout");

namespace {

// Knobs set in main(): 1 byte per ns, 20 us per collective.
constexpr uint64_t kLatencyNs = 20000;

struct Hccl {
  std::string name, comm;
  uint64_t start, end;
  uint32_t device, stream;
  double bandwidth;
};
std::mutex g_mu;
std::vector<Hccl> g_hccl;
size_t g_kernels = 0;

void request(uint8_t **buffer, size_t *size, size_t *max_records) {
  *size = size_t(2) << 20;
  *buffer = static_cast<uint8_t *>(aligned_alloc(8, *size));
  *max_records = 0;
}

void complete(uint8_t *buffer, size_t, size_t valid) {
  msptiActivity *record = nullptr;
  std::lock_guard<std::mutex> lock(g_mu);
  while (buffer != nullptr &&
         msptiActivityGetNextRecord(buffer, valid, &record) == MSPTI_SUCCESS) {
    if (record->kind == MSPTI_ACTIVITY_KIND_HCCL) {
      msptiActivityHccl h;
      memcpy(&h, record, sizeof h);
      g_hccl.push_back(Hccl{h.name, h.commName, h.start, h.end, h.ds.deviceId, h.ds.streamId,
                            h.bandWidth});
    } else if (record->kind == MSPTI_ACTIVITY_KIND_KERNEL) {
      ++g_kernels;
    }
  }
  free(buffer);
}

std::vector<Hccl> take() {
  std::lock_guard<std::mutex> lock(g_mu);
  std::vector<Hccl> out;
  out.swap(g_hccl);
  return out;
}

void subscribe(bool hccl) {
  static msptiSubscriberHandle sub = nullptr;
  if (sub == nullptr) {
    ASSERT_EQ(msptiSubscribe(&sub, nullptr, nullptr), MSPTI_SUCCESS);
    ASSERT_EQ(msptiActivityRegisterCallbacks(request, complete), MSPTI_SUCCESS);
  }
  ASSERT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_KERNEL), MSPTI_SUCCESS);
  if (hccl) {
    ASSERT_EQ(msptiActivityEnable(MSPTI_ACTIVITY_KIND_HCCL), MSPTI_SUCCESS);
  } else {
    ASSERT_EQ(msptiActivityDisable(MSPTI_ACTIVITY_KIND_HCCL), MSPTI_SUCCESS);
  }
}

// A one-rank communicator on the thread's device.
HcclComm one_rank_comm() {
  HcclRootInfo info;
  EXPECT_EQ(HcclGetRootInfo(&info), HCCL_SUCCESS);
  HcclComm comm = nullptr;
  EXPECT_EQ(HcclCommInitRootInfo(1, &info, 0, &comm), HCCL_SUCCESS);
  return comm;
}

std::string name_of(HcclComm comm) {
  char name[128] = {};
  EXPECT_EQ(HcclGetCommName(comm, name), HCCL_SUCCESS);
  return name;
}

TEST(MsptiHccl, OneRecordPerCollectiveButTheBarrierWithTheCalculatorsBandwidth) {
  subscribe(true);
  ASSERT_EQ(aclrtSetDevice(1), ACL_SUCCESS);
  aclrtStream stream = nullptr;
  ASSERT_EQ(aclrtCreateStream(&stream), ACL_SUCCESS);
  HcclComm comm = one_rank_comm();
  ASSERT_NE(comm, nullptr);
  std::vector<float> a(4096), b(4096);
  const uint64_t counts[1] = {4096}, displs[1] = {0};
  ASSERT_EQ(HcclAllReduce(a.data(), b.data(), 4096, HCCL_DATA_TYPE_FP32, HCCL_REDUCE_SUM, comm,
                          stream), HCCL_SUCCESS);
  ASSERT_EQ(HcclBarrier(comm, stream), HCCL_SUCCESS);
  ASSERT_EQ(HcclAllGather(a.data(), b.data(), 1024, HCCL_DATA_TYPE_FP16, comm, stream),
            HCCL_SUCCESS);
  ASSERT_EQ(HcclAlltoAllV(a.data(), counts, displs, HCCL_DATA_TYPE_INT8, b.data(), counts, displs,
                          HCCL_DATA_TYPE_INT8, comm, stream), HCCL_SUCCESS);
  ASSERT_EQ(HcclScatter(a.data(), b.data(), 512, HCCL_DATA_TYPE_FP32, 0, comm, stream),
            HCCL_SUCCESS);
  ASSERT_EQ(HcclBarrier(comm, stream), HCCL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeStream(stream), ACL_SUCCESS);
  ASSERT_EQ(msptiActivityFlushAll(1), MSPTI_SUCCESS);

  const std::vector<Hccl> got = take();
  ASSERT_EQ(got.size(), 4u) << "four collectives, two barriers without a record";
  const char *names[] = {"HcclAllReduce", "HcclAllGather", "HcclAlltoAllV", "HcclScatter"};
  // The link model's device time (bytes as npu:hccl_bytes counts them) and the calculator's
  // numerator: count x size, x the rank size for AllGather, max(sent, received) for AlltoAllV;
  // HcclScatter never asks the rank size, so its numerator is 0.
  const uint64_t device_bytes[] = {16384, 2048, 4096, 2048};
  const uint64_t calculator_bytes[] = {16384, 2048, 4096, 0};
  const std::string comm_name = name_of(comm);
  EXPECT_FALSE(comm_name.empty());
  for (size_t i = 0; i < got.size(); ++i) {
    const Hccl &h = got[i];
    EXPECT_EQ(h.name, names[i]);
    EXPECT_EQ(h.comm, comm_name);
    EXPECT_EQ(h.device, 1u);
    // The marks bracket the collective: at least its device time, and no later than the next.
    EXPECT_GE(h.end - h.start, kLatencyNs + device_bytes[i]) << names[i];
    if (i > 0) {
      EXPECT_GE(h.start, got[i - 1].end);
    }
    EXPECT_DOUBLE_EQ(h.bandwidth, double(calculator_bytes[i]) / double(h.end - h.start))
        << names[i];
    EXPECT_EQ(h.stream, got[0].stream);
  }
  EXPECT_EQ(g_kernels, 0u) << "collectives and marks are no kernel records";
  EXPECT_EQ(HcclCommDestroy(comm), HCCL_SUCCESS);
}

TEST(MsptiHccl, NoRecordWhileTheKindIsOff) {
  subscribe(false);
  ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  HcclComm comm = one_rank_comm();
  int x = 0, y = 0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(HcclAllReduce(&x, &y, 1, HCCL_DATA_TYPE_INT32, HCCL_REDUCE_SUM, comm, nullptr),
              HCCL_E_PTR);  // a NULL stream: hccl's error, and MSPTI puts no mark
  }
  aclrtStream stream = nullptr;
  ASSERT_EQ(aclrtCreateStream(&stream), ACL_SUCCESS);
  ASSERT_EQ(HcclAllReduce(&x, &y, 1, HCCL_DATA_TYPE_INT32, HCCL_REDUCE_SUM, comm, stream),
            HCCL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeStream(stream), ACL_SUCCESS);
  ASSERT_EQ(msptiActivityFlushAll(1), MSPTI_SUCCESS);
  EXPECT_TRUE(take().empty());
  EXPECT_EQ(npumock_call_count("aclrtProfTrace"), 0u) << "no marker without the kind";
}

// Every rank of one communicator has one name (the root info's identifier); another
// communicator another. HcclCommInitAll: one name, rank i on devices[i].
TEST(MsptiHccl, CommNamesAreEqualAcrossRanksAndUniquePerCommunicator) {
  HcclRootInfo info;
  ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  ASSERT_EQ(HcclGetRootInfo(&info), HCCL_SUCCESS);
  HcclComm comms[2] = {};
  std::thread other([&] {
    ASSERT_EQ(aclrtSetDevice(1), ACL_SUCCESS);
    ASSERT_EQ(HcclCommInitRootInfo(2, &info, 1, &comms[1]), HCCL_SUCCESS);
  });
  ASSERT_EQ(HcclCommInitRootInfo(2, &info, 0, &comms[0]), HCCL_SUCCESS);
  other.join();
  const std::string name = name_of(comms[0]);
  EXPECT_EQ(name_of(comms[1]), name);
  EXPECT_NE(name_of(one_rank_comm()), name);

  int32_t devices[3] = {2, 0, 3};
  HcclComm all[3] = {};
  ASSERT_EQ(HcclCommInitAll(3, devices, all), HCCL_SUCCESS);
  for (uint32_t i = 0; i < 3; ++i) {
    uint32_t rank = 99, size = 0;
    EXPECT_EQ(HcclGetRankId(all[i], &rank), HCCL_SUCCESS);
    EXPECT_EQ(HcclGetRankSize(all[i], &size), HCCL_SUCCESS);
    EXPECT_EQ(rank, i);
    EXPECT_EQ(size, 3u);
    EXPECT_EQ(name_of(all[i]), name_of(all[0]));
  }
  EXPECT_NE(name_of(all[0]), name);
  int32_t twice[2] = {1, 1};
  EXPECT_EQ(HcclCommInitAll(2, twice, all), HCCL_E_PARA);
  EXPECT_EQ(HcclCommInitAll(0, devices, all), HCCL_E_PARA);
  EXPECT_EQ(HcclCommInitAll(2, nullptr, all), HCCL_E_PTR);
  EXPECT_EQ(HcclGetCommName(nullptr, nullptr), HCCL_E_PTR);
  HcclComm cluster = nullptr;
  EXPECT_EQ(HcclCommInitClusterInfo("/nonexistent/rank_table.json", 0, &cluster), HCCL_E_INTERNAL);
  EXPECT_EQ(HcclCommInitClusterInfo(nullptr, 0, &cluster), HCCL_E_PTR);
}

}  // namespace

int main(int argc, char **argv) {
  setenv("NPU_MOCK_HCCL_GBPS", "1", 1);
  setenv("NPU_MOCK_HCCL_LATENCY_US", "20", 1);
  setenv("NPU_MOCK_DEVICES", "8", 1);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
