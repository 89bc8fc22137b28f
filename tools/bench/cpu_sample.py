#!/usr/bin/env python3
"""cpu_sample.py NODE=NETNS...: one CPU sample per lab node, as JSON on stdout.

Per node: cpu_ns, the run time of every thread of every process in the namespace
(/proc/PID/task/TID/schedstat, nanoseconds; it includes the softirq work the kernel does
inside their system calls, e.g. a veth delivering a frame to the peer's XDP program), and
bpf_ns / bpf_runs, the run time the kernel counts for the BPF programs attached to the
node's interfaces (XDP and TC, `bpftool net`), which needs BPF run-time statistics on
(xvrrp-bench-floor bpf-stats). The backup's XDP program runs in the sender's softirq, so
its time is in the sender's cpu_ns too: bpf_ns says which node's programs it was.
Used by tools/bench/adverts and tools/bench/scale (tools/bench/bench_cpu.sh)."""
import glob
import json
import os
import subprocess
import sys


def netns_inode(name):
    return os.stat(f"/run/netns/{name}").st_ino


def pids_in(inode):
    out = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            if os.stat(f"{d}/ns/net").st_ino == inode:
                out.append(d)
        except OSError:
            pass
    return out


def run_ns(pid_dirs):
    total = 0
    for d in pid_dirs:
        for t in glob.glob(f"{d}/task/*/schedstat"):
            try:
                with open(t) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # the thread ended meanwhile
    return total


def prog_ids(netns):
    try:
        out = subprocess.run(["nsenter", f"--net=/run/netns/{netns}", "--", "bpftool", "-j", "net", "show"],
                             capture_output=True, text=True, timeout=20).stdout
        doc = json.loads(out or "[]")
    except (subprocess.SubprocessError, ValueError):
        return set()
    ids = set()
    for part in doc if isinstance(doc, list) else [doc]:
        for x in part.get("xdp", []):
            if "id" in x:
                ids.add(x["id"])
            for m in x.get("multi_attachments", []):
                ids.add(m.get("id"))
        for t in part.get("tc", []):
            ids.add(t.get("id", t.get("prog_id")))
    ids.discard(None)
    return ids


def main():
    nodes = dict(a.split("=", 1) for a in sys.argv[1:])
    progs = {}
    try:
        out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True, timeout=20).stdout
        progs = {p["id"]: p for p in json.loads(out or "[]")}
    except (subprocess.SubprocessError, ValueError):
        pass
    res = {}
    for node, ns in nodes.items():
        ids = prog_ids(ns)
        res[node] = {
            "cpu_ns": run_ns(pids_in(netns_inode(ns))),
            "bpf_ns": sum(progs.get(i, {}).get("run_time_ns", 0) for i in ids),
            "bpf_runs": sum(progs.get(i, {}).get("run_cnt", 0) for i in ids),
            "bpf_progs": sorted(progs[i].get("name", str(i)) for i in ids if i in progs),
            # per program name (xv_rx on every interface together): [run_time_ns, run_cnt]
            "bpf": {},
        }
        for i in ids:
            p = progs.get(i)
            if p:
                e = res[node]["bpf"].setdefault(p.get("name", str(i)), [0, 0])
                e[0] += p.get("run_time_ns", 0)
                e[1] += p.get("run_cnt", 0)
    print(json.dumps(res))


main()
