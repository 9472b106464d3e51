#!/usr/bin/python3
"""Helper of bench_perfdhcp_vs_kea.sh: perfdhcp templates for direct clients, one result
record per benchmark step, and the tables.

  perfdhcp_report.py templates DIR
      Writes DIR/discover.hex and DIR/request.hex and prints the perfdhcp arguments that
      use them (see DIRECT below).
  perfdhcp_report.py snapshot DIR PID
      Reads the counters of process PID (whole process and per thread) into DIR/proc.json.
      The script adds the network counters of each namespace beside it (see NET_FILES).
  perfdhcp_report.py record --server S --mode M --rate R --secs P --before DIR
                            --after DIR --perfdhcp FILE --rc RC
      Prints one JSON line: perfdhcp's statistics of the step and the deltas of the
      counters between the two snapshots.
  perfdhcp_report.py table RESULTS.jsonl
      Prints the per-server table and the mtdhcpd/Kea comparison.
"""
import argparse
import json
import os
import re
import sys

# A direct client, as perfdhcp can be one: perfdhcp always acts as a relay (it sets giaddr
# to its own address and hops to 1) unless its packets come from templates, which it sends
# as they are apart from the fields it is told to fill in at the given offsets. These two
# messages have giaddr 0 and the BROADCAST flag set (RFC 2131 section 4.1: the server
# broadcasts its replies to a client that has no address yet) and no client identifier, so
# that each simulated client is known by the MAC address perfdhcp writes into chaddr.
BOOTP_LEN = 236
OPT_START = BOOTP_LEN + 4  # after the magic cookie (RFC 2131 section 3)
XID_OFF = 4
SECS_OFF = 8
CHADDR_LAST_OFF = 28 + 5  # perfdhcp wants the offset of the MAC address's last octet
PRL = bytes([55, 4, 1, 3, 6, 15])  # parameter request list: mask, router, DNS, domain


def bootp(options):
    h = bytearray(BOOTP_LEN)
    h[0], h[1], h[2] = 1, 1, 6  # BOOTREQUEST, Ethernet, 6-octet addresses
    h[10] = 0x80  # flags: BROADCAST
    h[28:34] = bytes([0x00, 0x0C, 0x01, 0x02, 0x03, 0x04])  # perfdhcp's default base MAC
    msg = bytes(h) + bytes([99, 130, 83, 99]) + options + b"\xff"
    return msg.ljust(300, b"\0")  # the minimum BOOTP message length (RFC 951)


def templates(outdir):
    discover = bootp(bytes([53, 1, 1]) + PRL)
    sid_off = OPT_START + 3
    rip_off = sid_off + 6
    request = bootp(bytes([53, 1, 3, 54, 4, 0, 0, 0, 0, 50, 4, 0, 0, 0, 0]) + PRL)
    assert request[sid_off] == 54 and request[rip_off] == 50
    paths = [os.path.join(outdir, n) for n in ("discover.hex", "request.hex")]
    for path, msg in zip(paths, (discover, request)):
        with open(path, "w") as f:
            f.write(msg.hex())
    print("-T %s -T %s -X %d -X %d -O %d -O %d -E %d -S %d -I %d" % (
        paths[0], paths[1], XID_OFF, XID_OFF, CHADDR_LAST_OFF, CHADDR_LAST_OFF, SECS_OFF,
        sid_off, rip_off))


def read_task(path):
    """(comm, utime + stime in clock ticks) from a /proc/.../stat file."""
    with open(path) as f:
        s = f.read()
    comm = s[s.index("(") + 1:s.rindex(")")]
    fields = s[s.rindex(")") + 2:].split()
    # Fields 14 and 15 of proc(5), counted from the state field (3rd) here.
    return comm, int(fields[11]) + int(fields[12])


def read_switches(path):
    """Voluntary + involuntary context switches from a /proc/.../status file."""
    n = 0
    with open(path) as f:
        for line in f:
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                n += int(line.split()[1])
    return n


def snapshot(outdir, pid):
    snap = {"ticks": read_task("/proc/%d/stat" % pid)[1], "threads": {}, "switches": {}}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            comm, ticks = read_task("/proc/%d/task/%s/stat" % (pid, tid))
            switches = read_switches("/proc/%d/task/%s/status" % (pid, tid))
        except OSError:
            continue  # the thread has just exited
        key = comm if comm not in snap["threads"] else "%s/%s" % (comm, tid)
        snap["threads"][key] = ticks
        snap["switches"][key] = switches
    with open(os.path.join(outdir, "proc.json"), "w") as f:
        json.dump(snap, f)


# The files the script writes beside proc.json in each snapshot directory.
NET_FILES = ("time", "cpu", "client_cpu", "svc_rx", "svc_tx", "client_snmp", "server_snmp")


