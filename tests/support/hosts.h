#pragma once
// Separate network hosts on one machine for integration tests: a network namespace per host,
// each with its own address and name, joined by a bridge (tests/support/nethosts.py does the
// work). Programs run in a host see the others by name through its /etc/hosts
// (`ip netns exec` bind-mounts /etc/netns/NS/hosts). The namespaces are removed by the
// destructor, by the interrupt cleanup, and by the next test binary if this one was killed.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace pgreplica::testing {

struct Host {
  std::string name;     // as given: "primary", "db-replica-1"
  std::string netns;    // "<prefix>-<name>"
  std::string address;  // 10.x.y.(10 + index)
  std::string fqdn;     // name + ".test"
};

class Hosts {
 public:
  // Why separate hosts cannot be made here ("" when they can): not root, no `ip netns`,
  // no python3. Tests skip with this reason.
  static std::string Unavailable();
  // Creates the hosts; `rate` ("80mbit") limits every host's link with tbf in both
  // directions (empty: no limit).
  static Result<std::unique_ptr<Hosts>> Up(const std::vector<std::string>& names,
                                           const std::string& rate = "");
  ~Hosts();
  Hosts(const Hosts&) = delete;
  Hosts& operator=(const Hosts&) = delete;

  const Host& operator[](const std::string& name) const { return hosts_.at(name); }
  const std::string& prefix() const { return prefix_; }
  // Cuts (false) or restores (true) the host's cable: packets are dropped silently, so open
  // connections see silence, not a reset.
  Status Link(const std::string& name, bool up) const;
  // Limits the host's link with tbf in both directions ("30mbit"; "none" removes the limit).
  Status Rate(const std::string& name, const std::string& rate) const;
  // The argv prefix that runs a program as root inside the host ("ip netns exec NS").
  std::vector<std::string> Exec(const std::string& name) const;

  // Removes the namespaces of test processes that no longer exist (a killed earlier run).
  static void SweepStrays();

 private:
  Hosts() = default;
  std::string prefix_;
  std::map<std::string, Host> hosts_;
  int interrupt_handle_ = -1;
};

}  // namespace pgreplica::testing
