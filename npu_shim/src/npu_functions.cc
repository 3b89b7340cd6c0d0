#include "npuprobe/npu_shim/npu_functions.h"

#include <utility>

#include "npuprobe/base/log.h"

namespace npuprobe::npu_shim {
namespace {

// `where`: what a user should check, e.g. "an older CANN?".
void say_unavailable(const char *feature, const std::string &missing, const char *where) {
  base::log_message(base::LogLevel::kWarn, "%s is off: no %s in this process (%s)", feature,
                     missing.c_str(), where);
}

}  // namespace

NpuFunctions::NpuFunctions(SymbolLookup lookup) : lookup_(std::move(lookup)) {}

template <typename Fn>
bool NpuFunctions::resolve(const char *name, Fn *slot, std::string *missing) {
  *slot = reinterpret_cast<Fn>(lookup_(name));
  if (*slot != nullptr) return true;
  if (missing->empty()) *missing = name;
  return false;
}

const MemoryFunctions *NpuFunctions::memory() {
  std::call_once(memory_.once, [this] {
    std::string missing;
    MemoryFunctions &t = memory_.table;
    bool ok = resolve("aclrtSetDevice", &t.set_device, &missing);
    ok = resolve("aclrtGetMemInfo", &t.get_mem_info, &missing) && ok;
    memory_.available = ok;
    if (!ok) say_unavailable("device memory sampling", missing, "an older CANN?");
  });
  return memory_.available ? &memory_.table : nullptr;
}

const AclprofFunctions *NpuFunctions::aclprof() {
  std::call_once(aclprof_.once, [this] {
    std::string missing;
    AclprofFunctions &t = aclprof_.table;
    bool ok = resolve("aclprofInit", &t.init, &missing);
    ok = resolve("aclprofCreateConfig", &t.create_config, &missing) && ok;
    ok = resolve("aclprofStart", &t.start, &missing) && ok;
    ok = resolve("aclprofStop", &t.stop, &missing) && ok;
    ok = resolve("aclprofDestroyConfig", &t.destroy_config, &missing) && ok;
    ok = resolve("aclprofFinalize", &t.finalize, &missing) && ok;
    aclprof_.available = ok;
    if (!ok) say_unavailable("task time mode 1 (aclprof)", missing, "an older CANN?");
  });
  return aclprof_.available ? &aclprof_.table : nullptr;
}

const MsptiFunctions *NpuFunctions::mspti() {
  std::call_once(mspti_.once, [this] {
    std::string missing;
    MsptiFunctions &t = mspti_.table;
    bool ok = resolve("msptiSubscribe", &t.subscribe, &missing);
    ok = resolve("msptiUnsubscribe", &t.unsubscribe, &missing) && ok;
    ok = resolve("msptiActivityEnable", &t.enable, &missing) && ok;
    ok = resolve("msptiActivityDisable", &t.disable, &missing) && ok;
    ok = resolve("msptiActivityRegisterCallbacks", &t.register_callbacks, &missing) && ok;
    ok = resolve("msptiActivityFlushAll", &t.flush_all, &missing) && ok;
    ok = resolve("msptiActivityGetNextRecord", &t.get_next_record, &missing) && ok;
    mspti_.available = ok;
    if (!ok) say_unavailable("task time mode 2 (MSPTI)", missing,
                                "libmspti.so is not loaded: it must be in LD_PRELOAD, after "
                                "libnpuprobe.so");
  });
  return mspti_.available ? &mspti_.table : nullptr;
}

}  // namespace npuprobe::npu_shim
