# shellcheck shell=bash
#
# The mtdhcp lab, shared by `make demo` and the integration tests. Source netlab.sh first.
#
#   ns svc : svc0 (no IP; the daemon's DPDK af_packet port)            "the service VM"
#      | veth
#   ns sw  : bridge br0 joining the service VM and every site's uplink  "the L2 network"
#            (a plain switch: bridge netfilter off, see lab_bridge_nf_off)
#   relay sites (lab_relay_site), e.g. acme's edge router "ar":
#      ar-up 10.0.1.2/24 to sw, bridge ar-br 192.168.1.1/24 with the client links,
#      ip_forward=1, dhcrelay -4 -d -a -id ar-br -iu ar-up 10.0.1.1; clients a1, a2 (eth0)
#   VLAN sites (lab_vlan_site), e.g. globex's access switch "gsw":
#      trunk to sw, access ports g1, g2 to the clients g1, g2 (eth0),
#      mtdhcp-tagger --trunk trunk --access g1=8100:100 --access g2=8100:100
#
# Typical use (lab_build_default builds the picture above):
#   lab_core; lab_relay_site ar 10.0.1.2/24 192.168.1.1/24 10.0.1.1 a1 a2
#   lab_vlan_site gsw g1=8100:100 g2=88a8:300,8100:100
#   lab_install_conf demo; lab_start_daemon build/mtdhcpd
#   lab_start_relays; lab_start_taggers build/tools/mtdhcp-tagger
#
# Every client's interface is eth0 with a fixed MAC 02:00:00:00:NN:01 (NN counts clients
# from 0x10 in creation order; lab_mac tells it), so tests know each chaddr.

# shellcheck disable=SC2034 # LAB_SERVICE, LAB_DB etc. are for the scripts that source this
LAB_SVC_MAC="02:00:00:00:00:01"
LAB_BRIDGE="br0"
LAB_CONF_DIR=""
LAB_SERVICE=""
LAB_DB=""
LAB_PROBE_HOST=""    # a host with an address on the service's link, for ping
LAB_SERVER_ADDR=""   # the daemon's port address, as the first relay site was told
LAB_RELAY_SITES=()
LAB_VLAN_SITES=()
LAB_CLIENT_SEQ=16
declare -A LAB_RELAY_CMD=()
declare -A LAB_TAGGER_ARGS=()

# lab_bridge_nf_off NAME: the bridges of host NAME forward frames as a switch does, without
# looking into them. Where the br_netfilter module is loaded (Docker, a firewall), every new
# namespace starts with net.bridge.bridge-nf-call-{iptables,ip6tables,arptables} = 1: bridged
# IPv4 then goes through the kernel's IP input checks, which drop malformed packets (a bad
# header checksum or length) before they reach the daemon, and the tests of malformed frames
# would test the kernel. Without the module the settings do not exist and nothing is needed.
lab_bridge_nf_off() {
	local key
	for key in iptables ip6tables arptables; do
		netlab_exec "$1" test -e "/proc/sys/net/bridge/bridge-nf-call-$key" || continue
		netlab_sysctl "$1" "net.bridge.bridge-nf-call-$key=0" || return 1
	done
}

# lab_core: the service VM and the L2 network.
lab_core() {
	netlab_ns svc && netlab_ns sw || return 1
	lab_bridge_nf_off sw || return 1
	netlab_bridge sw "$LAB_BRIDGE" || return 1
	netlab_link svc svc0 sw svc "$LAB_SVC_MAC" && netlab_bridge_add sw "$LAB_BRIDGE" svc
}

# lab_client SITE CLIENT: host CLIENT with eth0 linked to port CLIENT of host SITE.
lab_client() {
	local mac
	mac=$(printf '02:00:00:00:%02x:01' "$LAB_CLIENT_SEQ")
	LAB_CLIENT_SEQ=$((LAB_CLIENT_SEQ + 1))
	netlab_ns "$2" && netlab_link "$2" eth0 "$1" "$2" "$mac"
}

# lab_mac CLIENT: the MAC address of CLIENT's eth0.
lab_mac() {
	netlab_exec "$1" cat /sys/class/net/eth0/address
}

