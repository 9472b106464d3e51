#!/usr/bin/python3
"""DHCP relay agents and their clients, simulated with plain UDP sockets, for the isolation
tests (test_reload.sh, test_flood.sh).

Each tenant is reached through a relay address (giaddr) that is a local address of this
host: requests go from giaddr:67 to the server's port 67, replies come back to giaddr:67
(RFC 2131 4.1), so one socket bound to (giaddr, 67) serves a tenant.

Modes:
  renew  --tenant NAME=GIADDR:N ... : N clients per tenant get a lease (DORA), then renew it
         (REQUEST with ciaddr, relayed, as in REBINDING) in a loop until --duration ends or
         the file --stop exists. Every exchange is counted; one without an ACK after
         --tries sends (1 s apart) is a failure. Writes per-tenant figures as JSON (--out).
  dora   --tenant NAME=GIADDR --mac MAC : one DORA; prints the address, or exits 1
         (--expect-none: exits 0 only when no OFFER comes).
  flood  --tenant NAME=GIADDR --rate R --duration S : DISCOVERs from random MACs at R per
         second; counts the OFFERs that come back. Prints JSON.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import threading
import time

COOKIE = 0x63825363
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE = 1, 2, 3, 4, 5, 6, 7


def ip2n(ip):
    return struct.unpack("!I", socket.inet_aton(ip))[0]


def n2ip(n):
    return socket.inet_ntoa(struct.pack("!I", n))


def build(mtype, mac, xid, giaddr, ciaddr=0, requested=None, server_id=None):
    """A relayed BOOTREQUEST (hops 1) with the options a client would send."""
    hdr = struct.pack("!BBBBIHHIIII16s64s128s", 1, 1, 6, 1, xid, 0, 0, ciaddr, 0, 0,
                      ip2n(giaddr), mac.ljust(16, b"\0"), b"", b"")
    opts = bytes([53, 1, mtype])
    if requested is not None:
        opts += bytes([50, 4]) + struct.pack("!I", requested)
    if server_id is not None:
        opts += bytes([54, 4]) + struct.pack("!I", server_id)
    opts += bytes([55, 4, 1, 3, 6, 51, 255])
    return (hdr + struct.pack("!I", COOKIE) + opts).ljust(300, b"\0")


def parse(data):
    """(xid, yiaddr, type, server id) of a reply, or None."""
    if len(data) < 240 or data[0] != 2 or struct.unpack("!I", data[236:240])[0] != COOKIE:
        return None
    xid, = struct.unpack("!I", data[4:8])
    yiaddr, = struct.unpack("!I", data[16:20])
    mtype = sid = None
    i = 240
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        code, ln = data[i], data[i + 1]
        val = data[i + 2:i + 2 + ln]
        if code == 53 and ln == 1:
            mtype = val[0]
        elif code == 54 and ln == 4:
            sid, = struct.unpack("!I", val)
        i += 2 + ln
    return xid, yiaddr, mtype, sid


class Relay:
    """One tenant's relay agent: a socket on giaddr:67."""

    def __init__(self, name, giaddr, server):
        self.name, self.giaddr, self.server = name, giaddr, (server, 67)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((giaddr, 67))

    def exchange(self, pkt, xid, want, timeout=1.0, tries=3):
        """Sends @pkt until a reply with @xid of a type in @want comes; returns
        (reply tuple or None, sends, seconds from the first send)."""
        t0 = time.monotonic()
        for attempt in range(1, tries + 1):
            self.sock.sendto(pkt, self.server)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    break
                data = self.sock.recv(2048)
                p = parse(data)
                if p and p[0] == xid and p[2] in want:
                    return p, attempt, time.monotonic() - t0
        return None, tries, time.monotonic() - t0

    def dora(self, mac, xid, tries=3):
        p, _, _ = self.exchange(build(DISCOVER, mac, xid, self.giaddr), xid, (OFFER,),
                                tries=tries)
        if not p:
            return None
        p2, _, _ = self.exchange(build(REQUEST, mac, xid, self.giaddr, requested=p[1],
                                       server_id=p[3]), xid, (ACK, NAK), tries=tries)
        if not p2 or p2[2] != ACK:
            return None
        return p2[1]


def mac_of(tenant_index, client):
    return bytes([0x02, 0x42, tenant_index & 0xff, 0, (client >> 8) & 0xff, client & 0xff])


def tenant_args(specs):
    out = []
    for s in specs:
        name, rest = s.split("=", 1)
        giaddr, _, n = rest.partition(":")
        out.append((name, giaddr, int(n or 1)))
    return out


