// Why civetweb could not listen: prometheus-cpp only says "null context when constructing
// CivetServer", and civetweb's own reason goes to a log callback prometheus-cpp does not set. So
// the address is bound once more the way civetweb binds it (SO_REUSEADDR, then listen), and the
// errno of that attempt names the reason ("Address already in use", "Permission denied").
#include "bind_diagnosis.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace npuprobe::store {
namespace {

// civetweb's "listening_ports" value: "PORT", "HOST:PORT" or "[V6]:PORT" (no 's'/'r' suffix
// here: npuprobe validates the address before it gets this far).
bool split_listen(const std::string &listen, std::string *host, std::string *port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    *host = "";
    *port = listen;
  } else {
    *host = listen.substr(0, colon);
    *port = listen.substr(colon + 1);
  }
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  return !port->empty();
}

}  // namespace

std::string bind_diagnosis(const std::string &listen) {
  std::string host, port;
  if (!split_listen(listen, &host, &port)) return "not a HOST:PORT address";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo *found = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) return std::string("bad address: ") + gai_strerror(rc);
  std::string reason = "civetweb refused it (the address binds now: try again)";
  for (addrinfo *a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      reason = std::strerror(errno);
      continue;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const bool bound = bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1) == 0;
    if (!bound) reason = std::strerror(errno);
    close(fd);
    if (!bound) break;
  }
  freeaddrinfo(found);
  return reason;
}

}  // namespace npuprobe::store
