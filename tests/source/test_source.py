"""Rules of the source tree that a compiler does not check (src/README.md).

- Layers: a file in src/FOLDER/ includes only the folders FOLDER's row of the table in
  src/README.md allows (tests, *_test.cc, may include anything).
- Size: no function is longer than MAX_LINES lines. Tables (an array or a brace list at
  namespace scope) are not functions and are not counted.
"""

import os
import re
import unittest

ROOT = os.environ.get("PGREPLICA_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SRC = os.path.join(ROOT, "src")
MAX_LINES = 80

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)


def layer_table():
    """{folder: set of folders it may include} from src/README.md."""
    rules = {}
    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 3 or not re.fullmatch(r"`[a-z_]+`", cells[0]):
                continue
            folder = cells[0].strip("`")
            if cells[2] == "every folder above":
                allowed = set(rules)
            else:
                allowed = set(re.findall(r"`([a-z_]+)`", cells[2]))
            rules[folder] = allowed
    return rules


def sources(folder=None):
    for d in sorted(os.listdir(SRC)):
        path = os.path.join(SRC, d)
        if not os.path.isdir(path) or (folder and d != folder):
            continue
        for name in sorted(os.listdir(path)):
            if name.endswith((".cc", ".h")):
                yield d, name, os.path.join(path, name)


# A function definition starts at column 0 (namespace scope, as clang-format lays it out)
# with a parameter list; its body ends at the first line that is exactly "}".
SIGNATURE_START = re.compile(r"^(?!namespace\b|struct\b|class\b|enum\b|union\b|extern\b|using\b|template\b|#|//)[A-Za-z_].*\(")


RAW_STRING = re.compile(r'R"([^(\s]*)\((.*?)\)\1"', re.S)


def without_raw_strings(text):
    """text with the inside of every raw string literal blanked, lines kept: a script or a
    template in a string constant is a table, not code."""
    return RAW_STRING.sub(lambda m: 'R""' + "\n" * m.group(0).count("\n"), text)


def long_functions(text, limit):
    """[(first line number, length, signature)] of functions longer than limit."""
    lines = without_raw_strings(text).split("\n")
    found = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if SIGNATURE_START.match(line) and not line.rstrip().endswith(";"):
            # Where the signature ends: a line ending in "{" (a definition), ";" (a declaration)
            # or "}" (a definition on one line).
            j = i
            while j < len(lines) and not re.search(r"[{;}]\s*$", lines[j]):
                j += 1
            if j < len(lines) and lines[j].rstrip().endswith("{") and "=" not in lines[j].split("(")[0]:
                end = j
                while end < len(lines) and lines[end] != "}":
                    end += 1
                length = end - i + 1
                if length > limit:
                    found.append((i + 1, length, line.strip()[:80]))
                i = end + 1
                continue
        i += 1
    return found


class SourceTreeTest(unittest.TestCase):
    def test_every_folder_has_a_row(self):
        rules = layer_table()
        folders = {d for d in os.listdir(SRC) if os.path.isdir(os.path.join(SRC, d))}
        self.assertEqual(sorted(folders - set(rules)), [], "folders missing from src/README.md's table")
        self.assertEqual(sorted(set(rules) - folders), [], "rows of src/README.md's table without a folder")

    def test_layers(self):
        rules = layer_table()
        bad = []
        for folder, name, path in sources():
            if name.endswith("_test.cc"):
                continue
            with open(path, encoding="utf-8") as f:
                for inc in INCLUDE.findall(f.read()):
                    if inc != folder and inc in rules and inc not in rules[folder]:
                        bad.append(f"src/{folder}/{name} includes {inc}/ (src/README.md allows: "
                                   f"{', '.join(sorted(rules[folder])) or 'nothing'})")
        self.assertEqual(bad, [])

    def test_no_long_functions(self):
        bad = []
        for folder, name, path in sources():
            if name.endswith("_test.cc"):
                continue
            with open(path, encoding="utf-8") as f:
                for line, length, sig in long_functions(f.read(), MAX_LINES):
                    bad.append(f"src/{folder}/{name}:{line}: {length} lines: {sig}")
        self.assertEqual(bad, [], f"functions longer than {MAX_LINES} lines; split them into named steps")

    def test_the_length_check_finds_a_long_function(self):
        body = "\n".join(f"  x += {i};" for i in range(MAX_LINES))
        text = f"int Long(int x,\n         int y) {{\n{body}\n  return x;\n}}\n\nint Short() {{\n  return 1;\n}}\n"
        found = long_functions(text, MAX_LINES)
        self.assertEqual([(f[0], f[2]) for f in found], [(1, "int Long(int x,")])
        script = 'constexpr const char* kScript = R"sh(\nf() {\n' + "\n".join("  :" for _ in range(100)) + '\n}\n)sh";\n'
        self.assertEqual(long_functions(script, MAX_LINES), [])
        self.assertEqual(long_functions(script + text, MAX_LINES)[0][0], len(script.split("\n")))
        table = "const std::vector<Key> kKeys = {\n" + "\n".join(f'  {{"k{i}"}},' for i in range(100)) + "\n};\n"
        self.assertEqual(long_functions(table, MAX_LINES), [])

    def test_the_layer_check_reads_the_table(self):
        rules = layer_table()
        self.assertEqual(rules["common"], set())
        self.assertIn("clone", rules["cli"])
        self.assertNotIn("clone", rules["local"])


if __name__ == "__main__":
    unittest.main()
