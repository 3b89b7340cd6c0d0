// base/plugin_loader.h: the one way plugins are opened, and its one failure line per plugin.
#include "npuprobe/base/plugin_loader.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "npuprobe/base/log.h"

namespace npuprobe::base {
namespace {

std::vector<std::string> *g_lines = nullptr;
int g_lookups = 0;

void capture(LogLevel level, const char *message) {
  g_lines->push_back(std::string(to_string(level)) + ": " + message);
}

// The caller's lookup is the one used (the preload's never is the public dlsym).
void *counting_lookup(void *handle, const char *name) {
  ++g_lookups;
  return dlsym(handle, name);
}

class PluginLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_lines = &lines_;
    g_lookups = 0;
    set_log_sink(&capture);
    set_log_rate_limit(0, std::chrono::seconds(1));
  }
  void TearDown() override {
    set_log_sink(nullptr);
    set_log_rate_limit(5, std::chrono::seconds(10));
    reset_log_after_fork();
  }
  std::vector<std::string> lines_;
};

TEST_F(PluginLoaderTest, TheSiblingFolderIsThisObjectsFolder) {
  const std::string path = sibling_library_path("libx.so");
  ASSERT_GE(path.size(), 8u);
  EXPECT_EQ(path.substr(path.size() - 8), "/libx.so") << path;
}

TEST_F(PluginLoaderTest, AMissingFileIsOneWarningWithWhyAndWhatFollows) {
  void *fn = reinterpret_cast<void *>(&capture);
  const PluginSymbol symbols[] = {{"anything", &fn}};
  EXPECT_FALSE(load_plugin("libnpuprobe-absent.so", &counting_lookup, symbols, 1, "no thing"));
  EXPECT_EQ(fn, nullptr);
  EXPECT_EQ(g_lookups, 0);
  ASSERT_EQ(lines_.size(), 1u);
  const std::string path = sibling_library_path("libnpuprobe-absent.so");
  EXPECT_EQ(lines_[0].rfind("warning: cannot load " + path + " (", 0), 0u) << lines_[0];
  EXPECT_NE(lines_[0].find("No such file"), std::string::npos) << lines_[0];
  const std::string tail = "); no thing";
  ASSERT_GT(lines_[0].size(), tail.size());
  EXPECT_EQ(lines_[0].substr(lines_[0].size() - tail.size()), tail) << lines_[0];
}

TEST_F(PluginLoaderTest, AMissingRequiredSymbolIsOneWarningAndNothingIsSet) {
  void *answer = nullptr;
  void *missing = nullptr;
  const PluginSymbol symbols[] = {{"npuprobe_test_plugin_answer", &answer},
                                  {"npuprobe_test_plugin_missing", &missing}};
  EXPECT_FALSE(load_plugin("libnpuprobe-test-plugin.so", &counting_lookup, symbols, 2,
                           "the test goes on without it"));
  EXPECT_EQ(answer, nullptr);
  EXPECT_EQ(missing, nullptr);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0], "warning: cannot use " + sibling_library_path("libnpuprobe-test-plugin.so") +
                           " (it lacks npuprobe_test_plugin_missing); the test goes on without it");
}

TEST_F(PluginLoaderTest, OptionalSymbolsMayBeMissing) {
  void *answer = nullptr;
  void *missing = reinterpret_cast<void *>(&capture);
  const PluginSymbol symbols[] = {{"npuprobe_test_plugin_answer", &answer},
                                  {"npuprobe_test_plugin_missing", &missing, false}};
  ASSERT_TRUE(load_plugin("libnpuprobe-test-plugin.so", &counting_lookup, symbols, 2, "unused"));
  EXPECT_EQ(g_lookups, 2);
  EXPECT_EQ(missing, nullptr);
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(reinterpret_cast<int (*)()>(answer)(), 42);
  EXPECT_TRUE(lines_.empty());
}

}  // namespace
}  // namespace npuprobe::base
