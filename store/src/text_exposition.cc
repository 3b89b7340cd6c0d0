// Both expositions are written line for line as prometheus_client writes them
// (prometheus/client_python, prometheus_client/exposition.py generate_latest and
// prometheus_client/openmetrics/exposition.py generate_latest, 0.16 to 0.25) for the families a
// MultiProcessCollector returns: no timestamps, exemplars, units or _created samples, since the
// multiprocess files hold none of them.
#include "npuprobe/store/text_exposition.h"

#include <algorithm>

#include "exposition_lines.h"
#include "npuprobe/store/python_float.h"

namespace npuprobe::store {
namespace {

// Python's chained str.replace: backslash first, then newline, then (where asked) the quote.
// Appends `text` escaped as generate_latest escapes HELP (quotes false) and label values.
void append_escaped(std::string &out, const std::string &text, bool quotes) {
  // Most values need no escape: one append for them.
  bool plain = true;
  for (const char c : text) {
    if (c == '\\' || c == '\n' || (quotes && c == '"')) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out += text;
    return;
  }
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
}

}  // namespace

// name{k="v",...} value: labels sorted by name, as sorted(labels.items()) does (byte order of
// UTF-8 is code point order, Python's str order). Appended piece by piece: no temporaries.
void append_sample_prefix(std::string &out, const Sample &sample) {
  out += sample.name;
  if (!sample.labels.empty()) {
    const LabelPairs *labels = &sample.labels;
    LabelPairs sorted;
    if (!std::is_sorted(labels->begin(), labels->end())) {
      sorted = sample.labels;
      std::sort(sorted.begin(), sorted.end());
      labels = &sorted;
    }
    out += '{';
    for (std::size_t i = 0; i < labels->size(); ++i) {
      if (i > 0) out += ',';
      out += (*labels)[i].first;
      out += "=\"";
      append_escaped(out, (*labels)[i].second, true);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

void append_sample_value(std::string &out, double value) {
  append_float_to_go_string(out, value);
  out += '\n';
}

void append_family_header(std::string &out, const CollectedFamily &family, bool openmetrics) {
  if (openmetrics) {
    // OpenMetrics names the family without "_total" (the samples keep it) and escapes '"' in
    // HELP too.
    out += "# HELP " + family.name + " ";
    append_escaped(out, family.help, true);
    out += '\n';
    out += "# TYPE " + family.name + " " + family.type + "\n";
    return;
  }
  // Counters are exposed under their sample name, "<name>_total", as generate_latest does.
  const std::string name = family.type == "counter" ? family.name + "_total" : family.name;
  out += "# HELP " + name + " ";
  append_escaped(out, family.help, false);
  out += '\n';
  out += "# TYPE " + name + " " + family.type + "\n";
}

namespace {

std::string format_exposition(const std::vector<CollectedFamily> &families, bool openmetrics) {
  std::string out;
  for (const CollectedFamily &family : families) {
    append_family_header(out, family, openmetrics);
    for (const Sample &sample : family.samples) {
      append_sample_prefix(out, sample);
      append_sample_value(out, sample.value);
    }
  }
  if (openmetrics) out += "# EOF\n";
  return out;
}

}  // namespace

std::string format_text_exposition(const std::vector<CollectedFamily> &families) {
  return format_exposition(families, false);
}

std::string format_openmetrics_exposition(const std::vector<CollectedFamily> &families) {
  return format_exposition(families, true);
}

}  // namespace npuprobe::store
