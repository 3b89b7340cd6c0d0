// dlsym's remembered decisions: found by (address, name) in the generation they were made in,
// never half-written, and bounded.
#include "resolved_names.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace npuprobe::preload {
namespace {

void *at(std::uintptr_t a) { return reinterpret_cast<void *>(a); }

TEST(ResolvedNames, FindsWhatWasInsertedForTheSameAddressNameAndGeneration) {
  auto table = std::make_unique<ResolvedNames>();
  table->insert(at(0x1000), "aclnnAdd", 1, at(0xa));
  EXPECT_EQ(table->find(at(0x1000), "aclnnAdd", 1), at(0xa));
  EXPECT_EQ(table->find(at(0x1000), "aclnnAdd", 2), nullptr);  // a library was closed since
  EXPECT_EQ(table->find(at(0x2000), "aclnnAdd", 1), nullptr);
}

TEST(ResolvedNames, ComparesTheNameNotOnlyItsPointer) {
  auto table = std::make_unique<ResolvedNames>();
  char name[32] = "aclnnAdd";
  table->insert(at(0x1000), name, 1, at(0xa));
  const std::string copy = "aclnnAdd";
  EXPECT_EQ(table->find(at(0x1000), copy.c_str(), 1), at(0xa));  // another pointer, same name
  std::snprintf(name, sizeof name, "aclnnAddV2");  // the caller's buffer now says another name
  EXPECT_EQ(table->find(at(0x1000), "aclnnAddV2", 1), nullptr);
  // Two names of one address keep one decision each.
  table->insert(at(0x1000), "aclnnAddV2", 1, at(0xb));
  EXPECT_EQ(table->find(at(0x1000), "aclnnAddV2", 1), at(0xb));
  EXPECT_EQ(table->find(at(0x1000), "aclnnAdd", 1), at(0xa));
}

TEST(ResolvedNames, AnOlderGenerationIsRewrittenNotKeptForever) {
  auto table = std::make_unique<ResolvedNames>();
  // Fill one probe window in generation 1, then decide again in generation 2: the stale entries
  // make room, so the new decisions are found.
  for (std::size_t i = 0; i < ResolvedNames::kProbe; ++i) {
    table->insert(at(0x1000), ("aclnnOp" + std::to_string(i)).c_str(), 1, at(0x10 + i));
  }
  for (std::size_t i = 0; i < ResolvedNames::kProbe; ++i) {
    const std::string name = "aclnnOp" + std::to_string(i);
    EXPECT_EQ(table->find(at(0x1000), name.c_str(), 1), at(0x10 + i)) << name;
    table->insert(at(0x1000), name.c_str(), 2, at(0x20 + i));
    EXPECT_EQ(table->find(at(0x1000), name.c_str(), 2), at(0x20 + i)) << name;
  }
}

TEST(ResolvedNames, AFullProbeWindowOnlyMeansDecidingAgain) {
  auto table = std::make_unique<ResolvedNames>();
  for (std::size_t i = 0; i <= ResolvedNames::kProbe; ++i) {
    table->insert(at(0x1000), ("aclnnOp" + std::to_string(i)).c_str(), 1, at(0x10 + i));
  }
  const std::string last = "aclnnOp" + std::to_string(ResolvedNames::kProbe);
  EXPECT_EQ(table->find(at(0x1000), last.c_str(), 1), nullptr);
  EXPECT_EQ(table->find(at(0x1000), "aclnnOp0", 1), at(0x10));
}

TEST(ResolvedNames, AFullArenaStopsRemembering) {
  auto table = std::make_unique<ResolvedNames>();
  const std::string long_name = "aclnn" + std::string(1000, 'X');
  std::size_t remembered = 0;
  for (std::uintptr_t i = 0; i < 200; ++i) {
    const std::string name = long_name + std::to_string(i);
    table->insert(at(0x100000 + i * 0x1000), name.c_str(), 1, at(0x10));
    if (table->find(at(0x100000 + i * 0x1000), name.c_str(), 1) != nullptr) ++remembered;
  }
  EXPECT_EQ(remembered, ResolvedNames::kArenaBytes / (long_name.size() + 2 + 1));
}

TEST(ResolvedNames, ReadersNeverSeeAHalfWrittenEntry) {
  // Writers keep rewriting one slot with consistent (address, result) pairs in ever newer
  // generations; readers must get either nothing or the pair's own result.
  auto table = std::make_unique<ResolvedNames>();
  std::atomic<std::uint32_t> generation{1};
  std::atomic<bool> stop{false};
  std::atomic<long> wrong{0}, hits{0};
  std::thread writer([&] {
    for (std::uint32_t g = 1; g < 20000; ++g) {
      generation.store(g, std::memory_order_release);
      table->insert(at(0x1000), "aclnnAdd", g, at(0x1000 + g));
    }
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        const std::uint32_t g = generation.load(std::memory_order_acquire);
        void *found = table->find(at(0x1000), "aclnnAdd", g);
        if (found == nullptr) continue;
        ++hits;
        if (found != at(0x1000 + g)) ++wrong;
      }
    });
  }
  writer.join();
  for (auto &t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace npuprobe::preload
