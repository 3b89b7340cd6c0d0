#!/usr/bin/python3
"""Writes the reading of attribution.json (bench/attribution_bench.cc) from the figures of the
run: what one capture costs a waiting or launching thread, what naming it costs the publisher
thread. scripts/run-bench calls it after gbench_results.py.

Usage: attribution_reading.py GBENCH_JSON RESULT_JSON
"""
import json
import re
import sys

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def medians(report):
    """{run_name without /min_time: median aggregate} with cpu_ns (CPU time in ns) added."""
    out = {}
    for b in report["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
            b["cpu_ns"] = b["cpu_time"] * TO_NS[b.get("time_unit", "ns")]
            out[re.sub(r"/min_time:[0-9.]+", "", b["run_name"])] = b
    return out


def g(x):
    return f"{x:.3g}"


def t(ns):
    """A duration in ns, us or ms, 3 significant digits."""
    for unit, scale in (("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    gbench_json, result_json = sys.argv[1:3]
    with open(gbench_json) as f:
        m = medians(json.load(f))
    with open(result_json) as f:
        result = json.load(f)

    def ns(name):
        return m[name]["cpu_ns"] if name in m else None

    def frames(name):
        return int(m[name].get("frames", 0)) if name in m else 0

    parts = []
    unw = [(frames(f"BM_UnwBacktrace/depth:{d}"), ns(f"BM_UnwBacktrace/depth:{d}"),
            ns(f"BM_GlibcBacktrace/depth:{d}")) for d in (10, 30, 60)]
    unw = [u for u in unw if u[1] is not None]
    if unw:
        per_frame = (unw[-1][1] - unw[0][1]) / max(1, unw[-1][0] - unw[0][0])
        text = ("One capture, addresses only: unw_backtrace takes "
                + ", ".join(f"{t(u)} at {n} frames" for n, u, _ in unw)
                + f" (about {g(per_frame)} ns a frame)")
        if all(b is not None for _, _, b in unw):
            text += ("; glibc's backtrace() takes " + ", ".join(t(b) for _, _, b in unw)
                     + f", {unw[-1][2] / unw[-1][1]:.0f}x more at {unw[-1][0]} frames")
        parts.append(text + ".")
    sync = ns("BM_SyncCaptured/depth:60")
    if sync is not None:
        parts.append(
            f"A wait captured as the preload does it (a clock read, the budget, a walk of "
            f"max_depth + 1 = 33 frames, the push into the ring) costs {t(sync)}: "
            f"{100 * sync / 1e5:.2g} % of a 100 us wait, {100 * sync / 1e6:.2g} % of a 1 ms one, "
            "and it is paid before the wait starts, while the device works. Past the budget "
            f"(1000 a second by default) a wait pays {t(ns('BM_SyncOverBudget'))} "
            "(a clock read and two relaxed atomics).")
    fast, slow = ns("BM_LaunchFast"), ns("BM_LaunchSlow/depth:60")
    if fast is not None and slow is not None:
        parts.append(
            f"A fast launch pays {t(fast)} (a pointer load and one comparison, predicted); "
            f"a launch past slow_launch_us (1 ms) pays its walk, {t(slow)}, "
            f"{100 * slow / 1e6:.2g} % of the millisecond it already lost.")
    first = ns("BM_SymbolizerFirstLookup")
    new_self = ns("BM_SymbolizeNewAddress_ThisBinary")
    new_libc = ns("BM_SymbolizeNewAddress_Libc")
    new_cxx = ns("BM_SymbolizeNewAddress_Libstdcxx")
    cached = ns("BM_SymbolizeCachedAddress")
    if None not in (first, new_self, new_libc, new_cxx, cached):
        libc_lines = m["BM_SymbolizeNewAddress_Libc"].get("line_ratio", 0) > 0.5
        parts.append(
            "Symbolization runs on the publisher thread only, never in a wrapper: "
            f"{t(first)} for a process's first lookup (the Dwfl built from /proc/self/maps, "
            "this binary's ELF and DWARF read); then an address never named before costs "
            f"{t(new_self)} in this binary (DWARF), {t(new_libc)} in libc ("
            + ("separate debug file of libc6-dbg, each compilation unit's line table parsed at "
               "its first address" if libc_lines else "symbols only")
            + f") and {t(new_cxx)} in libstdc++ (dynamic symbols only: libdw searches the "
            "symbol table at every lookup, so a large stripped library costs more); these "
            "include the first parse of each compilation unit the addresses fall in, spread "
            f"over the run. An address named before costs {t(cached)} (the cache).")
    libc_first_lines = ns("BM_SymbolizerFirstLibcLookup_Lines")
    libc_first_names = ns("BM_SymbolizerFirstLibcLookup_NoLines")
    libc_names = ns("BM_SymbolizeNewAddress_LibcNoLines")
    if None not in (libc_first_lines, libc_first_names, libc_names):
        parts.append(
            "libc is a skipped module (never the site), so the preload names its frames "
            "without source lines: a process's first libc frame costs "
            f"{t(libc_first_names)} that way against {t(libc_first_lines)} with lines "
            "(libdw reads the libc6-dbg DWARF where installed), and a new libc address "
            f"{t(libc_names)} (the symbol search).")
    flush = ns("BM_BeforeFlushLibdw/stacks:1000")
    dladdr = ns("BM_BeforeFlushDladdr/stacks:64")
    if flush is not None:
        per_stack = m["BM_BeforeFlushLibdw/stacks:1000"]["ns_per_stack"] * 1e9
        text = (f"before_flush drains a stack of {frames('BM_BeforeFlushLibdw/stacks:1000')} "
                f"frames in {t(per_stack)} when its addresses were named before (the "
                "steady state: sites recur)")
        if dladdr is not None:
            text += (f", {t(m['BM_BeforeFlushDladdr/stacks:64']['ns_per_stack'] * 1e9)} "
                     "with the dladdr fallback, which caches nothing")
        text += (f"; at the default budget of 1000 waits a second that is at most "
                 f"{t(per_stack * 1000)} of the publisher's time per second "
                 f"({g(per_stack * 1000 / 1e7)} % of one core), plus the new-address cost once "
                 "per new frame.")
        parts.append(text)
    reading = " ".join(parts)
    if result.get("quick"):
        reading += " QUICK RUN: one short repetition, not a measurement."
    result["reading"] = reading
    with open(result_json, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
