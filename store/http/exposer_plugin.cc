// The C face of FolderExposer for dlopen() by the preload (see exposer_plugin.h).
#include "npuprobe/exposer_plugin.h"

#include <cstdio>
#include <memory>

#include "npuprobe/store/folder_exposer.h"

struct npuprobe_exposer {
  std::unique_ptr<npuprobe::store::FolderExposer> exposer;
};

namespace {

void set_error(char *error, size_t size, const std::string &message) {
  if (error && size > 0) std::snprintf(error, size, "%s", message.c_str());
}

}  // namespace

extern "C" __attribute__((visibility("default"))) npuprobe_exposer *npuprobe_exposer_start(
    const char *listen, const char *directory, const char *format, char *error, size_t error_size) {
  using namespace npuprobe::store;
  if (!listen || !directory)
    return set_error(error, error_size, "listen and directory are required"), nullptr;
  const auto preference = parse_format_preference(format ? format : "auto");
  if (!preference) return set_error(error, error_size, "format must be v1, v2 or auto"), nullptr;
  try {
    std::string message;
    auto exposer = FolderExposer::start(listen, directory, *preference, &message);
    if (!exposer) return set_error(error, error_size, message), nullptr;
    return new npuprobe_exposer{std::move(exposer)};
  } catch (const std::exception &e) {  // never let an exception cross the C boundary
    set_error(error, error_size, e.what());
    return nullptr;
  }
}

extern "C" __attribute__((visibility("default"))) int npuprobe_exposer_port(
    const npuprobe_exposer *exposer) {
  if (!exposer) return -1;
  const auto ports = exposer->exposer->listening_ports();
  return ports.empty() ? -1 : ports.front();
}

extern "C" __attribute__((visibility("default"))) void npuprobe_exposer_stop(
    npuprobe_exposer *exposer) {
  delete exposer;
}
