// The head of one HTTP/1.x request, as the /metrics server reads it (http_request.cc).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace npuprobe::store {

// A scrape is a GET with a few headers: a head larger than this is refused (431) before it is
// parsed, so a peer cannot make the server buffer without bound.
inline constexpr std::size_t kMaxRequestHeadBytes = 8192;

struct HttpRequest {
  std::string method;  // as sent, case-sensitive ("GET", "HEAD")
  std::string path;    // the target without its query ("/metrics")
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed

  // Every value of the header `lower_name` joined with ", " (RFC 9110 5.3), or nullopt.
  std::optional<std::string> header(std::string_view lower_name) const;
};

// Where the head ends in `received`: the offset just past its blank line, or 0 while the blank
// line has not arrived. Both "\r\n\r\n" and a bare "\n\n" end it.
std::size_t request_head_end(std::string_view received);

struct ParsedRequest {
  std::optional<HttpRequest> request;
  int status = 0;      // with no request: the status to refuse it with (400 or 505)
  std::string reason;  // with no request: why, for the refusal's body
};

// Parses a complete head (as request_head_end found it).
ParsedRequest parse_request_head(std::string_view head);

}  // namespace npuprobe::store
