// npuprobe check [--dir D] [--config F] [--quiet]: the preflight of docs/contract.md. Run before a
// service starts (by people and by the smoke runner), with the environment the service will
// get; --dir and --config stand for the same options of `npuprobe run`. One line per finding,
// "ok|warn|FAIL  <what>: <detail>", then "npuprobe check: passed (N warnings)" (exit 0) or
// "npuprobe check: FAILED: <first failure>" (exit 1). The checks live in check_*.cc.
#include <string>
#include <vector>

#include "../command.h"
#include "../options.h"
#include "check_steps.h"

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

int run_check(const std::vector<std::string> &args) {
  const Options options(args, {"--dir", "--config"}, {"--quiet"});
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

  CheckReport report(options.flag("--quiet"));
  check_cann(report, inputs);
  check_preload(report, inputs);
  check_attribution(report, inputs);
  check_store(report, inputs);
  check_config(report, inputs, loaded.messages);
  check_control_segment(report);
  return report.finish();
}

}  // namespace

NPUPROBE_COMMAND(check, "check", "check [--dir D] [--config F] [--quiet]",
                 "preflight: CANN libraries, LD_PRELOAD, store folder, format, config, switch",
                 &run_check);

}  // namespace npuprobe::cli
