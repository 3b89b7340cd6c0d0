// The /metrics server over real loopback sockets (store/http/http_server.cc, folder_scrape.cc):
// answers, refusals, and the deadlines that drop idle peers.
#include "npuprobe/store/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "npuprobe/store/folder_scrape.h"
#include "support/temp_dir.h"

namespace npuprobe::store {
namespace {

using Clock = std::chrono::steady_clock;

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
  timeval limit{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return fd;
}

// Everything the server sends until it closes.
std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t got;
  while ((got = recv(fd, buffer, sizeof buffer, 0)) > 0)
    out.append(buffer, static_cast<size_t>(got));
  return out;
}

std::string exchange(int port, const std::string &request) {
  const int fd = connect_to(port);
  EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string answer = read_all(fd);
  close(fd);
  return answer;
}

std::unique_ptr<HttpServer> echo_server(HttpServerLimits limits = {}) {
  std::string error;
  auto server = HttpServer::start(
      "127.0.0.1:0",
      [](const HttpRequest &request) {
        HttpResponse response;
        response.body = request.method + " " + request.path;
        return response;
      },
      limits, &error);
  EXPECT_TRUE(server) << error;
  return server;
}

TEST(HttpServer, AnswersOneRequestAndCloses) {
  auto server = echo_server();
  ASSERT_GT(server->port(), 0);
  EXPECT_EQ(exchange(server->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nGET /metrics");
  EXPECT_EQ(exchange(server->port(), "HEAD /a?b HTTP/1.0\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\n");
}

TEST(HttpServer, RefusesMalformedAndOversizedHeads) {
  auto server = echo_server();
  EXPECT_EQ(exchange(server->port(), "nonsense\r\n\r\n").substr(0, 24), "HTTP/1.1 400 Bad Request");
  const std::string huge = "GET /metrics HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n";
  EXPECT_EQ(exchange(server->port(), huge).substr(0, 12), "HTTP/1.1 431");
}

TEST(HttpServer, DropsIdlePeersAtTheRequestDeadline) {
  HttpServerLimits limits;
  limits.request_timeout = std::chrono::milliseconds(200);
  limits.max_connections = 2;
  auto server = echo_server(limits);
  const auto start = Clock::now();
  const int idle = connect_to(server->port());
  const int slow = connect_to(server->port());
  ASSERT_EQ(send(slow, "GET /", 5, MSG_NOSIGNAL), 5);
  // Both slots are held; a third peer waits in the backlog until the deadline frees them.
  EXPECT_EQ(exchange(server->port(), "GET /x HTTP/1.1\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_EQ(read_all(idle), "");
  EXPECT_EQ(read_all(slow), "");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  close(idle);
  close(slow);
}

TEST(HttpServer, SaysWhyAnAddressCannotBeBound) {
  auto first = echo_server();
  std::string error;
  auto second = HttpServer::start(
      "127.0.0.1:" + std::to_string(first->port()),
      [](const HttpRequest &) { return HttpResponse{}; }, {}, &error);
  EXPECT_FALSE(second);
  EXPECT_EQ(error, "Address already in use");
  EXPECT_FALSE(HttpServer::start("127.0.0.1:notaport", {}, {}, &error));
  EXPECT_EQ(error.substr(0, 12), "bad address:");
}

TEST(FolderScrape, RoutesAndNegotiates) {
  testing::TempDir folder;
  FolderScrape scrape(folder.path(), FormatPreference::kAuto);
  HttpRequest request;
  request.method = "GET";
  request.path = "/other";
  EXPECT_EQ(scrape.respond(request).status, 404);
  request.path = "/metrics";
  request.method = "POST";
  const HttpResponse refused = scrape.respond(request);
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(refused.headers.back(), (std::pair<std::string, std::string>("Allow", "GET, HEAD")));
  request.method = "GET";
  HttpResponse plain = scrape.respond(request);
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.body, "");
  EXPECT_EQ(plain.headers.front().second, "text/plain; version=0.0.4; charset=utf-8");
  request.headers = {{"accept", "application/openmetrics-text; version=1.0.0"},
                     {"accept-encoding", "gzip;q=0"}};
  HttpResponse openmetrics = scrape.respond(request);
  EXPECT_EQ(openmetrics.body, "# EOF\n");
  EXPECT_EQ(openmetrics.headers.front().second,
            "application/openmetrics-text; version=1.0.0; charset=utf-8");
  for (const auto &header : openmetrics.headers) EXPECT_NE(header.first, "Content-Encoding");
  request.headers = {{"accept-encoding", "gzip"}};
  HttpResponse gzipped = scrape.respond(request);
  EXPECT_EQ(gzipped.body.substr(0, 2), "\x1f\x8b");
  EXPECT_EQ(gzipped.headers[1], (std::pair<std::string, std::string>("Content-Encoding", "gzip")));
}

}  // namespace
}  // namespace npuprobe::store
