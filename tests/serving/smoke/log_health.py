"""Scans the service log for npuprobe's own lines
(`[2026-11-23 14:45:34.115] [npuprobe] [pid 19614] [warning] message`): any error or critical
line fails the smoke; warnings (an optional symbol not found, a suppressed repeat) are recorded
and pass, so one build works across CANN versions."""
import re

LINE = re.compile(r"^\[(?P<time>[^\]]*)\] \[npuprobe\] \[pid (?P<pid>\d+)\] "
                  r"\[(?P<level>[a-z]+)\] (?P<message>.*)$")
FATAL = {"error", "err", "critical"}
WARNING = {"warning", "warn"}


def scan(path):
    """Returns the log health report: fatal lines, warnings, and whether the log is healthy."""
    fatal, warnings, npuprobe_lines = [], [], 0
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    for number, line in enumerate(lines, 1):
        match = LINE.match(line.strip())
        if not match:
            continue
        npuprobe_lines += 1
        entry = {"line": number, "pid": int(match["pid"]), "level": match["level"],
                 "message": match["message"]}
        if match["level"] in FATAL:
            fatal.append(entry)
        elif match["level"] in WARNING:
            warnings.append(entry)
    return {"log": path, "healthy": not fatal, "npuprobe_lines": npuprobe_lines,
            "fatal_count": len(fatal), "warning_count": len(warnings), "fatal": fatal,
            "warnings": warnings}
