#pragma once
// A TCP port on 127.0.0.1 where nothing listens: bound, read back and closed again. For a
// server the test starts there, or for a connection that must be refused. Header-only, for
// the unit tests (which do not link tests/support) and the integration tests alike.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pgreplica {

inline int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  close(s);  // nothing listens there now
  return ntohs(addr.sin_port);
}

}  // namespace pgreplica
