// write_folder_exposition (what `npuprobe dump` prints) against collect_folder +
// format_text_exposition / format_openmetrics_exposition, which the golden tests hold to
// prometheus_client: the same bytes, errors and formats on real folders and on every path of the
// merge (gauge modes, types mixed across files, unsorted and escaped labels, stored _count and
// _bucket samples, bad `le`, corrupt files, a missing folder).
#include <gtest/gtest.h>

#include <cstring>

#include "npuprobe/store/db_file_format.h"
#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/text_exposition.h"
#include "support/golden_replay.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using testing::TempDir;
using testing::test_data_dir;
using testing::write_file;

// The exposition of `folder` as one string, its errors and formats in `exposition`.
std::string folder_text(const std::string &folder, FormatPreference format, bool openmetrics,
                        FolderExposition *exposition = nullptr, std::size_t *count = nullptr) {
  std::string text;
  std::size_t pieces = 0;
  const FolderExposition made =
      write_folder_exposition(folder, format, openmetrics, [&](std::string_view piece) {
        EXPECT_FALSE(piece.empty());
        text.append(piece.data(), piece.size());
        ++pieces;
      });
  if (exposition != nullptr) *exposition = made;
  if (count != nullptr) *count = pieces;
  return text;
}

void expect_same_as_collect_folder(const std::string &folder, FormatPreference format) {
  const FolderContents contents = collect_folder(folder, format);
  for (const bool openmetrics : {false, true}) {
    SCOPED_TRACE(folder + (openmetrics ? " openmetrics" : " text"));
    FolderExposition exposition;
    EXPECT_EQ(folder_text(folder, format, openmetrics, &exposition), openmetrics
                                          ? format_openmetrics_exposition(contents.families)
                                          : format_text_exposition(contents.families));
    EXPECT_EQ(exposition.errors, contents.errors);
    EXPECT_EQ(exposition.detected, contents.detected);
  }
}

std::string db_file(const std::vector<std::pair<std::string, double>> &entries,
                    StoreFormat format = StoreFormat::kV1) {
  std::string body;
  double timestamp = 1;
  for (const auto &[key, value] : entries) append_db_entry(body, key, value, timestamp++, format);
  std::string bytes(8, '\0');
  const auto used = static_cast<std::int32_t>(8 + body.size());
  std::memcpy(&bytes[0], &used, 4);
  return bytes + body;
}

TEST(FolderExposition, GoldenFoldersInEveryFormatPreference) {
  for (const char *name : {"client_python-0.16", "client_python-0.25"}) {
    for (const FormatPreference format :
         {FormatPreference::kV1, FormatPreference::kV2, FormatPreference::kAuto}) {
      expect_same_as_collect_folder(test_data_dir() + "/" + name, format);
    }
  }
}

