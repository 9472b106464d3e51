#!/usr/bin/python3
"""Test frames for mtdhcp-tagger (no dependencies beyond the standard library).

  tagger_frames.py send IFACE MARKER [TPID:TCI,...]
      sends one broadcast frame with ethertype 0x88b5 (IEEE local experimental) whose
      payload is MARKER, behind the given tags (hex TPID, decimal TCI), outermost first.
  tagger_frames.py check PCAP [MARKER=TAGS]... [--absent MARKER]...
      TAGS is "none" or "TPID:VID,..." (hex TPID, decimal VID): each MARKER must be in the
      capture exactly once with exactly those tags; each --absent MARKER must not be there.
"""
import socket
import struct
import sys

ETH_P_EXP = 0x88B5
TPIDS = (0x8100, 0x88A8, 0x9100)


def build(marker, tags):
    frame = b"\xff" * 6 + b"\x02\x00\x00\x00\xee\x01"
    for tpid, tci in tags:
        frame += struct.pack("!HH", tpid, tci)
    return frame + struct.pack("!H", ETH_P_EXP) + marker.encode().ljust(46, b"\0")


def parse_tags(text):
    if text in ("", "none"):
        return []
    out = []
    for t in text.split(","):
        tpid, num = t.split(":")
        out.append((int(tpid, 16), int(num)))
    return out


def read_pcap(path):
    """(data) of each record of a classic little/big-endian pcap file."""
    with open(path, "rb") as f:
        raw = f.read()
    magic = raw[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(raw):
        incl = struct.unpack_from(endian + "I", raw, off + 8)[0]
        yield raw[off + 16:off + 16 + incl]
        off += 16 + incl


def decode(frame):
    """(marker, [(tpid, vid)]) of one of our frames, or None."""
    off, tags = 12, []
    while off + 4 <= len(frame) and struct.unpack_from("!H", frame, off)[0] in TPIDS:
        tpid, tci = struct.unpack_from("!HH", frame, off)
        tags.append((tpid, tci & 0x0FFF))
        off += 4
    if off + 2 > len(frame) or struct.unpack_from("!H", frame, off)[0] != ETH_P_EXP:
        return None
    return frame[off + 2:].rstrip(b"\0").decode(errors="replace"), tags


def main(argv):
    if len(argv) >= 3 and argv[0] == "send":
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((argv[1], 0))
        s.send(build(argv[2], parse_tags(argv[3] if len(argv) > 3 else "")))
        return 0
    if len(argv) >= 1 and argv[0] == "check":
        seen = {}
        for data in read_pcap(argv[1]):
            d = decode(data)
            if d:
                seen.setdefault(d[0], []).append(d[1])
        errors = []
        args = argv[2:]
        i = 0
        while i < len(args):
            if args[i] == "--absent":
                if args[i + 1] in seen:
                    errors.append("%s: %s should be absent, seen %s" % (
                        argv[1], args[i + 1], seen[args[i + 1]]))
                i += 2
                continue
            marker, tags = args[i].split("=")
            want = parse_tags(tags)
            if seen.get(marker) != [want]:
                errors.append("%s: %s seen as %s, want once with %s" % (
                    argv[1], marker, seen.get(marker), want))
            i += 1
        for e in errors:
            print("  - " + e)
        return 1 if errors else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
