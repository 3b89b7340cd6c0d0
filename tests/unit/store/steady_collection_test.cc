// The steady collection answers every scrape exactly as a full collection would, and recomputes
// only the values while the keys stay the same: random folders (every file type and gauge mode,
// both formats, histograms with shared and private label sets), random value updates, and each
// change that must make it read the keys again.
#include "npuprobe/store/steady_collection.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "npuprobe/store/db_file_format.h"
#include "npuprobe/store/db_file_writer.h"
#include "npuprobe/store/json_key.h"
#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/text_exposition.h"
#include "support/json_value.h"
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
  // No file kept open, some (4 of 9), every one: the answers are the same.
  const std::size_t held[] = {0, 4, 1000};
  SteadyCollection steady(dir_.path(), FormatPreference::kAuto, held[GetParam() % 3]);
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

std::size_t open_descriptors() {
  std::size_t count = 0;
  DIR *fds = ::opendir("/proc/self/fd");
  if (fds == nullptr) return 0;
  while (const dirent *entry = ::readdir(fds)) count += entry->d_name[0] != '.';
  ::closedir(fds);
  return count - 1;  // opendir's own
}

// A counter file of `values.size()` series, s="0".."n-1", made whole under a dot-name and
// renamed over `name` (a new inode at that name, as a writer that replaces its file makes).
void write_counter_file(const TempDir &dir, const std::string &name,
                        const std::vector<double> &values) {
  std::vector<std::string> keys;  // the entries view them
  for (std::size_t s = 0; s < values.size(); ++s) {
    keys.push_back(encode_entry_key({"c", "c_total", {{"s", std::to_string(s)}}, "c help"}));
  }
  std::vector<DbFileWriter::Entry> entries;
  for (std::size_t s = 0; s < values.size(); ++s) entries.push_back({keys[s], values[s], 0});
  std::vector<std::uint32_t> offsets;
  std::string error;
  auto writer = DbFileWriter::create(dir.file(".new"), StoreFormat::kV1, entries, offsets,
                                     &error);
  ASSERT_NE(writer, nullptr) << error;
  ASSERT_EQ(::rename(dir.file(".new").c_str(), dir.file(name).c_str()), 0);
}

TEST(SteadyCollection, KeptFilesAreReadOnlyWhileTheFolderStillNamesThem) {
  TempDir dir;
  for (const char *name : {"counter_1.db", "counter_2.db", "counter_3.db"}) {
    write_counter_file(dir, name, {1, 2});
  }
  const auto full = [&dir] {
    return format_text_exposition(collect_folder(dir.path(), FormatPreference::kAuto).families);
  };
  const std::size_t before = open_descriptors();
  {
    SteadyCollection steady(dir.path(), FormatPreference::kAuto, 2);
    const SteadyCollection::Scrape first = steady.scrape(false);
    EXPECT_FALSE(first.values_only);
    EXPECT_TRUE(first.errors.empty());
    EXPECT_NE(first.body.find("c_total{s=\"0\"} 3.0"), std::string::npos) << first.body;
    EXPECT_EQ(open_descriptors(), before);  // a full read keeps nothing
    EXPECT_TRUE(steady.scrape(false).values_only);
    EXPECT_EQ(open_descriptors(), before + 2);  // the limit, not one per file
    EXPECT_TRUE(steady.scrape(false).values_only);
    EXPECT_EQ(open_descriptors(), before + 2);  // the same ones again

    // counter_1.db, kept open, is replaced by a file of the same shape and new values while a
    // second link keeps the old one alive (its link count stays 1): the listing names another
    // inode, so the new file is read, not the one kept.
    ASSERT_EQ(::link(dir.file("counter_1.db").c_str(), dir.file("old-link").c_str()), 0);
    write_counter_file(dir, "counter_1.db", {10, 20});
    SteadyCollection::Scrape replaced = steady.scrape(false);
    EXPECT_TRUE(replaced.values_only);  // same keys, same size: values only, of the new file
    EXPECT_EQ(replaced.body, full());
    EXPECT_NE(replaced.body.find("c_total{s=\"0\"} 12.0"), std::string::npos) << replaced.body;
    EXPECT_EQ(open_descriptors(), before + 2);  // the old one closed, the new one kept

    // Removed: a full read, which keeps nothing, then the two left are kept.
    ASSERT_EQ(::unlink(dir.file("counter_2.db").c_str()), 0);
    EXPECT_FALSE(steady.scrape(false).values_only);
    EXPECT_EQ(steady.scrape(false).body, full());
    EXPECT_EQ(open_descriptors(), before + 2);
  }
  EXPECT_EQ(open_descriptors(), before);  // all closed with the collection
}

