"""The checks a scenario's contract is made of. Each compares the scrape taken before the
requests with a later one, so a value left over from earlier work never passes: counters must
INCREASE during the scenario, not merely exist."""
PREFIX = "vllm_profiling_"


def _labels_text(labels):
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""


class Increases:
    """The sum of `metric`'s series (filtered by `labels`) grew."""

    def __init__(self, metric, labels=None):
        self.metric, self.labels = metric, dict(labels or {})

    def evaluate(self, before, after):
        old, new = before.total(self.metric, self.labels), after.total(self.metric, self.labels)
        ok = new > old
        where = self.metric + _labels_text(self.labels)
        detail = f"{where} increased by {new - old:g} ({old:g} -> {new:g})" if ok else (
            f"{where} did not increase: before {old:g}, after {new:g}" +
            ("" if after.has(self.metric, self.labels) else " (absent from /metrics)"))
        return {"check": "increases", "metric": self.metric, "labels": self.labels,
                "before": old, "after": new, "present": after.has(self.metric, self.labels),
                "ok": ok, "detail": detail}


class Positive:
    """The sum of a gauge's series is > 0 in the later scrape (a level, not a count)."""

    def __init__(self, metric, labels=None):
        self.metric, self.labels = metric, dict(labels or {})

    def evaluate(self, before, after):
        old, new = before.total(self.metric, self.labels), after.total(self.metric, self.labels)
        ok = new > 0
        where = self.metric + _labels_text(self.labels)
        detail = f"{where} = {new:g} > 0" if ok else (
            f"{where} is not positive: {new:g}" +
            ("" if after.has(self.metric, self.labels) else " (absent from /metrics)"))
        return {"check": "positive", "metric": self.metric, "labels": self.labels,
                "before": old, "after": new, "present": after.has(self.metric, self.labels),
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


def evaluate(checks, before, after):
    """Returns (passed, results) for a list of checks."""
    results = [check.evaluate(before, after) for check in checks]
    return all(r["ok"] for r in results), results
