// MsptiBufferPool: a fixed set of buffers lent to MSPTI, refused (and counted) when all are
// out, read back by one consumer; and for_each_record over records laid out as MSPTI packs them,
// walked with the fake libmspti's msptiActivityGetNextRecord.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "npuprobe/npu_shim/mspti_buffer_pool.h"
#include "npuprobe/npu_shim/mspti_records.h"

namespace npuprobe::npu_shim {
namespace {

TEST(MsptiBufferPool, LendsEachBufferOnceThenRefusesAndCounts) {
  MsptiBufferPool pool(2);
  std::uint8_t *a = pool.lend();
  std::uint8_t *b = pool.lend();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a) % 8, 0u) << "8-aligned, as MSPTI requires";
  EXPECT_EQ(pool.lend(), nullptr);
  EXPECT_EQ(pool.lend(), nullptr);
  EXPECT_EQ(pool.take_refused(), 2u);
  EXPECT_EQ(pool.take_refused(), 0u) << "taken";
}

TEST(MsptiBufferPool, CompletedBuffersAreReadOnceAndLentAgain) {
  MsptiBufferPool pool(2);
  std::uint8_t *a = pool.lend();
  std::uint8_t *b = pool.lend();
  std::memset(a, 7, 100);
  pool.complete(a, 100);
  std::vector<std::size_t> read;
  EXPECT_EQ(pool.drain([&](std::uint8_t *buffer, std::size_t valid) {
              EXPECT_EQ(buffer, a);
              EXPECT_EQ(buffer[99], 7);
              read.push_back(valid);
            }),
            1);
  EXPECT_EQ(read, std::vector<std::size_t>{100});
  EXPECT_EQ(pool.drain([&](std::uint8_t *, std::size_t) { ADD_FAILURE() << "read twice"; }), 0)
      << "b is still lent";
  EXPECT_EQ(pool.lend(), a) << "a is free again";
  pool.complete(b, 0);  // handed back empty: freed without a read
  EXPECT_EQ(pool.drain([&](std::uint8_t *, std::size_t) { ADD_FAILURE() << "empty read"; }), 1);
}

TEST(MsptiBufferPool, AForeignBufferIsIgnored) {
  MsptiBufferPool pool(1);
  std::uint8_t foreign[64];
  pool.complete(foreign, 64);
  EXPECT_EQ(pool.drain([&](std::uint8_t *, std::size_t) { ADD_FAILURE(); }), 0);
  EXPECT_NE(pool.lend(), nullptr);
}

TEST(MsptiBufferPool, LendingFromManyThreadsNeverGivesABufferTwice) {
  MsptiBufferPool pool(8);
  std::vector<std::uint8_t *> got(16, nullptr);
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) threads.emplace_back([&, i] { got[i] = pool.lend(); });
  for (auto &t : threads) t.join();
  std::vector<std::uint8_t *> lent;
  for (std::uint8_t *p : got) {
    if (p != nullptr) lent.push_back(p);
  }
  std::sort(lent.begin(), lent.end());
  EXPECT_EQ(lent.size(), 8u);
  EXPECT_EQ(std::unique(lent.begin(), lent.end()), lent.end());
  EXPECT_EQ(pool.take_refused(), 8u);
}

// A buffer as MSPTI fills it: records back to back, each 8-aligned (docs/ascend-stack.md, "MSPTI
// activity records").
class RecordBuffer {
 public:
  void kernel(std::uint32_t device, std::uint64_t start, std::uint64_t end, const char *name) {
    msptiActivityKernel k{};
    k.kind = MSPTI_ACTIVITY_KIND_KERNEL;
    k.start = start;
    k.end = end;
    k.ds.deviceId = device;
    k.type = "KERNEL_AIVEC";
    k.name = name;
    append(&k, sizeof k);
  }
  void api(const char *name) {
    msptiActivityApi a{};
    a.kind = MSPTI_ACTIVITY_KIND_API;
    a.start = 1;
    a.end = 4;
    a.name = name;
    append(&a, sizeof a);
  }
  void hccl(std::uint32_t device, std::uint64_t start, std::uint64_t end, const char *name,
            const char *comm) {
    msptiActivityHccl h{};
    h.kind = MSPTI_ACTIVITY_KIND_HCCL;
    h.start = start;
    h.end = end;
    h.ds.deviceId = device;
    h.bandWidth = 2.5;
    h.name = name;
    h.commName = comm;
    append(&h, sizeof h);
  }
  std::uint8_t *data() { return bytes_; }
  std::size_t size() const { return size_; }

 private:
  void append(const void *record, std::size_t n) {
    std::memcpy(bytes_ + size_, record, n);
    size_ += n;
  }
  alignas(8) std::uint8_t bytes_[4096] = {};
  std::size_t size_ = 0;
};

