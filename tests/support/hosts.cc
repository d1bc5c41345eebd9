#include "support/hosts.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "proc/child.h"
#include "proc/user.h"
#include "support/cluster.h"

namespace pgreplica::testing {

namespace {

constexpr const char* kPrefixStart = "mh";

std::string Script() { return std::string(PGREPLICA_SOURCE_DIR) + "/tests/support/nethosts.py"; }

// "mh" and the pid in base 36: at most 7 characters (nethosts allows 8), unique per process.
std::string PrefixFor(pid_t pid) {
  std::string digits;
  for (auto n = static_cast<unsigned long>(pid); n > 0; n /= 36)
    digits.insert(digits.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
  return kPrefixStart + digits;
}

Result<proc::RunResult> Nethosts(std::vector<std::string> args) {
  std::vector<std::string> argv = {"python3", Script()};
  argv.insert(argv.end(), args.begin(), args.end());
  return proc::Run({.argv = argv}, {.timeout = std::chrono::seconds(60)});
}

Status Checked(const Result<proc::RunResult>& r, const std::string& what) {
  if (!r) return std::unexpected(r.error());
  if (!r->status.ok())
    return Fail(ErrorKind::kChildFailed,
                fmt::format("nethosts.py {} {}", what, r->status.Describe()), r->output);
  return {};
}

}  // namespace

std::string Hosts::Unavailable() {
  if (!proc::RunningAsRoot()) return "separate network hosts need root (ip netns); not root";
  auto ip = proc::Run({.argv = {"ip", "netns", "list"}}, {.timeout = std::chrono::seconds(10)});
  if (!ip || !ip->status.ok())
    return "separate network hosts need `ip netns`, which is not available here";
  for (const char* tool : {"python3", "setpriv", "tc"}) {
    auto r = proc::Run({.argv = {"sh", "-c", "command -v \"$0\"", tool}},
                       {.timeout = std::chrono::seconds(10)});
    if (!r || !r->status.ok()) return fmt::format("separate network hosts need {}", tool);
  }
  return "";
}

Result<std::unique_ptr<Hosts>> Hosts::Up(const std::vector<std::string>& names,
                                         const std::string& rate) {
  std::unique_ptr<Hosts> h(new Hosts());
  h->prefix_ = PrefixFor(getpid());
  // Registered first: an interrupt during `up` removes what was made so far.
  h->interrupt_handle_ =
      RegisterInterruptCommand({"python3", Script(), "down", "--prefix", h->prefix_});
  std::vector<std::string> args = {"up", "--prefix", h->prefix_};
  for (const auto& n : names) {
    args.push_back("--host");
    args.push_back(n);
  }
  if (!rate.empty()) {
    args.push_back("--rate");
    args.push_back(rate);
  }
  auto r = Nethosts(args);
  if (auto ok = Checked(r, "up"); !ok) return std::unexpected(ok.error());
  // The JSON object is the whole standard output; stderr is empty on success.
  auto doc = nlohmann::json::parse(r->output, nullptr, false);
  if (doc.is_discarded() || !doc.contains("hosts"))
    return Fail(ErrorKind::kChildFailed, "nethosts.py up printed no hosts", r->output);
  for (const auto& [name, v] : doc["hosts"].items()) {
    h->hosts_[name] = Host{name, v["netns"].get<std::string>(), v["address"].get<std::string>(),
                           v["fqdn"].get<std::string>()};
  }
  return h;
}

Hosts::~Hosts() {
  (void)Nethosts({"down", "--prefix", prefix_});
  UnregisterInterruptCommand(interrupt_handle_);
}

Status Hosts::Link(const std::string& name, bool up) const {
  return Checked(Nethosts({"link", "--prefix", prefix_, name, up ? "up" : "down"}), "link");
}

Status Hosts::Rate(const std::string& name, const std::string& rate) const {
  return Checked(Nethosts({"rate", "--prefix", prefix_, name, rate}), "rate");
}

std::vector<std::string> Hosts::Exec(const std::string& name) const {
  return {"ip", "netns", "exec", hosts_.at(name).netns};
}

void Hosts::SweepStrays() {
  if (!proc::RunningAsRoot()) return;
  auto r = proc::Run({.argv = {"ip", "netns", "list"}}, {.timeout = std::chrono::seconds(10)});
  if (!r || !r->status.ok()) return;
  std::istringstream lines(r->output);
  std::string line;
  std::set<std::string> dead;
  while (std::getline(lines, line)) {
    std::string ns = line.substr(0, line.find(' '));
    auto dash = ns.find('-');
    if (ns.rfind(kPrefixStart, 0) != 0 || dash == std::string::npos) continue;
    std::string digits = ns.substr(2, dash - 2);
    if (digits.empty() ||
        digits.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") != std::string::npos)
      continue;
    pid_t pid = static_cast<pid_t>(std::strtol(digits.c_str(), nullptr, 36));
    if (pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH)
      dead.insert(ns.substr(0, dash));
  }
  for (const auto& prefix : dead) (void)Nethosts({"down", "--prefix", prefix});
}

}  // namespace pgreplica::testing
