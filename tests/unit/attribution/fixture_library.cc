// The shared library the symbolizer tests dlopen, built three ways (tests/unit/attribution/
// CMakeLists.txt): with debug info, stripped (objcopy --strip-all) and without debug info or
// unwind tables. The functions are looked up with dlsym; only attr_fixture_call is called (the
// attributor tests walk a stack through it).
#include <cstdint>

// Exported: in .dynsym, so a stripped copy still names it.
extern "C" __attribute__((noinline, visibility("default"))) int attr_fixture_exported(int x) {
  asm volatile("" : "+r"(x));  // keep a body of its own
  return x * 3 + 1;
}

// Hidden: only in .symtab, which a stripped copy loses.
extern "C" __attribute__((noinline, visibility("hidden"))) int attr_fixture_hidden(int x) {
  asm volatile("" : "+r"(x));
  return x * 5 + 2;
}

extern "C" __attribute__((visibility("default"))) std::uintptr_t attr_fixture_hidden_address() {
  return reinterpret_cast<std::uintptr_t>(&attr_fixture_hidden);
}

// Calls back: a stack captured inside `fn` has this library's frame in the middle. Built without
// unwind tables, that frame is one the unwinder has no description of.
extern "C" __attribute__((noinline, visibility("default"))) int attr_fixture_call(
    void (*fn)(void *), void *context) {
  fn(context);
  asm volatile("");  // not a tail call: this frame stays on the stack
  return 0;
}