TEST(MsptiRecords, KernelAndApiRecordsAreReadAtTheirPackedOffsets) {
  static_assert(sizeof(msptiActivityKernel) == 56, "the layout of docs/ascend-stack.md");
  static_assert(sizeof(msptiActivityApi) == 48, "the layout of docs/ascend-stack.md");
  MsptiFunctions mspti{};
  mspti.get_next_record = &msptiActivityGetNextRecord;  // the fake libmspti's walk
  RecordBuffer buffer;
  buffer.kernel(3, 1000, 1500, "MatMulV2");
  buffer.api("aclrtSynchronizeStream");
  buffer.kernel(5, 2000, 2100, "Add");
  std::vector<std::string> seen;
  const std::size_t walked = for_each_record(
      mspti, buffer.data(), buffer.size(),
      [&](const msptiActivityKernel &k) {
        seen.push_back(std::string(k.name) + "@" + std::to_string(k.ds.deviceId) + ":" +
                       std::to_string(k.end - k.start) + ":" + k.type);
      },
      [&](const msptiActivityApi &a) {
        seen.push_back(std::string(a.name) + ":" + std::to_string(a.end - a.start));
      });
  EXPECT_EQ(walked, 3u);
  EXPECT_EQ(seen, (std::vector<std::string>{"MatMulV2@3:500:KERNEL_AIVEC",
                                            "aclrtSynchronizeStream:3", "Add@5:100:KERNEL_AIVEC"}));
}

// HCCL records (56 bytes, docs/ascend-stack.md) between the others; the two-callback walk skips
// them.
TEST(MsptiRecords, HcclRecordsAreReadAtTheirPackedOffsets) {
  static_assert(sizeof(msptiActivityHccl) == 56, "the layout of docs/ascend-stack.md");
  MsptiFunctions mspti{};
  mspti.get_next_record = &msptiActivityGetNextRecord;
  RecordBuffer buffer;
  buffer.hccl(2, 1000, 41000, "HcclAllReduce", "10.0.0.1%eth0_60000_0_1");
  buffer.kernel(3, 1000, 1500, "MatMulV2");
  buffer.hccl(7, 5, 6, "HcclAlltoAllV", "ep");
  std::vector<std::string> seen;
  int kernels = 0;
  const auto kernel = [&](const msptiActivityKernel &) { ++kernels; };
  const auto ignore = [](const msptiActivityApi &) {};
  EXPECT_EQ(for_each_record(mspti, buffer.data(), buffer.size(), kernel, ignore,
                            [&](const msptiActivityHccl &h) {
                              seen.push_back(std::string(h.name) + "@" +
                                             std::to_string(h.ds.deviceId) + ":" +
                                             std::to_string(h.end - h.start) + ":" + h.commName +
                                             ":" + std::to_string(h.bandWidth));
                            }),
            3u);
  EXPECT_EQ(kernels, 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"HcclAllReduce@2:40000:10.0.0.1%eth0_60000_0_1:2.500000",
                                            "HcclAlltoAllV@7:1:ep:2.500000"}));
  EXPECT_EQ(for_each_record(mspti, buffer.data(), buffer.size(), kernel, ignore), 3u);
  EXPECT_EQ(kernels, 2);
}

TEST(MsptiRecords, AnEmptyOrTruncatedBufferYieldsNothingBeyondIt) {
  MsptiFunctions mspti{};
  mspti.get_next_record = &msptiActivityGetNextRecord;
  RecordBuffer buffer;
  buffer.kernel(0, 0, 1, "k");
  int kernels = 0;
  const auto count = [&](const msptiActivityKernel &) { ++kernels; };
  const auto ignore = [](const msptiActivityApi &) {};
  EXPECT_EQ(for_each_record(mspti, buffer.data(), 0, count, ignore), 0u);
  // Only part of the record is valid: walked (MSPTI hands it out) but not read.
  for_each_record(mspti, buffer.data(), 40, count, ignore);
  EXPECT_EQ(kernels, 0);
  for_each_record(mspti, buffer.data(), buffer.size(), count, ignore);
  EXPECT_EQ(kernels, 1);
}

// MSPTI's cursor is thread_local and an unknown kind leaves it mid-buffer (INNER): the next
// buffer read on this thread must still start at its first record.
TEST(MsptiRecords, AWalkStoppedByAnUnknownKindLeavesNoCursorBehind) {
  MsptiFunctions mspti{};
  mspti.get_next_record = &msptiActivityGetNextRecord;
  RecordBuffer odd;
  odd.kernel(0, 0, 1, "first");
  odd.kernel(0, 0, 1, "unknown");
  const msptiActivityKind unknown = static_cast<msptiActivityKind>(77);
  std::memcpy(odd.data() + sizeof(msptiActivityKernel), &unknown, sizeof unknown);
  odd.kernel(0, 0, 1, "never");
  std::vector<std::string> seen;
  const auto name = [&](const msptiActivityKernel &k) { seen.push_back(k.name); };
  const auto ignore = [](const msptiActivityApi &) {};
  EXPECT_EQ(for_each_record(mspti, odd.data(), odd.size(), name, ignore), 1u);
  RecordBuffer next;
  next.kernel(1, 0, 1, "a");
  next.kernel(1, 0, 1, "b");
  EXPECT_EQ(for_each_record(mspti, next.data(), next.size(), name, ignore), 2u);
  EXPECT_EQ(seen, (std::vector<std::string>{"first", "a", "b"}));
}

}  // namespace
}  // namespace npuprobe::npu_shim
