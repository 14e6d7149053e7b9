#!/bin/sh
# Install the Debian packages the build and the labs need, if missing.
#   lab/deps.sh [debug]
# "debug": also what building the debug lab kernel needs (make check-debug,
# lab/debug-kernel.sh).
# Root: apt-get.  Non-root: sudo when it works without a password,
# otherwise print the exact command to run and fail.
set -e

PKGS="make gcc libc6-dev binutils kmod cpio xz-utils
qemu-system-x86 bochs bochsbios vgabios
linux-image-amd64 linux-headers-amd64 linux-source-6.1
busybox-static sparse perl trace-cmd
grub-pc-bin grub-common xorriso mtools"
PKGS_DEBUG="flex bison bc libelf-dev libssl-dev"
[ "$1" != debug ] || PKGS="$PKGS $PKGS_DEBUG"

missing=
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	     grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
	SUDO=sudo
else
	echo "deps: missing packages; as root, run:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
