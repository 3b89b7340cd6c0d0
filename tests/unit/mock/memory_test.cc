// Device memory: capacity (NPU_MOCK_HBM_BYTES=64 MiB, 4 MiB reserved by the "runtime"),
// aclrtGetMemInfo consistency, both allocation families, copies that move real bytes.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "npu/npumock.h"

namespace {

constexpr size_t kMiB = size_t(1) << 20;

size_t free_hbm() {
  size_t free = 0, total = 0;
  EXPECT_EQ(aclrtGetMemInfo(ACL_HBM_MEM, &free, &total), ACL_SUCCESS);
  EXPECT_EQ(total, 64 * kMiB);
  return free;
}

class MemoryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(aclrtSetDevice(0), ACL_SUCCESS); }
};

TEST_F(MemoryTest, MemInfoFollowsAllocationsAndCapacityFails) {
  const size_t before = free_hbm();
  EXPECT_EQ(before, 60 * kMiB);
  void *a = nullptr, *b = nullptr, *c = nullptr;
  ASSERT_EQ(aclrtMalloc(&a, 16 * kMiB, ACL_MEM_MALLOC_HUGE_FIRST), ACL_SUCCESS);
  ASSERT_EQ(aclrtMallocAlign32(&b, 40 * kMiB, ACL_MEM_MALLOC_HUGE_FIRST), ACL_SUCCESS);
  EXPECT_EQ(free_hbm(), before - 56 * kMiB);
  EXPECT_EQ(aclrtMalloc(&c, 8 * kMiB, ACL_MEM_MALLOC_HUGE_FIRST), ACL_ERROR_RT_MEMORY_ALLOCATION);
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(aclrtFree(a), ACL_SUCCESS);
  EXPECT_EQ(aclrtFree(a), ACL_ERROR_RT_PARAM_INVALID) << "double free";
  EXPECT_EQ(aclrtFree(b), ACL_SUCCESS);
  EXPECT_EQ(free_hbm(), before);
}

TEST_F(MemoryTest, VirtualMemoryFamilyChargesPhysicalBytes) {
  const size_t before = free_hbm();
  void *va = nullptr;
  aclrtDrvMemHandle phys = nullptr;
  ASSERT_EQ(aclrtReserveMemAddress(&va, 32 * kMiB, 0, nullptr, 0), ACL_SUCCESS);
  EXPECT_EQ(free_hbm(), before) << "a reservation is address space only";
  ASSERT_EQ(aclrtMallocPhysical(&phys, 8 * kMiB, nullptr, 0), ACL_SUCCESS);
  EXPECT_EQ(free_hbm(), before - 8 * kMiB);
  ASSERT_EQ(aclrtMapMem(va, 8 * kMiB, 0, phys, 0), ACL_SUCCESS);
  memset(va, 0x5a, 8 * kMiB);  // mapped pages are real memory
  EXPECT_EQ(aclrtFreePhysical(phys), ACL_ERROR_RT_PARAM_INVALID) << "still mapped";
  EXPECT_EQ(aclrtReleaseMemAddress(va), ACL_ERROR_RT_PARAM_INVALID) << "still mapped";
  ASSERT_EQ(aclrtUnmapMem(va), ACL_SUCCESS);
  ASSERT_EQ(aclrtFreePhysical(phys), ACL_SUCCESS);
  ASSERT_EQ(aclrtReleaseMemAddress(va), ACL_SUCCESS);
  EXPECT_EQ(free_hbm(), before);
}

TEST_F(MemoryTest, CopiesMoveBytesAndCheckPointers) {
  void *dev = nullptr, *host = nullptr;
  ASSERT_EQ(aclrtMalloc(&dev, 4096, ACL_MEM_MALLOC_HUGE_FIRST), ACL_SUCCESS);
  ASSERT_EQ(aclrtMallocHost(&host, 4096), ACL_SUCCESS);
  char src[4096];
  memset(src, 7, sizeof src);
  ASSERT_EQ(aclrtMemcpy(dev, 4096, src, 4096, ACL_MEMCPY_HOST_TO_DEVICE), ACL_SUCCESS);
  aclrtStream s = nullptr;
  ASSERT_EQ(aclrtCreateStream(&s), ACL_SUCCESS);
  ASSERT_EQ(aclrtMemcpyAsync(host, 4096, dev, 4096, ACL_MEMCPY_DEVICE_TO_HOST, s), ACL_SUCCESS);
  ASSERT_EQ(aclrtSynchronizeStream(s), ACL_SUCCESS);
  EXPECT_EQ(memcmp(host, src, 4096), 0);
  EXPECT_EQ(aclrtMemcpy(dev, 1024, src, 4096, ACL_MEMCPY_HOST_TO_DEVICE), ACL_ERROR_INVALID_PARAM)
      << "count > destMax";
  EXPECT_EQ(aclrtMemcpy(src, 4096, host, 4096, ACL_MEMCPY_DEVICE_TO_HOST), ACL_ERROR_RT_PARAM_INVALID)
      << "source is not device memory";
  EXPECT_EQ(aclrtMemcpy(dev, 4096, src, 4096, 9), ACL_ERROR_INVALID_PARAM);
  EXPECT_EQ(aclrtDestroyStream(s), ACL_SUCCESS);
  EXPECT_EQ(aclrtFreeHost(host), ACL_SUCCESS);
  EXPECT_EQ(aclrtFreeHost(host), ACL_ERROR_RT_PARAM_INVALID);
  EXPECT_EQ(aclrtFree(dev), ACL_SUCCESS);
}

TEST_F(MemoryTest, AllocationNeedsABoundDevice) {
  std::thread([] {
    void *p = nullptr;
    size_t f = 0, t = 0;
    EXPECT_EQ(aclrtMalloc(&p, 64, ACL_MEM_MALLOC_HUGE_FIRST), ACL_ERROR_RT_CONTEXT_NULL);
    EXPECT_EQ(aclrtGetMemInfo(ACL_HBM_MEM, &f, &t), ACL_ERROR_RT_CONTEXT_NULL);
  }).join();
}

}  // namespace

int main(int argc, char **argv) {
  setenv("NPU_MOCK_HBM_BYTES", "67108864", 1);
  setenv("NPU_MOCK_HBM_RESERVED_BYTES", "4194304", 1);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
