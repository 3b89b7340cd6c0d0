// The symbolizer over shared libraries: loaded at run time, unloaded, stripped, and built
// without debug information or unwind tables (tests/unit/attribution/fixture_library.cc).
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "npuprobe/attribution/symbolizer.h"

namespace npuprobe::attribution {
namespace {

std::string basename_of(const std::string &path) {
  return path.substr(path.rfind('/') + 1);
}

// One dlopen'ed copy of the fixture; dlclose()d at the end unless close() did it before.
class LoadedFixture {
 public:
  explicit LoadedFixture(const char *path) : handle_(dlopen(path, RTLD_NOW | RTLD_LOCAL)) {}
  ~LoadedFixture() { close(); }
  LoadedFixture(const LoadedFixture &) = delete;
  LoadedFixture &operator=(const LoadedFixture &) = delete;

  bool loaded() const { return handle_ != nullptr; }
  std::uintptr_t exported() const { return address("attr_fixture_exported"); }
  std::uintptr_t hidden() const {
    const auto hidden_address =
        reinterpret_cast<std::uintptr_t (*)()>(address("attr_fixture_hidden_address"));
    return hidden_address != nullptr ? hidden_address() : 0;
  }
  void close() {
    if (handle_ != nullptr) dlclose(handle_);
    handle_ = nullptr;
  }

 private:
  std::uintptr_t address(const char *name) const {
    return reinterpret_cast<std::uintptr_t>(dlsym(handle_, name));
  }
  void *handle_;
};

TEST(SymbolizerLibrary, NamesAFunctionOfALibraryLoadedAtRunTime) {
  Symbolizer symbolizer;
  symbolizer.symbolize_one(0, false);  // the module list before the dlopen
  const std::uint64_t reloads = symbolizer.module_reloads();
  LoadedFixture fixture(NPUPROBE_TEST_FIXTURE);
  ASSERT_TRUE(fixture.loaded()) << dlerror();

  const Frame exported = symbolizer.symbolize_one(fixture.exported(), false);
  EXPECT_GT(symbolizer.module_reloads(), reloads);
  EXPECT_TRUE(exported.known_module);
  EXPECT_EQ(basename_of(exported.module), "libattribution_fixture.so");
  EXPECT_EQ(exported.function, "attr_fixture_exported");
  EXPECT_EQ(basename_of(exported.file), "fixture_library.cc");
  EXPECT_GT(exported.line, 0);
  const Frame hidden = symbolizer.symbolize_one(fixture.hidden(), false);
  EXPECT_EQ(hidden.function, "attr_fixture_hidden");  // from .symtab
  EXPECT_EQ(basename_of(hidden.file), "fixture_library.cc");
}

TEST(SymbolizerLibrary, AnUnloadedLibraryIsNoLongerItsModule) {
  Symbolizer symbolizer;
  LoadedFixture fixture(NPUPROBE_TEST_FIXTURE);
  ASSERT_TRUE(fixture.loaded()) << dlerror();
  const std::uintptr_t pc = fixture.exported() + 1;
  const Frame before = symbolizer.symbolize_one(pc, true);
  ASSERT_EQ(before.function, "attr_fixture_exported");
  const std::uint64_t reloads = symbolizer.module_reloads();
  const std::uint64_t misses = symbolizer.cache_misses();

  fixture.close();
  ASSERT_EQ(dlopen(NPUPROBE_TEST_FIXTURE, RTLD_NOW | RTLD_NOLOAD), nullptr) << "still loaded";
  const Frame after = symbolizer.symbolize_one(pc, true);
  EXPECT_GT(symbolizer.module_reloads(), reloads);
  EXPECT_EQ(symbolizer.cache_misses(), misses + 1);  // the cache went with the old module list
  EXPECT_EQ(after.pc, pc);
  EXPECT_TRUE(!after.known_module || after.module != before.module);
  if (!after.known_module) {
    EXPECT_EQ(after.module, "");
    EXPECT_EQ(after.function, "");
    EXPECT_EQ(after.line, 0);
  }
}

TEST(SymbolizerLibrary, AStrippedLibraryNamesOnlyWhatItExports) {
  Symbolizer symbolizer;
  LoadedFixture fixture(NPUPROBE_TEST_FIXTURE_STRIPPED);
  ASSERT_TRUE(fixture.loaded()) << dlerror();

  const Frame exported = symbolizer.symbolize_one(fixture.exported(), false);
  EXPECT_TRUE(exported.known_module);
  EXPECT_EQ(basename_of(exported.module), "libattribution_fixture_stripped.so");
  EXPECT_EQ(exported.function, "attr_fixture_exported");  // from .dynsym
  EXPECT_EQ(exported.file, "");
  EXPECT_EQ(exported.line, 0);

  const Frame hidden = symbolizer.symbolize_one(fixture.hidden(), false);
  EXPECT_TRUE(hidden.known_module);
  EXPECT_NE(hidden.function, "attr_fixture_hidden");  // gone with .symtab
  EXPECT_EQ(hidden.file, "");
  EXPECT_EQ(hidden.line, 0);
  EXPECT_GT(hidden.module_offset, 0u);
}

TEST(SymbolizerLibrary, ALibraryWithoutDebugInfoOrUnwindTablesHasNoLines) {
  Symbolizer symbolizer;
  LoadedFixture fixture(NPUPROBE_TEST_FIXTURE_NODEBUG);
  ASSERT_TRUE(fixture.loaded()) << dlerror();

  for (const std::uintptr_t pc : {fixture.exported(), fixture.hidden()}) {
    const Frame frame = symbolizer.symbolize_one(pc + 1, true);
    EXPECT_TRUE(frame.known_module);
    EXPECT_EQ(basename_of(frame.module), "libattribution_fixture_nodebug.so");
    EXPECT_EQ(frame.file, "");
    EXPECT_EQ(frame.line, 0);
  }
  EXPECT_EQ(symbolizer.symbolize_one(fixture.exported(), false).function, "attr_fixture_exported");
  EXPECT_EQ(symbolizer.symbolize_one(fixture.hidden(), false).function, "attr_fixture_hidden");
}

TEST(SymbolizerLibrary, NeverLoadsTheDebuginfodClient) {
  // A stripped library makes libdw look for separate debug information; libdw's standard lookup
  // would dlopen libdebuginfod (and fetch from DEBUGINFOD_URLS). Ours stays on local files.
  const char *previous = std::getenv("DEBUGINFOD_URLS");
  const std::string saved = previous != nullptr ? previous : "";
  setenv("DEBUGINFOD_URLS", "http://127.0.0.1:9", 1);
  {
    Symbolizer symbolizer;
    LoadedFixture fixture(NPUPROBE_TEST_FIXTURE_STRIPPED);
    ASSERT_TRUE(fixture.loaded()) << dlerror();
    symbolizer.symbolize_one(fixture.exported(), false);
    symbolizer.symbolize_one(fixture.hidden(), false);
  }
  if (previous != nullptr) {
    setenv("DEBUGINFOD_URLS", saved.c_str(), 1);
  } else {
    unsetenv("DEBUGINFOD_URLS");
  }
  EXPECT_EQ(dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_NOLOAD), nullptr);
}

}  // namespace
}  // namespace npuprobe::attribution
