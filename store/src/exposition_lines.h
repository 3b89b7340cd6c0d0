// The pieces of an exposition (text_exposition.cc), shared with the steady collection, which
// keeps each family's header and each sample's "name{labels} " and writes only the values anew.
#pragma once

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

// A family whose samples are still in their table (sample_table.h): what a dump formats.
struct TableFamily {
  std::string_view name, help, type;
  const SampleTable *samples;
};

// The exposition of `families`, as format_text_exposition / format_openmetrics_exposition write
// the same families as CollectedFamily, handed to `sink` in pieces.
void write_table_exposition(const std::vector<TableFamily> &families, bool openmetrics,
                            const ExpositionSink &sink);

}  // namespace npuprobe::store
