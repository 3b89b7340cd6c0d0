// base/json_string.h: the one JSON string writer, in both styles, read back by the one reader.
#include "npuprobe/base/json_string.h"

#include <gtest/gtest.h>

#include "npuprobe/base/json.h"

namespace npuprobe::base {
namespace {

std::string written(std::string_view text, JsonStringStyle style) {
  std::string out;
  append_json_string(out, text, style);
  return out;
}

constexpr auto kPython = JsonStringStyle::kPythonAscii;
constexpr auto kUtf8 = JsonStringStyle::kUtf8;

TEST(JsonString, BothStylesEscapeTheSameAscii) {
  const std::string nasty = "q\" b\\ n\n r\r t\t b\b f\f \x01 \x1f \x7f /";
  const std::string expected = R"("q\" b\\ n\n r\r t\t b\b f\f \u0001 \u001f \u007f /")";
  EXPECT_EQ(written(nasty, kPython), expected);
  EXPECT_EQ(written(nasty, kUtf8), expected);
}

// What json.dumps("é中😀") writes (ensure_ascii=True).
TEST(JsonString, PythonStyleEscapesEverythingBeyondAscii) {
  EXPECT_EQ(written("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", kPython),
            R"("\u00e9\u4e2d\ud83d\ude00")");
}

TEST(JsonString, Utf8StyleKeepsWellFormedUtf8) {
  EXPECT_EQ(written("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", kUtf8),
            "\"\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80\"");
}

// Invalid UTF-8 (a stray byte, a truncated sequence, an overlong form, an encoded surrogate):
// Python has no spelling for it, so a key gets U+FFFD; a sites file keeps the byte as \u00XX.
TEST(JsonString, InvalidUtf8) {
  EXPECT_EQ(written("a\xff" "b\xc3", kPython), R"("a\ufffdb\ufffd")");
  EXPECT_EQ(written("a\xff" "b\xc3", kUtf8), R"("a\u00ffb\u00c3")");
  EXPECT_EQ(written("\xC0\xAF", kPython), R"("\ufffd\ufffd")");  // overlong '/'
  EXPECT_EQ(written("\xC0\xAF", kUtf8), R"("\u00c0\u00af")");
  EXPECT_EQ(written("\xED\xA0\x80", kPython), R"("\ufffd\ufffd\ufffd")");  // U+D800 as UTF-8
  EXPECT_EQ(written("\xED\xA0\x80", kUtf8), R"("\u00ed\u00a0\u0080")");
  EXPECT_EQ(written("\xF4\x90\x80\x80", kUtf8), R"("\u00f4\u0090\u0080\u0080")");  // > U+10FFFF
}

// Whatever the bytes, the output is JSON the reader takes, and valid UTF-8 reads back unchanged.
TEST(JsonString, ReadsBack) {
  for (const auto style : {kPython, kUtf8}) {
    for (const std::string text : {"plain", "\xC3\xA9\xF0\x9F\x98\x80 \"\\\n", "\xff\xfe", ""}) {
      json::Value value;
      json::ParseError error;
      ASSERT_TRUE(json::parse(written(text, style), &value, &error)) << error.message;
      ASSERT_EQ(value.type, json::Value::Type::kString);
      if (text != "\xff\xfe") {
        EXPECT_EQ(value.text, text);
      }
    }
  }
}

// A lone surrogate escape, as another writer may put it in a key: read as U+FFFD, and written
// back by Python's style as \ufffd.
TEST(JsonString, ALoneSurrogateRoundTripsAsReplacementCharacter) {
  json::Value value;
  json::ParseError error;
  ASSERT_TRUE(json::parse(R"("\udc80")", &value, &error)) << error.message;
  EXPECT_EQ(written(value.text, kPython), R"("\ufffd")");
}

}  // namespace
}  // namespace npuprobe::base
