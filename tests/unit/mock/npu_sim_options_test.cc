// npu-sim's options for the newer runtime entry points: the ground truth its --report counts at
// the call site must be exact, and must match what the simulated device saw (stats file).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct SimRun {
  int status = -1;
  std::string report;  // --report JSON
  std::string stats;   // NPU_MOCK_STATS_FILE JSON
};

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SimRun npu_sim(const std::string &args, const std::string &env = "") {
  char dir[] = "/tmp/npusim-opts-XXXXXX";
  SimRun r;
  if (mkdtemp(dir) == nullptr) return r;
  const std::string report = std::string(dir) + "/report.json", stats = std::string(dir) + "/stats.json";
  const std::string cmd = "NPU_MOCK_STATS_FILE=" + stats + " " + env + " " NPUMOCK_NPU_SIM " --report " +
                          report + " --device-us 20 --host-gap-us 20 " + args + " >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.report = slurp(report);
  r.stats = slurp(stats);
  std::remove(report.c_str());
  std::remove(stats.c_str());
  rmdir(dir);
  return r;
}

#define EXPECT_HAS(text, piece) EXPECT_NE((text).find(piece), std::string::npos) << (text)
#define EXPECT_LACKS(text, piece) EXPECT_EQ((text).find(piece), std::string::npos) << (text)

// Two rank processes: rank 0's report and stats (it exits last, so the shared stats path holds
// its account). Rank 0 of 2 sends 100 + 0 and 100 + 8 BF16 elements per all-to-all-v.
TEST(NpuSimOptions, CollectivesPerStepAreCountedAndRunOnTheDevice) {
  const SimRun r = npu_sim("--steps 2 --launches 3 --hccl-ranks 2 --tp-allreduce 2 --moe-layers 1 "
                           "--hccl-tokens 100");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"hccl\": {\"rank\": 0, \"size\": 2, \"binding\": \"linked\", "
                       "\"init\": \"plain\", \"device_ns\": 80048, \"host_ns\": ");
  EXPECT_HAS(r.report, "\"calls\": {\"allreduce\": 4, \"alltoallv\": 4}, "
                       "\"bytes\": {\"allreduce\": 800, \"alltoallv\": 1664}}");
  // Host time measured around the 8 calls: at least NPU_MOCK_HCCL_HOST_US (default 20) each.
  const std::size_t host = r.report.find("\"host_ns\": ");
  ASSERT_NE(host, std::string::npos);
  EXPECT_GE(std::stoull(r.report.substr(host + 11)), 8u * 20000u) << r.report;
  // 10 us latency + bytes / 50 GB/s each: 4 x (10000 + 4) + 4 x (10000 + 8) ns.
  EXPECT_HAS(r.stats, "\"HcclAllReduce\": 4");
  EXPECT_HAS(r.stats, "\"HcclAlltoAllV\": 4");
  EXPECT_HAS(r.stats, "\"HcclCommInitRootInfo\": 1");
  EXPECT_HAS(r.stats, "\"kernels\": 14, \"busy_ns\": 200048") << "6 kernels of 20 us + 8 collectives";
}

TEST(NpuSimOptions, CollectiveOptionsNeedRanks) {
  EXPECT_EQ(npu_sim("--steps 1 --launches 1 --moe-layers 2").status, 2);
  EXPECT_EQ(npu_sim("--steps 1 --launches 1 --hccl-ranks 9").status, 2);
  EXPECT_EQ(npu_sim("--steps 1 --launches 1 --hccl-ranks 2 --devices 0,1").status, 2);
}

TEST(NpuSimOptions, GraphUpdateRewritesTheGroupBeforeEveryReplay) {
  const SimRun r = npu_sim("--steps 3 --launches 4 --graph --graph-update --task-queue");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"launches\": {\"capture\": 4, \"graph\": 3, \"graph_update\": 3}");
  EXPECT_HAS(r.report, "\"syncs\": {\"stream\": 3}");
  EXPECT_HAS(r.report, "\"graph_update\": true");
  EXPECT_HAS(r.stats, "\"aclmdlRICaptureTaskGrpBegin\": 1");
  EXPECT_HAS(r.stats, "\"aclmdlRICaptureTaskGrpEnd\": 1");
  EXPECT_HAS(r.stats, "\"aclmdlRICaptureTaskUpdateBegin\": 3");
  EXPECT_HAS(r.stats, "\"aclmdlRICaptureTaskUpdateEnd\": 3");
  EXPECT_HAS(r.stats, "\"aclmdlRIExecuteAsync\": 3");
  // Captured: Matmul Add Silu Matmul; each update: Matmul (the group's task).
  EXPECT_HAS(r.stats, "\"aclnnMatmul\": 5");
  EXPECT_HAS(r.stats, "\"kernels\": 12") << "updates do not run; each replay runs 4";
}

