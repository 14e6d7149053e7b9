#!/bin/sh
# Boot one lab, run a command in it, bring back its output.
#
#   lab/lab.sh LAB [--cmd 'CMD'] [--files 'PATH...'] [--timeout SECS]
#                  [--shell] [--quiet] [--icount]
#
# LAB: svm (QEMU TCG, -cpu qemu64,+svm,+npt,+rdtscp,+smep,+smap, 2 CPUs), novirt (QEMU TCG
# without SVM/VMX), vmx (Bochs, corei7_haswell_4770, 1 CPU) or vmx-smp
# (the same with 2 CPUs: twice as slow, for what needs two CPUs).  The base
# initramfs (build/lab/base.cpio, made by `make`) already holds minihv.ko,
# the tools and the tests under /minihv; FILES are copied to /lab/files,
# the command's working directory.
#
# LAB_TIMEOUT=SECS overrides the lab's time limit (--timeout wins).
# Results land in build/lab/LAB/: serial.log (everything the guest
# printed), output.txt (the command's output), dmesg.txt, status (the
# command's exit status, or "none" if the lab did not finish) and
# dmesg-bad.txt (kernel log lines that fail a lab).
#
# Exit status: the command's; 125 if the lab did not finish (hang, panic:
# the serial log's tail is shown); 3 if the command succeeded but the
# kernel log shows a BUG/WARNING/Oops...
#
# Environment, for the debug lab (make check-debug) and the like:
#   LAB_DIR       folder of the base initramfs and the results
#                 (default build/lab: base.cpio, LAB/)
#   LAB_OUT       the results folder itself (default $LAB_DIR/LAB)
#   LAB_KERNEL    the kernel to boot (default: lab/kver.sh's Debian kernel)
#   LAB_CMDLINE   more kernel parameters (e.g. kmemleak=on)
#   LAB_TIMEOUT   seconds before the lab is stopped (default: per lab)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
lab=$1
[ -n "$lab" ] && shift || { echo "usage: lab/lab.sh svm|vmx|novirt [--cmd CMD] [--files PATHS] [--shell]" >&2; exit 2; }
cmd= files= timeout= shell= quiet= icount= megs=
while [ $# -gt 0 ]; do
	case "$1" in
	--cmd) cmd=$2; shift ;;
	--files) files=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--shell) shell=1 ;;
	--quiet) quiet=1 ;;
	--icount) icount=--icount ;;	# QEMU 7.2 hangs with -icount -smp 2
	*) echo "lab.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

timeout=${timeout:-${LAB_TIMEOUT:-}}	# e.g. make fuzz's long runs
case "$lab" in
svm)	boot=qemu; cpu=qemu64,+svm,+npt,+rdtscp,+smep,+smap; cpus=2; : "${timeout:=1200}" ;;
novirt)	boot=qemu; cpu=qemu64,-svm,-vmx; cpus=2; : "${timeout:=300}" ;;
vmx)	boot=bochs; cpu=corei7_haswell_4770; cpus=1; : "${timeout:=1500}"; megs=768 ;;
vmx-smp) boot=bochs; cpu=corei7_haswell_4770; cpus=2; : "${timeout:=1500}"; megs=768 ;;
*)	echo "lab.sh: unknown lab '$lab' (svm, vmx, vmx-smp or novirt)" >&2; exit 2 ;;
esac

cpu=${LAB_CPU:-$cpu}	# e.g. LAB_CPU=corei7_skylake_x for vmx
timeout=${LAB_TIMEOUT:-$timeout}
labdir=${LAB_DIR:-$top/build/lab}
base=$labdir/base.cpio
[ -f "$base" ] || { echo "lab.sh: $base missing: run 'make' first" >&2; exit 2; }
dir=${LAB_OUT:-$labdir/$lab}	# LAB_OUT: another results folder
rm -rf "$dir"
mkdir -p "$dir/overlay/lab/files"

# The per-run archive: the command and the files, appended to the base.
printf '%s\n' "${cmd:-true}" > "$dir/overlay/lab/cmd.sh"
for f in $files; do
	cp -r "$f" "$dir/overlay/lab/files/"
done
(cd "$dir/overlay" && find . | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) > "$dir/overlay.cpio"
cat "$base" "$dir/overlay.cpio" > "$dir/initrd.cpio"

