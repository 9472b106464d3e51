#!/bin/sh
# Installs the Debian 12 packages mtdhcp needs to build, test and run its demo.
# Idempotent: packages already present are not touched, and apt-get runs only
# when something is missing.
set -eu

BUILD="build-essential cmake ninja-build pkg-config libdpdk-dev libconfig-dev liburcu-dev
libsqlite3-dev libcmocka-dev libjansson-dev libmicrohttpd-dev libpcap-dev libbsd-dev libelf-dev
libxdp-dev libbpf-dev"
RUNTIME="iproute2 sqlite3 isc-dhcp-client isc-dhcp-relay udhcpc dhcpcd-base
procps psmisc python3 python3-scapy tcpdump ethtool iputils-ping"
EXTRA="kea-admin kea-dhcp4-server tshark time nftables linux-perf"

want="$BUILD $RUNTIME"
case "${1:-}" in
--all) want="$want $EXTRA" ;;
esac

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Answer tshark's "non-root capture" question without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
if ! apt-get install -y --no-install-recommends $missing >/tmp/mtdhcp-apt.log 2>&1; then
	apt-get update >>/tmp/mtdhcp-apt.log 2>&1
	apt-get install -y --no-install-recommends $missing >>/tmp/mtdhcp-apt.log 2>&1 || {
		tail -20 /tmp/mtdhcp-apt.log >&2
		echo "install-deps: apt-get failed, see /tmp/mtdhcp-apt.log" >&2
		exit 1
	}
fi
