// Response framing and gzip (store/http/http_response.cc, gzip.cc).
#include "npuprobe/store/http_response.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "npuprobe/store/gzip.h"

namespace npuprobe::store {
namespace {

std::string gunzip(const std::string &data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef *>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

TEST(HttpResponse, FramesWithContentLengthAndClose) {
  HttpResponse response;
  response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  response.body = "a 1.0\n";
  EXPECT_EQ(serialize_response(response, false),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 6\r\nConnection: close\r\n\r\na 1.0\n");
}

TEST(HttpResponse, HeadKeepsTheHeadersAndDropsTheBody) {
  HttpResponse response;
  response.body = "a 1.0\n";
  EXPECT_EQ(serialize_response(response, true),
            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\n");
}

TEST(HttpResponse, ErrorsSayTheReason) {
  const HttpResponse response = error_response(404, "only /metrics is served");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, "Not Found: only /metrics is served\n");
  EXPECT_EQ(serialize_response(error_response(405, ""), false).substr(0, 33),
            "HTTP/1.1 405 Method Not Allowed\r\n");
  EXPECT_STREQ(http_reason_phrase(431), "Request Header Fields Too Large");
}

TEST(Gzip, RoundTripsAndHasTheGzipMagic) {
  std::string text;
  for (int i = 0; i < 5000; ++i)
    text += "npu_launches_total{dp=\"" + std::to_string(i) + "\"} 1.0\n";
  const std::string compressed = gzip_compress(text);
  ASSERT_GE(compressed.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(compressed[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(compressed[1]), 0x8b);
  EXPECT_LT(compressed.size(), text.size() / 4);
  EXPECT_EQ(gunzip(compressed), text);
  EXPECT_EQ(gunzip(gzip_compress("")), "");
}

}  // namespace
}  // namespace npuprobe::store
