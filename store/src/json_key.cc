// The entry key codec (json_key.h) on base's one JSON writer and reader.
#include "npuprobe/store/json_key.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dumps_key_reader.h"
#include "npuprobe/base/json.h"
#include "npuprobe/base/json_string.h"

namespace npuprobe::store {
namespace {

void append_key_string(std::string &out, std::string_view text) {
  base::append_json_string(out, text, base::JsonStringStyle::kPythonAscii);
}

constexpr const char *kShape = "a key is [metric, sample, {labels}, help]";

// The keys Python's json.dumps and encode_entry_key write, read without building a JSON tree:
// ASCII strings without escapes or control characters, tokens apart by spaces only. What it accepts
// is valid JSON whose meaning is exactly the slices it takes; anything else (an escape, other
// whitespace, another shape) returns false and goes to the full parser, which also words the
// errors. A collection reads every key of every file: this is most of its time.
class PlainKeyReader {
 public:
  explicit PlainKeyReader(std::string_view json) : text_(json) {}

  // Fills `key` with views into the text (its label vector keeps its storage).
  bool read(EntryKeyView *key) {
    if (!punct('[') || !string(&key->metric_name) || !punct(',') ||
        !string(&key->sample_name) || !punct(',') || !punct('{')) {
      return false;
    }
    LabelViews &labels = key->labels;
    labels.clear();
    if (!punct('}')) {
      do {
        std::string_view name, value;
        if (!string(&name) || !punct(':') || !string(&value)) return false;
        labels.emplace_back(name, value);
      } while (punct(','));
      if (!punct('}')) return false;
    }
    if (!punct(',') || !string(&key->help) || !punct(']')) return false;
    skip_spaces();
    if (pos_ != text_.size()) return false;
    // json.dumps(sort_keys=True) wrote them sorted; other writers may not have.
    if (!std::is_sorted(labels.begin(), labels.end())) std::sort(labels.begin(), labels.end());
    return true;
  }

 private:
  void skip_spaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool punct(char c) {
    skip_spaces();
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool string(std::string_view *out) {
    // The opening quote (after spaces): no bounds-checked substr below, the walk stays inside
    // the text.
    if (!punct('"')) return false;
    const std::size_t start = pos_;
#if defined(__SSE2__)
    // Sixteen bytes at a time: a quote, a backslash, or a byte below 0x20 as a signed char
    // (control characters and every byte >= 0x80) ends the plain run.
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (pos_ + 16 <= text_.size()) {
      const __m128i chunk =
          _mm_loadu_si128(reinterpret_cast<const __m128i *>(text_.data() + pos_));
      const __m128i special = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
          _mm_cmplt_epi8(chunk, space));
      const int mask = _mm_movemask_epi8(special);
      if (mask == 0) {
        pos_ += 16;
        continue;
      }
      const std::size_t at = pos_ + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
      if (text_[at] != '"') return false;
      *out = std::string_view(text_.data() + start, at - start);
      pos_ = at + 1;
      return true;
    }
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    // Eight bytes at a time: the first special byte (a quote, a backslash, a control character
    // or a byte >= 0x80; json.dumps writes ASCII) is the lowest bit of the mask.
    while (pos_ + 8 <= text_.size()) {
      const std::uint64_t special = special_bytes(word_at(pos_));
      if (special == 0) {
        pos_ += 8;
        continue;
      }
      const std::size_t at = pos_ + static_cast<std::size_t>(__builtin_ctzll(special)) / 8;
      if (text_[at] != '"') return false;
      *out = std::string_view(text_.data() + start, at - start);
      pos_ = at + 1;
      return true;
    }
#endif
    for (; pos_ < text_.size(); ++pos_) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        *out = std::string_view(text_.data() + start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    }
    return false;
  }

