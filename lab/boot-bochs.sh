#!/bin/bash
# Boot the host's Debian kernel with an initramfs in Bochs 2.7, headless,
# serial console (ttyS0) captured to a file. See lab/bochs/README.
#
#   lab/boot-bochs.sh --initrd CPIO --cmdline 'STR' --serial LOGFILE --timeout SECS
#                     [--kernel VMLINUZ] [--cpu MODEL] [--cpus N] [--megs M]
#                     [--interactive] [--workdir DIR] [--keep-run] [-v]
#
# --cmdline is appended to the lab's own parameters (console=ttyS0,115200 quiet
# mitigations=off cryptomgr.notests panic=-1 rodata=off), so the caller's win.
# --kernel defaults to the newest /boot/vmlinuz-<ver> with /lib/modules/<ver>/;
# a bzImage or an uncompressed ELF vmlinux. --cpu corei7_haswell_4770 (VMX),
# --cpus 1, --megs 256. --workdir defaults to <repo>/build/lab/bochs.
# --interactive: serial console on this terminal (LOGFILE optional, then a
# transcript); --timeout 0 means none there. --keep-run keeps the run
# directory (bochsrc, bochs.log) even after a clean stop; -v says more.
#
# Exit status: 0   guest stopped cleanly (ACPI power off, or magic break
#                  "xchg %bx,%bx" which the Bochs debugger answers with quit)
#              124 timeout fired
#              1   anything else the guest did (panic -> triple fault, ...)
#              2   usage error, 3 setup error (nothing booted)
set -u -o pipefail

prog=boot-bochs
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$here/bochs/shim

usage() {
	sed -n '4,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
run=
die() { echo "$prog: $*" >&2; [ -n "$run" ] && rm -rf "$run"; exit 3; }
note() { [ "$verbose" = 1 ] && echo "$prog: $*" >&2; return 0; }

initrd= cmdline= serial= tmo= kernel= cpu=corei7_haswell_4770 cpus=1 megs=256
interactive=0 workdir= keep_run=0 verbose=0
have_cmdline=0
while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	--initrd|--cmdline|--serial|--timeout|--kernel|--cpu|--cpus|--megs|--workdir)
		[ $# -ge 2 ] || { echo "$prog: $opt needs an argument" >&2; usage; }
		val=$2; shift 2
		case $opt in
		--initrd) initrd=$val ;;
		--cmdline) cmdline=$val; have_cmdline=1 ;;
		--serial) serial=$val ;;
		--timeout) tmo=$val ;;
		--kernel) kernel=$val ;;
		--cpu) cpu=$val ;;
		--cpus) cpus=$val ;;
		--megs) megs=$val ;;
		--workdir) workdir=$val ;;
		esac ;;
	--interactive) interactive=1; shift ;;
	--keep-run) keep_run=1; shift ;;
	-v|--verbose) verbose=1; shift ;;
	-h|--help) usage ;;
	*) echo "$prog: unknown argument: $opt" >&2; usage ;;
	esac
done

[ -n "$initrd" ] || { echo "$prog: --initrd is required" >&2; usage; }
[ "$have_cmdline" = 1 ] || { echo "$prog: --cmdline is required (may be '')" >&2; usage; }
[ -n "$tmo" ] || { echo "$prog: --timeout is required (0 = none, only with --interactive)" >&2; usage; }
[ -n "$serial" ] || [ "$interactive" = 1 ] || { echo "$prog: --serial is required" >&2; usage; }
[[ $tmo =~ ^[0-9]+$ ]] || die "--timeout: not a number of seconds: $tmo"
[ "$tmo" -gt 0 ] || [ "$interactive" = 1 ] || die "--timeout 0 (none) is only allowed with --interactive"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus: bad value: $cpus"
[[ $megs =~ ^[1-9][0-9]*$ ]] || die "--megs: bad value: $megs"
[ "$megs" -le 3072 ] || die "--megs: at most 3072 (the shim and the initrd live below 4 GiB)"
[[ $cpu =~ ^[A-Za-z0-9_]+$ ]] || die "--cpu: bad model name: $cpu"
[ -f "$initrd" ] && [ -r "$initrd" ] || die "initrd not readable: $initrd"

