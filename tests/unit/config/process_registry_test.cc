// The registry behind `npuprobe status`: entries written by one side are read by the other,
// dead and reused pids are told apart from live ones, and stray files are ignored.
#include "npuprobe/config/process_registry.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace npuprobe::config {
namespace {

class ProcessRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/npuprobe-registry-test-XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    root_ = name;
    dir_ = root_ + "/registry";  // create() makes the last level
  }
  void TearDown() override { std::system(("rm -rf '" + root_ + "'").c_str()); }

  ProcessStatus own_status() const {
    ProcessStatus s;
    s.pid = static_cast<int>(::getpid());
    s.start_ticks = process_start_ticks(s.pid);
    s.command = process_command(s.pid);
    s.devices = 0b101;
    s.dp = "2";
    s.measuring = false;
    s.config_generation = 3;
    s.last_publish_unix_ms = 1234;
    s.folder = "/tmp/store";
    s.format = "v1";
    return s;
  }

  std::string root_, dir_;
};

TEST_F(ProcessRegistryTest, AnEntryIsReadBackAsWritten) {
  std::string error;
  auto entry = RegistryEntry::create(dir_, &error);
  ASSERT_NE(entry, nullptr) << error;
  entry->publish(own_status());
  const auto listed = list_processes(dir_, true);
  ASSERT_EQ(listed.size(), 1u);
  const ProcessStatus &s = listed[0].status;
  EXPECT_TRUE(listed[0].alive);
  EXPECT_EQ(s.pid, ::getpid());
  EXPECT_EQ(s.devices, 0b101u);
  EXPECT_EQ(s.dp, "2");
  EXPECT_FALSE(s.measuring);
  EXPECT_EQ(s.config_generation, 3u);
  EXPECT_EQ(s.last_publish_unix_ms, 1234);
  EXPECT_EQ(s.folder, "/tmp/store");
  EXPECT_EQ(s.format, "v1");
  EXPECT_NE(s.command.find("config_unit_tests"), std::string::npos) << s.command;
  entry->remove();
  EXPECT_TRUE(list_processes(dir_, true).empty());
}

TEST_F(ProcessRegistryTest, DeadAndReusedPidsAreShownDeadAndRemoved) {
  std::string error;
  const pid_t child = ::fork();
  if (child == 0) {  // writes its entry and ends without removing it (like _exit, a crash)
    auto entry = RegistryEntry::create(dir_, &error);
    ProcessStatus s;
    s.pid = static_cast<int>(::getpid());
    s.start_ticks = process_start_ticks(s.pid);
    if (entry) entry->publish(s);
    ::_exit(entry ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  // Our own pid with another start time: a reused pid.
  auto entry = RegistryEntry::create(dir_, &error);
  ProcessStatus reused = own_status();
  reused.start_ticks += 1;
  entry->publish(reused);

  const auto first = list_processes(dir_, false);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_FALSE(first[0].alive);
  EXPECT_FALSE(first[1].alive);
  EXPECT_FALSE(first[0].removed);
  const auto cleaned = list_processes(dir_, true);
  ASSERT_EQ(cleaned.size(), 2u);
  EXPECT_TRUE(cleaned[0].removed && cleaned[1].removed);
  EXPECT_TRUE(list_processes(dir_, true).empty());
}

TEST_F(ProcessRegistryTest, FilesThatAreNotEntriesAreSkipped) {
  std::string error;
  auto entry = RegistryEntry::create(dir_, &error);
  ASSERT_NE(entry, nullptr) << error;
  entry->publish(own_status());
  std::ofstream(dir_ + "/1.proc") << "not an entry";
  std::ofstream(dir_ + "/notes.txt") << "x";
  const auto listed = list_processes(dir_, true);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status.pid, ::getpid());
}

TEST_F(ProcessRegistryTest, AnUncreatableFolderIsAnError) {
  std::string error;
  EXPECT_EQ(RegistryEntry::create("/proc/no/such/dir", &error), nullptr);
  EXPECT_NE(error.find("/proc/no/such/dir"), std::string::npos) << error;
}

// A hostile host: a folder others can write is refused; a link at our entry's name is removed,
// never written through; a FIFO or a wrong-sized file among the entries is skipped, named, and
// never blocks the listing.
TEST_F(ProcessRegistryTest, AFolderOthersCanWriteIsRefused) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  std::string error;
  EXPECT_EQ(RegistryEntry::create(dir_, &error), nullptr);
  EXPECT_EQ(error, dir_ + ": is writable by other users (refused)");
  EXPECT_TRUE(list_processes(dir_, true).empty()) << "nothing was created there";
}

TEST_F(ProcessRegistryTest, ALinkAtTheEntryNameIsNotFollowed) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  const std::string victim = root_ + "/victim";
  std::ofstream(victim) << "keep me";
  const std::string name = dir_ + "/" + std::to_string(::getpid()) + ".proc";
  ASSERT_EQ(::symlink(victim.c_str(), name.c_str()), 0);
  std::string error;
  auto entry = RegistryEntry::create(dir_, &error);
  ASSERT_NE(entry, nullptr) << error;
  entry->publish(own_status());
  std::ifstream in(victim);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "keep me");
  struct stat info {};
  ASSERT_EQ(::lstat(name.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0600u);
}

TEST_F(ProcessRegistryTest, AFifoEntryIsSkippedWithoutBlocking) {
  ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  ASSERT_EQ(::mkfifo((dir_ + "/77.proc").c_str(), 0600), 0);
  ASSERT_EQ(::symlink("/etc/hostname", (dir_ + "/78.proc").c_str()), 0);
  std::ofstream(dir_ + "/79.proc") << "short";
  std::vector<std::string> skipped;
  EXPECT_TRUE(list_processes(dir_, true, &skipped).empty());
  std::sort(skipped.begin(), skipped.end());
  EXPECT_EQ(skipped, (std::vector<std::string>{
                         "77.proc: is a FIFO, not a regular file",
                         "78.proc: is a symbolic link",
                         "79.proc: is 5 bytes, not a registry record (1024)"}));
}

TEST(ProcessStartTicks, ReadsField22EvenWithSpacesInTheName) {
  EXPECT_GT(process_start_ticks(::getpid()), 0u);
  EXPECT_EQ(process_start_ticks(-5), 0u);
}

}  // namespace
}  // namespace npuprobe::config
