// Many writers, a publisher and readers at once: totals exact, readers never see a file they
// cannot parse, and a writer killed at any instant leaves a folder that parses. Run it under
// NPUPROBE_SANITIZER=tsan too.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/publisher.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;

#if defined(NPUPROBE_SANITIZER_TSAN)
constexpr int kObservationsPerThread = 200'000;  // TSan is ~10x slower; same code paths
#else
constexpr int kObservationsPerThread = 1'000'000;
#endif
constexpr int kThreads = 8;

TEST(Concurrency, EightThreadsGiveExactTotalsWhilePublishedAndRead) {
  TempDir dir;
  MetricRegistry registry;
  const HistogramHandle histogram =
      registry.histogram(registry.add_family(histogram_spec("lat", "h", {}, {1, 2, 3})), {});
  const CounterHandle counter = registry.counter(registry.add_family(counter_spec("n", "h")), {});
  Publisher publisher(registry,
                      {{dir.path(), FormatPreference::kV2, "", {}}, std::chrono::milliseconds(1)});
  publisher.start();

  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  std::string reader_error;
  std::thread reader([&] {
    while (writing.load()) {
      const FolderContents contents = collect_folder(dir.path(), FormatPreference::kV2);
      if (!contents.errors.empty() && reader_error.empty()) reader_error = contents.errors[0];
      reads.fetch_add(1);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kObservationsPerThread; ++i) {
        registry.observe(histogram, static_cast<double>((i + t) % 4));  // 0,1,2,3 -> 4 buckets
        registry.add(counter, 1);
      }
    });
  }
  for (auto &w : writers) w.join();
  writing.store(false);
  reader.join();
  publisher.stop();

  EXPECT_EQ(reader_error, "");
  EXPECT_GT(reads.load(), 0);
  const FolderContents contents = collect_folder(dir.path(), FormatPreference::kV2);
  ASSERT_TRUE(contents.errors.empty());
  const double total = double{kThreads} * kObservationsPerThread;
  std::map<std::string, double> found;  // sample name (+ le) -> value
  for (const auto &family : contents.families) {
    for (const auto &s : family.samples) {
      found[s.name + (s.labels.empty() ? "" : "{" + s.labels[0].second + "}")] = s.value;
    }
  }
  EXPECT_EQ(found["n_total"], total);
  EXPECT_EQ(found["lat_count"], total);
  EXPECT_EQ(found["lat_sum"], total / 4 * (0 + 1 + 2 + 3));
  EXPECT_EQ(found["lat_bucket{1.0}"], total / 2);  // values 0 and 1
  EXPECT_EQ(found["lat_bucket{+Inf}"], total);
}

// A child writes as fast as it can, adding series so that its files keep growing; it is
// SIGKILLed at a random instant, and everything it left must parse.
TEST(Concurrency, WriterKilledAtAnyInstantLeavesAParsableFolder) {
  std::mt19937 random(12345);
  for (int round = 0; round < 8; ++round) {
    TempDir dir;
    int first_flush[2];
    ASSERT_EQ(::pipe(first_flush), 0);
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(first_flush[0]);
      MetricRegistry registry;
      const FamilyId family = registry.add_family(counter_spec("k", "h", {"id"}));
      const FamilyId gauges =
          registry.add_family(gauge_spec("g", "h", {"id"}, GaugeMode::kLiveAll));
      Publisher publisher(registry,
                          {{dir.path(), FormatPreference::kV1, "", {}}, std::chrono::milliseconds(1)});
      registry.add(registry.counter(family, {"first"}), 1);
      const char flushed = publisher.flush_now() ? '1' : '0';
      static_cast<void>(::write(first_flush[1], &flushed, 1));
      publisher.start();
      for (int i = 0;; ++i) {
        registry.add(registry.counter(family, {std::to_string(i % 5000)}), 1);
        registry.set(registry.gauge(gauges, {std::to_string(i % 300)}), i);
      }
    }
    // Kill only after the first flush: a slow machine must not turn this into a test of
    // how fast the child starts.
    ::close(first_flush[1]);
    char flushed = 0;
    const bool child_flushed = ::read(first_flush[0], &flushed, 1) == 1 && flushed == '1';
    ::close(first_flush[0]);
    if (!child_flushed) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
      FAIL() << "the child's first flush failed";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 200));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    const FolderContents contents = collect_folder(dir.path(), FormatPreference::kV1);
    EXPECT_TRUE(contents.errors.empty()) << contents.errors.front();
    EXPECT_FALSE(contents.families.empty());
  }
}

}  // namespace
}  // namespace npuprobe::store
