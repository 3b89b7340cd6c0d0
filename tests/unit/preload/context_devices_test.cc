// Which device a context belongs to (aclrtCreateContext / aclrtSetCurrentContext).
#include "context_devices.h"

#include <gtest/gtest.h>

#include <memory>

namespace npuprobe::preload {
namespace {

const void *at(std::uintptr_t a) { return reinterpret_cast<const void *>(a); }

TEST(ContextDevices, RemembersUpdatesAndForgetsByDevice) {
  auto contexts = std::make_unique<ContextDevices>();
  std::int32_t device = -1;
  EXPECT_FALSE(contexts->find(at(0x100), &device));
  contexts->set(at(0x100), 1);
  contexts->set(at(0x200), 3);
  ASSERT_TRUE(contexts->find(at(0x100), &device));
  EXPECT_EQ(device, 1);
  contexts->set(at(0x100), 2);  // the address came back for another device
  ASSERT_TRUE(contexts->find(at(0x100), &device));
  EXPECT_EQ(device, 2);
  contexts->forget_device(2);
  EXPECT_FALSE(contexts->find(at(0x100), &device));
  ASSERT_TRUE(contexts->find(at(0x200), &device));
  EXPECT_EQ(device, 3);
  EXPECT_FALSE(contexts->find(nullptr, &device));
}

TEST(ContextDevices, AFullTableKeepsWhatItHas) {
  auto contexts = std::make_unique<ContextDevices>();
  for (int i = 0; i < ContextDevices::kSlots + 10; ++i) contexts->set(at(0x1000 + 16 * i), i % 8);
  std::int32_t device = -1;
  ASSERT_TRUE(contexts->find(at(0x1000), &device));
  EXPECT_EQ(device, 0);
  EXPECT_FALSE(contexts->find(at(0x1000 + 16 * ContextDevices::kSlots), &device));
}

}  // namespace
}  // namespace npuprobe::preload
