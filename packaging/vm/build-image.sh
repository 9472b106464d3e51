#!/usr/bin/env bash
# build-image.sh: builds a bootable Debian 12 service-VM disk image with mtdhcp installed
# (`make vm`), from Debian packages only.
#
#   packaging/vm/build-image.sh [--deb FILE] [--out DIR] [--mirror URL] [--size MB]
#
# What it makes, in build/vm/ (or --out):
#   mtdhcp-vm.img   a raw GPT disk: an EFI system partition (systemd-boot, the kernel and its
#                   initramfs) and an ext4 root (LABEL=mtdhcp-root). Boots with UEFI firmware
#                   (OVMF under QEMU/KVM or libvirt, Xen HVM with bios="ovmf").
#   vmlinuz, initrd.img, cmdline
#                   the same kernel, for direct kernel boot (qemu -kernel, libvirt <kernel>,
#                   Xen PVH/PV kernel=).
# The system: Debian 12 minbase + linux-image-amd64, systemd, udev, iproute2, the mtdhcp
# package with its dependencies (apt-get install ./mtdhcp_*.deb). Interface names are
# eth0 (management, DHCP by systemd-networkd) and eth1 (the DHCP service port: link up, no
# address, read by DPDK's net_af_packet PMD as the default /etc/mtdhcp/mtdhcpd.conf says).
# The console is the first serial port, root logs in there without a password (a lab
# image: set a password or remove the autologin drop-in before deploying it).
# A tenant file from packaging/vm/sites.csv (written by mtdhcp-gen-tenants) makes mtdhcpd
# start at boot; mtdhcp-vm-report.service prints the daemon's state and its first lease on
# the console, which tests/packaging/test_vm.sh reads.
#
# Needs root (debootstrap, chroot), debootstrap, mtools, dosfstools, e2fsprogs, fdisk, and
# the Debian archive. No loop devices or mounts of the image are used: the file systems
# are made from directories (mkfs.ext4 -d, mcopy) and put into the disk file at their offsets.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
deb=""
out=$src/build/vm
mirror=""
size_mb=0
while [ $# -gt 0 ]; do
	case $1 in
	--deb) deb=$2; shift ;;
	--out) out=$2; shift ;;
	--mirror) mirror=$2; shift ;;
	--size) size_mb=$2; shift ;;
	-h | --help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-image: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done
