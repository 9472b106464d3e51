#!/usr/bin/python3
"""Checks the protocol integration tests' captures (run with /usr/bin/python3).

Frames are decoded by dhcp_pcap.py's byte-level decoder. Commands (each prints what it
checked and exits 1 with the reasons when a check fails):
  renew-rebind PCAP --ip IP --server IP
      RFC 2131 4.3.2/4.4.5: a RENEWING request (unicast to the server, ciaddr IP, no 50/54)
      and a REBINDING one (broadcast, ciaddr IP), each answered by an ACK of IP with the
      same xid, unicast to ciaddr (RFC 2131 4.1).
  decline PCAP --ip IP
      RFC 2131 4.3.3: a DECLINE of IP (option 50) and, after it, an OFFER of another address.
  inform PCAP --ip IP
      RFC 2131 4.3.5: an INFORM from IP answered by an ACK unicast to IP:68 with yiaddr 0
      and no lease time (51, 58, 59).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dhcp_pcap import Checker, ip, ip_bytes, read_dhcp  # noqa: E402

BCAST = b"\xff\xff\xff\xff"


def answered(frames, req):
    """The first ACK/NAK after @req with its xid."""
    for f in frames:
        if f.ts >= req.ts and f.op == 2 and f.xid == req.xid and f.msg in ("ACK", "NAK"):
            return f
    return None


def renew_rebind(a, c):
    frames = read_dhcp(a.pcap)
    want = ip_bytes(a.ip)
    states = {"RENEWING": None, "REBINDING": None}
    for f in frames:
        if f.op != 1 or f.msg != "REQUEST" or f.ciaddr != want:
            continue
        state = "REBINDING" if f.ip_dst == BCAST else "RENEWING"
        if states[state] is None:
            states[state] = f
    for state, req in states.items():
        c.expect(req is not None, "no %s request with ciaddr %s" % (state, a.ip))
        if req is None:
            continue
        c.expect(50 not in req.options and 54 not in req.options,
                 "%s request carries 50 or 54" % state)
        if state == "RENEWING":
            c.expect(ip(req.ip_dst) == a.server, "RENEWING request not unicast to the server")
        ack = answered(frames, req)
        c.expect(ack is not None and ack.msg == "ACK", "%s request got no ACK" % state)
        if ack is not None:
            c.expect(ack.yiaddr == want, "%s ACK yiaddr %s" % (state, ip(ack.yiaddr)))
            c.expect(ack.ip_dst == want and ack.dport == 68,
                     "%s ACK not unicast to ciaddr: %s" % (state, ack.describe()))
            c.expect(ack.ciaddr == want, "%s ACK does not copy ciaddr" % state)


def decline(a, c):
    frames = read_dhcp(a.pcap)
    want = ip_bytes(a.ip)
    dec = [f for f in frames if f.op == 1 and f.msg == "DECLINE"]
    c.expect(len(dec) >= 1, "no DECLINE")
    if dec:
        c.expect(dec[0].options.get(50) == want, "the DECLINE is not for %s" % a.ip)
        later = [f for f in frames if f.ts > dec[0].ts and f.op == 2 and f.msg == "OFFER"]
        c.expect(len(later) >= 1, "no OFFER after the DECLINE")
        for f in later:
            c.expect(f.yiaddr != want, "%s offered again after its DECLINE" % a.ip)


def inform(a, c):
    frames = read_dhcp(a.pcap)
    want = ip_bytes(a.ip)
    inf = [f for f in frames if f.op == 1 and f.msg == "INFORM"]
    c.expect(len(inf) >= 1, "no INFORM")
    if inf:
        c.expect(inf[0].ciaddr == want, "INFORM ciaddr is not %s" % a.ip)
        ack = answered(frames, inf[0])
        c.expect(ack is not None and ack.msg == "ACK", "the INFORM got no ACK")
        if ack is not None:
            c.expect(ack.yiaddr == b"\0\0\0\0", "the ACK has yiaddr %s" % ip(ack.yiaddr))
            for code in (51, 58, 59):
                c.expect(code not in ack.options, "the ACK carries option %d" % code)
            c.expect(ack.ip_dst == want and ack.dport == 68,
                     "the ACK is not unicast to ciaddr: %s" % ack.describe())
            c.expect(54 in ack.options, "the ACK has no server identifier")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("renew-rebind")
    s.add_argument("pcap")
    s.add_argument("--ip", required=True)
    s.add_argument("--server", required=True)
    for name in ("decline", "inform"):
        s = sub.add_parser(name)
        s.add_argument("pcap")
        s.add_argument("--ip", required=True)
    a = p.parse_args()
    c = Checker()
    {"renew-rebind": renew_rebind, "decline": decline, "inform": inform}[a.cmd](a, c)
    return c.finish(a.cmd)


if __name__ == "__main__":
    sys.exit(main())
