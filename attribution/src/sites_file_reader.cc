// npuprobe_sites_<pid>.json read back (`npuprobe sites`, tests). Every documented key must be
// there with its type, so a damaged file is an error rather than a report of zeros; keys this
// version does not know are ignored, so a writer may add some without a new "format".
#include <cerrno>
#include <cstring>

#include "npuprobe/attribution/sites_file.h"
#include "npuprobe/base/checked_file.h"
#include "npuprobe/base/json.h"

namespace npuprobe::attribution {
namespace {

using base::json::Value;

// The first error wins; later checks of the same object become no-ops.
class Reader {
 public:
  explicit Reader(std::string *error) : error_(error) {}

  bool failed() const { return failed_; }

  bool fail(const Value &at, const std::string &message) {
    if (!failed_ && error_ != nullptr) *error_ = "line " + std::to_string(at.line) + ": " + message;
    failed_ = true;
    return false;
  }

  const Value *member(const Value &object, const char *key, Value::Type type) {
    if (failed_) return nullptr;
    const Value *value = object.find(key);
    if (value == nullptr) {
      fail(object, std::string("missing \"") + key + "\"");
      return nullptr;
    }
    if (value->type != type) {
      fail(*value, std::string("\"") + key + "\" must be " + base::json::describe(type) +
                       ", not " + base::json::describe(value->type));
      return nullptr;
    }
    return value;
  }

  std::string string(const Value &object, const char *key) {
    const Value *value = member(object, key, Value::Type::kString);
    return value != nullptr ? value->text : std::string();
  }

  bool boolean(const Value &object, const char *key) {
    const Value *value = member(object, key, Value::Type::kBool);
    return value != nullptr && value->boolean;
  }

  double number(const Value &object, const char *key) {
    const Value *value = member(object, key, Value::Type::kNumber);
    return value != nullptr ? value->number : 0;
  }

  // An integer in [min, max].
  std::int64_t integer(const Value &object, const char *key, std::int64_t min, std::int64_t max) {
    const Value *value = member(object, key, Value::Type::kNumber);
    if (value == nullptr) return 0;
    if (!value->integral || value->integer < min || value->integer > max) {
      fail(*value, std::string("\"") + key + "\" must be an integer in " + std::to_string(min) +
                       ".." + std::to_string(max) + ", not " + value->text);
      return 0;
    }
    return value->integer;
  }

  std::uint64_t count(const Value &object, const char *key) {
    return static_cast<std::uint64_t>(integer(object, key, 0, INT64_MAX));
  }

  // "0x..." as to_json writes addresses.
  std::uintptr_t address(const Value &object, const char *key) {
    const std::string text = string(object, key);
    if (failed_) return 0;
    const bool hex_digits =
        text.size() > 2 && text.size() <= 18 && text.compare(0, 2, "0x") == 0 &&
        text.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos;
    if (!hex_digits) {
      fail(*object.find(key),
           std::string("\"") + key + "\" must be a \"0x...\" address, not \"" + text + "\"");
      return 0;
    }
    return static_cast<std::uintptr_t>(std::stoull(text.substr(2), nullptr, 16));
  }

