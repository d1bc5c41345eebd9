#!/usr/bin/python3
"""Replace one generated section of docs/benchmarks.md.

Each benchmark owns the text between `<!-- BEGIN name -->` and
`<!-- END name -->`; everything outside the markers is written by hand and
kept. A missing section is appended.

    bench/docsection.py docs/benchmarks.md status < section.md
"""
import sys


def replace_section(path, name, body):
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        text = "# Benchmarks\n"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: bench/docsection.py FILE SECTION < text")
    replace_section(sys.argv[1], sys.argv[2], sys.stdin.read())
