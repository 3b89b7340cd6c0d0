// The reader against files made by the real prometheus_client: aggregating each golden folder
// must print exactly the lines MultiProcessCollector + generate_latest printed (order aside).
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/text_exposition.h"
#include "support/golden_replay.h"

namespace npuprobe::store {
namespace {

using testing::read_text_file;
using testing::test_data_dir;

std::vector<std::string> sorted_lines(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

struct GoldenFolder {
  const char *name;
  FormatPreference format;
};

class GoldenReaderTest : public ::testing::TestWithParam<GoldenFolder> {};

TEST_P(GoldenReaderTest, ExpositionEqualsPythonCollectorOutput) {
  const std::string folder = test_data_dir() + "/" + GetParam().name;
  const FolderContents contents = collect_folder(folder, GetParam().format);
  EXPECT_TRUE(contents.errors.empty()) << contents.errors.front();
  EXPECT_EQ(sorted_lines(format_text_exposition(contents.families)),
            sorted_lines(read_text_file(folder + "/exposition.txt")));
}

INSTANTIATE_TEST_SUITE_P(
    Folders, GoldenReaderTest,
    ::testing::Values(GoldenFolder{"client_python-0.16", FormatPreference::kV1},
                      GoldenFolder{"client_python-0.16", FormatPreference::kAuto},
                      GoldenFolder{"client_python-0.25", FormatPreference::kV2},
                      GoldenFolder{"client_python-0.25", FormatPreference::kAuto}),
    [](const auto &param_info) {
      std::string name = std::string(param_info.param.name) + "_" +
                         std::string(to_string(param_info.param.format));
      std::replace_if(
          name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
      return name;
    });

TEST(GoldenReader, WrongExplicitFormatIsReportedPerFileNotGarbage) {
  const FolderContents contents =
      collect_folder(test_data_dir() + "/client_python-0.16", FormatPreference::kV2);
  EXPECT_TRUE(contents.families.empty());
  ASSERT_EQ(contents.errors.size(), 10u);  // every .db file, each named
  EXPECT_NE(contents.errors.front().find("counter_1001.db: corrupt v2 file"), std::string::npos)
      << contents.errors.front();
}

}  // namespace
}  // namespace npuprobe::store
