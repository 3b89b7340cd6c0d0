// Serves a store folder on HTTP /metrics with npuprobe's own server (http_server.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

class HttpServer;
class FolderScrape;

class FolderExposer {
 public:
  // `listen` is "host:port" (e.g. "127.0.0.1:9464"); port 0 picks a free one. Returns nullptr
  // with `error` set when the address cannot be bound ("cannot listen on ADDR: REASON", the
  // reason as the kernel gives it, e.g. "Address already in use"). `max_held_files`: how many
  // of the folder's files may stay open between scrapes (steady_collection.h); only a process
  // of npuprobe's own (`npuprobe serve`) should keep any.
  static std::unique_ptr<FolderExposer> start(const std::string &listen, std::string directory,
                                              FormatPreference format, std::string *error,
                                              std::size_t max_held_files = 0);
  ~FolderExposer();

  std::vector<int> listening_ports() const;

 private:
  FolderExposer() = default;
  std::shared_ptr<FolderScrape> scrape_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace npuprobe::store
