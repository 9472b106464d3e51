#!/usr/bin/python3
"""Tests of tools/gen-tenants/mtdhcp-gen-tenants: sites from flags and from CSV become tenant
files that the real `mtdhcpd --check` accepts (50 edge routers in each layout), and invalid
sites are reported with their line and nothing is written.

    test_gen_tenants.py --mtdhcpd PATH [unittest options]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GEN = os.path.join(SRC, "tools", "gen-tenants", "mtdhcp-gen-tenants")
EXAMPLE_CSV = os.path.join(SRC, "tools", "gen-tenants", "example-sites.csv")
MTDHCPD = None

SERVICE = """dataplane = {
  eal = [ "--no-huge", "--no-pci" ];
  ports = ( { name = "uplink"; device = "net_af_packet0,iface=eth1"; address = "10.0.1.1/24"; } );
};
lease_db = { path = "leases.db"; };
tenants_dir = "tenants.d";
"""


class GenTenants(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="test-gen-tenants.")
        self.out = os.path.join(self.dir, "tenants.d")
        with open(os.path.join(self.dir, "mtdhcpd.conf"), "w") as f:
            f.write(SERVICE)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def gen(self, *args, rc=0):
        p = subprocess.run([sys.executable, GEN, *args], capture_output=True, text=True)
        self.assertEqual(p.returncode, rc, f"gen {args}: rc {p.returncode}\n{p.stderr}")
        return p

    def check(self, n):
        p = subprocess.run([MTDHCPD, "--check", "-c", os.path.join(self.dir, "mtdhcpd.conf")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, f"mtdhcpd --check:\n{p.stdout}{p.stderr}")
        self.assertIn(f"configuration OK ({n} tenants)", p.stdout)

    def read(self, name):
        with open(os.path.join(self.out, name + ".conf")) as f:
            return f.read()

    def files(self):
        return sorted(os.listdir(self.out)) if os.path.isdir(self.out) else []

    def test_fifty_routers_own_subnets(self):
        self.gen("--count", "50", "--subnet-base", "10.100.0.0/24", "--dns", "10.0.0.53",
                 "10.0.0.54", "--domain-format", "site{n:02d}.example", "--out", self.out)
        self.assertEqual(len(self.files()), 50)
        self.check(50)
        t = self.read("edge-050")
        # Site 50 is the 50th /24 from the base; the router relays from its LAN address.
        self.assertIn('subnet = "10.100.49.0/24";', t)
        self.assertIn('relays = [ "10.100.49.1" ]', t)
        self.assertIn('first = "10.100.49.100"; last = "10.100.49.199";', t)
        self.assertIn('domain-name-servers = [ "10.0.0.53", "10.0.0.54" ];', t)
        self.assertIn('domain-name = "site50.example";', t)

    def test_fifty_routers_shared_subnet(self):
        p = self.gen("--count", "50", "--subnet", "192.168.1.0/24", "--relay-base",
                     "10.20.0.1", "--pool", "10-250", "--out", self.out)
        self.assertIn("RFC 3527", p.stderr)
        self.assertEqual(len(self.files()), 50)
        self.check(50)
        t = self.read("edge-037")
        self.assertIn('relays = [ "10.20.0.37" ]', t)
        self.assertIn('subnet = "192.168.1.0/24";', t)
        self.assertIn('first = "192.168.1.10"; last = "192.168.1.250";', t)

    def test_fifty_vlan_sites(self):
        self.gen("--count", "50", "--subnet", "192.168.1.0/24", "--vlan-base", "100",
                 "--vlan-step", "2", "--name-format", "vl{n}", "--out", self.out)
        self.check(50)
        t = self.read("vl50")
        self.assertIn('vlans = ( { port = "uplink"; vlan = 198; } )', t)
        self.assertIn('server_address = "192.168.1.254";', t)

    def test_example_csv(self):
        self.gen("--csv", EXAMPLE_CSV, "--out", self.out)
        self.assertEqual(self.files(), ["berlin.conf", "lab.conf", "paris.conf", "rome.conf"])
        self.check(4)
        t = self.read("paris")
        self.assertIn("lease_time = 600;", t)
        self.assertIn('domain-name-servers = [ "10.0.0.53", "10.0.0.54" ];', t)
        self.assertNotIn("lease_time", self.read("rome"))

    def write_csv(self, text):
        path = os.path.join(self.dir, "sites.csv")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_invalid_rows_named_and_nothing_written(self):
        csv = self.write_csv(
            "name,relay_ip,subnet,pool_first,pool_last,routers\n"
            "ok1,10.0.0.1,10.0.0.0/24,10.0.0.10,10.0.0.20,10.0.0.1\n"
            "bad name,10.0.1.1,10.0.1.0/24,10.0.1.10,10.0.1.20,\n"
            "# a comment line\n"
            "s3,10.0.2.1,10.0.2.0/24,10.0.3.10,10.0.2.20,\n"
            "s4,10.0.4.1,10.0.4.1/24,10.0.4.10,10.0.4.20,\n"
            "s5,10.0.5.1,10.0.5.0/24,10.0.5.30,10.0.5.20,\n"
            "s6,10.0.0.1,10.0.6.0/24,10.0.6.10,10.0.6.20,\n"
            "s7,,10.0.7.0/24,10.0.7.10,10.0.7.20,\n"
            "s8,10.0.8.1,10.0.8.0/24,10.0.8.10,10.0.8.255,\n"
            "s9,10.0.9.1,10.0.9.0/24,10.0.9.10,10.0.9.20,10.0.9.x\n")
        p = self.gen("--csv", csv, "--out", self.out, rc=1)
        err = p.stderr
        expect = [(3, "name"), (5, "pool_first: 10.0.3.10 is not in subnet"),
                  (6, "subnet"), (7, "pool: 10.0.5.30 is after 10.0.5.20"),
                  (8, "relay address 10.0.0.1 is already used by ok1"),
                  (9, "relay_ip or vlan is required"),
                  (10, "pool_last: 10.0.8.255 is the network or broadcast"),
                  (11, "routers: '10.0.9.x' is not an IPv4 address")]
        for line, what in expect:
            self.assertRegex(err, re.escape(f"sites.csv:{line}: ") + ".*" + re.escape(what))
        self.assertIn("8 error(s); nothing written", err)
        self.assertEqual(self.files(), [])

    def test_unknown_column_rejected(self):
        csv = self.write_csv("name,relay,subnet,pool_first,pool_last\n")
        p = self.gen("--csv", csv, "--out", self.out, rc=1)
        self.assertIn("unknown column(s): relay", p.stderr)

    def test_vlan_site_needs_server_address_outside_pool(self):
        csv = self.write_csv(
            "name,vlan,subnet,pool_first,pool_last,server_address\n"
            "v1,100,10.0.0.0/24,10.0.0.10,10.0.0.20,\n"
            "v2,101,10.0.0.0/24,10.0.0.10,10.0.0.20,10.0.0.15\n"
            "v3,4095,10.0.0.0/24,10.0.0.10,10.0.0.20,10.0.0.1\n")
        p = self.gen("--csv", csv, "--out", self.out, rc=1)
        self.assertIn("sites.csv:2: server_address is required", p.stderr)
        self.assertIn("sites.csv:3: server_address: 10.0.0.15 is inside the pool", p.stderr)
        self.assertIn("sites.csv:4: vlan: 4095 is not in 1..4094", p.stderr)

    def test_shared_subnet_without_relay_base_is_a_duplicate(self):
        # Every router would relay from 192.168.1.1: one relay address, many tenants.
        p = self.gen("--count", "3", "--subnet", "192.168.1.0/24", "--out", self.out, rc=1)
        self.assertIn("relay address 192.168.1.1 is already used by edge-001", p.stderr)

    def test_overwrite_needs_force_and_prune_keeps_hand_written(self):
        self.gen("--count", "5", "--subnet-base", "10.1.0.0/24", "--out", self.out)
        p = self.gen("--count", "5", "--subnet-base", "10.1.0.0/24", "--out", self.out, rc=1)
        self.assertIn("use --force", p.stderr)
        with open(os.path.join(self.out, "manual.conf"), "w") as f:
            f.write('name = "manual";\nmatch = { relays = [ "10.9.0.1" ]; };\n'
                    'subnets = ( { subnet = "10.9.0.0/24"; pools = ( { first = "10.9.0.10"; '
                    'last = "10.9.0.20"; } ); } );\n')
        p = self.gen("--count", "3", "--subnet-base", "10.1.0.0/24", "--out", self.out,
                     "--force", "--prune")
        self.assertIn("wrote 3 tenant files", p.stdout)
        self.assertIn("removed 2", p.stdout)
        self.assertEqual(self.files(), ["edge-001.conf", "edge-002.conf", "edge-003.conf",
                                        "manual.conf"])
        self.check(4)


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "--mtdhcpd":
        sys.exit("usage: test_gen_tenants.py --mtdhcpd PATH [unittest options]")
    MTDHCPD = sys.argv[2]
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
