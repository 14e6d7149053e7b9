#!/bin/sh
# Build the Bochs boot pieces from source: build.sh OUTDIR
# Writes OUTDIR/boot.img (1.44 MB floppy with boot.S as boot sector) and
# OUTDIR/shim.bin (flat binary, to be loaded at 0x100000). Needs gcc, GNU ld,
# objcopy (binutils); no libc headers, no multilib.
set -e
here=$(cd "$(dirname "$0")" && pwd)
out=$1
[ -n "$out" ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
tmp=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
CFLAGS="-m32 -march=i686 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
 -fno-asynchronous-unwind-tables -fcf-protection=none -fno-builtin -nostdlib -nostdinc
 -Wall -Wextra -Werror"
nowarn=
if ld --help 2>/dev/null | grep -q -e --no-warn-rwx-segments; then nowarn=--no-warn-rwx-segments; fi
gcc $CFLAGS -c "$here/boot.S" -o "$tmp/boot.o"
gcc $CFLAGS -c "$here/entry.S" -o "$tmp/entry.o"
gcc $CFLAGS -c "$here/shim.c" -o "$tmp/shim.o"
ld -m elf_i386 -nostdlib -static -Ttext 0x7c00 --oformat binary -o "$tmp/boot.bin" "$tmp/boot.o"
ld -m elf_i386 -nostdlib -static -z noexecstack $nowarn -T "$here/shim.ld" -o "$tmp/shim.elf" "$tmp/entry.o" "$tmp/shim.o"
if nm -u "$tmp/shim.elf" | grep -q .; then
	echo "shim: undefined symbols:" >&2; nm -u "$tmp/shim.elf" >&2; exit 1
fi
objcopy -O binary "$tmp/shim.elf" "$tmp/shim.bin"
[ "$(wc -c < "$tmp/boot.bin")" -eq 512 ] || { echo "boot.bin is not 512 bytes" >&2; exit 1; }
dd if=/dev/zero of="$tmp/boot.img" bs=1024 count=1440 status=none
dd if="$tmp/boot.bin" of="$tmp/boot.img" conv=notrunc status=none
mv "$tmp/boot.img" "$out/boot.img"
mv "$tmp/shim.bin" "$out/shim.bin"
