// Turns a FamilySpec into the registry's FamilyInfo, or explains why it cannot be registered.
#pragma once

#include "npuprobe/store/family.h"

namespace npuprobe::store {

// Throws MetricSpecError naming the family and the problem.
FamilyInfo validate_family_spec(const FamilySpec &spec);

}  // namespace npuprobe::store
