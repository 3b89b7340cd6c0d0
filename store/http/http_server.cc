// One thread polls the listening socket and every connection; nothing blocks it but the
// handler. A peer holds no thread, only a slot among max_connections, and every slot has a
// deadline: the head must arrive within request_timeout of the accept (measured from the accept,
// so one byte a second does not extend it), the answer must be taken within response_timeout,
// and a peer that does not close after the answer is closed linger_timeout later. So idle and
// slowloris peers are dropped on time and never keep a scraper from being accepted.
//
// One request per connection ("Connection: close"): keep-alive would let an idle client keep
// its slot, and a scrape every few seconds gains nothing from it. After the answer the write
// side is shut down and what the peer still sends is read and dropped until it closes: closing
// with unread input would reset the connection and could destroy the answer in flight.
#include "npuprobe/store/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "npuprobe/store/listen_socket.h"

namespace npuprobe::store {
namespace {

using Clock = std::chrono::steady_clock;

enum class Phase { kReading, kWriting, kLingering };

struct Connection {
  int fd = -1;
  Phase phase = Phase::kReading;
  std::string in;
  std::string out;
  std::size_t sent = 0;
  Clock::time_point deadline;
};

// The answer to a complete head, framed.
std::string answer(const std::string &head, const HttpHandler &handler) {
  ParsedRequest parsed = parse_request_head(head);
  if (!parsed.request)
    return serialize_response(error_response(parsed.status, parsed.reason), false);
  HttpResponse response;
  try {
    response = handler(*parsed.request);
  } catch (const std::exception &e) {  // a failed scrape must not stop the server
    response = error_response(500, e.what());
  }
  return serialize_response(response, parsed.request->method == "HEAD");
}

class Loop {
 public:
  Loop(int listen_fd, int wake_fd, const HttpHandler &handler, const HttpServerLimits &limits)
      : listen_fd_(listen_fd), wake_fd_(wake_fd), handler_(handler), limits_(limits) {}

  ~Loop() {
    for (const Connection &c : connections_) close(c.fd);
  }

  void run() {
    std::vector<pollfd> fds;
    while (true) {
      const Clock::time_point now = Clock::now();
      drop_expired(now);
      const bool accepting = static_cast<int>(connections_.size()) < limits_.max_connections &&
                             now >= accept_paused_until_;
      fds.assign({{wake_fd_, POLLIN, 0}, {accepting ? listen_fd_ : -1, POLLIN, 0}});
      for (const Connection &c : connections_)
        fds.push_back({c.fd, static_cast<short>(c.phase == Phase::kWriting ? POLLOUT : POLLIN), 0});
      if (poll(fds.data(), fds.size(), timeout_ms(now)) < 0) continue;  // EINTR
      if (fds[0].revents != 0) return;  // the destructor asks to stop
      for (std::size_t i = 0; i < connections_.size(); ++i) {
        if (fds[i + 2].revents != 0) serve(connections_[i]);
      }
      connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                        [](const Connection &c) { return c.fd < 0; }),
                         connections_.end());
      if (fds[1].revents != 0) accept_all();
    }
  }

