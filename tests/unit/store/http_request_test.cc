// Request heads as the /metrics server parses them (store/http/http_request.cc).
#include "npuprobe/store/http_request.h"

#include <gtest/gtest.h>

namespace npuprobe::store {
namespace {

TEST(HttpRequestHead, EndsAtTheBlankLineWithCrlfOrBareLf) {
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\r\nHost: x\r\n"), 0u);
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\r\n\r\n"), 18u);
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\n\nbody"), 16u);
  EXPECT_EQ(request_head_end("GET / HTTP/1.1\r\nA: b\r\n\r\nrest"), 24u);
}

TEST(HttpRequestHead, ParsesMethodPathAndHeaders) {
  const ParsedRequest parsed = parse_request_head(
      "GET /metrics?name[]=x HTTP/1.1\r\nHost: h\r\nACCEPT:  text/plain \r\n"
      "Accept: application/openmetrics-text\r\n\r\n");
  ASSERT_TRUE(parsed.request);
  EXPECT_EQ(parsed.request->method, "GET");
  EXPECT_EQ(parsed.request->path, "/metrics");
  EXPECT_EQ(parsed.request->header("host"), "h");
  // Repeated headers are one list, in order (RFC 9110 5.3).
  EXPECT_EQ(parsed.request->header("accept"), "text/plain, application/openmetrics-text");
  EXPECT_FALSE(parsed.request->header("accept-encoding"));
}

TEST(HttpRequestHead, TakesThePathOfAnAbsoluteTarget) {
  EXPECT_EQ(parse_request_head("GET http://h:9464/metrics?a HTTP/1.1\r\n\r\n").request->path,
            "/metrics");
  EXPECT_EQ(parse_request_head("GET https://h HTTP/1.1\r\n\r\n").request->path, "/");
  EXPECT_EQ(parse_request_head("OPTIONS * HTTP/1.1\r\n\r\n").request->path, "*");
}

TEST(HttpRequestHead, AcceptsHttp10AndBareLf) {
  const ParsedRequest parsed = parse_request_head("HEAD /metrics HTTP/1.0\nA: 1\n\n");
  ASSERT_TRUE(parsed.request);
  EXPECT_EQ(parsed.request->method, "HEAD");
  EXPECT_EQ(parsed.request->header("a"), "1");
}

TEST(HttpRequestHead, RefusesWhatIsNotHttp1) {
  EXPECT_EQ(parse_request_head("\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request_head("GET /metrics\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request_head("GET  /metrics HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request_head("G(T /metrics HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request_head("GET /metrics FTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request_head("GET /metrics HTTP/2.0\r\n\r\n").status, 505);
  // No colon, whitespace before the colon, an obsolete folded line.
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nHost\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nHost : x\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request_head("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n").status, 400);
  EXPECT_FALSE(parse_request_head("GET / HTTP/1.1\r\nHost : x\r\n\r\n").request);
}

}  // namespace
}  // namespace npuprobe::store
