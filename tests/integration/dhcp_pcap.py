#!/usr/bin/python3
"""Checks DHCPv4 captures made by the integration tests (run with /usr/bin/python3).

The frames are decoded here byte by byte (Ethernet, up to two VLAN tags, IPv4, UDP, BOOTP
and its options) rather than through scapy's dissectors, so that an option is compared as
the exact bytes on the wire; scapy only reads the pcap files.

Commands (each prints what it checked and exits 1 with the reasons when a check fails):
  relay PCAP --server IP --relay-src IP --giaddr IP --clients N
  vlan PCAP (--vlan VID[,VID] | --untagged) --server-id IP --clients N [--chaddr MAC]
       [--flags 0|1|0,1]
  ack-window PCAP --hwaddr MAC --locked T0 --released T1
  db-has-hwaddr DB MAC
"""
import argparse
import sqlite3
import struct
import sys

from scapy.utils import RawPcapReader

TPIDS = (0x8100, 0x88A8, 0x9100)
MSG_NAMES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
             7: "RELEASE", 8: "INFORM"}
MAGIC = b"\x63\x82\x53\x63"
BROADCAST_FLAG = 0x8000


class Frame:
    """One decoded Ethernet/IPv4/UDP/BOOTP frame (only DHCP frames are kept)."""

    def __init__(self, ts, data):
        self.ts = ts
        self.eth_dst = data[0:6]
        self.eth_src = data[6:12]
        self.tags = []  # (tpid, vid), outermost first
        off = 12
        etype = struct.unpack_from("!H", data, off)[0]
        while etype in TPIDS:
            tci = struct.unpack_from("!H", data, off + 2)[0]
            self.tags.append((etype, tci & 0x0FFF))
            off += 4
            etype = struct.unpack_from("!H", data, off)[0]
        off += 2
        if etype != 0x0800:
            raise ValueError("not IPv4")
        ihl = (data[off] & 0x0F) * 4
        if data[off + 9] != 17:
            raise ValueError("not UDP")
        self.ip_src = data[off + 12:off + 16]
        self.ip_dst = data[off + 16:off + 20]
        off += ihl
        self.sport, self.dport = struct.unpack_from("!HH", data, off)
        if 67 not in (self.sport, self.dport) and 68 not in (self.sport, self.dport):
            raise ValueError("not DHCP")
        bootp = data[off + 8:]
        if len(bootp) < 240 or bootp[236:240] != MAGIC:
            raise ValueError("not DHCP")
        self.op = bootp[0]
        self.xid = struct.unpack_from("!I", bootp, 4)[0]
        self.flags = struct.unpack_from("!H", bootp, 10)[0]
        self.ciaddr = bootp[12:16]
        self.yiaddr = bootp[16:20]
        self.giaddr = bootp[24:28]
        self.chaddr = bootp[28:28 + min(bootp[2], 16)]
        self.options = parse_options(bootp[240:])
        mtype = self.options.get(53, b"")
        self.msg = MSG_NAMES.get(mtype[0], "?") if len(mtype) == 1 else "?"

    def describe(self):
        return "%s xid %08x %s:%d -> %s:%d eth %s -> %s tags %s" % (
            self.msg, self.xid, ip(self.ip_src), self.sport, ip(self.ip_dst), self.dport,
            mac(self.eth_src), mac(self.eth_dst), self.tags or "none")


