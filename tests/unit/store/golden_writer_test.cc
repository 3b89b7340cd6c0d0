// The writer against the real prometheus_client: replaying the golden ops.json through the
// registry and StoreWriter must give the bytes prometheus_client itself wrote (the golden files),
// entry by entry. The golden side is never decoded by npuprobe's reader: the bytes are split here
// by the layout of prometheus_client's mmap_dict.py alone (a 4-byte `used`, 4 bytes of zeros,
// then per entry a 4-byte key length, the key, 1..8 spaces to the next 8-byte boundary, the
// value and, in v2, the timestamp), so a bug shared by our writer and reader cannot pass. What
// the real client reads from our files is checked by store.interop.python_* (interop_check.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <ostream>

#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/store_writer.h"
#include "npuprobe/store/text_exposition.h"
#include "support/golden_replay.h"
#include "support/json_value.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;

// One entry's bytes as they lie in the file, cut at the layout's boundaries.
struct RawEntry {
  std::string padding;    // the spaces after the key
  std::string value;      // 8 bytes: the IEEE double, native (little-endian) order
  std::string timestamp;  // 8 bytes in v2, empty in v1
};

struct RawFile {
  std::uint32_t used = 0;
  std::vector<std::string> keys;  // in file order
  std::map<std::string, RawEntry> entries;
  bool tail_is_zero = true;  // every byte from `used` to the end of the file
};

std::uint32_t u32_at(const std::string &bytes, std::size_t pos) {
  std::uint32_t v = 0;
  std::memcpy(&v, bytes.data() + pos, sizeof v);
  return v;
}

double double_of(const std::string &eight_bytes) {
  double v = 0;
  std::memcpy(&v, eight_bytes.data(), sizeof v);
  return v;
}

// Splits a .db file by mmap_dict.py's layout (value_size 8 for v1, 16 for v2).
void split_raw(const std::string &path, std::size_t value_size, RawFile *out) {
  const std::string bytes = testing::read_text_file(path);
  ASSERT_GE(bytes.size(), 8u) << path;
  out->used = u32_at(bytes, 0);
  ASSERT_EQ(u32_at(bytes, 4), 0u) << path << ": the 4 bytes after `used` are zeros";
  ASSERT_LE(out->used, bytes.size()) << path;
  std::size_t pos = 8;
  while (pos < out->used) {
    ASSERT_LE(pos + 4, out->used) << path;
    const std::uint32_t length = u32_at(bytes, pos);
    pos += 4;
    // mmap_dict.py: encoded + b' ' * (8 - (len(encoded) + 4) % 8): 1 to 8 spaces.
    const std::size_t pad = 8 - (length + 4) % 8;
    ASSERT_LE(pos + length + pad + value_size, out->used) << path << " at " << pos;
    const std::string key = bytes.substr(pos, length);
    RawEntry entry{bytes.substr(pos + length, pad), bytes.substr(pos + length + pad, 8),
                   bytes.substr(pos + length + pad + 8, value_size - 8)};
    pos += length + pad + value_size;
    ASSERT_TRUE(out->entries.emplace(key, entry).second) << path << ": key twice: " << key;
    out->keys.push_back(key);
  }
  ASSERT_EQ(pos, out->used) << path;
  for (std::size_t i = out->used; i < bytes.size(); ++i) {
    if (bytes[i] != '\0') {
      out->tail_is_zero = false;
      break;
    }
  }
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

// Names the parameter in ctest's test names (not its bytes, which differ from build to build).
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.folder;
}

class GoldenWriterTest : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenWriterTest, FilesHoldTheBytesPrometheusClientWrote) {
  TempDir dir;
  write_golden_replay(dir.path(), GetParam().format);
  const std::string golden = testing::test_data_dir() + "/" + GetParam().folder;
  const std::size_t value_size = GetParam().format == StoreFormat::kV1 ? 8 : 16;
  std::vector<std::string> ours = dir.file_names();
  std::vector<std::string> expected;
  for (const std::string &name : testing::list_file_names(golden)) {
    if (name.size() > 3 && name.substr(name.size() - 3) == ".db") expected.push_back(name);
  }
  ASSERT_EQ(ours, expected);
  for (const std::string &name : expected) {
    SCOPED_TRACE(name);
    RawFile mine;
    RawFile theirs;
    split_raw(dir.file(name), value_size, &mine);
    split_raw(golden + "/" + name, value_size, &theirs);
    if (::testing::Test::HasFatalFailure()) return;
    ASSERT_FALSE(theirs.entries.empty());
    EXPECT_EQ(mine.used, theirs.used) << "same entries, same bytes in use";
    EXPECT_TRUE(mine.tail_is_zero) << "bytes after `used` must be zeros, as in a fresh mmap file";
    EXPECT_EQ(mine.entries.size(), theirs.entries.size());
    for (const std::string &key : theirs.keys) {
      SCOPED_TRACE(key);
      const auto found = mine.entries.find(key);
      ASSERT_NE(found, mine.entries.end()) << "missing key (byte for byte) " << key;
      const RawEntry &m = found->second;
      const RawEntry &t = theirs.entries.at(key);
      EXPECT_EQ(m.padding, t.padding);
      EXPECT_EQ(m.value, t.value) << "ours " << double_of(m.value) << ", prometheus_client "
                                  << double_of(t.value);
      if (name.find("mostrecent") != std::string::npos) {
        // The set() time: ours is the replay's, theirs the golden run's; both real times.
        EXPECT_GT(double_of(m.timestamp), 1.6e9) << "mostrecent needs the set() time";
        EXPECT_GT(double_of(t.timestamp), 1.6e9);
      } else {
        EXPECT_EQ(m.timestamp, t.timestamp) << "Python writes 0 outside mostrecent";
      }
    }
  }
}

// Our files read back give, line for line (order aside), the exposition prometheus_client printed
// for its own golden files (exposition.txt), not what our reader makes of the golden files.
std::vector<std::string> sorted_lines(const std::string &text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST_P(GoldenWriterTest, ReadingOurFilesGivesTheRealClientsExposition) {
  TempDir dir;
  write_golden_replay(dir.path(), GetParam().format);
  const FolderContents ours = collect_folder(dir.path(), FormatPreference::kAuto);
  EXPECT_TRUE(ours.errors.empty());
  const std::string golden = testing::read_text_file(testing::test_data_dir() + "/" +
                                                     GetParam().folder + "/exposition.txt");
  EXPECT_EQ(sorted_lines(format_text_exposition(ours.families)), sorted_lines(golden));
}

INSTANTIATE_TEST_SUITE_P(Formats, GoldenWriterTest,
                         ::testing::Values(Case{"client_python-0.16", StoreFormat::kV1},
                                           Case{"client_python-0.25", StoreFormat::kV2}),
                         [](const auto &param_info) {
                           return std::string(to_string(param_info.param.format));
                         });

}  // namespace
}  // namespace npuprobe::store
