"""Reading pgreplica's --help, the source the man pages and the completion are written from."""

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("PGREPLICA_BINARY", os.path.join(ROOT, "build", "pgreplica"))
MAN_DIR = os.environ.get("PGREPLICA_MAN_DIR", os.path.join(ROOT, "build", "man"))
COMPLETION = os.environ.get("PGREPLICA_COMPLETION",
                            os.path.join(ROOT, "build", "completion", "pgreplica"))


def run_help(words):
    out = subprocess.run([BINARY, *words, "--help"], capture_output=True, text=True, check=True)
    return out.stdout


class Option:
    def __init__(self, flags, type_name, description):
        self.flags = flags            # ["-c", "--config"], or ["id"] for a positional
        self.type_name = type_name    # "FILE", "FORMAT", "" for a flag
        self.choices = []             # from "FORMAT:{text,json}"
        m = re.match(r"^([^:]*):\{(.*)\}$", type_name)
        if m:
            self.type_name, self.choices = m.group(1), m.group(2).split(",")
        self.description = description

    def __repr__(self):
        return f"Option({self.flags}, {self.type_name!r}, {self.description!r})"


def parse_help(text):
    """Returns (subcommands {name: description}, options [Option]) of one --help output."""
    subs, options = {}, []
    section = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if re.match(r"^\S.*:$", line):
            section = line[:-1]
            continue
        if section is None or not line.startswith("  ") or line.startswith("   " * 10):
            continue
        m = re.match(r"^  (\S.*?)(?:\s{2,}(.*))?$", line)
        if not m:
            continue
        name, desc = m.group(1), m.group(2)
        if desc is None and i < len(lines) and re.match(r"^ {20,}\S", lines[i]):
            desc = lines[i].strip()
            i += 1
        if section == "Subcommands":
            subs[name] = desc or ""
            continue
        if section == "Positionals":
            parts = name.split(" ")
            opt = Option([parts[0]], "", desc or "")
            opt.positional = True
            options.append(opt)
            continue
        head, _, type_name = name.partition(" ")
        type_name = type_name.replace(" ...", "").strip()
        opt = Option(head.split(","), type_name, desc or "")
        opt.positional = False
        options.append(opt)
    return subs, options


def command_tree():
    """{"": (subs, options), "status": ..., "jobs show": ...} for every command --help lists."""
    tree = {}

    def walk(words):
        subs, options = parse_help(run_help(words))
        tree[" ".join(words)] = (subs, options)
        for name in subs:
            walk(words + [name])

    walk([])
    return tree
