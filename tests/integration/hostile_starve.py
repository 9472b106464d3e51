#!/usr/bin/python3
"""The real clients and the figures of test_hostile_starvation.sh (run with /usr/bin/python3).

  hostile_starve.py loop --iface IF --id NAME --script PATH --stop FILE --out FILE
      Runs in a client's namespace: busybox udhcpc, once per exchange, over and over until
      FILE --stop exists. Each run is a whole DORA for the same MAC (the server offers the
      client its bound address again, and the REQUEST commits the renewed lease), with
      udhcpc's own retransmissions (-t 3 -T 1, as a client in a hurry would). A run that
      ends without a lease is a failure. Writes the figures as JSON to --out.

  hostile_starve.py report --clients FILE... --perfdhcp FILE --stats-early FILE
                    --stats FILE --flooded NAME --quiet NAME --quiet-pool FIRST-LAST
                    [--min-success 0.99] [--min-exchanges N]
      Prints both tenants' figures and checks that the quiet tenant's clients kept at
      least --min-success of their exchanges, every lease in their pool, while the
      flooded tenant's pool ran out (drop_pool_exhausted grew between the two stats) and
      turned over (more ACKs than its pool has addresses). Exits 1 otherwise.
"""
import argparse
import json
import os
import re
import socket
import struct
import subprocess
import sys
import time


def run_loop(a):
    st = {"id": a.id, "attempts": 0, "ok": 0, "failed": 0, "addresses": [], "seconds": [],
          "failures_at": []}
    t_start = time.monotonic()
    while not os.path.exists(a.stop):
        t0 = time.monotonic()
        try:
            p = subprocess.run(["udhcpc", "-i", a.iface, "-f", "-q", "-n", "-t", "3", "-T", "1",
                                "-s", a.script, "-x", "hostname:" + a.id],
                               capture_output=True, text=True, timeout=20)
            out, rc = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired:
            out, rc = "", 124
        dt = time.monotonic() - t0
        st["attempts"] += 1
        m = re.search(r"^lease (\S+)$", out, re.M)
        if rc == 0 and m:
            st["ok"] += 1
            st["seconds"].append(dt)
            if m.group(1) not in st["addresses"]:
                st["addresses"].append(m.group(1))
        else:
            st["failed"] += 1
            st["failures_at"].append(round(t0 - t_start, 2))
    lat = sorted(st.pop("seconds"))
    st["ms_avg"] = round(1000 * sum(lat) / len(lat), 1) if lat else None
    st["ms_p99"] = round(1000 * lat[int(0.99 * (len(lat) - 1))], 1) if lat else None
    st["ms_max"] = round(1000 * lat[-1], 1) if lat else None
    with open(a.out, "w") as f:
        json.dump(st, f)
    return 0


def ip_n(ip):
    return struct.unpack("!I", socket.inet_aton(ip))[0]


def perfdhcp_figures(text):
    """(DISCOVERs sent, OFFERs received, REQUESTs sent, ACKs received) from its report."""
    sec = {}
    for name, body in re.findall(r"\*\*\*Statistics for: (\S+)\*\*\*(.*?)(?=\*\*\*|\Z)", text,
                                 re.S):
        sent = re.search(r"sent packets: (\d+)", body)
        recv = re.search(r"received packets: (\d+)", body)
        sec[name] = (int(sent.group(1)) if sent else 0, int(recv.group(1)) if recv else 0)
    do = sec.get("DISCOVER-OFFER", (0, 0))
    ra = sec.get("REQUEST-ACK", (0, 0))
    return do[0], do[1], ra[0], ra[1]


def tenant_counters(stats, name):
    return [t for t in stats["tenants"] if t["name"] == name][0]["counters"]


def run_report(a):
    ok = True
    first, last = (ip_n(x) for x in a.quiet_pool.split("-"))
    clients = [json.load(open(f)) for f in a.clients]
    attempts = sum(c["attempts"] for c in clients)
    good = sum(c["ok"] for c in clients)
    rate = good / attempts if attempts else 0.0
    sent, offers, reqs, acks = perfdhcp_figures(open(a.perfdhcp).read())
    early = tenant_counters(json.load(open(a.stats_early)), a.flooded)
    stats = json.load(open(a.stats))
    fl = tenant_counters(stats, a.flooded)
    qu = tenant_counters(stats, a.quiet)
    pool = [t for t in stats["tenants"] if t["name"] == a.flooded][0]["pool"]["size"]

    print("    flooded tenant %s (perfdhcp as its relay): %d DISCOVERs from random MACs "
          "(%.0f/s), %d OFFERs, %d REQUESTs, %d ACKs"
          % (a.flooded, sent, sent / a.seconds, offers, reqs, acks))
    print("    daemon, %s: rx_discover %d, tx_offer %d, tx_ack %d, drop_pool_exhausted %d "
          "(%d at the early look), drop_queue_overflow %d, drop_rate_limit %d; pool of %d"
          % (a.flooded, fl["rx_discover"], fl["tx_offer"], fl["tx_ack"],
             fl["drop_pool_exhausted"], early["drop_pool_exhausted"],
             fl["drop_queue_overflow"], fl["drop_rate_limit"], pool))
    print("    quiet tenant %s (real udhcpc clients behind dhcrelay): %d exchanges, %d ok "
          "(%.2f %%), %d failed; daemon: tx_ack %d, drop_queue_overflow %d"
          % (a.quiet, attempts, good, 100.0 * rate, attempts - good, qu["tx_ack"],
             qu["drop_queue_overflow"]))
    for c in clients:
        print("      %s: %d/%d ok, DORA avg %s ms, p99 %s ms, max %s ms, %s, failures at %s s"
              % (c["id"], c["ok"], c["attempts"], c["ms_avg"], c["ms_p99"], c["ms_max"],
                 ",".join(c["addresses"]), c["failures_at"] or "-"))
        if not all(first <= ip_n(x) <= last for x in c["addresses"]):
            print("FAILED: %s got an address outside %s" % (c["id"], a.quiet_pool))
            ok = False
    checks = [
        (attempts >= a.min_exchanges, "the quiet clients made at least %d exchanges"
         % a.min_exchanges),
        (rate >= a.min_success, "the quiet tenant's success rate %.2f %% >= %.0f %%"
         % (100.0 * rate, 100.0 * a.min_success)),
        (sent >= 10 * attempts, "the flood outnumbered the quiet clients ten to one at least"),
        (fl["drop_pool_exhausted"] > early["drop_pool_exhausted"] > 0,
         "the flooded tenant's exhaustion counter grew during the flood"),
        (fl["tx_ack"] > pool, "its pool turned over (%d ACKs for %d addresses): the "
         "exhaustion flapped" % (fl["tx_ack"], pool)),
    ]
    for cond, what in checks:
        print(("ok: " if cond else "FAILED: ") + what)
        ok = ok and cond
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("loop", "report"))
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--id")
    ap.add_argument("--script")
    ap.add_argument("--stop")
    ap.add_argument("--out")
    ap.add_argument("--clients", nargs="+")
    ap.add_argument("--perfdhcp")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--stats-early")
    ap.add_argument("--stats")
    ap.add_argument("--flooded")
    ap.add_argument("--quiet")
    ap.add_argument("--quiet-pool")
    ap.add_argument("--min-success", type=float, default=0.99)
    ap.add_argument("--min-exchanges", type=int, default=100)
    a = ap.parse_args()
    return run_loop(a) if a.mode == "loop" else run_report(a)


if __name__ == "__main__":
    sys.exit(main())
