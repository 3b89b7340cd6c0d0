// `npuprobe check`: the CANN libraries, loaded the way the service's process will find them
// (dlopen by name: LD_LIBRARY_PATH, RUNPATH, ld.so.cache), and the entry points npuprobe wraps.
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>

#include <iterator>
#include <string>
#include <vector>

#include "check_steps.h"
// The wrapped names come from the preload's own X-macro list (its public header, the
// npuprobe_hook_list target), so a hook added there is checked here without a second list.
#include "npuprobe/preload/hook_list.h"

namespace npuprobe::cli {
namespace {

// Without these npuprobe measures nothing useful (device binding, steps, launches, waits and
// memory accounting all hang on them): a runtime lacking one is not the ACL npuprobe knows.
const char *const kRequired[] = {"aclInit",           "aclrtSetDevice", "aclrtSynchronizeStream",
                                 "aclrtLaunchKernel", "aclrtMalloc",    "aclrtFree",
                                 "aclrtRecordEvent"};

// rt* entry points live below ACL, in libruntime.so.
bool is_runtime_layer(const char *name) {
  return name[0] == 'r' && name[1] == 't';
}

std::vector<std::string> runtime_layer_symbols() {
  std::vector<std::string> names;
#define NPUPROBE_CHECK_RT_HOOK(name) \
  if (is_runtime_layer(#name)) names.emplace_back(#name);
  NPUPROBE_ACL_HOOKS(NPUPROBE_CHECK_RT_HOOK)
#undef NPUPROBE_CHECK_RT_HOOK
  return names;
}

// Hccl* entry points live in libhccl.so (collectives).
bool is_hccl(const char *name) {
  return name[0] == 'H' && name[1] == 'c' && name[2] == 'c' && name[3] == 'l';
}

std::vector<std::string> hccl_symbols() {
  std::vector<std::string> names;
#define NPUPROBE_CHECK_HCCL_HOOK(name) \
  if (is_hccl(#name)) names.emplace_back(#name);
  NPUPROBE_ACL_HOOKS(NPUPROBE_CHECK_HCCL_HOOK)
#undef NPUPROBE_CHECK_HCCL_HOOK
  return names;
}

// Everything else npuprobe wraps, plus what it calls itself (memory sampling, aclprof task
// time): older CANN releases lack some (the V2 launches, graph capture), which only means those
// calls are not seen.
std::vector<std::string> optional_symbols() {
  std::vector<std::string> names;
  auto add_hook = [&names](const char *name) {
    if (is_runtime_layer(name)) return;  // in libruntime.so, checked on their own
    if (is_hccl(name)) return;           // in libhccl.so, checked on their own
    for (const char *required : kRequired) {
      if (std::string(required) == name) return;
    }
    names.emplace_back(name);
  };
#define NPUPROBE_CHECK_HOOK(name) add_hook(#name);
  NPUPROBE_ACL_HOOKS(NPUPROBE_CHECK_HOOK)
#undef NPUPROBE_CHECK_HOOK
  names.emplace_back("aclrtGetMemInfo");
  names.emplace_back("aclprofInit");
  return names;
}

std::string joined(const std::vector<std::string> &names) {
  std::string text;
  for (const std::string &name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// dlopen by name with RTLD_LOCAL (nothing it defines joins this process's global scope); the
// handle is kept: unloading a runtime that may have started threads is not worth the risk.
void *open_library(const char *name, std::string *where) {
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    // dlerror() names the file that failed: `name` itself, or one of its dependencies.
    const char *error = dlerror();
    *where = error != nullptr ? error : "unknown dlopen error";
    if (where->rfind(std::string(name) + ": ", 0) != 0) *where = std::string(name) + ": " + *where;
    return nullptr;
  }
  link_map *map = nullptr;
  *where = name;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name[0] != '\0') {
    char resolved[PATH_MAX];  // a relative LD_LIBRARY_PATH gives a relative l_name
    *where = realpath(map->l_name, resolved) != nullptr ? resolved : map->l_name;
  }
  return handle;
}

}  // namespace

void check_cann(CheckReport &report, const CheckInputs &inputs) {
  std::string where;
  void *acl = open_library("libascendcl.so", &where);
  if (acl == nullptr) {
    report.fail("CANN runtime", "cannot load " + where +
                                    "; put CANN's lib64 on LD_LIBRARY_PATH (source the toolkit's "
                                    "set_env.sh)");
  } else {
    report.ok("CANN runtime", where);
    std::vector<std::string> missing_required, missing_optional;
    for (const char *name : kRequired) {
      if (dlsym(acl, name) == nullptr) missing_required.emplace_back(name);
    }
    const std::vector<std::string> optional = optional_symbols();
    for (const std::string &name : optional) {
      if (dlsym(acl, name.c_str()) == nullptr) missing_optional.push_back(name);
    }
    if (!missing_required.empty()) {
      report.fail("CANN symbols", where + " lacks " + joined(missing_required));
    } else if (!missing_optional.empty()) {
      report.warn("CANN symbols", where + " lacks " + joined(missing_optional) +
                                      " (optional: what uses them goes unmeasured)");
    } else {
      report.ok("CANN symbols", "all " + std::to_string(std::size(kRequired) + optional.size()) +
                                    " entry points found");
    }
  }

  // Launches below ACL (ATB's lcal kernels, AI-CPU and MC2 operators): libruntime.so.
  if (void *runtime = open_library("libruntime.so", &where)) {
    std::vector<std::string> missing;
    for (const std::string &name : runtime_layer_symbols()) {
      if (dlsym(runtime, name.c_str()) == nullptr) missing.push_back(name);
    }
    if (missing.empty()) {
      report.ok("launches below ACL", where);
    } else {
      report.warn("launches below ACL", where + " lacks " + joined(missing) +
                                            " (launches made through them go unseen)");
    }
  } else {
    report.warn("launches below ACL", "cannot load " + where +
                                          ": launches made below ACL (ATB, AI-CPU) go unseen");
  }

  // Collectives (HCCL): a single-device service needs no libhccl.so at all.
  if (void *hccl = open_library("libhccl.so", &where)) {
    std::vector<std::string> missing;
    for (const std::string &name : hccl_symbols()) {
      if (dlsym(hccl, name.c_str()) == nullptr) missing.push_back(name);
    }
    if (missing.empty()) {
      report.ok("collectives", where);
    } else {
      report.warn("collectives", where + " lacks " + joined(missing) +
                                     " (collectives made through them go unseen)");
    }
  } else {
    report.ok("collectives", "libhccl.so not found (only multi-device services need it)");
  }

  if (open_library("libopapi.so", &where) != nullptr) {
    report.ok("aclnn operators", where);
  } else {
    report.warn("aclnn operators", "cannot load " + where + ": aclnn ops will not be seen");
  }

  const bool wanted = inputs.config.task_time.mode == config::TaskTimeMode::kMspti;
  if (open_library("libmspti.so", &where) != nullptr) {
    report.ok("MSPTI", where);
  } else if (wanted) {
    report.warn("MSPTI", "cannot load " + where + ", but task_time.mode is 2 (MSPTI)");
  } else {
    report.ok("MSPTI", "libmspti.so not found (only task_time.mode 2, MSPTI, needs it)");
  }
}

}  // namespace npuprobe::cli
