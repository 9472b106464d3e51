#!/usr/bin/python3
"""Shared pieces of the hostile-traffic helpers (hostile_*.py, run with /usr/bin/python3 in
a lab namespace): frames built byte by byte, so that every length, checksum and flag can
be wrong on purpose; a raw AF_PACKET port that sends them and reads the replies with their
VLAN tags; and the daemon's counters through `mtdhcpctl stats --json`.

Nothing here uses scapy's packet classes: scapy repairs lengths and checksums, which is
exactly what these tests must not have done for them.
"""
import argparse
import json
import select
import socket
import struct
import subprocess
import time

COOKIE = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = 1, 2, 3, 4, 5, 6, 7, 8
BCAST_MAC = "ff:ff:ff:ff:ff:ff"

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6


def mac_b(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def ip_b(ip):
    return socket.inet_aton(ip)


def ip_s(b):
    return socket.inet_ntoa(b)


def opt(code, value):
    return bytes([code, len(value)]) + value


def bootp(mtype, xid, chaddr, op=1, htype=1, hlen=6, hops=0, flags=0x8000, ciaddr="0.0.0.0",
          giaddr="0.0.0.0", options=(), cookie=True, end=True, pad_to=300):
    """A BOOTP/DHCP message: the fixed part, the cookie, option 53 (unless @mtype is None),
    @options (already encoded, see opt()), END; zero-padded to @pad_to octets."""
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, htype, hlen, hops, xid, 0, flags,
                        ip_b(ciaddr), b"\0" * 4, b"\0" * 4, ip_b(giaddr),
                        mac_b(chaddr).ljust(16, b"\0"), b"", b"")
    body = b""
    if mtype is not None:
        body += opt(53, bytes([mtype]))
    body += b"".join(options)
    if end:
        body += b"\xff"
    msg = fixed + (COOKIE if cookie else b"\0\0\0\0") + body
    return msg.ljust(pad_to, b"\0")


def csum(data):
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp(src, dst, sport, dport, payload, length=None, bad_csum=False):
    """A UDP datagram with its checksum over the RFC 768 pseudo-header; @length overrides
    the length field (the checksum is then computed over what is there, as a sender would)."""
    ln = 8 + len(payload) if length is None else length
    hdr = struct.pack("!HHHH", sport, dport, ln, 0)
    pseudo = ip_b(src) + ip_b(dst) + struct.pack("!BBH", 0, 17, ln)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    if bad_csum:
        c ^= 0x5A5A
    return struct.pack("!HHHH", sport, dport, ln, c) + payload


def ipv4(src, dst, payload, proto=17, ident=1, frag=0, ttl=64, total=None, ihl=5, version=4,
         bad_csum=False):
    """An IPv4 header (and @payload). @frag is the flags/offset field (0x2000 = MF);
    @total overrides the total length; a header longer than 5 words is padded with NOPs."""
    ln = ihl * 4 + len(payload) if total is None else total
    opts = b"\x01" * max(0, ihl * 4 - 20)
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, ln, ident, frag, ttl, proto, 0,
                      ip_b(src), ip_b(dst)) + opts
    c = csum(hdr)
    if bad_csum:
        c ^= 0x1234
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def ether(dst, src, payload, tags=(), ethertype=0x0800):
    """An Ethernet frame; @tags are (tpid, vid) pairs, outermost first."""
    out = mac_b(dst) + mac_b(src)
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", ethertype) + payload


def dhcp_frame(msg, src_mac, dst_mac=BCAST_MAC, src_ip="0.0.0.0", dst_ip="255.255.255.255",
               sport=68, dport=67, tags=()):
    """A well-formed Ethernet/IPv4/UDP frame around DHCP message @msg."""
    return ether(dst_mac, src_mac, ipv4(src_ip, dst_ip, udp(src_ip, dst_ip, sport, dport, msg)),
                 tags=tags)