def load_snapshot(d):
    with open(os.path.join(d, "proc.json")) as f:
        snap = json.load(f)
    for name in NET_FILES:
        with open(os.path.join(d, name)) as f:
            snap[name] = f.read()
    return snap


def udp_counter(snmp, name):
    """A counter of the Udp: lines of /proc/net/snmp."""
    lines = [ln.split() for ln in snmp.splitlines() if ln.startswith("Udp:")]
    return int(lines[1][lines[0].index(name)])


def cpu_busy_ticks(line):
    """Busy ticks of one /proc/stat cpuN line: everything but idle and iowait."""
    v = [int(x) for x in line.split()[1:]]
    return sum(v[:8]) - v[3] - v[4]


def parse_perfdhcp(text):
    """Sent, received and delays of the DISCOVER-OFFER and REQUEST-ACK exchanges."""
    out = {}
    sections = re.split(r"\*\*\*Statistics for: ", text)
    for sec in sections[1:]:
        name = {"DISCOVER-OFFER": "do", "REQUEST-ACK": "ra"}.get(sec.split("*")[0])
        if not name:
            continue

        def num(label, sec=sec):
            m = re.search(r"^%s: ([-0-9.a-z]+)" % label, sec, re.M)
            try:
                return float(m.group(1)) if m else None
            except ValueError:
                return None  # "n/a" when nothing was received
        out[name + "_sent"] = int(num("sent packets") or 0)
        out[name + "_rcvd"] = int(num("received packets") or 0)
        out[name + "_avg"] = num("avg delay")
        out[name + "_max"] = num("max delay")
    if "do_sent" not in out or "ra_sent" not in out:
        raise ValueError("no DISCOVER-OFFER / REQUEST-ACK statistics in perfdhcp's output")
    return out


def record(a):
    with open(a.perfdhcp) as f:
        rec = parse_perfdhcp(f.read())
    b, e = load_snapshot(a.before), load_snapshot(a.after)
    tck = os.sysconf("SC_CLK_TCK")
    rec.update(server=a.server, mode=a.mode, rate=a.rate, secs=a.secs, perfdhcp_rc=a.rc)
    rec["wall"] = float(e["time"]) - float(b["time"])
    rec["cpu_s"] = (e["ticks"] - b["ticks"]) / tck
    rec["threads"] = {k: (v - b["threads"].get(k, 0)) / tck for k, v in e["threads"].items()}
    rec["switches"] = {k: v - b["switches"].get(k, 0) for k, v in e["switches"].items()}
    rec["core_busy_s"] = (cpu_busy_ticks(e["cpu"]) - cpu_busy_ticks(b["cpu"])) / tck
    rec["client_core_busy_s"] = (cpu_busy_ticks(e["client_cpu"]) -
                                 cpu_busy_ticks(b["client_cpu"])) / tck
    rec["svc_rx"] = int(e["svc_rx"]) - int(b["svc_rx"])
    rec["svc_tx"] = int(e["svc_tx"]) - int(b["svc_tx"])
    rec["client_rcvbuf_drops"] = (udp_counter(e["client_snmp"], "RcvbufErrors") -
                                  udp_counter(b["client_snmp"], "RcvbufErrors"))
    rec["server_rcvbuf_drops"] = (udp_counter(e["server_snmp"], "RcvbufErrors") -
                                  udp_counter(b["server_snmp"], "RcvbufErrors"))
    print(json.dumps(rec, sort_keys=True))


def derived(r):
    """The table's numbers for one record."""
    d = {}
    sent = r["do_sent"]
    done = r["ra_rcvd"]
    d["sent_s"] = sent / r["secs"]
    d["done_s"] = done / r["secs"]
    d["loss"] = 100.0 * (sent - done) / sent if sent else float("nan")
    # Requests that reached the server's interface and got no reply there; the frames in
    # and out of that interface are the server's whatever the server is.
    d["srv_loss"] = 100.0 * max(0, r["svc_rx"] - r["svc_tx"]) / sent if sent else float("nan")
    # Replies the perfdhcp host's kernel dropped because perfdhcp's socket was full: the
    # client's loss, not the server's. Each costs one exchange.
    d["cli_loss"] = 100.0 * r["client_rcvbuf_drops"] / sent if sent else float("nan")
    avg = [r[k] for k in ("do_avg", "ra_avg")]
    mx = [r[k] for k in ("do_max", "ra_max")]
    d["avg_ms"] = sum(avg) if None not in avg else None
    d["max_ms"] = sum(mx) if None not in mx else None
    d["cpu_pct"] = 100.0 * r["cpu_s"] / r["wall"] if r["wall"] > 0 else float("nan")
    d["us_lease"] = 1e6 * r["cpu_s"] / done if done else None
    d["core_pct"] = 100.0 * r["core_busy_s"] / r["wall"] if r["wall"] > 0 else float("nan")
    d["core_us_lease"] = 1e6 * r["core_busy_s"] / done if done else None
    d["cl_core_pct"] = (100.0 * r["client_core_busy_s"] / r["wall"] if r["wall"] > 0
                        else float("nan"))
    return d


