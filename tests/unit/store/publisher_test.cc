#include "npuprobe/store/publisher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/store_writer.h"
#include "npuprobe/store/text_exposition.h"
#include "support/golden_replay.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;

std::string own(const std::string &kind) {
  return kind + "_" + std::to_string(::getpid()) + "-npu.db";
}

double sample_value(const FolderContents &contents, const std::string &sample) {
  for (const auto &family : contents.families) {
    for (const auto &s : family.samples) {
      if (s.name == sample) return s.value;
    }
  }
  return -1;
}

struct Fixture {
  MetricRegistry registry;
  CounterHandle counter = registry.counter(registry.add_family(counter_spec("c", "h")), {});
  GaugeHandle gauge = registry.gauge(registry.add_family(gauge_spec("g", "h")), {});
};

TEST(Publisher, WritesOwnFilesAndRemovesLiveGaugeFilesAtStop) {
  TempDir dir;
  Fixture f;
  Publisher publisher(f.registry, {{dir.path(), FormatPreference::kV1, "", {}}});
  publisher.start();
  f.registry.add(f.counter, 3);
  f.registry.set(f.gauge, 8);
  ASSERT_TRUE(publisher.flush_now());
  EXPECT_EQ(dir.file_names(), (std::vector<std::string>{own("counter"), own("gauge_liveall")}));
  publisher.stop();
  EXPECT_EQ(dir.file_names(), std::vector<std::string>{own("counter")});
  EXPECT_EQ(sample_value(collect_folder(dir.path(), FormatPreference::kV1), "c_total"), 3);
}

TEST(Publisher, ConstantLabelsGoOnEverySeries) {
  TempDir dir;
  MetricRegistry registry;
  const CounterHandle counter =
      registry.counter(registry.add_family(counter_spec("c", "h", {"device"})), {"0"});
  registry.add(counter, 2);
  Publisher publisher(registry, {{dir.path(), FormatPreference::kV2, "", {{"zone", "b"}}}});
  publisher.start();
  ASSERT_TRUE(publisher.flush_now());
  publisher.stop();
  const FolderContents contents = collect_folder(dir.path(), FormatPreference::kV2);
  ASSERT_EQ(contents.families.size(), 1u);
  ASSERT_EQ(contents.families[0].samples.size(), 1u);
  EXPECT_EQ(contents.families[0].samples[0].labels,
            (LabelPairs{{"device", "0"}, {"zone", "b"}}));
  EXPECT_EQ(contents.families[0].samples[0].value, 2);
}

TEST(Publisher, NeverStartedLeavesNoFiles) {
  TempDir dir;
  {
    Fixture f;
    Publisher publisher(f.registry, {{dir.path(), FormatPreference::kAuto, "", {}}});
    f.registry.add(f.counter, 1);
  }
  EXPECT_TRUE(dir.file_names().empty());
}

TEST(Publisher, AutoFollowsPythonFilesAndSwitchesWhenTheyAppear) {
  TempDir dir;
  Fixture f;
  Publisher publisher(f.registry, {{dir.path(), FormatPreference::kAuto, "", {}}});
  f.registry.add(f.counter, 2);
  f.registry.set(f.gauge, 4);
  ASSERT_TRUE(publisher.flush_now());
  EXPECT_EQ(publisher.format(), StoreFormat::kV2);  // nothing to follow: v2
  EXPECT_EQ(dir.file_names(), (std::vector<std::string>{own("counter"), own("gauge_mostrecent")}));

  // A Python 0.16 process starts writing into the folder: our files must turn v1.
  testing::copy_file(testing::test_data_dir() + "/client_python-0.16/counter_1001.db",
                     dir.file("counter_1001.db"));
  ASSERT_TRUE(publisher.flush_now());
  EXPECT_EQ(publisher.format(), StoreFormat::kV1);
  EXPECT_EQ(dir.file_names(),
            (std::vector<std::string>{"counter_1001.db", own("counter"), own("gauge_liveall")}));
  const FolderContents contents = collect_folder(dir.path(), FormatPreference::kV1);
  EXPECT_TRUE(contents.errors.empty()) << contents.errors.front();
  EXPECT_EQ(sample_value(contents, "c_total"), 2);
  EXPECT_EQ(sample_value(contents, "g"), 4);
  EXPECT_EQ(sample_value(contents, "npu_launches_total"), 3);
  publisher.stop();
}

TEST(Publisher, MissingFolderIsRetriedWithoutLosingCounts) {
  TempDir parent;
  const std::string dir = parent.file("later");
  Fixture f;
  Publisher publisher(f.registry, {{dir, FormatPreference::kV2, "", {}}});
  f.registry.add(f.counter, 5);
  EXPECT_FALSE(publisher.flush_now());
  EXPECT_FALSE(publisher.flush_now());
  EXPECT_EQ(publisher.failed_flushes(), 2u);
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  f.registry.add(f.counter, 1);
  EXPECT_TRUE(publisher.flush_now());
  EXPECT_EQ(sample_value(collect_folder(dir, FormatPreference::kV2), "c_total"), 6);
  for (const std::string &name : testing::list_file_names(dir))
    ::unlink((dir + "/" + name).c_str());
  ::rmdir(dir.c_str());
}

TEST(Publisher, RemovedFileIsMadeAgain) {
  TempDir dir;
  Fixture f;
  Publisher publisher(f.registry, {{dir.path(), FormatPreference::kV2, "", {}}});
  f.registry.add(f.counter, 7);
  ASSERT_TRUE(publisher.flush_now());
  ASSERT_EQ(::unlink(dir.file(own("counter")).c_str()), 0);
  ASSERT_TRUE(publisher.flush_now());
  EXPECT_EQ(sample_value(collect_folder(dir.path(), FormatPreference::kV2), "c_total"), 7);
}

