// The embedded default (PROMETHEUS_MULTIPROC_DIR unset): the first instrumented process that
// can bind NPUPROBE_LISTEN serves the private folder's aggregate on /metrics; the others try
// again on every flush, so when the server exits another process takes over within one flush
// interval. The HTTP server lives in libnpuprobe-exposer.so, dlopen()ed only here, so the vLLM
// path never loads prometheus-cpp.
#pragma once

#include <string>

#include "npuprobe/store/metric_types.h"

struct npuprobe_exposer;

namespace npuprobe::preload {

class EmbeddedExposer {
 public:
  EmbeddedExposer(std::string listen, std::string folder, base::FormatPreference format);
  // Publisher thread: starts serving if nobody does (cheap when already serving).
  void try_serve() noexcept;
  void stop() noexcept;
  // Fork child: the server belongs to the parent; never stop it from here.
  void forget_after_fork() noexcept;
  // Fork child that publishes into a shared folder (its environment named one): the private
  // folder this exposer would serve is no longer where its metrics go, so it never serves.
  void stand_down() noexcept { stopped_ = true; }

 private:
  bool load_plugin() noexcept;

  using StartFn = npuprobe_exposer *(*)(const char *, const char *, const char *, char *,
                                        std::size_t);
  using StopFn = void (*)(npuprobe_exposer *);
  using PortFn = int (*)(const npuprobe_exposer *);

  const std::string listen_;
  const std::string folder_;
  const base::FormatPreference format_;
  bool plugin_tried_ = false;
  bool stopped_ = false;
  StartFn start_ = nullptr;
  StopFn stop_ = nullptr;
  PortFn port_ = nullptr;  // optional: only for the log line
  npuprobe_exposer *server_ = nullptr;
  std::string last_error_;
};

}  // namespace npuprobe::preload
