#!/usr/bin/env bash
# build-deb.sh: builds the Debian package mtdhcp_<version>_<arch>.deb (`make deb`).
#
#   packaging/deb/build-deb.sh [--src DIR] [--build DIR] [--out DIR] [--version VERSION]
#
# Why not a debhelper source package: the project builds with CMake, and everything the
# package ships already comes from `cmake --install` (binaries, man pages, completions,
# examples: whatever the CMake install rules say, so new files flow in without this script
# knowing them). This script therefore configures a release build with the Debian paths
# (prefix /usr, /etc, /var), installs it with DESTDIR into a staging tree, adds what is
# Debian's alone (the conffiles in /etc/mtdhcp, the systemd unit, the sysusers file, the
# maintainer scripts, the copyright), computes Depends with dpkg-shlibdeps, and runs
# `dpkg-deb --build --root-owner-group`. It needs no debhelper, no fakeroot and no network.
#
# The package's build tree is build/pkg/ or --build DIR (the CMake build in its cmake/, the
# staging tree in its root/); the .deb is written to build/ (or --out).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out=""
pkgdir=""
version=""
while [ $# -gt 0 ]; do
	case $1 in
	--src) src=$(cd "$2" && pwd); shift ;;
	--out) out=$2; shift ;;
	--build) pkgdir=$2; shift ;;
	--version) version=$2; shift ;;
	-h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-deb: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done
out=${out:-$src/build}
pkgdir=${pkgdir:-$src/build/pkg}
bld=$pkgdir/cmake
log=$pkgdir/build.log
root=$pkgdir/root
maintainer=${MTDHCP_DEB_MAINTAINER:-mtdhcp maintainers <maintainers@mtdhcp.invalid>}

die() { echo "build-deb: $*" >&2; exit 1; }
for cmd in cmake ninja dpkg-deb dpkg-shlibdeps dpkg-architecture; do
	command -v "$cmd" >/dev/null || die "missing $cmd (packaging/install-deps.sh installs it)"
done

# --- Build and install into the staging tree -------------------------------------------
mkdir -p "$pkgdir"
cmake -S "$src" -B "$bld" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_SYSCONFDIR=/etc \
	-DCMAKE_INSTALL_LOCALSTATEDIR=/var >"$log" 2>&1 ||
	{ tail -20 "$log" >&2; die "cmake configure failed (log: $log)"; }
cmake --build "$bld" -j "$(nproc)" >>"$log" 2>&1 ||
	{ tail -30 "$log" >&2; die "build failed (log: $log)"; }
rm -rf "$root"
DESTDIR=$root cmake --install "$bld" --strip >>"$log" 2>&1 ||
	{ tail -20 "$log" >&2; die "cmake --install failed"; }

# Whatever the install rules put under /usr/local or a relative etc/ would be wrong here.
[ ! -e "$root/usr/local" ] || die "an install rule installs under /usr/local: $(ls "$root/usr/local")"
[ ! -e "$root/usr/etc" ] || die "an install rule installs into usr/etc (use an absolute /etc)"
[ -x "$root/usr/sbin/mtdhcpd" ] || die "cmake --install did not install usr/sbin/mtdhcpd"

if [ -z "$version" ]; then
	version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$bld/CMakeCache.txt")
	[ -n "$version" ] || die "no project version in $bld/CMakeCache.txt"
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

# --- What is Debian's own ---------------------------------------------------------------
install -d -m 0755 "$root/etc/mtdhcp/tenants.d" "$root/lib/systemd/system" \
	"$root/usr/lib/sysusers.d" "$root/usr/share/doc/mtdhcp" "$root/DEBIAN"
