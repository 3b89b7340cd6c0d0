// The attributor's side of libnpuprobe-symbolizer.so: C strings back into a Frame.
#include "npuprobe/attribution/symbolizer_plugin.h"

#include <string>
#include <vector>

namespace npuprobe::attribution {
namespace {

class PluginResolver final : public FrameResolver {
 public:
  PluginResolver(const SymbolizerPluginApi &api, npuprobe_symbolizer *symbolizer)
      : api_(api), symbolizer_(symbolizer) {}
  ~PluginResolver() override { api_.destroy(symbolizer_); }
  PluginResolver(const PluginResolver &) = delete;
  PluginResolver &operator=(const PluginResolver &) = delete;

  Frame resolve(std::uintptr_t pc, bool is_return_address) override {
    npuprobe_frame out{};
    api_.lookup(symbolizer_, pc, is_return_address ? 1 : 0, &out);
    Frame frame;
    frame.pc = pc;
    frame.known_module = out.known_module != 0;
    frame.module = out.module != nullptr ? out.module : "";
    frame.module_offset = out.module_offset;
    frame.function = out.function != nullptr ? out.function : "";
    frame.file = out.file != nullptr ? out.file : "";
    frame.line = out.line;
    return frame;
  }

 private:
  SymbolizerPluginApi api_;
  npuprobe_symbolizer *symbolizer_;
};

}  // namespace

std::unique_ptr<FrameResolver> make_plugin_resolver(const SymbolizerPluginApi &api,
                                                    const SymbolizerOptions &options) {
  if (api.create == nullptr || api.destroy == nullptr || api.lookup == nullptr) return nullptr;
  std::vector<const char *> patterns;
  for (const std::string &pattern : options.modules_without_lines) {
    patterns.push_back(pattern.c_str());
  }
  npuprobe_symbolizer *symbolizer =
      api.create(patterns.data(), static_cast<int>(patterns.size()));
  if (symbolizer == nullptr) return nullptr;
  return std::make_unique<PluginResolver>(api, symbolizer);
}

}  // namespace npuprobe::attribution