# lab_relay_site NAME UP_CIDR LAN_CIDR SERVER CLIENT...: an edge router NAME with uplink
# NAME-up (UP_CIDR) on the L2 network, a bridge NAME-br (LAN_CIDR) with one link per client,
# forwarding on, and a dhcrelay (started by lab_start_relays) towards SERVER.
lab_relay_site() {
	local name=$1 up=$2 lan=$3 server=$4 c
	shift 4
	netlab_ns "$name" && lab_bridge_nf_off "$name" || return 1
	netlab_link "$name" "$name-up" sw "$name" && netlab_bridge_add sw "$LAB_BRIDGE" "$name" ||
		return 1
	netlab_addr "$name" "$name-up" "$up" || return 1
	netlab_bridge "$name" "$name-br" && netlab_addr "$name" "$name-br" "$lan" || return 1
	netlab_sysctl "$name" net.ipv4.ip_forward=1 || return 1
	for c in "$@"; do
		lab_client "$name" "$c" && netlab_bridge_add "$name" "$name-br" "$c" || return 1
	done
	LAB_RELAY_SITES+=("$name")
	LAB_RELAY_CMD[$name]="$name-br $name-up $server"
	if [ -z "$LAB_PROBE_HOST" ]; then
		LAB_PROBE_HOST=$name
		LAB_SERVER_ADDR=$server
	fi
}

# lab_vlan_site NAME CLIENT=TAGSPEC...: an access switch NAME with a trunk on the L2 network
# and, per client, an access port CLIENT with that tag stack (see mtdhcp-tagger --help).
lab_vlan_site() {
	local name=$1 spec c args=""
	shift
	netlab_ns "$name" || return 1
	netlab_link "$name" trunk sw "$name" && netlab_bridge_add sw "$LAB_BRIDGE" "$name" ||
		return 1
	for spec in "$@"; do
		c=${spec%%=*}
		lab_client "$name" "$c" || return 1
		args="$args --access $spec"
	done
	LAB_VLAN_SITES+=("$name")
	LAB_TAGGER_ARGS[$name]="--trunk trunk$args"
}

# lab_build_default: the demo's lab (acme behind a relay, globex on VLAN 100).
lab_build_default() {
	lab_core &&
		lab_relay_site ar 10.0.1.2/24 192.168.1.1/24 10.0.1.1 a1 a2 &&
		lab_vlan_site gsw g1=8100:100 g2=8100:100
}

# lab_start_relays: starts every relay site's dhcrelay (process "relay-NAME").
lab_start_relays() {
	local name
	for name in "${LAB_RELAY_SITES[@]}"; do
		# shellcheck disable=SC2086 # the words are interface names and an address
		netlab_dhcrelay "relay-$name" "$name" ${LAB_RELAY_CMD[$name]} || return 1
	done
}

# lab_start_taggers TAGGER: starts every VLAN site's tagger (process "tagger-NAME").
lab_start_taggers() {
	local name
	for name in "${LAB_VLAN_SITES[@]}"; do
		# shellcheck disable=SC2086
		netlab_start "tagger-$name" "$name" "$1" ${LAB_TAGGER_ARGS[$name]} || return 1
		netlab_wait 5 "the tagger in $name" netlab_log_has "tagger-$name" "ready" || return 1
	done
}

