// aclprof (acl_task_time = 1). The mock validates the lifecycle order the real library enforces
// and appends every call to <prof_dir>/npumock_aclprof_<pid>.log, so tests can check what a
// profiler driver did without msprof. aclFinalize ends profiling as the real one does (its
// MsprofFinalize): the log says so, and aclprofStop / aclprofFinalize afterwards are no-ops
// (docs/mock-sources.md, "aclprof"). aclprofInit refuses what the real one refuses: msprof's
// command-line profiling on (PROFILER_SAMPLECONFIG set), dynamic profiling (PROFILING_MODE=dynamic)
// and a second aclprofInit (torch_npu's profiler started aclprof first).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "ascendcl/runtime.h"

using namespace npumock;

struct aclprofConfig {
  std::string devices;
  int aicore_metrics;
  uint64_t data_types;
  bool started = false;
};

namespace {

std::mutex g_prof_mu;
std::string g_prof_dir;  // empty = not initialized
int g_started = 0;
HandleSet<aclprofConfig> &configs() {
  static auto *s = new HandleSet<aclprofConfig>;
  return *s;
}
std::unordered_set<aclprofConfig *> &running() {  // started and not stopped, under g_prof_mu
  static auto *s = new std::unordered_set<aclprofConfig *>;
  return *s;
}

void log_call(const std::string &line) {
  if (g_prof_dir.empty()) return;
  const std::string path = g_prof_dir + "/npumock_aclprof_" + std::to_string(getpid()) + ".log";
  if (FILE *f = fopen(path.c_str(), "a")) {
    fprintf(f, "%s\n", line.c_str());
    fclose(f);
  }
}

// aclFinalize -> MsprofFinalize -> ProfAclMgr::MsprofFinalizeHandle (RT src/dfx/msprof/...
// prof_acl_mgr.cpp): in aclprof's mode every device's profiling is cancelled, its data saved,
// and the mode set to off, as after aclprofFinalize.
void msprof_finalize() {
  std::lock_guard<std::mutex> lock(g_prof_mu);
  if (g_prof_dir.empty()) return;  // mode off: "Skip profiling finalize process"
  std::vector<std::string> stopped;
  for (aclprofConfig *cfg : running()) {
    cfg->started = false;
    stopped.push_back(cfg->devices);
  }
  running().clear();
  std::sort(stopped.begin(), stopped.end());
  std::string devices;
  for (const std::string &d : stopped) devices += (devices.empty() ? "" : ",") + d;
  g_started = 0;
  log_call("aclFinalize ended profiling" + (devices.empty() ? "" : " devices=" + devices));
  g_prof_dir.clear();
}

[[maybe_unused]] const bool g_registered = [] {
  set_msprof_finalize(&msprof_finalize);
  return true;
}();

// msprof's command line starts the application with PROFILER_SAMPLECONFIG set, and the runtime
// then profiles in its command-line mode, where the aclprof API is refused (RT
// src/dfx/msprof/collector/dvvp/profimpl/adapter/src/msprofiler_impl.cpp CheckMsprofBin;
// prof_acl_mgr.cpp MsprofInitAclEnv -> CheckWhitelistAndBuildConfig -> SetModeToCmd). Read
// once, as the runtime reads it once at start.
bool msprof_command_line() {
  static const bool on = [] {
    const char *v = getenv("PROFILER_SAMPLECONFIG");
    return v != nullptr && v[0] != '\0';
  }();
  return on;
}

// RT src/dfx/msprof/collector/dvvp/msprofiler/prof_acl_api.cpp aclprofInit: PROFILING_MODE equal
// to "dynamic" (DYNAMIC_PROFILING_VALUE, common/config/config.h) refuses the API.
bool dynamic_profiling() {
  const char *v = getenv("PROFILING_MODE");
  return v != nullptr && strcmp(v, "dynamic") == 0;
}

bool make_dirs(const std::string &path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos == path.size() || path[pos] == '/') {
      const std::string part = path.substr(0, pos);
      if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
  }
  return true;
}

}  // namespace

