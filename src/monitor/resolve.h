#pragma once
// Resolves the host names of an inventory concurrently, each under its own
// deadline. libpq's PQconnectStart resolves a host name synchronously, so
// without this one slow or hanging DNS lookup would hold up every node, with
// no timeout at all.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace pgreplica::monitor {

struct Resolution {
  std::vector<std::string> addresses;  // numeric, in the resolver's order; empty on error
  std::string error;                   // empty on success
};

using Resolver = std::function<Resolution(const std::string& host)>;

// getaddrinfo (TCP, IPv4 and IPv6), every distinct address as a numeric string.
Resolution ResolveWithGetaddrinfo(const std::string& host);

// True for a name that needs a DNS (or hosts file) lookup: not empty, not a
// socket directory, not a numeric address, not a libpq host list.
bool NeedsResolving(const std::string& host);

struct ResolveRequest {
  std::string host;
  std::chrono::steady_clock::time_point deadline;
};

// Resolves every distinct host in `requests` on a thread of its own and
// waits for each until its deadline (the latest one when a host repeats). A
// host not resolved in time gets an error. A lookup cannot be cancelled: its
// thread is detached, owns what it writes, and ends when the resolver
// returns; nobody waits for it.
std::map<std::string, Resolution> ResolveAll(const std::vector<ResolveRequest>& requests,
                                             const Resolver& resolver = ResolveWithGetaddrinfo);

}  // namespace pgreplica::monitor
