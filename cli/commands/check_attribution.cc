// `npuprobe check`: what attribution opens in the service when it is on (attribution.enabled,
// the default): libunwind for the stack walk, else attribution is off; the symbolizer plugin
// (and its libdw) next to libnpuprobe.so, else sites are named without source lines.
#include <dlfcn.h>

#include <string>

#include "../options.h"
#include "check_steps.h"
#include "npuprobe/attribution/attributor.h"
#include "npuprobe/attribution/symbolizer_plugin.h"

namespace npuprobe::cli {
namespace {

// As preload/collectors/attribution_loader.cc looks for it.
bool libunwind_loads() {
  for (const char *name : attribution::kUnwinderLibraries) {
    void *handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) continue;
    const bool found = dlsym(handle, "unw_backtrace") != nullptr;
    dlclose(handle);
    if (found) return true;
  }
  return false;
}

}  // namespace

void check_attribution(CheckReport &report, const CheckInputs &inputs) {
  const config::AttributionConfig &a = inputs.config.attribution;
  if (!a.enabled) {
    report.ok("attribution", "off (attribution.enabled false or NPUPROBE_ATTRIBUTION=0)");
    return;
  }
  if (!libunwind_loads()) {
    report.warn("attribution", "libunwind.so.8 (with unw_backtrace) cannot be loaded: the "
                               "service would run with attribution off; install libunwind8");
    return;
  }
  const std::string own = own_preload_path();
  const std::string plugin =
      own.substr(0, own.rfind('/') + 1) + attribution::kSymbolizerPluginFile;
  void *handle = dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char *why = dlerror();
    report.warn("attribution", plugin + " cannot be loaded (" + (why ? why : "unknown") +
                                   "): sites would be named without source lines");
    return;
  }
  dlclose(handle);
  report.ok("attribution", "libunwind and " + plugin + " load; launches from " +
                               std::to_string(a.slow_launch_us) + " us and up to " +
                               std::to_string(a.sync_captures_per_s) +
                               " waits a second get their call site");
}

}  // namespace npuprobe::cli
