"""The man pages written at build time say what the built program's --help says.

Every command --help lists has its page (pgreplica-COMMAND, a command with subcommands
documents each), with every option, its value's name and choices, and its description;
no page documents a command or an option --help does not have; man renders each page
without a warning. PGREPLICA_BINARY, PGREPLICA_MAN_DIR: another build or the installed
files.
"""

import os
import re
import shutil
import subprocess
import unittest

import helptext


def unroff(text):
    text = re.sub(r"\\f[BIRP]", "", text)
    text = text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")
    text = text.replace("\\(lq", "\u201c").replace("\\(rq", "\u201d")
    return text


def page_options(roff):
    """The .TP entries of the OPTIONS part of a page (or of one .SS command section)."""
    options = []
    lines = roff.splitlines()
    i = 0
    while i < len(lines):
        if lines[i] == ".TP" and i + 1 < len(lines):
            header = unroff(lines[i + 1])
            body = []
            j = i + 2
            while j < len(lines) and (not lines[j].startswith(".") or lines[j] == ".br"):
                body.append("\n" if lines[j] == ".br" else lines[j])
                j += 1
            options.append((header, unroff(" ".join(body))))
            i = j
        else:
            i += 1
    return options


def section(roff, start, stops):
    begin = roff.index(start)
    end = len(roff)
    for stop in stops:
        k = roff.find(stop, begin + len(start))
        if k != -1:
            end = min(end, k)
    return roff[begin:end]


def norm(s):
    return " ".join(s.split())


class ManPagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tree = helptext.command_tree()
        cls.pages = {}
        for name in os.listdir(helptext.MAN_DIR):
            if name.endswith(".1"):
                with open(os.path.join(helptext.MAN_DIR, name), encoding="utf-8") as f:
                    cls.pages[name[:-2]] = f.read()

    def test_one_page_per_command(self):
        top = self.tree[""][0]
        self.assertGreaterEqual(len(top), 8, top)
        expected = {"pgreplica"} | {"pgreplica-" + c for c in top}
        self.assertEqual(set(self.pages), expected)

    def test_every_page_has_the_sections(self):
        for name, roff in self.pages.items():
            for s in ("NAME", "SYNOPSIS", "DESCRIPTION", '"EXIT STATUS"', "ENVIRONMENT", "FILES",
                      "EXAMPLES", '"SEE ALSO"'):
                self.assertIn(f"\n.SH {s}\n", roff, f"{name} lacks {s}")

    def command_part(self, words):
        """The roff that documents one command: its page, or its section of the group's page."""
        parts = words.split(" ")
        roff = self.pages["pgreplica-" + parts[0]]
        if len(parts) == 1:
            return section(roff, "\n.SH OPTIONS\n", ["\n.SH "])
        return section(roff, f'\n.SS "pgreplica {parts[0]} {parts[1]}"\n'.replace("-", "\\-"),
                       ['\n.SS "pgreplica ', "\n.SH "])

    def test_pages_document_what_help_says(self):
        checked = 0
        for words, (subs, options) in self.tree.items():
            if not words or subs:
                continue
            with self.subTest(command=words):
                entries = page_options(self.command_part(words))
                by_flags = {}
                for header, body in entries:
                    names = [t.rstrip(",") for t in header.split(" ") if t.startswith("-")]
                    key = tuple(names) if names else (header.split(" ")[0],)
                    by_flags[key] = (header, body)
                help_keys = set()
                for opt in options:
                    key = tuple(opt.flags)
                    help_keys.add(key)
                    self.assertTrue(key in by_flags, f"{words}: {opt} is not on the page")
                    header, body = by_flags[key]
                    self.assertTrue(norm(body).startswith(norm(opt.description)),
                                    f"{words} {key}: page says {body!r}, --help {opt.description!r}")
                    if opt.type_name and not getattr(opt, "positional", False):
                        self.assertIn(" " + opt.type_name, header, f"{words} {key}")
                    if opt.choices:
                        self.assertIn("One of: " + ", ".join(opt.choices) + ".", body)
                    checked += 1
                self.assertEqual(set(by_flags), help_keys, f"{words}: page and --help differ")
        self.assertGreater(checked, 100)

    def test_names_are_the_help_descriptions(self):
        for name, desc in self.tree[""][0].items():
            roff = self.pages["pgreplica-" + name]
            name_line = section(roff, "\n.SH NAME\n", ["\n.SH "]).splitlines()[2]
            self.assertEqual(norm(unroff(name_line)), norm(f"pgreplica-{name} - {desc}"))
        main = self.pages["pgreplica"]
        for words, (subs, _) in self.tree.items():
            if words and not subs:
                self.assertIn(".B pgreplica " + words.replace("-", "\\-"), main, words)

    def test_man_renders_every_page_without_warnings(self):
        man = shutil.which("man")
        if man is None:
            self.skipTest("man is not installed (Debian package man-db)")
        for name in self.pages:
            path = os.path.join(helptext.MAN_DIR, name + ".1")
            # What lintian runs to check a page.
            r = subprocess.run([man, "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                               capture_output=True, text=True,
                               env={**os.environ, "LC_ALL": "C.UTF-8", "MANROFFSEQ": ""})
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stderr, "", f"{name}: {r.stderr}")


if __name__ == "__main__":
    unittest.main()
