// The NPU as npuprobe itself calls it (memory info, device binding, aclprof, MSPTI), behind one
// small interface. Functions are found lazily, by name, through a lookup the caller supplies: the
// preload looks up the definitions after itself in the process (never linking CANN, never its
// own wrappers); tests look them up in the fake CANN libraries. Each feature resolves all its
// functions together on first use; when one is missing (an older CANN), that is said once as a
// warning naming it, and the feature stays off. MSPTI is the exception: libmspti.so may be
// loaded later (the application dlopens it), so it is looked for again at every call until it
// is found, through a lookup of its own (the preload's finds it wherever it was loaded).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "npu/acl_api.h"
#include "npu/mspti_api.h"

namespace npuprobe::npu_shim {

// Returns the function `name`, or null.
using SymbolLookup = std::function<void *(const char *name)>;

struct MemoryFunctions {
  decltype(&::aclrtSetDevice) set_device;
  decltype(&::aclrtGetMemInfo) get_mem_info;
};

struct AclprofFunctions {
  decltype(&::aclprofInit) init;
  decltype(&::aclprofCreateConfig) create_config;
  decltype(&::aclprofStart) start;
  decltype(&::aclprofStop) stop;
  decltype(&::aclprofDestroyConfig) destroy_config;
  decltype(&::aclprofFinalize) finalize;
};

struct MsptiFunctions {
  decltype(&::msptiSubscribe) subscribe;
  decltype(&::msptiUnsubscribe) unsubscribe;
  decltype(&::msptiActivityEnable) enable;
  decltype(&::msptiActivityDisable) disable;
  decltype(&::msptiActivityRegisterCallbacks) register_callbacks;
  decltype(&::msptiActivityFlushAll) flush_all;
  decltype(&::msptiActivityGetNextRecord) get_next_record;
};

class NpuFunctions {
 public:
  // `mspti_lookup`: how MSPTI's functions are found (default: `lookup`).
  explicit NpuFunctions(SymbolLookup lookup, SymbolLookup mspti_lookup = nullptr);

  // Null when the feature is unavailable. Thread-safe; resolved once.
  const MemoryFunctions *memory();
  const AclprofFunctions *aclprof();
  // Null while libmspti.so is not in the process (said once); looked for again at every call,
  // without holding a lock (safe from any thread, also one inside dlopen).
  const MsptiFunctions *mspti();

 private:
  template <typename Table>
  struct Feature {
    std::once_flag once;
    bool available = false;
    Table table{};
  };

  // Resolves `name` into `*slot`; false (and `missing` set, if still empty) when absent.
  template <typename Fn>
  bool resolve(const char *name, Fn *slot, std::string *missing);

  SymbolLookup lookup_;
  Feature<MemoryFunctions> memory_;
  Feature<AclprofFunctions> aclprof_;
  SymbolLookup mspti_lookup_;
  std::mutex mspti_mutex_;  // publishing only, never held while looking
  std::atomic<const MsptiFunctions *> mspti_published_{nullptr};
  std::atomic<bool> mspti_missing_said_{false};
  MsptiFunctions mspti_table_{};
};

}  // namespace npuprobe::npu_shim
