#include "npuprobe/attribution/symbolizer.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

#include "npuprobe/attribution/frame_resolver.h"
#include "npuprobe/attribution/module_match.h"
#include "npuprobe/base/checked_file.h"

namespace npuprobe::attribution {
namespace {

constexpr std::size_t kMaxCachedFrames = std::size_t{1} << 16;

// True when `fd` holds a file whose CRC-32 is `crc` (the .gnu_debuglink check; zlib's crc32 is
// the same polynomial).
bool crc_matches(int fd, GElf_Word crc) {
  uLong sum = crc32(0L, Z_NULL, 0);
  unsigned char buffer[16 * 1024];  // the publisher's stack may be small
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0) return false;
    if (got == 0) break;
    sum = crc32(sum, buffer, static_cast<uInt>(got));
  }
  return lseek(fd, 0, SEEK_SET) == 0 && static_cast<GElf_Word>(sum) == crc;
}

// find_elf callback. note: an NPU process maps device files (/dev/davinci*, /dev/svm0), and
// /proc/self/maps lists them like libraries; opening one may block or have side effects in the
// driver. Recent elfutils check this too, but the host's libdw.so.1 may be older.
int find_regular_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                     char **file_name, Elf **elfp) {
  struct stat status;
  if (modname[0] == '/' && (stat(modname, &status) != 0 || !S_ISREG(status.st_mode))) return -1;
  return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
}

// find_debuginfo callback, used only when a module's own file has no DWARF (or no .symtab).
// Local files only: /usr/lib/debug/.build-id/ (distribution -dbg/-dbgsym packages), then the
// .gnu_debuglink name beside the file, in its .debug/ and under /usr/lib/debug/.
// note: never the network. libdw reaches its debuginfod client (which dlopen()s libdebuginfod
// and downloads whatever DEBUGINFOD_URLS points at, from the publisher of a serving process) only
// from dwfl_standard_find_debuginfo and dwfl_build_id_find_elf; this file calls neither.
int find_local_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                         const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                         char **debuginfo_file_name) {
  const int by_build_id = dwfl_build_id_find_debuginfo(
      mod, userdata, modname, base, file_name, debuglink_file, debuglink_crc, debuginfo_file_name);
  if (by_build_id >= 0) return by_build_id;
  if (debuglink_file == nullptr || file_name == nullptr || file_name[0] != '/') return -1;
  const std::string file(file_name);
  const std::string dir = file.substr(0, file.rfind('/'));
  const std::string candidates[] = {dir + "/" + debuglink_file, dir + "/.debug/" + debuglink_file,
                                    "/usr/lib/debug" + dir + "/" + debuglink_file};
  for (const std::string &candidate : candidates) {
    if (candidate == file) continue;  // a debuglink naming the file itself
    // Named by a file's .gnu_debuglink: without blocking (a FIFO there would stop the publisher
    // thread) and only a regular file; debug files may be large, so no size limit beyond that.
    const int fd = base::open_regular_for_read(candidate, std::numeric_limits<std::size_t>::max(),
                                               nullptr);
    if (fd < 0) continue;
    if (crc_matches(fd, debuglink_crc)) {
      *debuginfo_file_name = strdup(candidate.c_str());  // libdw frees it
      return fd;
    }
    close(fd);
  }
  return -1;
}

const Dwfl_Callbacks kCallbacks = {
    find_regular_elf,      // find_elf
    find_local_debuginfo,  // find_debuginfo
    nullptr,               // section_address: only for ET_REL files (kernel modules)
    nullptr,               // debuginfo_path: libdw's default, ":.debug:/usr/lib/debug"
};