TEST(FolderExposition, EveryMergePathAndBadFiles) {
  TempDir dir;
  const std::string h = R"(["h", "h_bucket", {"a": "x", "le": ")";
  write_file(dir.file("counter_1.db"),
             db_file({{R"(["c", "c_total", {"b": "2", "a": "1"}, "unsorted"])", 1},
                      {R"(["c", "c_total", {"a": "1", "b": "2"}, "unsorted"])", 2},
                      {R"(["c", "c_total", {"a": "q\"b\\s\nn", "z": ""}, "esc\\ aped\nhelp"])", 3},
                      {R"(["g", "g", {"a": "1"}, "gauge first, then a counter file"])", 4},
                      {R"(["e", "e_total", {}, ""])", 0}}));
  write_file(dir.file("counter_2.db"),
             db_file({{R"(["c", "c_total", {"a": "1", "b": "2"}, "unsorted"])", 5},
                      {R"(["u", "u_total", {"l": "\u2603\u00e9"}, "\u00e9"])", 1}}));
  write_file(dir.file("counter_7.db"),
             db_file({{R"(["\u00e9t\u00e9", "\u00e9t\u00e9_total", {}, "u"])", 1}}));
  write_file(dir.file("gauge_all_7.db"), db_file({{R"(["g", "g", {"a": "1"}, "gauge"])", 6}}));
  write_file(dir.file("gauge_liveall_8.db"), db_file({{R"(["g", "g", {"a": "1"}, "gauge"])", 7}}));
  for (const char *mode : {"min", "max", "livesum", "mostrecent"}) {
    const std::string metric = std::string("m_") + mode;
    for (const char *pid : {"10", "11"}) {
      write_file(dir.file(std::string("gauge_") + mode + "_" + pid + ".db"),
                 db_file({{"[\"" + metric + "\", \"" + metric + "\", {\"k\": \"v\"}, \"\"]",
                           pid[1] == '0' ? 3.0 : -2.0},
                          {"[\"" + metric + "\", \"" + metric + "\", {}, \"\"]", 1.5}},
                         StoreFormat::kV1));
    }
  }
  write_file(dir.file("histogram_1.db"),
             db_file({{h + R"(1.0"}, "hist"])", 1},
                      {h + R"(+Inf"}, "hist"])", 2},
                      {h + R"(0.5"}, "hist"])", 3},
                      {h + R"(NaN"}, "hist"])", 1},
                      {h + R"(nope"}, "hist"])", 1},
                      {R"(["h", "h_sum", {"a": "x"}, "hist"])", 9},
                      {R"(["h", "h_count", {"a": "y"}, "hist"])", 4},
                      {R"(["h", "h_bucket", {"a": "y", "le": "2"}, "hist"])", 4},
                      {R"(["h", "h_bucket", {"a": "y"}, "hist"])", 4}}));
  // A family a gauge file made first, then entries of a histogram file.
  write_file(dir.file("gauge_all_9.db"),
             db_file({{R"(["hg", "hg_bucket", {"a": "x", "le": "1.0"}, "hist"])", 10}}));
  write_file(dir.file("histogram_2.db"),
             db_file({{R"(["hg", "hg_bucket", {"a": "x", "le": "1.0"}, "hist"])", 10},
                      {h + R"(1.0"}, "hist"])", 1}}));
  write_file(dir.file("summary_1.db"), db_file({{R"(["s", "s_count", {}, "sum"])", 1},
                                                {R"(["s", "s_sum", {}, "sum"])", 0.25}}));
  write_file(dir.file("counter_3.db"), std::string("\x10\x00\x00\x00garbage!", 12));
  write_file(dir.file("counter_4.db"), db_file({{"[\"bad\xff\", \"x\", {}, \"\"]", 1}}));
  write_file(dir.file("counter_5.db"), db_file({{R"(["1bad", "x", {}, ""])", 1}}));
  write_file(dir.file("weird_1.db"), db_file({{R"(["w", "w", {}, ""])", 1}}));
  write_file(dir.file("gauge_1.db"), db_file({{R"(["w", "w", {}, ""])", 1}}));
  write_file(dir.file("counter_6.db"), db_file({{R"(["v2", "v2_total", {}, ""])", 1}},
                                               StoreFormat::kV2));
  for (const FormatPreference format :
       {FormatPreference::kV1, FormatPreference::kV2, FormatPreference::kAuto}) {
    expect_same_as_collect_folder(dir.path(), format);
  }
  // The folder holds what the test means to compare: a merge, errors, both formats.
  FolderExposition exposition;
  const std::string text = folder_text(dir.path(), FormatPreference::kAuto, false, &exposition);
  EXPECT_NE(text.find("c_total{a=\"1\",b=\"2\"} 8.0\n"), std::string::npos);
  EXPECT_NE(text.find("a=\"q\\\"b\\\\s\\nn\""), std::string::npos);
  EXPECT_NE(text.find("u_total{l=\"\u2603\u00e9\"} 1.0\n"), std::string::npos);
  EXPECT_EQ(exposition.errors.size(), 7u);  // six files, one bucket
  EXPECT_NE(text.find("h_bucket{a=\"x\",le=\"1.0\"} 6.0\n"), std::string::npos);
  EXPECT_EQ(exposition.detected.at("counter_6.db"), StoreFormat::kV2);
}

