#!/usr/bin/python3
"""The numbers of one engine-limit run (bench_engine_limit.sh), and the summary table.

  engine_limit_report.py run RUN_DIR LCORES NAME   one run's report; writes RUN_DIR/result.json
  engine_limit_report.py summary RESULT.json...    the table of the lcore runs
  engine_limit_report.py batches RESULT.json...    the table of the batch size runs

A run directory holds s1.json and s2.json (`mtdhcpctl stats --json` at the start and the
end of the measuring window), t1/t2 (their times), sched1/sched2 (each thread's
"tid comm runtime_ns" from /proc/PID/task/*/schedstat, read with them) and the daemon's
log, whose shutdown lines give each lcore's cycles by stage over the whole run.
"""
import json
import os
import re
import sys

STAGES = ["rx", "parse", "classify", "handoff", "engine", "completion", "tx"]
DROPS = ["drop_queue_overflow", "drop_rate_limit", "drop_queue_full", "drop_pending",
         "tx_nak"]


def load(path):
    with open(path) as f:
        return json.load(f)


def tenant_sum(stats, key):
    return sum(t["counters"].get(key, 0) for t in stats["tenants"])


def port_sum(stats, key):
    return sum(p.get(key, 0) for p in stats["ports"])


def sched(path):
    out = {}
    with open(path) as f:
        for line in f:
            tid, comm, ns = line.split("\t")
            out[tid] = (comm, int(ns))
    return out


def lcore_lines(log):
    pat = re.compile(r"lcore (\d+) \(index (\d+)\): frames (\d+), busy (\d+) cycles in (\d+) "
                     r"loops, tsc_hz (\d+), handoff out (\d+) in (\d+) full (\d+), "
                     r"yields (\d+); cycles/items: (.*)$")
    res = []
    with open(log) as f:
        for line in f:
            m = pat.search(line)
            if not m:
                continue
            g = m.groups()
            stages = {}
            for part in g[10].split():
                name, val = part.split("=")
                cyc, items = val.split("/")
                stages[name] = (int(cyc), int(items))
            res.append({"lcore": int(g[0]), "index": int(g[1]), "frames": int(g[2]),
                        "busy": int(g[3]), "loops": int(g[4]), "hz": int(g[5]),
                        "handoff_out": int(g[6]), "handoff_in": int(g[7]),
                        "handoff_full": int(g[8]), "yields": int(g[9]), "stages": stages})
    return res


def run(rundir, lcores, name):
    s1, s2 = load(os.path.join(rundir, "s1.json")), load(os.path.join(rundir, "s2.json"))
    t1 = float(open(os.path.join(rundir, "t1")).read())
    t2 = float(open(os.path.join(rundir, "t2")).read())
    dt = t2 - t1

    def rate(key):
        return (tenant_sum(s2, key) - tenant_sum(s1, key)) / dt

    st1, st2 = s1.get("lease_store", {}), s2.get("lease_store", {})

    def srate(key):
        return (st2.get(key, 0) - st1.get(key, 0)) / dt

    acks = rate("tx_ack")
    r = {
        "name": name, "lcores": lcores, "seconds": dt, "leases_per_s": acks,
        "offers_per_s": rate("tx_offer"), "requests_per_s": rate("rx_request"),
        "discovers_per_s": rate("rx_discover"),
        "rx_frames_per_s": (port_sum(s2, "rx") - port_sum(s1, "rx")) / dt,
        "commits_per_s": srate("committed"), "transactions_per_s": srate("transactions"),
        "drops_per_s": {k: rate(k) for k in DROPS},
    }
    r["changes_per_txn"] = (r["commits_per_s"] / r["transactions_per_s"]
                            if r["transactions_per_s"] else 0)
    # CPU per thread over the window, from the scheduler's exact clock.
    a, b = sched(os.path.join(rundir, "sched1")), sched(os.path.join(rundir, "sched2"))
    written = b.pop("io", ("", 0))[1] - a.pop("io", ("", 0))[1]
    r["bytes_per_lease"] = written / (acks * dt) if acks else 0
    r["write_mb_per_s"] = written / dt / 1e6
    threads = []
    for tid, (comm, ns) in b.items():
        used = (ns - a.get(tid, (comm, 0))[1]) / 1e9
        if used / dt < 0.005:
            continue
        threads.append({"thread": comm, "cpu": used / dt,
                        "us_per_lease": used * 1e6 / (acks * dt) if acks else 0})
    threads.sort(key=lambda x: -x["cpu"])
    r["threads"] = threads
    r["lcore_stats"] = lcore_lines(os.path.join(rundir, "log"))
    with open(os.path.join(rundir, "result.json"), "w") as f:
        json.dump(r, f, indent=1)

    print("%s: %d lcore(s), %.1f s measured:" % (name, lcores, dt))
    print("  leases (DHCPACKs, each after its commit): %9.0f /s" % acks)
    print("  lease changes committed:                  %9.0f /s in %.0f transactions/s "
          "(%.0f per transaction)" % (r["commits_per_s"], r["transactions_per_s"],
                                      r["changes_per_txn"]))
    print("  written to storage: %.1f MB/s, %.0f bytes per lease"
          % (r["write_mb_per_s"], r["bytes_per_lease"]))
    print("  frames received %.0f /s: DISCOVER %.0f, REQUEST %.0f, OFFER sent %.0f"
          % (r["rx_frames_per_s"], r["discovers_per_s"], r["requests_per_s"],
             r["offers_per_s"]))
    print("  not served, per second: " + ", ".join(
        "%s %.0f" % (k, v) for k, v in r["drops_per_s"].items() if v))
    print("  CPU by thread (share of one core; CPU time per lease):")
    for t in threads:
        print("    %-16s %5.0f %%  %6.2f us" % (t["thread"], 100 * t["cpu"], t["us_per_lease"]))
    print("  cycles per frame received, by stage (whole run, TSC; busy loops only):")
    print("    %-6s %8s %8s " % ("lcore", "frames", "handoff") +
          " ".join("%10s" % s for s in STAGES) + " %10s %10s" % ("other", "total"))
    for lc in r["lcore_stats"]:
        frames = max(lc["frames"], 1)
        per = [lc["stages"].get(s, (0, 0))[0] / frames for s in STAGES]
        other = lc["busy"] / frames - sum(per)
        print("    %-6d %8d %8d " % (lc["index"], lc["frames"], lc["handoff_out"]) +
              " ".join("%10.0f" % p for p in per) + " %10.0f %10.0f" %
              (other, lc["busy"] / frames))
        served = lc["stages"].get("engine", (0, 0))
        if served[1]:
            print("           engine: %.0f cycles per message served (%d)"
                  % (served[0] / served[1], served[1]))
    print()