for t in bochs-bin timeout readelf od dd sha256sum flock gcc ld objcopy; do
	command -v "$t" >/dev/null || die "missing tool: $t (see lab/bochs/README)"
done
bios=/usr/share/bochs/BIOS-bochs-latest
vgabios=/usr/share/vgabios/vgabios.bin
[ -r "$bios" ] || die "missing $bios (Debian package bochsbios)"
[ -r "$vgabios" ] || die "missing $vgabios (Debian package vgabios)"

# ---- kernel --------------------------------------------------------------
if [ -z "$kernel" ]; then
	ver=$(for f in /boot/vmlinuz-*; do
		[ -f "$f" ] || continue
		v=${f#/boot/vmlinuz-}
		[ -d "/lib/modules/$v" ] && printf '%s\n' "$v"
	done | sort -V | tail -n 1)
	[ -n "$ver" ] || die "no /boot/vmlinuz-<ver> with a matching /lib/modules/<ver>/; use --kernel"
	kernel=/boot/vmlinuz-$ver
fi
[ -f "$kernel" ] && [ -r "$kernel" ] || die "kernel not readable: $kernel"

# ---- work directory, caches ----------------------------------------------
[ -n "$workdir" ] || workdir=$(cd "$here/.." && pwd)/build/lab/bochs
mkdir -p "$workdir" || die "cannot create $workdir"
workdir=$(cd "$workdir" && pwd)
exec 9>"$workdir/.lock" || die "cannot create $workdir/.lock"

abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }

# little-endian unsigned integer of $3 bytes at offset $2 of file $1
le() { od -An -v -tu"$3" -j "$2" -N "$3" "$1" | tr -d ' \n'; }

cyl=$((16 * 63 * 512))	# bytes per cylinder of the Bochs disks we create

# Boot sector + shim, rebuilt when their sources change.
pieces_key=$(cat "$srcdir/boot.S" "$srcdir/entry.S" "$srcdir/shim.c" "$srcdir/shim.ld" \
	"$srcdir/build.sh" | sha256sum | cut -c1-16)
pieces=$workdir/shim-$pieces_key
if [ ! -f "$pieces/shim.bin" ]; then
	flock 9
	if [ ! -f "$pieces/shim.bin" ]; then
		note "building boot sector and shim"
		tmpd=$(mktemp -d "$workdir/.shim.XXXXXX") || die "mktemp failed"
		if ! sh "$srcdir/build.sh" "$tmpd" >"$tmpd.log" 2>&1; then
			cat "$tmpd.log" >&2; rm -rf "$tmpd" "$tmpd.log"; die "building the shim failed"
		fi
		rm -f "$tmpd.log"
		rm -rf "$pieces"; mv "$tmpd" "$pieces" || die "cannot create $pieces"
	fi
	flock -u 9
fi

# Uncompressed, flattened kernel, keyed by the kernel file's contents.
# kernel.flat = the vmlinux PT_LOAD segments laid out from the lowest
# physical address on (gaps and memsz > filesz as zeros); kernel.info
# holds "load end entry" (hex physical addresses).
extract_vmlinux() { # bzImage-or-ELF out
	local in=$1 out=$2 magic setup po pl off ver
	magic=$(od -An -tx1 -N4 "$in" | tr -d ' \n')
	if [ "$magic" = 7f454c46 ]; then cp "$in" "$out"; return; fi
	[ "$(od -An -c -j 514 -N4 "$in" | tr -d ' \n')" = HdrS ] ||
		{ echo "not a bzImage or ELF vmlinux: $in" >&2; return 1; }
	ver=$(le "$in" 518 2)
	[ "$ver" -ge 520 ] || { echo "boot protocol too old ($ver) in $in" >&2; return 1; }
	setup=$(le "$in" 497 1); [ "$setup" -ne 0 ] || setup=4
	po=$(le "$in" 584 4); pl=$(le "$in" 588 4)
	off=$(( (setup + 1) * 512 + po ))
	magic=$(od -An -tx1 -j "$off" -N6 "$in" | tr -d ' \n')
	local dec
	case $magic in
	1f8b*) dec="gzip -dc" ;;
	fd377a585a00) dec="xz -dc --single-stream" ;;
	28b52ffd*) dec="zstd -dcq" ;;
	425a68*) dec="bzip2 -dc" ;;
	5d0000*) dec="xz -dc --format=lzma --single-stream" ;;
	02214c18*) dec="lz4 -dc" ;;
	894c5a4f*) dec="lzop -dc" ;;
	*) echo "unknown kernel compression (magic $magic) in $in" >&2; return 1 ;;
	esac
	command -v "${dec%% *}" >/dev/null || { echo "need ${dec%% *} to decompress $in" >&2; return 1; }
	tail -c +$((off + 1)) "$in" | head -c "$pl" | $dec > "$out" 2>/dev/null
	[ "$(od -An -tx1 -N4 "$out" | tr -d ' \n')" = 7f454c46 ] ||
		{ echo "decompressed kernel is not an ELF file" >&2; return 1; }
}