TEST(SteadyCollection, AKeyOrALengthChangedInPlaceIsReadAgain) {
  // Bytes of a key, and of an entry's length, changed where they are (same file, same size,
  // same `used`), in the first entry, a middle one and the last: never replayed as values.
  TempDir dir;
  write_counter_file(dir, "counter_1.db", {1, 2, 3});
  const std::string path = dir.file("counter_1.db");
  const auto full = [&dir] {
    return format_text_exposition(collect_folder(dir.path(), FormatPreference::kAuto).families);
  };
  SteadyCollection steady(dir.path(), FormatPreference::kAuto, 4);
  steady.scrape(false);
  ASSERT_TRUE(steady.scrape(false).values_only);
  std::string bytes = testing::read_text_file(path);
  for (const char *from : {"\"s\": \"0\"", "\"s\": \"1\"", "\"s\": \"2\""}) {
    const std::size_t at = bytes.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    std::string changed = bytes;
    changed[at + 6] = 'X';  // the label's value
    testing::write_file(path, changed);
    const SteadyCollection::Scrape scrape = steady.scrape(false);
    EXPECT_FALSE(scrape.values_only) << from;
    EXPECT_EQ(scrape.body, full()) << from;
    EXPECT_NE(scrape.body.find("c_total{s=\"X\"}"), std::string::npos) << scrape.body;
    testing::write_file(path, bytes);
    EXPECT_EQ(steady.scrape(false).body, full());
    EXPECT_TRUE(steady.scrape(false).values_only);
  }
  // The first entry's length: a corrupt file now, read (and refused) as a full read does.
  std::string changed = bytes;
  changed[kDbHeaderSize] = static_cast<char>(changed[kDbHeaderSize] + 1);
  testing::write_file(path, changed);
  const SteadyCollection::Scrape corrupt = steady.scrape(false);
  EXPECT_FALSE(corrupt.values_only);
  EXPECT_EQ(corrupt.errors.size(), 1u);
  EXPECT_EQ(corrupt.body, full());
}

TEST(SteadyCollection, AKeyRewrittenInPlaceInAMappedFileIsNoticedInItsTurn) {
  // No writer rewrites a key where it is (prometheus_client and npuprobe append; npuprobe
  // replaces a file by renaming): a mapped file's keys are compared one file per scrape, so
  // such a rewrite shows within as many scrapes as there are files. Read, not mapped, files
  // (none kept open) are compared at every scrape.
  for (const std::size_t held : {std::size_t{0}, std::size_t{8}}) {
    TempDir dir;
    const char *names[] = {"counter_1.db", "counter_2.db", "counter_3.db", "counter_4.db"};
    for (const char *name : names) write_counter_file(dir, name, {1, 2});
    const auto full = [&dir] {
      return format_text_exposition(
          collect_folder(dir.path(), FormatPreference::kAuto).families);
    };
    SteadyCollection steady(dir.path(), FormatPreference::kAuto, held);
    steady.scrape(false);
    ASSERT_TRUE(steady.scrape(false).values_only);
    const std::string path = dir.file("counter_3.db");
    std::string bytes = testing::read_text_file(path);
    const std::size_t at = bytes.find("\"s\": \"1\"");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 6] = 'X';
    testing::write_file(path, bytes);  // in place: the same inode, size and `used`
    int scrapes = 0;
    bool noticed = false;
    while (!noticed && scrapes < 4) {
      const SteadyCollection::Scrape scrape = steady.scrape(false);
      ++scrapes;
      noticed = !scrape.values_only;
      if (noticed) {
        EXPECT_EQ(scrape.body, full());
      }
    }
    EXPECT_TRUE(noticed) << "held " << held;
    if (held == 0) {
      EXPECT_EQ(scrapes, 1);
    }
    const SteadyCollection::Scrape after = steady.scrape(false);
    EXPECT_TRUE(after.values_only);
    EXPECT_EQ(after.body, full());
    EXPECT_NE(after.body.find("c_total{s=\"X\"}"), std::string::npos) << after.body;
  }
}

TEST(SteadyCollection, AKeptFileGrownPastTheLimitIsReadAgainAndRefused) {
  TempDir dir;
  write_counter_file(dir, "counter_1.db", {1});
  SteadyCollection steady(dir.path(), FormatPreference::kAuto, 8);
  steady.scrape(false);
  EXPECT_TRUE(steady.scrape(false).values_only);
  // Grown in place (same inode, kept open) past what any reader takes: refused as a full read
  // refuses it, not read through the kept descriptor.
  ASSERT_EQ(::truncate(dir.file("counter_1.db").c_str(),
                       static_cast<off_t>(kMaxDbFileBytes) + 1), 0);
  const SteadyCollection::Scrape scrape = steady.scrape(false);
  EXPECT_FALSE(scrape.values_only);
  ASSERT_EQ(scrape.errors.size(), 1u);
  EXPECT_NE(scrape.errors[0].find("larger than the limit"), std::string::npos) << scrape.errors[0];
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
