#!/usr/bin/python3
"""Malformed frames and relay loops for test_hostile_frames.sh (run with /usr/bin/python3 in
a lab namespace on the server's link).

  hostile_frames.py IFACE --ctl MTDHCPCTL --service FILE [--server-mac MAC]
                    [--server-ip IP] [--relay-ip IP] [--tenant NAME] [--relay-tenant NAME]
                    [--port NAME] [--only CASE,...]

Sends each case's frame --repeat times (default 3) from a raw socket and checks, through
`mtdhcpctl stats --json`, that exactly the drop counter named for the case moved by that
many (the port's drops by reason, or the tenant's parse counters, which also count as
drop_malformed), and that no reply came. The relay cases are relayed requests from
--relay-ip (the giaddr of --relay-tenant) to the server's MAC and address: hops 17 and 255
are dropped (RFC 1542 4.1.1), hops 16 is served; so are relayed requests whose option 82
cannot be read or names a VPN nobody serves (RFC 6607). Exits 1 when a check fails.
"""
import random
import sys

from hostile_lib import (BCAST_MAC, DISCOVER, OFFER, Checks, Ctl, Port, arg_parser, bootp,
                         dhcp_frame, ether, flatten, ipv4, opt, udp, wait_counters, without_noise)

PRL = opt(55, bytes([1, 3, 6, 51]))


def is_drop(key):
    parts = key.split(":")
    return (parts[0] == "port" and parts[2] == "drops") or \
        (parts[0] == "tenant" and parts[2].startswith("drop_"))


def discover(mac, xid, **kw):
    kw.setdefault("options", (PRL,))
    return bootp(DISCOVER, xid, mac, **kw)


def cases(a, mac):
    """(name, frame builder(xid), {counter: moves per frame}) for each case."""
    src, bc = "0.0.0.0", "255.255.255.255"
    port = "port:%s:drops:" % a.port
    ten = "tenant:%s:" % a.tenant
    far = "tenant:%s:" % a.relay_tenant

    def ok_udp(msg, **kw):
        return udp(src, bc, 68, 67, msg, **kw)

    def frame(l3):
        return ether(BCAST_MAC, mac, l3)

    def whole(xid):
        return dhcp_frame(discover(mac, xid), mac)

    def cut(n):
        return lambda xid: whole(xid)[:n]

    def short_dhcp(n):
        # Every header consistent: the DHCP message itself is @n octets.
        return lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid)[:n])))

    def cut_option(xid):
        # Option 12 says 40 octets and the message ends after 5 of them.
        m = discover(mac, xid, end=False, pad_to=0) + bytes([12, 40]) + b"host-"
        return frame(ipv4(src, bc, ok_udp(m)))

    def big(n):
        return lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid, pad_to=n))))

    def relayed(hops, options=(PRL,)):
        def build(xid):
            m = discover(mac, xid, hops=hops, giaddr=a.relay_ip, flags=0, options=options)
            return dhcp_frame(m, mac, dst_mac=a.server_mac, src_ip=a.relay_ip,
                              dst_ip=a.server_ip, sport=67)
        return build

    malformed = ten + "drop_malformed"
    return [
        # Truncated on the way: fewer octets than the headers say.
        ("truncated: the Ethernet header alone (14 octets)", cut(14), {port + "truncated": 1}),
        ("truncated: 16 octets of the IPv4 header (30 octets)", cut(30),
         {port + "truncated": 1}),
        ("truncated: IPv4 and UDP headers, no payload (42 octets)", cut(42),
         {port + "truncated": 1}),
        ("truncated: half the DHCP message (190 octets)", cut(190), {port + "truncated": 1}),
        # Headers that lie about themselves.
        ("bad IPv4 header checksum",
         lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid)), bad_csum=True)),
         {port + "bad_ipv4": 1}),
        ("IPv4 version 6 in an IPv4 frame",
         lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid)), version=6)),
         {port + "bad_ipv4": 1}),
        ("IPv4 header length 16 octets (IHL 4)",
         lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid)), ihl=4)),
         {port + "bad_ipv4": 1}),
        ("IPv4 total length shorter than its header",
         lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid)), total=19)),
         {port + "bad_ipv4": 1}),
        ("bad UDP checksum",
         lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid), bad_csum=True))),
         {port + "bad_udp": 1}),
        ("UDP length beyond the IPv4 datagram",
         lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid), length=400))),
         {port + "bad_udp": 1}),
        ("UDP length below its own header",
         lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid), length=6))),
         {port + "bad_udp": 1}),
        # Fragments: DHCP is never fragmented here, and nothing is reassembled.
        ("IPv4 first fragment (more fragments set)",
         lambda xid: frame(ipv4(src, bc, ok_udp(discover(mac, xid)), frag=0x2000)),
         {port + "fragment": 1}),
        ("IPv4 last fragment (offset 1480)",
         lambda xid: frame(ipv4(src, bc, discover(mac, xid), frag=185)),
         {port + "fragment": 1}),
        # Three VLAN tags: no place in the (port, outer, inner) key.
        ("three VLAN tags",
         lambda xid: ether(BCAST_MAC, mac, ipv4(src, bc, ok_udp(discover(mac, xid))),
                           tags=((0x88A8, 300), (0x8100, 100), (0x8100, 7))),
         {port + "too_many_tags": 1}),
        # Oversized: the links carry jumbo frames; the port's 2 KB buffers take one in
        # several segments, which nothing here reassembles.
        ("a 9000-octet jumbo frame (a DHCP message of 8958 octets)", big(8958),
         {port + "multiseg": 1}),
        ("a DHCP message of 1600 octets (over the 1500 served)", big(1600),
         {ten + "drop_too_long": 1, malformed: 1}),
        # Well-formed frames carrying a broken DHCP message: the tenant's parse counters.
        ("a DHCP message of 58 octets", short_dhcp(58), {ten + "drop_short": 1, malformed: 1}),
        ("a DHCP message of 239 octets (the cookie cut)", short_dhcp(239),
         {ten + "drop_short": 1, malformed: 1}),
        ("an option running past the message", cut_option,
         {ten + "drop_bad_option": 1, malformed: 1}),
        ("hlen 17", lambda xid: dhcp_frame(discover(mac, xid, hlen=17), mac),
         {ten + "drop_bad_hlen": 1, malformed: 1}),
        ("no magic cookie", lambda xid: dhcp_frame(discover(mac, xid, cookie=False), mac),
         {ten + "drop_no_cookie": 1, malformed: 1}),
        ("op 2 (a BOOTREPLY sent to the server's port)",
         lambda xid: dhcp_frame(discover(mac, xid, op=2), mac),
         {ten + "drop_not_request": 1, malformed: 1}),
        ("no option 53 (BOOTP)", lambda xid: dhcp_frame(bootp(None, xid, mac), mac),
         {ten + "drop_no_type": 1, malformed: 1}),
        # A relay loop: more hops than any relay forwards (RFC 1542 4.1.1: at most 16).
        ("relayed with hops 17", relayed(17),
         {far + "drop_bad_hops": 1, far + "drop_malformed": 1}),
        ("relayed with hops 255", relayed(255),
         {far + "drop_bad_hops": 1, far + "drop_malformed": 1}),
        # A buggy relay: relay information that cannot be read, or names a VPN nobody
        # serves. Both stop the classification before giaddr is looked at
        # (docs/classification.md), so neither reaches the relay's tenant.
        ("relayed with an option 82 sub-option running past the option",
         relayed(1, (PRL, opt(82, bytes([1, 20]) + b"eth0/1"))), {port + "bad_relay_info": 1}),
        ("relayed with VSS naming a VPN no tenant serves",
         relayed(1, (PRL, opt(82, opt(151, b"\0nobody-vpn")))), {port + "unknown_vpn": 1}),
    ]


