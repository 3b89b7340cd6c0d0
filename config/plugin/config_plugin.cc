// libnpuprobe-config.so: the configuration loaders as a plugin. yaml-cpp ships no
// position-independent archive in Debian, so it cannot go into libnpuprobe.so (which must need
// nothing beyond glibc/libstdc++); the preload dlopen()s this plugin only when NPUPROBE_CONFIG or
// SERVICE_PROF_CONFIG_PATH names a file. Both sides are built from the same headers in one
// build, so the C++ types cross the boundary as they are.
#include "npuprobe/config/config.h"

// Loads this process's configuration into *out: a first load when `last_good` is null, else a
// reload that keeps `last_good` when a file is unreadable or malformed. Never throws.
extern "C" __attribute__((visibility("default"))) void npuprobe_config_load(
    const npuprobe::config::Config *last_good, npuprobe::config::LoadResult *out) {
  using namespace npuprobe::config;
  try {
    const Environment env = Environment::from_process();
    *out = last_good == nullptr ? load_config(env) : reload(*last_good, env);
  } catch (...) {
    out->messages.push_back(Diagnostic{"npuprobe-config", 0, "", "internal error while loading"});
  }
}
