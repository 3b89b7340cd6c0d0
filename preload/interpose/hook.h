// One wrapped ACL function, reached two ways:
//  - the exported symbol (LD_PRELOAD interposition): it calls the next definition after
//    npuprobe, resolved lazily and once (any thread may race to resolve: same answer);
//  - a dlsym(handle, name) lookup that found a different definition than "next" (a handle-scoped
//    lookup skips preloaded objects; libmspti forwarding to libascendcl): dlsym hands out a
//    bound thunk that calls exactly that definition. A few slots per function, bounded.
// Either way the function's body (the measuring wrapper) gets the real function to call and
// the caller's return address.
#pragma once

#include <dlfcn.h>

#include <atomic>
#include <type_traits>

#include "elf_symbols.h"
#include "hook_groups.h"
#include "hook_list.h"
#include "real_dlsym.h"

namespace npuprobe::preload {

// What dlsym needs to know about a hook, type-erased. Constant-initialised (only addresses),
// so it is valid before any constructor ran.
struct HookEntry {
  const char *name;
  void *(*exported)();
  void *(*next)();
  void *(*bind)(void *target);  // null when every bound slot holds another target
};

const HookEntry *find_hook(const char *name) noexcept;  // null when not an npuprobe hook
const HookEntry &hook_entry(HookId id) noexcept;
const char *hook_name(HookId id) noexcept;

// Logged once per function, from a cold path: the next definition could not be found.
void note_missing_function(HookId id) noexcept;
// The value a wrapper returns when there is no real function (the caller gets what a runtime
// without that feature answers): ACL_ERROR_API_NOT_SUPPORT.
// HCCL functions answer HCCL_E_NOT_SUPPORT instead (their result type is HcclResult).
inline constexpr int kMissingFunctionResult = 200001;
inline constexpr int kMissingHcclResult = 5;  // HCCL_E_NOT_SUPPORT
template <typename R>
constexpr R missing_result() noexcept {
  if constexpr (std::is_enum_v<R>) {
    return static_cast<R>(kMissingHcclResult);  // HcclResult: the only enum-typed result
  } else {
    return static_cast<R>(kMissingFunctionResult);
  }
}

inline constexpr int kBoundSlots = 4;

template <HookId Id, typename Fn, auto Body>
struct Hook;

template <HookId Id, typename R, typename... A, R (*Body)(R (*)(A...), const void *, A...)>
struct Hook<Id, R (*)(A...), Body> {
  using Fn = R (*)(A...);

  // The exported wrapper's path: the body is inlined here (one frame per intercepted call).
  __attribute__((always_inline)) static R call(const void *caller, A... args) {
    Fn real = next();
    if (__builtin_expect(real == nullptr, 0)) return missing_result<R>();
    if (__builtin_expect(!hook_on(Id), 0)) return real(args...);  // hooks config: off
    return Body(real, caller, args...);
  }

  // The bound thunks' path (rare: handle-scoped lookups) shares one out-of-line copy.
  __attribute__((noinline)) static R body_out_of_line(Fn real, const void *caller, A... args) {
    return Body(real, caller, args...);
  }

  static Fn next() noexcept {
    Fn found = find_next();
    if (__builtin_expect(found == nullptr, 0)) note_missing_function(Id);
    return found;
  }

  // The definition after npuprobe: RTLD_NEXT, else the first loaded object defining it. A
  // library dlopen()ed RTLD_LOCAL (Python loads torch_npu so, and with it libascendcl and
  // libhccl) is in no global scope, yet the calls it makes bind to npuprobe's exported
  // wrapper, which must still reach the runtime (elf_symbols.h). Null when nothing defines it.
  static Fn find_next() noexcept {
    Fn known = next_.load(std::memory_order_acquire);
    if (__builtin_expect(known != nullptr, 1)) return known;
    Fn found = reinterpret_cast<Fn>(lookup_symbol(RTLD_NEXT, hook_name(Id)));
    if (found == nullptr) {
      found = reinterpret_cast<Fn>(
          defined_in_loaded_objects(hook_name(Id), reinterpret_cast<const void *>(&call)));
    }
    if (found != nullptr) next_.store(found, std::memory_order_release);
    return found;
  }

