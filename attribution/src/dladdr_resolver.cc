// The fallback resolver: the dynamic loader's view (dladdr) of an address. It knows the module
// and the nearest exported symbol, never the source line; good enough to name a site
// "function (module)" when libdw is missing.
#include <dlfcn.h>

#include <cxxabi.h>

#include <cstdlib>

#include "npuprobe/attribution/frame_resolver.h"

namespace npuprobe::attribution {
namespace {

std::string demangled(const char *name) {
  int status = 0;
  char *plain = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (plain == nullptr) return name;
  std::string result = plain;
  std::free(plain);
  return result;
}

class DladdrResolver final : public FrameResolver {
 public:
  Frame resolve(std::uintptr_t pc, bool is_return_address) override {
    Frame frame;
    frame.pc = pc;
    const std::uintptr_t lookup = is_return_address && pc > 0 ? pc - 1 : pc;
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(lookup), &info) == 0 || info.dli_fname == nullptr) {
      return frame;
    }
    frame.known_module = true;
    frame.module = info.dli_fname;
    frame.module_offset = pc - reinterpret_cast<std::uintptr_t>(info.dli_fbase);
    if (info.dli_sname != nullptr) frame.function = demangled(info.dli_sname);
    return frame;
  }
};

}  // namespace

std::unique_ptr<FrameResolver> make_dladdr_resolver() {
  return std::make_unique<DladdrResolver>();
}

}  // namespace npuprobe::attribution
