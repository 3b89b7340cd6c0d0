// Counts left in a counter/histogram file by an earlier process that had the same pid.
#pragma once

#include <map>
#include <string>

namespace npuprobe::store {

// Reads `path` (either format) into key -> value. Returns false when there is no such file or
// it cannot be used (corrupt: logged, it will simply be replaced).
bool read_earlier_counts(const std::string &path, std::map<std::string, double> &counts);

}  // namespace npuprobe::store
