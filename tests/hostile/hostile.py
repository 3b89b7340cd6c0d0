"""Shared helpers of the hostile-input suite: the end-to-end helpers (../e2e/npuprobe_run.py),
plus ways to run a step as another user and to bound a step that must not hang."""
import os
import pwd
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

import npuprobe_run  # noqa: E402,F401  (re-exported for the tests)
from npuprobe_run import BUILD, CLI, NPU_SIM, PRELOAD, MOCK_LIB  # noqa: E402,F401

IS_ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody")
SETPRIV = shutil.which("setpriv")

# A step that hangs is the bug these tests look for: every process gets this bound, and a
# TimeoutExpired is reported as "hung" rather than left to ctest's 600 s.
HANG_LIMIT_S = 60


def as_nobody(argv):
    """argv run as user nobody (root only): setpriv drops uid, gid and supplementary groups."""
    if not IS_ROOT:
        raise RuntimeError("only root can run a step as nobody")
    return [SETPRIV, f"--reuid={NOBODY.pw_uid}", f"--regid={NOBODY.pw_gid}", "--clear-groups",
            "--"] + list(argv)


def run_bounded(argv, limit_s=HANG_LIMIT_S, **kwargs):
    """subprocess.run with a time limit; a hang raises AssertionError naming the command."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    try:
        return subprocess.run(argv, timeout=limit_s, **kwargs)
    except subprocess.TimeoutExpired as expired:
        raise AssertionError(f"hung for {limit_s} s: {' '.join(map(str, argv))}\n"
                             f"stderr so far: {expired.stderr!r}") from None
