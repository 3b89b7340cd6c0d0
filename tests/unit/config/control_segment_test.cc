// The control segment on a hostile host: whatever another user leaves at its name (a FIFO, a
// link, a short or foreign file) is reported without blocking, and a valid one is read with
// pread (no mapping that a truncation could turn into SIGBUS).
#include "npuprobe/config/control_segment.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

namespace npuprobe::config {
namespace {

class ControlSegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = "/npuprobe_unit_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
    path_ = "/dev/shm/" + prefix_.substr(1) + "_control";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::unlink(("/dev/shm/sem." + prefix_.substr(1) + "_semaphore").c_str());
  }
  void write_segment(std::uint32_t state, std::uint32_t timestamp, std::size_t size = 36 + 16) {
    std::vector<std::uint32_t> words(size / 4, 0);
    const std::uint32_t header[9] = {kControlMagic, kControlVersion, kControlHeaderLength,
                                     state, timestamp, kControlHeaderLength, kControlEndMarker,
                                     static_cast<std::uint32_t>((size - 36) / 4), 0};
    for (std::size_t i = 0; i < 9 && i < words.size(); ++i) words[i] = header[i];
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, words.data(), words.size() * 4), static_cast<ssize_t>(words.size() * 4));
    ::close(fd);
  }
  std::string prefix_, path_;
};

TEST_F(ControlSegmentTest, AValidSegmentIsRead) {
  write_segment(0, 1700000000);
  std::string error;
  const auto state = read_control_segment(prefix_, &error);
  ASSERT_TRUE(state.has_value()) << error;
  EXPECT_FALSE(state->on);
  EXPECT_EQ(state->timestamp, 1700000000u);
}

TEST_F(ControlSegmentTest, NoSegmentIsNoError) {
  std::string error = "stale";
  EXPECT_FALSE(read_control_segment(prefix_, &error).has_value());
  EXPECT_EQ(error, "");
}

TEST_F(ControlSegmentTest, AFifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo(path_.c_str(), 0666), 0);
  std::string error;
  EXPECT_FALSE(read_control_segment(prefix_, &error).has_value());
  EXPECT_EQ(error, path_ + ": is a FIFO, not a regular file");
}

TEST_F(ControlSegmentTest, ALinkIsRefused) {
  ASSERT_EQ(::symlink("/etc/hostname", path_.c_str()), 0);
  std::string error;
  EXPECT_FALSE(read_control_segment(prefix_, &error).has_value());
  EXPECT_EQ(error, path_ + ": is a symbolic link");
}

TEST_F(ControlSegmentTest, ATruncatedSegmentIsMalformedNotFatal) {
  write_segment(1, 5);
  ASSERT_EQ(::truncate(path_.c_str(), 20), 0);
  std::string error;
  EXPECT_FALSE(read_control_segment(prefix_, &error).has_value());
  EXPECT_EQ(error, prefix_ + "_control: segment is shorter than its 36-byte header (truncated?)");
}

TEST_F(ControlSegmentTest, ASegmentOfAnotherUserIsIgnored) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file away";
  write_segment(0, 5);
  ASSERT_EQ(::chown(path_.c_str(), 65534, 65534), 0);
  std::string error;
  EXPECT_FALSE(read_control_segment(prefix_, &error).has_value());
  EXPECT_EQ(error, path_ + ": belongs to uid 65534, neither this user nor root: ignored");
}

TEST_F(ControlSegmentTest, CommandsRefuseAFifoAndAShortSemaphore) {
  ASSERT_EQ(::mkfifo(path_.c_str(), 0666), 0);
  CommandOutcome out = apply_control_command(prefix_, ControlCommand::kOff, 100);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, path_ + ": is a FIFO, not a regular file");
  const std::string sem = "/dev/shm/sem." + prefix_.substr(1) + "_semaphore";
  ::unlink(sem.c_str());
  const int fd = ::open(sem.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0666);
  ASSERT_GE(fd, 0);
  ::close(fd);
  out = apply_control_command(prefix_, ControlCommand::kOff, 100);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, sem + ": is 0 bytes, not a semaphore");
}

TEST_F(ControlSegmentTest, OnStampsAndKeepsTheLayout) {
  write_segment(0, 5);
  const CommandOutcome out = apply_control_command(prefix_, ControlCommand::kOn, 100);
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_TRUE(out.state.on);
  EXPECT_EQ(out.state.timestamp, 100u);
  std::string error;
  const auto state = read_control_segment(prefix_, &error);
  ASSERT_TRUE(state.has_value()) << error;
  EXPECT_EQ(*state, out.state);
}

}  // namespace
}  // namespace npuprobe::config
