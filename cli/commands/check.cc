// npuprobe check [--dir D] [--config F] [--quiet]: the preflight of docs/contract.md. Run before a
// service starts (by people and by the smoke runner), with the environment the service will
// get; --dir and --config stand for the same options of `npuprobe run`. One line per finding,
// "ok|warn|FAIL  <what>: <detail>", then "npuprobe check: passed (N warnings)" (exit 0) or
// "npuprobe check: FAILED: <first failure>" (exit 1). The checks live in check_*.cc.
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../command.h"
#include "../options.h"
#include "check_steps.h"
#include "npuprobe/config/keys.h"

namespace npuprobe::cli {
namespace {

// Every configuration message is a failure: the loader keeps going on defaults, so a typo would
// otherwise only show as a service quietly running without the intended settings.
void check_config(CheckReport &report, const CheckInputs &inputs,
                  const std::vector<config::Diagnostic> &messages) {
  bool any = false;
  for (const config::Diagnostic &d : messages) {
    if (d.file == "environment" && d.key == "NPUPROBE_STORE_FORMAT") continue;  // "format" says it
    any = true;
    if (d.file == "environment") {
      report.fail("environment", d.key + ": " + d.text);
    } else {
      report.fail("config", d.to_string());
    }
  }
  if (!inputs.config.enabled) {
    report.warn("config",
                "collection disabled (NPUPROBE_DISABLE or enabled: false): every "
                "call is forwarded untouched");
  }
  if (any) return;
  std::string sources;
  for (const std::string &source : inputs.config.sources)
    sources += (sources.empty() ? "" : ", ") + source;
  report.ok("config",
            inputs.config_file_named
                ? sources
                : "no file (NPUPROBE_CONFIG, SERVICE_PROF_CONFIG_PATH unset): " + sources);
}

// Edit distance, for near misses of variable names (short strings only).
std::size_t distance(const std::string &a, const std::string &b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// A variable one or two letters away from one npuprobe reads (the key table's, the file
// selectors) is most likely a typo that leaves the service without the intended setting.
void check_variable_names(CheckReport &report) {
  const std::vector<std::string> known = config::environment_variable_names();
  for (char **entry = environ; *entry != nullptr; ++entry) {
    const std::string item = *entry;
    const std::string name = item.substr(0, item.find('='));
    if (name.size() > 64 || std::find(known.begin(), known.end(), name) != known.end()) continue;
    for (const std::string &k : known) {
      if (distance(name, k) <= 2) {
        report.warn("environment", name + " is not a variable npuprobe reads; did you mean " +
                                       k + "?");
        break;
      }
    }
  }
}

int run_check(const std::vector<std::string> &args) {
  const Options options(args, {"--dir", "--config"}, {"--quiet", "--json"});
  if (!options.ok()) return usage_error("check", options.error());

  CheckInputs inputs;
  inputs.environment = config::Environment::from_process();
  if (auto dir = options.value("--dir")) {
    inputs.environment.vars["PROMETHEUS_MULTIPROC_DIR"] = *dir;
    inputs.dir_from_option = !dir->empty();
  }
  if (auto file = options.value("--config")) inputs.environment.vars["NPUPROBE_CONFIG"] = *file;
  inputs.config_file_named = inputs.environment.get("NPUPROBE_CONFIG") != nullptr ||
                             inputs.environment.get("SERVICE_PROF_CONFIG_PATH") != nullptr;
  config::LoadResult loaded = config::load_config(inputs.environment);
  inputs.config = loaded.config;

  CheckReport report(options.flag("--quiet"), options.flag("--json"));
  check_cann(report, inputs);
  check_preload(report, inputs);
  check_task_time(report, inputs);
  check_attribution(report, inputs);
  check_store(report, inputs);
  check_config(report, inputs, loaded.messages);
  check_variable_names(report);
  check_control_segment(report);
  return report.finish();
}

}  // namespace

NPUPROBE_COMMAND(check, "check", "check [--dir D] [--config F] [--quiet] [--json]",
                 "preflight: CANN libraries, LD_PRELOAD, store folder, format, config, switch",
                 &run_check);

}  // namespace npuprobe::cli
