// Two headers decide what a scrape gets. Accept follows prometheus_client (so a scraper sees the
// format it would see from vLLM's own /metrics); Accept-Encoding follows RFC 9110, unlike
// prometheus_client's gzip_accepted(), which ignores q and so gzips for "gzip;q=0".
#include "npuprobe/store/content_negotiation.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace npuprobe::store {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110 12.4.2), as thousandths;
// nullopt when malformed.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int thousandths = (text[0] - '0') * 1000;
  if (text.size() == 1) return thousandths;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  int scale = 100;
  for (std::size_t i = 2; i < text.size(); ++i, scale /= 10) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    thousandths += (text[i] - '0') * scale;
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

// Calls `visit(coding, q)` for every item of a comma-separated list like "gzip;q=0.5, br";
// an item whose q is malformed is skipped (treated as not listed).
template <typename Visit>
void for_each_coding(std::string_view list, Visit visit) {
  while (true) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    const std::size_t semicolon = item.find(';');
    const std::string coding = lower(trim(item.substr(0, semicolon)));
    std::optional<int> q = 1000;
    std::string_view params =
        semicolon == std::string_view::npos ? std::string_view() : item.substr(semicolon + 1);
    while (!params.empty()) {
      const std::size_t next = params.find(';');
      const std::string_view param = trim(params.substr(0, next));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
        q = parse_qvalue(trim(param.substr(2)));
      params.remove_prefix(next == std::string_view::npos ? params.size() : next + 1);
    }
    if (!coding.empty() && q) visit(coding, *q);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

bool wants_openmetrics(std::string_view accept) {
  while (true) {
    const std::size_t comma = accept.find(',');
    const std::string_view item = accept.substr(0, comma);
    // Python's str.strip() also strips other whitespace; a header value holds only SP and HT.
    if (trim(item.substr(0, item.find(';'))) == "application/openmetrics-text") return true;
    if (comma == std::string_view::npos) return false;
    accept.remove_prefix(comma + 1);
  }
}

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<int> gzip_q;
  std::optional<int> any_q;
  for_each_coding(accept_encoding, [&](const std::string &coding, int q) {
    if (coding == "gzip" || coding == "x-gzip") {
      gzip_q = gzip_q ? std::max(*gzip_q, q) : q;
    } else if (coding == "*") {
      any_q = q;
    }
  });
  if (gzip_q) return *gzip_q > 0;
  return any_q && *any_q > 0;
}

}  // namespace npuprobe::store
