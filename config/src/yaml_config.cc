// The YAML layer (NPUPROBE_CONFIG). yaml-cpp builds the tree (its exceptions never leave this
// file); every key is checked here so that messages name the dotted key and the line.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <functional>
#include <new>

#include "checks.h"
#include "npuprobe/config/keys.h"
#include "npuprobe/config/loaders.h"
#include "npuprobe/base/metric_name.h"

namespace npuprobe::config {
namespace {

using detail::quoted;

class YamlLayer {
 public:
  YamlLayer(const std::string &file, Config &config, std::vector<Diagnostic> &messages)
      : file_(file), config_(config), messages_(messages) {}

  void apply_root(const YAML::Node &root) { apply_map(root, ""); }

 private:
  using Handler = std::function<bool(const std::string &key, const std::string &path,
                                     const YAML::Node &value, int line)>;

  void report(int line, const std::string &key, std::string text) {
    messages_.push_back(Diagnostic{file_, line, key, std::move(text)});
  }

  static int line_of(const YAML::Node &node, int fallback) {
    const YAML::Mark mark = node.Mark();
    return mark.line >= 0 ? mark.line + 1 : fallback;
  }

  static std::string describe(const YAML::Node &node) {
    switch (node.Type()) {
      case YAML::NodeType::Scalar: return quoted(node.Scalar());
      case YAML::NodeType::Sequence: return "a sequence";
      case YAML::NodeType::Map: return "a map";
      default: return "null";
    }
  }

  void wrong_type(const YAML::Node &node, const std::string &path, int line,
                  const char *expected) {
    report(line, path, std::string("expected ") + expected + ", got " + describe(node));
  }

  // Calls `handler` for every key of the map `node`; reports keys it returns false for.
  void each(const YAML::Node &node, const std::string &prefix, const Handler &handler) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: `it->` is a temporary proxy, references into it would dangle.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      const int key_line = line_of(key, 0);
      if (!key.IsScalar()) {
        report(key_line, prefix.empty() ? std::string("(key)") : prefix,
               "keys must be plain strings, got " + describe(key));
        continue;
      }
      const std::string path = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
      // An empty value ("key:") is marked at the next token: report it on the key's line.
      const int value_line = value.IsNull() ? key_line : line_of(value, key_line);
      if (!handler(key.Scalar(), path, value, value_line)) {
        report(key_line, path, "unknown key");
      }
    }
  }

  // Every key the table knows, wherever it sits; sections are the dotted prefixes of its keys.
  void apply_map(const YAML::Node &node, const std::string &prefix) {
    each(node, prefix, [&](const std::string &, const std::string &path, const YAML::Node &v,
                           int line) {
      if (const Key *key = find_yaml_key(path)) {
        apply_key(*key, path, v, line);
      } else if (is_yaml_section(path)) {
        if (v.IsNull()) return true;  // "store:" with nothing under it
        if (!v.IsMap()) {
          wrong_type(v, path, line, "a map");
        } else {
          apply_map(v, path);
        }
      } else {
        return false;
      }
      return true;
    });
  }

  // One value: the field's type says which YAML shapes it takes; keys.h reads the text.
  void apply_key(const Key &key, const std::string &path, const YAML::Node &node, int line) {
    const Field field = key.field(config_);
    if (std::holds_alternative<LabelMap *>(field)) return labels(node, path, line);
    if (std::holds_alternative<BucketMap *>(field)) return buckets(node, path, line);
    if (std::holds_alternative<std::vector<std::string> *>(field)) {
      if (key.spelling == Spelling::kFilter && node.IsScalar()) {
        set_text(key, path, node.Scalar(), line);
      } else {
        std::vector<std::string> items;
        if (string_list(node, path, line, &items)) set_list(key, path, std::move(items), line);
      }
      return;
    }
    const char *expected = "a string";
    if (std::holds_alternative<bool *>(field)) expected = "a boolean";
    if (std::holds_alternative<int *>(field) || std::holds_alternative<TaskTimeMode *>(field)) {
      expected = "an integer";
    }
    if (node.IsNull() && std::string_view(expected) == "a string") {
      return set_text(key, path, "", line);  // "key:" with no value: the empty string
    }
    if (!scalar(node, path, line, expected)) return;
    set_text(key, path, node.Scalar(), line);
  }

  void set_text(const Key &key, const std::string &path, std::string_view text, int line) {
    std::string problem = set_from_text(key, config_, text);
    if (!problem.empty()) report(line, path, std::move(problem));
  }

  void set_list(const Key &key, const std::string &path, std::vector<std::string> items,
                int line) {
    std::string problem = set_from_list(key, config_, std::move(items));
    if (!problem.empty()) report(line, path, std::move(problem));
  }

  bool scalar(const YAML::Node &node, const std::string &path, int line, const char *expected) {
    if (node.IsScalar()) return true;
    wrong_type(node, path, line, expected);
    return false;
  }

