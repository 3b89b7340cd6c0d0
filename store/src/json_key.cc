// The entry key codec (json_key.h) on base's one JSON writer and reader.
#include "npuprobe/store/json_key.h"

#include <algorithm>

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

  bool read(EntryKey *key) {
    std::string_view metric, sample, help;
    if (!punct('[') || !string(&metric) || !punct(',') || !string(&sample) || !punct(',') ||
        !punct('{')) {
      return false;
    }
    key->labels.clear();
    if (!punct('}')) {
      do {
        std::string_view name, value;
        if (!string(&name) || !punct(':') || !string(&value)) return false;
        key->labels.emplace_back(std::string(name), std::string(value));
      } while (punct(','));
      if (!punct('}')) return false;
    }
    if (!punct(',') || !string(&help) || !punct(']')) return false;
    skip_spaces();
    if (pos_ != text_.size()) return false;
    key->metric_name.assign(metric);
    key->sample_name.assign(sample);
    key->help.assign(help);
    std::sort(key->labels.begin(), key->labels.end());
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
    if (!punct('"')) return false;
    const std::size_t start = pos_;
    for (; pos_ < text_.size(); ++pos_) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        *out = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;  // json.dumps writes ASCII
    }
    return false;
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

std::optional<EntryKey> decode_entry_key(std::string_view json, std::string *error) {
  const auto fail = [&](std::size_t offset, const std::string &problem) {
    if (error) *error = "invalid key JSON at byte " + std::to_string(offset) + ": " + problem;
    return std::nullopt;
  };
  // note: base::json::parse skips a leading BOM, as for a file; json.loads refuses it in a key.
  if (json.substr(0, 3) == "\xEF\xBB\xBF") return fail(0, "a byte order mark");
  EntryKey plain;
  if (PlainKeyReader(json).read(&plain)) return plain;
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
  EntryKey key{root.items[0].text, root.items[1].text, {}, root.items[3].text};
  // Every member, duplicates too: the reader has always kept them (sorted), not Python's last.
  for (const base::json::Member &m : root.items[2].members) {
    if (!is_string(m.value)) return fail(0, std::string("label values are strings; ") + kShape);
    key.labels.emplace_back(m.key, m.value.text);
  }
  std::sort(key.labels.begin(), key.labels.end());
  return key;
}

}  // namespace npuprobe::store
