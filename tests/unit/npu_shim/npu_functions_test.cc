// NpuFunctions: each feature resolves all its functions by name, once; a missing one leaves
// that feature (and only that one) off; MSPTI is looked for until it is found.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "npuprobe/npu_shim/npu_functions.h"

namespace npuprobe::npu_shim {
namespace {

int g_dummy;

// A lookup that knows every name except `absent`, and counts the questions.
struct FakeLookup {
  std::string absent;
  std::map<std::string, int> asked;
  SymbolLookup function() {
    return [this](const char *name) -> void * {
      ++asked[name];
      return absent == name ? nullptr : &g_dummy;
    };
  }
};

TEST(NpuFunctions, EveryFeatureResolvesWhenEverythingIsThere) {
  FakeLookup lookup;
  NpuFunctions npu(lookup.function());
  ASSERT_NE(npu.memory(), nullptr);
  ASSERT_NE(npu.aclprof(), nullptr);
  ASSERT_NE(npu.mspti(), nullptr);
  EXPECT_NE(npu.mspti()->get_next_record, nullptr);
  EXPECT_EQ(lookup.asked["msptiSubscribe"], 1) << "resolved once, however often asked";
  EXPECT_EQ(lookup.asked["aclprofFinalize"], 1);
}

TEST(NpuFunctions, AMissingFunctionTurnsOnlyItsFeatureOff) {
  FakeLookup lookup{"aclprofStop", {}};
  NpuFunctions npu(lookup.function());
  EXPECT_EQ(npu.aclprof(), nullptr);
  EXPECT_EQ(npu.aclprof(), nullptr);
  EXPECT_EQ(lookup.asked["aclprofInit"], 1) << "not asked again after the feature failed";
  EXPECT_NE(npu.mspti(), nullptr);
  EXPECT_NE(npu.memory(), nullptr);
}

// libmspti.so may come later (dlopen'ed by the application): MSPTI is looked for at every call
// until it is there, through its own lookup, then never again.
TEST(NpuFunctions, MsptiIsLookedForAgainUntilItIsLoaded) {
  FakeLookup acl;
  FakeLookup mspti{"msptiActivityFlushAll", {}};
  NpuFunctions npu(acl.function(), mspti.function());
  EXPECT_EQ(npu.mspti(), nullptr);
  EXPECT_EQ(npu.mspti(), nullptr);
  EXPECT_EQ(mspti.asked["msptiSubscribe"], 2);
  EXPECT_EQ(acl.asked["msptiSubscribe"], 0) << "MSPTI has a lookup of its own";
  mspti.absent.clear();  // the application dlopen'ed libmspti.so
  ASSERT_NE(npu.mspti(), nullptr);
  ASSERT_NE(npu.mspti(), nullptr);
  EXPECT_EQ(mspti.asked["msptiSubscribe"], 3) << "found once, not looked for again";
  EXPECT_NE(npu.aclprof(), nullptr);
}

}  // namespace
}  // namespace npuprobe::npu_shim
