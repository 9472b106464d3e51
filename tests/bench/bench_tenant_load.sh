#!/bin/bash
# How long `mtdhcpd --check` takes to read, validate and cross-check 1, 100, 1,000 and
# 10,000 generated tenant files (each with a relay, a circuit-id, a VSS name, a VLAN and a
# /24 with a pool), and its peak memory: the issue asks for 1,000 tenants in under a second.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
daemon="$build/mtdhcpd"
work=$(mktemp -d /tmp/mtdhcp-bench-load.XXXXXX)
trap 'rm -rf "$work"' EXIT

gen() {
	local n=$1 dir=$work/$1
	mkdir -p "$dir/tenants.d"
	cat >"$dir/mtdhcpd.conf" <<CONF
dataplane = { ports = ( { name = "uplink"; device = "net_null0"; address = "10.0.0.1/24"; } ); };
lease_db = { path = "leases.db"; };
tenants_dir = "tenants.d";
CONF
	/usr/bin/python3 - "$dir/tenants.d" "$n" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(f"{d}/t{i:05d}.conf", "w") as f:
        f.write(f'''match = {{
  relays = [ "10.{i // 256 % 256}.{i % 256}.{1 + i // 65536}" ];
  circuit_ids = [ "Ethernet{i}/0/1" ];
  vss = [ "vpn-{i}" ];
  vlans = ( {{ port = "uplink"; vlan = {1 + i % 4094}; inner_vlan = {1 + i // 4094}; }} );
}};
server_address = "192.168.1.254";
options = {{ routers = [ "192.168.1.254" ]; domain-name = "t{i}.example"; }};
subnets = ( {{ subnet = "192.168.1.0/24";
              pools = ( {{ first = "192.168.1.100"; last = "192.168.1.199"; }} ); }} );
''')
PY
}

printf '%-8s %12s %12s\n' tenants "check (ms)" "peak RSS (MB)"
for n in 1 100 1000 10000; do
	gen "$n"
	best=""
	rss=""
	for _ in 1 2 3; do
		out=$( { /usr/bin/time -f '%e %M' "$daemon" --check -c "$work/$n/mtdhcpd.conf" >/dev/null; } 2>&1 | tail -1)
		ms=$(awk '{printf "%d", $1 * 1000}' <<<"$out")
		rss=$(awk '{printf "%.1f", $2 / 1024}' <<<"$out")
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
	done
	printf '%-8s %12s %12s\n' "$n" "$best" "$rss"
done
echo "(best of 3 runs of the whole process, \`mtdhcpd --check\`; 10 ms resolution)"
