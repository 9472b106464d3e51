#!/usr/bin/python3
"""Helpers of test_tenants_four.sh (run with /usr/bin/python3).

  tenants_check.py relay-dora --server IP --giaddr IP --mac MAC [--vss NAME]
                   [--vss-option NAME] [--circuit TEXT] [--expect-none] [--timeout S]
      Acts as a relay agent at --giaddr (run it in the relay's namespace, where that
      address is configured): sends a relayed DISCOVER for client MAC with option 82
      (sub-option 1 circuit-id, sub-option 151 VSS type 0 with the VPN name, sub-option
      152 VSS-Control; RFC 3046, RFC 6607) and option 221 when asked, from giaddr:67 to the
      server's port 67; then the REQUEST for the address offered. Checks that OFFER and ACK
      come back to giaddr:67 for this xid and chaddr, with option 82's sub-options 1 and
      151 echoed as sent. Prints "address A server S". With --expect-none, checks instead
      that no reply at all comes within --timeout.

  tenants_check.py tags PCAP --tags TPID:VID[,TPID:VID] --min N
      Every DHCP frame in PCAP whose outermost VLAN id is the first one of --tags (the
      site's frames; a trunk also floods other sites' broadcasts) carries exactly these
      tags, TPIDs included, outermost first (e.g. 88a8:300,8100:100); at least N of them
      are server replies (UDP source port 67 to port 68).

  tenants_check.py absent LEASES_JSON MAC...
      `mtdhcpctl leases --json` lists no lease, in any tenant, for any of the MACs.

Exits 1 with the reasons when a check fails.
"""
import argparse
import json
import random
import select
import socket
import struct
import sys
import time

from scapy.utils import RawPcapReader

MAGIC = b"\x63\x82\x53\x63"
TPIDS = (0x8100, 0x88A8, 0x9100)


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def options(raw):
    """The options field as {code: value}, repeated options joined (RFC 3396)."""
    out, i = {}, 0
    while i < len(raw):
        code = raw[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(raw):
            break
        n = raw[i + 1]
        out[code] = out.get(code, b"") + raw[i + 2:i + 2 + n]
        i += 2 + n
    return out


def suboptions(raw):
    out, i = {}, 0
    while i + 1 < len(raw):
        code, n = raw[i], raw[i + 1]
        out.setdefault(code, raw[i + 2:i + 2 + n])
        i += 2 + n
    return out


def opt(code, value):
    return bytes([code, len(value)]) + value


def message(msg_type, xid, giaddr, chaddr, relay_info, vss_option, extra=b""):
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 1, xid, 0, 0, b"\0" * 4,
                        b"\0" * 4, b"\0" * 4, socket.inet_aton(giaddr),
                        chaddr + b"\0" * 10, b"", b"")
    o = opt(53, bytes([msg_type])) + opt(55, bytes([1, 3, 6, 51, 54])) + extra
    if vss_option is not None:
        o += opt(221, vss_option)
    if relay_info:
        o += opt(82, relay_info)  # RFC 3046 2.1: the relay appends it, last
    return fixed + MAGIC + o + b"\xff"


def reply(sock, xid, chaddr, want_type, timeout):
    """The first reply of @want_type for @xid and @chaddr, or None after @timeout."""
    deadline = time.time() + timeout
    while True:
        left = deadline - time.time()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return None
        data, src = sock.recvfrom(4096)
        if len(data) < 240 or data[236:240] != MAGIC or data[0] != 2:
            continue
        if struct.unpack_from("!I", data, 4)[0] != xid or data[28:34] != chaddr:
            continue
        o = options(data[240:])
        if o.get(53) == bytes([want_type]):
            return data, o, src


