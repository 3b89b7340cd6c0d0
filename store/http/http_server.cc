// One thread polls the listening socket and every connection; nothing blocks it but the
// handler. A peer holds no thread, only a slot among max_connections, and every slot has a
// deadline (http_connection.cc): so idle and slowloris peers are dropped on time and never keep
// a scraper from being accepted.
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

#include "http_connection.h"
#include "npuprobe/store/listen_socket.h"

namespace npuprobe::store {
namespace {

using Clock = HttpConnection::Clock;

class Loop {
 public:
  Loop(int listen_fd, int wake_fd, const HttpHandler &handler, const HttpServerLimits &limits)
      : listen_fd_(listen_fd), wake_fd_(wake_fd), handler_(handler), limits_(limits) {}

  void run() {
    std::vector<pollfd> fds;
    while (true) {
      const Clock::time_point now = Clock::now();
      drop_expired(now);
      const bool accepting = static_cast<int>(connections_.size()) < limits_.max_connections &&
                             now >= accept_paused_until_;
      fds.assign({{wake_fd_, POLLIN, 0}, {accepting ? listen_fd_ : -1, POLLIN, 0}});
      for (const HttpConnection &c : connections_) fds.push_back({c.fd(), c.poll_events(), 0});
      if (poll(fds.data(), fds.size(), timeout_ms(now)) < 0) continue;  // EINTR
      if (fds[0].revents != 0) return;  // the destructor asks to stop
      for (std::size_t i = 0; i < connections_.size(); ++i) {
        if (fds[i + 2].revents != 0) connections_[i].advance(handler_, limits_);
      }
      forget_closed();
      if (fds[1].revents != 0) accept_all();
    }
  }

 private:
  void drop_expired(Clock::time_point now) {
    for (HttpConnection &c : connections_) {
      if (now >= c.deadline()) c.close_now();
    }
    forget_closed();
  }

  void forget_closed() {
    connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                      [](const HttpConnection &c) { return c.closed(); }),
                       connections_.end());
  }

  // Until the nearest deadline (rounded up, so that the next turn finds it passed).
  int timeout_ms(Clock::time_point now) const {
    Clock::time_point next = Clock::time_point::max();
    for (const HttpConnection &c : connections_) next = std::min(next, c.deadline());
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
      connections_.emplace_back(fd, limits_);
    }
  }

  const int listen_fd_;
  const int wake_fd_;
  const HttpHandler &handler_;
  const HttpServerLimits &limits_;
  std::vector<HttpConnection> connections_;
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