std::string demangle(const char *name) {
  if (name[0] != '_' || name[1] != 'Z') return name;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> plain(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && plain ? std::string(plain.get()) : std::string(name);
}

struct LoadCounters {
  unsigned long long adds = 0;
  unsigned long long subs = 0;
};

// dlopen/dlclose move these; every object's entry carries the same values.
LoadCounters read_load_counters() {
  LoadCounters counters;
  dl_iterate_phdr(
      [](dl_phdr_info *info, std::size_t size, void *data) -> int {
        if (size >= offsetof(dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
          auto *out = static_cast<LoadCounters *>(data);
          out->adds = info->dlpi_adds;
          out->subs = info->dlpi_subs;
        }
        return 1;  // the first object is enough
      },
      &counters);
  return counters;
}

struct CacheKey {
  std::uintptr_t pc;
  bool is_return_address;
  bool operator==(const CacheKey &other) const noexcept {
    return pc == other.pc && is_return_address == other.is_return_address;
  }
};

struct CacheKeyHash {
  std::size_t operator()(const CacheKey &key) const noexcept {
    return std::hash<std::uintptr_t>()(key.pc) ^ static_cast<std::size_t>(key.is_return_address);
  }
};

}  // namespace

struct Symbolizer::Impl {
  explicit Impl(SymbolizerOptions o) : options(std::move(o)) {}

  SymbolizerOptions options;
  Dwfl *dwfl = nullptr;
  bool reported = false;
  LoadCounters counters;
  std::unordered_map<CacheKey, Frame, CacheKeyHash> cache;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t reloads = 0;

  ~Impl() {
    if (dwfl != nullptr) dwfl_end(dwfl);
  }

  // (Re)reads /proc/self/maps when objects were loaded or unloaded since the last time. Modules
  // that are still mapped where they were keep their parsed ELF and DWARF (dwfl_report_begin
  // reuses them), so a dlopen does not make libdw read libtorch's debug info again.
  void refresh_modules() {
    const LoadCounters now = read_load_counters();
    if (reported && now.adds == counters.adds && now.subs == counters.subs) return;
    if (dwfl == nullptr) {
      dwfl = dwfl_begin(&kCallbacks);
      if (dwfl == nullptr) return;  // every frame reads as unknown
    }
    // The counters go first: an object loaded while /proc/self/maps is read moves them again
    // and the next call reports once more.
    counters = now;
    dwfl_report_begin(dwfl);
    dwfl_linux_proc_report(dwfl, getpid());  // on failure: no modules, frames unknown
    dwfl_report_end(dwfl, nullptr, nullptr);
    reported = true;
    ++reloads;
    cache.clear();  // cached frames may name a module that is gone or has moved
  }

  Frame resolve(std::uintptr_t pc, bool is_return_address) const {
    Frame frame;
    frame.pc = pc;
    if (dwfl == nullptr) return frame;
    // A return address points after the call, possibly already into the next function or line.
    const Dwarf_Addr address = is_return_address && pc != 0 ? pc - 1 : pc;
    Dwfl_Module *module = dwfl_addrmodule(dwfl, address);
    if (module == nullptr) return frame;
    Dwarf_Addr low = 0;
    Dwarf_Addr high = 0;
    const char *name =
        dwfl_module_info(module, nullptr, &low, &high, nullptr, nullptr, nullptr, nullptr);
    // note: dwfl_addrmodule (libdw 0.188) answers the highest module for addresses above every
    // module (kernel space, (uintptr_t)-1), so the range is checked here.
    if (address < low || address >= high) return frame;
    frame.known_module = true;
    frame.module = name != nullptr ? name : "";
    frame.module_offset = pc - static_cast<std::uintptr_t>(low);
    GElf_Off offset = 0;
    GElf_Sym symbol;
    // .symtab, else .dynsym of a stripped file, else the separate debug file's .symtab.
    const char *function =
        dwfl_module_addrinfo(module, address, &offset, &symbol, nullptr, nullptr, nullptr);
    if (function != nullptr) frame.function = demangle(function);
    if (module_matches(options.modules_without_lines, frame.module)) return frame;
    if (Dwfl_Line *line = dwfl_module_getsrc(module, address)) {
      int line_number = 0;
      const char *file = dwfl_lineinfo(line, nullptr, &line_number, nullptr, nullptr, nullptr);
      if (file != nullptr) {
        frame.file = file;
        frame.line = line_number;
      }
    }
    return frame;
  }

  Frame lookup(std::uintptr_t pc, bool is_return_address) {
    const CacheKey key{pc, is_return_address};
    const auto found = cache.find(key);
    if (found != cache.end()) {
      ++hits;
      return found->second;
    }
    ++misses;
    Frame frame = resolve(pc, is_return_address);
    if (cache.size() >= kMaxCachedFrames) cache.clear();  // bounded; hot addresses come back
    cache.emplace(key, frame);
    return frame;
  }
};

Symbolizer::Symbolizer(SymbolizerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
Symbolizer::~Symbolizer() = default;

std::vector<Frame> Symbolizer::symbolize(const std::uintptr_t *pcs, int depth,
                                         bool first_is_call_site) {
  std::vector<Frame> frames;
  if (pcs == nullptr || depth <= 0) return frames;
  try {
    impl_->refresh_modules();
    frames.reserve(static_cast<std::size_t>(depth));
    for (int i = 0; i < depth; ++i) {
      frames.push_back(impl_->lookup(pcs[i], i > 0 || first_is_call_site));
    }
  } catch (...) {
    // Out of memory: the frames symbolized so far (the caller counts a shorter, partial stack).
  }
  return frames;
}

Frame Symbolizer::symbolize_one(std::uintptr_t pc, bool is_return_address) {
  try {
    impl_->refresh_modules();
    return impl_->lookup(pc, is_return_address);
  } catch (...) {
    Frame frame;
    frame.pc = pc;
    return frame;
  }
}

std::uint64_t Symbolizer::cache_hits() const noexcept {
  return impl_->hits;
}
std::uint64_t Symbolizer::cache_misses() const noexcept {
  return impl_->misses;
}
std::uint64_t Symbolizer::module_reloads() const noexcept {
  return impl_->reloads;
}

namespace {

class LibdwResolver final : public FrameResolver {
 public:
  explicit LibdwResolver(SymbolizerOptions options) : symbolizer_(std::move(options)) {}
  Frame resolve(std::uintptr_t pc, bool is_return_address) override {
    return symbolizer_.symbolize_one(pc, is_return_address);
  }

 private:
  Symbolizer symbolizer_;
};

}  // namespace

std::unique_ptr<FrameResolver> make_libdw_resolver(SymbolizerOptions options) {
  return std::make_unique<LibdwResolver>(std::move(options));
}

}  // namespace npuprobe::attribution
