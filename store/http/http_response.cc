// Every response carries Content-Length and "Connection: close": the server answers one request
// per connection, so a client never has to guess where a body ends or whether to reuse it.
#include "npuprobe/store/http_response.h"

namespace npuprobe::store {

const char *http_reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string serialize_response_head(const HttpResponse &response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    http_reason_phrase(response.status) + "\r\n";
  for (const auto &[name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  return out;
}

std::string serialize_response(const HttpResponse &response, bool head_only) {
  std::string out = serialize_response_head(response);
  if (!head_only) out += response.body;
  return out;
}

HttpResponse error_response(int status, const std::string &detail) {
  HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body =
      std::string(http_reason_phrase(status)) + (detail.empty() ? "" : ": " + detail) + "\n";
  return response;
}

}  // namespace npuprobe::store