  bool string(const YAML::Node &node, const std::string &path, int line, std::string *out) {
    if (node.IsNull()) {
      out->clear();
      return true;
    }
    if (!scalar(node, path, line, "a string")) return false;
    *out = node.Scalar();
    return true;
  }

  // A sequence of non-empty strings ("key:" alone: the empty list). False after a message.
  bool string_list(const YAML::Node &node, const std::string &path, int line,
                   std::vector<std::string> *out) {
    out->clear();
    if (node.IsNull()) return true;
    if (!node.IsSequence()) {
      wrong_type(node, path, line, "a sequence of strings");
      return false;
    }
    std::size_t index = 0;
    for (const YAML::Node &item : node) {
      const std::string item_path = path + "[" + std::to_string(index++) + "]";
      const int item_line = line_of(item, line);
      if (!item.IsScalar()) {
        wrong_type(item, item_path, item_line, "a string");
        return false;
      }
      if (item.Scalar().empty()) {
        report(item_line, item_path, "must not be empty");
        return false;
      }
      out->push_back(item.Scalar());
    }
    return true;
  }

  void labels(const YAML::Node &node, const std::string &path, int line) {
    if (node.IsNull()) return;
    if (!node.IsMap()) return wrong_type(node, path, line, "a map");
    each(node, path, [&](const std::string &key, const std::string &p, const YAML::Node &v,
                         int l) {
      std::string value;
      if (!base::is_valid_label_name(key)) {
        report(l, p, quoted(key) + " is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, "
                                   "not starting with __)");
      } else if (detail::is_reserved_label_name(key)) {
        report(l, p, quoted(key) + " is a label npuprobe's metrics already carry (" +
                         std::string(detail::kReservedLabelList) + ")");
      } else if (string(v, p, l, &value)) {
        config_.labels[key] = value;
      }
      return true;
    });
  }

  void buckets(const YAML::Node &node, const std::string &path, int line) {
    if (node.IsNull()) return;
    if (!node.IsMap()) return wrong_type(node, path, line, "a map");
    each(node, path, [&](const std::string &family, const std::string &p, const YAML::Node &v,
                         int l) {
      if (!base::is_valid_metric_name(family)) {
        report(l, p, quoted(family) + " is not a valid metric family name "
                                      "([a-zA-Z_:][a-zA-Z0-9_:]*)");
        return true;
      }
      if (!v.IsSequence()) {
        wrong_type(v, p, l, "a sequence of numbers");
        return true;
      }
      std::vector<double> edges;
      std::size_t index = 0;
      for (const YAML::Node &item : v) {
        const std::string item_path = p + "[" + std::to_string(index++) + "]";
        const int item_line = line_of(item, l);
        double edge = 0;
        if (!item.IsScalar() || !detail::parse_number(item.Scalar(), &edge)) {
          wrong_type(item, item_path, item_line, "a number");
          return true;
        }
        if (!std::isfinite(edge)) {
          report(item_line, item_path,
                 quoted(item.Scalar()) + " is not finite (+Inf is always the last bucket)");
          return true;
        }
        if (!edges.empty() && edge <= edges.back()) {
          report(item_line, p,
                 "buckets must be strictly increasing: " + detail::number_text(edge) +
                     " follows " + detail::number_text(edges.back()));
          return true;
        }
        edges.push_back(edge);
      }
      if (edges.empty()) {
        report(l, p, "must list at least one bucket");
        return true;
      }
      config_.buckets[family] = std::move(edges);
      return true;
    });
  }

  const std::string &file_;
  Config &config_;
  std::vector<Diagnostic> &messages_;
};

}  // namespace

LayerStatus apply_yaml_text(std::string_view text, const std::string &file, Config &config,
                            std::vector<Diagnostic> &messages) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception &e) {
    messages.push_back(Diagnostic{file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "",
                                  "malformed YAML, file ignored: " + e.msg});
    return LayerStatus::kMalformed;
  } catch (const std::exception &e) {
    messages.push_back(Diagnostic{file, 0, "", std::string("malformed YAML, file ignored: ") +
                                                   e.what()});
    return LayerStatus::kMalformed;
  }
  if (root.IsNull()) return LayerStatus::kApplied;  // an empty file
  if (!root.IsMap()) {
    messages.push_back(Diagnostic{file, root.Mark().line >= 0 ? root.Mark().line + 1 : 0, "",
                                  "malformed YAML, file ignored: expected a map at the top "
                                  "level"});
    return LayerStatus::kMalformed;
  }
  // Apply onto a copy: an exception half-way (yaml-cpp's iterators may throw on odd trees)
  // leaves `config` untouched.
  Config copy = config;
  const std::size_t first_message = messages.size();
  try {
    YamlLayer(file, copy, messages).apply_root(root);
  } catch (const std::exception &e) {
    messages.resize(first_message);
    messages.push_back(Diagnostic{file, 0, "", std::string("malformed YAML, file ignored: ") +
                                                   e.what()});
    return LayerStatus::kMalformed;
  }
  config = std::move(copy);
  return LayerStatus::kApplied;
}

}  // namespace npuprobe::config
