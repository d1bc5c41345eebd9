"""Rules of the source tree that a compiler does not check (src/README.md).

- Layers: a file in src/FOLDER/ includes only the folders FOLDER's row of the table in
  src/README.md allows (tests, *_test.cc, may include anything).
- Size: no function body (a function, a member function, a constructor, an operator, a
  lambda outside a function) is longer than MAX_LINES lines, from its "{" to its "}".
  Tables (brace lists) and string constants (scripts, templates) are not functions.
"""

import os
import re
import unittest

ROOT = os.environ.get("PGREPLICA_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SRC = os.path.join(ROOT, "src")
MAX_LINES = 80

INCLUDE = re.compile(r'^\s*#\s*include\s*["<](?:\.\.?/)*([a-z_]+)/[^">]+[">]', re.M)


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


LITERALS = re.compile(
    r'R"(?P<delim>[^(\s]*)\((?:.|\n)*?\)(?P=delim)"'  # raw strings: scripts, templates
    r'|"(?:\\.|[^"\\\n])*"'                          # strings
    r"|'(?:\\.|[^'\\\n])*'"                          # characters
    r"|//[^\n]*"                                      # comments
    r"|/\*(?:.|\n)*?\*/"
)


def blanked(text):
    """text with every comment and literal replaced by spaces, its newlines kept: a script or
    a template in a string constant is a table, not code."""
    return LITERALS.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


# What stands between a parameter list's ")" and a function body's "{": qualifiers, a
# trailing return type, a constructor's member initialisers.
BEFORE_BODY = re.compile(r"\)\s*(?:(?:const|noexcept|override|final|mutable)\b\s*)*"
                         r"(?:->\s*[\w:<>,\s*&]+?)?\s*$")
NOT_FUNCTIONS = {"if", "for", "while", "switch", "catch", "return", "sizeof", "decltype"}


def opens_a_function(code, brace):
    """Whether the "{" at index `brace` of blanked code starts the body of a function, a member
    function, a constructor or a lambda (not a block of if/for/while/switch, not a brace list)."""
    before = code[max(0, brace - 400):brace]
    m = BEFORE_BODY.search(before)
    if not m:
        return False
    # The "(" that matches the ")" and the word before it.
    i = brace - (len(before) - m.start()) - 1 + 1  # index of ")" in code
    depth = 0
    while i >= 0:
        if code[i] == ")":
            depth += 1
        elif code[i] == "(":
            depth -= 1
            if depth == 0:
                break
        i -= 1
    word = re.search(r"(operator\s*\S*|[A-Za-z_]\w*|\])\s*$", code[max(0, i - 80):i])
    return bool(word) and word.group(1) not in NOT_FUNCTIONS


def long_functions(text, limit):
    """[(line of the "{", lines of the body, the line)] of the outermost function bodies (a
    lambda inside a function counts as part of it) longer than limit, from "{" to "}"."""
    code = blanked(text)
    lines = text.split("\n")
    found = []
    stack = []  # (is a function body, index) of each open "{"
    inside = 0  # open function bodies
    for i, c in enumerate(code):
        if c == "{":
            is_function = inside == 0 and opens_a_function(code, i)
            stack.append((is_function, i))
            inside += is_function
        elif c == "}" and stack:
            is_function, start = stack.pop()
            if is_function:
                inside -= 1
                first = code.count("\n", 0, start)
                length = code.count("\n", start, i) + 1
                if length > limit:
                    found.append((first + 1, length, lines[first].strip()[:80]))
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

    def test_the_length_check_finds_long_functions(self):
        body = "\n".join(f"  x += {i};  // }} {{ \"{{\"" for i in range(MAX_LINES))
        long_ones = {
            "a function": f"int Long(int x,\n         int y) {{\n{body}\n}}\n",
            "an attribute": f"[[nodiscard]] int Long() {{\n{body}\n}}\n",
            "an operator": f"bool operator==(const A& a, const A& b) {{\n{body}\n}}\n",
            "a member": f"class A {{\n public:\n  int Long() const {{\n{body}\n  }}\n}};\n",
            "a constructor": f"A::A(int x) : x_(x), y_(x) {{\n{body}\n}}\n",
            "a lambda": f"auto kLong = [](int x) -> int {{\n{body}\n}};\n",
            "a trailing return": f"auto Long() -> std::vector<int> {{\n{body}\n}}\n",
        }
        for what, text in long_ones.items():
            with self.subTest(what):
                found = long_functions("int Short() { return 1; }\n" + text, MAX_LINES)
                self.assertEqual(len(found), 1, found)

    def test_the_length_check_skips_tables_and_blocks(self):
        rows = "\n".join(f'  {{"k{i}", [](int x) {{ return x; }}}},' for i in range(100))
        not_functions = {
            "a table": f"const std::vector<Key> kKeys = {{\n{rows}\n}};\n",
            "a script": 'constexpr const char* kScript = R"sh(\nf() {\n' + "  :\n" * 100 + '}\n)sh";\n',
            "a namespace": "namespace a {\n" + "int F() { return 1; }\n" * 100 + "}\n",
        }
        for what, text in not_functions.items():
            with self.subTest(what):
                self.assertEqual(long_functions(text, MAX_LINES), [])
        # A lambda inside a function is part of the function, not one of its own.
        inner = "  auto f = [](int y) {\n" + "    y++;\n" * 90 + "    return y;\n  };\n"
        found = long_functions("int Outer() {\n" + inner + "  return 0;\n}\n", MAX_LINES)
        self.assertEqual([f[0] for f in found], [1])

    def test_the_include_check_sees_every_spelling(self):
        for line in ['#include "clone/clone.h"', "#include <clone/clone.h>",
                     '#include "../clone/clone.h"', '#  include "./clone/plan.h"']:
            with self.subTest(line):
                self.assertEqual(INCLUDE.findall(line + "\n"), ["clone"])

    def test_the_layer_check_reads_the_table(self):
        rules = layer_table()
        self.assertEqual(rules["common"], set())
        self.assertIn("clone", rules["cli"])
        self.assertNotIn("clone", rules["local"])


if __name__ == "__main__":
    unittest.main()
