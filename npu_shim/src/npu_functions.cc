#include "npuprobe/npu_shim/npu_functions.h"

#include <type_traits>
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

NpuFunctions::NpuFunctions(SymbolLookup lookup, SymbolLookup mspti_lookup)
    : lookup_(std::move(lookup)), mspti_lookup_(std::move(mspti_lookup)) {
  if (!mspti_lookup_) mspti_lookup_ = lookup_;
}

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

// No lock is held while looking: the lookup may wait for the loader's lock, which a thread
// inside dlopen holds while a library constructor of it may call into the runtime (and so into
// npuprobe). Two threads looking at once find the same functions; the first to publish wins.
const MsptiFunctions *NpuFunctions::mspti() {
  if (const MsptiFunctions *found = mspti_published_.load(std::memory_order_acquire)) return found;
  MsptiFunctions t{};
  const char *missing = nullptr;
  auto find = [&](const char *name, auto *slot) {
    *slot = reinterpret_cast<std::remove_pointer_t<decltype(slot)>>(mspti_lookup_(name));
    if (*slot == nullptr && missing == nullptr) missing = name;
  };
  find("msptiSubscribe", &t.subscribe);
  find("msptiUnsubscribe", &t.unsubscribe);
  find("msptiActivityEnable", &t.enable);
  find("msptiActivityDisable", &t.disable);
  find("msptiActivityRegisterCallbacks", &t.register_callbacks);
  find("msptiActivityFlushAll", &t.flush_all);
  find("msptiActivityGetNextRecord", &t.get_next_record);
  if (missing == nullptr) {
    std::lock_guard<std::mutex> lock(mspti_mutex_);  // a leaf: nothing is called under it
    if (mspti_published_.load(std::memory_order_relaxed) == nullptr) {
      mspti_table_ = t;
      mspti_published_.store(&mspti_table_, std::memory_order_release);
      if (mspti_missing_said_.load(std::memory_order_relaxed)) {
        base::log_message(base::LogLevel::kInfo, "task time mode 2 (MSPTI): libmspti.so found");
      }
    }
    return mspti_published_.load(std::memory_order_acquire);
  }
  if (!mspti_missing_said_.exchange(true)) {
    base::log_message(base::LogLevel::kWarn,
                      "task time mode 2 (MSPTI) waits: no %s in this process yet (libmspti.so is "
                      "not loaded: put it in LD_PRELOAD, or have the application dlopen it; "
                      "looked for again at every flush)",
                      missing);
  }
  return nullptr;
}

}  // namespace npuprobe::npu_shim