flatten_vmlinux() { # vmlinux outdir
	local vml=$1 out=$2 load= end= entry= type off vaddr paddr filesz memsz
	local noff= nsz=
	[ "$(le "$vml" 4 1)" = 2 ] && [ "$(le "$vml" 18 2)" = 62 ] ||
		{ echo "vmlinux is not an x86-64 ELF64 file" >&2; return 1; }
	: > "$out/kernel.flat"
	while read -r type off vaddr paddr filesz memsz _; do
		case $type in
		LOAD)
			off=$((off)) paddr=$((paddr)) filesz=$((filesz)) memsz=$((memsz))
			[ -n "$load" ] || load=$paddr
			[ "$paddr" -ge "$load" ] || { echo "PT_LOAD segments not in physical address order" >&2; return 1; }
			if [ "$filesz" -gt 0 ]; then
				dd if="$vml" of="$out/kernel.flat" bs=1M iflag=skip_bytes,count_bytes \
					oflag=seek_bytes conv=notrunc,sparse skip="$off" count="$filesz" \
					seek=$((paddr - load)) status=none || return 1
			fi
			if [ -z "$end" ] || [ $((paddr + memsz)) -gt "$end" ]; then end=$((paddr + memsz)); fi ;;
		NOTE)
			noff=$((off)) nsz=$((filesz)) ;;
		esac
	done < <(readelf -lW "$vml" | awk '$1 == "LOAD" || $1 == "NOTE"')
	[ -n "$load" ] || { echo "vmlinux has no PT_LOAD segment" >&2; return 1; }
	# a whole number of 16-head, 63-sector cylinders, for the Bochs disk geometry
	truncate -s $(( (end - load + cyl - 1) / cyl * cyl )) "$out/kernel.flat"
	# PVH entry: ELF note type 18 (XEN_ELFNOTE_PHYS32_ENTRY), owner "Xen"
	if [ -n "$noff" ]; then
		entry=$(od -An -v -tu1 -j "$noff" -N "$nsz" "$vml" | tr -s ' \n' '\n' | sed '/^$/d' | awk '
			{ b[n++] = $1 }
			function u32(i) { return b[i] + 256 * (b[i+1] + 256 * (b[i+2] + 256 * b[i+3])) }
			END {
				p = 0
				while (p + 12 <= n) {
					namesz = u32(p); descsz = u32(p + 4); type = u32(p + 8)
					name = p + 12; desc = name + int((namesz + 3) / 4) * 4
					if (type == 18 && namesz == 4 && b[name] == 88 && b[name+1] == 101 && b[name+2] == 110) {
						printf "0x%x\n", u32(desc); exit
					}
					p = desc + int((descsz + 3) / 4) * 4
				}
			}')
	fi
	[ -n "$entry" ] || { echo "vmlinux has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); kernel built without CONFIG_PVH?" >&2; return 1; }
	printf '0x%x 0x%x %s\n' "$load" "$end" "$entry" > "$out/kernel.info"
}