die() { echo "build-image: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot)"
[ -n "$deb" ] || deb=$(ls -t "$src"/build/mtdhcp_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || die "no package: run make deb first, or give --deb FILE"
for cmd in debootstrap mkfs.ext4 mkfs.vfat mcopy mmd sfdisk; do
	command -v "$cmd" >/dev/null || die "missing $cmd (apt-get install debootstrap mtools dosfstools e2fsprogs fdisk)"
done
if [ -z "$mirror" ]; then
	mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources \
		2>/dev/null | head -n 1)
	mirror=${mirror:-http://deb.debian.org/debian}
fi

T0=$(date +%s)
step() { printf '=== [%4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
mkdir -p "$out"
work=$(mktemp -d /var/tmp/mtdhcp-vm.XXXXXX)
R=$work/root
mkdir "$R"
cleanup() {
	umount "$R/proc" 2>/dev/null || true
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
log=$out/build.log
: >"$log"

# --- The root file system ------------------------------------------------------------------
# The same pristine minbase tarball as tests/packaging/test_deb.sh, when it is fresh.
cache=/var/cache/mtdhcp-pkgtest
base=$cache/bookworm-minbase.tar
mkdir -p "$cache/debs"
if [ -n "$(find "$base" -mmin -1440 2>/dev/null)" ]; then
	step "bookworm minbase from $base"
	tar -C "$R" -xpf "$base"
else
	step "debootstrap bookworm minbase from $mirror"
	debootstrap --variant=minbase --cache-dir="$cache/debs" bookworm "$R" "$mirror" >>"$log" 2>&1 ||
		die "debootstrap failed (log: $log)"
	tar -C "$R" -cpf "$base.tmp" . && mv "$base.tmp" "$base"
fi
rm -f "$R/etc/apt/sources.list"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
	cp /etc/apt/sources.list.d/debian.sources "$R/etc/apt/sources.list.d/"
else
	echo "deb $mirror bookworm main" >"$R/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$R/etc/resolv.conf"
mount -t proc proc "$R/proc"
# No service may start inside the chroot while packages are installed.
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"

step "apt-get install the kernel, systemd and $(basename "$deb")"
cp "$deb" "$R/tmp/"
export DEBIAN_FRONTEND=noninteractive
chroot "$R" apt-get update -q >>"$log" 2>&1 || die "apt-get update failed (log: $log)"
chroot "$R" apt-get install -y --no-install-recommends linux-image-amd64 systemd systemd-sysv \
	udev kmod iproute2 iputils-ping less systemd-boot-efi "/tmp/$(basename "$deb")" \
	>>"$log" 2>&1 || die "apt-get install failed (log: $log)"
chroot "$R" apt-get clean
rm -f "$R/tmp/$(basename "$deb")" "$R/usr/sbin/policy-rc.d"
grep -E '^(Setting up mtdhcp|Setting up linux-image)' "$log" | sed 's/^/    /'

step "configure: network, console, tenant, report unit"
echo mtdhcp-vm >"$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tmtdhcp-vm\n' >"$R/etc/hosts"
echo 'LABEL=mtdhcp-root / ext4 errors=remount-ro 0 1' >"$R/etc/fstab"
install -m 0644 "$here/files/10-mgmt.network" "$here/files/20-dhcp-port.network" \
	"$R/etc/systemd/network/"
install -d "$R/etc/systemd/system/serial-getty@ttyS0.service.d"
install -m 0644 "$here/files/autologin.conf" "$R/etc/systemd/system/serial-getty@ttyS0.service.d/"
install -d "$R/etc/systemd/system/dev-ttyS0.device.d"
install -m 0644 "$here/files/ttyS0-timeout.conf" "$R/etc/systemd/system/dev-ttyS0.device.d/timeout.conf"
install -m 0755 "$here/files/mtdhcp-vm-report" "$R/usr/local/sbin/"
install -m 0644 "$here/files/mtdhcp-vm-report.service" "$R/etc/systemd/system/"
chroot "$R" systemctl enable systemd-networkd.service mtdhcp-vm-report.service \
	serial-getty@ttyS0.service >>"$log" 2>&1
cp "$here/sites.csv" "$R/tmp/sites.csv"
chroot "$R" mtdhcp-gen-tenants --csv /tmp/sites.csv --out /etc/mtdhcp/tenants.d
rm "$R/tmp/sites.csv"
chroot "$R" mtdhcpd --check -c /etc/mtdhcp/mtdhcpd.conf || die "the image's configuration is invalid"
chroot "$R" systemctl is-enabled mtdhcpd.service >/dev/null || die "mtdhcpd.service is not enabled"
# An empty machine-id: systemd makes one at first boot, so copies of the image differ.
: >"$R/etc/machine-id"
rm -f "$R/var/lib/dbus/machine-id"

kver=$(basename "$(ls "$R"/boot/vmlinuz-* | sort -V | tail -n 1)" | sed 's/^vmlinuz-//')
cmdline="root=LABEL=mtdhcp-root rw console=ttyS0,115200 net.ifnames=0 quiet"
cp "$R/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$R/boot/initrd.img-$kver" "$out/initrd.img"
echo "$cmdline" >"$out/cmdline"
umount "$R/proc"

# --- The disk ----------------------------------------------------------------------------
step "disk image: ESP (systemd-boot, kernel $kver) + ext4 root"
esp_mb=128
used_mb=$(du -sm --one-file-system "$R" | cut -f1)
root_mb=$((used_mb + used_mb / 3 + 256))
if [ "$size_mb" -gt 0 ]; then
	[ $((size_mb - esp_mb - 2)) -ge "$root_mb" ] || die "--size $size_mb is too small: at least $((root_mb + esp_mb + 2))"
	root_mb=$((size_mb - esp_mb - 2))
fi
esp=$work/esp.img
mkfs.vfat -F 32 -n MTDHCP-ESP -C "$esp" $((esp_mb * 1024)) >>"$log"
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$esp" "$R/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$out/vmlinuz" ::/vmlinuz
mcopy -i "$esp" "$out/initrd.img" ::/initrd.img
printf 'default mtdhcp.conf\ntimeout 0\nconsole-mode keep\n' >"$work/loader.conf"
printf 'title mtdhcp service VM (Debian 12, %s)\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' \
	"$kver" "$cmdline" >"$work/mtdhcp.conf"
mcopy -i "$esp" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$work/mtdhcp.conf" ::/loader/entries/mtdhcp.conf
rootfs=$work/root.ext4
mkfs.ext4 -q -L mtdhcp-root -d "$R" "$rootfs" "${root_mb}M" >>"$log" 2>&1 ||
	die "mkfs.ext4 -d failed (log: $log)"
img=$out/mtdhcp-vm.img
rm -f "$img"
truncate -s $((1 + esp_mb + root_mb + 1))M "$img"
sfdisk -q "$img" >>"$log" <<-EOF
	label: gpt
	start=1MiB, size=${esp_mb}MiB, type=uefi, name="EFI system"
	start=$((1 + esp_mb))MiB, size=${root_mb}MiB, type=linux, name="mtdhcp-root"
EOF
dd if="$esp" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$rootfs" of="$img" bs=1M seek=$((1 + esp_mb)) conv=notrunc,sparse status=none
step "done: $img ($(du -h --apparent-size "$img" | cut -f1) apparent, $(du -h "$img" | cut -f1) on disk)"
sfdisk -l "$img" | sed -n '/^Device/,$p' | sed 's/^/    /'
