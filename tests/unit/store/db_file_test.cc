// Bad files: every one is rejected with an error naming it, and the rest of the folder is
// still reported.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "npuprobe/store/db_file_format.h"
#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/db_file_writer.h"
#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/text_exposition.h"
#include "support/golden_replay.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;
using testing::write_file;

std::string db_file(const std::vector<std::string> &keys, StoreFormat format, double value = 1) {
  std::string body;
  for (const std::string &key : keys) append_db_entry(body, key, value, 0, format);
  std::string bytes(8, '\0');
  const auto used = static_cast<std::int32_t>(8 + body.size());
  std::memcpy(&bytes[0], &used, 4);
  bytes += body;
  bytes.resize(std::max<std::size_t>(bytes.size(), 4096), '\0');
  return bytes;
}

const std::string kGoodKey = R"(["ok", "ok_total", {}, "fine"])";

class BadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.file("counter_1.db"), db_file({kGoodKey}, StoreFormat::kV1));
  }

  // The bad file is named in exactly one error and the good file's metric is still there.
  void expect_rejected(const std::string &name, const std::string &bytes, const char *why) {
    write_file(dir_.file(name), bytes);
    const FolderContents contents = collect_folder(dir_.path(), FormatPreference::kV1);
    ASSERT_EQ(contents.errors.size(), 1u);
    EXPECT_NE(contents.errors[0].find(dir_.file(name)), std::string::npos) << contents.errors[0];
    EXPECT_NE(contents.errors[0].find(why), std::string::npos) << contents.errors[0];
    ASSERT_EQ(contents.families.size(), 1u);
    EXPECT_EQ(format_text_exposition(contents.families),
              "# HELP ok_total fine\n# TYPE ok_total counter\nok_total 1.0\n");
  }

  TempDir dir_;
};

TEST_F(BadFileTest, ZeroLength) {
  expect_rejected("counter_2.db", "", "zero-length");
}

TEST_F(BadFileTest, ShorterThanHeader) {
  expect_rejected("counter_2.db", "\x10\0", "header");
}

TEST_F(BadFileTest, TruncatedEntry) {
  std::string bytes = db_file({kGoodKey, kGoodKey}, StoreFormat::kV1);
  bytes.resize(8 + 4 + 10);  // `used` promises two entries, the file ends inside the first
  expect_rejected("counter_2.db", bytes, "but the file has only");
}

TEST_F(BadFileTest, OversizedUsed) {
  std::string bytes = db_file({kGoodKey}, StoreFormat::kV1);
  const std::int32_t used = 1 << 30;
  std::memcpy(&bytes[0], &used, 4);
  expect_rejected("counter_2.db", bytes, "used=1073741824");
}

TEST_F(BadFileTest, EntryRunningPastUsed) {
  std::string bytes = db_file({kGoodKey}, StoreFormat::kV1);
  const std::int32_t key_length = 1000;
  std::memcpy(&bytes[8], &key_length, 4);
  expect_rejected("counter_2.db", bytes, "runs past used");
}

TEST_F(BadFileTest, Garbage) {
  std::string bytes(4096, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + 7);
  const std::int32_t used = 200;
  std::memcpy(&bytes[0], &used, 4);
  expect_rejected("counter_2.db", bytes, "counter_2.db");
}

TEST_F(BadFileTest, InvalidUtf8InKey) {
  expect_rejected("counter_2.db",
                  db_file({"[\"a\xff\", \"a_total\", {}, \"h\"]"}, StoreFormat::kV1),
                  "not valid UTF-8");
}

TEST_F(BadFileTest, KeyThatIsNotJson) {
  expect_rejected("counter_2.db", db_file({"not json"}, StoreFormat::kV1), "invalid key JSON");
}

TEST_F(BadFileTest, InvalidMetricNameInKey) {
  expect_rejected("counter_2.db", db_file({R"(["a-b", "a-b_total", {}, "h"])"}, StoreFormat::kV1),
                  "invalid metric name");
}

TEST_F(BadFileTest, FileNameThatIsNoType) {
  expect_rejected("weird_2.db", db_file({kGoodKey}, StoreFormat::kV1), "unknown type");
}

TEST(DbFile, UsedZeroIsEmptyLikePython) {
  // What a reader sees between Python's truncate() of a new file and its first `used` store.
  std::vector<DbEntry> entries;
  std::string error;
  EXPECT_TRUE(parse_db_bytes(std::string(65536, '\0'), StoreFormat::kV1, entries, &error)) << error;
  EXPECT_TRUE(entries.empty());
}