  static void *next_erased() { return reinterpret_cast<void *>(find_next()); }

  // A thunk that calls `target`: the same one for the same target.
  static void *bind(void *target) {
    Fn wanted = reinterpret_cast<Fn>(target);
    for (int i = 0; i < kBoundSlots; ++i) {
      Fn expected = nullptr;
      if (slots_[i].compare_exchange_strong(expected, wanted, std::memory_order_acq_rel) ||
          expected == wanted) {
        return reinterpret_cast<void *>(bound_thunk(i));
      }
    }
    return nullptr;
  }

 private:
  template <int Slot>
  static R bound(A... args) {
    Fn real = slots_[Slot].load(std::memory_order_acquire);
    if (__builtin_expect(!hook_on(Id), 0)) return real(args...);
    return body_out_of_line(real, __builtin_return_address(0), args...);
  }
  static Fn bound_thunk(int slot) {
    static_assert(kBoundSlots == 4, "one thunk per slot");
    switch (slot) {
      case 0: return &bound<0>;
      case 1: return &bound<1>;
      case 2: return &bound<2>;
      default: return &bound<3>;
    }
  }

  static inline std::atomic<Fn> next_{nullptr};
  static inline std::atomic<Fn> slots_[kBoundSlots]{};
};

}  // namespace npuprobe::preload

#define NPUPROBE_API extern "C" __attribute__((visibility("default")))
#define NPUPROBE_STRIP(...) __VA_ARGS__

// The HookEntry dlsym consults for `name` (after its npuprobe_wrap_ and hook_ are defined).
#define NPUPROBE_HOOK_ENTRY(name)                                                             \
  static void *exported_##name() { return reinterpret_cast<void *>(&npuprobe_wrap_##name); } \
  namespace npuprobe::preload {                                                               \
  extern const HookEntry entry_##name;                                                        \
  const HookEntry entry_##name = {#name, &exported_##name, &hook_##name::next_erased,         \
                                  &hook_##name::bind};                                        \
  }

// Defines the exported wrapper of ACL function `name` and its HookEntry; the braces that
// follow are the body, with `real` (the function to call) and `caller` (return address) in
// scope besides the parameters. The exported name is an alias of a hidden function: inside
// this library `&name` would go through the GOT and yield whichever definition comes first
// in the process (libmspti's, when it precedes npuprobe), never reliably our own.
#define NPUPROBE_HOOK(R, name, PARAMS, ARGS)                                                 \
  static inline __attribute__((always_inline)) R body_##name(                                 \
      decltype(&::name) real, const void *caller, NPUPROBE_STRIP PARAMS);                     \
  using hook_##name = npuprobe::preload::Hook<npuprobe::preload::HookId::name,               \
                                              decltype(&::name), &body_##name>;              \
  extern "C" __attribute__((visibility("hidden"))) R npuprobe_wrap_##name PARAMS {           \
    return hook_##name::call(__builtin_return_address(0), NPUPROBE_STRIP ARGS);              \
  }                                                                                           \
  NPUPROBE_API R name PARAMS __attribute__((alias("npuprobe_wrap_" #name)));                 \
  NPUPROBE_HOOK_ENTRY(name)                                                                   \
  static R body_##name(decltype(&::name) real, const void *caller, NPUPROBE_STRIP PARAMS)

// The same for a function without parameters.
#define NPUPROBE_HOOK0(R, name)                                                               \
  static inline __attribute__((always_inline)) R body_##name(decltype(&::name) real,          \
                                                             const void *caller);             \
  using hook_##name = npuprobe::preload::Hook<npuprobe::preload::HookId::name,               \
                                              decltype(&::name), &body_##name>;              \
  extern "C" __attribute__((visibility("hidden"))) R npuprobe_wrap_##name(void) {            \
    return hook_##name::call(__builtin_return_address(0));                                    \
  }                                                                                           \
  NPUPROBE_API R name(void) __attribute__((alias("npuprobe_wrap_" #name)));                  \
  NPUPROBE_HOOK_ENTRY(name)                                                                   \
  static R body_##name(decltype(&::name) real, const void *caller)