def ratio(a, b):
    return a / b if a and b else None


# Busy time of the server's CPU not charged to the server (kernel threads, interrupts, or
# another program), in % of the step, above which a step is flagged.
OTHER_PCT = 15


def fmt(v, f):
    return "-" if v is None else f % v


def table(path):
    with open(path) as f:
        recs = [json.loads(ln) for ln in f if ln.strip()]
    if not recs:
        print("no results")
        return 1
    hdr = ("%-8s %-7s %7s %7s %7s %6s %6s %6s %7s %7s %6s %8s %6s %8s %6s  %s" % (
        "server", "mode", "offered", "sent/s", "done/s", "loss%", "srv%", "cli%", "avg ms",
        "max ms", "cpu%", "us/lease", "core%", "core-us", "cl-cpu", "threads: cpu s (wake-ups/s)"))
    print(hdr)
    print("-" * len(hdr))
    for r in recs:
        d = derived(r)
        threads = ", ".join("%s %.2f (%.1fk)" % (k, v, r["switches"].get(k, 0) / r["wall"] / 1e3)
                            for k, v in sorted(r["threads"].items()) if v >= 0.01)
        print("%-8s %-7s %7d %7.0f %7.0f %6.2f %6.2f %6.2f %7s %7s %6.1f %8s %6.1f %8s %6.1f  %s"
              % (r["server"], r["mode"], r["rate"], d["sent_s"], d["done_s"], d["loss"],
                 d["srv_loss"], d["cli_loss"], fmt(d["avg_ms"], "%.2f"),
                 fmt(d["max_ms"], "%.1f"), d["cpu_pct"], fmt(d["us_lease"], "%.1f"),
                 d["core_pct"], fmt(d["core_us_lease"], "%.1f"), d["cl_core_pct"], threads))
    busy = [r for r in recs if derived(r)["core_pct"] - derived(r)["cpu_pct"] > OTHER_PCT]
    if busy:
        print("\nWARNING: in %d of %d steps other programs used more than %d %% of the "
              "server's CPU\n(core%% - cpu%%): the machine was not the benchmark's alone. "
              "core%% and core-us include\ntheir time, and they may have slowed the server "
              "and perfdhcp down." % (len(busy), len(recs), OTHER_PCT))
    print()
    by = {(r["server"], r["mode"], r["rate"]): derived(r) for r in recs}
    keys = sorted({(r["mode"], r["rate"]) for r in recs})
    hdr = "%-7s %7s  %15s  %13s  %17s %6s  %17s %6s" % (
        "mode", "offered", "done/s mtd/kea", "loss% mtd/kea", "us/lease mtd/kea", "ratio",
        "core-us mtd/kea", "ratio")
    print(hdr)
    print("-" * len(hdr))
    for mode, rate in keys:
        m, k = by.get(("mtdhcpd", mode, rate)), by.get(("kea", mode, rate))
        if not m or not k:
            continue
        print("%-7s %7d  %7.0f/%-7.0f  %6.2f/%-6.2f  %8s/%-8s %6s  %8s/%-8s %6s" % (
            mode, rate, m["done_s"], k["done_s"], m["loss"], k["loss"],
            fmt(m["us_lease"], "%.1f"), fmt(k["us_lease"], "%.1f"),
            fmt(ratio(m["us_lease"], k["us_lease"]), "%.3f"),
            fmt(m["core_us_lease"], "%.1f"), fmt(k["core_us_lease"], "%.1f"),
            fmt(ratio(m["core_us_lease"], k["core_us_lease"]), "%.3f")))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("templates")
    t.add_argument("dir")
    s = sub.add_parser("snapshot")
    s.add_argument("dir")
    s.add_argument("pid", type=int)
    r = sub.add_parser("record")
    for opt in ("server", "mode", "before", "after", "perfdhcp"):
        r.add_argument("--" + opt, required=True)
    r.add_argument("--rate", type=int, required=True)
    r.add_argument("--secs", type=float, required=True)
    r.add_argument("--rc", type=int, required=True)
    tb = sub.add_parser("table")
    tb.add_argument("results")
    a = p.parse_args()
    if a.cmd == "templates":
        templates(a.dir)
    elif a.cmd == "snapshot":
        snapshot(a.dir, a.pid)
    elif a.cmd == "record":
        record(a)
    else:
        return table(a.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