TEST(DbFile, FormatDetection) {
  const std::vector<std::string> keys = {kGoodKey, R"(["x", "x", {"a": "b"}, "h"])"};
  EXPECT_EQ(detect_db_format(db_file(keys, StoreFormat::kV1)), DetectedFormat::kV1);
  EXPECT_EQ(detect_db_format(db_file(keys, StoreFormat::kV2)), DetectedFormat::kV2);
  EXPECT_EQ(detect_db_format(db_file({}, StoreFormat::kV2)), DetectedFormat::kEmpty);
  EXPECT_EQ(detect_db_format(std::string(100, 'x')), DetectedFormat::kUnknown);
  // Golden files of the real library.
  for (const auto &[folder, expected] : {std::pair{"client_python-0.16", DetectedFormat::kV1},
                                         {"client_python-0.25", DetectedFormat::kV2}}) {
    const std::string dir = testing::test_data_dir() + "/" + folder;
    for (const std::string &name : testing::list_file_names(dir)) {
      if (name.find(".db") == std::string::npos) continue;
      std::string bytes;
      ASSERT_TRUE(read_db_file_bytes(dir + "/" + name, bytes, nullptr));
      EXPECT_EQ(detect_db_format(bytes), expected) << folder << "/" << name;
    }
  }
}

// detect_and_parse_db_views finds what detect_db_format finds, and the entries parse_db_views
// gives in that format: on v1, v2, empty and corrupt files, and on random damage to them (bytes
// flipped anywhere: lengths, keys, values, the header).
TEST(DbFile, DetectingAndParsingInOneWalkAgreesWithDoingBoth) {
  const std::vector<std::string> keys = {kGoodKey, R"(["x", "x", {"a": "b"}, "h"])",
                                         R"(["y", "y_total", {}, "help"])"};
  std::vector<std::string> files = {db_file(keys, StoreFormat::kV1), db_file(keys, StoreFormat::kV2),
                                    db_file({}, StoreFormat::kV1), std::string(100, 'x'),
                                    db_file({"[1]"}, StoreFormat::kV1), db_file({"nope"}, StoreFormat::kV2)};
  std::mt19937 random(7);
  for (int i = 0; i < 3000; ++i) {
    std::string damaged = files[random() % 2];
    for (int flips = 1 + random() % 3; flips > 0; --flips) {
      damaged[random() % 200] = static_cast<char>(random());
    }
    files.push_back(damaged);
  }
  std::size_t by_format[4] = {};
  for (const std::string &bytes : files) {
    std::vector<DbEntryView> entries;
    const DetectedFormat found = detect_and_parse_db_views(bytes, entries);
    ASSERT_EQ(found, detect_db_format(bytes));
    ++by_format[static_cast<int>(found)];
    if (found != DetectedFormat::kV1 && found != DetectedFormat::kV2) continue;
    std::vector<DbEntryView> parsed;
    ASSERT_TRUE(parse_db_views(
        bytes, found == DetectedFormat::kV1 ? StoreFormat::kV1 : StoreFormat::kV2, parsed, nullptr));
    ASSERT_EQ(entries.size(), parsed.size());
    for (std::size_t e = 0; e < parsed.size(); ++e) {
      EXPECT_EQ(entries[e].key, parsed[e].key);
      EXPECT_EQ(entries[e].value_at, parsed[e].value_at);
      EXPECT_EQ(entries[e].start, parsed[e].start);
      EXPECT_EQ(std::memcmp(&entries[e].value, &parsed[e].value, sizeof(double)), 0);
      EXPECT_EQ(std::memcmp(&entries[e].timestamp, &parsed[e].timestamp, sizeof(double)), 0);
    }
  }
  // Every outcome was met.
  for (const std::size_t count : by_format) EXPECT_GT(count, 0u);
}

}  // namespace
}  // namespace npuprobe::store

namespace npuprobe::store {
namespace {

// A value updated in place carries its new timestamp in v2: prometheus_client's `mostrecent`
// gauges pick, across processes, the value with the latest timestamp, so a stale one would let
// an old process's value win.
TEST(DbFileWriterUpdate, AnUpdateWritesItsTimestampInV2AndNoneInV1) {
  for (const StoreFormat format : {StoreFormat::kV2, StoreFormat::kV1}) {
    testing::TempDir dir;
    const std::string path = dir.file("gauge_mostrecent_1-npu.db");
    std::vector<std::uint32_t> offsets;
    std::string error;
    const auto writer = DbFileWriter::create(
        path, format, {{R"(["g", "g", {}, "h"])", 1.0, 100.0}}, offsets, &error);
    ASSERT_NE(writer, nullptr) << error;
    ASSERT_EQ(offsets.size(), 1u);
    writer->store(offsets[0], 5.0, 250.5);
    std::vector<DbEntry> entries;
    ASSERT_TRUE(read_db_file(path, format, entries, &error)) << error;
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].value, 5.0);
    EXPECT_EQ(entries[0].timestamp, format == StoreFormat::kV2 ? 250.5 : 0.0);
  }
}

}  // namespace
}  // namespace npuprobe::store
