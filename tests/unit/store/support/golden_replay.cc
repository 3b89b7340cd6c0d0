#include "golden_replay.h"

#include <map>

namespace npuprobe::store::testing {
namespace {

std::vector<std::string> label_names_of(const JsonValue &labels) {
  std::vector<std::string> names;
  for (const auto &[name, value] : labels.object) names.push_back(name);
  return names;
}

std::vector<std::string> label_values_of(const JsonValue &labels) {
  std::vector<std::string> values;
  for (const auto &[name, value] : labels.object) values.push_back(value.string);
  return values;
}

}  // namespace

std::string test_data_dir() {
  return NPUPROBE_TEST_DATA_DIR "/prometheus-multiproc";
}

std::vector<GoldenProcess> load_golden_processes() {
  const JsonValue root = parse_json(read_text_file(test_data_dir() + "/ops.json"));
  std::vector<GoldenProcess> processes;
  for (const JsonValue &process : root["processes"].array) {
    processes.push_back({static_cast<int>(process["fake_pid"].number), process["ops"]});
  }
  return processes;
}

void replay_ops(const JsonValue &ops, MetricRegistry &registry, bool v2_ops) {
  std::map<std::string, FamilyId> families;
  for (const JsonValue &op : ops.array) {
    if (op.has("min_version") && !v2_ops) continue;
    const std::string kind = op["op"].string;
    const std::string name = op["name"].string;
    FamilySpec spec;
    spec.name = name;
    spec.help = op["help"].string;
    spec.label_names = label_names_of(op["labels"]);
    if (kind == "counter_inc") {
      spec.type = MetricType::kCounter;
    } else if (kind == "histogram_observe") {
      spec.type = MetricType::kHistogram;
      for (const JsonValue &bound : op["buckets"].array) spec.bucket_bounds.push_back(bound.number);
    } else {
      spec.type = MetricType::kGauge;
      spec.gauge_mode = *parse_gauge_mode(op["mode"].string);
    }
    auto found = families.find(name);
    if (found == families.end()) found = families.emplace(name, registry.add_family(spec)).first;
    const std::vector<std::string> values = label_values_of(op["labels"]);
    if (kind == "counter_inc") {
      registry.add(registry.counter(found->second, values), op["value"].number);
    } else if (kind == "histogram_observe") {
      const HistogramHandle histogram = registry.histogram(found->second, values);
      for (const JsonValue &value : op["values"].array) registry.observe(histogram, value.number);
    } else {
      registry.set(registry.gauge(found->second, values), op["value"].number);
    }
  }
}

bool write_golden_replay(const std::string &dir, StoreFormat format, std::string *error) {
  for (const auto &process : load_golden_processes()) {
    MetricRegistry registry;
    replay_ops(process.ops, registry, format == StoreFormat::kV2);
    StoreWriter writer({dir,
                        format == StoreFormat::kV1 ? FormatPreference::kV1 : FormatPreference::kV2,
                        std::to_string(process.fake_pid), {}});
    RegistrySnapshot snapshot;
    registry.collect(snapshot);
    if (!writer.write(snapshot, error)) return false;
  }
  return true;
}

}  // namespace npuprobe::store::testing
