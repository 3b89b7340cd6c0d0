// Request heads are parsed strictly enough to refuse what is not HTTP/1.x and leniently where
// clients differ harmlessly (bare "\n" line ends, header name case). Bodies are never read: the
// server answers GET and HEAD only and closes the connection after one answer.
#include "npuprobe/store/http_request.h"

#include <algorithm>
#include <cctype>

namespace npuprobe::store {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// RFC 9110 5.6.2 token characters: what a method and a header name may consist of.
bool is_token(std::string_view text) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kExtra.find(c) != std::string_view::npos;
  });
}

// The path of a request target without its query: "/metrics?x" and the absolute form a server
// must accept too (RFC 9112 3.2.2), "http://host:port/metrics?x", both give "/metrics".
std::string_view origin_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.substr(0, scheme.size()) != scheme) continue;
    const std::size_t slash = target.find('/', scheme.size());
    return slash == std::string_view::npos ? "/" : target.substr(slash);
  }
  return target;
}

ParsedRequest refuse(int status, std::string reason) {
  ParsedRequest parsed;
  parsed.status = status;
  parsed.reason = std::move(reason);
  return parsed;
}

}  // namespace

std::optional<std::string> HttpRequest::header(std::string_view lower_name) const {
  std::optional<std::string> joined;
  for (const auto &[name, value] : headers) {
    if (name != lower_name) continue;
    joined = joined ? *joined + ", " + value : value;
  }
  return joined;
}

std::size_t request_head_end(std::string_view received) {
  for (std::size_t i = 0; i < received.size(); ++i) {
    if (received[i] != '\n') continue;
    if (i + 1 < received.size() && received[i + 1] == '\n') return i + 2;
    if (i + 2 < received.size() && received[i + 1] == '\r' && received[i + 2] == '\n') return i + 3;
  }
  return 0;
}

ParsedRequest parse_request_head(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const std::size_t end = head.find('\n');
    std::string_view line = head.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    head.remove_prefix(end == std::string_view::npos ? head.size() : end + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return refuse(400, "empty request");

  // request-line = method SP request-target SP HTTP-version, single spaces (RFC 9112 3)
  const std::string_view line = lines.front();
  const std::size_t first = line.find(' ');
  const std::size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) return refuse(400, "bad request line");
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, last - first - 1);
  const std::string_view version = line.substr(last + 1);
  if (!is_token(method) || target.empty() || target.find(' ') != std::string_view::npos)
    return refuse(400, "bad request line");
  if (version.substr(0, 5) != "HTTP/") return refuse(400, "bad request line");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return refuse(505, "only HTTP/1.x");

  HttpRequest request;
  request.method = std::string(method);
  request.path = std::string(origin_path(target));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::size_t colon = lines[i].find(':');
    // A name with whitespace before the colon, or a folded line, is refused (RFC 9112 5.1, 5.2).
    if (colon == std::string_view::npos || !is_token(lines[i].substr(0, colon)))
      return refuse(400, "bad header line");
    std::string name(lines[i].substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    request.headers.emplace_back(std::move(name), std::string(trim(lines[i].substr(colon + 1))));
  }
  ParsedRequest parsed;
  parsed.request = std::move(request);
  return parsed;
}

}  // namespace npuprobe::store
