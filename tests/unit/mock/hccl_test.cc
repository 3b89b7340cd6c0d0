// The fake libhccl.so: comm init by root info across processes (2..8 ranks), the simulated link
// (every collective lasts latency + bytes / bandwidth on the device), and hccl's error codes for
// bad input. The binary runs itself as the other ranks (argv "--rank R N ROOTHEX").
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "npu/hccl_api.h"
#include "npu/npumock.h"

namespace {

// Knobs set in main() before the first call: 1 byte per ns, 100 us per collective.
constexpr uint64_t kLatencyNs = 100000;
const char *g_self = nullptr;

std::mutex g_mu;
std::vector<npumock_activity> g_records;
void on_activity(const npumock_activity *a) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (a->kind == 2 && std::strcmp(a->type, "HCCL") == 0) g_records.push_back(*a);
}
std::vector<npumock_activity> take_records() {
  std::lock_guard<std::mutex> lock(g_mu);
  std::vector<npumock_activity> out;
  out.swap(g_records);
  return out;
}

std::string to_hex(const HcclRootInfo &info) {
  std::string out;
  char b[3];
  for (size_t i = 0; i < 128; ++i) {  // the mock's key lives in the first bytes
    snprintf(b, sizeof b, "%02x", static_cast<unsigned char>(info.internal[i]));
    out += b;
  }
  return out;
}
void from_hex(const char *hex, HcclRootInfo *info) {
  std::memset(info, 0, sizeof *info);
  for (size_t i = 0; hex[2 * i] && hex[2 * i + 1] && i < sizeof info->internal; ++i) {
    char b[3] = {hex[2 * i], hex[2 * i + 1], 0};
    info->internal[i] = static_cast<char>(std::strtoul(b, nullptr, 16));
  }
}

// One rank in its own process: exit 0 when init gave the right rank and size.
int run_rank(uint32_t rank, uint32_t nranks, const char *hex) {
  HcclRootInfo info;
  from_hex(hex, &info);
  if (aclrtSetDevice(static_cast<int32_t>(rank % 8)) != ACL_SUCCESS) return 10;
  HcclComm comm = nullptr;
  const HcclResult rc = HcclCommInitRootInfo(nranks, &info, rank, &comm);
  if (rc != HCCL_SUCCESS) return 20 + rc;
  uint32_t got_rank = 99, got_size = 99;
  if (HcclGetRankId(comm, &got_rank) != HCCL_SUCCESS || got_rank != rank) return 40;
  if (HcclGetRankSize(comm, &got_size) != HCCL_SUCCESS || got_size != nranks) return 41;
  return HcclCommDestroy(comm) == HCCL_SUCCESS ? 0 : 42;
}

