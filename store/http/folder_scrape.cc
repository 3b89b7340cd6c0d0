// Every scrape reads the whole folder again (MultiProcessCollector semantics), so the answer is
// the folder's state at that moment; what is kept between scrapes is only how the keys combine
// (steady_collection.h), never a value. The only series are the folder's: no server metrics of
// its own are added.
#include "npuprobe/store/folder_scrape.h"

#include "npuprobe/store/content_negotiation.h"
#include "npuprobe/store/gzip.h"
#include "npuprobe/base/log.h"
#include "npuprobe/store/text_exposition.h"

namespace npuprobe::store {

FolderScrape::FolderScrape(std::string directory, FormatPreference format,
                           std::size_t max_held_files)
    : collection_(std::move(directory), format, max_held_files) {}

HttpResponse FolderScrape::respond(const HttpRequest &request) {
  if (request.path != "/metrics") return error_response(404, "only /metrics is served");
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse refused = error_response(405, "only GET and HEAD");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  const bool openmetrics = wants_openmetrics(request.header("accept").value_or(""));
  HttpResponse response;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    SteadyCollection::Scrape scrape = collection_.scrape(openmetrics);
    if (scrape.errors != last_errors_) {
      for (const std::string &error : scrape.errors)
        base::log_message(base::LogLevel::kWarn, "skipped: %s", error.c_str());
      last_errors_ = std::move(scrape.errors);
    }
    response.body = std::move(scrape.body);
  }
  response.headers.emplace_back("Content-Type",
                                openmetrics ? kOpenMetricsContentType : kTextExpositionContentType);
  if (accepts_gzip(request.header("accept-encoding").value_or(""))) {
    std::string compressed = gzip_compress(response.body);
    if (!compressed.empty()) {  // else zlib failed: send it uncompressed
      response.body = std::move(compressed);
      response.headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  // Caches between the scraper and the server must not mix the variants.
  response.headers.emplace_back("Vary", "Accept, Accept-Encoding");
  return response;
}

}  // namespace npuprobe::store
