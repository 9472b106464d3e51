#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

    tests/fuzz/make_corpus.py [--out DIR]

frame:   every frame of every capture in tests/captures as a one-record input of
         fuzz_frame (see fuzz_frame.c for the record format), each capture as whole
         sequences of up to 16 records (so that REQUESTs follow their OFFERs), and the
         802.1Q/QinQ captures once more with the outer tag stripped into metadata, as a NIC
         with VLAN stripping hands them over.
options: the DHCP message of every DHCP frame, replies turned into requests (op 1), so
         that the servers' option sets are seeds too.
conf:    the example configuration, the demo's, and the configuration unit-test files:
         a service file and its tenant files joined with NUL octets (see fuzz_conf.c).

Standard library only (no scapy), so it runs with any python3. The output is
deterministic: running it again rewrites the same files.
"""

import argparse
import hashlib
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
CAPTURES = os.path.join(SRC, "tests", "captures")
MAX_FRAMES = 16  # FUZZ_FRAMES in fuzz_frame.c
VLAN_TPIDS = (0x8100, 0x88A8, 0x9100)

# The port of the fuzz world (fuzz_world.c) each capture arrives on: relayed and VLAN
# traffic on "uplink" (0), perfdhcp's relay on "downlink" (1), directly attached clients on
# "access" (2).
PORT_OF = {
    "perfdhcp-kea-giaddr-5x-dora": 1,
    "dhcrelay-opt82-server-side": 0,
    "dhcrelay-opt82-linksel-server-side": 0,
    "dhclient-kea-vlan100": 0,
    "dhclient-kea-qinq-s300-c100": 0,
}
DIRECT_PORT = 2


def read_pcap(path):
    """(timestamp in seconds, frame bytes) of each frame of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, not Ethernet")
    off, frames = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        frames.append((sec + frac / (1e9 if nano else 1e6), data[off:off + incl]))
        off += incl
    return frames


def l3_offset(frame):
    """Offset of the ethertype after the tags, and the tags' count."""
    off, tags = 12, 0
    while off + 2 <= len(frame) and struct.unpack("!H", frame[off:off + 2])[0] in VLAN_TPIDS:
        off += 4
        tags += 1
    return off, tags


