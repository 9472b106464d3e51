#!/usr/bin/python3
"""Relay information from where no relay is, for test_hostile_trust.sh (run with
/usr/bin/python3 in a lab namespace on the server's link).

  hostile_trust.py IFACE --ctl MTDHCPCTL --service FILE --phase ignore|drop|norelay
                   [--server-mac MAC] [--server-ip IP] [--port NAME]

The tenants (see the test): "victim" is chosen by circuit-id "victim-circuit", by VSS
"victim-vpn" and by the relay address 10.0.1.3; "lan100" claims VLAN 100 (10.100.0.0/24);
"fallback" is the default tenant (10.60.0.0/24); VLAN 200 is nobody's. Each case is one
DISCOVER sent by this host:

  relay      a relayed request from 10.0.1.3 on the untagged link (a relay link), with
             the victim's circuit-id: the real thing;
  vlan-relay the same on VLAN 100 (never a relay link: lan100 claims it), with VSS
             sub-option 151 and option 221 naming the victim's VPN too;
  vlan-82    a client's own request on VLAN 100 (giaddr 0) with option 82 and 221;
  vlan200    the relayed request on VLAN 200, which no tenant claims and no relay uses;
  l2-82      a client's request on the untagged link with the victim's option 82 and no
             giaddr (what a layer-2 relay agent sends, or a client that forges it);
  opt221     a relayed request from an unknown relay whose client put option 221 naming
             the victim's VPN (the port does not trust option 221).

--phase says what the port's settings are, hence what each case must get: an OFFER from
the expected tenant's pool (checked by its address), or no reply and the drop counted;
and the port's counters must say so (relay_info_ignored, classified by key, the drop
reasons). Exits 1 when a check fails.
"""
import random
import sys

from hostile_lib import (DISCOVER, OFFER, Checks, Ctl, Port, arg_parser, bootp, dhcp_frame, flatten,
                         opt, wait_counters, without_noise)

VICTIM_RELAY = "10.0.1.3"
POOLS = {"victim": "10.50.0.", "lan100": "10.100.0.", "fallback": "10.60.0."}


def o82(*subs):
    return opt(82, b"".join(opt(c, v) for c, v in subs))


CIRCUIT = (1, b"victim-circuit")
VSS = (151, b"\0victim-vpn")  # RFC 6607 3: type 0, an NVT ASCII VPN name
OPT221 = opt(221, b"\0victim-vpn")


def main():
    ap = arg_parser(__doc__)
    ap.add_argument("--phase", required=True, choices=("ignore", "drop", "norelay"))
    ap.add_argument("--port", default="uplink")
    a = ap.parse_args()

    port = Port(a.iface)
    ctl = Ctl(a.ctl, a.service)
    c = Checks()
    me = port.mac_s
    p = "port:%s:" % a.port

    def relayed(giaddr, options, tags=()):
        def build(xid, mac):
            m = bootp(DISCOVER, xid, mac, giaddr=giaddr, flags=0, hops=1, options=options)
            return dhcp_frame(m, me, dst_mac=a.server_mac, src_ip=giaddr, dst_ip=a.server_ip,
                              sport=67, tags=tags)
        return build

    def direct(options, tags=()):
        def build(xid, mac):
            return dhcp_frame(bootp(DISCOVER, xid, mac, options=options), me, tags=tags)
        return build

    v100, v200 = ((0x8100, 100),), ((0x8100, 200),)
    served = lambda tenant, key, ignored=0: ("served", tenant, dict(
        {p + "classified:" + key: 1}, **({p + "relay_info_ignored": 1} if ignored else {})))
    dropped = lambda reason: ("dropped", None, {p + "drops:" + reason: 1})
    # name, frame, what each phase expects
    table = [
        ("relay", relayed(VICTIM_RELAY, (o82(CIRCUIT),)),
         {"ignore": served("victim", "circuit-id"), "drop": served("victim", "circuit-id"),
          "norelay": dropped("untrusted_relay")}),
        ("vlan-relay", relayed(VICTIM_RELAY, (o82(CIRCUIT, VSS), OPT221), v100),
         {"ignore": served("lan100", "vlan", 1), "drop": dropped("untrusted_relay"),
          "norelay": dropped("untrusted_relay")}),
        ("vlan-82", direct((o82(CIRCUIT, VSS), OPT221), v100),
         {"ignore": served("lan100", "vlan", 1), "drop": dropped("untrusted_relay"),
          "norelay": dropped("untrusted_relay")}),
        ("vlan200", relayed(VICTIM_RELAY, (o82(CIRCUIT),), v200),
         {"ignore": served("fallback", "default", 1), "drop": dropped("untrusted_relay"),
          "norelay": dropped("untrusted_relay")}),
        # A layer-2 relay agent's option 82 on a relay link is ignored rather than dropped
        # (docs/classification.md); where the link is no relay link it is untrusted.
        ("l2-82", direct((o82(CIRCUIT),)),
         {"ignore": served("fallback", "default", 1), "drop": served("fallback", "default", 1),
          "norelay": dropped("untrusted_relay")}),
        ("opt221", relayed("10.0.1.4", (OPT221,)),
         {"ignore": served("fallback", "default"), "drop": served("fallback", "default"),
          "norelay": dropped("untrusted_relay")}),
    ]
    for name, build, expect in table:
        outcome, tenant, want = expect[a.phase]
        xid = random.getrandbits(32)
        mac = "02:66:%02x:%02x:%02x:%02x" % tuple(random.getrandbits(8) for _ in range(4))
        tags = build(xid, mac)[12:14]
        before = flatten(ctl.stats())
        r = port.exchange(build(xid, mac), xid, timeout=2.0 if outcome == "served" else 1.0)
        got = wait_counters(ctl, before, want)
        watched = {k: v for k, v in without_noise(got, want).items()
                   if k.startswith(p + "drops:") or k.startswith(p + "classified:")
                   or k == p + "relay_info_ignored"}
        if outcome == "served":
            addr = r[1][1] if r else None
            c.expect(r is not None and r[1][2] == OFFER and addr.startswith(POOLS[tenant]),
                     "%s (%s): served by %s, not victim-by-relay-info: %s"
                     % (name, a.phase, tenant, addr if r else "no reply"))
            if r is not None and tags == b"\x81\x00":
                c.expect(r[0]["tags"] == [(0x8100, int.from_bytes(build(xid, mac)[14:16],
                                                                   "big") & 0xFFF)],
                         "%s (%s): the reply goes back on the request's VLAN" % (name, a.phase))
        else:
            c.expect(r is None, "%s (%s): dropped, no reply" % (name, a.phase))
        c.expect(watched == want, "%s (%s): counted %s (moved: %s)"
                 % (name, a.phase, ", ".join(k.split(":", 2)[2] for k in want),
                    ", ".join("%s +%d" % (k.split(":", 2)[2], v)
                              for k, v in sorted(watched.items())) or "nothing"))
    return c.status()


if __name__ == "__main__":
    sys.exit(main())