kernel_key=$(sha256sum < "$kernel" | cut -c1-16)
kdir=$workdir/kernel-$kernel_key
if [ ! -f "$kdir/kernel.info" ]; then
	flock 9
	if [ ! -f "$kdir/kernel.info" ]; then
		note "extracting and flattening $kernel"
		tmpd=$(mktemp -d "$workdir/.kernel.XXXXXX") || die "mktemp failed"
		if ! extract_vmlinux "$kernel" "$tmpd/vmlinux" || ! flatten_vmlinux "$tmpd/vmlinux" "$tmpd"; then
			rm -rf "$tmpd"; die "cannot prepare $kernel"
		fi
		rm -f "$tmpd/vmlinux"
		printf '%s\n' "$kernel" > "$tmpd/source"
		rm -rf "$kdir"; mv "$tmpd" "$kdir" || die "cannot create $kdir"
		# drop kernels not used for 14 days
		find "$workdir" -maxdepth 1 \( -name 'kernel-*' -o -name 'shim-*' \) -type d -mtime +14 \
			-exec rm -rf {} + 2>/dev/null
	fi
	flock -u 9
fi
touch "$kdir" "$pieces"
read -r kload kend kentry < "$kdir/kernel.info" || die "bad $kdir/kernel.info"

# ---- per-run directory ---------------------------------------------------
mkdir -p "$workdir/runs"
find "$workdir/runs" -mindepth 1 -maxdepth 1 -type d -mtime +1 -exec rm -rf {} + 2>/dev/null
run=$(mktemp -d "$workdir/runs/run.XXXXXX") || die "mktemp failed"

