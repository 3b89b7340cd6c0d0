// Every scrape reads the whole folder again (MultiProcessCollector semantics), so the answer is
// the folder's state at that moment; nothing is cached between scrapes. The only series are the
// folder's: no server metrics of its own are added.
#include "npuprobe/store/folder_scrape.h"

#include "npuprobe/store/content_negotiation.h"
#include "npuprobe/store/gzip.h"
#include "npuprobe/base/log.h"
#include "npuprobe/store/multiprocess_collector.h"
#include "npuprobe/store/text_exposition.h"

namespace npuprobe::store {

FolderScrape::FolderScrape(std::string directory, FormatPreference format)
    : directory_(std::move(directory)), format_(format) {}

HttpResponse FolderScrape::respond(const HttpRequest &request) {
  if (request.path != "/metrics") return error_response(404, "only /metrics is served");
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse refused = error_response(405, "only GET and HEAD");
    refused.headers.emplace_back("Allow", "GET, HEAD");
    return refused;
  }
  FolderContents contents = collect_folder(directory_, format_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (contents.errors != last_errors_) {
      for (const std::string &error : contents.errors)
        base::log_message(base::LogLevel::kWarn, "skipped: %s", error.c_str());
      last_errors_ = contents.errors;
    }
  }
  HttpResponse response;
  const bool openmetrics = wants_openmetrics(request.header("accept").value_or(""));
  response.headers.emplace_back("Content-Type",
                                openmetrics ? kOpenMetricsContentType : kTextExpositionContentType);
  response.body = openmetrics ? format_openmetrics_exposition(contents.families)
                              : format_text_exposition(contents.families);
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
