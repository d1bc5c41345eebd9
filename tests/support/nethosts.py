#!/usr/bin/env python3
"""Separate network hosts on one machine, for tests and benchmarks (needs root).

Each host is a network namespace with its own address on a private /24 and its own
/etc/hosts (`ip netns exec` bind-mounts /etc/netns/NS/hosts over /etc/hosts), so a program
run in it sees the other hosts by name and by address, never the machine's own interfaces.
The hosts are joined by a bridge in a "switch" namespace; no address or interface is added
outside the namespaces this script creates.

  nethosts.py up   --prefix P --host primary --host replica1 [--rate 100mbit] [--subnet 10.77.3]
  nethosts.py exec --prefix P replica1 -- psql ...
  nethosts.py link --prefix P replica1 down|up   # cut or restore the host's cable
  nethosts.py rate --prefix P replica1 40mbit|none  # limit (or free) one host's link
  nethosts.py down --prefix P                    # remove every namespace of P (idempotent)

`up` prints a JSON object {"hosts": {name: {"netns": ..., "address": ..., "fqdn": ...}}}.
Host names get the domain "test" as an FQDN alias (primary.test) and keep dashes, so names
like db-replica-1 are tested as users have them. The same functions are importable:
up(prefix, names, rate=None, subnet=None) -> dict, down(prefix), link(prefix, name, state),
set_rate(prefix, name, rate).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

NETNS_ETC = "/etc/netns"


def _run(argv, check=True):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(argv), r.stderr.strip()))
    return r


def _ns(prefix, name):
    return "%s-%s" % (prefix, name)


def _switch(prefix):
    return "%s-sw" % prefix


def _default_subnet(prefix):
    h = hashlib.sha256(prefix.encode()).digest()
    return "10.%d.%d" % (200 + h[0] % 50, h[1])


def namespaces(prefix):
    out = _run(["ip", "netns", "list"]).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [n for n in names if n.startswith(prefix + "-")]


def down(prefix):
    for ns in namespaces(prefix):
        _run(["ip", "netns", "del", ns], check=False)
    if os.path.isdir(NETNS_ETC):
        for d in os.listdir(NETNS_ETC):
            if d.startswith(prefix + "-"):
                shutil.rmtree(os.path.join(NETNS_ETC, d), ignore_errors=True)


def _shape(ns, dev, rate):
    # tbf: a token bucket at `rate`; the burst must hold at least one timer tick of data.
    _run(["ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", dev, "root", "tbf",
          "rate", rate, "burst", "256kb", "latency", "100ms"])


def up(prefix, names, rate=None, subnet=None):
    if os.geteuid() != 0:
        raise RuntimeError("separate network hosts need root (ip netns)")
    if len(prefix) > 8:
        raise RuntimeError("prefix %r is longer than 8 characters" % prefix)
    down(prefix)
    subnet = subnet or _default_subnet(prefix)
    sw = _switch(prefix)
    hosts = {}
    try:
        _run(["ip", "netns", "add", sw])
        _run(["ip", "netns", "exec", sw, "ip", "link", "add", "br0", "type", "bridge"])
        _run(["ip", "netns", "exec", sw, "ip", "link", "set", "br0", "up"])
        for i, name in enumerate(names, start=1):
            ns = _ns(prefix, name)
            addr = "%s.%d" % (subnet, 10 + i)
            port = "p%d" % i
            _run(["ip", "netns", "add", ns])
            # Create the pair inside the switch namespace, then move one end to the host.
            _run(["ip", "netns", "exec", sw, "ip", "link", "add", port, "type", "veth", "peer",
                  "name", "eth0", "netns", ns])
            _run(["ip", "netns", "exec", sw, "ip", "link", "set", port, "master", "br0"])
            _run(["ip", "netns", "exec", sw, "ip", "link", "set", port, "up"])
            _run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
            _run(["ip", "netns", "exec", ns, "ip", "addr", "add", addr + "/24", "dev", "eth0"])
            _run(["ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up"])
            if rate:
                _shape(ns, "eth0", rate)
                _shape(sw, port, rate)
            hosts[name] = {"netns": ns, "address": addr, "fqdn": name + ".test", "port": port}
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost"]
        for name, h in hosts.items():
            lines.append("%s\t%s %s" % (h["address"], h["fqdn"], name))
        for name, h in hosts.items():
            d = os.path.join(NETNS_ETC, h["netns"])
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "hosts"), "w") as f:
                f.write("\n".join(lines) + "\n")
            with open(os.path.join(d, "hostname"), "w") as f:
                f.write(name + "\n")
    except Exception:
        down(prefix)
        raise
    return {"prefix": prefix, "subnet": subnet + ".0/24", "rate": rate, "hosts": hosts}


def _port_of(prefix, name):
    ns = _ns(prefix, name)
    if ns not in namespaces(prefix):
        raise RuntimeError("no host %r under prefix %r" % (name, prefix))
    out = _run(["ip", "netns", "exec", _switch(prefix), "ip", "-o", "link", "show",
                "master", "br0"]).stdout
    ifindex = _run(["ip", "netns", "exec", ns, "cat", "/sys/class/net/eth0/iflink"]).stdout.strip()
    for line in out.splitlines():
        idx, rest = line.split(":", 1)
        if idx.strip() == ifindex:
            return rest.split(":", 1)[0].strip().split("@")[0]
    raise RuntimeError("no switch port found for host %r" % name)


def set_rate(prefix, name, rate):
    """Limits one host's link with tbf in both directions (rate None or "none": no limit)."""
    ns = _ns(prefix, name)
    port = _port_of(prefix, name)
    for where, dev in ((ns, "eth0"), (_switch(prefix), port)):
        if rate and rate != "none":
            _shape(where, dev, rate)
        else:
            _run(["ip", "netns", "exec", where, "tc", "qdisc", "del", "dev", dev, "root"],
                 check=False)


def link(prefix, name, state):
    """Cuts (down) or restores (up) a host's cable: its switch port goes down, so packets
    to and from the host are dropped and open connections see silence, not a reset."""
    _run(["ip", "netns", "exec", _switch(prefix), "ip", "link", "set", _port_of(prefix, name),
          state])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up")
    u.add_argument("--prefix", required=True)
    u.add_argument("--host", action="append", required=True)
    u.add_argument("--rate")
    u.add_argument("--subnet")
    d = sub.add_parser("down")
    d.add_argument("--prefix", required=True)
    e = sub.add_parser("exec")
    e.add_argument("--prefix", required=True)
    e.add_argument("name")
    e.add_argument("argv", nargs=argparse.REMAINDER)
    k = sub.add_parser("link")
    k.add_argument("--prefix", required=True)
    k.add_argument("name")
    k.add_argument("state", choices=["up", "down"])
    r = sub.add_parser("rate")
    r.add_argument("--prefix", required=True)
    r.add_argument("name")
    r.add_argument("rate")
    a = ap.parse_args()
    try:
        if a.cmd == "up":
            print(json.dumps(up(a.prefix, a.host, a.rate, a.subnet), indent=2))
        elif a.cmd == "down":
            down(a.prefix)
        elif a.cmd == "link":
            link(a.prefix, a.name, a.state)
        elif a.cmd == "rate":
            set_rate(a.prefix, a.name, a.rate)
        else:
            argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
            os.execvp("ip", ["ip", "netns", "exec", _ns(a.prefix, a.name)] + argv)
    except RuntimeError as err:
        print("nethosts: error: %s" % err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
