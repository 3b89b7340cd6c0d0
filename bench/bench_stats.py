"""Statistics and machine description shared by the benchmark producers (bench/*_bench.py):
medians, interquartile spreads as FORMAT.md writes them, and where the numbers came from."""
import json
import os


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def quantile(xs, q):
    s = sorted(xs)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def spread(xs, fmt="{:.2f}"):
    """IQR as 'q1..q3' with 4 or more values, else 'min..max'."""
    if len(xs) >= 4:
        return "IQR " + fmt.format(quantile(xs, 0.25)) + ".." + fmt.format(quantile(xs, 0.75))
    return "min..max " + fmt.format(min(xs)) + ".." + fmt.format(max(xs))


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s, load %.2f" % (model, os.cpu_count() or 0, os.uname().release,
                                             os.getloadavg()[0])


def write_result(out, name, result, producer):
    """Writes one results table (FORMAT.md) as OUT/NAME and says so."""
    path = os.path.join(out, name)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print("%s: wrote %s" % (producer, path))
