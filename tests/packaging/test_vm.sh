#!/usr/bin/env bash
# test_vm.sh: boots the service VM image under QEMU and gets a lease through it from the
# host side (`make vm-test`; not part of `make test`).
#
#   tests/packaging/test_vm.sh [--image FILE] [--accel tcg|kvm|auto] [--timeout SECONDS]
#
# The picture, every host-side piece in a network namespace of its own (tools/netlab):
#
#   QEMU (UEFI/OVMF, q35, the image read-only with snapshot=on)
#     NIC 1 virtio-net, user-mode (restricted: no way out) -> the VM's eth0, management
#     NIC 2 virtio-net on tap0 ----+                       -> the VM's eth1, DPDK af_packet
#   ns hv:  bridge br0 = tap0 + hv-rtr                        (the hypervisor's bridge)
#   ns rtr: uplink 10.0.1.2/24, lan 192.168.50.1/24, dhcrelay -a to 10.0.1.1 (the VM)
#   ns cl:  eth0 behind rtr: dhclient                          (a branch office's client)
#
# The test waits for the VM to report on its serial console that mtdhcpd is ready, then
# runs dhclient in ns cl: the lease must come from 10.0.1.1 out of branch1's pool, and the
# VM must report the same lease from its own database (mtdhcpctl). Timings are printed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
img=$src/build/vm/mtdhcp-vm.img
accel=tcg
timeout=900
while [ $# -gt 0 ]; do
	case $1 in
	--image) img=$2; shift ;;
	--accel) accel=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	*) echo "usage: $0 [--image FILE] [--accel tcg|kvm|auto] [--timeout SECONDS]" >&2; exit 2 ;;
	esac
	shift
done
[ -f "$img" ] || { echo "FAIL: no image $img (make vm first)" >&2; exit 1; }
fw=/usr/share/ovmf/OVMF.fd
[ -f "$fw" ] || { echo "FAIL: no UEFI firmware $fw (apt-get install ovmf)" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "FAIL: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 1; }
# KVM is usable when a guest runs with it: QEMU still running the firmware after 8 s. (A
# nested /dev/kvm may open and then fail on the first instruction, so -S is not enough.)
kvm_works() {
	local rc
	[ -w /dev/kvm ] || return 1
	rc=$(exec 2>/dev/null
		timeout 8 qemu-system-x86_64 -accel kvm -cpu host -machine q35 -m 256 -bios "$fw" \
			-display none -nodefaults -serial none -monitor none </dev/null >/dev/null
		echo $?)
	[ "$rc" = 124 ]
}
case $accel in
tcg) cpu=max ;;
kvm) cpu=host ;;
auto) if kvm_works; then accel=kvm cpu=host; else accel=tcg cpu=max; fi ;;
*) echo "FAIL: --accel tcg, kvm or auto" >&2; exit 2 ;;
esac

# shellcheck source=../../tools/netlab/netlab.sh
. "$src/tools/netlab/netlab.sh"
netlab_init vmtest
CHECKS=0
T0=$(date +%s)
now() { echo $(($(date +%s) - T0)); }
step() { printf '\n=== [%4ss] %s\n' "$(now)" "$*"; }
ok() { CHECKS=$((CHECKS + 1)); echo "ok: $*"; }
serial=$NETLAB_DIR/serial.log
fail() {
	echo "FAIL: $*" >&2
	echo "----- the VM's serial console (last 40 lines) -----" >&2
	tail -n 40 "$serial" 2>/dev/null | tr -d '\r' >&2 || true
	netlab_dump_logs >&2 || true
	exit 1
}
serial_has() { tr -d '\r' <"$serial" 2>/dev/null | grep -qE -- "$1"; }
# vm_wait TIMEOUT WHAT REGEX: waits for REGEX on the serial console; fails at once if QEMU
# has exited.
vm_seen_or_dead() { serial_has "$1" || ! netlab_running qemu; }
vm_wait() {
	netlab_wait "$1" "$2" vm_seen_or_dead "$3" || fail "timed out waiting for $2"
	netlab_running qemu || fail "QEMU exited: $(tail -5 "$(netlab_log qemu)")"
}