pid_t spawn_rank(uint32_t rank, uint32_t nranks, const std::string &hex) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string r = std::to_string(rank), n = std::to_string(nranks);
    execl(g_self, g_self, "--rank", r.c_str(), n.c_str(), hex.c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

uint64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

TEST(HcclRendezvous, RanksInSeparateProcessesMeet) {
  for (uint32_t nranks : {2u, 3u, 8u}) {
    HcclRootInfo info;
    ASSERT_EQ(HcclGetRootInfo(&info), HCCL_SUCCESS);
    const std::string hex = to_hex(info);
    std::vector<pid_t> pids;
    for (uint32_t r = 0; r < nranks; ++r) pids.push_back(spawn_rank(r, nranks, hex));
    for (uint32_t r = 0; r < nranks; ++r) EXPECT_EQ(wait_status(pids[r]), 0) << "rank " << r;
  }
}

TEST(HcclRendezvous, MissingRankTimesOutBounded) {
  // NPU_MOCK_HCCL_TIMEOUT_MS=500 (main): rank 1 never comes.
  ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  HcclRootInfo info;
  ASSERT_EQ(HcclGetRootInfo(&info), HCCL_SUCCESS);
  HcclComm comm = nullptr;
  const uint64_t t0 = now_ms();
  EXPECT_EQ(HcclCommInitRootInfo(2, &info, 0, &comm), HCCL_E_TIMEOUT);
  const uint64_t waited = now_ms() - t0;
  EXPECT_GE(waited, 500u);
  EXPECT_LT(waited, 10000u);
  EXPECT_EQ(comm, nullptr);
}

TEST(HcclRendezvous, DisagreeingSizeAndDuplicateRankAreParameterErrors) {
  HcclRootInfo info;
  ASSERT_EQ(HcclGetRootInfo(&info), HCCL_SUCCESS);
  const pid_t other = spawn_rank(1, 3, to_hex(info));  // waits for 3, times out
  // This rank says 2 (after the other announced 3) or the other says 3 after us: one of us
  // gets HCCL_E_PARA; the survivor times out.
  ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  usleep(100000);
  HcclComm comm = nullptr;
  // Which of the two announces first is the scheduler's (under emulation the other process
  // may start after this one has announced): exactly one gets HCCL_E_PARA, the other times out.
  const HcclResult mine = HcclCommInitRootInfo(2, &info, 0, &comm);
  const int others = wait_status(other);
  if (mine == HCCL_E_PARA) {
    EXPECT_EQ(others, 20 + HCCL_E_TIMEOUT);
  } else {
    EXPECT_EQ(mine, HCCL_E_TIMEOUT);
    EXPECT_EQ(others, 20 + HCCL_E_PARA);
  }
  EXPECT_EQ(comm, nullptr);
}

TEST(HcclRendezvous, BadArguments) {
  ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  HcclRootInfo info;
  HcclComm comm = nullptr;
  EXPECT_EQ(HcclGetRootInfo(nullptr), HCCL_E_PTR);
  ASSERT_EQ(HcclGetRootInfo(&info), HCCL_SUCCESS);
  EXPECT_EQ(HcclCommInitRootInfo(2, nullptr, 0, &comm), HCCL_E_PTR);
  EXPECT_EQ(HcclCommInitRootInfo(2, &info, 0, nullptr), HCCL_E_PTR);
  EXPECT_EQ(HcclCommInitRootInfo(0, &info, 0, &comm), HCCL_E_PARA);
  EXPECT_EQ(HcclCommInitRootInfo(2, &info, 2, &comm), HCCL_E_PARA);
  HcclRootInfo garbage;
  std::memset(&garbage, 0x5a, sizeof garbage);
  EXPECT_EQ(HcclCommInitRootInfo(1, &garbage, 0, &comm), HCCL_E_PARA);
  EXPECT_EQ(HcclCommDestroy(nullptr), HCCL_E_PTR);
  // torch_npu's preferred init: the same rendezvous, and a configuration it must pass.
  EXPECT_EQ(HcclCommInitRootInfoConfig(1, &info, 0, nullptr, &comm), HCCL_E_PTR);
  HcclCommConfig config;
  std::memset(&config, 0, sizeof config);
  ASSERT_EQ(HcclCommInitRootInfoConfig(1, &info, 0, &config, &comm), HCCL_SUCCESS);
  uint32_t v = 0;
  EXPECT_EQ(HcclGetRankSize(comm, &v), HCCL_SUCCESS);
  EXPECT_EQ(v, 1u);
  EXPECT_EQ(HcclCommDestroy(comm), HCCL_SUCCESS);
  EXPECT_EQ(HcclGetRankId(nullptr, &v), HCCL_E_PTR);
  EXPECT_EQ(HcclGetRankSize(nullptr, &v), HCCL_E_PTR);
  EXPECT_EQ(HcclGetRankSize(&info, &v), HCCL_E_PARA);  // not a communicator
}

// Two ranks of one communicator in this process (threads on devices 0 and 1).
class HcclCollectives : public ::testing::Test {
 protected:
  void SetUp() override {
    HcclRootInfo info;
    ASSERT_EQ(HcclGetRootInfo(&info), HCCL_SUCCESS);
    std::thread peer([&] {
      aclrtSetDevice(1);
      peer_rc_ = HcclCommInitRootInfo(2, &info, 1, &peer_);
    });
    ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
    ASSERT_EQ(HcclCommInitRootInfo(2, &info, 0, &comm_), HCCL_SUCCESS);
    peer.join();
    ASSERT_EQ(peer_rc_, HCCL_SUCCESS);
    ASSERT_EQ(aclrtCreateStream(&stream_), ACL_SUCCESS);
    ASSERT_EQ(aclrtMalloc(&buf_, 1 << 20, ACL_MEM_MALLOC_HUGE_FIRST), ACL_SUCCESS);
    ASSERT_EQ(aclrtMalloc(&out_, 1 << 20, ACL_MEM_MALLOC_HUGE_FIRST), ACL_SUCCESS);
    npumock_set_activity_sink(&on_activity);
    take_records();
  }
  void TearDown() override {
    npumock_set_activity_sink(nullptr);
    aclrtFree(buf_);
    aclrtFree(out_);
    aclrtDestroyStream(stream_);
    EXPECT_EQ(HcclCommDestroy(comm_), HCCL_SUCCESS);
    EXPECT_EQ(HcclCommDestroy(peer_), HCCL_SUCCESS);
    EXPECT_EQ(HcclCommDestroy(comm_), HCCL_E_PARA);  // already gone
  }
  HcclComm comm_ = nullptr, peer_ = nullptr;
  HcclResult peer_rc_ = HCCL_E_INTERNAL;
  aclrtStream stream_ = nullptr;
  void *buf_ = nullptr, *out_ = nullptr;
};

TEST_F(HcclCollectives, EachLastsLatencyPlusBytesOverBandwidth) {
  uint64_t counts[2] = {1000, 3000}, displs[2] = {0, 1000}, recv[2] = {1000, 500};
  HcclSendRecvItem items[2] = {{HCCL_SEND, buf_, 10, HCCL_DATA_TYPE_INT64, 1},
                               {HCCL_RECV, out_, 20, HCCL_DATA_TYPE_INT8, 1}};
  ASSERT_EQ(HcclAllReduce(buf_, out_, 1000, HCCL_DATA_TYPE_FP32, HCCL_REDUCE_SUM, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclAllGather(buf_, out_, 1000, HCCL_DATA_TYPE_FP16, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclReduceScatter(buf_, out_, 1000, HCCL_DATA_TYPE_BFP16, HCCL_REDUCE_MAX, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclBroadcast(buf_, 1000, HCCL_DATA_TYPE_INT8, 1, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclReduce(buf_, out_, 1000, HCCL_DATA_TYPE_INT32, HCCL_REDUCE_SUM, 0, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclAlltoAll(buf_, 1000, HCCL_DATA_TYPE_FP32, out_, 1000, HCCL_DATA_TYPE_FP32, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclAlltoAllV(buf_, counts, displs, HCCL_DATA_TYPE_FP16, out_, recv, displs, HCCL_DATA_TYPE_FP16, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclScatter(buf_, out_, 1000, HCCL_DATA_TYPE_FP64, 0, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclSend(buf_, 1000, HCCL_DATA_TYPE_INT16, 1, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclRecv(out_, 1000, HCCL_DATA_TYPE_UINT32, 1, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclBatchSendRecv(items, 2, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(HcclBarrier(comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);  // covers every collective
  const std::vector<std::pair<std::string, uint64_t>> expected = {
      {"HcclAllReduce", 4000},     {"HcclAllGather", 2000}, {"HcclReduceScatter", 2000},
      {"HcclBroadcast", 1000},     {"HcclReduce", 4000},    {"HcclAlltoAll", 8000},
      {"HcclAlltoAllV", 8000},     {"HcclScatter", 8000},   {"HcclSend", 2000},
      {"HcclRecv", 4000},          {"HcclBatchSendRecv", 100}, {"HcclBarrier", 0}};
  const std::vector<npumock_activity> records = take_records();
  ASSERT_EQ(records.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_STREQ(records[i].name, expected[i].first.c_str());
    EXPECT_EQ(records[i].deviceId, 0u);
    // GBPS=1: one byte per ns.
    EXPECT_EQ(records[i].end_ns - records[i].start_ns, kLatencyNs + expected[i].second)
        << expected[i].first;
  }
}

TEST_F(HcclCollectives, BadInputGetsHcclCodesAndQueuesNothing) {
  uint64_t counts[2] = {10, 10}, displs[2] = {0, 10}, recv_bad[2] = {11, 10};
  EXPECT_EQ(HcclAllReduce(buf_, out_, 10, HCCL_DATA_TYPE_FP32, HCCL_REDUCE_SUM, nullptr, stream_), HCCL_E_PTR);
  EXPECT_EQ(HcclAllReduce(buf_, out_, 10, HCCL_DATA_TYPE_FP32, HCCL_REDUCE_SUM, comm_, nullptr), HCCL_E_PTR);
  EXPECT_EQ(HcclAllReduce(nullptr, out_, 10, HCCL_DATA_TYPE_FP32, HCCL_REDUCE_SUM, comm_, stream_), HCCL_E_PTR);
  EXPECT_EQ(HcclAllReduce(buf_, out_, 10, HCCL_DATA_TYPE_RESERVED, HCCL_REDUCE_SUM, comm_, stream_), HCCL_E_PARA);
  EXPECT_EQ(HcclAllReduce(buf_, out_, 10, HCCL_DATA_TYPE_FP32, HCCL_REDUCE_RESERVED, comm_, stream_), HCCL_E_PARA);
  EXPECT_EQ(HcclBroadcast(buf_, 10, HCCL_DATA_TYPE_FP32, 2, comm_, stream_), HCCL_E_PARA);
  EXPECT_EQ(HcclSend(buf_, 10, HCCL_DATA_TYPE_FP32, 0, comm_, stream_), HCCL_E_PARA);  // itself
  EXPECT_EQ(HcclAlltoAll(buf_, 10, HCCL_DATA_TYPE_FP32, out_, 11, HCCL_DATA_TYPE_FP32, comm_, stream_), HCCL_E_PARA);
  EXPECT_EQ(HcclAlltoAllV(buf_, nullptr, displs, HCCL_DATA_TYPE_FP32, out_, counts, displs, HCCL_DATA_TYPE_FP32, comm_, stream_), HCCL_E_PTR);
  EXPECT_EQ(HcclAlltoAllV(buf_, counts, displs, HCCL_DATA_TYPE_FP32, out_, recv_bad, displs, HCCL_DATA_TYPE_FP32, comm_, stream_), HCCL_E_PARA);
  EXPECT_EQ(HcclBarrier(nullptr, stream_), HCCL_E_PTR);
  EXPECT_EQ(HcclBatchSendRecv(nullptr, 1, comm_, stream_), HCCL_E_PTR);
  // A count of 0 succeeds without device work.
  EXPECT_EQ(HcclAllReduce(buf_, out_, 0, HCCL_DATA_TYPE_FP32, HCCL_REDUCE_SUM, comm_, stream_), HCCL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeStream(stream_), ACL_SUCCESS);
  EXPECT_TRUE(take_records().empty());
}

}  // namespace

int main(int argc, char **argv) {
  setenv("NPU_MOCK_HCCL_GBPS", "1", 1);
  setenv("NPU_MOCK_HCCL_LATENCY_US", "100", 1);
  setenv("NPU_MOCK_HCCL_TIMEOUT_MS", "500", 1);
  if (argc == 5 && std::strcmp(argv[1], "--rank") == 0) {
    return run_rank(uint32_t(std::atoi(argv[2])), uint32_t(std::atoi(argv[3])), argv[4]);
  }
  g_self = argv[0];
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
