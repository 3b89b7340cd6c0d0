// The symbolizer over this test binary: names, demangling, line info, garbage, the cache.
#include "npuprobe/attribution/symbolizer.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace attr_probe {

// The line the function's first instruction maps to (its declarator), give or take the prologue.
constexpr int kProbeTargetLine = __LINE__ + 1;
__attribute__((noinline)) int probe_target(int x) {
  asm volatile("" : "+r"(x));  // a body of its own, never folded into another function
  return x * 7 + 3;
}

}  // namespace attr_probe

namespace npuprobe::attribution {
namespace {

std::uintptr_t address_of_probe() {
  return reinterpret_cast<std::uintptr_t>(&attr_probe::probe_target);
}

std::string basename_of(const std::string &path) {
  return path.substr(path.rfind('/') + 1);
}

TEST(Symbolizer, NamesAFunctionOfThisBinaryWithFileAndLine) {
  Symbolizer symbolizer;
  const Frame frame = symbolizer.symbolize_one(address_of_probe(), false);
  EXPECT_EQ(frame.pc, address_of_probe());
  EXPECT_TRUE(frame.known_module);
  EXPECT_EQ(basename_of(frame.module), "attribution_unit_tests");
  EXPECT_EQ(frame.function, "attr_probe::probe_target(int)");  // demangled, with its namespace
  EXPECT_EQ(basename_of(frame.file), "symbolizer_test.cc");
  EXPECT_GE(frame.line, attr_probe::kProbeTargetLine);
  EXPECT_LE(frame.line, attr_probe::kProbeTargetLine + 3);
  EXPECT_GT(frame.module_offset, 0u);
  EXPECT_LT(frame.module_offset, frame.pc);
}

TEST(Symbolizer, ReturnAddressesAreLookedUpOneByteBefore) {
  // A return address right after a call at the end of a function points at the next function:
  // pc + 1 read as a return address is pc itself, and pc read as one is the byte before it.
  Symbolizer symbolizer;
  const std::uintptr_t pc = address_of_probe();
  const Frame inside = symbolizer.symbolize_one(pc + 1, true);
  EXPECT_EQ(inside.pc, pc + 1);
  EXPECT_EQ(inside.function, "attr_probe::probe_target(int)");
  EXPECT_EQ(inside.module_offset, symbolizer.symbolize_one(pc, false).module_offset + 1);
  EXPECT_NE(symbolizer.symbolize_one(pc, true).function, "attr_probe::probe_target(int)");
}

TEST(Symbolizer, FirstFrameIsACallSiteOnlyWhenAsked) {
  Symbolizer symbolizer;
  const std::uintptr_t pcs[] = {address_of_probe(), address_of_probe() + 1};
  const std::vector<Frame> exact = symbolizer.symbolize(pcs, 2, false);
  ASSERT_EQ(exact.size(), 2u);
  EXPECT_EQ(exact[0].function, "attr_probe::probe_target(int)");  // pc as is
  EXPECT_EQ(exact[1].function, "attr_probe::probe_target(int)");  // pc - 1
  const std::vector<Frame> returns = symbolizer.symbolize(pcs, 2, true);
  ASSERT_EQ(returns.size(), 2u);
  EXPECT_NE(returns[0].function, "attr_probe::probe_target(int)");  // pc - 1: the function before
  EXPECT_EQ(returns[1].function, "attr_probe::probe_target(int)");
}

TEST(Symbolizer, ModulesWithoutLinesGetTheirFunctionNameOnly) {
  // The patterns match the module's basename, as attribution.skip_modules does.
  SymbolizerOptions options;
  options.modules_without_lines = {"", "unit_tests"};  // an empty pattern matches nothing
  Symbolizer symbolizer(options);
  const Frame frame = symbolizer.symbolize_one(address_of_probe(), false);
  EXPECT_TRUE(frame.known_module);
  EXPECT_EQ(basename_of(frame.module), "attribution_unit_tests");
  EXPECT_EQ(frame.function, "attr_probe::probe_target(int)");
  EXPECT_EQ(frame.file, "");
  EXPECT_EQ(frame.line, 0);

  // Another module keeps its lines: libc's, where libc6-dbg is installed (else it has none).
  SymbolizerOptions libc_only;
  libc_only.modules_without_lines = {"libc.so"};
  Symbolizer selective(libc_only);
  const Frame own = selective.symbolize_one(address_of_probe(), false);
  EXPECT_EQ(basename_of(own.file), "symbolizer_test.cc");
  EXPECT_GT(own.line, 0);
  // libc's own abort, through its handle: under TSan `&abort` is the sanitizer's interceptor.
  void *libc_handle = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(libc_handle, nullptr);
  const auto libc_abort = reinterpret_cast<std::uintptr_t>(dlsym(libc_handle, "abort"));
  dlclose(libc_handle);
  ASSERT_NE(libc_abort, 0u);
  const Frame libc = selective.symbolize_one(libc_abort, false);
  EXPECT_EQ(basename_of(libc.module), "libc.so.6");
  EXPECT_NE(libc.function.find("abort"), std::string::npos) << libc.function;
  EXPECT_EQ(libc.file, "");
  EXPECT_EQ(libc.line, 0);
}

TEST(Symbolizer, GarbageAddressesAreInNoModule) {
  Symbolizer symbolizer;
  const std::uintptr_t garbage[] = {0, 1, 0xdeadbeef, static_cast<std::uintptr_t>(-1),
                                    static_cast<std::uintptr_t>(0xffffffff81000000ULL)};
  for (const std::uintptr_t pc : garbage) {
    for (const bool is_return_address : {false, true}) {
      const Frame frame = symbolizer.symbolize_one(pc, is_return_address);
      EXPECT_EQ(frame.pc, pc);
      EXPECT_FALSE(frame.known_module) << std::hex << pc;
      EXPECT_EQ(frame.module, "");
      EXPECT_EQ(frame.function, "");
      EXPECT_EQ(frame.file, "");
      EXPECT_EQ(frame.line, 0);
    }
  }
}

TEST(Symbolizer, EmptyOrNullStacksGiveNoFrames) {
  Symbolizer symbolizer;
  const std::uintptr_t pc = address_of_probe();
  EXPECT_TRUE(symbolizer.symbolize(nullptr, 3, true).empty());
  EXPECT_TRUE(symbolizer.symbolize(&pc, 0, true).empty());
  EXPECT_TRUE(symbolizer.symbolize(&pc, -1, true).empty());
}

TEST(Symbolizer, CachesByAddress) {
  Symbolizer symbolizer;
  EXPECT_EQ(symbolizer.cache_hits(), 0u);
  EXPECT_EQ(symbolizer.cache_misses(), 0u);
  EXPECT_EQ(symbolizer.module_reloads(), 0u);  // lazy: nothing read before the first lookup
  const std::uintptr_t pc = address_of_probe();
  const std::uintptr_t pcs[] = {pc, pc + 4, pc + 4, pc};
  const std::vector<Frame> frames = symbolizer.symbolize(pcs, 4, true);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(symbolizer.cache_misses(), 2u);
  EXPECT_EQ(symbolizer.cache_hits(), 2u);
  EXPECT_EQ(symbolizer.module_reloads(), 1u);
  EXPECT_EQ(frames[1].function, frames[2].function);
  EXPECT_EQ(frames[1].line, frames[2].line);
  // The same pc as frame 0 (exact) and as a return address are two lookups.
  symbolizer.symbolize_one(pc, false);
  EXPECT_EQ(symbolizer.cache_misses(), 3u);
  symbolizer.symbolize_one(pc, false);
  EXPECT_EQ(symbolizer.cache_hits(), 3u);
  EXPECT_EQ(symbolizer.module_reloads(), 1u);  // nothing loaded or unloaded meanwhile
}

TEST(Symbolizer, CacheIsBounded) {
  // 65536 entries at most: the next new address starts over with an empty cache.
  Symbolizer symbolizer;
  constexpr std::size_t kBound = std::size_t{1} << 16;
  std::vector<std::uintptr_t> pcs(kBound + 1);
  for (std::size_t i = 0; i < pcs.size(); ++i) pcs[i] = 16 + i;  // the unmapped first page(s)
  symbolizer.symbolize(pcs.data(), static_cast<int>(pcs.size()), false);
  EXPECT_EQ(symbolizer.cache_misses(), kBound + 1);
  symbolizer.symbolize_one(pcs.back(), true);  // kept: it came after the clear
  EXPECT_EQ(symbolizer.cache_hits(), 1u);
  symbolizer.symbolize_one(pcs.front(), false);  // gone with the clear
  EXPECT_EQ(symbolizer.cache_misses(), kBound + 2);
}

}  // namespace
}  // namespace npuprobe::attribution
