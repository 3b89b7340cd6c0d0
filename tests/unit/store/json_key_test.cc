#include "npuprobe/store/json_key.h"

#include <gtest/gtest.h>

#include "npuprobe/store/db_file_reader.h"
#include "support/golden_replay.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

TEST(JsonKey, ReEncodingEveryGoldenKeyIsByteIdentical) {
  for (const char *folder : {"client_python-0.16", "client_python-0.25"}) {
    const std::string dir = testing::test_data_dir() + "/" + folder;
    for (const std::string &name : testing::list_file_names(dir)) {
      if (name.find(".db") == std::string::npos) continue;
      std::vector<DbEntry> entries;
      ASSERT_TRUE(read_db_file(dir + "/" + name,
                               std::string(folder).find("0.16") != std::string::npos
                                   ? StoreFormat::kV1
                                   : StoreFormat::kV2,
                               entries, nullptr));
      for (const DbEntry &entry : entries) {
        std::string error;
        const auto key = decode_entry_key(entry.key, &error);
        ASSERT_TRUE(key) << error;
        EXPECT_EQ(encode_entry_key(*key), entry.key);
      }
    }
  }
}

TEST(JsonKey, EscapesLikePythonJsonDumps) {
  const EntryKey key{"m", "m_total", {{"z", "1"}, {"a", "q\"b\\s\nn\tt\x01 é中😀\x7f"}}, "h"};
  EXPECT_EQ(encode_entry_key(key),
            R"(["m", "m_total", {"a": "q\"b\\s\nn\tt\u0001 \u00e9\u4e2d\ud83d\ude00\u007f", )"
            R"("z": "1"}, "h"])");
}

TEST(JsonKey, SpecialLabelValuesRoundTrip) {
  const std::string nasty = "quote\" backslash\\ newline\n tab\t é中😀 \x1f end";
  const EntryKey key{
      "metric:x", "metric:x_bucket", {{"le", "+Inf"}, {"op", nasty}}, "help \"x\"\n"};
  std::string error;
  const auto decoded = decode_entry_key(encode_entry_key(key), &error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_EQ(decoded->labels, key.labels);
  EXPECT_EQ(decoded->help, key.help);
  EXPECT_EQ(decoded->sample_name, key.sample_name);
}

// Invalid UTF-8 in what is written: tests/unit/base/json_string_test.cc (the writer is base's).

// The key reader's behaviour from before the JSON reader was shared, kept: a lone surrogate
// escape reads as U+FFFD (prometheus_client's json.loads accepts it), a BOM is refused.
TEST(JsonKey, LoneSurrogatesAndByteOrderMark) {
  std::string error;
  const auto key = decode_entry_key(R"(["m", "m", {"l": "a\ud800b"}, "\udc00"])", &error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->labels[0].second, "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(key->help, "\xEF\xBF\xBD");
  EXPECT_FALSE(decode_entry_key("\xEF\xBB\xBF" R"(["m", "m", {}, ""])", &error));
  EXPECT_NE(error.find("invalid key JSON at byte 0"), std::string::npos) << error;
}

TEST(JsonKey, DecodeRejectsWrongShapes) {
  std::string error;
  EXPECT_FALSE(decode_entry_key("", &error));
  EXPECT_FALSE(decode_entry_key(R"(["a", "b", {}])", &error));
  EXPECT_NE(error.find("[metric, sample, {labels}, help]"), std::string::npos) << error;
  EXPECT_FALSE(decode_entry_key(R"(["a", "b", {"x": 1}, "h"])", &error));
  EXPECT_FALSE(decode_entry_key(R"(["a", "b", {}, "h"] x)", &error));
  EXPECT_FALSE(decode_entry_key(R"(["a", "b", {}, "h)", &error));
  EXPECT_TRUE(decode_entry_key(R"([ "a","b" ,{ "x" :"\u00e9"},"h" ])", &error)) << error;
}

}  // namespace
}  // namespace npuprobe::store