extern "C" {

aclError aclprofInit(const char *profilerResultPath, size_t length) {
  NPUMOCK_ENTER("aclprofInit");
  if (dynamic_profiling()) return ACL_ERROR_FEATURE_UNSUPPORTED;  // before anything else
  if (profilerResultPath == nullptr || length == 0 || length > 4095) return ACL_ERROR_INVALID_PARAM;
  std::lock_guard<std::mutex> lock(g_prof_mu);
  // ProfAclMgr::ProfInitPrecheck (RT prof_acl_mgr.cpp): command-line mode -> PROF_ALREADY_RUN;
  // already initialized through the API -> REPEAT_INITIALIZE.
  if (msprof_command_line()) return ACL_ERROR_PROF_ALREADY_RUN;
  if (!g_prof_dir.empty()) return ACL_ERROR_REPEAT_INITIALIZE;
  const std::string dir(profilerResultPath, strnlen(profilerResultPath, length));
  if (!make_dirs(dir)) return ACL_ERROR_INVALID_PARAM;
  g_prof_dir = dir;
  log_call("aclprofInit dir=" + dir);
  return ACL_SUCCESS;
}

aclprofConfig *aclprofCreateConfig(uint32_t *deviceIdList, uint32_t deviceNums, int aicoreMetrics,
                                   const void *aicoreEvents, uint64_t dataTypeConfig) {
  NPUMOCK_API_CALL("aclprofCreateConfig");
  (void)aicoreEvents;
  if (npumock_call_.injected() != 0 || deviceIdList == nullptr || deviceNums == 0) return nullptr;
  std::lock_guard<std::mutex> lock(g_prof_mu);
  auto *cfg = new aclprofConfig;
  for (uint32_t i = 0; i < deviceNums; ++i) {
    cfg->devices += (i ? "," : "") + std::to_string(deviceIdList[i]);
  }
  cfg->aicore_metrics = aicoreMetrics;
  cfg->data_types = dataTypeConfig;
  char types[32];
  snprintf(types, sizeof types, "0x%llx", static_cast<unsigned long long>(dataTypeConfig));
  log_call("aclprofCreateConfig devices=" + cfg->devices +
           " aicore_metrics=" + std::to_string(aicoreMetrics) + " data_types=" + types);
  return configs().add(cfg);
}

aclError aclprofStart(const aclprofConfig *profilerConfig) {
  NPUMOCK_ENTER("aclprofStart");
  std::lock_guard<std::mutex> lock(g_prof_mu);
  // ProfAclMgr::ProfStartPrecheck (RT prof_acl_mgr.cpp, as in CANN releases before RT commit
  // 18799fa34, which makes aclprofStart initialize aclprof itself): command-line mode ->
  // PROF_ALREADY_RUN; not initialized (never, or ended by aclprofFinalize or aclFinalize) ->
  // PROF_NOT_RUN.
  if (msprof_command_line()) return ACL_ERROR_PROF_ALREADY_RUN;
  if (g_prof_dir.empty()) return ACL_ERROR_PROF_NOT_RUN;
  if (!configs().contains(profilerConfig)) return ACL_ERROR_INVALID_PARAM;
  auto *cfg = const_cast<aclprofConfig *>(profilerConfig);
  if (cfg->started) return ACL_ERROR_PROF_ALREADY_RUN;
  cfg->started = true;
  running().insert(cfg);
  ++g_started;
  log_call("aclprofStart devices=" + cfg->devices);
  return ACL_SUCCESS;
}

aclError aclprofStop(const aclprofConfig *profilerConfig) {
  NPUMOCK_ENTER("aclprofStop");
  std::lock_guard<std::mutex> lock(g_prof_mu);
  // ProfStop (RT msprofiler_acl_api.cpp): not initialized (after aclprofFinalize or
  // aclFinalize) -> a no-op that succeeds, before the config is looked at.
  if (g_prof_dir.empty()) return ACL_SUCCESS;
  if (!configs().contains(profilerConfig)) return ACL_ERROR_INVALID_PARAM;
  auto *cfg = const_cast<aclprofConfig *>(profilerConfig);
  if (!cfg->started) return ACL_ERROR_PROF_NOT_RUN;
  cfg->started = false;
  running().erase(cfg);
  --g_started;
  log_call("aclprofStop devices=" + cfg->devices);
  return ACL_SUCCESS;
}

aclError aclprofDestroyConfig(const aclprofConfig *profilerConfig) {
  NPUMOCK_ENTER("aclprofDestroyConfig");
  std::lock_guard<std::mutex> lock(g_prof_mu);
  if (!configs().contains(profilerConfig)) return ACL_ERROR_INVALID_PARAM;
  if (profilerConfig->started) return ACL_ERROR_PROF_ALREADY_RUN;  // stop first
  configs().remove(profilerConfig);
  log_call("aclprofDestroyConfig devices=" + profilerConfig->devices);
  delete profilerConfig;
  return ACL_SUCCESS;
}

aclError aclprofFinalize(void) {
  NPUMOCK_ENTER("aclprofFinalize");
  std::lock_guard<std::mutex> lock(g_prof_mu);
  // ProfFinalize (RT msprofiler_acl_api.cpp): not initialized -> a no-op that succeeds.
  if (g_prof_dir.empty()) return ACL_SUCCESS;
  if (g_started > 0) return ACL_ERROR_PROF_ALREADY_RUN;  // every config must be stopped
  log_call("aclprofFinalize");
  g_prof_dir.clear();
  return ACL_SUCCESS;
}

}  // extern "C"
