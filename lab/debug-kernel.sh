#!/bin/sh
# Build the debug lab kernel once per machine: Debian's linux-source-6.1,
# x86_64_defconfig plus lab/debug.config (KASAN, lockdep, atomic-sleep
# checks, kmemleak, UBSAN; KVM as modules), in build/debug-kernel/:
#   linux/                  the source tree, built in place (minihv's KDIR)
#   linux/arch/x86/boot/bzImage
#   modules/lib/modules/VER the installed modules (kvm, kvm-amd, kvm-intel...)
#   kernelrelease           VER
#   build.log, build-time   the last build's log and wall-clock seconds
# Skipped when build/debug-kernel/stamp matches the fragment and the
# source tarball; a changed fragment rebuilds incrementally in the tree
# already extracted from the same tarball.  The build runs under
# 'nice -n 19' (DEBUG_KERNEL_NICE) with -j$(nproc) (DEBUG_KERNEL_JOBS).
#   lab/debug-kernel.sh [--print-kdir | --print-bzimage | --print-kver]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DEBUG_KERNEL_DIR:-$top/build/debug-kernel}
frag=$top/lab/debug.config
tar=${LINUX_SRC_TAR:-/usr/src/linux-source-6.1.tar.xz}

case "$1" in
--print-kdir) echo "$D/linux"; exit 0 ;;
--print-bzimage) echo "$D/linux/arch/x86/boot/bzImage"; exit 0 ;;
--print-kver) cat "$D/kernelrelease"; exit 0 ;;
"") ;;
*) echo "debug-kernel: unknown option $1" >&2; exit 2 ;;
esac

[ -f "$tar" ] || { echo "debug-kernel: no $tar: run 'make deps'" >&2; exit 1; }
srckey="$(basename "$tar") $(stat -c '%s %Y' "$tar")"
key="$(cat "$frag" "$0" | sha256sum | cut -d' ' -f1) $srckey"
if [ -f "$D/stamp" ] && [ "$(cat "$D/stamp")" = "$key" ] &&
   [ -f "$D/linux/arch/x86/boot/bzImage" ]; then
	echo "debug-kernel: $(cat "$D/kernelrelease") already built in $D"
	exit 0
fi

for t in flex bison bc; do
	command -v $t >/dev/null || { echo "debug-kernel: no $t: run 'make deps-debug'" >&2; exit 1; }
done
if [ ! -f /usr/include/libelf.h ] || [ ! -f /usr/include/openssl/ssl.h ]; then
	echo "debug-kernel: no libelf-dev/libssl-dev: run 'make deps-debug'" >&2
	exit 1
fi

start=$(date +%s)
rm -rf "$D/modules" "$D/stamp"
if [ ! -f "$D/linux/.minihv-src" ] || [ "$(cat "$D/linux/.minihv-src")" != "$srckey" ]; then
	rm -rf "$D/linux"
	mkdir -p "$D/linux"
	echo "debug-kernel: extracting $tar"
	tar -xf "$tar" -C "$D/linux" --strip-components=1
	echo "$srckey" > "$D/linux/.minihv-src"
fi

cd "$D/linux"
# The Bochs lab boots the PVH entry, whose C part (xen_prepare_pvh()) runs
# before KASAN's shadow memory is mapped: no KASAN checks in that file.
pvh=arch/x86/platform/pvh/Makefile
grep -q '^KASAN_SANITIZE_enlighten.o' $pvh ||
	echo 'KASAN_SANITIZE_enlighten.o := n' >> $pvh
cp arch/x86/configs/x86_64_defconfig .config
scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
make -s olddefconfig
# Every option of the fragment must have survived olddefconfig.
bad=0
while IFS= read -r l; do
	case "$l" in
	CONFIG_*=*) grep -qxF "$l" .config || { echo "debug-kernel: .config lacks $l" >&2; bad=1; } ;;
	"# CONFIG_"*" is not set")
		o=${l#\# }; o=${o%% *}
		! grep -q "^$o=" .config || { echo "debug-kernel: .config sets $o" >&2; bad=1; } ;;
	esac
done < "$frag"
[ $bad = 0 ] || exit 1

jobs=${DEBUG_KERNEL_JOBS:-$(nproc)}
echo "debug-kernel: building bzImage and modules (nice ${DEBUG_KERNEL_NICE:-19}, -j$jobs; log in $D/build.log)"
if ! nice -n "${DEBUG_KERNEL_NICE:-19}" make -j"$jobs" bzImage modules >"$D/build.log" 2>&1; then
	tail -n 30 "$D/build.log" >&2
	echo "debug-kernel: build failed, see $D/build.log" >&2
	exit 1
fi
make -s INSTALL_MOD_PATH="$D/modules" INSTALL_MOD_STRIP=1 modules_install >>"$D/build.log" 2>&1
make -s kernelrelease > "$D/kernelrelease"
end=$(date +%s)
echo $((end - start)) > "$D/build-time"
echo "$key" > "$D/stamp"
echo "debug-kernel: $(cat "$D/kernelrelease") built in $((end - start)) s"