 private:
  std::string *error_;
  bool failed_ = false;
};

bool parse_kind(const std::string &name, CaptureKind *kind) {
  for (int k = 0; k < kCaptureKindCount; ++k) {
    if (name == to_string(static_cast<CaptureKind>(k))) {
      *kind = static_cast<CaptureKind>(k);
      return true;
    }
  }
  return false;
}

Frame read_frame(Reader &r, const Value &object) {
  Frame frame;
  if (object.type != Value::Type::kObject) {
    r.fail(object, "a stack frame must be an object");
    return frame;
  }
  frame.pc = r.address(object, "pc");
  frame.module = r.string(object, "module");
  frame.module_offset = r.address(object, "offset");
  frame.function = r.string(object, "function");
  frame.file = r.string(object, "file");
  frame.line = static_cast<int>(r.integer(object, "line", 0, INT32_MAX));
  const Value *known = object.find("known_module");  // optional: see sites_file.cc
  if (known != nullptr && known->type != Value::Type::kBool)
    r.fail(*known, "\"known_module\" must be a boolean");
  frame.known_module = known != nullptr ? known->boolean : !frame.module.empty();
  return frame;
}

SiteEntry read_site(Reader &r, const Value &object) {
  SiteEntry site;
  if (object.type != Value::Type::kObject) {
    r.fail(object, "a site must be an object");
    return site;
  }
  const std::string kind = r.string(object, "kind");
  if (!r.failed() && !parse_kind(kind, &site.kind))
    r.fail(*object.find("kind"), "unknown capture kind \"" + kind + "\"");
  site.api = r.string(object, "api");
  site.device = static_cast<int>(r.integer(object, "device", INT32_MIN, INT32_MAX));
  site.site = r.string(object, "site");
  site.label = r.string(object, "label");
  site.count = r.count(object, "count");
  site.total_seconds = r.number(object, "total_seconds");
  site.partial = r.boolean(object, "partial");
  site.truncated = r.boolean(object, "truncated");
  if (const Value *stack = r.member(object, "stack", Value::Type::kArray)) {
    for (const Value &frame : stack->items) site.stack.push_back(read_frame(r, frame));
  }
  // null: the stack has no usable frame, which SiteEntry says as stack.size().
  site.site_index = site.stack.size();
  const Value *site_frame = object.find("site_frame");
  if (site_frame == nullptr) {
    r.fail(object, "missing \"site_frame\"");
  } else if (site_frame->type != Value::Type::kNull) {
    site.site_index = static_cast<std::size_t>(
        r.integer(object, "site_frame", 0, static_cast<std::int64_t>(site.stack.size()) - 1));
  }
  return site;
}

}  // namespace

bool parse_sites_json(std::string_view text, SitesReport *report, std::string *error) {
  Value root;
  base::json::ParseError parse_error;
  if (!base::json::parse(text, &root, &parse_error)) {
    if (error != nullptr) {
      *error = "line " + std::to_string(parse_error.line) + ", column " +
               std::to_string(parse_error.column) + ": " + parse_error.message;
    }
    return false;
  }
  Reader r(error);
  if (root.type != Value::Type::kObject) return r.fail(root, "not a JSON object");
  const std::int64_t format = r.integer(root, "format", 1, INT32_MAX);
  if (r.failed()) return false;
  if (format > kSitesFileFormat) {
    return r.fail(*root.find("format"),
                  "format " + std::to_string(format) + " is newer than this npuprobe reads (" +
                      std::to_string(kSitesFileFormat) + "): use the npuprobe that wrote it");
  }
  SitesReport out;
  out.pid = static_cast<long>(r.integer(root, "pid", 1, INT32_MAX));
  out.dp = r.string(root, "dp");
  out.process = r.string(root, "process");
  out.updated_unix_s = r.number(root, "updated_unix_s");
  out.max_labels = static_cast<std::size_t>(r.count(root, "max_labels"));
  if (const Value *captures = r.member(root, "captures", Value::Type::kObject)) {
    for (int kind = 0; kind < kCaptureKindCount; ++kind)
      out.captured[kind] = r.count(*captures, to_string(static_cast<CaptureKind>(kind)));
  }
  if (const Value *skipped = r.member(root, "not_captured", Value::Type::kObject)) {
    out.not_captured_rate_limit = r.count(*skipped, "rate_limit");
    out.not_captured_ring_full = r.count(*skipped, "ring_full");
  }
  if (const Value *sites = r.member(root, "sites", Value::Type::kArray)) {
    for (const Value &site : sites->items) {
      out.sites.push_back(read_site(r, site));
      if (r.failed()) break;
    }
  }
  if (r.failed()) return false;
  *report = std::move(out);
  return true;
}

bool read_sites_file(const std::string &path, SitesReport *report, std::string *error) {
  std::string text;
  std::string why;
  if (!base::read_regular_file(path, kMaxSitesFileBytes, &text, &why)) {
    if (error != nullptr) *error = path + ": " + why;
    return false;
  }
  std::string message;
  if (parse_sites_json(text, report, &message)) return true;
  if (error != nullptr) *error = path + ": " + message;
  return false;
}

}  // namespace npuprobe::attribution