def main():
    ap = arg_parser(__doc__)
    ap.add_argument("--relay-ip", default="10.0.1.9")
    ap.add_argument("--tenant", default="lan")
    ap.add_argument("--relay-tenant", default="far")
    ap.add_argument("--port", default="uplink")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only")
    a = ap.parse_args()

    port = Port(a.iface)
    ctl = Ctl(a.ctl, a.service)
    c = Checks()
    only = set(a.only.split(",")) if a.only else None
    for name, build, per_frame in cases(a, port.mac_s):
        if only and not any(o in name for o in only):
            continue
        xid = random.getrandbits(32)
        want = {k: v * a.repeat for k, v in per_frame.items()}
        before = flatten(ctl.stats())
        port.drain()
        for _ in range(a.repeat):
            port.send(build(xid))
        got = wait_counters(ctl, before, want)
        drops = {k: v for k, v in without_noise(got, want).items() if is_drop(k)}
        c.expect(drops == want, "%s: dropped and counted %s (moved: %s)"
                 % (name, ", ".join("%s +%d" % kv for kv in want.items()),
                    ", ".join("%s +%d" % kv for kv in sorted(drops.items())) or "nothing"))
        c.expect(port.replies_first(xid, 0.3) is None, "%s: no reply" % name)

    # The boundary of the relay loop: hops 16 is a request like any other.
    if not only or any("hops 16" in o for o in only):
        xid = random.getrandbits(32)
        m = discover(port.mac_s, xid, hops=16, giaddr=a.relay_ip, flags=0)
        f = dhcp_frame(m, port.mac_s, dst_mac=a.server_mac, src_ip=a.relay_ip,
                       dst_ip=a.server_ip, sport=67)
        r = port.exchange(f, xid, timeout=3)
        c.expect(r is not None and r[1][2] == OFFER and r[0]["dst_ip"] == a.relay_ip
                 and r[0]["dport"] == 67,
                 "relayed with hops 16: an OFFER back to the relay %s:67 (%s)"
                 % (a.relay_ip, r[1][1] if r else "no reply"))
    return c.status()


if __name__ == "__main__":
    sys.exit(main())
