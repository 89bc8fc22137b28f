#!/usr/bin/env python3
"""Timing and memory probes of tools/bench/scale (issue 14, acceptance 3).

  scale_probe.py check NETNS ROUNDS CMD...   best wall time of CMD (a -t run) in NETNS, and
                                             its exit status, as JSON
  scale_probe.py reload PID LOG MARKER       SIGHUP to PID; seconds until LOG has one more
                                             line containing MARKER (polled every 2 ms)
  scale_probe.py rss PID...                  summed VmRSS of the PIDs, KiB
"""
import json
import os
import signal
import subprocess
import sys
import time


def check(netns, rounds, cmd):
    best, status = None, None
    for _ in range(rounds):
        t0 = time.monotonic()
        r = subprocess.run(["nsenter", f"--net=/run/netns/{netns}", "--", *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.monotonic() - t0
        status = r.returncode
        best = dt if best is None else min(best, dt)
    # nsenter itself, so the figure is the check's own
    t0 = time.monotonic()
    subprocess.run(["nsenter", f"--net=/run/netns/{netns}", "--", "true"])
    base = time.monotonic() - t0
    print(json.dumps({"best_s": round(best, 4), "nsenter_s": round(base, 4), "exit": status}))


def count(path, marker):
    try:
        with open(path, errors="replace") as f:
            return sum(1 for line in f if marker in line)
    except OSError:
        return 0


def reload(pid, log, marker, timeout=60.0):
    before = count(log, marker)
    t0 = time.monotonic()
    os.kill(pid, signal.SIGHUP)
    while time.monotonic() - t0 < timeout:
        if count(log, marker) > before:
            print(f"{time.monotonic() - t0:.4f}")
            return 0
        time.sleep(0.002)
    print("null")
    return 1


def rss(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    print(total)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    what, args = sys.argv[1], sys.argv[2:]
    if what == "check" and len(args) >= 3:
        check(args[0], int(args[1]), args[2:])
    elif what == "reload" and len(args) == 3:
        sys.exit(reload(int(args[0]), args[1], args[2]))
    elif what == "rss":
        rss(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
