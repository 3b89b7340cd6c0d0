#include "npuprobe/store/folder_exposer.h"

#include <prometheus/exposer.h>

#include "bind_diagnosis.h"
#include "npuprobe/store/folder_collectable.h"

namespace npuprobe::store {
namespace {

// civetweb gives a connection one worker thread from accept to close. prometheus-cpp's defaults
// (2 workers, 30 s to receive a request) let two idle or slowloris peers hold every worker for
// 30 s at a time. So: more workers than a scraper needs, and a short time per request. The
// numbers are in docs/hostile-host.md (## HTTP); civetweb 1.15's meaning of each option:
std::vector<std::string> civetweb_options(const std::string &listen) {
  return {
      "listening_ports", listen,
      // Workers: at most this many connections are served at once; more wait in the queue.
      "num_threads", std::to_string(kExposerThreads),
      // Accepted connections waiting for a worker (then the kernel's listen backlog).
      "connection_queue", "64",
      // The whole request head must arrive within this time from the moment a worker takes the
      // connection (read_message measures it from req_time, so one byte a second does not
      // extend it); each blocked send of the answer waits at most this long too.
      "request_timeout_ms", std::to_string(kExposerRequestTimeoutMs),
      // One request per connection: a kept-alive idle connection would hold a worker as well.
      "enable_keep_alive", "no",
      // A scrape is a GET with a few headers; anything larger is refused at once.
      "max_request_size", "8192",
  };
}

}  // namespace

std::unique_ptr<FolderExposer> FolderExposer::start(const std::string &listen,
                                                    std::string directory, FormatPreference format,
                                                    std::string *error) {
  std::unique_ptr<FolderExposer> exposer(new FolderExposer());
  try {
    exposer->collectable_ = std::make_shared<FolderCollectable>(std::move(directory), format);
    exposer->exposer_ = std::make_unique<prometheus::Exposer>(civetweb_options(listen));
    exposer->exposer_->RegisterCollectable(exposer->collectable_, "/metrics");
  } catch (const std::exception &e) {
    // prometheus-cpp's message does not say why; binding once more does.
    if (error) *error = "cannot listen on " + listen + ": " + bind_diagnosis(listen);
    return nullptr;
  }
  return exposer;
}

FolderExposer::~FolderExposer() = default;

std::vector<int> FolderExposer::listening_ports() const {
  return exposer_->GetListeningPorts();
}

}  // namespace npuprobe::store
