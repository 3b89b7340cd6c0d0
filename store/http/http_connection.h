// One connection of the /metrics server, from accept to close (http_connection.cc).
#pragma once

#include <chrono>
#include <string>

#include "npuprobe/store/http_server.h"

namespace npuprobe::store {

class HttpConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // A freshly accepted, non-blocking socket; its head must arrive by now + request_timeout.
  HttpConnection(int fd, const HttpServerLimits &limits);
  HttpConnection(HttpConnection &&other) noexcept;
  HttpConnection &operator=(HttpConnection &&other) noexcept;
  ~HttpConnection();  // closes the socket

  int fd() const { return fd_; }
  bool closed() const { return fd_ < 0; }
  Clock::time_point deadline() const { return deadline_; }
  // What poll() should wait for: POLLIN while reading or lingering, POLLOUT while writing.
  short poll_events() const;

  // Goes as far as the socket allows without blocking, after poll() said it is ready: reads
  // the head and answers it through `handler`, writes the answer, drains until the peer closes.
  void advance(const HttpHandler &handler, const HttpServerLimits &limits);
  void close_now();

 private:
  enum class Phase { kReading, kWriting, kLingering };

  void read_head(const HttpHandler &handler, const HttpServerLimits &limits);
  void respond(std::string out, std::string body, const HttpServerLimits &limits);
  void write_answer(const HttpServerLimits &limits);
  void drain();

  int fd_;
  Phase phase_ = Phase::kReading;
  std::string in_;
  std::string out_;   // the answer's head (or a whole error answer)
  std::string body_;  // then its body
  std::size_t sent_ = 0;
  Clock::time_point deadline_;
};

}  // namespace npuprobe::store