def dhcp_options(msg):
    """{code: value} of a DHCP message's options field (repeated options joined)."""
    out, i = {}, 240
    while i < len(msg):
        code = msg[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(msg):
            break
        n = msg[i + 1]
        out[code] = out.get(code, b"") + msg[i + 2:i + 2 + n]
        i += 2 + n
    return out


def parse_frame(frame):
    """A received IPv4/UDP frame as a dict (tags, macs, addresses, ports, payload), or None."""
    if len(frame) < 14:
        return None
    dst, src = frame[0:6], frame[6:12]
    off, tags = 12, []
    etype = struct.unpack("!H", frame[off:off + 2])[0]
    while etype in (0x8100, 0x88A8, 0x9100) and len(frame) >= off + 6:
        tci = struct.unpack("!H", frame[off + 2:off + 4])[0]
        tags.append((etype, tci & 0x0FFF))
        off += 4
        etype = struct.unpack("!H", frame[off:off + 2])[0]
    off += 2
    if etype != 0x0800 or len(frame) < off + 28 or frame[off + 9] != 17:
        return None
    ihl = (frame[off] & 0x0F) * 4
    u = off + ihl
    sport, dport, ulen = struct.unpack("!HHH", frame[u:u + 6])
    return {"tags": tags, "dst_mac": dst, "src_mac": src, "src_ip": ip_s(frame[off + 12:off + 16]),
            "dst_ip": ip_s(frame[off + 16:off + 20]), "sport": sport, "dport": dport,
            "payload": frame[u + 8:u + ulen]}


def reply_info(p):
    """(xid, yiaddr, message type, options) of a BOOTREPLY in parsed frame @p, or None."""
    m = p["payload"]
    if len(m) < 240 or m[0] != 2 or m[236:240] != COOKIE:
        return None
    opts = dhcp_options(m)
    mtype = opts.get(53, b"\0")[0]
    return struct.unpack("!I", m[4:8])[0], ip_s(m[16:20]), mtype, opts


class Port:
    """A raw socket on one interface: sends frames as they are, reads what arrives with the
    VLAN tags the kernel took off put back (PACKET_AUXDATA)."""

    def __init__(self, iface):
        self.iface = iface
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self.sock.bind((iface, 0))
        self.mac = self.sock.getsockname()[4][:6]
        self.mac_s = ":".join("%02x" % b for b in self.mac)

    def send(self, frame):
        return self.sock.send(frame)

    def drain(self):
        while select.select([self.sock], [], [], 0)[0]:
            self.sock.recv(65536)

    def recv(self, timeout):
        """The next frame that arrived (not one we sent), tags restored; None on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            data, anc, _, addr = self.sock.recvmsg(65536, socket.CMSG_SPACE(32))
            if addr[2] == PACKET_OUTGOING:
                continue
            for level, kind, cdata in anc:
                if level != SOL_PACKET or kind != PACKET_AUXDATA or len(cdata) < 20:
                    continue
                status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", cdata[:20])
                if status & TP_STATUS_VLAN_VALID:
                    if not status & TP_STATUS_VLAN_TPID_VALID:
                        tpid = 0x8100
                    data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
            return data

    def exchange(self, frame, xid, timeout=2.0):
        """Sends @frame and returns the first reply with @xid, or None."""
        self.drain()
        self.send(frame)
        return self.replies_first(xid, timeout)

    def replies_first(self, xid, timeout):
        """The first DHCP reply (from port 67) with @xid within @timeout, as (parsed frame,
        reply_info), or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            f = self.recv(left) if left > 0 else None
            if f is None:
                return None
            p = parse_frame(f)
            if p is None or p["sport"] != 67:
                continue
            info = reply_info(p)
            if info and info[0] == xid:
                return p, info


class Ctl:
    """The daemon's counters, through mtdhcpctl."""

    def __init__(self, mtdhcpctl, service):
        self.cmd = [mtdhcpctl, "-c", service]

    def run(self, *args):
        return subprocess.run(self.cmd + list(args), check=True, capture_output=True,
                              text=True).stdout

    def stats(self):
        return json.loads(self.run("stats", "--json"))

    def leases(self, *args):
        return json.loads(self.run("leases", "--json", *args))


def flatten(stats):
    """Every counter of a stats reply by a path name: "port:uplink:drops:truncated",
    "port:uplink:classified:vlan", "port:uplink:relay_info_ignored",
    "tenant:lan:drop_short" (gauges left out)."""
    out = {}
    for p in stats.get("ports", []):
        base = "port:%s:" % p["name"]
        for k, v in p.get("drops", {}).items():
            out[base + "drops:" + k] = v
        for k, v in p.get("classified", {}).items():
            out[base + "classified:" + k] = v
        out[base + "relay_info_ignored"] = p.get("relay_info_ignored", 0)
    for t in stats.get("tenants", []):
        for k, v in t["counters"].items():
            if k not in ("leases_active", "pool_used", "pool_size"):
                out["tenant:%s:%s" % (t["name"], k)] = v
    return out


def delta(before, after):
    """The counters that moved, with how much."""
    return {k: after.get(k, 0) - before.get(k, 0) for k in after
            if after.get(k, 0) != before.get(k, 0)}


# The test namespaces' kernels put the odd frame of their own on the link (IPv6 neighbour
# discovery, IGMP, an ICMP error for a late reply); the dataplane rightly counts those as
# not_ipv4 or not_udp. A check leaves them out unless it asked for that drop itself.
KERNEL_NOISE = ("drops:not_ipv4", "drops:not_udp")


def without_noise(moved, want):
    """@moved without the kernel-noise counters that @want does not name; one that it
    names may have moved by more than the row's own frames (noise on top), never less."""
    out = {}
    for k, v in moved.items():
        noise = any(k.endswith(n) for n in KERNEL_NOISE)
        if k in want and noise and v > want[k]:
            v = want[k]
        if k in want or not noise:
            out[k] = v
    return out


def wait_counters(ctl, before, want, timeout=4.0):
    """Polls the counters until every key of @want moved by at least its value (or the
    time is up); returns the moves seen last."""
    deadline = time.monotonic() + timeout
    while True:
        d = delta(before, flatten(ctl.stats()))
        if all(d.get(k, 0) >= v for k, v in want.items()) or time.monotonic() > deadline:
            return d
        time.sleep(0.1)


class Checks:
    """ok/FAILED lines, and the exit status."""

    def __init__(self):
        self.failed = []
        self.n = 0

    def expect(self, cond, what):
        self.n += 1
        print(("ok: " if cond else "FAILED: ") + what, flush=True)
        if not cond:
            self.failed.append(what)
        return cond

    def status(self):
        print("%d checks, %d failed" % (self.n, len(self.failed)), flush=True)
        return 1 if self.failed else 0


def arg_parser(doc):
    """The arguments every hostile test takes: the interface it sends on, the daemon's
    control socket and service file, our server's MAC and address; the test adds its own."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("iface")
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--server-mac", default="02:00:00:00:00:01")
    ap.add_argument("--server-ip", default="10.0.1.1")
    return ap
