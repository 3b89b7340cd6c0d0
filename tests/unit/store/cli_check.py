"""End-to-end check of the npuprobe CLI on the golden folders: dump equals the collector's
exposition (order aside), serve answers /metrics with the same samples, gc removes only the
live gauge files of dead processes.

usage: cli_check.py NPUPROBE_BINARY GOLDEN_ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request


def check_dump(binary, golden_root):
    for folder in ("client_python-0.16", "client_python-0.25"):
        path = os.path.join(golden_root, folder)
        out = subprocess.run([binary, "dump", "--dir", path], check=True, capture_output=True, text=True)
        expected = open(os.path.join(path, "exposition.txt"), encoding="utf-8").read()
        assert sorted(out.stdout.splitlines()) == sorted(expected.splitlines()), folder
    # The folder may come from the environment, and a corrupt file makes the exit code 1.
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(golden_root, "client_python-0.16", "counter_1001.db"), tmp)
        open(os.path.join(tmp, "counter_9.db"), "wb").close()
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=tmp)
        out = subprocess.run([binary, "dump"], env=env, capture_output=True, text=True)
        assert out.returncode == 1, out
        assert "counter_9.db" in out.stderr and "zero-length" in out.stderr, out.stderr
        assert 'npu_launches_total{api="aclnn",dp="0"} 3.0' in out.stdout, out.stdout


def check_serve(binary, golden_root):
    path = os.path.join(golden_root, "client_python-0.25")
    server = subprocess.Popen([binary, "serve", "--dir", path, "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = re.search(r"\(port (\d+)\)", server.stdout.readline()).group(1)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        assert 'npu:step_mostrecent{device="0"} 9' in body, body
        assert 'npu:forward_duration_count{dp="0"} 5' in body, body
    finally:
        server.terminate()
        assert server.wait(timeout=10) == 0


def check_gc(binary):
    with tempfile.TemporaryDirectory() as tmp:
        dead = 2 ** 22 + 12345  # above the default pid_max: never a running process
        names = [f"gauge_liveall_{dead}-npu.db", f"gauge_livesum_{dead}.db", f".counter_{dead}-npu.db.tmp{dead}",
                 f"gauge_liveall_{os.getpid()}-npu.db", f"counter_{dead}-npu.db", f"gauge_all_{dead}.db"]
        for name in names:
            open(os.path.join(tmp, name), "wb").close()
        subprocess.run([binary, "gc", "--dir", tmp], check=True, capture_output=True)
        assert sorted(os.listdir(tmp)) == sorted(names[3:]), os.listdir(tmp)


def main():
    binary, golden_root = sys.argv[1:3]
    check_dump(binary, golden_root)
    if "serve" in subprocess.run([binary, "help"], capture_output=True, text=True).stdout:
        check_serve(binary, golden_root)
    check_gc(binary)
    print("PASS")


if __name__ == "__main__":
    main()