 private:
  void drop_expired(Clock::time_point now) {
    for (Connection &c : connections_) {
      if (now >= c.deadline) closed(c);
    }
    connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                      [](const Connection &c) { return c.fd < 0; }),
                       connections_.end());
  }

  // Until the nearest deadline (rounded up, so that the next turn finds it passed).
  int timeout_ms(Clock::time_point now) const {
    Clock::time_point next = Clock::time_point::max();
    for (const Connection &c : connections_) next = std::min(next, c.deadline);
    if (now < accept_paused_until_) next = std::min(next, accept_paused_until_);
    if (next == Clock::time_point::max()) return -1;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now);
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(wait.count() + 1, 0));
  }

  void accept_all() {
    while (static_cast<int>(connections_.size()) < limits_.max_connections) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        // EMFILE and the like leave the socket readable: wait a little instead of spinning.
        if (errno != EAGAIN && errno != EWOULDBLOCK)
          accept_paused_until_ = Clock::now() + std::chrono::milliseconds(100);
        return;
      }
      Connection c;
      c.fd = fd;
      c.deadline = Clock::now() + limits_.request_timeout;
      connections_.push_back(std::move(c));
    }
  }

  void serve(Connection &c) {
    switch (c.phase) {
      case Phase::kReading:
        return read_head(c);
      case Phase::kWriting:
        return write_answer(c);
      case Phase::kLingering:
        return drain(c);
    }
  }

  void read_head(Connection &c) {
    char buffer[4096];
    while (true) {
      const ssize_t got = recv(c.fd, buffer, sizeof buffer, 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        return closed(c);  // the peer left before asking
      if (got < 0) {
        if (errno == EINTR) continue;
        return;  // all read; the head is not complete yet
      }
      c.in.append(buffer, static_cast<std::size_t>(got));
      const std::size_t end = request_head_end(c.in);
      if (end > kMaxRequestHeadBytes || (end == 0 && c.in.size() > kMaxRequestHeadBytes)) {
        return respond(c,
                       serialize_response(
                           error_response(431, "the request head is limited to " +
                                                   std::to_string(kMaxRequestHeadBytes) + " bytes"),
                           false));
      }
      if (end != 0) return respond(c, answer(c.in.substr(0, end), handler_));
    }
  }

  void respond(Connection &c, std::string out) {
    c.in.clear();
    c.out = std::move(out);
    c.phase = Phase::kWriting;
    c.deadline = Clock::now() + limits_.response_timeout;
    write_answer(c);
  }

  void write_answer(Connection &c) {
    while (c.sent < c.out.size()) {
      const ssize_t put =
          send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // poll for POLLOUT
      if (put < 0) return closed(c);
      c.sent += static_cast<std::size_t>(put);
    }
    shutdown(c.fd, SHUT_WR);
    c.out = std::string();
    c.phase = Phase::kLingering;
    c.deadline = Clock::now() + limits_.linger_timeout;
  }

  void drain(Connection &c) {
    char buffer[4096];
    while (true) {
      const ssize_t got = recv(c.fd, buffer, sizeof buffer, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (got <= 0) return closed(c);  // the peer closed: done
    }
  }

  static void closed(Connection &c) {
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
  }

  const int listen_fd_;
  const int wake_fd_;
  const HttpHandler &handler_;
  const HttpServerLimits &limits_;
  std::vector<Connection> connections_;
  Clock::time_point accept_paused_until_;
};

}  // namespace

std::unique_ptr<HttpServer> HttpServer::start(const std::string &listen, HttpHandler handler,
                                              HttpServerLimits limits, std::string *error) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->handler_ = std::move(handler);
  server->limits_ = limits;
  server->listen_fd_ = open_listen_socket(listen, error);
  if (server->listen_fd_ < 0) return nullptr;
  server->port_ = socket_port(server->listen_fd_);
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    *error = std::strerror(errno);
    return nullptr;
  }
  server->wake_read_ = wake[0];
  server->wake_write_ = wake[1];
  // The thread starts with every signal blocked: in an instrumented process, the application's
  // handlers must never run on it (and `npuprobe serve` waits for SIGINT/SIGTERM in sigwait()).
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  try {
    server->thread_ = std::thread(&HttpServer::run, server.get());
  } catch (const std::system_error &e) {
    *error = std::string("cannot start the server thread: ") + e.what();
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (!server->thread_.joinable()) return nullptr;
  return server;
}

HttpServer::~HttpServer() {
  if (thread_.joinable()) {
    const char stop = 1;
    while (write(wake_write_, &stop, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  for (const int fd : {listen_fd_, wake_read_, wake_write_}) {
    if (fd >= 0) close(fd);
  }
}

void HttpServer::run() {
  Loop(listen_fd_, wake_read_, handler_, limits_).run();
}

}  // namespace npuprobe::store
