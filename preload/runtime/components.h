// Which parts the runtime registers, and in what order: the one place that says it
// (register_components). runtime.cc creates the parts (in the order their constructors need),
// hands them over here, and from then on only walks the list.
#pragma once

#include "component_list.h"

namespace npuprobe {
namespace store {
class MetricRegistry;
class Publisher;
}  // namespace store
namespace probes {
class Probes;
}
namespace attribution {
class Attributor;
}
}  // namespace npuprobe

namespace npuprobe::preload {

class AclprofSession;
class EmbeddedExposer;
class MemorySampler;
class MsptiSession;
class ProcessIdentity;
class SelfMetrics;
class StatusEntry;

// What runtime.cc started. Null: not started (feature off); registered only when present.
struct RuntimeParts {
  store::MetricRegistry *registry = nullptr;
  store::Publisher *publisher = nullptr;
  probes::Probes *probes = nullptr;
  SelfMetrics *self = nullptr;
  StatusEntry *status = nullptr;
  ProcessIdentity *identity = nullptr;
  attribution::Attributor *attributor = nullptr;  // attribution.enabled and libunwind found
  EmbeddedExposer *exposer = nullptr;             // embedded default, listen not off
  MemorySampler *memory_sampler = nullptr;        // memory.sample_hz > 0
  AclprofSession *aclprof = nullptr;              // task_time.mode 1
  MsptiSession *mspti = nullptr;                  // task_time.mode 2
};

// Cold, once, at start (exceptions: allocation). Registry, publisher, probes, self, status and
// identity must be set.
void register_components(ComponentList &list, const RuntimeParts &parts);

}  // namespace npuprobe::preload