TEST(FolderExposition, HistogramBucketsWrittenFromTheirLabelSets) {
  // Histograms a dump writes from their label sets (no NaN bound, no stored _bucket or _count
  // sample): labels before and after le, none but le, escaped values, sets sharing bounds and
  // not, bounds out of order, sets met again in a later file, and a label value longer than the
  // 64 KiB pieces.
  TempDir dir;
  const auto bucket = [](const std::string &family, const std::string &labels,
                         const std::string &le) {
    return "[\"" + family + "\", \"" + family + "_bucket\", {" + labels + (labels.empty() ? "" : ", ") +
           "\"le\": \"" + le + "\"}, \"help of " + family + "\"]";
  };
  const std::string long_value(70000, 'v');
  for (const char *pid : {"1", "2"}) {
    std::vector<std::pair<std::string, double>> entries;
    for (const char *le : {"0.1", "1.0", "+Inf"}) {
      entries.emplace_back(bucket("lat", R"("a": "x", "z": "q\"\\n")", le), 1);
      entries.emplace_back(bucket("lat", R"("a": "y", "z": "")", le), 2);
      entries.emplace_back(bucket("bare", "", le), 3);
      entries.emplace_back(bucket("long", "\"m\": \"" + long_value + "\"", le), 4);
    }
    for (const char *le : {"5.0", "0.5", "+Inf", "50.0"}) {
      entries.emplace_back(bucket("lat", R"("a": "w", "b": "2")", le), 5);
      entries.emplace_back(bucket("lat", R"("lf": "x", "m": "y")", le), 6);
    }
    entries.emplace_back(R"(["lat", "lat_sum", {"a": "x", "z": "q\"\\n"}, "help of lat"])", 7);
    entries.emplace_back(R"(["bare", "bare_sum", {}, "help of bare"])", 8);
    write_file(dir.file(std::string("histogram_") + pid + ".db"), db_file(entries));
  }
  expect_same_as_collect_folder(dir.path(), FormatPreference::kAuto);
  const std::string text = folder_text(dir.path(), FormatPreference::kAuto, false);
  EXPECT_NE(text.find("lat_bucket{a=\"x\",le=\"1.0\",z=\"q\\\"\\\\n\"} 4.0\n"),
            std::string::npos) << text.substr(0, 2000);
  EXPECT_NE(text.find("lat_bucket{a=\"w\",b=\"2\",le=\"50.0\"} 30.0\n"), std::string::npos);
  EXPECT_NE(text.find("lat_bucket{le=\"0.5\",lf=\"x\",m=\"y\"} 12.0\n"), std::string::npos);
  EXPECT_NE(text.find("bare_bucket{le=\"+Inf\"} 18.0\nbare_count 18.0\n"), std::string::npos);
  EXPECT_NE(text.find("long_count{m=\"" + long_value + "\"} 24.0\n"), std::string::npos);
}

TEST(FolderExposition, ABigFolderComesInPiecesLongLinesAndHeadersWhole) {
  TempDir dir;
  std::vector<std::pair<std::string, double>> entries;
  for (int i = 0; i < 10000; ++i) {
    entries.emplace_back(R"(["many", "many_total", {"i": ")" + std::to_string(i) + R"("}, "m"])", i);
  }
  // A line and a HELP text longer than the 64 KiB pieces (escapes double the value).
  std::string quotes;  // JSON for 20,000 quotes, each escaped again in the exposition
  for (int i = 0; i < 20000; ++i) quotes += "\\\"";
  entries.emplace_back(R"(["long", "long_total", {"v": ")" + std::string(40000, 'q') + quotes +
                           R"("}, ")" + std::string(300000, 'h') + R"("])",
                       1);
  write_file(dir.file("counter_1.db"), db_file(entries));
  expect_same_as_collect_folder(dir.path(), FormatPreference::kAuto);
  std::size_t pieces = 0;
  FolderExposition exposition;
  const std::string text = folder_text(dir.path(), FormatPreference::kAuto, true, &exposition, &pieces);
  EXPECT_TRUE(exposition.errors.empty());
  EXPECT_NE(text.find("v=\"" + std::string(40000, 'q') + "\\\""), std::string::npos);
  EXPECT_GT(text.size(), std::size_t{3} << 16);
  EXPECT_GE(pieces, 4u);
}

TEST(FolderExposition, AFolderThatCannotBeOpened) {
  expect_same_as_collect_folder("/nonexistent/npuprobe-folder", FormatPreference::kAuto);
  FolderExposition exposition;
  EXPECT_EQ(folder_text("/nonexistent/npuprobe-folder", FormatPreference::kAuto, true, &exposition),
            "# EOF\n");
  ASSERT_EQ(exposition.errors.size(), 1u);
}

TEST(FolderExposition, AnEmptyFolder) {
  TempDir dir;
  expect_same_as_collect_folder(dir.path(), FormatPreference::kAuto);
  EXPECT_EQ(folder_text(dir.path(), FormatPreference::kAuto, false), "");
}

}  // namespace
}  // namespace npuprobe::store
