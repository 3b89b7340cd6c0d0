// read_dumps_key (store/src/dumps_key_reader.h): json.dumps' keys are read, anything else is
// left to the general readers, and whatever it accepts means what a JSON parser reads in it.
#include "dumps_key_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "npuprobe/base/json.h"

namespace npuprobe::store {
namespace {

// The key as base's JSON parser reads it, or nullopt when it is no [s, s, {s: s}, s].
std::optional<EntryKey> parsed(std::string_view json) {
  base::json::Value root;
  base::json::ParseError error;
  if (!base::json::parse(json, &root, &error)) return std::nullopt;
  using Type = base::json::Value::Type;
  if (root.type != Type::kArray || root.items.size() != 4 ||
      root.items[0].type != Type::kString || root.items[1].type != Type::kString ||
      root.items[2].type != Type::kObject || root.items[3].type != Type::kString) {
    return std::nullopt;
  }
  EntryKey key{root.items[0].text, root.items[1].text, {}, root.items[3].text};
  for (const base::json::Member &m : root.items[2].members) {
    if (m.value.type != Type::kString) return std::nullopt;
    key.labels.emplace_back(m.key, m.value.text);
  }
  std::sort(key.labels.begin(), key.labels.end());
  return key;
}

void expect_reads_as_parser(std::string_view json) {
  EntryKeyView view;
  ASSERT_TRUE(read_dumps_key(json, &view)) << json;
  const std::optional<EntryKey> key = parsed(json);
  ASSERT_TRUE(key.has_value()) << json;
  EXPECT_EQ(view.metric_name, key->metric_name);
  EXPECT_EQ(view.sample_name, key->sample_name);
  EXPECT_EQ(view.help, key->help);
  EXPECT_EQ(LabelPairs(view.labels.begin(), view.labels.end()), key->labels) << json;
}

TEST(DumpsKeyReader, ReadsTheKeysJsonDumpsWrites) {
  expect_reads_as_parser(R"(["x", "x_total", {}, "help"])");
  expect_reads_as_parser(R"(["", "", {}, ""])");
  expect_reads_as_parser(R"(["h", "h_bucket", {"engine": "0", "le": "+Inf", "model_name": "m"}, "h"])");
  expect_reads_as_parser(R"(["a", "a", {"b": "", "": "c"}, "unsorted: {x}, [y]"])");
  // Keys as encode_entry_key writes them (the same as json.dumps).
  expect_reads_as_parser(encode_entry_key(EntryKey{"m", "m_sum", {{"z", "1"}, {"a", "2"}}, "x"}));
  // Seventeen and more bytes, every length around the sixteen-byte chunks.
  for (std::size_t n = 0; n < 40; ++n) {
    expect_reads_as_parser("[\"" + std::string(n, 'n') + "\", \"s\", {}, \"\"]");
  }
}

TEST(DumpsKeyReader, LeavesEverythingElseToTheGeneralReaders) {
  for (const char *json : {
           R"(["x", "x", {}, "h"] )", R"(["x","x",{},"h"])", R"(["x", "x", {}, "h", "e"])",
           R"(["x", "x", {"a": "b",}, "h"])", R"(["x", "x", {"a" : "b"}, "h"])",
           R"(["x", "x", {"a": "b"} , "h"])", R"(["x", "x", {"a": 1}, "h"])", R"(["x", "x", {"a"}, "h"])",
           R"(["x\"", "x", {}, "h"])", R"(["\u00e9", "x", {}, "h"])", "[\"\xc3\xa9\", \"x\", {}, \"h\"]",
           "[\"x\t\", \"x\", {}, \"h\"]", R"(["x", "x", {}, h])", R"(["x", "x", {} "h"])", "[]",
           "[", "", R"(["x", "x", [], "h"])", R"(["x", "x", {"a": "b", "c"}, "h"])"}) {
    EntryKeyView view;
    EXPECT_FALSE(read_dumps_key(json, &view)) << json;
  }
}

TEST(DumpsKeyReader, AKeyWithMoreLabelsThanItTakesIsLeftToTheOthersAndStillRead) {
  EntryKey key{"m", "m_total", {}, "h"};
  for (int i = 0; i < 40; ++i) key.labels.emplace_back("l" + std::to_string(100 + i), "v");
  const std::string json = encode_entry_key(key);  // 166 quotes
  EntryKeyView view;
  EXPECT_FALSE(read_dumps_key(json, &view));
  std::string error;
  const std::optional<EntryKey> decoded = decode_entry_key(json, &error);
  ASSERT_TRUE(decoded.has_value()) << error;
  EXPECT_EQ(decoded->labels, key.labels);
  // Fourteen labels (62 quotes: four per label, six more) are still its own; fifteen are not.
  key.labels.resize(14);
  expect_reads_as_parser(encode_entry_key(key));
  key.labels.emplace_back("l999", "v");
  EXPECT_FALSE(read_dumps_key(encode_entry_key(key), &view));
}

TEST(DumpsKeyReader, SortsLabelsAWriterDidNotSort) {
  EntryKeyView view;
  ASSERT_TRUE(read_dumps_key(R"(["x", "x", {"b": "1", "a": "2", "a": "1"}, "h"])", &view));
  EXPECT_EQ(LabelPairs(view.labels.begin(), view.labels.end()),
            (LabelPairs{{"a", "1"}, {"a", "2"}, {"b", "1"}}));
}

// Up to `longest - 1` characters, some of them JSON's punctuation.
std::string random_word(std::mt19937 &random, unsigned longest) {
  const std::string plain = "abz09_:{}[], ";
  std::string text(random() % longest, ' ');
  for (char &c : text) c = plain[random() % plain.size()];
  return text;
}

// Random keys in json.dumps' layout are all accepted; the same keys with a piece of a key put in,
// taken out or replaced somewhere are accepted only when a parser reads them the same.
TEST(DumpsKeyReader, AcceptsOnlyWhatAParserReadsTheSame) {
  std::mt19937 random(20261207);
  const auto word = [&] { return random_word(random, 20); };
  const std::vector<std::string> pieces = {"\"", "\", \"", "\": \"", ", {", "}, ", "{}", "a", " ",
                                           ",", ":", "{", "}", "[", "]", "\\", "\x01", "\xc3\xa9",
                                           "\\\"", "\"\""};
  std::size_t mutants_accepted = 0, mutants_refused = 0;
  for (int round = 0; round < 20000; ++round) {
    EntryKey key{word(), word(), {}, word()};
    for (std::size_t k = random() % 4; k > 0; --k) key.labels.emplace_back(word(), word());
    std::string json = encode_entry_key(key);
    expect_reads_as_parser(json);
    for (std::size_t edits = 1 + random() % 2; edits > 0; --edits) {
      const std::size_t at = random() % (json.size() + 1);
      const std::size_t cut = std::min<std::size_t>(random() % 3, json.size() - std::min(at, json.size()));
      json.replace(at, cut, random() % 3 == 0 ? std::string() : pieces[random() % pieces.size()]);
    }
    EntryKeyView view;
    if (read_dumps_key(json, &view)) {
      ++mutants_accepted;
      expect_reads_as_parser(json);
    } else {
      ++mutants_refused;
    }
  }
  // Both sides were tried.
  EXPECT_GT(mutants_accepted, 1000u);
  EXPECT_GT(mutants_refused, 1000u);
}

// DumpsKeyReader reads each key of a run from the one before: whatever it reads, and whether
// it reads it at all, is what read_dumps_key makes of that key alone. Runs of keys in json.dumps'
// layout, each the one before with one string changed (a bucket's le, a label's value or name,
// the sample name, the help) or a piece put in, taken out or replaced anywhere.
TEST(DumpsKeyReader, ReadsEachKeyAsReadDumpsKeyReadsItAlone) {
  std::mt19937 random(20261207);
  const auto word = [&] { return random_word(random, 12); };
  const std::vector<std::string> pieces = {"\"", "\", \"", "\": \"", ", {", "}, ", "{}", "a", " ",
                                           ",", ":", "\\", "\x01", "\xc3\xa9", "\\\"", "0.5"};
  std::size_t fast_candidates = 0, refused = 0;
  for (int run = 0; run < 2000; ++run) {
    DumpsKeyReader reader;
    EntryKey key{word(), word(), {}, word()};
    for (std::size_t k = random() % 4; k > 0; --k) key.labels.emplace_back(word(), word());
    std::sort(key.labels.begin(), key.labels.end());
    // The keys of a run stay in memory while the run is read, as a file's bytes do.
    std::vector<std::string> keys;
    keys.reserve(16);
    for (int step = 0; step < 16; ++step) {
      std::string json = encode_entry_key(key);
      if (random() % 4 == 0) {
        const std::size_t at = random() % (json.size() + 1);
        const std::size_t cut = std::min<std::size_t>(random() % 3, json.size() - at);
        json.replace(at, cut, pieces[random() % pieces.size()]);
      } else {
        ++fast_candidates;
      }
      keys.push_back(json);
      EntryKeyView alone, from_last;
      const bool read_alone = read_dumps_key(keys.back(), &alone);
      ASSERT_EQ(reader.read(keys.back(), &from_last), read_alone) << keys.back();
      if (read_alone) {
        EXPECT_EQ(from_last.metric_name, alone.metric_name) << keys.back();
        EXPECT_EQ(from_last.sample_name, alone.sample_name);
        EXPECT_EQ(from_last.help, alone.help);
        EXPECT_EQ(from_last.labels, alone.labels);
      } else {
        ++refused;
      }
      // The next key: one string of this one changed (sometimes to a word with a quote).
      const std::size_t strings = 3 + 2 * key.labels.size();
      const std::size_t which = random() % strings;
      const std::string changed = random() % 8 == 0 ? word() + "\"" : word();
      if (which == 0) {
        key.metric_name = changed;
      } else if (which == 1) {
        key.sample_name = changed;
      } else if (which == 2) {
        key.help = changed;
      } else if ((which - 3) % 2 == 0) {
        key.labels[(which - 3) / 2].first = changed;
      } else {
        key.labels[(which - 3) / 2].second = changed;
      }
    }
  }
  EXPECT_GT(fast_candidates, 20000u);
  EXPECT_GT(refused, 1000u);
}

TEST(DumpsKeyReader, ABucketRunAndALabelNameChangedInPlace) {
  DumpsKeyReader reader;
  EntryKeyView view;
  const std::vector<std::string> keys = {
      R"(["h", "h_bucket", {"a": "x", "le": "0.005", "z": "q"}, "help"])",
      R"(["h", "h_bucket", {"a": "x", "le": "10.0", "z": "q"}, "help"])",
      R"(["h", "h_bucket", {"a": "x", "le": "+Inf", "z": "q"}, "help"])",
      R"(["h", "h_sum", {"a": "x", "z": "q"}, "help"])",
      // A writer that does not sort: the name changed in place leaves the labels out of order,
      // and they are sorted as read_dumps_key sorts them.
      R"(["h", "h_sum", {"y": "x", "z": "q"}, "help"])",
      R"(["h", "h_sum", {"zz": "x", "z": "q"}, "help"])",
  };
  const std::vector<LabelPairs> labels = {
      {{"a", "x"}, {"le", "0.005"}, {"z", "q"}}, {{"a", "x"}, {"le", "10.0"}, {"z", "q"}},
      {{"a", "x"}, {"le", "+Inf"}, {"z", "q"}},  {{"a", "x"}, {"z", "q"}},
      {{"y", "x"}, {"z", "q"}},                  {{"z", "q"}, {"zz", "x"}}};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(reader.read(keys[i], &view)) << keys[i];
    EXPECT_EQ(LabelPairs(view.labels.begin(), view.labels.end()), labels[i]) << keys[i];
    EXPECT_EQ(view.sample_name, i < 3 ? "h_bucket" : "h_sum");
    EXPECT_EQ(view.help, "help");
  }
  // A key that is not in the layout after one that is: refused, and the next read whole.
  EXPECT_FALSE(reader.read(R"(["h", "h_sum", {"a": "x\u00e9"}, "help"])", &view));
  ASSERT_TRUE(reader.read(keys[0], &view));
  EXPECT_EQ(LabelPairs(view.labels.begin(), view.labels.end()), labels[0]);
}

}  // namespace
}  // namespace npuprobe::store
