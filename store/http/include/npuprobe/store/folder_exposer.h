// Serves a store folder on HTTP /metrics with prometheus-cpp's Exposer (civetweb).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "npuprobe/store/metric_types.h"

namespace prometheus {
class Exposer;
}

namespace npuprobe::store {

class FolderCollectable;

// Bounds that keep idle, slow or hostile peers from starving a scraper (folder_exposer.cc):
// connections served at once, and the time a request head may take to arrive.
inline constexpr int kExposerThreads = 8;
inline constexpr int kExposerRequestTimeoutMs = 1000;

class FolderExposer {
 public:
  // `listen` is "host:port" (e.g. "127.0.0.1:9464"); port 0 picks a free one. Returns nullptr
  // with `error` set when the address cannot be bound ("cannot listen on ADDR: REASON", the
  // reason as the kernel gives it, e.g. "Address already in use").
  static std::unique_ptr<FolderExposer> start(const std::string &listen, std::string directory,
                                              FormatPreference format, std::string *error);
  ~FolderExposer();

  std::vector<int> listening_ports() const;

 private:
  FolderExposer() = default;
  std::shared_ptr<FolderCollectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace npuprobe::store