def cmd_relay_dora(a):
    errors = []
    chaddr = mac_bytes(a.mac)
    xid = random.getrandbits(32)
    relay_info = b""
    if a.circuit:
        relay_info += opt(1, a.circuit.encode())
    vss = None
    if a.vss:
        vss = b"\x00" + a.vss.encode()  # RFC 6607: type 0, NVT ASCII VPN name
        relay_info += opt(151, vss) + opt(152, b"")
    vss_option = b"\x00" + a.vss_option.encode() if a.vss_option else None

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((a.giaddr, 67))
    sock.sendto(message(1, xid, a.giaddr, chaddr, relay_info, vss_option), (a.server, 67))
    got = reply(sock, xid, chaddr, 2, a.timeout)
    if a.expect_none:
        if got:
            print("  - a reply came for xid %08x: the request should have been dropped" % xid)
            return 1
        print("no reply in %.1f s, as expected" % a.timeout)
        return 0
    if not got:
        print("  - no OFFER for xid %08x within %.1f s" % (xid, a.timeout))
        return 1
    data, o, src = got
    yiaddr = socket.inet_ntoa(data[16:20])
    server_id = o.get(54, b"")
    if src[1] != 67:
        errors.append("OFFER came from port %d, not 67" % src[1])
    request = message(3, xid, a.giaddr, chaddr, relay_info, vss_option,
                      opt(50, data[16:20]) + (opt(54, server_id) if server_id else b""))
    sock.sendto(request, (a.server, 67))
    got = reply(sock, xid, chaddr, 5, a.timeout)
    if not got:
        print("  - no ACK for xid %08x (offered %s)" % (xid, yiaddr))
        return 1
    data, o, src = got
    if socket.inet_ntoa(data[16:20]) != yiaddr:
        errors.append("ACK for %s, OFFER was %s" % (socket.inet_ntoa(data[16:20]), yiaddr))
    # RFC 3046 2.2: the server echoes option 82; the sub-options we classify by must be there.
    echoed = suboptions(o.get(82, b""))
    if a.circuit and echoed.get(1) != a.circuit.encode():
        errors.append("ACK's option 82 circuit-id %r, sent %r" % (echoed.get(1), a.circuit))
    if vss and echoed.get(151) != vss:
        errors.append("ACK's option 82 VSS sub-option %r, sent %r" % (echoed.get(151), vss))
    for e in errors:
        print("  - " + e)
    print("address %s server %s" % (yiaddr, socket.inet_ntoa(server_id) if server_id else "?"))
    return 1 if errors else 0


def frame_tags(data):
    tags, off = [], 12
    etype = struct.unpack_from("!H", data, off)[0]
    while etype in TPIDS:
        tci = struct.unpack_from("!H", data, off + 2)[0]
        tags.append((etype, tci & 0x0FFF))
        off += 4
        etype = struct.unpack_from("!H", data, off)[0]
    return tags, etype, off + 2


def cmd_tags(a):
    want = [(int(t, 16), int(v)) for t, v in (x.split(":") for x in a.tags.split(","))]
    errors, replies, frames = [], 0, 0
    for data, _ in RawPcapReader(a.pcap):
        tags, etype, off = frame_tags(bytes(data))
        if not tags or tags[0][1] != want[0][1] or etype != 0x0800 or data[off + 9] != 17:
            continue
        ihl = (data[off] & 0x0F) * 4
        sport, dport = struct.unpack_from("!HH", data, off + ihl)
        if 67 not in (sport, dport):
            continue
        frames += 1
        if tags != want:
            errors.append("frame %d:%d -> %d: tags %s, want %s" % (
                frames, sport, dport, ["%04x:%d" % t for t in tags], a.tags))
        if sport == 67 and dport == 68:
            replies += 1
    if replies < a.min:
        errors.append("%d server replies, want at least %d" % (replies, a.min))
    for e in errors[:10]:
        print("  - " + e)
    print("%s: %d DHCP frames, %d replies, tags %s: %s" % (
        a.pcap, frames, replies, a.tags, "FAILED" if errors else "all checks passed"))
    return 1 if errors else 0


def norm_mac(s):
    return "".join(ch for ch in str(s).lower() if ch in "0123456789abcdef")


def cmd_absent(a):
    with open(a.json) as f:
        leases = json.load(f)
    macs = {norm_mac(m) for m in a.macs}
    found = [x for x in leases if norm_mac(x.get("hwaddr", "")) in macs]
    for x in found:
        print("  - unexpected lease: %s" % x)
    print("%s: %d leases, none of %s: %s" % (a.json, len(leases), " ".join(a.macs),
                                            "FAILED" if found else "as expected"))
    return 1 if found else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("relay-dora")
    d.add_argument("--server", required=True)
    d.add_argument("--giaddr", required=True)
    d.add_argument("--mac", required=True)
    d.add_argument("--vss")
    d.add_argument("--vss-option")
    d.add_argument("--circuit")
    d.add_argument("--expect-none", action="store_true")
    d.add_argument("--timeout", type=float, default=5.0)
    t = sub.add_parser("tags")
    t.add_argument("pcap")
    t.add_argument("--tags", required=True)
    t.add_argument("--min", type=int, default=1)
    n = sub.add_parser("absent")
    n.add_argument("json")
    n.add_argument("macs", nargs="+")
    a = p.parse_args()
    return {"relay-dora": cmd_relay_dora, "tags": cmd_tags, "absent": cmd_absent}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
