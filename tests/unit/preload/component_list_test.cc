// The runtime's one list of parts (preload/runtime/component_list.h), without the runtime: every
// registered part gets every event, in registration order, except before_fork and stop, which
// run in reverse (pthread_atfork's rule; a user stops before what it uses).
#include "component_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace npuprobe::preload {
namespace {

// Writes "<event> <name>" for every event it gets, into one log shared by all parts.
class Recorder final : public Component {
 public:
  Recorder(std::string name, std::vector<std::string> *log) : name_(std::move(name)), log_(log) {}

  void before_flush(const FlushContext &c) override {
    note("before_flush", c.measuring && c.devices == 5);
  }
  void after_flush(const FlushResult &r) noexcept override {
    note("after_flush", r.ok && r.seconds == 0.25 && r.config_generation == 7);
  }
  void on_first_use_of_device(std::uint64_t devices) noexcept override {
    note("first_use", devices == 3);
  }
  void before_fork() noexcept override { note("before_fork"); }
  void after_fork_in_parent() noexcept override { note("parent"); }
  void after_fork_in_child() noexcept override { note("child"); }
  void stop_npu_collection() noexcept override { note("stop_npu"); }
  void stop() noexcept override { note("stop"); }

 private:
  // `seen_right` false: the event arrived with other arguments than the ones sent.
  void note(const char *event, bool seen_right = true) {
    log_->push_back(std::string(event) + " " + name_ + (seen_right ? "" : " (wrong arguments)"));
  }
  std::string name_;
  std::vector<std::string> *log_;
};

// A part that takes part in nothing: the defaults must be harmless.
class Silent final : public Component {};

std::vector<std::string> expected(const char *event, std::vector<const char *> names) {
  std::vector<std::string> lines;
  for (const char *name : names) lines.push_back(std::string(event) + " " + name);
  return lines;
}

class ComponentListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (Recorder &r : parts_) ASSERT_TRUE(list_.add(r));
    ASSERT_TRUE(list_.add(silent_));
  }
  std::vector<std::string> log_;
  Recorder parts_[3] = {{"a", &log_}, {"b", &log_}, {"c", &log_}};
  Silent silent_;
  ComponentList list_;
};

TEST_F(ComponentListTest, FlushAndDeviceEventsRunInRegistrationOrder) {
  FlushContext context;
  context.measuring = true;
  context.devices = 5;
  list_.before_flush(context);
  EXPECT_EQ(log_, expected("before_flush", {"a", "b", "c"}));
  log_.clear();
  FlushResult result;
  result.ok = true;
  result.seconds = 0.25;
  result.config_generation = 7;
  list_.after_flush(result);
  EXPECT_EQ(log_, expected("after_flush", {"a", "b", "c"}));
  log_.clear();
  list_.on_first_use_of_device(3);
  EXPECT_EQ(log_, expected("first_use", {"a", "b", "c"}));
}

TEST_F(ComponentListTest, ForkPreparesInReverseAndResumesInOrder) {
  list_.before_fork();
  list_.after_fork_in_parent();
  std::vector<std::string> want = expected("before_fork", {"c", "b", "a"});
  for (const std::string &line : expected("parent", {"a", "b", "c"})) want.push_back(line);
  EXPECT_EQ(log_, want);
  log_.clear();
  list_.before_fork();
  list_.after_fork_in_child();
  want = expected("before_fork", {"c", "b", "a"});
  for (const std::string &line : expected("child", {"a", "b", "c"})) want.push_back(line);
  EXPECT_EQ(log_, want);
}

// Exit as the runtime does it: the NPU collection ends in registration order (the collectors
// hand their last records over), then every part stops, users before what they use.
TEST_F(ComponentListTest, ExitStopsNpuCollectionInOrderThenStopsInReverse) {
  list_.stop_npu_collection();
  list_.stop();
  std::vector<std::string> want = expected("stop_npu", {"a", "b", "c"});
  for (const std::string &line : expected("stop", {"c", "b", "a"})) want.push_back(line);
  EXPECT_EQ(log_, want);
}

TEST(ComponentList, RefusesMoreThanItsCapacity) {
  ComponentList list;
  std::vector<Silent> parts(ComponentList::kCapacity + 1);
  for (std::size_t i = 0; i < ComponentList::kCapacity; ++i) EXPECT_TRUE(list.add(parts[i]));
  EXPECT_FALSE(list.add(parts.back()));
  EXPECT_EQ(list.size(), ComponentList::kCapacity);
  list.stop();  // walks exactly the registered ones
}

}  // namespace
}  // namespace npuprobe::preload
