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

class FolderExposer {
 public:
  // `listen` is "host:port" (e.g. "127.0.0.1:9464"); port 0 picks a free one. Returns nullptr
  // with `error` set when the address cannot be bound.
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
