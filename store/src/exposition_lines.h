// The pieces of an exposition (text_exposition.cc), shared with the steady collection, which
// keeps each family's header and each sample's "name{labels} " and writes only the values anew.
#pragma once

#include <string>

#include "npuprobe/store/multiprocess_collector.h"

namespace npuprobe::store {

// "# HELP ..." and "# TYPE ..." lines of a family, text format or OpenMetrics.
void append_family_header(std::string &out, const CollectedFamily &family, bool openmetrics);
// `name{k="v",...} ` (with the space), the same in both formats.
void append_sample_prefix(std::string &out, const Sample &sample);
// The value as Go formats it, and the newline.
void append_sample_value(std::string &out, double value);

}  // namespace npuprobe::store