def dhcp_payload(frame):
    """The UDP payload of an IPv4/UDP frame to or from port 67/68, else None."""
    off, _ = l3_offset(frame)
    if struct.unpack("!H", frame[off:off + 2])[0] != 0x0800:
        return None
    ip = frame[off + 2:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        return None
    total = struct.unpack("!H", ip[2:4])[0]
    udp = ip[ihl:total]
    sport, dport, ulen = struct.unpack("!HHH", udp[:6])
    if not {sport, dport} & {67, 68}:
        return None
    return udp[8:ulen]


def strip_outer(frame):
    """(frame without its outer tag, that tag's TCI), or None for an untagged frame."""
    tpid = struct.unpack("!H", frame[12:14])[0]
    if tpid not in VLAN_TPIDS:
        return None
    tci = struct.unpack("!H", frame[14:16])[0]
    return frame[:12] + frame[16:], tci


def record(frame, port=0, advance=0, stripped_tci=None):
    # Bit 3: fuzz_frame fixes lengths and checksums, so that mutations of these valid
    # frames reach the DHCP code; the fuzzer clears it to test the checks themselves.
    flags = (1 if stripped_tci is not None else 0) | (port & 3) << 1 | 8 | min(advance, 15) << 4
    return struct.pack("!BHH", flags, stripped_tci or 0, len(frame)) + frame


def write(dirname, name, data, written):
    digest = hashlib.sha1(data).hexdigest()
    if digest in written:
        return
    written.add(digest)
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(data)


def frame_corpus(out):
    written = set()
    for fname in sorted(os.listdir(CAPTURES)):
        if not fname.endswith(".pcap"):
            continue
        stem = fname[:-5]
        port = PORT_OF.get(stem, DIRECT_PORT)
        frames = read_pcap(os.path.join(CAPTURES, fname))
        advances = [0] + [int(b[0] - a[0]) for a, b in zip(frames, frames[1:])]
        tagged = any(strip_outer(fr) for _, fr in frames)
        for i, (_, fr) in enumerate(frames):
            write(out, f"{stem}-{i:02d}", record(fr, port), written)
            s = strip_outer(fr)
            if s and dhcp_payload(fr) is not None:
                write(out, f"{stem}-{i:02d}-stripped", record(s[0], port, 0, s[1]), written)
        for chunk in range(0, len(frames), MAX_FRAMES):
            part = frames[chunk:chunk + MAX_FRAMES]
            adv = advances[chunk:chunk + MAX_FRAMES]
            seq = b"".join(record(fr, port, a) for (_, fr), a in zip(part, adv))
            write(out, f"{stem}-seq{chunk // MAX_FRAMES}", seq, written)
            if tagged:
                seq = b""
                for (_, fr), a in zip(part, adv):
                    s = strip_outer(fr)
                    seq += record(s[0], port, a, s[1]) if s else record(fr, port, a)
                write(out, f"{stem}-seq{chunk // MAX_FRAMES}-stripped", seq, written)
    return len(written)


def options_corpus(out):
    written = set()
    for fname in sorted(os.listdir(CAPTURES)):
        if not fname.endswith(".pcap"):
            continue
        for i, (_, fr) in enumerate(read_pcap(os.path.join(CAPTURES, fname))):
            msg = dhcp_payload(fr)
            if msg is None or len(msg) < 240:
                continue
            msg = b"\x01" + msg[1:]  # dhcp_msg_parse takes requests only
            write(out, f"{fname[:-5]}-{i:02d}", msg, written)
    return len(written)


# The service file of the conf unit tests' harness (tests/unit/conf/conf_harness.c), for
# the tenant files that come without one.
HARNESS_SERVICE = b"""dataplane = {
  ports = ( { name = "uplink"; device = "net_null0"; address = "10.0.1.1/24"; },
            { name = "downlink"; device = "net_null1"; address = "10.0.2.1/24"; } );
};
tenants_dir = "tenants.d";
"""


def slurp(*parts):
    with open(os.path.join(SRC, *parts), "rb") as f:
        return f.read()


def conf_files(*parts):
    d = os.path.join(SRC, *parts)
    return [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".conf")]


def conf_corpus(out):
    written = set()

    def tenants_of(*parts):
        return [slurp(p) for p in conf_files(*parts)]

    def add(name, service, tenants):
        write(out, name, b"\0".join([service] + tenants), written)

    add("examples", slurp("conf", "examples", "mtdhcpd.conf"),
        tenants_of("conf", "examples", "tenants.d"))
    add("demo", slurp("demo", "mtdhcpd.conf"), tenants_of("demo", "tenants.d"))
    files = os.path.join("tests", "unit", "conf", "files")
    add("good", slurp(files, "good", "mtdhcpd.conf"), tenants_of(files, "good", "tenants.d"))
    minimal = slurp(files, "good", "tenants.d", "minimal.conf")
    for path in conf_files(files, "service-bad"):
        add("service-bad-" + os.path.basename(path)[:-5], slurp(path), [minimal])
    for path in conf_files(files, "tenants-bad"):
        add("tenants-bad-" + os.path.basename(path)[:-5], HARNESS_SERVICE, [slurp(path)])
    for d in sorted(os.listdir(os.path.join(SRC, files))):
        if d.startswith("conflict-"):
            add(d, HARNESS_SERVICE, tenants_of(files, d))
    return len(written)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = ap.parse_args()
    for target, fn in (("frame", frame_corpus), ("options", options_corpus),
                       ("conf", conf_corpus)):
        d = os.path.join(args.out, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        print(f"{target}: {fn(d)} seed files in {os.path.relpath(d)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