TEST(NpuSimOptions, SyncGraphIsOneSynchronousReplayPerStep) {
  const SimRun r = npu_sim("--steps 3 --launches 4 --graph --sync graph --devices 0,1");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"launches\": {\"capture\": 4, \"graph\": 3}, \"syncs\": {\"graph\": 3}");
  EXPECT_HAS(r.stats, "\"aclmdlRIExecute\": 6");
  EXPECT_LACKS(r.stats, "\"aclmdlRIExecuteAsync\"");
  EXPECT_LACKS(r.stats, "\"aclrtSynchronizeStream\"");
}

TEST(NpuSimOptions, NewWaitsAreCountedUnderTheirContractLabels) {
  struct Case {
    const char *sync, *label, *call;
  } cases[] = {{"conditional", "memcpy", "aclrtMemcpyAsyncWithCondition"},
               {"batch", "memcpy", "aclrtMemcpyBatch"},
               {"event-timeout", "event", "aclrtSynchronizeEventWithTimeout"},
               {"stream-timeout", "stream", "aclrtSynchronizeStreamWithTimeout"}};
  for (const Case &c : cases) {
    const SimRun r = npu_sim(std::string("--steps 3 --launches 2 --task-queue --sync ") + c.sync);
    ASSERT_EQ(r.status, 0) << c.sync;
    EXPECT_HAS(r.report, "\"syncs\": {\"" + std::string(c.label) + "\": 3}");
    EXPECT_HAS(r.report, "\"sync\": \"" + std::string(c.sync) + "\"");
    EXPECT_HAS(r.stats, "\"" + std::string(c.call) + "\": 3");
  }
}

TEST(NpuSimOptions, StepCopiesAreAsynchronousLaunches) {
  SimRun r = npu_sim("--steps 3 --launches 4 --step-copy conditional");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"launches\": {\"aclnn\": 12, \"memcpy_async\": 3}");
  EXPECT_HAS(r.stats, "\"aclrtMemcpyAsyncWithCondition\": 3");
  r = npu_sim("--steps 3 --launches 4 --step-copy batch --graph --task-queue");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"launches\": {\"capture\": 4, \"graph\": 3, \"memcpy_async\": 3}");
  EXPECT_HAS(r.stats, "\"aclrtMemcpyBatchAsync\": 3");
}

TEST(NpuSimOptions, LaunchesBelowAcl) {
  SimRun r = npu_sim("--steps 3 --launches 4 --launch-api rt --devices 0,1");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"launches\": {\"rt_kernel\": 12}");
  EXPECT_HAS(r.stats, "\"rtKernelLaunchWithFlagV2\": 24");
  EXPECT_LACKS(r.stats, "\"aclrtLaunchKernel\"");
  r = npu_sim("--steps 3 --launches 4 --launch-api aicpu --graph");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"launches\": {\"capture\": 4, \"graph\": 3}");
  EXPECT_HAS(r.stats, "\"rtAicpuKernelLaunchExWithArgs\": 4");
  EXPECT_HAS(r.stats, "\"kernels\": 12");
  r = npu_sim("--steps 2 --launches 3 --launch-api aicpu --task-queue --slow-launch-every 2 --slow-launch-us 50");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"launches\": {\"aicpu\": 6}");
  EXPECT_HAS(r.report, "\"slow_launches\": 3");
}