# lab_install_conf SRC: copies SRC/mtdhcpd.conf and SRC/tenants.d into $NETLAB_DIR/conf
# (sets LAB_SERVICE, LAB_CONF_DIR, LAB_DB) and makes the copy this run's own: the control
# socket moves into the run's directory and the DPDK --file-prefix becomes the run prefix,
# so that two runs never share /var/run/dpdk/<prefix>; the teardown removes that directory.
lab_install_conf() {
	local src=$1 db
	LAB_CONF_DIR="$NETLAB_DIR/conf"
	LAB_SERVICE="$LAB_CONF_DIR/mtdhcpd.conf"
	mkdir -p "$LAB_CONF_DIR" && cp -r "$src/mtdhcpd.conf" "$src/tenants.d" "$LAB_CONF_DIR/" ||
		return 1
	if grep -q '"--file-prefix"' "$LAB_SERVICE"; then
		sed -i "s|\"--file-prefix\" *, *\"[^\"]*\"|\"--file-prefix\", \"$NETLAB_PREFIX\"|" \
			"$LAB_SERVICE"
	else
		sed -i "s|\(eal *= *\[\)|\1 \"--file-prefix\", \"$NETLAB_PREFIX\",|" "$LAB_SERVICE"
	fi
	if grep -q '^ *control_socket *=' "$LAB_SERVICE"; then
		sed -i "s|^\( *control_socket *= *\)\"[^\"]*\"|\1\"$LAB_CONF_DIR/control.sock\"|" \
			"$LAB_SERVICE"
	else
		echo "control_socket = \"$LAB_CONF_DIR/control.sock\";" >>"$LAB_SERVICE"
	fi
	grep -q "\"--file-prefix\", \"$NETLAB_PREFIX\"" "$LAB_SERVICE" ||
		{ echo "lab: could not set the DPDK file prefix in $LAB_SERVICE" >&2; return 1; }
	netlab_on_teardown "rm -rf '/var/run/dpdk/$NETLAB_PREFIX'"
	# DPDK makes /var/run/dpdk too; remove it if it was not there before (and is empty).
	[ -d /var/run/dpdk ] || netlab_on_teardown "rmdir /var/run/dpdk 2>/dev/null"
	# The lease database, as the daemon resolves it: relative to the service file.
	db=$(sed -n '/lease_db/,/}/s/.*path *= *"\([^"]*\)".*/\1/p' "$LAB_SERVICE" | head -n 1)
	case $db in
	/*) LAB_DB=$db ;;
	*) LAB_DB="$LAB_CONF_DIR/${db:-leases.db}" ;;
	esac
}

# Answers 0 once the daemon serves, 2 if it died.
lab_daemon_ready() {
	netlab_running mtdhcpd || return 2
	grep -qiw ready "$(netlab_log mtdhcpd)" && return 0
	[ -n "$LAB_PROBE_HOST" ] && command -v ping >/dev/null &&
		netlab_exec "$LAB_PROBE_HOST" ping -n -q -c 1 -W 0.2 "$LAB_SERVER_ADDR" >/dev/null 2>&1
}

# lab_start_daemon MTDHCPD [TIMEOUT]: starts `MTDHCPD -c $LAB_SERVICE` in the service VM and
# waits until it logs that it is ready or answers ping from the first relay site. Fails at
# once if it exits.
lab_start_daemon() {
	local deadline rc
	netlab_start mtdhcpd svc "$1" -c "$LAB_SERVICE" || return 1
	deadline=$(($(date +%s) + ${2:-15}))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		rc=0
		lab_daemon_ready || rc=$?
		case $rc in
		0) return 0 ;;
		2)
			echo "lab: mtdhcpd exited during startup:" >&2
			tail -n 20 "$(netlab_log mtdhcpd)" >&2
			return 1
			;;
		esac
		sleep 0.1
	done
	echo "lab: mtdhcpd did not become ready in ${2:-15}s" >&2
	return 1
}

# lab_stop_daemon: SIGTERM, then its exit status (0 is a clean stop).
lab_stop_daemon() {
	netlab_stop mtdhcpd TERM 10
}

# --- Protocol tests (issue 3) -------------------------------------------------------------

# lab_direct_site CLIENT...: clients plugged straight into the L2 network, untagged, next
# to the service's port: a tenant reaches them with match.vlans = ( { port = "uplink"; } )
# (a VLAN rule without a VLAN matches untagged frames). Each client's eth0 is a port of
# the bridge.
lab_direct_site() {
	local c
	for c in "$@"; do
		lab_client sw "$c" && netlab_bridge_add sw "$LAB_BRIDGE" "$c" || return 1
	done
}

# lab_proto_conf DIR TENANT_FILE...: a configuration source in DIR (for lab_install_conf):
# the demo's service file and only the given tenant files.
lab_proto_conf() {
	local dir=$1 src
	shift
	src=$(cd "$NETLAB_LIB_DIR/../.." && pwd)/demo
	mkdir -p "$dir/tenants.d" && cp "$src/mtdhcpd.conf" "$dir/" && cp "$@" "$dir/tenants.d/"
}

# lab_db_lease DB TENANT ADDRESS: the state name of ADDRESS's row in TENANT ("active",
# "released", "declined", ...), empty when there is none.
lab_db_lease() {
	/usr/bin/python3 - "$@" <<'PY'
import sqlite3, sys, socket, struct
db, tenant, addr = sys.argv[1:4]
a = struct.unpack("!I", socket.inet_aton(addr))[0]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=2)
row = c.execute("SELECT l.state FROM leases l JOIN tenants t ON t.id = l.tenant_id"
                " WHERE t.name = ? AND l.address = ?", (tenant, a)).fetchone()
names = {1: "active", 2: "released", 3: "expired", 4: "declined"}
print(names.get(row[0], row[0]) if row else "")
PY
}

# --- Classification tests (issue 4) -------------------------------------------------------

# lab_use_pmd PMD: makes every port of the installed service file ($LAB_SERVICE) use the
# DPDK driver PMD on the same interface: af_packet (the default in the configs), pcap or
# af_xdp. Why choose: with a stripped outer VLAN tag, DPDK 22.11's af_packet PMD puts the
# tag back as 0x8100 even when it was an 802.1ad (0x88a8) S-tag, so a QinQ test that checks
# TPIDs runs the daemon on net_pcap, whose libpcap restores the TPID the kernel reports.
# pcap gets phy_mac=1 so that the port keeps the interface's own MAC address.
lab_use_pmd() {
	local args=""
	case $1 in
	af_packet | af_xdp) ;;
	pcap) args=",phy_mac=1" ;;
	*)
		echo "lab: unknown PMD '$1' (af_packet, pcap or af_xdp)" >&2
		return 1
		;;
	esac
	sed -i -E "s/\"net_(af_packet|pcap|af_xdp)([0-9]+),iface=([^\",]+)[^\"]*\"/\"net_$1\2,iface=\3$args\"/" \
		"$LAB_SERVICE" || return 1
	grep -q "\"net_$1[0-9]*,iface=" "$LAB_SERVICE" ||
		{ echo "lab: no port device to switch to net_$1 in $LAB_SERVICE" >&2; return 1; }
}

# --- Isolation tests (issue 4) -------------------------------------------------------------

# lab_relay_sim NAME CIDR ADDR...: a host NAME on the L2 network with CIDR on its link
# NAME0 and each ADDR as a /32 of its own. It plays one relay agent per ADDR (a tenant's
# giaddr): tests/integration/isolate_dhcp.py binds ADDR:67 for each, and the daemon's
# replies to giaddr:67 come back to NAME0 (the frame's source MAC).
lab_relay_sim() {
	local name=$1 cidr=$2 a
	shift 2
	netlab_ns "$name" || return 1
	netlab_link "$name" "${name}0" sw "$name" && netlab_bridge_add sw "$LAB_BRIDGE" "$name" ||
		return 1
	netlab_addr "$name" "${name}0" "$cidr" || return 1
	for a in "$@"; do
		netlab_addr "$name" "${name}0" "$a/32" || return 1
	done
}

# lab_tenant_file FILE NAME RELAY SUBNET FIRST LAST [EXTRA...]: writes a tenant file for a
# tenant reached through relay address RELAY (inside SUBNET, a.b.c.d/len) with one pool
# FIRST-LAST; each EXTRA is a setting line added as is (e.g. "lease_time = 60;").
lab_tenant_file() {
	local file=$1 name=$2 relay=$3 subnet=$4 first=$5 last=$6 extra
	shift 6
	{
		echo "name = \"$name\";"
		echo "match = { relays = [ \"$relay\" ]; };"
		for extra in "$@"; do
			echo "$extra"
		done
		echo "subnets = ( { subnet = \"$subnet\";"
		echo "              pools = ( { first = \"$first\"; last = \"$last\"; } ); } );"
	} >"$file"
}
