#!/usr/bin/python3
"""Crafted DHCP frames for what real clients do not send (run with /usr/bin/python3, in a
lab namespace on the server's link). Each case sends its frame(s) from IFACE, waits for
the server's answer and checks it; it prints what it checked and exits 1 on a failure.

  proto_frames.py IFACE CASE [--relay-ip IP]

Cases:
  overload   57 = 576 and three long options asked for: the reply stays within 548
             octets (RFC 2132 9.10, read as an IP datagram), uses the file field (option
             52, RFC 2131 4.1) and leaves out the last-listed option that fits nowhere.
  maxmsg     the same with 57 = 1500: everything fits in the options field, no 52.
  hlen       hlen = 17: dropped, no reply (RFC 2131 2).
  serverid   a REQUEST naming another server: no reply (RFC 2131 4.3.2).
  rapid      DISCOVER with option 80: an ACK with option 80 (RFC 4039).
  relayport  relayed from UDP port 3067 with option 82 sub-option 19: the reply goes to
             giaddr:3067 (RFC 8357), with option 82 echoed.
"""
import argparse
import os
import random
import struct
import sys
import time

from scapy.all import AsyncSniffer, Ether, IP, UDP, conf, get_if_hwaddr, sendp

conf.verb = 0
MAGIC = b"\x63\x82\x53\x63"


def bootp(op_type, mac, xid, opts, hlen=6, flags=0x8000, giaddr="0.0.0.0", ciaddr="0.0.0.0",
          hops=0):
    hw = bytes(int(x, 16) for x in mac.split(":"))
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, hlen, hops, xid, 0, flags,
                        bytes(map(int, ciaddr.split("."))), b"\0" * 4, b"\0" * 4,
                        bytes(map(int, giaddr.split("."))), hw.ljust(16, b"\0"), b"", b"")
    body = bytes([53, 1, op_type])
    for code, value in opts:
        body += bytes([code, len(value)]) + value
    msg = fixed + MAGIC + body + b"\xff"
    return msg.ljust(300, b"\0")


def options(raw):
    """Options of a reply as {code: bytes}, joined (RFC 3396), file/sname per option 52."""
    def walk(field, out):
        i = 0
        while i < len(field):
            c = field[i]
            if c == 0:
                i += 1
                continue
            if c == 255:
                break
            n = field[i + 1]
            out[c] = out.get(c, b"") + field[i + 2:i + 2 + n]
            i += 2 + n
    out = {}
    walk(raw[240:], out)
    ov = out.get(52, b"\0")[0]
    if ov & 1:
        walk(raw[108:236], out)
    if ov & 2:
        walk(raw[44:108], out)
    return out


class Case:
    def __init__(self, iface):
        self.iface = iface
        self.mac = get_if_hwaddr(iface)
        self.failed = []
        self.checked = 0

    def expect(self, cond, what):
        self.checked += 1
        print(("ok: " if cond else "FAILED: ") + what)
        if not cond:
            self.failed.append(what)

    def exchange(self, payload, xid, src=("0.0.0.0", 68), dst=("255.255.255.255", 67),
                 port=68, timeout=2.0, dst_mac="ff:ff:ff:ff:ff:ff"):
        """Sends @payload and returns the first BOOTREPLY with @xid (bytes) or None."""
        got = []
        # Results reach the list as they come (AsyncSniffer.results is set only at stop).
        sn = AsyncSniffer(iface=self.iface, filter="udp and dst port %d" % port, store=False,
                          prn=got.append)
        sn.start()
        time.sleep(0.3)
        frame = (Ether(src=self.mac, dst=dst_mac) / IP(src=src[0], dst=dst[0]) /
                 UDP(sport=src[1], dport=dst[1]) / payload)
        sendp(frame, iface=self.iface)
        deadline = time.time() + timeout
        reply = None
        while time.time() < deadline and reply is None:
            time.sleep(0.05)
            for p in list(got):
                raw = bytes(p[UDP].payload)
                if len(raw) >= 240 and raw[0] == 2 and struct.unpack("!I", raw[4:8])[0] == xid:
                    reply = (p, raw)
                    break
        sn.stop()
        return reply


