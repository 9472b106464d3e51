#!/usr/bin/python3
"""Forged DHCPRELEASE and DHCPDECLINE messages for test_hostile_spoof.sh (run with
/usr/bin/python3 in a lab namespace on the server's link, as the attacker).

  hostile_spoof.py IFACE --ctl MTDHCPCTL --service FILE --tenant NAME
                   --victim MAC=ADDRESS[=CLIENTID] ... [--other NAME --other-vlan VID]
                   [--server-mac MAC] [--server-ip IP]

Every victim holds ADDRESS in tenant NAME (on the untagged link); CLIENTID (hex) says the
victim sends option 61, so that the attacker can copy its MAC and still not be it
(RFC 2131 4.2: the client identifier is the identity). For each victim the attacker sends:

  - a RELEASE of the victim's address from the attacker's own MAC (unicast to the server,
    as RFC 2131 4.4.6 has a client send it) and a DECLINE of it (broadcast), in NAME;
  - when the victim has a client identifier: the same with the victim's MAC and no
    identifier;
  - a RELEASE of the victim's address with the victim's very identity that names another
    server (option 54), which is not for us;
  - with --other: the RELEASE and DECLINE with the victim's very identity on VLAN
    --other-vlan, which tenant --other serves: they reach that tenant only, where the
    victim holds nothing. Then the attacker takes a lease there with the victim's identity
    (a DORA) and releases it: released in --other, while NAME's lease stays.

Each must be ignored and counted (drop_release_not_holder, drop_decline_not_holder,
drop_not_for_us, in the tenant the message reached), no reply sent, nothing declined, and
every victim's lease still active in `mtdhcpctl leases`. Exits 1 when a check fails.
"""
import random
import sys
import time

from hostile_lib import (ACK, DECLINE, DISCOVER, NAK, OFFER, RELEASE, REQUEST, Checks, Ctl, Port,
                         arg_parser, bootp, dhcp_frame, flatten, ip_b, opt, wait_counters,
                         without_noise)


def is_drop(key):
    parts = key.split(":")
    return parts[0] == "tenant" and (parts[2].startswith("drop_") or parts[2] == "declined")


