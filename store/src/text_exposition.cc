#include "npuprobe/store/text_exposition.h"

#include "npuprobe/store/python_float.h"

namespace npuprobe::store {
namespace {

std::string escape(const std::string &text, bool quotes) {
  std::string out;
  for (const char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string format_text_exposition(const std::vector<CollectedFamily> &families) {
  std::string out;
  for (const CollectedFamily &family : families) {
    // Counters are exposed under their sample name, "<name>_total", as generate_latest does.
    const std::string name = family.type == "counter" ? family.name + "_total" : family.name;
    out += "# HELP " + name + " " + escape(family.help, false) + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    for (const Sample &sample : family.samples) {
      out += sample.name;
      if (!sample.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < sample.labels.size(); ++i) {
          if (i > 0) out += ',';
          out += sample.labels[i].first + "=\"" + escape(sample.labels[i].second, true) + "\"";
        }
        out += '}';
      }
      out += " " + float_to_go_string(sample.value) + "\n";
    }
  }
  return out;
}

}  // namespace npuprobe::store
