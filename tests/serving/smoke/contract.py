"""The checks a scenario's contract is made of. Each compares the scrape taken before the
requests with a later one, so a value left over from earlier work never passes: counters must
INCREASE during the scenario, not merely exist. Where a request is a known amount of work (a
request is 1 prefill + max_tokens decode steps on one worker), `per_request` makes the check
exact: the increase must be per_request x the requests completed between the two scrapes, as
the harness's own `vllm:request_success_total` counts them in the same scrapes."""
PREFIX = "vllm_profiling_"
REQUESTS = "vllm:request_success_total"


def _labels_text(labels):
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""


def requests_between(before, after):
    """Requests the harness completed between two scrapes (its own Python counter)."""
    return after.total(REQUESTS) - before.total(REQUESTS)


class Increases:
    """The sum of `metric`'s series (filtered by `labels`) grew; with `per_request`, by exactly
    per_request x the requests completed between the scrapes (and at least one request)."""

    def __init__(self, metric, labels=None, per_request=None):
        self.metric, self.labels = metric, dict(labels or {})
        self.per_request = per_request

    def evaluate(self, before, after):
        old, new = before.total(self.metric, self.labels), after.total(self.metric, self.labels)
        present = after.has(self.metric, self.labels)
        where = self.metric + _labels_text(self.labels)
        result = {"check": "increases", "metric": self.metric, "labels": self.labels,
                  "before": old, "after": new, "present": present}
        if self.per_request is None:
            ok = present and new > old
            detail = f"{where} increased by {new - old:g} ({old:g} -> {new:g})" if ok else (
                f"{where} did not increase: before {old:g}, after {new:g}" +
                ("" if present else " (absent from /metrics)"))
        else:
            requests = requests_between(before, after)
            want = self.per_request * requests
            ok = present and requests > 0 and new - old == want
            detail = (f"{where} increased by {new - old:g} ({old:g} -> {new:g}); "
                      f"{requests:g} requests x {self.per_request:g} = {want:g}" +
                      ("" if present else " (absent from /metrics)"))
            result.update({"check": "increases by per_request x requests",
                           "per_request": self.per_request, "requests": requests,
                           "expected_increase": want})
        result.update({"ok": ok, "detail": detail})
        return result


class Positive:
    """The sum of a gauge's series is > 0 in the later scrape (a level, not a count); with
    `equals`, exactly that value (a level the workload fixes, e.g. bytes a known allocator
    holds)."""

    def __init__(self, metric, labels=None, equals=None):
        self.metric, self.labels, self.equals = metric, dict(labels or {}), equals

    def evaluate(self, before, after):
        old, new = before.total(self.metric, self.labels), after.total(self.metric, self.labels)
        present = after.has(self.metric, self.labels)
        ok = present and (new > 0 if self.equals is None else new == self.equals)
        where = self.metric + _labels_text(self.labels)
        wanted = "> 0" if self.equals is None else f"== {self.equals:g}"
        detail = f"{where} = {new:g} {wanted}" if ok else (
            f"{where} is not {wanted}: {new:g}" + ("" if present else " (absent from /metrics)"))
        return {"check": "positive" if self.equals is None else "equals", "metric": self.metric,
                "labels": self.labels, "before": old, "after": new, "present": present,
                "ok": ok, "detail": detail}


class IncreasesForDistinct:
    """`metric` grew for at least `count` distinct values of `label` (e.g. two dp ranks)."""

    def __init__(self, metric, label, count):
        self.metric, self.label, self.count = metric, label, count

    def evaluate(self, before, after):
        old, new = before.by_label(self.metric, self.label), after.by_label(self.metric, self.label)
        grown = sorted(v for v, n in new.items() if n > old.get(v, 0.0))
        ok = len(grown) >= self.count
        detail = (f"{self.metric} increased for {self.label} in {grown} "
                  f"(need {self.count} distinct values; seen {sorted(new)})")
        if not ok:
            detail = "not enough: " + detail
        return {"check": f"increases for >= {self.count} distinct {self.label}",
                "metric": self.metric, "label": self.label, "before": old, "after": new,
                "increased_for": grown, "ok": ok, "detail": detail}


class IncreasesForExactly:
    """`metric` grew for exactly the `expected` tuples of `labels` and no other: every engine
    and worker counted under its own dp and host device, e.g. (dp, device) pairs."""

    def __init__(self, metric, labels, expected):
        self.metric, self.labels = metric, tuple(labels)
        self.expected = sorted(tuple(e) for e in expected)

    def evaluate(self, before, after):
        old, new = before.by_labels(self.metric, self.labels), after.by_labels(self.metric,
                                                                               self.labels)
        grown = sorted(k for k, n in new.items() if n > old.get(k, 0.0))
        ok = grown == self.expected
        detail = (f"{self.metric} increased for {'/'.join(self.labels)} {grown}"
                  f"{'' if ok else f'; want exactly {self.expected}'}")
        return {"check": f"increases for exactly these {'/'.join(self.labels)}",
                "metric": self.metric, "labels": list(self.labels),
                "increased_for": [list(k) for k in grown],
                "expected": [list(k) for k in self.expected], "ok": ok, "detail": detail}


class InfoRows:
    """An info metric's series (value 1) are exactly `expected` over `labels`, and `distinct`
    (e.g. the pid) differs on every row: one row per process and device."""

    def __init__(self, metric, labels, expected, distinct=None):
        self.metric, self.labels, self.distinct = metric, tuple(labels), distinct
        self.expected = sorted(tuple(e) for e in expected)

    def evaluate(self, before, after):
        series = [l for name, l, v in after.samples if name == self.metric and v == 1]
        rows = sorted(tuple(l.get(k, "") for k in self.labels) for l in series)
        ok = rows == self.expected
        detail = f"{self.metric} rows {rows}"
        if self.distinct is not None:
            values = [l.get(self.distinct) for l in series]
            distinct_ok = len(set(values)) == len(values) and all(values)
            ok = ok and distinct_ok
            detail += f", {self.distinct} {sorted(values)}"
        if not ok:
            detail += f"; want {self.expected}" + (
                f" with a distinct {self.distinct} each" if self.distinct else "")
        return {"check": "info rows", "metric": self.metric, "labels": list(self.labels),
                "rows": [list(r) for r in rows], "expected": [list(e) for e in self.expected],
                "ok": ok, "detail": detail}


def evaluate(checks, before, after):
    """Returns (passed, results) for a list of checks."""
    results = [check.evaluate(before, after) for check in checks]
    return all(r["ok"] for r in results), results
