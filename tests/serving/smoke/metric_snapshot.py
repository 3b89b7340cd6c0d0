"""One /metrics scrape, parsed with prometheus_client's own text parser (as Prometheus would
read it), with the sums the scenario contracts compare."""
from prometheus_client.parser import text_string_to_metric_families


class MetricSnapshot:
    def __init__(self, text):
        self.text = text
        self.samples = []  # (sample name, labels, value)
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.samples.append((sample.name, sample.labels, sample.value))

    def _matching(self, name, labels):
        for sample_name, sample_labels, value in self.samples:
            if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
                yield sample_labels, value

    def has(self, name, labels=None):
        return any(True for _ in self._matching(name, labels or {}))

    def total(self, name, labels=None):
        """Sum over every series of `name` whose labels include `labels` (0 when absent)."""
        return sum(value for _, value in self._matching(name, labels or {}))

    def by_label(self, name, label, labels=None):
        """{label value: summed value} over the series of `name` that carry `label`."""
        sums = {}
        for sample_labels, value in self._matching(name, labels or {}):
            if label in sample_labels:
                key = sample_labels[label]
                sums[key] = sums.get(key, 0.0) + value
        return sums

    def by_labels(self, name, label_names):
        """{(values of label_names): summed value} over the series of `name` carrying them all."""
        sums = {}
        for sample_labels, value in self._matching(name, {}):
            if all(k in sample_labels for k in label_names):
                key = tuple(sample_labels[k] for k in label_names)
                sums[key] = sums.get(key, 0.0) + value
        return sums


EMPTY = MetricSnapshot("")
