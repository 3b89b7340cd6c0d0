// The steady collection answers every scrape exactly as a full collection would, and recomputes
// only the values while the keys stay the same: random folders (every file type and gauge mode,
// both formats, histograms with shared and private label sets), random value updates, and each
// change that must make it read the keys again.
#include "npuprobe/store/steady_collection.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "npuprobe/store/db_file_writer.h"
#include "npuprobe/store/json_key.h"
#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/text_exposition.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;

struct File {
  std::unique_ptr<DbFileWriter> writer;
  std::vector<std::uint32_t> offsets;
};

class SteadyCollectionTest : public ::testing::TestWithParam<int> {
 protected:
  std::string full(bool openmetrics = false) {
    const FolderContents contents = collect_folder(dir_.path(), FormatPreference::kAuto);
    return openmetrics ? format_openmetrics_exposition(contents.families)
                       : format_text_exposition(contents.families);
  }

  // One process's file: `series` series of a counter, a histogram or a gauge family.
  void add_file(const std::string &name, StoreFormat format, int process, int series) {
    std::vector<std::string> keys;
    const std::string type = name.substr(0, name.find('_'));
    for (int s = 0; s < series; ++s) {
      // Some label sets are shared by every process (summed), some are the process's own.
      const std::string shared = std::to_string(s % 2 == 0 ? s : 100 * process + s);
      if (type == "histogram") {
        for (const char *le : {"0.1", "1.0", "+Inf"}) {
          keys.push_back(encode_entry_key({"lat", "lat_bucket", {{"s", shared}, {"le", le}}, "h"}));
        }
        keys.push_back(encode_entry_key({"lat", "lat_sum", {{"s", shared}}, "h"}));
      } else if (type == "gauge") {
        keys.push_back(encode_entry_key({"g", "g", {{"s", shared}}, "gauge help"}));
      } else {
        keys.push_back(encode_entry_key({"c", "c_total", {{"s", shared}}, "c help"}));
      }
    }
    std::vector<DbFileWriter::Entry> entries;
    for (const std::string &key : keys) entries.push_back({key, value(), stamp()});
    File file;
    std::string error;
    file.writer = DbFileWriter::create(dir_.file(name), format, entries, file.offsets, &error);
    ASSERT_NE(file.writer, nullptr) << error;
    files_.push_back(std::move(file));
  }

  double value() { return std::uniform_int_distribution<int>(0, 5)(rng_) * 0.5; }
  double stamp() { return std::uniform_int_distribution<int>(0, 3)(rng_); }  // 0: never set

  void update_some_values() {
    for (File &file : files_) {
      for (const std::uint32_t offset : file.offsets) {
        if (rng_() % 3 == 0) file.writer->store(offset, value(), 1 + stamp());
      }
    }
  }

  void expect_same_as_full(SteadyCollection &steady, bool values_only) {
    for (const bool openmetrics : {false, true}) {
      const SteadyCollection::Scrape scrape = steady.scrape(openmetrics);
      EXPECT_EQ(scrape.body, full(openmetrics));
      EXPECT_EQ(scrape.values_only, values_only) << (openmetrics ? "openmetrics" : "text");
      values_only = true;  // the second scrape of the two always replays
    }
  }

  std::mt19937 rng_{static_cast<unsigned>(GetParam())};
  TempDir dir_;
  std::vector<File> files_;
};

TEST_P(SteadyCollectionTest, ReplaysValuesAndReadsKeysAgainWhenTheyChange) {
  const StoreFormat format = GetParam() % 2 == 0 ? StoreFormat::kV2 : StoreFormat::kV1;
  const char *modes[] = {"all", "liveall", "min", "max", "sum", "mostrecent", "livemostrecent"};
  const std::string mode = format == StoreFormat::kV2 ? modes[GetParam() % 7] : "livesum";
  for (int p = 1; p <= 3; ++p) {
    add_file("counter_" + std::to_string(p) + ".db", format, p, 3);
    add_file("histogram_" + std::to_string(p) + ".db", format, p, 2);
    add_file("gauge_" + mode + "_" + std::to_string(p) + ".db", format, p, 3);
  }
  SteadyCollection steady(dir_.path(), FormatPreference::kAuto);
  expect_same_as_full(steady, false);
  for (int round = 0; round < 20; ++round) {
    update_some_values();
    // mostrecent: a series every process left at timestamp 0 becomes shown (keys read again);
    // a value update never hides a shown one (timestamps only grow).
    const std::string before = full();
    const SteadyCollection::Scrape scrape = steady.scrape(false);
    EXPECT_EQ(scrape.body, before) << "round " << round;
  }
  // Settled: values only from here on.
  update_some_values();
  steady.scrape(false);
  update_some_values();
  if (mode.find("mostrecent") == std::string::npos) expect_same_as_full(steady, true);

  // A new series in a file (its `used` grows): keys read again.
  std::uint32_t offset = 0;
  const std::string key = encode_entry_key({"c", "c_total", {{"s", "new"}}, "c help"});
  ASSERT_TRUE(files_[0].writer->append({key, 7, 1}, &offset, nullptr));
  expect_same_as_full(steady, false);
  // A new file, then a removed one.
  add_file("counter_9.db", format, 9, 2);
  expect_same_as_full(steady, false);
  files_.back().writer->remove();
  expect_same_as_full(steady, false);
  // A corrupt file is skipped by both, and replayed until its bytes change.
  testing::write_file(dir_.file("counter_bad.db"), std::string(16, '\xff'));
  expect_same_as_full(steady, false);
  EXPECT_EQ(steady.scrape(false).errors.size(), 1u);
  testing::write_file(dir_.file("counter_bad.db"), std::string(16, '\xfe'));
  expect_same_as_full(steady, false);
}

INSTANTIATE_TEST_SUITE_P(Seeds, SteadyCollectionTest, ::testing::Range(0, 42));

TEST(SteadyCollection, MostRecentSeriesAppearsWhenItsTimestampIsSet) {
  TempDir dir;
  const std::string key = encode_entry_key({"g", "g", {}, "help"});
  std::vector<std::uint32_t> offsets;
  auto writer = DbFileWriter::create(dir.file("gauge_mostrecent_1.db"), StoreFormat::kV2,
                                     {{key, 5, 0}}, offsets, nullptr);
  ASSERT_NE(writer, nullptr);
  SteadyCollection steady(dir.path(), FormatPreference::kAuto);
  EXPECT_EQ(steady.scrape(false).body, "# HELP g help\n# TYPE g gauge\n");
  EXPECT_TRUE(steady.scrape(false).values_only);
  writer->store(offsets[0], 6, 1);
  const SteadyCollection::Scrape shown = steady.scrape(false);
  EXPECT_FALSE(shown.values_only);
  EXPECT_EQ(shown.body, "# HELP g help\n# TYPE g gauge\ng 6.0\n");
  writer->store(offsets[0], 8, 2);
  const SteadyCollection::Scrape next = steady.scrape(false);
  EXPECT_TRUE(next.values_only);
  EXPECT_EQ(next.body, "# HELP g help\n# TYPE g gauge\ng 8.0\n");
}

TEST(SteadyCollection, AFolderThatCannotBeOpenedIsReportedEveryTime) {
  SteadyCollection steady("/nonexistent/npuprobe-steady", FormatPreference::kAuto);
  for (int i = 0; i < 2; ++i) {
    const SteadyCollection::Scrape scrape = steady.scrape(false);
    EXPECT_FALSE(scrape.values_only);
    ASSERT_EQ(scrape.errors.size(), 1u);
  }
}

}  // namespace
}  // namespace npuprobe::store
