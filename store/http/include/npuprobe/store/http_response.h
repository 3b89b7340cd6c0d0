// One HTTP/1.1 response, framed for a connection that closes after it (http_response.cc).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace npuprobe::store {

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides the framing ones
  std::string body;
};

// The reason phrase of the statuses the server sends ("OK", "Not Found", ...).
const char *http_reason_phrase(int status);

// Status line, `headers`, Content-Length and "Connection: close", the blank line, and the body
// unless `head_only` (a HEAD request: the same headers, Content-Length included, no body).
std::string serialize_response(const HttpResponse &response, bool head_only);

// The same without the body: the status line, headers and blank line (Content-Length is the
// body's). The server sends the body after it from the response itself, not from a copy.
std::string serialize_response_head(const HttpResponse &response);

// A plain-text answer for an error status: the reason phrase and `detail` as the body.
HttpResponse error_response(int status, const std::string &detail);

}  // namespace npuprobe::store
