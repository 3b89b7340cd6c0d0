#include "embedded_exposer.h"

#include <unistd.h>

#include "npuprobe/base/log.h"
#include "npuprobe/base/plugin_loader.h"
#include "real_dlsym.h"

namespace npuprobe::preload {
namespace {

using base::log_message;
using base::LogLevel;

}  // namespace

EmbeddedExposer::EmbeddedExposer(std::string listen, std::string folder,
                                 base::FormatPreference format)
    : listen_(std::move(listen)), folder_(std::move(folder)), format_(format) {}

bool EmbeddedExposer::load_plugin() noexcept {
  if (plugin_tried_) return start_ != nullptr;
  plugin_tried_ = true;
  void *start = nullptr;
  void *stop = nullptr;
  void *port = nullptr;
  const base::PluginSymbol symbols[] = {{"npuprobe_exposer_start", &start},
                                        {"npuprobe_exposer_stop", &stop},
                                        {"npuprobe_exposer_port", &port, false}};
  try {
    const std::string consequence = "no embedded /metrics server: the store folder " + folder_ +
                                     " is still written, `npuprobe serve --dir` can serve it";
    if (!base::load_plugin("libnpuprobe-exposer.so", &lookup_symbol, symbols, 3,
                           consequence.c_str())) {
      return false;
    }
  } catch (...) {
    return false;
  }
  start_ = reinterpret_cast<StartFn>(start);
  stop_ = reinterpret_cast<StopFn>(stop);
  port_ = reinterpret_cast<PortFn>(port);
  return true;
}

void EmbeddedExposer::try_serve() noexcept {
  if (server_ != nullptr || stopped_ || !load_plugin()) return;
  char error[256] = "";
  server_ = start_(listen_.c_str(), folder_.c_str(),
                   std::string(store::to_string(format_)).c_str(), error, sizeof error);
  if (server_ != nullptr) {
    // With port 0 the kernel picks the port: say which one it picked.
    const int port = port_ != nullptr ? port_(server_) : -1;
    // Only without PROMETHEUS_MULTIPROC_DIR: vLLM's own /metrics (one API server, no folder)
    // shows none of npuprobe's series then, so say where they are.
    log_message(LogLevel::kInfo,
                "serving %s on http://%s/metrics (port %d): PROMETHEUS_MULTIPROC_DIR is unset, "
                "so vLLM's /metrics does not show npuprobe's series; `npuprobe run` exports a "
                "folder vLLM reads",
                folder_.c_str(), listen_.c_str(), port);
  } else if (last_error_ != error) {
    // Usually another instrumented process serves the folder already, but it may as well be
    // anything else on this host: say it once at the default level, with what happens instead.
    log_message(LogLevel::kWarn, "not serving /metrics: %s; this process (pid %d) still writes "
                "%s and tries to bind again after every flush, taking over when the port is "
                "free (`npuprobe serve --dir %s --listen ADDR` serves the folder elsewhere)",
                error, static_cast<int>(getpid()), folder_.c_str(), folder_.c_str());
  }
  last_error_ = error;
}

void EmbeddedExposer::stop() noexcept {
  stopped_ = true;  // the exit's final flush must not start serving again
  if (server_ != nullptr && stop_ != nullptr) stop_(server_);
  server_ = nullptr;
}

void EmbeddedExposer::forget_after_fork() noexcept {
  server_ = nullptr;
}

}  // namespace npuprobe::preload
