// SO_REUSEADDR as civetweb (the server before this one) set it: a restarted `npuprobe serve`
// binds at once although the last one's connections linger in TIME_WAIT, and an instrumented
// process takes the address over as soon as the one serving it exits. It never lets two
// listeners share a port: a second listen() on a listening port fails with EADDRINUSE.
#include "npuprobe/store/listen_socket.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace npuprobe::store {
namespace {

void split_listen(const std::string &listen, std::string *host, std::string *port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || listen.back() == ']') {
    *host = "";
    *port = listen;
  } else {
    *host = listen.substr(0, colon);
    *port = listen.substr(colon + 1);
  }
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
}

}  // namespace

int open_listen_socket(const std::string &listen, std::string *reason) {
  std::string host, port;
  split_listen(listen, &host, &port);
  if (port.empty()) return *reason = "not a HOST:PORT address", -1;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (host.empty()) hints.ai_family = AF_INET;  // "PORT" alone: every IPv4 address
  addrinfo *found = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) return *reason = std::string("bad address: ") + gai_strerror(rc), -1;
  // The first address the host has a socket for is the one: a refusal to bind it is the answer,
  // not a reason to serve on another address the caller did not ask for.
  int fd = -1;
  for (addrinfo *a = found; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      *reason = std::strerror(errno);
      continue;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
      *reason = std::strerror(errno);
      close(fd);
      fd = -1;
    }
    break;
  }
  freeaddrinfo(found);
  return fd;
}

int socket_port(int fd) {
  sockaddr_storage address{};
  socklen_t size = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size) != 0) return -1;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in &>(address).sin_port);
  if (address.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6 &>(address).sin6_port);
  return -1;
}

}  // namespace npuprobe::store