install -m 0644 "$here/mtdhcpd.conf" "$root/etc/mtdhcp/mtdhcpd.conf"
install -m 0644 "$here/mtdhcpd.service" "$root/lib/systemd/system/mtdhcpd.service"
install -m 0644 "$here/sysusers.conf" "$root/usr/lib/sysusers.d/mtdhcp.conf"
install -m 0644 "$here/copyright" "$root/usr/share/doc/mtdhcp/copyright"
for doc in README.md docs/deployment.md; do
	[ ! -f "$src/$doc" ] || install -m 0644 "$src/$doc" "$root/usr/share/doc/mtdhcp/"
done
# A changelog is required by policy; the project's history lives in git.
printf 'mtdhcp (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- %s  %s\n' \
	"$version" "$(git -C "$src" describe --always --dirty 2>/dev/null || echo 'a source tree')" \
	"$maintainer" "$(date -R)" | gzip -9n >"$root/usr/share/doc/mtdhcp/changelog.gz"
# Man pages are compressed in a Debian package.
find "$root/usr/share/man" -type f ! -name '*.gz' -exec gzip -9nf {} + 2>/dev/null || true

for f in postinst prerm postrm; do
	install -m 0755 "$here/$f" "$root/DEBIAN/$f"
done
# Every file under /etc is a conffile: dpkg keeps the admin's edits on upgrade.
(cd "$root" && find etc -type f | sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"

# --- Depends -----------------------------------------------------------------------------
# The shared libraries the ELF files link, as dpkg-shlibdeps computes them; plus the DPDK
# drivers, which the EAL loads as plugins at run time and no ELF file names: the mempool
# driver every port needs and the AF_PACKET PMD of the default configuration. The virtio
# PMD (a virtio NIC bound to DPDK) is recommended; other PMDs are suggested.
elfs=()
while IFS= read -r f; do
	if [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ]; then
		elfs+=("-e$f")
	fi
done < <(find "$root/usr" -type f -perm -u+x)
shlib=$(mktemp -d)
trap 'rm -rf "$shlib"' EXIT
mkdir "$shlib/debian"
printf 'Source: mtdhcp\n\nPackage: mtdhcp\nArchitecture: any\n' >"$shlib/debian/control"
shdeps=$(cd "$shlib" && dpkg-shlibdeps -O "${elfs[@]}" 2>"$shlib/err") ||
	{ cat "$shlib/err" >&2; die "dpkg-shlibdeps failed"; }
shdeps=${shdeps#shlibs:Depends=}
dpdk_ver=$(pkg-config --modversion libdpdk 2>/dev/null | cut -d. -f1-2)
dpdk_abi=$(ls /usr/lib/*/librte_eal.so.* 2>/dev/null | sed -n 's/.*librte_eal\.so\.\([0-9]*\)$/\1/p' | head -n 1)
[ -n "$dpdk_abi" ] || die "cannot tell the DPDK ABI version (librte_eal.so.N)"
pmd() { # Debian names a library package ending in a digit with a '-' before its ABI.
	case $1 in *[0-9]) echo "librte-$1-$dpdk_abi" ;; *) echo "librte-$1$dpdk_abi" ;; esac
}
depends="$shdeps, $(pmd mempool-ring) (>= ${dpdk_ver:-0}), $(pmd net-af-packet) (>= ${dpdk_ver:-0}), adduser, procps, python3"
recommends="$(pmd net-virtio)"
suggests="dpdk, $(pmd net-af-xdp), $(pmd net-iavf), $(pmd net-ixgbe), $(pmd net-i40e), $(pmd net-ice), $(pmd net-mlx5), $(pmd net-vmxnet3), isc-dhcp-relay"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
	-e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" -e "s|@RECOMMENDS@|$recommends|" \
	-e "s|@SUGGESTS@|$suggests|" "$here/control.in" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort |
	xargs -d '\n' md5sum) >"$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/mtdhcp_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "build-deb: $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p' | grep -E '^ (Version|Depends|Installed-Size):'
dpkg-deb --contents "$deb" | awk '{print $1, $6}' | grep -v '/$' | sed 's/^/  /'