TEST(Publisher, ContinuesTheFileOfAnEarlierProcessWithTheSamePid) {
  TempDir dir;
  {  // the "earlier process": same file names, since the tag is this pid
    MetricRegistry earlier;
    const FamilyId family = earlier.add_family(counter_spec("c", "h", {"k"}));
    earlier.add(earlier.counter(family, {"shared"}), 10);
    earlier.add(earlier.counter(family, {"only_earlier"}), 4);
    StoreWriter writer({dir.path(), FormatPreference::kV1, "", {}});
    RegistrySnapshot snapshot;
    earlier.collect(snapshot);
    ASSERT_TRUE(writer.write(snapshot, nullptr));
  }
  MetricRegistry registry;
  const FamilyId family = registry.add_family(counter_spec("c", "h", {"k"}));
  registry.add(registry.counter(family, {"shared"}), 1);
  Publisher publisher(registry, {{dir.path(), FormatPreference::kV2, "", {}}});
  ASSERT_TRUE(publisher.flush_now());
  ASSERT_TRUE(publisher.flush_now());  // carried once, not once per flush
  const FolderContents contents = collect_folder(dir.path(), FormatPreference::kV2);
  ASSERT_TRUE(contents.errors.empty()) << contents.errors.front();
  ASSERT_EQ(contents.families.size(), 1u);
  const auto &samples = contents.families[0].samples;
  ASSERT_EQ(samples.size(), 2u);
  for (const auto &s : samples) {
    EXPECT_EQ(s.value, s.labels[0].second == "shared" ? 11 : 4) << s.labels[0].second;
  }
}

TEST(Publisher, FilesGrowPastTheirFirst64KiB) {
  TempDir dir;
  MetricRegistry registry;
  const FamilyId family = registry.add_family(counter_spec("grow", "h", {"id"}));
  Publisher publisher(registry, {{dir.path(), FormatPreference::kV2, "", {}}});
  for (int i = 0; i < 3000; ++i) {
    registry.add(registry.counter(family, {std::string(40, 'x') + std::to_string(i)}), i);
    if (i % 500 == 0) {
      ASSERT_TRUE(publisher.flush_now());
    }
  }
  ASSERT_TRUE(publisher.flush_now());
  struct stat info {};
  ASSERT_EQ(::stat(dir.file(own("counter")).c_str(), &info), 0);
  EXPECT_EQ(info.st_size, 1 << 19);  // doubled from 64 KiB
  const FolderContents contents = collect_folder(dir.path(), FormatPreference::kV2);
  ASSERT_TRUE(contents.errors.empty());
  double sum = 0;
  for (const auto &s : contents.families.at(0).samples) sum += s.value;
  EXPECT_EQ(contents.families.at(0).samples.size(), 3000u);
  EXPECT_EQ(sum, 2999.0 * 3000 / 2);
}

TEST(Publisher, ThreadFlushesEveryInterval) {
  TempDir dir;
  Fixture f;
  Publisher publisher(f.registry,
                      {{dir.path(), FormatPreference::kV2, "", {}}, std::chrono::milliseconds(5)});
  f.registry.add(f.counter, 1);
  ASSERT_TRUE(publisher.start());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (publisher.successful_flushes() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(publisher.successful_flushes(), 3u);
  f.registry.add(f.counter, 1);
  publisher.stop();  // the final flush carries the last increment
  EXPECT_EQ(sample_value(collect_folder(dir.path(), FormatPreference::kV2), "c_total"), 2);
}

TEST(Publisher, ForkChildStartsAfreshUnderItsOwnPid) {
  TempDir dir;
  Fixture f;
  Publisher publisher(f.registry,
                      {{dir.path(), FormatPreference::kV2, "", {}}, std::chrono::milliseconds(5)});
  ASSERT_TRUE(publisher.start());
  f.registry.add(f.counter, 5);
  // Fork only once the publisher thread has flushed on its own, so it is past its start-up.
  // A thread still starting under ASan holds the sanitizer's allocator lock, and GCC 12's
  // libasan does not take that lock around fork(): the child would wait on it forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (publisher.successful_flushes() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(publisher.successful_flushes(), 1u);
  ASSERT_TRUE(publisher.flush_now());

  publisher.prepare_fork();
  f.registry.prepare_fork();
  const pid_t child = ::fork();
  if (child == 0) {
    f.registry.reset_after_fork();
    publisher.reset_after_fork();
    f.registry.add(f.counter, 2);  // only this may appear under the child's pid
#if defined(NPUPROBE_SANITIZER_TSAN)
    // TSan cannot start threads after a multi-threaded fork; flush on this thread instead.
    const bool ok = publisher.flush_now();
#else
    const bool ok = publisher.start() && publisher.flush_now();
#endif
    publisher.stop();
    ::_exit(ok ? 0 : 1);
  }
  f.registry.resume_after_fork_in_parent();
  publisher.resume_after_fork_in_parent();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  publisher.stop();

  const std::string child_file = dir.file("counter_" + std::to_string(child) + "-npu.db");
  const FolderContents only_child = collect_files({child_file}, FormatPreference::kV2);
  ASSERT_TRUE(only_child.errors.empty()) << only_child.errors.front();
  EXPECT_EQ(sample_value(only_child, "c_total"), 2);
  EXPECT_EQ(sample_value(collect_folder(dir.path(), FormatPreference::kV2), "c_total"), 7);
}

}  // namespace
}  // namespace npuprobe::store
