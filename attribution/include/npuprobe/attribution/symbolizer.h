// Addresses to names, off the hot path (publisher thread), with elfutils libdw (libdwfl over
// this process): module, function, source file and line when debug information exists.
// Results are cached per address; the cache and the module list are rebuilt when the set of
// loaded objects changed (dl_iterate_phdr's adds/subs counters), so libraries loaded or
// unloaded at run time are handled. An address in no loaded module (its library was unloaded
// after the capture) gives a Frame with known_module = false. Never throws, never crashes on
// stripped binaries or missing debug information.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace npuprobe::attribution {

struct Frame {
  std::uintptr_t pc = 0;         // the captured address (a return address but for frame 0)
  bool known_module = false;     // false: no loaded module holds pc (unloaded, JIT, garbage)
  std::string module;            // path of the ELF file as mapped ("" when unknown)
  std::uintptr_t module_offset = 0;  // pc - module load base
  std::string function;          // demangled when C++; "" when no symbol covers pc
  std::string file;              // source path from DWARF line info; "" without debug info
  int line = 0;                  // 0 without debug info
};

// What is worth reading. Source lines are the dear part: libdw parses a module's DWARF at the
// first line lookup in it (libc with libc6-dbg installed: tens of MB to decompress, about 80 ms
// of the publisher thread). Frames in modules that are never a site (attribution.skip_modules:
// CANN, libc, libstdc++, Python) need only their function name.
struct SymbolizerOptions {
  // module_match.h patterns: frames in these modules get module and function, no file or line.
  std::vector<std::string> modules_without_lines;
};

class Symbolizer {
 public:
  explicit Symbolizer(SymbolizerOptions options = {});
  ~Symbolizer();
  Symbolizer(const Symbolizer &) = delete;
  Symbolizer &operator=(const Symbolizer &) = delete;

  // Symbolizes one captured stack. For frames after the first the lookup uses pc - 1 (a return
  // address points after the call). Thread-compatible: one thread at a time.
  std::vector<Frame> symbolize(const std::uintptr_t *pcs, int depth, bool first_is_call_site);
  Frame symbolize_one(std::uintptr_t pc, bool is_return_address);

  // Statistics (bench, tests): cache hits and misses, module list rebuilds.
  std::uint64_t cache_hits() const noexcept;
  std::uint64_t cache_misses() const noexcept;
  std::uint64_t module_reloads() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace npuprobe::attribution
