#!/usr/bin/python3
"""Renders bench/results/*.json (FORMAT.md) into bench/README.md: the text between
`<!-- results:NAME -->` and `<!-- /results:NAME -->` is replaced by NAME.json's command, machine,
table and reading. A results file without markers in the README is reported, not lost.

Usage: tables.py [--results DIR] [--readme FILE]
"""
import argparse
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def cell(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "\\|")


def render(result):
    lines = [f"**{result['title']}**", "", "```", result["command"], "```", ""]
    if result.get("machine"):
        lines += [f"Machine: {result['machine']}", ""]
    if result.get("quick"):
        lines += ["(quick smoke run: one short repetition, not a measurement)", ""]
    columns = result["columns"]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("| " + " | ".join("---" for _ in columns) + " |")
    for row in result["rows"]:
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    if result.get("reading"):
        lines += ["", result["reading"]]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--results", default=os.path.join(HERE, "results"))
    p.add_argument("--readme", default=os.path.join(HERE, "README.md"))
    a = p.parse_args()
    with open(a.readme) as f:
        text = f.read()
    missing = []
    for path in sorted(glob.glob(os.path.join(a.results, "*.json"))):
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            result = json.load(f)
        pattern = re.compile(rf"(<!-- results:{re.escape(name)} -->\n).*?(<!-- /results:"
                             rf"{re.escape(name)} -->)", re.S)
        if not pattern.search(text):
            missing.append(name)
            continue
        text = pattern.sub(lambda m: m.group(1) + render(result) + "\n" + m.group(2), text)
    with open(a.readme, "w") as f:
        f.write(text)
    if missing:
        print("tables: no <!-- results:NAME --> section in the README for: " + ", ".join(missing),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
