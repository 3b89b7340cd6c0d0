// The log: levels, the sink, and the per-call-site rate limit of repeated problems.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "npuprobe/base/log.h"

namespace npuprobe::base {
namespace {

std::vector<std::string> *g_lines = nullptr;

void capture(LogLevel level, const char *message) {
  g_lines->push_back(std::string(to_string(level)) + ": " + message);
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_lines = &lines_;
    set_log_sink(&capture);
    set_log_level(LogLevel::kInfo);
    reset_log_after_fork();  // a clean rate-limit table for each test
  }
  void TearDown() override {
    set_log_sink(nullptr);
    set_log_rate_limit(5, std::chrono::seconds(10));
    reset_log_after_fork();
    g_lines = nullptr;
  }
  std::vector<std::string> lines_;
};

void warn_once(int i) {
  log_message(LogLevel::kWarn, "cannot write %d", i);
}

TEST_F(LogTest, LevelsBelowTheThresholdAreDropped) {
  set_log_level(LogLevel::kError);
  log_message(LogLevel::kWarn, "quiet");
  log_message(LogLevel::kCritical, "loud %s", "line");
  EXPECT_EQ(lines_, (std::vector<std::string>{"critical: loud line"}));
}

TEST_F(LogTest, ParsesEveryLevelName) {
  LogLevel level = LogLevel::kInfo;
  ASSERT_TRUE(parse_log_level("critical", &level));
  EXPECT_EQ(level, LogLevel::kCritical);
  ASSERT_TRUE(parse_log_level("warning", &level));
  EXPECT_EQ(level, LogLevel::kWarn);
  EXPECT_FALSE(parse_log_level("loud", &level));
  EXPECT_EQ(level, LogLevel::kWarn);
}

TEST_F(LogTest, ARepeatedProblemIsWrittenBurstTimesPerWindowThenCounted) {
  set_log_rate_limit(3, std::chrono::milliseconds(200));
  for (int i = 0; i < 10; ++i) warn_once(i);
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(lines_[2], "warning: cannot write 2");
  // Within the window nothing is reported yet.
  report_suppressed_log_lines();
  EXPECT_EQ(lines_.size(), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  warn_once(10);  // the next window's first line says how many were left out
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_EQ(lines_[3], "warning: cannot write 10 (7 similar lines suppressed)");
}

TEST_F(LogTest, SuppressedLinesAreReportedWhenTheSiteFallsQuiet) {
  set_log_rate_limit(1, std::chrono::milliseconds(100));
  for (int i = 0; i < 4; ++i) warn_once(i);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  report_suppressed_log_lines();
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[1], "warning: 3 lines like \"cannot write %d\" suppressed in the last 0.1 s");
  report_suppressed_log_lines();  // said once
  EXPECT_EQ(lines_.size(), 2u);
}

TEST_F(LogTest, CallSitesAreLimitedSeparatelyAndInfoIsNeverLimited) {
  set_log_rate_limit(1, std::chrono::seconds(10));
  for (int i = 0; i < 3; ++i) {
    warn_once(i);
    log_message(LogLevel::kError, "other site %d", i);
    log_message(LogLevel::kInfo, "started %d", i);
  }
  EXPECT_EQ(lines_, (std::vector<std::string>{"warning: cannot write 0", "error: other site 0",
                                              "info: started 0", "info: started 1",
                                              "info: started 2"}));
}

}  // namespace
}  // namespace npuprobe::base