def main():
    ap = arg_parser(__doc__)
    ap.add_argument("--tenant", required=True)
    ap.add_argument("--victim", action="append", required=True)
    ap.add_argument("--other")
    ap.add_argument("--other-vlan", type=int, default=200)
    a = ap.parse_args()

    port = Port(a.iface)
    ctl = Ctl(a.ctl, a.service)
    c = Checks()
    me = port.mac_s
    sid = opt(54, ip_b(a.server_ip))

    def release(chaddr, addr, options=(sid,), tags=()):
        # RFC 2131 4.4.6: unicast to the server, from the address being released.
        xid = random.getrandbits(32)
        m = bootp(RELEASE, xid, chaddr, ciaddr=addr, flags=0, options=options)
        return dhcp_frame(m, me, dst_mac=a.server_mac, src_ip=addr, dst_ip=a.server_ip,
                          tags=tags), xid

    def decline(chaddr, addr, options=(), tags=()):
        # RFC 2131 4.4.4 and table 5: broadcast, the address in option 50, 54 our server.
        xid = random.getrandbits(32)
        m = bootp(DECLINE, xid, chaddr, flags=0,
                  options=(opt(50, ip_b(addr)), sid) + tuple(options))
        return dhcp_frame(m, me, tags=tags), xid

    def attempt(what, frame_xid, want):
        frame, xid = frame_xid
        before = flatten(ctl.stats())
        port.drain()
        port.send(frame)
        got = wait_counters(ctl, before, want)
        drops = {k: v for k, v in without_noise(got, want).items() if is_drop(k)}
        c.expect(drops == want, "%s: ignored and counted as %s (moved: %s)"
                 % (what, ", ".join(k.split(":", 1)[1] for k in want),
                    ", ".join("%s +%d" % kv for kv in sorted(drops.items())) or "nothing"))
        # Neither message has an answer (RFC 2131 4.3.3, 4.3.4); nothing may come back.
        c.expect(port.replies_first(xid, 0.3) is None, "%s: no reply" % what)

    ten = "tenant:%s:" % a.tenant
    victims = []
    for v in a.victim:
        mac, addr, *cid = v.split("=")
        victims.append((mac, addr, cid[0] if cid else None))
    for mac, addr, cid in victims:
        who = "%s's %s" % (mac, addr)
        attempt("RELEASE of %s from another MAC" % who, release(me, addr),
                {ten + "drop_release_not_holder": 1})
        attempt("DECLINE of %s from another MAC" % who, decline(me, addr),
                {ten + "drop_decline_not_holder": 1})
        if cid:
            attempt("RELEASE of %s from its MAC without its client identifier" % who,
                    release(mac, addr), {ten + "drop_release_not_holder": 1})
            attempt("DECLINE of %s from its MAC without its client identifier" % who,
                    decline(mac, addr), {ten + "drop_decline_not_holder": 1})
        ident = (opt(61, bytes.fromhex(cid.replace(":", ""))),) if cid else ()
        attempt("RELEASE of %s as its client, naming another server" % who,
                release(mac, addr, options=(opt(54, ip_b("10.0.1.77")),) + ident),
                {ten + "drop_not_for_us": 1})
        # Not a RELEASE but a REQUEST for the address (INIT-REBOOT, RFC 2131 4.3.2): the
        # server knows the address is another client's and refuses (it is authoritative).
        xid = random.getrandbits(32)
        steal = bootp(REQUEST, xid, me, options=(opt(50, ip_b(addr)),))
        r = port.exchange(dhcp_frame(steal, me), xid)
        c.expect(r is not None and r[1][2] == NAK,
                 "a REQUEST for %s from another MAC gets a NAK (%s)"
                 % (who, "type %d" % r[1][2] if r else "no reply"))
        if a.other:
            oth = "tenant:%s:" % a.other
            tags = ((0x8100, a.other_vlan),)
            attempt("RELEASE of %s as its client, sent in tenant %s" % (who, a.other),
                    release(mac, addr, options=(sid,) + ident, tags=tags),
                    {oth + "drop_release_not_holder": 1})
            attempt("DECLINE of %s as its client, sent in tenant %s" % (who, a.other),
                    decline(mac, addr, options=ident, tags=tags),
                    {oth + "drop_decline_not_holder": 1})

    # With the victim's identity in the other tenant: a lease there, then its RELEASE,
    # which frees that tenant's lease and nothing in the victim's tenant.
    if a.other:
        mac, _, cid = victims[0]
        ident = (opt(61, bytes.fromhex(cid.replace(":", ""))),) if cid else ()
        tags = ((0x8100, a.other_vlan),)
        xid = random.getrandbits(32)
        r = port.exchange(dhcp_frame(bootp(DISCOVER, xid, mac, options=ident), me, tags=tags),
                          xid)
        c.expect(r is not None and r[1][2] == OFFER and r[0]["tags"] == [(0x8100, a.other_vlan)],
                 "%s's identity on VLAN %d gets an OFFER from %s" % (mac, a.other_vlan, a.other))
        if r is not None:
            got = r[1][1]
            req = bootp(REQUEST, xid, mac, options=(opt(50, ip_b(got)), sid) + ident)
            r2 = port.exchange(dhcp_frame(req, me, tags=tags), xid)
            c.expect(r2 is not None and r2[1][2] == ACK,
                     "and an ACK: %s holds %s in %s too" % (mac, got, a.other))
            before = flatten(ctl.stats())
            port.send(release(mac, got, options=(sid,) + ident, tags=tags)[0])
            time.sleep(1.0)
            moved = {k: v for k, v in flatten(ctl.stats()).items() if v != before.get(k, 0)}
            c.expect(not any(is_drop(k) for k in moved),
                     "its RELEASE in %s is honoured (no drop counted: %s)"
                     % (a.other, sorted(moved)))
            other_leases = ctl.leases("--tenant", a.other, "--mac", mac)
            c.expect([x["state"] for x in other_leases] == ["released"],
                     "%s's lease in %s is released: %s"
                     % (mac, a.other, [(x["address"], x["state"]) for x in other_leases]))

    leases = ctl.leases("--tenant", a.tenant)
    for mac, addr, _ in victims:
        mine = [x for x in leases if x["address"] == addr]
        c.expect(len(mine) == 1 and mine[0]["state"] == "active" and
                 mine[0]["hwaddr"].lower() == mac.lower(),
                 "%s's lease of %s in %s is still active: %s"
                 % (mac, addr, a.tenant, [(x["hwaddr"], x["state"]) for x in mine]))
    s = flatten(ctl.stats())
    c.expect(s.get(ten + "declined", 0) == 0, "nothing was declined in %s" % a.tenant)
    return c.status()


if __name__ == "__main__":
    sys.exit(main())
