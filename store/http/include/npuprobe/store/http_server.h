// A small HTTP/1.1 server: one poll() loop on its own thread, one request per connection
// (http_server.cc says why and how it stays bounded).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "npuprobe/store/http_request.h"
#include "npuprobe/store/http_response.h"

namespace npuprobe::store {

struct HttpServerLimits {
  // Connections open at once; while this many are open no more are accepted (they wait in the
  // kernel's backlog).
  int max_connections = 64;
  // From accept to the head's blank line, however slowly the bytes come.
  std::chrono::milliseconds request_timeout{1000};
  // From the head's end to the last byte of the answer taken by the kernel.
  std::chrono::milliseconds response_timeout{10000};
  // After the answer: how long to wait for the peer's close before closing anyway.
  std::chrono::milliseconds linger_timeout{1000};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest &)>;

class HttpServer {
 public:
  // Starts serving on `listen` (see open_listen_socket); nullptr with `error` set to the
  // kernel's reason when the address cannot be bound. `handler` runs on the server's thread,
  // one request at a time; a HEAD request's body is dropped by the server.
  static std::unique_ptr<HttpServer> start(const std::string &listen, HttpHandler handler,
                                           HttpServerLimits limits, std::string *error);
  ~HttpServer();  // stops the thread, closes every connection
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  int port() const { return port_; }

 private:
  HttpServer() = default;
  void run();

  int listen_fd_ = -1;
  int wake_read_ = -1;  // the loop polls it; the destructor writes to wake_write_
  int wake_write_ = -1;
  int port_ = -1;
  HttpHandler handler_;
  HttpServerLimits limits_;
  std::thread thread_;
};

}  // namespace npuprobe::store
