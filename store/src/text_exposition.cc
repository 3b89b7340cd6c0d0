// Both expositions are written line for line as prometheus_client writes them
// (prometheus/client_python, prometheus_client/exposition.py generate_latest and
// prometheus_client/openmetrics/exposition.py generate_latest, 0.16 to 0.25) for the families a
// MultiProcessCollector returns: no timestamps, exemplars, units or _created samples, since the
// multiprocess files hold none of them.
#include "npuprobe/store/text_exposition.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "exposition_lines.h"
#include "npuprobe/store/python_float.h"
#include "sample_table.h"

namespace npuprobe::store {
namespace {

// Python's chained str.replace: backslash first, then newline, then (where asked) the quote.
// Writes `text` at `at` escaped as generate_latest escapes HELP (quotes false) and label values;
// at most twice its length.
char *write_escaped(char *at, std::string_view text, bool quotes) {
  for (const char c : text) {
    if (c == '\\') {
      *at++ = '\\';
      *at++ = '\\';
    } else if (c == '\n') {
      *at++ = '\\';
      *at++ = 'n';
    } else if (c == '"' && quotes) {
      *at++ = '\\';
      *at++ = '"';
    } else {
      *at++ = c;
    }
  }
  return at;
}

void append_escaped(std::string &out, std::string_view text, bool quotes) {
  const std::size_t old = out.size();
  out.resize(old + 2 * text.size());
  out.resize(static_cast<std::size_t>(write_escaped(&out[old], text, quotes) - out.data()));
}

char *write_text(char *at, std::string_view text) {
  if (!text.empty()) std::memcpy(at, text.data(), text.size());  // may have no data
  return at + text.size();
}

// `label="value"`, the value escaped as generate_latest escapes label values: the one way every
// line below writes a label.
char *write_label_pair(char *at, std::string_view label, std::string_view value) {
  at = write_text(at, label);
  *at++ = '=';
  *at++ = '"';
  at = write_escaped(at, value, true);
  *at++ = '"';
  return at;
}

// The most `name{k="v",...} ` can take: every value byte escaped.
std::size_t sample_prefix_bound(const Sample &sample) {
  std::size_t bound = sample.name.size() + 3;  // "{", "}", " "
  for (const auto &[name, value] : sample.labels) bound += name.size() + 2 * value.size() + 4;
  return bound;
}

// name{k="v",...} value: labels sorted by name, as sorted(labels.items()) does (byte order of
// UTF-8 is code point order, Python's str order). Written piece by piece into room the caller
// made (sample_prefix_bound): a dump writes every sample, so no append checks per piece.
char *write_sample_prefix(char *at, const Sample &sample) {
  at = write_text(at, sample.name);
  if (!sample.labels.empty()) {
    const LabelPairs *labels = &sample.labels;
    LabelPairs sorted;
    if (!std::is_sorted(labels->begin(), labels->end())) {
      sorted = sample.labels;
      std::sort(sorted.begin(), sorted.end());
      labels = &sorted;
    }
    *at++ = '{';
    for (std::size_t i = 0; i < labels->size(); ++i) {
      if (i > 0) *at++ = ',';
      at = write_label_pair(at, (*labels)[i].first, (*labels)[i].second);
    }
    *at++ = '}';
  }
  *at++ = ' ';
  return at;
}

}  // namespace

void append_sample_prefix(std::string &out, const Sample &sample) {
  const std::size_t old = out.size();
  out.resize(old + sample_prefix_bound(sample));
  out.resize(static_cast<std::size_t>(write_sample_prefix(&out[old], sample) - out.data()));
}

void append_sample_value(std::string &out, double value) {
  append_float_to_go_string(out, value);
  out += '\n';
}

void append_family_header(std::string &out, const CollectedFamily &family, bool openmetrics) {
  append_family_header(out, family.name, family.help, family.type, openmetrics);
}

void append_family_header(std::string &out, std::string_view name, std::string_view help,
                          std::string_view type, bool openmetrics) {
  const auto add = [&out](std::string_view text) { out.append(text.data(), text.size()); };
  if (openmetrics) {
    // OpenMetrics names the family without "_total" (the samples keep it) and escapes '"' in
    // HELP too.
    add("# HELP "), add(name), add(" ");
    append_escaped(out, help, true);
    add("\n# TYPE "), add(name), add(" "), add(type), add("\n");
    return;
  }
  // Counters are exposed under their sample name, "<name>_total", as generate_latest does.
  const std::string_view total = type == "counter" ? "_total" : "";
  add("# HELP "), add(name), add(total), add(" ");
  append_escaped(out, help, false);
  add("\n# TYPE "), add(name), add(total), add(" "), add(type), add("\n");
}

namespace {

// Sized first (headers as they are, samples at their longest), then written into one buffer.
std::string format_exposition(const std::vector<CollectedFamily> &families, bool openmetrics) {
  std::vector<std::string> headers(families.size());
  std::size_t bound = openmetrics ? 6 : 0;  // "# EOF\n"
  for (std::size_t f = 0; f < families.size(); ++f) {
    append_family_header(headers[f], families[f], openmetrics);
    bound += headers[f].size();
    for (const Sample &sample : families[f].samples) {
      bound += sample_prefix_bound(sample) + kMaxGoFloatChars + 1;
    }
  }
  std::string out;
  out.resize(bound);
  char *at = &out[0];
  for (std::size_t f = 0; f < families.size(); ++f) {
    at = write_text(at, headers[f]);
    for (const Sample &sample : families[f].samples) {
      at = write_sample_prefix(at, sample);
      at = write_float_to_go_string(at, sample.value);
      *at++ = '\n';
    }
  }
  if (openmetrics) at = write_text(at, "# EOF\n");
  out.resize(static_cast<std::size_t>(at - out.data()));
  return out;
}

// The most sample `i` of `table` takes as a line: every label value byte escaped (twice the
// identity covers that, its separators the braces, quotes and '='), the longest value.
std::size_t table_line_bound(const SampleTable &table, std::size_t i) {
  return 2 * table.identity_size(i) + 4 + kMaxGoFloatChars + 1;
}

char *write_table_line(char *at, const SampleTable &table, std::size_t i) {
  if (!table.labels_sorted(i)) {
    // A key of another writer: sorted as generate_latest sorts them, through a Sample.
    at = write_sample_prefix(at, table.to_sample(i));
  } else {
    at = write_text(at, table.name(i));
    if (table.label_count(i) > 0) {
      char separator = '{';
      table.for_each_label(i, [&at, &separator](std::string_view label, std::string_view value) {
        *at++ = separator;
        separator = ',';
        at = write_label_pair(at, label, value);
      });
      *at++ = '}';
    }
    *at++ = ' ';
  }
  at = write_float_to_go_string(at, table.value(i));
  *at++ = '\n';
  return at;
}

// The longest line of streamed buckets can take: a bucket's (the longer name, every label
// value escaped, le's text at its longest) or a _count's.
std::size_t streamed_line_bound(const StreamedBuckets &buckets) {
  std::size_t longest = 0;
  for (const StreamedBuckets::Set &set : buckets.sets) {
    std::size_t labels = 0;
    for (const auto &[name, value] : *set.labels) labels += name.size() + 2 * value.size() + 4;
    longest = std::max(longest, labels);
  }
  const std::size_t name = std::max(buckets.bucket_name.size(), buckets.count_name.size());
  return name + longest + std::string_view(",le=\"\"").size() + kMaxGoFloatChars + 3 +
         kMaxGoFloatChars + 1;
}

// `label="value"` pairs [from, to) of `labels`, each after a comma but the first (after
// `first`), as write_table_line writes them.
void append_label_pairs(std::string &out, const LabelPairs &labels, std::size_t from,
                        std::size_t to, char first) {
  for (std::size_t k = from; k < to; ++k) {
    const auto &[label, value] = labels[k];
    const std::size_t old = out.size();
    out.resize(old + 1 + label.size() + 2 * value.size() + 3);  // every value byte escaped
    char *at = &out[old];
    *at++ = k == from ? first : ',';
    out.resize(static_cast<std::size_t>(write_label_pair(at, label, value) - out.data()));
  }
}

// The lines of a histogram's streamed buckets (exposition_lines.h), exactly as write_table_line
// would write the bucket and _count samples finish appends: per label set the text before and
// after its le made once, each bucket's line three copies and a value.
template <typename Room>
char *write_streamed_buckets(char *at, const StreamedBuckets &buckets, Room &&room) {
  std::string before, after, count;
  for (const StreamedBuckets::Set &set : buckets.sets) {
    const LabelPairs &labels = *set.labels;
    before.assign(buckets.bucket_name);
    append_label_pairs(before, labels, 0, set.le_at, '{');
    before += set.le_at == 0 ? "{le=\"" : ",le=\"";
    after.assign("\"");
    append_label_pairs(after, labels, set.le_at, labels.size(), ',');
    after += "} ";
    const std::vector<std::string> &texts = buckets.le_texts[set.texts];
    const double *cumulative = buckets.cumulative.data() + set.first;
    for (std::size_t b = 0; b < texts.size(); ++b) {
      at = room(at, before.size() + texts[b].size() + after.size() + kMaxGoFloatChars + 1);
      at = write_text(at, before);
      at = write_text(at, texts[b]);
      at = write_text(at, after);
      at = write_float_to_go_string(at, cumulative[b]);
      *at++ = '\n';
    }
    count.assign(buckets.count_name);
    if (!labels.empty()) {
      append_label_pairs(count, labels, 0, labels.size(), '{');
      count += '}';
    }
    count += ' ';
    at = room(at, count.size() + kMaxGoFloatChars + 1);
    at = write_text(at, count);
    at = write_float_to_go_string(at, texts.empty() ? 0.0 : cumulative[texts.size() - 1]);
    *at++ = '\n';
  }
  return at;
}

}  // namespace

void write_table_exposition(const std::vector<TableFamily> &families, bool openmetrics,
                            const ExpositionSink &sink) {
  // Lines are made in one buffer of 64 KiB (or the longest line) and handed on when the next
  // may not fit: the whole text never lies in memory at once (a dump's pages are not touched
  // for it), and no byte of the buffer is zero-filled first.
  std::size_t longest = 0;
  for (const TableFamily &family : families) {
    for (std::size_t i = 0; i < family.samples->size(); ++i) {
      longest = std::max(longest, table_line_bound(*family.samples, i));
    }
    if (family.buckets != nullptr) {
      longest = std::max(longest, streamed_line_bound(*family.buckets));
    }
  }
  const std::size_t capacity = std::max<std::size_t>(std::size_t{64} << 10, longest);
  const std::unique_ptr<char[]> buffer(new char[capacity]);
  char *const start = buffer.get();
  char *at = start;
  const auto flush = [&] {
    if (at != start) sink(std::string_view(start, static_cast<std::size_t>(at - start)));
    at = start;
  };
  // Room for `size` more bytes in the buffer; false when they would not fit even in an empty one.
  const auto room = [&](std::size_t size) {
    if (capacity - static_cast<std::size_t>(at - start) < size) flush();
    return size <= capacity;
  };
  std::string header;
  for (const TableFamily &family : families) {
    header.clear();
    append_family_header(header, family.name, family.help, family.type, openmetrics);
    if (room(header.size())) {
      at = write_text(at, header);
    } else {
      sink(header);  // a HELP text longer than the buffer
    }
    const SampleTable &samples = *family.samples;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      room(table_line_bound(samples, i));
      at = write_table_line(at, samples, i);
    }
    if (family.buckets != nullptr) {
      at = write_streamed_buckets(at, *family.buckets, [&](char *now, std::size_t size) {
        at = now;
        room(size);  // the buffer holds the longest line (streamed_line_bound)
        return at;
      });
    }
  }
  if (openmetrics && room(6)) at = write_text(at, "# EOF\n");
  flush();
}

std::string format_text_exposition(const std::vector<CollectedFamily> &families) {
  return format_exposition(families, false);
}

std::string format_openmetrics_exposition(const std::vector<CollectedFamily> &families) {
  return format_exposition(families, true);
}

}  // namespace npuprobe::store
