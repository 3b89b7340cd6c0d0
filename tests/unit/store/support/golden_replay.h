// Replays the golden ops.json (operations prometheus_client performed to make the golden
// files) through npuprobe's registry, one registry per recorded process.
#pragma once

#include <string>
#include <vector>

#include "json_value.h"
#include "npuprobe/store/registry.h"
#include "npuprobe/store/store_writer.h"

namespace npuprobe::store::testing {

struct GoldenProcess {
  int fake_pid;
  JsonValue ops;
};

std::string test_data_dir();  // tests/data/prometheus-multiproc
std::vector<GoldenProcess> load_golden_processes();

// Applies the ops of one process. Ops marked "min_version": "0.18" (mostrecent gauges) are
// skipped unless `v2_ops` is set, as the 0.16 golden run skipped them.
void replay_ops(const JsonValue &ops, MetricRegistry &registry, bool v2_ops);

// Replays every golden process into `dir` through a StoreWriter in `format`, each process's
// fake pid as its file tag, like the golden folder. Returns false with *error on a write failure.
bool write_golden_replay(const std::string &dir, StoreFormat format, std::string *error);

}  // namespace npuprobe::store::testing
