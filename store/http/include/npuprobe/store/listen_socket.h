// The listening socket of the /metrics server (listen_socket.cc).
#pragma once

#include <string>

namespace npuprobe::store {

// Binds and listens on `listen`: "HOST:PORT", "[V6]:PORT" or "PORT" (all IPv4 addresses);
// port 0 lets the kernel pick. Returns a non-blocking, close-on-exec descriptor, or -1 with
// `reason` set to what the kernel said ("Address already in use", "Permission denied") or
// "bad address: ..." when the address does not resolve.
int open_listen_socket(const std::string &listen, std::string *reason);

// The local port of a bound socket, or -1.
int socket_port(int fd);

}  // namespace npuprobe::store
