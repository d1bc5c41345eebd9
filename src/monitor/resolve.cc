#include "monitor/resolve.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/format.h>

namespace pgreplica::monitor {

Resolution ResolveWithGetaddrinfo(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    return {.addresses = {},
            .error = fmt::format("could not translate host name \"{}\" to address: {}", host,
                                 gai_strerror(rc))};
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(list, &freeaddrinfo);
  Resolution out;
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    char buf[NI_MAXHOST];
    if (getnameinfo(a->ai_addr, a->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0)
      continue;
    if (std::find(out.addresses.begin(), out.addresses.end(), buf) == out.addresses.end())
      out.addresses.emplace_back(buf);
  }
  if (out.addresses.empty())
    out.error = fmt::format("could not translate host name \"{}\" to address", host);
  return out;
}

bool NeedsResolving(const std::string& host) {
  if (host.empty() || host.front() == '/' || host.front() == '@') return false;
  if (host.find(',') != std::string::npos) return false;
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) != 1 && inet_pton(AF_INET6, host.c_str(), buf) != 1;
}

namespace {

struct Shared {
  std::mutex mutex;
  std::condition_variable done;
  std::map<std::string, Resolution> results;
};

}  // namespace

std::map<std::string, Resolution> ResolveAll(const std::vector<ResolveRequest>& requests,
                                             const Resolver& resolver) {
  std::map<std::string, std::chrono::steady_clock::time_point> deadlines;
  for (const auto& r : requests) {
    auto [it, added] = deadlines.emplace(r.host, r.deadline);
    if (!added) it->second = std::max(it->second, r.deadline);
  }
  auto shared = std::make_shared<Shared>();
  for (const auto& [host, deadline] : deadlines) {
    std::thread([shared, resolver, host = host] {
      Resolution r = resolver(host);
      std::lock_guard lock(shared->mutex);
      shared->results.emplace(host, std::move(r));
      shared->done.notify_all();
    }).detach();
  }
  std::map<std::string, Resolution> out;
  std::unique_lock lock(shared->mutex);
  for (const auto& [host, deadline] : deadlines) {
    auto ready = [&, h = host] { return shared->results.contains(h); };
    if (shared->done.wait_until(lock, deadline, ready)) {
      out[host] = shared->results[host];
    } else {
      out[host] = {
          .addresses = {},
          .error = fmt::format("could not resolve host name \"{}\" before the timeout", host)};
    }
  }
  return out;
}

}  // namespace pgreplica::monitor
