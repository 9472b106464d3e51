#!/usr/bin/python3
"""Checks the output of `mtdhcpctl leases --json` (a JSON array of lease objects with the
keys tenant, address, hwaddr, state, ...).

  check_leases.py FILE [--lease TENANT,MAC,ADDRESS]... [--shared ADDRESS --tenants A,B]
                  [--only TENANT]

--lease: exactly one lease of MAC in TENANT, with ADDRESS, and no lease of MAC in any other
tenant. --shared: ADDRESS is leased in each of the listed tenants. --only: every lease
listed is TENANT's. Exits 1 with the reasons
when a check fails.
"""
import argparse
import json
import sys


def norm_mac(s):
    return "".join(ch for ch in str(s).lower() if ch in "0123456789abcdef")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--lease", action="append", default=[])
    p.add_argument("--shared")
    p.add_argument("--tenants", default="")
    p.add_argument("--only")
    a = p.parse_args()
    errors = []
    with open(a.file) as f:
        leases = json.load(f)
    if not isinstance(leases, list) or not all(isinstance(x, dict) for x in leases):
        print("%s: not a JSON array of objects" % a.file)
        return 1
    for spec in a.lease:
        tenant, mac, address = spec.split(",")
        mine = [x for x in leases if norm_mac(x.get("hwaddr", "")) == norm_mac(mac)]
        here = [x for x in mine if x.get("tenant") == tenant]
        if len(here) != 1:
            errors.append("%d leases of %s in %s, want 1: %s" % (len(here), mac, tenant, mine))
        elif here[0].get("address") != address:
            errors.append("%s in %s has %s, the client got %s" % (
                mac, tenant, here[0].get("address"), address))
        elif here[0].get("state", "active") != "active":
            errors.append("%s in %s is %s, not active" % (mac, tenant, here[0].get("state")))
        if len(mine) != len(here):
            errors.append("%s also has leases outside %s: %s" % (mac, tenant, mine))
    if a.shared:
        for tenant in a.tenants.split(","):
            if not any(x.get("tenant") == tenant and x.get("address") == a.shared
                       for x in leases):
                errors.append("%s is not leased in tenant %s" % (a.shared, tenant))
    if a.only:
        others = [x for x in leases if x.get("tenant") != a.only]
        if others:
            errors.append("leases of tenants other than %s: %s" % (a.only, others))
    for e in errors:
        print("  - " + e)
    print("%s: %d leases, %s" % (a.file, len(leases), "FAILED" if errors else "all checks passed"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
