#!/usr/bin/python3
"""Checks for the lease-store integration tests (crash recovery, disk full): what the
DHCP captures show against what the lease database holds. Run with /usr/bin/python3.

Frames are decoded here (Ethernet, VLAN tags, IPv4, UDP, BOOTP, option 53); scapy only
reads the pcap files.

Commands (each prints its figures and exits 1 with the reasons when a check fails):
  rows --db DB --tenant T PCAP...
      every DHCPACK in the captures has its row in tenant T: the address it gave, the
      client's hardware address, state active; and no address was acknowledged to two
      clients.
  not-reoffered --acked PCAP... --after PCAP...
      no OFFER or ACK in the --after captures gives an address that an ACK in the
      --acked captures gave to another client.
  count TYPE PCAP...
      prints how many messages of TYPE (DISCOVER, OFFER, REQUEST, ACK, NAK) there are.
"""
import argparse
import socket
import sqlite3
import struct
import sys

from scapy.utils import RawPcapReader

TPIDS = (0x8100, 0x88A8, 0x9100)
TYPES = {"DISCOVER": 1, "OFFER": 2, "REQUEST": 3, "DECLINE": 4, "ACK": 5, "NAK": 6,
         "RELEASE": 7, "INFORM": 8}
MAGIC = b"\x63\x82\x53\x63"


def dhcp_messages(path):
    """Yields (time, type, chaddr hex, yiaddr dotted) for each DHCP message in PCAP."""
    for data, meta in RawPcapReader(path):
        ts = meta.sec + meta.usec / 1e6 if hasattr(meta, "sec") else 0.0
        try:
            off = 12
            etype = struct.unpack_from("!H", data, off)[0]
            while etype in TPIDS:
                off += 4
                etype = struct.unpack_from("!H", data, off)[0]
            off += 2
            if etype != 0x0800 or data[off + 9] != 17:
                continue
            off += (data[off] & 0x0F) * 4
            sport, dport = struct.unpack_from("!HH", data, off)
            if not {sport, dport} & {67, 68}:
                continue
            bootp = data[off + 8:]
            if len(bootp) < 240 or bootp[236:240] != MAGIC:
                continue
            hlen = min(bootp[2], 16)
            chaddr = bootp[28:28 + hlen].hex(":")
            yiaddr = socket.inet_ntoa(bootp[16:20])
            i, mtype = 240, None
            while i < len(bootp) and bootp[i] != 255:
                if bootp[i] == 0:
                    i += 1
                    continue
                if i + 1 >= len(bootp) or i + 2 + bootp[i + 1] > len(bootp):
                    break
                if bootp[i] == 53 and bootp[i + 1] == 1:
                    mtype = bootp[i + 2]
                i += 2 + bootp[i + 1]
            if mtype is not None:
                yield ts, mtype, chaddr, yiaddr
        except (IndexError, struct.error):
            continue


def messages(paths, mtype):
    out = []
    for p in paths:
        out.extend(m for m in dhcp_messages(p) if m[1] == mtype)
    return out


def acked(paths):
    """{address: set of chaddrs} of every ACK in PATHS."""
    got = {}
    for _, _, chaddr, yiaddr in messages(paths, TYPES["ACK"]):
        got.setdefault(yiaddr, set()).add(chaddr)
    return got


def cmd_rows(args):
    acks = messages(args.pcaps, TYPES["ACK"])
    by_addr = acked(args.pcaps)
    db = sqlite3.connect("file:%s?mode=ro" % args.db, uri=True, timeout=5)
    tid = db.execute("SELECT id FROM tenants WHERE name = ?", (args.tenant,)).fetchone()
    problems = []
    if tid is None:
        problems.append("tenant %s is not in the database" % args.tenant)
    found = 0
    for addr, clients in sorted(by_addr.items()):
        if len(clients) > 1:
            problems.append("%s was acknowledged to %d clients: %s"
                            % (addr, len(clients), ", ".join(sorted(clients))))
            continue
        if tid is None:
            continue
        a = struct.unpack("!I", socket.inet_aton(addr))[0]
        row = db.execute("SELECT hwaddr, state FROM leases WHERE tenant_id = ? AND address = ?",
                         (tid[0], a)).fetchone()
        chaddr = next(iter(clients))
        if row is None:
            problems.append("ACK of %s to %s, but no row" % (addr, chaddr))
        elif (row[0] or b"").hex(":") != chaddr:
            problems.append("ACK of %s to %s, but the row is %s's"
                            % (addr, chaddr, (row[0] or b"").hex(":")))
        elif row[1] != 1:
            problems.append("ACK of %s to %s, but the row's state is %d" % (addr, chaddr, row[1]))
        else:
            found += 1
    total = db.execute("SELECT count(*) FROM leases WHERE tenant_id = ? AND state = 1",
                       (tid[0] if tid else 0,)).fetchone()[0]
    print("ACKs seen: %d (%d addresses), rows found: %d of %d; %d active rows in the database"
          % (len(acks), len(by_addr), found, len(by_addr), total))
    return problems


def cmd_not_reoffered(args):
    before = acked(args.acked)
    problems = []
    offers = 0
    for name in ("OFFER", "ACK"):
        for _, _, chaddr, yiaddr in messages(args.after, TYPES[name]):
            offers += name == "OFFER"
            owners = before.get(yiaddr, set())
            if owners and chaddr not in owners:
                problems.append("%s of %s to %s, acknowledged to %s before the crash"
                                % (name, yiaddr, chaddr, ", ".join(sorted(owners))))
    print("after the restart: %d OFFERs to new clients, %d addresses acknowledged before;"
          " %d given to someone else" % (offers, len(before), len(problems)))
    return problems


def cmd_count(args):
    print(len(messages(args.pcaps, TYPES[args.type])))
    return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("rows")
    p.add_argument("--db", required=True)
    p.add_argument("--tenant", required=True)
    p.add_argument("pcaps", nargs="+")
    p.set_defaults(fn=cmd_rows)
    p = sub.add_parser("not-reoffered")
    p.add_argument("--acked", nargs="+", required=True)
    p.add_argument("--after", nargs="+", required=True)
    p.set_defaults(fn=cmd_not_reoffered)
    p = sub.add_parser("count")
    p.add_argument("type", choices=sorted(TYPES))
    p.add_argument("pcaps", nargs="+")
    p.set_defaults(fn=cmd_count)
    args = ap.parse_args()
    problems = args.fn(args)
    for msg in problems[:20]:
        print("  " + msg, file=sys.stderr)
    if len(problems) > 20:
        print("  ... and %d more" % (len(problems) - 20), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
