#include "npuprobe/store/folder_exposer.h"

#include "npuprobe/store/folder_scrape.h"
#include "npuprobe/store/http_server.h"

namespace npuprobe::store {

std::unique_ptr<FolderExposer> FolderExposer::start(const std::string &listen,
                                                    std::string directory, FormatPreference format,
                                                    std::string *error,
                                                    std::size_t max_held_files) {
  std::unique_ptr<FolderExposer> exposer(new FolderExposer());
  exposer->scrape_ = std::make_shared<FolderScrape>(std::move(directory), format, max_held_files);
  std::string reason;
  // The handler holds its own reference: the server's thread may still run it while the
  // exposer is being destroyed (the server is stopped first, in member order, anyway).
  exposer->server_ = HttpServer::start(
      listen,
      [scrape = exposer->scrape_](const HttpRequest &request) { return scrape->respond(request); },
      HttpServerLimits{}, &reason);
  if (!exposer->server_) {
    if (error) *error = "cannot listen on " + listen + ": " + reason;
    return nullptr;
  }
  return exposer;
}

FolderExposer::~FolderExposer() = default;

std::vector<int> FolderExposer::listening_ports() const {
  return {server_->port()};
}

}  // namespace npuprobe::store
