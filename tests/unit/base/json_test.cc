#include <gtest/gtest.h>

#include <string>

#include "npuprobe/base/json.h"

namespace npuprobe::base::json {
namespace {

Value parse_ok(const std::string &text) {
  Value value;
  ParseError error;
  EXPECT_TRUE(parse(text, &value, &error)) << text << " -> " << error.message;
  return value;
}

ParseError parse_error(const std::string &text) {
  Value value;
  ParseError error;
  EXPECT_FALSE(parse(text, &value, &error)) << text;
  return error;
}

TEST(JsonTest, Scalars) {
  EXPECT_EQ(parse_ok("null").type, Value::Type::kNull);
  EXPECT_TRUE(parse_ok(" true ").boolean);
  EXPECT_FALSE(parse_ok("false").boolean);
  EXPECT_EQ(parse_ok("\"x\"").text, "x");
}

TEST(JsonTest, Numbers) {
  Value v = parse_ok("-12");
  EXPECT_TRUE(v.integral);
  EXPECT_EQ(v.integer, -12);
  EXPECT_EQ(v.text, "-12");
  v = parse_ok("0");
  EXPECT_TRUE(v.integral);
  EXPECT_EQ(v.integer, 0);
  v = parse_ok("1.5e3");
  EXPECT_FALSE(v.integral);
  EXPECT_DOUBLE_EQ(v.number, 1500);
  v = parse_ok("2E-2");
  EXPECT_DOUBLE_EQ(v.number, 0.02);
  v = parse_ok("1.0");
  EXPECT_FALSE(v.integral);
  v = parse_ok("99999999999999999999");  // too big for int64: a number, not an integer
  EXPECT_FALSE(v.integral);
  EXPECT_DOUBLE_EQ(v.number, 1e20);
  for (const char *bad : {"01", "-", "1.", ".5", "1e", "+1", "1e+", "-a", "0x10"}) {
    parse_error(bad);
  }
}

TEST(JsonTest, StringEscapes) {
  EXPECT_EQ(parse_ok(R"("a\"b\\c\/d\b\f\n\r\t")").text, "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse_ok(R"("\u0041\u00e9\u20ac")").text, "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parse_ok(R"("\ud83d\ude00")").text, "\xF0\x9F\x98\x80");
  EXPECT_EQ(parse_ok("\"\xEF\xBC\x9B\"").text, "\xEF\xBC\x9B");  // raw UTF-8 passes through
  EXPECT_EQ(parse_error(R"("\x")").message, "invalid escape '\\x'");
  EXPECT_EQ(parse_error(R"("\u12")").message, "truncated \\u escape");
  EXPECT_EQ(parse_error(R"("\u12g4")").message, "invalid \\u escape");
  EXPECT_EQ(parse_error("\"a\tb\"").message, "control character in a string");
  EXPECT_EQ(parse_error("\"abc").message, "unterminated string");
}

// This reader used to refuse a lone surrogate ("unpaired surrogate in \u escape") while the
// store's key decoder read it as U+FFFD. There is one reader now, and it reads as Python's
// json.loads does, since Python reads the same files (msserviceprofiler its JSON,
// prometheus_client the store keys): accepted, and U+FFFD because UTF-8 cannot hold it. The store
// keys read exactly as before.
TEST(JsonTest, LoneSurrogatesReadAsReplacementCharacter) {
  EXPECT_EQ(parse_ok(R"("\ud83d")").text, "\xEF\xBF\xBD");
  EXPECT_EQ(parse_ok(R"("\ude00")").text, "\xEF\xBF\xBD");
  EXPECT_EQ(parse_ok(R"("a\ud83db")").text, "a\xEF\xBF\xBD" "b");
  // A high surrogate before an escape that is not a low one: two characters, as in Python.
  EXPECT_EQ(parse_ok(R"("\ud83d\u0041")").text, "\xEF\xBF\xBD" "A");
  EXPECT_EQ(parse_ok(R"("\ud83d\ud83d\ude00")").text, "\xEF\xBF\xBD\xF0\x9F\x98\x80");
  // A broken escape after the high surrogate is still an error (json.loads: "Invalid \uXXXX").
  EXPECT_EQ(parse_error(R"("\ud83d\u12g4")").message, "invalid \\u escape");
}

TEST(JsonTest, ErrorsCarryTheByteOffset) {
  EXPECT_EQ(parse_error(R"(["a", x])").offset, 6u);
}

TEST(JsonTest, NestingAndLines) {
  const Value v = parse_ok("{\n  \"a\": [1, {\"b\": null}],\n  \"c\": {}\n,\"a\": 2}");
  ASSERT_EQ(v.type, Value::Type::kObject);
  ASSERT_EQ(v.members.size(), 3u);
  EXPECT_EQ(v.members[0].key, "a");
  EXPECT_EQ(v.members[0].line, 2);
  EXPECT_EQ(v.members[0].value.items.size(), 2u);
  EXPECT_EQ(v.members[0].value.items[1].find("b")->type, Value::Type::kNull);
  EXPECT_EQ(v.members[1].value.line, 3);
  EXPECT_EQ(v.find("a")->integer, 2);  // the last duplicate wins
  EXPECT_EQ(v.find("zzz"), nullptr);
  EXPECT_EQ(parse_ok("[]").items.size(), 0u);
  EXPECT_EQ(parse_ok("\xEF\xBB\xBF{}").type, Value::Type::kObject);  // BOM
}

TEST(JsonTest, DepthLimit) {
  std::string ok(kMaxDepth, '[');
  ok += std::string(kMaxDepth, ']');
  parse_ok(ok);
  std::string deep(kMaxDepth + 2, '[');
  deep += std::string(kMaxDepth + 2, ']');
  EXPECT_EQ(parse_error(deep).message, "nesting deeper than 64 levels");
}

TEST(JsonTest, ErrorsCarryLineAndColumn) {
  ParseError e = parse_error("{\n  \"a\": 1,\n  \"b\" 2\n}");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 7);
  EXPECT_EQ(e.message, "expected ':' after a key");
  e = parse_error("{\"a\": 1,}");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.message, "expected a string key in an object");
  e = parse_error("[1 2]");
  EXPECT_EQ(e.message, "expected ',' or ']' in an array");
  e = parse_error("\n\n{\"a\": tru}");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.message, "invalid literal");
  e = parse_error("{} x");
  EXPECT_EQ(e.message, "unexpected content after the JSON value");
  e = parse_error("");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.message, "unexpected end of input, expected a value");
  e = parse_error("{\"a\": [1,\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.message, "unexpected end of input, expected a value");
  e = parse_error("@");
  EXPECT_EQ(e.message, "unexpected character '@'");
  e = parse_error("{\"a\": 1 // comment\n}");
  EXPECT_EQ(e.message, "expected ',' or '}' in an object");
}

TEST(JsonTest, Describe) {
  EXPECT_STREQ(describe(Value::Type::kArray), "an array");
  EXPECT_STREQ(describe(Value::Type::kObject), "an object");
}

}  // namespace
}  // namespace npuprobe::base::json