# QEMU 7.2 hangs booting with -icount and more than one CPU.
[ -n "$icount" ] && cpus=1
# The guest knows the machine, not the variant: vmx-smp is "vmx".
# slub_debug=FZPU page_poison=1: sanity checks, red zones, poisoning and
# owner tracking on every slab, poisoned free pages (Debian's kernel has
# SLUB_DEBUG and PAGE_POISONING), so that a use after free or an overrun
# in minihv shows in the kernel log checked below.  LAB_DEBUG_OPTS= turns
# it off (to measure its cost).
debug_opts=${LAB_DEBUG_OPTS-slub_debug=FZPU page_poison=1}
# LAB_CMDLINE: more kernel parameters, after the lab's own (they win:
# e.g. LAB_CMDLINE=mitigations=auto in the VMX lab, whose default is off).
cmdline="lab=${lab%-smp} loglevel=1${debug_opts:+ $debug_opts}${LAB_CMDLINE:+ $LAB_CMDLINE}"
bootargs="--initrd $dir/initrd.cpio --cpu $cpu --cpus $cpus --timeout $timeout"
[ -z "$LAB_KERNEL" ] || bootargs="$bootargs --kernel $LAB_KERNEL"
# Bochs: 768 MiB, so that boot_test's L2 guest and its PVH vmlinux fit.
[ -z "$megs" ] || bootargs="$bootargs --megs $megs"
if [ -n "$shell" ]; then
	# shellcheck disable=SC2086
	exec "$top/lab/boot-$boot.sh" $bootargs --interactive \
		--cmdline "$cmdline labmode=shell"
fi

start=$(date +%s)
rc=0
# shellcheck disable=SC2086
"$top/lab/boot-$boot.sh" $bootargs $icount --cmdline "$cmdline" \
	--serial "$dir/serial.log" || rc=$?
echo $(($(date +%s) - start)) > "$dir/seconds"
[ -f "$dir/serial.log" ] || : > "$dir/serial.log"
tr -d '\r' < "$dir/serial.log" > "$dir/serial.txt"

sed -n '/^MINIHV-LAB-BEGIN/,/^MINIHV-LAB-DMESG-BEGIN/p' "$dir/serial.txt" |
	sed '1d;$d' > "$dir/output.txt"
sed -n '/^MINIHV-LAB-DMESG-BEGIN/,/^MINIHV-LAB-DMESG-END/p' "$dir/serial.txt" |
	sed '1d;$d' > "$dir/dmesg.txt"
status=$(sed -n 's/^MINIHV-LAB-EXIT rc=\([0-9]*\).*/\1/p' "$dir/serial.txt")
echo "${status:-none}" > "$dir/status"
# Slab corruption (slub_debug): "BUG kmalloc-64 (Tainted: ...): Poison
# overwritten", "Redzone overwritten", "Object padding overwritten",
# "page_poison"/"pagealloc: memory corruption", "... corrupted".  The
# kernel's echo of its own command line (page_poison=1) is no problem.
# The same pattern is selftests/fuzz's (fuzz.c: kmsg_bad()).
grep -E 'BUG|WARNING|Oops|general protection|sleeping function called|list_del corruption|refcount_t|Call Trace|Poison overwritten|Redzone|Object padding|Padding overwritten|page_poison|memory corruption|corrupted|UBSAN:' \
	"$dir/dmesg.txt" | grep -v -E '(Kernel c|C)ommand line: ' > "$dir/dmesg-bad.txt" || :
# What led up to each one (most reports print their first line without
# any of the words above: an RCU stall, an unchecked MSR access, a hung
# task) and the test that was running (selftests/run.sh writes
# "minihv-lab: === <test> on <device>" into the kernel log).
: > "$dir/dmesg-context.txt"
if [ -s "$dir/dmesg-bad.txt" ]; then
	first=$(grep -n -F -x -f "$dir/dmesg-bad.txt" "$dir/dmesg.txt" | head -n 1 | cut -d: -f1)
	if [ -n "$first" ]; then
		head -n "$first" "$dir/dmesg.txt" | grep 'minihv-lab: ===' | tail -n 1 \
			> "$dir/dmesg-context.txt" || :
		sed -n "$((first > 20 ? first - 20 : 1)),$((first + 40))p" \
			"$dir/dmesg.txt" >> "$dir/dmesg-context.txt"
	fi
fi

[ -n "$quiet" ] || cat "$dir/output.txt"
if [ -z "$status" ]; then
	echo "lab $lab: did not finish (boot script status $rc, $(cat "$dir/seconds")s)" >&2
	if [ -z "$quiet" ]; then
		echo "serial log tail ($dir/serial.log):" >&2
		tail -n 40 "$dir/serial.txt" >&2
	fi
	exit 125
fi
if [ -s "$dir/dmesg-bad.txt" ]; then
	echo "lab $lab: the kernel log shows problems ($dir/dmesg.txt)" >&2
	[ -n "$quiet" ] || cat "$dir/dmesg-bad.txt" >&2
	[ "$status" != 0 ] || status=3
fi
exit "$status"