def case_overload(c, args, maxmsg):
    xid = random.getrandbits(32)
    prl = bytes([3, 224, 225, 226, 6, 15])
    req = bootp(1, c.mac, xid, [(55, prl), (57, struct.pack("!H", maxmsg))])
    r = c.exchange(req, xid)
    c.expect(r is not None, "an OFFER came back")
    if r is None:
        return
    raw = r[1]
    opts = options(raw)
    limit = maxmsg - 28
    c.expect(len(raw) <= limit, "the reply (%d octets) fits %d - 28 = %d" % (len(raw), maxmsg, limit))
    c.expect(opts.get(53) == b"\x02", "it is an OFFER")
    c.expect(len(opts.get(224, b"")) == 200, "option 224 (200 octets) is there")
    c.expect(len(opts.get(225, b"")) == 100, "option 225 (100 octets) is there")
    if maxmsg == 576:
        c.expect(opts.get(52) in (b"\x01", b"\x03"), "option 52 announces the file field")
        c.expect(226 not in opts, "option 226, listed last and fitting nowhere, is left out")
    else:
        c.expect(52 not in opts, "no option 52 when everything fits")
        c.expect(len(opts.get(226, b"")) == 200, "option 226 is there too")
    c.expect(3 in opts and 6 in opts and 15 in opts, "routers, DNS and domain are there")


def case_hlen(c, args):
    xid = random.getrandbits(32)
    r = c.exchange(bootp(1, c.mac, xid, [], hlen=17), xid, timeout=1.5)
    c.expect(r is None, "no reply to hlen 17")


def case_serverid(c, args):
    xid = random.getrandbits(32)
    r = c.exchange(bootp(1, c.mac, xid, []), xid)
    c.expect(r is not None, "an OFFER came back")
    if r is None:
        return
    offered = r[1][16:20]
    req = bootp(3, c.mac, xid, [(54, bytes([10, 0, 1, 77])), (50, offered)])
    r = c.exchange(req, xid, timeout=1.5)
    c.expect(r is None, "no reply to a REQUEST for another server")


def case_rapid(c, args):
    xid = random.getrandbits(32)
    r = c.exchange(bootp(1, c.mac, xid, [(80, b"")]), xid)
    c.expect(r is not None, "a reply came back")
    if r is None:
        return
    opts = options(r[1])
    c.expect(opts.get(53) == b"\x05", "it is an ACK, not an OFFER")
    c.expect(80 in opts and opts[80] == b"", "it carries rapid commit (80)")
    c.expect(51 in opts, "it carries a lease time")


def case_relayport(c, args):
    xid = random.getrandbits(32)
    o82 = bytes([1, 1, ord("x"), 19, 0])
    req = bootp(1, c.mac, xid, [(82, o82)], flags=0, giaddr=args.relay_ip, hops=1)
    r = c.exchange(req, xid, src=(args.relay_ip, 3067), dst=("10.0.1.1", 67), port=3067,
                   dst_mac=args.server_mac)
    c.expect(r is not None, "a reply came back to port 3067")
    if r is None:
        return
    p, raw = r
    c.expect(p[IP].dst == args.relay_ip, "to giaddr %s" % args.relay_ip)
    c.expect(p[UDP].sport == 67, "from port 67")
    c.expect(options(raw).get(82) == o82, "option 82 echoed unchanged")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("case")
    ap.add_argument("--relay-ip", default="10.0.1.9")
    ap.add_argument("--server-mac", default="02:00:00:00:00:01")
    args = ap.parse_args()
    c = Case(args.iface)
    cases = {
        "overload": lambda: case_overload(c, args, 576),
        "maxmsg": lambda: case_overload(c, args, 1500),
        "hlen": lambda: case_hlen(c, args),
        "serverid": lambda: case_serverid(c, args),
        "rapid": lambda: case_rapid(c, args),
        "relayport": lambda: case_relayport(c, args),
    }
    cases[args.case]()
    print("%s: %d checks, %d failed" % (args.case, c.checked, len(c.failed)))
    return 1 if c.failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
