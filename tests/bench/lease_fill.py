#!/usr/bin/python3
"""Fills an mtdhcpd lease database with active leases, for bench_idle_memory.sh.

  lease_fill.py DB TENANT FIRST COUNT [--giaddr A.B.C.D] [--lease-time SECONDS]

DB must already have the daemon's schema and know TENANT (start mtdhcpd on it once). Adds
COUNT active leases of TENANT on the addresses FIRST, FIRST + 1, ..., each to its own client
(MAC 02:xx:xx:xx:xx:xx, client identifier 01 + MAC, as dhclient sends), starting now and
ending after --lease-time (default one day). Only the columns a binding from the daemon
always fills are written; the others keep their defaults, so that a newer schema with more
columns still takes the rows.
"""
import argparse
import ipaddress
import sqlite3
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("db")
    p.add_argument("tenant")
    p.add_argument("first")
    p.add_argument("count", type=int)
    p.add_argument("--giaddr", default="0.0.0.0")
    p.add_argument("--lease-time", type=int, default=86400)
    a = p.parse_args()

    db = sqlite3.connect(a.db)
    row = db.execute("SELECT id FROM tenants WHERE name = ?", (a.tenant,)).fetchone()
    if row is None:
        print("%s: no tenant %r (start mtdhcpd on this database once)" % (a.db, a.tenant),
              file=sys.stderr)
        return 1
    tenant_id = row[0]
    first = int(ipaddress.IPv4Address(a.first))
    giaddr = int(ipaddress.IPv4Address(a.giaddr))
    now = int(time.time())
    end = now + a.lease_time
    # The daemon stores addresses in host order as integers (lease_store.h).
    cols = ("tenant_id, address, state, start_time, end_time, cltt, hwtype, hwaddr, "
            "client_id, giaddr, port, vlan_outer, vlan_inner")

    def rows():
        for i in range(a.count):
            mac = bytes([0x02, (i >> 32) & 0xFF, (i >> 24) & 0xFF, (i >> 16) & 0xFF,
                         (i >> 8) & 0xFF, i & 0xFF])
            yield (tenant_id, first + i, 1, now, end, now, 1, mac, b"\x01" + mac, giaddr,
                   0, 0, 0)

    # One transaction and no fsync per row: this is test data, written once. The indexes
    # are dropped and made again afterwards with their own SQL, which sorts once instead
    # of updating three B-trees a row at a time.
    db.execute("PRAGMA synchronous = OFF")
    with db:
        indexes = [r[0] for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leases'"
            " AND sql IS NOT NULL")]
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leases'"
            " AND sql IS NOT NULL")]
        for name in names:
            db.execute('DROP INDEX "%s"' % name.replace('"', '""'))
        db.executemany("INSERT INTO leases (%s) VALUES (%s)" % (cols, ", ".join("?" * 13)),
                       rows())
        for sql in indexes:
            db.execute(sql)
    n = db.execute("SELECT count(*) FROM leases WHERE tenant_id = ? AND state = 1",
                   (tenant_id,)).fetchone()[0]
    db.close()
    print("%d active leases of tenant %s (id %d)" % (n, a.tenant, tenant_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