# Linux command line: ours first, so that the caller's parameters win.
# rodata=off skips mark_rodata_ro() and the CONFIG_DEBUG_WX page-table walk: about a
# quarter of the boot time under Bochs. A caller may pass rodata=on to undo it.
lab_params="console=ttyS0,115200 quiet mitigations=off cryptomgr.notests panic=-1 rodata=off"
full_cmdline="$lab_params ${cmdline//$'\n'/ }"
full_cmdline=${full_cmdline%% }
[ ${#full_cmdline} -lt 2048 ] || die "command line too long (${#full_cmdline} >= 2048)"

# Memory layout: shim at 1 MiB, parameters at 1.5 MiB, kernel at its
# physical load address, initrd page aligned just below (RAM - 1 MiB); the
# Bochs BIOS keeps its ACPI tables in the last 64 KiB of RAM. The shim reads
# kernel and initrd from two ATA disks (ata0 master: the flattened kernel,
# ata0 slave: a padded copy of the initrd) with PIO.
isize=$(stat -L -c %s "$initrd")
[ "$isize" -gt 0 ] || die "initrd is empty: $initrd"
ram=$((megs << 20))
iaddr=$(( (ram - (1 << 20) - isize) & ~4095 ))
if [ "$iaddr" -lt $((kend)) ]; then
	need=$(( (kend + isize + (2 << 20) + (1 << 20) - 1) >> 20 ))
	die "kernel (ends at $(printf 0x%x $((kend))))+initrd ($isize bytes) do not fit in $megs MiB; use --megs $need or more"
fi
ksize=$((kend - kload))
kdisk_size=$(stat -c %s "$kdir/kernel.flat")
cp "$initrd" "$run/initrd.disk" || die "cannot copy $initrd"
truncate -s $(( (isize + cyl - 1) / cyl * cyl )) "$run/initrd.disk"
idisk_size=$(stat -c %s "$run/initrd.disk")
printf 'MINIHV-PVH 1\nentry %s\nload 0 0 %d %s\nload 1 0 %d 0x%x\ninitrd 0x%x 0x%x\ncmdline %s\n\0' \
	"$kentry" $(( (ksize + 511) / 512 )) "$kload" $(( (isize + 511) / 512 )) "$iaddr" \
	"$iaddr" "$isize" "$full_cmdline" > "$run/params"

ln -s "$kdir/kernel.flat" "$run/kernel.disk"
ln -s "$pieces/shim.bin" "$run/shim.bin"
ln -s "$pieces/boot.img" "$run/boot.img"

if [ "$interactive" = 1 ]; then
	tty -s <&0 && [ -t 1 ] || die "--interactive needs a terminal on stdin and stdout"
	com1="com1: enabled=1, mode=term, dev=/dev/tty"
else
	serial=$(abspath "$serial")
	: > "$serial" || die "cannot write $serial"
	ln -s "$serial" "$run/serial"
	com1="com1: enabled=1, mode=file, dev=serial"
fi

cat > "$run/bochsrc" <<EOF
megs: $megs
cpu: model=$cpu, count=$cpus, ips=100000000, reset_on_triple_fault=0
clock: sync=none, time0=utc
romimage: file=$bios, options=fastboot
vgaromimage: file=$vgabios
display_library: rfb, options="timeout=0"
optramimage1: file=shim.bin, address=0x100000
optramimage2: file=params, address=0x180000
floppya: type=1_44, 1_44=boot.img, status=inserted, write_protected=1
boot: floppy
floppy_bootsig_check: disabled=0
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=disk, path=kernel.disk, mode=flat, cylinders=$((kdisk_size / cyl)), heads=16, spt=63
ata0-slave: type=disk, path=initrd.disk, mode=flat, cylinders=$((idisk_size / cyl)), heads=16, spt=63
ata1: enabled=0
ata2: enabled=0
ata3: enabled=0
$com1
magic_break: enabled=1
port_e9_hack: enabled=1
mouse: enabled=0
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: bochs.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF
printf 'c\nquit\n' > "$run/dbg.rc"

note "kernel $kernel, cpu $cpu x$cpus, $megs MiB, run dir $run"
note "cmdline: $full_cmdline"

# ---- run -----------------------------------------------------------------
tcmd=()
if [ "$tmo" -gt 0 ]; then
	tcmd=(timeout -k 5)
	[ "$interactive" = 1 ] && tcmd+=(--foreground)
	tcmd+=("$tmo")
fi
t0=$(date +%s%N)
if [ "$interactive" = 1 ]; then
	saved_tty=$(stty -g 2>/dev/null)
	trap '' INT QUIT
	echo "$prog: serial console on this terminal; guest 'poweroff -f' or Ctrl-C ends the VM" >&2
	if [ -n "$serial" ] && command -v script >/dev/null; then
		serial=$(abspath "$serial")
		: > "$serial" || die "cannot write $serial"
		(cd "$run" && script -q -f -e -c "$(printf '%q ' "${tcmd[@]}" bochs-bin -q -f bochsrc -rc dbg.rc) </dev/null >bochs.out 2>&1" "$serial")
	else
		(cd "$run" && "${tcmd[@]}" bochs-bin -q -f bochsrc -rc dbg.rc </dev/null >bochs.out 2>&1)
	fi
	rc=$?
	[ -n "$saved_tty" ] && stty "$saved_tty" 2>/dev/null
	trap - INT QUIT
else
	(cd "$run" && exec "${tcmd[@]}" bochs-bin -q -f bochsrc -rc dbg.rc </dev/null >bochs.out 2>&1)
	rc=$?
fi
t1=$(date +%s%N)
secs=$(( (t1 - t0) / 1000000000 )).$(( (t1 - t0) / 100000000 % 10 ))

# ---- verdict -------------------------------------------------------------
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	why="timeout after ${tmo}s"; status=124
elif grep -q 'ACPI control: soft power off' "$run/bochs.log" "$run/bochs.out" 2>/dev/null; then
	why="guest powered off"; status=0
elif [ "$rc" -eq 0 ]; then
	why="guest stopped (magic break, debugger quit)"; status=0
elif grep -q -i -e 'triple fault' -e '3rd (13) exception with no resolution' -e 'exception with no resolution' "$run/bochs.log" "$run/bochs.out" 2>/dev/null; then
	why="guest triple fault (kernel panic with panic=-1, or reset)"; status=1
else
	msg=$(grep -h -e '>>PANIC<<' -e 'Bochs is exiting' -A1 "$run/bochs.log" "$run/bochs.out" 2>/dev/null | head -n 3 | tr '\n' ' ')
	why="bochs exited with status $rc${msg:+: $msg}"; status=1
fi
if [ "$status" -eq 0 ] && [ "$keep_run" = 0 ]; then
	rm -rf "$run"
	echo "$prog: $why (${secs}s)" >&2
else
	echo "$prog: $why (${secs}s); bochs log: $run/bochs.log" >&2
fi
exit "$status"
