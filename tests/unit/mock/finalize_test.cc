// What aclFinalize does to the rest of the fake CANN, as the real runtime does
// (docs/mock-sources.md, "aclprof, aclrtGetMemInfo and aclFinalize"): it ends aclprof
// (MsprofFinalize), after which aclprofStop and aclprofFinalize are no-ops; it resets no device,
// so a thread still bound to one reads its memory as before.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "npu/acl_api.h"

namespace {

std::string read_log(const char *dir) {
  const std::string path = std::string(dir) + "/npumock_aclprof_" + std::to_string(getpid()) + ".log";
  std::string text;
  if (FILE *f = fopen(path.c_str(), "r")) {
    char buf[1024];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    fclose(f);
  }
  return text;
}

TEST(Finalize, EndsAclprofAndLeavesMemoryInfo) {
  char dir[] = "/tmp/npumock-finalize-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_EQ(aclInit(nullptr), ACL_SUCCESS);
  ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS);
  uint32_t devices[1] = {0};
  ASSERT_EQ(aclprofInit(dir, strlen(dir)), ACL_SUCCESS);
  aclprofConfig *cfg = aclprofCreateConfig(devices, 1, ACL_AICORE_PIPE_UTILIZATION, nullptr,
                                           ACL_PROF_TASK_TIME_L0);
  ASSERT_NE(cfg, nullptr);
  ASSERT_EQ(aclprofStart(cfg), ACL_SUCCESS);
  size_t free_before = 0, total_before = 0;
  ASSERT_EQ(aclrtGetMemInfo(ACL_HBM_MEM, &free_before, &total_before), ACL_SUCCESS);

  ASSERT_EQ(aclFinalize(), ACL_SUCCESS);

  // aclprof: profiling ended inside aclFinalize; stop and finalize succeed doing nothing, and
  // aclprofStart needs a new aclprofInit.
  EXPECT_EQ(aclprofStop(cfg), ACL_SUCCESS);
  EXPECT_EQ(aclprofDestroyConfig(cfg), ACL_SUCCESS);
  EXPECT_EQ(aclprofFinalize(), ACL_SUCCESS);
  EXPECT_EQ(aclprofFinalize(), ACL_SUCCESS) << "not initialized: a no-op";
  EXPECT_EQ(aclprofStart(cfg), ACL_ERROR_PROF_NOT_RUN);
  EXPECT_EQ(read_log(dir), std::string("aclprofInit dir=") + dir +
                               "\naclprofCreateConfig devices=0 aicore_metrics=1 data_types=0x800\n"
                               "aclprofStart devices=0\naclFinalize ended profiling devices=0\n");

  // Memory: the device was not reset, so this thread still reads it.
  size_t free_after = 0, total_after = 0;
  EXPECT_EQ(aclrtGetMemInfo(ACL_HBM_MEM, &free_after, &total_after), ACL_SUCCESS);
  EXPECT_EQ(total_after, total_before);
  EXPECT_EQ(free_after, free_before);
  EXPECT_EQ(aclrtResetDevice(0), ACL_SUCCESS);
  EXPECT_EQ(aclrtGetMemInfo(ACL_HBM_MEM, &free_after, &total_after), ACL_ERROR_RT_CONTEXT_NULL);
  EXPECT_EQ(aclFinalize(), ACL_ERROR_UNINITIALIZE) << "already finalized";
}

TEST(Finalize, WithoutAclprofLogsNothing) {
  ASSERT_EQ(aclInit(nullptr), ACL_SUCCESS);
  ASSERT_EQ(aclFinalize(), ACL_SUCCESS);
  char dir[] = "/tmp/npumock-finalize-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_EQ(aclprofInit(dir, strlen(dir)), ACL_SUCCESS);
  ASSERT_EQ(aclprofFinalize(), ACL_SUCCESS);
  EXPECT_EQ(read_log(dir), std::string("aclprofInit dir=") + dir + "\naclprofFinalize\n");
}

}  // namespace
