"""vLLM's process titles without the setproctitle package (Debian's python3 lacks it).

vLLM titles its processes with `set_process_title(name, suffix)` (vllm/utils/system_utils.py:
`setproctitle.setproctitle(f"{prefix}::{name}_{suffix}")`, prefix VLLM_PROCESS_NAME_PREFIX,
default "VLLM"): `VLLM::EngineCore_DP<n>`, `VLLM::Worker_DP<n>_TP<m>`, `VLLM::APIServer_<i>`.
On Linux py-setproctitle (spt_status.c, set_ps_display) writes the title over the argv area,
pads the rest with NULs, and calls prctl(PR_SET_NAME) with it. So /proc/<pid>/cmdline shows the
whole title and /proc/<pid>/comm its first 15 bytes ("VLLM::EngineCor"). This does the same.
setproctitle also moves the environment away to make room for a long title; this one cuts the
title to the argv area instead (every harness process has a long command line).
"""
import ctypes
import os

PR_SET_NAME = 15


def _argv_area():
    """(arg_start, arg_end) of this process: /proc/self/stat fields 48 and 49 (proc(5))."""
    with open("/proc/self/stat") as f:
        after_comm = f.read().rsplit(")", 1)[1].split()
    # after_comm[0] is field 3 (state)
    return int(after_comm[48 - 3]), int(after_comm[49 - 3])


def set_process_title(name, suffix="", prefix=None):
    if prefix is None:
        prefix = os.environ.get("VLLM_PROCESS_NAME_PREFIX", "VLLM")
    if suffix:
        name = f"{name}_{suffix}"
    title = f"{prefix}::{name}".encode()
    start, end = _argv_area()
    size = end - start
    if size > 1:
        ctypes.memmove(start, title[:size - 1].ljust(size, b"\0"), size)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(title[:15]), 0, 0, 0)


def process_title(pid="self"):
    """What ps shows: the command line with its NULs as spaces, padding dropped."""
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
