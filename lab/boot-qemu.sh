#!/bin/sh
# Boot the Debian kernel in QEMU (TCG) with an initramfs; the SVM and
# no-virt labs.  Same interface as lab/boot-bochs.sh:
#   lab/boot-qemu.sh --initrd CPIO --cmdline 'STR' --serial LOG
#                    --timeout SECS [--kernel VMLINUZ] [--cpu MODEL]
#                    [--cpus N] [--megs M] [--icount] [--interactive]
# Exit status: 124 on timeout, otherwise QEMU's.  The guest's serial
# console goes to LOG (or the terminal with --interactive).
#
# TCG runs single-threaded (TCG_THREAD=multi to change it): with QEMU
# 7.2's multi-threaded TCG, kvm_amd's guests in the lab hang or corrupt
# now and then (1 run in 3 of the SVM lab's tests), single-threaded never
# in our runs, and twice as fast on 2 host cores.  The guest still has
# its 2 CPUs.
#
# LAB_QEMU_OPTS: more QEMU options, for debugging a lab, e.g.
# "-monitor unix:/tmp/lab-mon,server,nowait" (then `info registers -a`
# through that socket shows where each CPU is when the guest hangs).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
kernel= initrd= cmdline= serial= timeout=300 cpu=qemu64 cpus=2 megs=1024
icount= interactive=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--cmdline) cmdline=$2; shift ;;
	--serial) serial=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--megs) megs=$2; shift ;;
	--icount) icount=1 ;;
	--interactive) interactive=1 ;;
	--workdir) shift ;;
	*) echo "boot-qemu: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$kernel" ] || kernel=/boot/vmlinuz-$("$top/lab/kver.sh")
[ -n "$initrd" ] || { echo "boot-qemu: --initrd is required" >&2; exit 2; }

set -- -accel "tcg,thread=${TCG_THREAD:-single}" -cpu "$cpu" -smp "$cpus" -m "$megs" -no-reboot \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet $cmdline" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-nodefaults -vga none
[ -n "$icount" ] && set -- "$@" -icount shift=0
if [ -n "$interactive" ]; then
	exec qemu-system-x86_64 "$@" -display none -serial mon:stdio
fi
[ -n "$serial" ] || { echo "boot-qemu: --serial is required" >&2; exit 2; }
rc=0
timeout -k 5 "$timeout" qemu-system-x86_64 "$@" -display none \
	-monitor none -serial "file:$serial" ${LAB_QEMU_OPTS:-} </dev/null ||
	rc=$?
exit $rc
