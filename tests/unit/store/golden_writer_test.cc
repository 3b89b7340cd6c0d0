// The writer against the real prometheus_client: replaying the golden ops.json through the
// registry and StoreWriter must give files whose decoded entries equal the golden files.
#include <gtest/gtest.h>

#include <map>

#include "npuprobe/store/db_file_reader.h"
#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/store_writer.h"
#include "npuprobe/store/text_exposition.h"
#include "support/golden_replay.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;

struct Decoded {
  double value;
  double timestamp;
};

std::map<std::string, Decoded> decode(const std::string &path, StoreFormat format) {
  std::vector<DbEntry> entries;
  std::string error;
  EXPECT_TRUE(read_db_file(path, format, entries, &error)) << error;
  std::map<std::string, Decoded> by_key;
  for (const DbEntry &entry : entries) by_key[entry.key] = {entry.value, entry.timestamp};
  return by_key;
}

// Writes every golden process with its fake pid as the file tag, like the golden folder.
void write_golden_replay(const std::string &dir, StoreFormat format) {
  std::string error;
  ASSERT_TRUE(testing::write_golden_replay(dir, format, &error)) << error;
}

struct Case {
  const char *folder;
  StoreFormat format;
};

class GoldenWriterTest : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenWriterTest, DecodedEntriesEqualGoldenFiles) {
  TempDir dir;
  write_golden_replay(dir.path(), GetParam().format);
  const std::string golden = testing::test_data_dir() + "/" + GetParam().folder;
  std::vector<std::string> ours = dir.file_names();
  std::vector<std::string> expected;
  for (const std::string &name : testing::list_file_names(golden)) {
    if (name.size() > 3 && name.substr(name.size() - 3) == ".db") expected.push_back(name);
  }
  ASSERT_EQ(ours, expected);
  for (const std::string &name : expected) {
    SCOPED_TRACE(name);
    const auto mine = decode(dir.file(name), GetParam().format);
    const auto theirs = decode(golden + "/" + name, GetParam().format);
    ASSERT_EQ(mine.size(), theirs.size());
    for (const auto &[key, value] : theirs) {
      ASSERT_TRUE(mine.count(key)) << "missing key " << key;
      EXPECT_EQ(mine.at(key).value, value.value) << key;
      if (name.find("mostrecent") != std::string::npos) {
        EXPECT_GT(mine.at(key).timestamp, 1.6e9) << "mostrecent needs the set() time";
      } else {
        EXPECT_EQ(mine.at(key).timestamp, 0.0) << "Python writes 0 outside mostrecent";
      }
    }
  }
}

TEST_P(GoldenWriterTest, ReadingOurFilesGivesTheGoldenExposition) {
  TempDir dir;
  write_golden_replay(dir.path(), GetParam().format);
  const FolderContents ours = collect_folder(dir.path(), FormatPreference::kAuto);
  const FolderContents golden =
      collect_folder(testing::test_data_dir() + "/" + GetParam().folder, FormatPreference::kAuto);
  EXPECT_TRUE(ours.errors.empty());
  EXPECT_EQ(format_text_exposition(ours.families), format_text_exposition(golden.families));
}

INSTANTIATE_TEST_SUITE_P(Formats, GoldenWriterTest,
                         ::testing::Values(Case{"client_python-0.16", StoreFormat::kV1},
                                           Case{"client_python-0.25", StoreFormat::kV2}),
                         [](const auto &param_info) {
                           return std::string(to_string(param_info.param.format));
                         });

}  // namespace
}  // namespace npuprobe::store
