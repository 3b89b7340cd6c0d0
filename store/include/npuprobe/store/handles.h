// Small value types that stand for one resolved label set. Copy them freely; they stay valid
// for the registry's lifetime. A default-constructed handle is valid too: it records into a
// sink cell that is never published, so the hot path needs no "is it set?" test.
#pragma once

#include <cstdint>

#include "npuprobe/store/bucket_index.h"

namespace npuprobe::store {

struct FamilyId {
  std::uint32_t index = UINT32_MAX;
};

struct CounterHandle {
  std::uint32_t cell = 0;
};

struct GaugeHandle {
  std::uint32_t slot = 0;
};

struct HistogramHandle {
  // Cells: [bucket 0 .. bucket n-1, +Inf bucket, sum]; n = bound_count.
  std::uint32_t first_cell = 0;
  std::uint32_t bound_count = 0;
  const double *bounds = nullptr;
  const BucketIndex *index = nullptr;  // the family's (bucket_index.h)
};

}  // namespace npuprobe::store
