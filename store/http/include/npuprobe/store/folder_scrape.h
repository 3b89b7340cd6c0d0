// The answer to one request for a store folder's /metrics (folder_scrape.cc).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "npuprobe/store/http_request.h"
#include "npuprobe/store/http_response.h"
#include "npuprobe/store/metric_types.h"

namespace npuprobe::store {

class FolderScrape {
 public:
  FolderScrape(std::string directory, FormatPreference format);

  // GET or HEAD /metrics: the folder read afresh, as text 0.0.4 or OpenMetrics (Accept), gzip
  // when Accept-Encoding allows it; 404 for another path, 405 for another method.
  HttpResponse respond(const HttpRequest &request);

 private:
  const std::string directory_;
  const FormatPreference format_;
  std::mutex mutex_;
  std::vector<std::string> last_errors_;  // logged again only when they change
};

}  // namespace npuprobe::store
