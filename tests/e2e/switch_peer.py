#!/usr/bin/python3
"""Stands in for a process that ms_service_metric instruments (its SharedMemoryManager): maps the
control segment and keeps it mapped, adds its own pid to the pid ring (`--join`), handles SIGUSR1,
prints "ready", then "signalled" when SIGUSR1 arrives or "timeout" after `--wait` seconds.
`--no-map`: the same process without the mapping (what an unrelated process looks like).

Run: switch_peer.py PREFIX [--join] [--no-map] [--wait S]
"""
import argparse
import mmap
import os
import signal
import struct
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("prefix")
parser.add_argument("--join", action="store_true")
parser.add_argument("--no-map", action="store_true")
parser.add_argument("--wait", type=float, default=20)
args = parser.parse_args()

got = []
signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
segment = None
if not args.no_map:
    fd = os.open("/dev/shm/" + args.prefix.lstrip("/") + "_control", os.O_RDWR)
    segment = mmap.mmap(fd, os.fstat(fd).st_size)
    if args.join:
        length, cursor = struct.unpack_from("<2I", segment, 28)
        struct.pack_into("<I", segment, 36 + 4 * (cursor % length), os.getpid())
        struct.pack_into("<I", segment, 32, (cursor + 1) % length)
print("ready", flush=True)
deadline = time.time() + args.wait
while not got and time.time() < deadline:
    time.sleep(0.01)
print("signalled" if got else "timeout", flush=True)
sys.exit(0)
