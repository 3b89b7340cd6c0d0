// The answer to one request for a store folder's /metrics (folder_scrape.cc).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "npuprobe/store/http_request.h"
#include "npuprobe/store/http_response.h"
#include "npuprobe/store/metric_types.h"
#include "npuprobe/store/steady_collection.h"

namespace npuprobe::store {

class FolderScrape {
 public:
  // `max_held_files`: steady_collection.h.
  FolderScrape(std::string directory, FormatPreference format, std::size_t max_held_files = 0);

  // GET or HEAD /metrics: the folder as it is now (a steady collection: values only while the
  // keys stay the same), as text 0.0.4 or OpenMetrics (Accept), gzip
  // when Accept-Encoding allows it; 404 for another path, 405 for another method.
  HttpResponse respond(const HttpRequest &request);

 private:
  std::mutex mutex_;                      // one scrape at a time reads the folder
  SteadyCollection collection_;
  std::vector<std::string> last_errors_;  // logged again only when they change
};

}  // namespace npuprobe::store