step "host side: ns hv (bridge + tap0), ns rtr (edge router), ns cl (client)"
netlab_ns hv && netlab_ns rtr && netlab_ns cl
netlab_exec hv ip tuntap add dev tap0 mode tap
netlab_bridge hv br0 tap0
netlab_link hv hv-rtr rtr uplink && netlab_bridge_add hv br0 hv-rtr
netlab_link rtr lan cl eth0 "" 02:00:00:00:50:01
netlab_addr rtr uplink 10.0.1.2/24
netlab_addr rtr lan 192.168.50.1/24
netlab_sysctl rtr net.ipv4.ip_forward=1
ok "namespaces, bridge and tap ready"

step "boot $(basename "$img") (accel $accel, cpu $cpu, 2 vCPUs, 1 GiB, OVMF)"
: >"$serial"
netlab_start qemu hv qemu-system-x86_64 -name mtdhcp-vm -machine q35 -accel "$accel" \
	-cpu "$cpu" -smp 2 -m 1024 -bios "$fw" -display none -monitor none -nodefaults \
	-serial "file:$serial" \
	-drive "file=$img,format=raw,if=virtio,snapshot=on" \
	-netdev user,id=mgmt,restrict=on -device virtio-net-pci,netdev=mgmt,addr=0x3 \
	-netdev tap,id=svc,ifname=tap0,script=no,downscript=no \
	-device virtio-net-pci,netdev=svc,mac=52:54:00:6d:74:01,addr=0x4
boot_t0=$(now)
netlab_wait 60 "QEMU to run" netlab_running qemu || fail "QEMU did not start"
vm_wait "$timeout" "the firmware to start the boot loader" 'BdsDxe: starting'
echo "  UEFI firmware started the boot loader at $(($(now) - boot_t0)) s"
vm_wait "$timeout" "mtdhcpd to be ready in the VM" 'MTDHCP-VM: mtdhcpd'
ready_s=$(($(now) - boot_t0))
# The serial login is for people; under heavy emulation it may come late, so it is only shown.
! serial_has 'mtdhcp-vm login:' || echo "  the serial console offers a login (root, automatic)"
# The report's last status line (it prints the lease later).
vm_wait 120 "the rest of the VM's report" 'MTDHCP-VM-LINK: '
tr -d '\r' <"$serial" | grep -E 'MTDHCP-VM(|-LOG|-PS|-LINK):' | sed 's/^.*\(MTDHCP-VM\)/  \1/'
serial_has 'MTDHCP-VM: mtdhcpd active' || fail "mtdhcpd is not active in the VM"
serial_has 'MTDHCP-VM-PS: mtdhcp ' || fail "mtdhcpd does not run as user mtdhcp"
ok "mtdhcpd (the systemd unit, user mtdhcp) ready in the VM $ready_s s after QEMU started"

step "dhcrelay in rtr towards the VM's 10.0.1.1; dhclient in cl"
netlab_dhcrelay relay rtr lan uplink 10.0.1.1
if ! netlab_exec rtr ping -n -c 1 -W 5 10.0.1.1 >/dev/null; then
	fail "the VM's mtdhcpd does not answer ping on 10.0.1.1"
fi
ok "the VM's DPDK port answers ping at 10.0.1.1"
lease_t0=$(now)
netlab_dhclient c1 cl eth0 60 || fail "dhclient got no lease: $(tail -20 "$(netlab_log c1)")"
ip=$(netlab_client_value c1 ip)
echo "  client cl: $ip/$(netlab_client_value c1 mask) router $(netlab_client_value c1 router)" \
	"server $(netlab_client_value c1 server_id) lease $(netlab_client_value c1 lease_time) s" \
	"(in $(($(now) - lease_t0)) s)"
case $ip in 192.168.50.1[0-4][0-9]) ;; *) fail "lease $ip is not in branch1's pool" ;; esac
[ "$(netlab_client_value c1 server_id)" = 10.0.1.1 ] || fail "the lease is not from 10.0.1.1"
ok "a host-side client behind the relay got $ip from the VM"
vm_wait 60 "the VM to report the lease $ip" "MTDHCP-VM-LEASE: .*branch1 +$ip "
tr -d '\r' <"$serial" | grep 'MTDHCP-VM-LEASE:' | sed 's/^.*\(MTDHCP-VM-LEASE\)/  \1/'
ok "the VM's mtdhcpctl shows branch1's lease $ip"

echo
echo "timings: boot to mtdhcpd ready ${ready_s} s (accel $accel), lease in" \
	"$(($(now) - lease_t0)) s, whole test $(now) s"
echo "PASS: test_vm ($CHECKS checks)"
