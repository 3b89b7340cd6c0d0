#include "npuprobe/config/config.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>

#include "checks.h"
#include "npuprobe/base/checked_file.h"
#include "npuprobe/config/loaders.h"

namespace npuprobe::config {

// ---------------------------------------------------------------------------------------------
// File layers.

namespace {

// A configuration file is read without blocking (a FIFO or a device there would hang aclInit
// and `npuprobe check`), only when it is a regular file, and at most kMaxConfigFileBytes. Links
// are followed: a Kubernetes ConfigMap mounts every file as a symbolic link.
constexpr std::size_t kMaxConfigFileBytes = std::size_t{16} << 20;

bool read_file(const std::string &path, std::string *out, std::string *error) {
  return base::read_regular_file(path, kMaxConfigFileBytes, out, error);
}

}  // namespace

LayerStatus apply_yaml_file(const std::string &path, Config &config,
                            std::vector<Diagnostic> &messages) {
  std::string text, error;
  if (!read_file(path, &text, &error)) {
    messages.push_back(Diagnostic{path, 0, "", "cannot read: " + error + "; file ignored"});
    return LayerStatus::kMalformed;
  }
  return apply_yaml_text(text, path, config, messages);
}

LayerStatus apply_service_profiler_json_file(const std::string &path, Config &config,
                                             std::vector<Diagnostic> &messages) {
  std::string text, error;
  if (!read_file(path, &text, &error)) {
    messages.push_back(Diagnostic{path, 0, "", "cannot read: " + error + "; file ignored"});
    return LayerStatus::kMalformed;
  }
  return apply_service_profiler_json_text(text, path, config, messages);
}

// ---------------------------------------------------------------------------------------------
// load_config / reload.

namespace {

LoadResult load(const Environment &environment, bool *malformed) {
  LoadResult result;
  result.config = defaults(environment);
  Config &config = result.config;
  *malformed = false;
  if (const std::string *path = environment.get("SERVICE_PROF_CONFIG_PATH")) {
    if (apply_service_profiler_json_file(*path, config, result.messages) ==
        LayerStatus::kMalformed) {
      *malformed = true;
    } else {
      config.sources.push_back("SERVICE_PROF_CONFIG_PATH=" + *path);
    }
  }
  if (const std::string *path = environment.get("NPUPROBE_CONFIG")) {
    if (apply_yaml_file(*path, config, result.messages) == LayerStatus::kMalformed) {
      *malformed = true;
    } else {
      config.sources.push_back("NPUPROBE_CONFIG=" + *path);
    }
  }
  apply_environment(environment, config, result.messages);
  return result;
}

}  // namespace

LoadResult load_config(const Environment &environment) {
  try {
    bool malformed = false;
    LoadResult result = load(environment, &malformed);
    result.config.generation = 1;
    return result;
  } catch (...) {
    // Only std::bad_alloc can get here; the loaders catch their own exceptions.
    LoadResult result;
    result.config.generation = 1;
    result.config.sources.push_back("defaults");
    result.messages.push_back(Diagnostic{"npuprobe", 0, "", "configuration could not be "
                                                            "loaded (out of memory); defaults"});
    return result;
  }
}

LoadResult reload(const Config &last_good, const Environment &environment) {
  try {
    bool malformed = false;
    LoadResult result = load(environment, &malformed);
    if (malformed) {
      result.config = last_good;
      result.kept_last_good = true;
      return result;
    }
    result.config.generation = last_good.generation + 1;
    return result;
  } catch (...) {
    LoadResult result;
    result.config = last_good;
    result.kept_last_good = true;
    result.messages.push_back(Diagnostic{"npuprobe", 0, "", "configuration could not be "
                                                            "reloaded (out of memory); kept the "
                                                            "last good one"});
    return result;
  }
}

}  // namespace npuprobe::config
