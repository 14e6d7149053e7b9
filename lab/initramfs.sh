#!/bin/sh
# Build the base initramfs shared by all labs:
#   lab/initramfs.sh OUT.cpio KVER
# busybox, /init, /minihv/{minihv.ko,bin/,selftests/} from the build tree,
# and the Debian kernel's kvm, kvm_amd and kvm_intel modules (with their
# dependencies and a depmod'ed /lib/modules/KVER) for differential tests.
# Uncompressed: it boots faster, and a per-run archive can be appended
# (the kernel unpacks concatenated cpio archives in order).
#
# Environment, for a lab kernel other than Debian's (make check-debug):
#   LAB_MODULE      the minihv.ko to put in (default ./minihv.ko)
#   LAB_MODBASE     the folder holding lib/modules/KVER (default /)
#   LAB_GUEST_KVER  the Debian kernel the L2 guest boots (default KVER)
# The work folders (root/, guest/) go next to OUT.
set -e
out=$1
kver=$2
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
work=$(dirname "$out")
gkver=${LAB_GUEST_KVER:-$kver}
root=$work/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" \
	 "$root/lab/files" "$root/minihv/bin" "$root/minihv/selftests" \
	 "$root/etc" "$root/root"
ln -s bin "$root/sbin"
mkdir -p "$root/usr"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"

cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	# An applet link named busybox would replace the binary itself.
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
install -m 0755 "$top/lab/init" "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >> "$root/etc/passwd"
echo "nogroup:x:65534:" >> "$root/etc/group"
echo "minihv:x:991:" >> "$root/etc/group"

# minihv: module without debug info (keeps the archive small), tools, tests.
strip --strip-debug -o "$root/minihv/minihv.ko" "${LAB_MODULE:-$top/minihv.ko}"
cp "$top"/build/userspace/* "$root/minihv/bin/"
cp "$top"/build/selftests/*_test "$root/minihv/selftests/"
cp "$top"/selftests/run.sh "$root/minihv/selftests/run.sh"
# The kmemleak scan of the debug lab (lab/check.sh, CHECK_KMEMLEAK=1).
cp "$top"/lab/kmemleak.sh "$root/minihv/kmemleak.sh"

# Debian's trace-cmd and the libraries it loads: trace_test records
# minihv's tracepoints with it, as a user would.
tc=$(command -v trace-cmd || :)
if [ -n "$tc" ]; then
	cp "$tc" "$root/bin/trace-cmd"
	for lib in $(ldd "$tc" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
				      $1 ~ /^\// { print $1 }'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
fi

# The L2 guest minihv-run boots in the labs (selftests/boot_test.c):
# the same Debian kernel (bzImage) and a busybox initramfs.
guest=$work/guest
rm -rf "$guest"
mkdir -p "$guest/bin" "$guest/dev" "$guest/proc" "$guest/sys" "$root/minihv/guest"
cp /bin/busybox "$guest/bin/busybox"
for a in sh mount echo cat dd od tr printf poweroff reboot uname nproc \
	 setsid cttyhack ls; do
	ln -sf busybox "$guest/bin/$a"
done
install -m 0755 "$top/lab/guest/init" "$guest/init"
(cd "$guest" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
	> "$root/minihv/guest/initrd.cpio"
cp "/boot/vmlinuz-$gkver" "$root/minihv/guest/vmlinuz"
# The same kernel uncompressed (ELF vmlinux, booted through its PVH
# entry), gzipped: boot_test unpacks it where the lab has the memory.
vmlinux_gz=$work/guest-vmlinux.gz
if [ ! -s "$vmlinux_gz" ] || [ "/boot/vmlinuz-$gkver" -nt "$vmlinux_gz" ]; then
	k=/boot/vmlinuz-$gkver
	le() { od -An -tu"$2" -j "$1" -N "$2" "$k" | tr -d ' '; }
	setup=$(le 497 1)
	[ "$setup" -ne 0 ] || setup=4
	off=$(( (setup + 1) * 512 + $(le 584 4) ))
	case $(od -An -tx1 -j "$off" -N2 "$k" | tr -d ' ') in
	1f8b) dec="gzip -dc" ;;
	fd37) dec="xz -dc --single-stream" ;;
	28b5) dec="zstd -dcq" ;;
	*) dec= ;;
	esac
	if [ -n "$dec" ] && tail -c +$((off + 1)) "$k" | head -c "$(le 588 4)" |
		$dec 2>/dev/null | gzip -1 > "$vmlinux_gz.tmp"; then
		mv "$vmlinux_gz.tmp" "$vmlinux_gz"
	else
		echo "initramfs.sh: cannot extract vmlinux from $k: no PVH boot test" >&2
		rm -f "$vmlinux_gz.tmp" "$vmlinux_gz"
	fi
fi
[ ! -s "$vmlinux_gz" ] || cp "$vmlinux_gz" "$root/minihv/guest/vmlinux.gz"

# The lab kernel's KVM modules and their dependencies.
modbase=${LAB_MODBASE%/}
mods=$modbase/lib/modules/$kver
mi() {	# modinfo, in LAB_MODBASE if set
	if [ -n "$modbase" ]; then
		modinfo -b "$modbase" -k "$kver" "$@"
	else
		modinfo -k "$kver" "$@"
	fi
}
dst=$root/lib/modules/$kver
mkdir -p "$dst"
cp "$mods"/modules.order "$mods"/modules.builtin* "$dst/" 2>/dev/null || :
queue="kvm_amd kvm_intel"
seen=" "
while [ -n "$queue" ]; do
	# shellcheck disable=SC2086
	set -- $queue
	[ $# -gt 0 ] || break
	m=$1
	shift
	queue="$*"
	case "$seen" in *" $m "*) continue ;; esac
	seen="$seen$m "
	f=$(mi -F filename "$m")
	rel=${f#"$mods"/}
	mkdir -p "$(dirname "$dst/$rel")"
	case "$f" in
	*.xz)	rel=${rel%.xz}; xz -dc "$f" > "$dst/$rel.tmp" ;;
	*.zst)	rel=${rel%.zst}; zstd -qdc "$f" > "$dst/$rel.tmp" ;;
	*)	cp "$f" "$dst/$rel.tmp" ;;
	esac
	# Dropping the appended signature makes insmod much faster in Bochs.
	strip --strip-debug -o "$dst/$rel" "$dst/$rel.tmp"
	rm -f "$dst/$rel.tmp"
	queue="$queue $(mi -F depends "$m" | tr ',' ' ')"
done
depmod -b "$root" "$kver"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$out"
