#!/usr/bin/python3
"""The regression gate of scripts/run-bench: compares each guarded figure of a new run with the
same figure of a baseline (the results committed before the run) and fails when one got worse
by more than its noise.

    bench/regressions.py BASELINE_DIR NEW_DIR

A figure's noise is the larger of its spread in the two runs (the interquartile range, or the
coefficient of variation for Google Benchmark rows), never less than NOISE_FLOOR of its value
(two runs on one machine drift by that much even when nothing changed); instruction counts
(callgrind) do not drift, so they get 1 %. A row present in only one run is skipped, and so is
a table whose baseline is a quick run (quick results are never committed) or from another
machine (the figures are bounds for one machine, bench/README.md). Exit 1 when anything
regressed, 0 otherwise. Standard library only.
"""
import json
import os
import re
import sys

NOISE_FLOOR = 0.05

# file -> (key columns, [(value column, spread column or None, "lower"/"higher" is better)])
GUARDED = {
    "per_call.json": (["api", "threads", "variant"],
                      [("ns per call (median)", "spread (IQR)", "lower")]),
    "attribution_per_call.json": (["api", "threads", "setting"],
                                  [("ns per call (median)", "spread (IQR)", "lower")]),
    "dlsym.json": (["lookup"], [("npuprobe ns (median)", "npuprobe IQR", "lower")]),
    "callgrind.json": (["api", "variant"], [("instructions per call", None, "lower")]),
    "macro.json": (["workload"],
                   [("overhead % (median of pairs)", "spread of overhead %", "lower")]),
    "collection.json": (["files written by", "prometheus_client", "processes"],
                        [("npuprobe dump ms (median)", None, "lower"),
                         ("serve steady scrape ms (median)", None, "lower")]),
    "publication_flush.json": (["label sets", "entries", "threads that recorded"],
                               [("us per flush (median)", "spread (us)", "lower")]),
    "publication_rss.json": (["measure"], [("added (KiB, median)", "spread of added (KiB)",
                                            "lower")]),
    "publication_bytes.json": (["settings"], [("bytes in use", None, "lower")]),
    "store_record.json": (["benchmark"], [("CPU (median)", "spread (cv of CPU)", "lower")]),
    "mspti_record.json": (["benchmark"], [("CPU (median)", "spread (cv of CPU)", "lower")]),
    "attribution.json": (["benchmark"], [("CPU (median)", "spread (cv of CPU)", "lower")]),
}
UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def number(cell):
    """A figure as a float: 12.3, "90.9 ns" (in seconds), or None."""
    if isinstance(cell, (int, float)):
        return float(cell)
    match = re.fullmatch(r"\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*(ns|us|ms|s)?\s*", str(cell))
    if not match:
        return None
    return float(match.group(1)) * UNITS.get(match.group(2), 1.0)


def spread_width(cell, value):
    """The width of a spread cell: "IQR a..b", "a..b", "min..max a..b" or "c %" (a cv)."""
    if cell is None:
        return 0.0
    text = str(cell)
    cv = re.fullmatch(r"\s*([\d.]+)\s*%\s*", text)
    if cv:
        return float(cv.group(1)) / 100 * abs(value)
    ends = re.findall(r"-?[\d.]+(?:e[+-]?\d+)?", text)
    if len(ends) >= 2:
        return abs(float(ends[-1]) - float(ends[-2]))
    return 0.0


def machine_of(result):
    # The CPU model and core count only: the load average differs from run to run.
    return re.split(r",\s*Linux|,\s*\d+\.\d+\.", result.get("machine", ""))[0]


def compare(name, baseline, new):
    keys, figures = GUARDED[name]
    columns_old, columns_new = baseline["columns"], new["columns"]
    if not all(k in columns_old and k in columns_new for k in keys):
        return [], "%s: the key columns changed; not compared" % name
    if baseline.get("quick") or new.get("quick"):
        return [], "%s: a quick run; not compared" % name
    if machine_of(baseline) != machine_of(new):
        return [], "%s: another machine (%s); not compared" % (name, machine_of(baseline))

    def rows(result, columns):
        at = [columns.index(k) for k in keys]
        return {tuple(row[i] for i in at): row for row in result["rows"]}

    old_rows, new_rows = rows(baseline, columns_old), rows(new, columns_new)
    found = []
    for key, row in new_rows.items():
        if key not in old_rows:
            continue
        for value_column, spread_column, better in figures:
            if value_column not in columns_old or value_column not in columns_new:
                continue
            old = number(old_rows[key][columns_old.index(value_column)])
            now = number(row[columns_new.index(value_column)])
            if old is None or now is None:
                continue
            noise = max(NOISE_FLOOR * abs(old), 0.0)
            if value_column == "instructions per call":
                noise = 0.01 * abs(old)
            if spread_column and spread_column in columns_old and spread_column in columns_new:
                noise = max(noise, spread_width(old_rows[key][columns_old.index(spread_column)],
                                                old),
                            spread_width(row[columns_new.index(spread_column)], now))
            worse = now - old if better == "lower" else old - now
            if worse > noise:
                found.append("%s: %s, %s: %s -> %s (worse by %.3g, noise %.3g)" % (
                    name, " / ".join(str(k) for k in key), value_column, old, now, worse, noise))
    return found, None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench/regressions.py BASELINE_DIR NEW_DIR")
    baseline_dir, new_dir = sys.argv[1:]
    regressions = []
    for name in sorted(GUARDED):
        old_path, new_path = os.path.join(baseline_dir, name), os.path.join(new_dir, name)
        if not (os.path.exists(old_path) and os.path.exists(new_path)):
            continue
        with open(old_path) as f:
            baseline = json.load(f)
        with open(new_path) as f:
            new = json.load(f)
        found, note = compare(name, baseline, new)
        if note:
            print("regressions: " + note)
        regressions += found
    for line in regressions:
        print("regressions: REGRESSED " + line)
    if regressions:
        print("regressions: %d figure(s) worse than the baseline by more than their noise"
              % len(regressions))
        return 1
    print("regressions: no guarded figure is worse than the baseline by more than its noise")
    return 0


if __name__ == "__main__":
    sys.exit(main())
