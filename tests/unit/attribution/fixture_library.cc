// The shared library the symbolizer tests dlopen, built three ways (tests/unit/attribution/
// CMakeLists.txt): with debug info, stripped (objcopy --strip-all) and without debug info or
// unwind tables. The functions are looked up with dlsym; none of them is ever called.
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
