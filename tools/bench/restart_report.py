#!/usr/bin/env python3
"""Summaries for tools/bench/restart: one line per trial (--line), the JSON report (--report)."""
import json
import sys


# The old process's last advert is sent just before it writes the record; the new one needs
# far more than this to exec and start, so the split between them is unambiguous.
SPLIT_NS = 5_000_000


def handover_gap_ms(src, handover_ns):
    if not src or handover_ns is None:
        return None
    stamps = src.get("stamps_after_mark", [])
    before = [t for t in stamps if t <= handover_ns + SPLIT_NS]
    after = [t for t in stamps if t > handover_ns + SPLIT_NS]
    if not before or not after:
        return None
    return round((after[0] - before[-1]) / 1e6, 3)


def gap_at_ms(probe):
    if probe.get("gap_after_mark_ms") is None:
        return None
    return round((probe["gap_after_mark_start_ns"] - probe["mark_ns"]) / 1e6, 3)


def figures(result, node1):
    probe, watch = result["probe"], result["watch"]
    src = next((s for s in watch["sources"] if s["src"] == node1), None)
    return {
        "handover_gap_ms": handover_gap_ms(src, result.get("handover_ns")),
        "restart_s": result["restart_s"],
        "backup_transitions": result["backup_transitions"],
        "lost_probes": probe["sent"] - probe["received"],
        "probes": probe["sent"],
        "longest_gap_ms": probe["longest_gap_ms"],
        "restart_gap_ms": probe.get("gap_after_mark_ms"),
        "restart_gap_at_ms": gap_at_ms(probe),
        "advert_gap_ms": src["max_gap_ms"] if src else None,
        "priority_zero": src["priority_zero"] if src else None,
        "stale_drops": result.get("stale_drops"),
        "load1": result.get("load1"),
        "watch_socket_drops": watch["socket_drops"],
    }


def line(node1):
    rec = json.loads(sys.stdin.readline())
    if "error" in rec:
        print("FAILED (%s)" % rec["error"])
        return
    f = figures(rec["result"], node1)
    opt = lambda v: "%.1f" % v if v is not None else "-"
    print("transitions %d, lost %d of %d, longest gap %.1f ms, after the restart %s ms "
          "(at %s ms), handover gap %s ms, advert gap %s ms, prio0 %s, stale drops %s, "
          "%.2f s, load %s"
          % (f["backup_transitions"], f["lost_probes"], f["probes"], f["longest_gap_ms"],
             opt(f["restart_gap_ms"]), opt(f["restart_gap_at_ms"]), opt(f["handover_gap_ms"]),
             opt(f["advert_gap_ms"]), f["priority_zero"],
             f["stale_drops"], f["restart_s"], f["load1"]))


def summary(trials):
    ok = [t for t in trials if "figures" in t]
    out = {"trials": len(trials), "failed": len(trials) - len(ok)}
    for key in ("backup_transitions", "lost_probes", "longest_gap_ms", "restart_gap_ms",
                "handover_gap_ms", "advert_gap_ms", "stale_drops", "restart_s", "load1"):
        vals = [t["figures"][key] for t in ok if t["figures"][key] is not None]
        if not vals:
            continue
        out[key] = {"total": round(sum(vals), 3), "max": max(vals),
                    "mean": round(sum(vals) / len(vals), 3)}
    return out


def report(node1, mode):
    by_int = {}
    for raw in sys.stdin:
        rec = json.loads(raw)
        t = {"trial": rec["trial"]}
        if "error" in rec:
            t["error"] = rec["error"]
        else:
            t["figures"] = figures(rec["result"], node1)
        by_int.setdefault(str(rec["advert_int"]), []).append(t)
    doc = {"bench": "restart", "mode": mode, "master": node1, "probe_interval_ms": 10,
           "intervals": {k: {"summary": summary(v), "trials": v} for k, v in by_int.items()}}
    json.dump(doc, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    if sys.argv[1] == "--line":
        line(sys.argv[2])
    else:
        report(sys.argv[2], sys.argv[3])