  std::uint64_t word_at(std::size_t at) const {
    std::uint64_t word;
    std::memcpy(&word, text_.data() + at, sizeof word);
    return word;
  }
  // The high bit of every byte that is a quote, a backslash, below 0x20 or at least 0x80 (the
  // classic SWAR tests; each may also mark bytes above a true one, never below it, so the
  // lowest marked byte is always a true one).
  static std::uint64_t special_bytes(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    const auto zero_bytes = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
    return zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\')) |
           ((w - kOnes * 0x20) & ~w & kHighs) | (w & kHighs);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string encode_entry_key(const EntryKey &key) {
  LabelPairs labels = key.labels;
  std::sort(labels.begin(), labels.end());
  std::string out = "[";
  append_key_string(out, key.metric_name);
  out += ", ";
  append_key_string(out, key.sample_name);
  out += ", {";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    append_key_string(out, labels[i].first);
    out += ": ";
    append_key_string(out, labels[i].second);
  }
  out += "}, ";
  append_key_string(out, key.help);
  out += ']';
  return out;
}

namespace {

// The general way: base's JSON parser, for keys the plain reader does not take (escapes,
// other whitespace) and to word the errors.
bool decode_with_parser(std::string_view json, EntryKey *key, std::string *error) {
  const auto fail = [&](std::size_t offset, const std::string &problem) {
    if (error) *error = "invalid key JSON at byte " + std::to_string(offset) + ": " + problem;
    return false;
  };
  // note: base::json::parse skips a leading BOM, as for a file; json.loads refuses it in a key.
  if (json.substr(0, 3) == "\xEF\xBB\xBF") return fail(0, "a byte order mark");
  base::json::Value root;
  base::json::ParseError parse_error;
  if (!base::json::parse(json, &root, &parse_error)) {
    return fail(parse_error.offset, parse_error.message);
  }
  using Type = base::json::Value::Type;
  const auto is_string = [](const base::json::Value &v) { return v.type == Type::kString; };
  if (root.type != Type::kArray || root.items.size() != 4 || !is_string(root.items[0]) ||
      !is_string(root.items[1]) || root.items[2].type != Type::kObject ||
      !is_string(root.items[3])) {
    return fail(0, kShape);
  }
  key->metric_name = root.items[0].text;
  key->sample_name = root.items[1].text;
  key->help = root.items[3].text;
  key->labels.clear();
  // Every member, duplicates too: the reader has always kept them (sorted), not Python's last.
  for (const base::json::Member &m : root.items[2].members) {
    if (!is_string(m.value)) return fail(0, std::string("label values are strings; ") + kShape);
    key->labels.emplace_back(m.key, m.value.text);
  }
  std::sort(key->labels.begin(), key->labels.end());
  return true;
}

}  // namespace

bool decode_entry_key_view(std::string_view json, EntryKeyView *key, std::string *error) {
  // A BOM is no '[': the plain readers refuse it, and the parser words it. Most keys are in
  // json.dumps' own layout (dumps_key_reader.h); the plain reader takes other spacing.
  if (read_dumps_key(json, key) || PlainKeyReader(json).read(key)) return true;
  if (key->decoded == nullptr) key->decoded = std::make_unique<EntryKey>();
  EntryKey &decoded = *key->decoded;
  if (!decode_with_parser(json, &decoded, error)) return false;
  key->metric_name = decoded.metric_name;
  key->sample_name = decoded.sample_name;
  key->help = decoded.help;
  key->labels.assign(decoded.labels.begin(), decoded.labels.end());
  return true;
}

std::optional<EntryKey> decode_entry_key(std::string_view json, std::string *error) {
  EntryKeyView view;
  if (!decode_entry_key_view(json, &view, error)) return std::nullopt;
  EntryKey key;
  key.metric_name.assign(view.metric_name);
  key.sample_name.assign(view.sample_name);
  key.help.assign(view.help);
  for (const auto &[name, value] : view.labels) key.labels.emplace_back(name, value);
  return key;
}

}  // namespace npuprobe::store