def is_lcore(thread):
    # The main lcore keeps the process's name; the EAL names the workers rte-worker-N.
    return thread == "mtdhcpd" or thread.startswith(("rte-worker", "lcore-worker"))


def summary(paths):
    """leases/s: DHCPACKs (each after its commit); messages/s: DISCOVERs and REQUESTs the
    engines handled (a REQUEST whose client's previous commit is still in flight is
    handled and dropped: the writer sets the pace of leases, the lcores that of messages)."""
    res = [load(p) for p in paths]
    base = res[0] if res else None
    print("| lcores | leases/s | x | messages/s | x | changes/txn | B/lease | lcores CPU |"
          " writer CPU |")
    print("|-------:|---------:|--:|-----------:|--:|------------:|--------:|-----------:|"
          "-----------:|")
    for r in res:
        lc_cpu = sum(t["cpu"] for t in r["threads"] if is_lcore(t["thread"]))
        wr_cpu = sum(t["cpu"] for t in r["threads"] if t["thread"] == "lease-writer")
        msgs = r["discovers_per_s"] + r["requests_per_s"]
        base_msgs = base["discovers_per_s"] + base["requests_per_s"]
        print("| %6d | %8.0f | %.2f | %10.0f | %.2f | %11.0f | %7.0f | %9.0f%% | %9.0f%% |"
              % (r["lcores"], r["leases_per_s"],
                 r["leases_per_s"] / base["leases_per_s"] if base["leases_per_s"] else 0,
                 msgs, msgs / base_msgs if base_msgs else 0, r["changes_per_txn"],
                 r.get("bytes_per_lease", 0), 100 * lc_cpu, 100 * wr_cpu))


def batches(paths):
    print("| batch_max | leases/s | changes/txn | transactions/s | B/lease | writer CPU |"
          " writer us/lease |")
    print("|----------:|---------:|------------:|---------------:|--------:|-----------:|"
          "----------------:|")
    for r in (load(p) for p in paths):
        wr = [t for t in r["threads"] if t["thread"] == "lease-writer"]
        print("| %9s | %8.0f | %11.0f | %14.1f | %7.0f | %9.0f%% | %15.2f |"
              % (r["name"].split("-")[-1], r["leases_per_s"], r["changes_per_txn"],
                 r["transactions_per_s"], r.get("bytes_per_lease", 0),
                 100 * wr[0]["cpu"] if wr else 0, wr[0]["us_per_lease"] if wr else 0))


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "run":
        run(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) >= 2 and sys.argv[1] == "batches":
        batches(sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "summary":
        summary(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