TEST(NpuSimOptions, OpapiPerOpLooksEveryStageUpAtEachCall) {
  SimRun r = npu_sim("--steps 3 --launches 4 --binding opapi-per-op");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"opapi_lookups\": 24") << "12 first and 12 second stages";
  EXPECT_HAS(r.report, "\"launches\": {\"aclnn\": 12}");
  r = npu_sim("--steps 3 --launches 4 --binding opapi-per-op --format-cast --graph --task-queue");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"opapi_lookups\": 12") << "4 captured launches x 2, 3 casts, 1 reselect";
  r = npu_sim("--steps 3 --launches 4 --binding opapi");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"opapi_lookups\": 0");
}

TEST(NpuSimOptions, TaskQueueLevelTwoMovesFirstStagesToTheQueueThread) {
  SimRun r = npu_sim("--steps 3 --launches 4 --task-queue-level 2");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"first_stages\": {\"queue\": 12}");
  EXPECT_HAS(r.report, "\"task_queue\": true");
  EXPECT_HAS(r.report, "\"task_queue_level\": 2");
  r = npu_sim("--steps 3 --launches 4 --task-queue");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"first_stages\": {\"main\": 12}");
  EXPECT_HAS(r.report, "\"task_queue_level\": 1");
  r = npu_sim("--steps 3 --launches 4 --task-queue-level 0");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"task_queue\": false");
}

TEST(NpuSimOptions, BindContext) {
  SimRun r = npu_sim("--steps 2 --launches 2 --bind-context --devices 0,1");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"context_binds\": 1");
  EXPECT_HAS(r.stats, "\"aclrtCreateContext\": 2");
  EXPECT_HAS(r.stats, "\"aclrtDestroyContext\": 2");
  EXPECT_LACKS(r.stats, "\"aclrtSetDevice\"");
  r = npu_sim("--steps 2 --launches 2 --bind-context --task-queue --devices 0,1");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"context_binds\": 1");
  EXPECT_HAS(r.stats, "\"aclrtSetDevice\": 2");
  EXPECT_HAS(r.stats, "\"aclrtGetCurrentContext\": 2");
  EXPECT_HAS(r.stats, "\"aclrtSetCurrentContext\": 2");
  r = npu_sim("--steps 2 --launches 2");
  EXPECT_HAS(r.report, "\"context_binds\": 0");
}

TEST(NpuSimOptions, FormatCastIsCheckedAndFailuresAreErrors) {
  SimRun r = npu_sim("--steps 3 --launches 2 --format-cast --binding opapi");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.report, "\"format_casts\": 3");
  EXPECT_HAS(r.stats, "\"aclnnReselectStaticKernel\": 1");
  EXPECT_HAS(r.stats, "\"aclnnNpuFormatCastCalculateSizeAndFormat\": 3");
  r = npu_sim("--steps 3 --launches 2 --format-cast", "NPU_MOCK_FAIL=aclnnNpuFormatCastCalculateSizeAndFormat:2:561000");
  EXPECT_EQ(r.status, 1);
  EXPECT_HAS(r.report, "\"format_casts\": 2");
  EXPECT_HAS(r.report, "\"errors\": {\"aclnnNpuFormatCastCalculateSizeAndFormat\": 1}");
}

TEST(NpuSimOptions, AllocationsWithAConfig) {
  const SimRun r = npu_sim("--steps 2 --launches 2 --alloc-cfg --alloc-bytes 10000");
  ASSERT_EQ(r.status, 0);
  EXPECT_HAS(r.stats, "\"aclrtMallocWithCfg\": 2");
  EXPECT_HAS(r.stats, "\"aclrtMallocHostWithCfg\": 1");
  EXPECT_LACKS(r.stats, "\"aclrtMallocAlign32\"");
  EXPECT_HAS(r.report, "\"bytes_allocated\": 14096");
}

TEST(NpuSimOptions, UsageErrors) {
  EXPECT_EQ(npu_sim("--graph-update").status, 2) << "needs --graph";
  EXPECT_EQ(npu_sim("--sync graph").status, 2) << "needs --graph";
  EXPECT_EQ(npu_sim("--graph --graph-update --launch-api aicpu").status, 2);
  EXPECT_EQ(npu_sim("--task-queue-level 3").status, 2);
  EXPECT_EQ(npu_sim("--step-copy memcpy").status, 2);
  EXPECT_EQ(npu_sim("--binding opapi-per-op --launch-api nope").status, 2);
}

}  // namespace
