// npuprobe serve: HTTP /metrics for a store folder (store/http's own server); every scrape reads
// the folder afresh. Runs until SIGINT or SIGTERM.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "../command.h"
#include "../options.h"
#include "npuprobe/config/environment_values.h"
#include "npuprobe/store/folder_exposer.h"

namespace npuprobe::cli {
namespace {

constexpr const char *kDefaultListen = "127.0.0.1:9464";

// How many of the folder's files the server keeps open between scrapes (and mapped: a steady
// scrape then makes one fstat per file and loads only its values: steady_reread.h; this process
// is npuprobe's own, so it may take SIGBUS for the guarded reads). The soft limit on descriptors is
// raised to the hard one (at most 65536; a 1024 soft limit is a default, not a budget), and
// at most half of it is spent on files, at most 4096: the rest is for the HTTP connections (64
// at most) and for the files past that, opened per scrape as before.
std::size_t files_to_keep_open() {
  constexpr rlim_t kRaiseTo = 65536;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  const rlim_t wanted = std::min(limit.rlim_max, kRaiseTo);
  if (limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  const rlim_t half = limit.rlim_cur == RLIM_INFINITY ? kRaiseTo / 2 : limit.rlim_cur / 2;
  return static_cast<std::size_t>(std::min<rlim_t>(half > 128 ? half - 128 : 0, 4096));
}

int run_serve(const std::vector<std::string> &args) {
  const Options options(args, {"--dir", "--listen", "--format"});
  if (!options.ok()) return usage_error("serve", options.error());
  const auto format = base::parse_format_preference(options.value("--format").value_or("auto"));
  if (!format) return usage_error("serve", "--format must be v1, v2 or auto");
  const auto dir = store_directory(options);
  if (!dir) return 2;
  std::string listen = kDefaultListen;
  // NPUPROBE_LISTEN through the environment layer, so that a refused value gets the line
  // `npuprobe check` and the preload print; "off" (the preload's "no exposer") means the default.
  config::Config from_environment;
  const config::EnvironmentValues values = config::apply_environment_values(
      [](const char *name) {
        return std::string_view(name) == "NPUPROBE_LISTEN" ? std::getenv(name) : nullptr;
      },
      from_environment);
  for (const config::Diagnostic &d : values.problems)
    std::fprintf(stderr, "npuprobe serve: %s\n", d.to_string().c_str());
  if (from_environment.exposer.listen != "off") listen = from_environment.exposer.listen;
  if (auto value = options.value("--listen")) listen = *value;

  // Block the stop signals before the server starts its thread, so only sigwait() gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::string error;
  auto exposer = store::FolderExposer::start(listen, *dir, *format, &error, files_to_keep_open());
  if (!exposer) {
    // Nothing to fall back to: serving elsewhere would leave Prometheus scraping whoever holds
    // the address. Say so, and how to pick another.
    std::fprintf(stderr, "npuprobe serve: %s; nothing is served (--listen HOST:0 picks a free "
                 "port)\n", error.c_str());
    return 1;
  }
  const auto ports = exposer->listening_ports();
  std::printf("npuprobe: serving %s on http://%s/metrics (port %d)\n", dir->c_str(), listen.c_str(),
              ports.empty() ? 0 : ports.front());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  return 0;
}

}  // namespace

NPUPROBE_COMMAND(serve, "serve", "serve [--dir D] [--listen ADDR] [--format v1|v2|auto]",
                 "serve the aggregated metrics of a store folder on HTTP /metrics", &run_serve);

}  // namespace npuprobe::cli