def parse_options(raw):
    """Options as {code: bytes}, first occurrence; stops at END (RFC 2132 section 2)."""
    opts = {}
    i = 0
    while i < len(raw):
        code = raw[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            break
        if i + 1 >= len(raw) or i + 2 + raw[i + 1] > len(raw):
            raise ValueError("truncated option %d" % code)
        opts.setdefault(code, raw[i + 2:i + 2 + raw[i + 1]])
        i += 2 + raw[i + 1]
    return opts


def ip(b):
    return ".".join(str(x) for x in b)


def ip_bytes(s):
    return bytes(int(x) for x in s.split("."))


def mac(b):
    return ":".join("%02x" % x for x in b)


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def read_dhcp(path):
    frames = []
    for data, meta in RawPcapReader(path):
        ts = meta.sec + meta.usec / 1e6 if hasattr(meta, "sec") else \
            meta.tshigh * 4294967296 / 1e6 + meta.tslow / 1e6
        try:
            frames.append(Frame(ts, bytes(data)))
        except (ValueError, struct.error, IndexError):
            continue
    return frames


class Checker:
    def __init__(self):
        self.errors = []
        self.checked = 0

    def expect(self, cond, what):
        self.checked += 1
        if not cond:
            self.errors.append(what)

    def finish(self, label):
        if self.errors:
            print("%s: %d of %d checks FAILED:" % (label, len(self.errors), self.checked))
            for e in self.errors[:40]:
                print("  - " + e)
            return 1
        print("%s: all %d checks passed" % (label, self.checked))
        return 0


def cmd_relay(a):
    """RFC 3046 section 2.2 and RFC 2131 section 4.1 on the relay's server-side link."""
    frames = read_dhcp(a.pcap)
    c = Checker()
    server, relay_src, giaddr = ip_bytes(a.server), ip_bytes(a.relay_src), ip_bytes(a.giaddr)
    requests = {}
    for f in frames:
        if f.op == 1 and f.ip_src == relay_src:
            c.expect(f.giaddr == giaddr, "relayed %s has giaddr %s" % (f.describe(), ip(f.giaddr)))
            c.expect(82 in f.options, "relayed %s carries no option 82" % f.describe())
            requests.setdefault(f.xid, []).append(f)
    replies = [f for f in frames if f.op == 2]
    for f in replies:
        d = f.describe()
        c.expect(f.ip_src == server and f.sport == 67, "reply not from %s:67: %s" % (a.server, d))
        c.expect(f.ip_dst == giaddr and f.dport == 67, "reply not to giaddr:67: %s" % d)
        c.expect(f.eth_dst[0] & 1 == 0, "reply not Ethernet unicast: %s" % d)
        c.expect(f.giaddr == giaddr, "reply giaddr %s: %s" % (ip(f.giaddr), d))
        reqs = requests.get(f.xid, [])
        c.expect(bool(reqs), "reply with no relayed request of that xid: %s" % d)
        if reqs:
            # RFC 3046 section 2.2: the server copies option 82 back unchanged.
            want = reqs[-1].options.get(82)
            got = f.options.get(82)
            c.expect(got == want, "option 82 %s != request's %s: %s" % (
                got.hex() if got else None, want.hex() if want else None, d))
    acked = {f.xid for f in replies if f.msg == "ACK"}
    offered = {f.xid for f in replies if f.msg == "OFFER"}
    c.expect(len(offered) >= a.clients, "OFFERs for %d xids, want %d" % (len(offered), a.clients))
    c.expect(len(acked) >= a.clients, "ACKs for %d xids, want %d" % (len(acked), a.clients))
    return c.finish("relay %s (%d requests, %d replies)" % (a.pcap, len(requests), len(replies)))


def cmd_vlan(a):
    """RFC 2131 section 4.1 delivery of OFFER/ACK on a directly attached (tagged) link."""
    frames = read_dhcp(a.pcap)
    if a.chaddr:
        # On an access port the tagger floods other clients' replies too; keep this one's.
        frames = [f for f in frames if f.chaddr[:6] == mac_bytes(a.chaddr)]
    c = Checker()
    server = ip_bytes(a.server_id)
    want_tags = [] if a.untagged else [int(v) for v in a.vlan.split(",")]
    requests = {}
    for f in frames:
        if f.op == 1:
            requests.setdefault(f.xid, []).append(f)
    replies = [f for f in frames if f.op == 2]
    for f in replies:
        d = f.describe()
        c.expect([vid for _, vid in f.tags] == want_tags,
                 "reply tags %s, want VIDs %s: %s" % (f.tags, want_tags, d))
        c.expect(f.ip_src == server and f.sport == 67 and f.dport == 68,
                 "reply not from %s:67 to port 68: %s" % (a.server_id, d))
        c.expect(f.options.get(54) == server, "option 54 %s: %s" % (
            ip(f.options[54]) if 54 in f.options else None, d))
        reqs = requests.get(f.xid, [])
        c.expect(bool(reqs), "reply with no request of that xid: %s" % d)
        if not reqs or f.msg not in ("OFFER", "ACK"):
            continue
        req = reqs[-1]
        if req.flags & BROADCAST_FLAG:
            c.expect(f.ip_dst == b"\xff" * 4, "broadcast-flag reply not to 255.255.255.255: " + d)
            c.expect(f.eth_dst == b"\xff" * 6, "broadcast-flag reply not to ff:..:ff: " + d)
        elif req.ciaddr == b"\0" * 4:
            c.expect(f.ip_dst == f.yiaddr, "flag-0 reply not to yiaddr %s: %s" % (ip(f.yiaddr), d))
            c.expect(f.eth_dst == req.chaddr[:6], "flag-0 reply not to chaddr %s: %s" % (
                mac(req.chaddr), d))
    flags = {}
    for xid, reqs in requests.items():
        if any(f.xid == xid and f.msg == "ACK" for f in replies):
            flags[xid] = reqs[-1].flags & BROADCAST_FLAG
    c.expect(len(flags) >= a.clients, "ACKed exchanges %d, want %d" % (len(flags), a.clients))
    if a.flags:
        want = {BROADCAST_FLAG if x == "1" else 0 for x in a.flags.split(",")}
        got = set(flags.values())
        c.expect(got == want, "ACKed exchanges have broadcast flags %s, want %s" % (
            sorted(x >> 15 for x in got), sorted(x >> 15 for x in want)))
    return c.finish("vlan %s (%d requests, %d replies)" % (a.pcap, sum(map(len, requests.values())),
                                                          len(replies)))


def cmd_ack_window(a):
    """RFC 2131 section 3.1 step 4: no DHCPACK while the lease database is locked."""
    frames = [f for f in read_dhcp(a.pcap) if f.chaddr[:6] == mac_bytes(a.hwaddr)]
    c = Checker()
    acks = [f for f in frames if f.op == 2 and f.msg == "ACK"]
    reqs_locked = [f for f in frames if f.msg == "REQUEST" and a.locked <= f.ts < a.released]
    offers_locked = [f for f in frames if f.msg == "OFFER" and a.locked <= f.ts < a.released]
    # Without a REQUEST inside the window the test would prove nothing.
    c.expect(bool(reqs_locked), "no DHCPREQUEST while the database was locked")
    c.expect(bool(offers_locked), "no DHCPOFFER while the database was locked")
    for f in acks:
        c.expect(not (a.locked <= f.ts < a.released),
                 "DHCPACK at %.6f while the database was locked (%.6f..%.6f)" % (
                     f.ts, a.locked, a.released))
    c.expect(any(f.ts >= a.released for f in acks), "no DHCPACK after the lock was released")
    for f in frames:
        print("  %.6f %s" % (f.ts, f.describe()))
    print("  lock held %.6f .. %.6f" % (a.locked, a.released))
    return c.finish("ack-window %s" % a.pcap)


def cmd_db_has_hwaddr(a):
    """True when some row of some table holds the MAC: as 6 bytes, as text, or hex."""
    want = mac_bytes(a.mac)
    texts = {a.mac.lower(), a.mac.lower().replace(":", "-"), want.hex()}
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for t in tables:
        for row in db.execute('SELECT * FROM "%s"' % t.replace('"', '""')):
            for v in row:
                if (isinstance(v, bytes) and (v == want or v[:6] == want and len(v) == 16)) or \
                        (isinstance(v, str) and v.lower() in texts):
                    print("db %s: table %s has a row with %s: %r" % (a.db, t, a.mac, row))
                    return 0
    print("db %s: no row with %s in tables %s" % (a.db, a.mac, tables))
    return 1


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("relay")
    r.add_argument("pcap")
    r.add_argument("--server", required=True)
    r.add_argument("--relay-src", required=True)
    r.add_argument("--giaddr", required=True)
    r.add_argument("--clients", type=int, required=True)
    v = sub.add_parser("vlan")
    v.add_argument("pcap")
    v.add_argument("--vlan", default="")
    v.add_argument("--untagged", action="store_true")
    v.add_argument("--server-id", required=True)
    v.add_argument("--clients", type=int, required=True)
    v.add_argument("--chaddr", help="only this client's exchanges")
    v.add_argument("--flags", help="the broadcast flags the ACKed exchanges must have: 0, 1, 0,1")
    w = sub.add_parser("ack-window")
    w.add_argument("pcap")
    w.add_argument("--hwaddr", required=True)
    w.add_argument("--locked", type=float, required=True)
    w.add_argument("--released", type=float, required=True)
    d = sub.add_parser("db-has-hwaddr")
    d.add_argument("db")
    d.add_argument("mac")
    a = p.parse_args()
    return {"relay": cmd_relay, "vlan": cmd_vlan, "ack-window": cmd_ack_window,
            "db-has-hwaddr": cmd_db_has_hwaddr}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