def run_renew(a):
    tenants = tenant_args(a.tenant)
    stats = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + a.duration

    def stopped():
        return time.monotonic() >= stop_at or (a.stop and os.path.exists(a.stop))

    def worker(ti, name, giaddr, n):
        relay = Relay(name, giaddr, a.server)
        st = {"attempts": 0, "ok": 0, "failed": 0, "nak": 0, "retransmits": 0,
              "latencies": [], "failures_at": []}
        clients = []
        for c in range(n):
            mac = mac_of(ti + a.mac_base, c)
            xid = random.getrandbits(32)
            st["attempts"] += 1
            addr = relay.dora(mac, xid)
            if addr is None:
                st["failed"] += 1
                st["failures_at"].append(round(time.monotonic() - t_start, 2))
            else:
                st["ok"] += 1
                clients.append((mac, addr))
        i = 0
        while clients and not stopped():
            mac, addr = clients[i % len(clients)]
            i += 1
            xid = random.getrandbits(32)
            pkt = build(REQUEST, mac, xid, giaddr, ciaddr=addr)
            p, sends, dt = relay.exchange(pkt, xid, (ACK, NAK), tries=a.tries)
            st["attempts"] += 1
            st["retransmits"] += sends - 1
            if p and p[2] == ACK and p[1] == addr:
                st["ok"] += 1
                st["latencies"].append(dt)
            else:
                st["failed"] += 1
                st["nak"] += 1 if p and p[2] == NAK else 0
                st["failures_at"].append(round(time.monotonic() - t_start, 2))
            time.sleep(a.interval)
        lat = sorted(st.pop("latencies"))
        st["latency_avg_ms"] = round(1000 * sum(lat) / len(lat), 3) if lat else None
        st["latency_max_ms"] = round(1000 * lat[-1], 3) if lat else None
        st["latency_p99_ms"] = round(1000 * lat[int(0.99 * (len(lat) - 1))], 3) if lat else None
        st["success_rate"] = round(st["ok"] / st["attempts"], 5) if st["attempts"] else None
        with lock:
            stats[name] = st

    t_start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(ti, *t)) for ti, t in enumerate(tenants)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = json.dumps(stats, indent=1, sort_keys=True)
    if a.out:
        with open(a.out, "w") as f:
            f.write(out + "\n")
    else:
        print(out)


def run_dora(a):
    (name, giaddr, _), = tenant_args(a.tenant)
    relay = Relay(name, giaddr, a.server)
    mac = bytes.fromhex(a.mac.replace(":", ""))
    addr = relay.dora(mac, random.getrandbits(32), tries=a.tries)
    if a.expect_none:
        return 0 if addr is None else 1
    if addr is None:
        return 1
    print(n2ip(addr))
    return 0


def run_flood(a):
    (name, giaddr, _), = tenant_args(a.tenant)
    relay = Relay(name, giaddr, a.server)
    offers = [0]
    done = threading.Event()

    def receiver():
        while not done.is_set():
            r, _, _ = select.select([relay.sock], [], [], 0.2)
            if not r:
                continue
            while True:
                try:
                    data = relay.sock.recv(2048, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                p = parse(data)
                if p and p[2] == OFFER:
                    offers[0] += 1

    th = threading.Thread(target=receiver)
    th.start()
    base = bytearray(build(DISCOVER, b"\x02\x99\0\0\0\0", 0, giaddr))
    sent = 0
    t0 = time.monotonic()
    batch = max(1, a.rate // 1000)  # sends per millisecond tick
    while True:
        now = time.monotonic() - t0
        if now >= a.duration:
            break
        # Behind schedule (the rate is more than this host can send), send at most a
        # millisecond's worth per look at the clock, so that the duration holds.
        due = min(int(now * a.rate), sent + 10 * batch)
        while sent < due:
            for _ in range(batch):
                rnd = random.getrandbits(64)
                struct.pack_into("!I", base, 4, rnd & 0xffffffff)  # xid
                struct.pack_into("!I", base, 30, rnd >> 32)  # chaddr bytes 2..5
                try:
                    relay.sock.sendto(base, relay.server)
                except BlockingIOError:
                    pass
                sent += 1
        time.sleep(0.0005)
    time.sleep(1.0)  # the last OFFERs
    done.set()
    th.join()
    elapsed = time.monotonic() - t0 - 1.0
    print(json.dumps({"tenant": name, "sent": sent, "offers": offers[0],
                      "rate": round(sent / elapsed, 1)}))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("renew", "dora", "flood"))
    ap.add_argument("--server", default="10.0.1.1")
    ap.add_argument("--tenant", action="append", required=True)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--tries", type=int, default=3)
    ap.add_argument("--stop")
    ap.add_argument("--out")
    ap.add_argument("--mac")
    ap.add_argument("--mac-base", type=int, default=0)
    ap.add_argument("--expect-none", action="store_true")
    ap.add_argument("--rate", type=int, default=10000)
    a = ap.parse_args()
    if a.mode == "renew":
        run_renew(a)
        return 0
    if a.mode == "dora":
        return run_dora(a)
    return run_flood(a)


if __name__ == "__main__":
    sys.exit(main())
