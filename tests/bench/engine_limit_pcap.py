#!/usr/bin/python3
"""Traffic and configuration for the engine-limit benchmark (bench_engine_limit.sh).

  engine_limit_pcap.py DIR --clients N --tenants T [--queues Q] [--lease-time S]

Writes into DIR:
  tenants.d/tNN.conf   T tenants, each reached through its own relay (giaddr 10.T.0.1) with
                       one /16 subnet and a pool of 65,000 addresses
  all.pcap             every frame, for one receive queue
  q0.pcap .. qQ-1.pcap the same frames split over Q receive queues by relay, as a NIC's RSS
                       hash of the addresses splits them: evenly, and regardless of which
                       lcore owns the tenant (tenant t goes to queue (t / Q) mod Q, while
                       its owner is its database id t + 1 mod the lcores: with Q = 2, half
                       the frames of each queue belong to the other lcore)
  frames.txt           counts, one "key value" per line

The frames: N clients spread over the T tenants, each client a relayed DHCPDISCOVER (asking
for its own address) and then a relayed DHCPREQUEST in the SELECTING state (server
identifier 10.0.0.1, the same address), with option 82 (a circuit id) as a relay adds it,
from the relay 10.T.0.1:67 to the server 10.0.0.1:67. net_pcap replays the file forever
(infinite_rx=1): the first pass binds every client, every later pass renews the same
bindings, so each REQUEST is one durable lease change and one DHCPACK.

Plain struct packing (no scapy): the files hold hundreds of thousands of frames.
"""
import argparse
import os
import struct

# net_pcap's own MAC address for its first port (it cannot be set): frames are sent to it.
SERVER_MAC = bytes.fromhex("027063617000")
SERVER_IP = bytes([10, 0, 0, 1])
RELAY_MAC = bytes.fromhex("020000000002")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def relay_ip(t):
    return bytes([10, t + 1, 0, 1])


def client_ip(t, i):
    # 10.(64 + t).0.10 + i: the pool starts at .0.10 of the tenant's /16.
    n = 10 + i
    return bytes([10, 64 + t, n >> 8, n & 0xFF])


def client_mac(t, i):
    return bytes([0x02, 0x10, t, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])


def dhcp(msg_type, t, i, xid):
    giaddr = relay_ip(t)
    chaddr = client_mac(t, i) + bytes(10)
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 1, xid, 0, 0, bytes(4),
                        bytes(4), bytes(4), giaddr, chaddr, bytes(64), bytes(128))
    opts = bytes([99, 130, 83, 99, 53, 1, msg_type])
    # The address the client had (or was offered) before, in both (RFC 2131 3.5, 4.3.1):
    # whichever DISCOVERs the overloaded server drops, each client is offered its own.
    opts += bytes([50, 4]) + client_ip(t, i)
    if msg_type == 3:
        opts += bytes([54, 4]) + SERVER_IP
    opts += bytes([55, 4, 1, 3, 6, 51])
    circuit = b"bench-t%02d-port%d" % (t, i % 48)
    opts += bytes([82, len(circuit) + 2, 1, len(circuit)]) + circuit
    opts += bytes([255])
    return fixed + opts


def frame(msg_type, t, i, xid):
    payload = dhcp(msg_type, t, i, xid)
    udp = struct.pack("!HHHH", 67, 67, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), xid & 0xFFFF, 0, 64, 17, 0,
                     relay_ip(t), SERVER_IP)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return SERVER_MAC + RELAY_MAC + b"\x08\x00" + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, fr in enumerate(frames):
            f.write(struct.pack("<IIII", n // 1000000, n % 1000000, len(fr), len(fr)))
            f.write(fr)


def tenant_conf(t):
    return ('name = "t%02d";\n'
            'match = { relays = [ "%s" ]; };\n'
            'subnets = ( { subnet = "10.%d.0.0/16";\n'
            '              options = { routers = [ "10.%d.0.1" ]; };\n'
            '              pools = ( { first = "10.%d.0.10"; last = "10.%d.254.250"; } ); } );\n'
            % (t, ".".join(map(str, relay_ip(t))), 64 + t, 64 + t, 64 + t, 64 + t))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--clients", type=int, default=32768)
    p.add_argument("--tenants", type=int, default=8)
    p.add_argument("--queues", type=int, default=2)
    a = p.parse_args()
    per = (a.clients + a.tenants - 1) // a.tenants
    if a.tenants > 60 or per > 64000:
        raise SystemExit("at most 60 tenants and 64,000 clients per tenant")
    os.makedirs(os.path.join(a.dir, "tenants.d"), exist_ok=True)
    for t in range(a.tenants):
        with open(os.path.join(a.dir, "tenants.d", "t%02d.conf" % t), "w") as f:
            f.write(tenant_conf(t))
    frames, by_queue = [], [[] for _ in range(a.queues)]
    xid = 1
    for i in range(per):
        for t in range(a.tenants):
            if i * a.tenants + t >= a.clients:
                break
            q = (t // a.queues) % a.queues
            for msg_type in (1, 3):
                fr = frame(msg_type, t, i, xid)
                xid += 1
                frames.append(fr)
                by_queue[q].append(fr)
    write_pcap(os.path.join(a.dir, "all.pcap"), frames)
    for q in range(a.queues):
        write_pcap(os.path.join(a.dir, "q%d.pcap" % q), by_queue[q])
    with open(os.path.join(a.dir, "frames.txt"), "w") as f:
        f.write("clients %d\ntenants %d\nframes %d\n" % (a.clients, a.tenants, len(frames)))
        for q in range(a.queues):
            f.write("queue%d %d\n" % (q, len(by_queue[q])))


if __name__ == "__main__":
    main()
