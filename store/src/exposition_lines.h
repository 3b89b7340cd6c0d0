// The pieces of an exposition (text_exposition.cc), shared with the steady collection, which
// keeps each family's header and each sample's "name{labels} " and writes only the values anew.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/text_exposition.h"

namespace npuprobe::store {

// "# HELP ..." and "# TYPE ..." lines of a family, text format or OpenMetrics.
void append_family_header(std::string &out, const CollectedFamily &family, bool openmetrics);
void append_family_header(std::string &out, std::string_view name, std::string_view help,
                          std::string_view type, bool openmetrics);
// `name{k="v",...} ` (with the space), the same in both formats.
void append_sample_prefix(std::string &out, const Sample &sample);
// The value as Go formats it, and the newline.
void append_sample_value(std::string &out, double value);

class SampleTable;

// A histogram family's buckets left in their label sets: what its table would otherwise end
// with (per label set, its buckets by rising bound with cumulative counts, then its _count),
// written by the exposition after the table's samples, so that a dump makes no sample, and
// copies no label set, per bucket.
struct StreamedBuckets {
  struct Set {
    const LabelPairs *labels;  // sorted, without le
    std::uint32_t le_at;       // how many of them come before le
    std::uint32_t texts;       // the set's bounds, formatted: le_texts[texts]
    std::uint32_t first;       // its cumulative counts: cumulative[first, first + its buckets)
  };
  std::string bucket_name, count_name;
  std::vector<Set> sets;
  std::vector<std::vector<std::string>> le_texts;  // one list per run of sets with the same bounds
  std::vector<double> cumulative;
};

// A family whose samples are still in their table (sample_table.h): what a dump formats.
struct TableFamily {
  std::string_view name, help, type;
  const SampleTable *samples;
  const StreamedBuckets *buckets = nullptr;  // a histogram's, written after `samples`
};

// The exposition of `families`, as format_text_exposition / format_openmetrics_exposition write
// the same families as CollectedFamily, handed to `sink` in pieces.
void write_table_exposition(const std::vector<TableFamily> &families, bool openmetrics,
                            const ExpositionSink &sink);

}  // namespace npuprobe::store
