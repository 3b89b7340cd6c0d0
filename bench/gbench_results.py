#!/usr/bin/python3
"""Turns Google Benchmark's JSON (--benchmark_format=json with repetitions and
--benchmark_report_aggregates_only) into a bench/results/*.json table (FORMAT.md): one row per
benchmark, median real and CPU time, and the coefficient of variation as the spread.

Usage: gbench_results.py GBENCH_JSON OUT_JSON --title T --command C [--reading R] [--quick]
                         [--counters NAME,NAME...]
The counters column shows every ns_per_* counter (an inverted rate: ns per item) and the user
counters named by --counters, as they are.
"""
import argparse
import json


def rows_of(report, counters=()):
    by_name = {}
    for b in report["benchmarks"]:
        if b.get("run_type") != "aggregate":
            continue
        entry = by_name.setdefault(b["run_name"], {})
        entry[b["aggregate_name"]] = b
    rows = []
    for name, agg in by_name.items():
        median = agg.get("median") or agg.get("mean")
        cv = agg.get("cv")
        unit = median.get("time_unit", "ns")
        spread = f"{100 * cv['cpu_time']:.1f} %" if cv else "-"
        row = [name, f"{median['real_time']:.3g} {unit}", f"{median['cpu_time']:.3g} {unit}",
               spread]
        # Inverted rate counters (ns_per_record) come out in seconds per item.
        extra = {k: v * 1e9 for k, v in median.items() if k.startswith("ns_per_")}
        extra.update({k: median[k] for k in counters if k in median})
        row.append("; ".join(f"{k} {v:.3g}" for k, v in extra.items()) or "-")
        rows.append(row)
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("gbench_json")
    p.add_argument("out_json")
    p.add_argument("--title", required=True)
    p.add_argument("--command", required=True)
    p.add_argument("--reading", default="")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--counters", default="", help="user counters to show, comma-separated")
    a = p.parse_args()
    with open(a.gbench_json) as f:
        report = json.load(f)
    result = {"title": a.title, "command": a.command, "machine": "", "quick": a.quick,
              "columns": ["benchmark", "time (median)", "CPU (median)", "spread (cv of CPU)",
                          "counters"],
              "rows": rows_of(report, [c for c in a.counters.split(",") if c]),
              "reading": a.reading}
    with open(a.out_json, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
