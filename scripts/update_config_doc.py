#!/usr/bin/env python3
"""Replaces the tables of config keys in docs/configuration.md with the ones the code declares.

Usage: irpo run --print-keys | python3 scripts/update_config_doc.py [docs/configuration.md]

Each table on the page follows a marker line `<!-- config keys: SECTION -->`; this script
replaces the table after every marker with the table `irpo run --print-keys` prints after the same
marker, and leaves the prose alone. A marker the code no longer prints is an error (remove it or
its section by hand), as is a printed table without a marker on the page (add the marker where the
table belongs). `ConfigurationDocTests` checks the result.
"""
import sys


def tables(text):
    """Marker line -> list of table lines, from `irpo run --print-keys` output."""
    result, marker = {}, None
    for line in text.splitlines():
        if line.startswith("<!-- config keys: "):
            marker = line
            result[marker] = []
        elif line.startswith("|") and marker:
            result[marker].append(line)
    return result


def main():
    page = sys.argv[1] if len(sys.argv) > 1 else "docs/configuration.md"
    generated = tables(sys.stdin.read())
    if not generated:
        sys.exit("no tables on standard input; pipe `irpo run --print-keys` into this script")
    lines = open(page, encoding="utf-8").read().split("\n")
    out, seen, i = [], [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if line.startswith("<!-- config keys: "):
            if line not in generated:
                sys.exit(f"{page}: {line} names no section the code prints; remove it")
            seen.append(line)
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            out.extend(generated[line])
    missing = [m for m in generated if m not in seen]
    if missing:
        sys.exit(f"{page} has no place for: {', '.join(missing)}; add each marker line where its table belongs")
    open(page, "w", encoding="utf-8").write("\n".join(out))


if __name__ == "__main__":
    main()
