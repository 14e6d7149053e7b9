#!/bin/sh
# `make demo`: boot the SVM lab, load minihv, show what it sees, run a
# guest on it, and show the guest's exits as minihv counted them; then
# boot Debian's own kernel with minihv-run to a busybox shell that runs a
# command and powers off, with --stats (on /dev/minihv; on /dev/kvm, the
# same launcher, while minihv lacks the in-kernel local APIC it needs).
top=$(cd "$(dirname "$0")/.." && pwd)
echo "demo: booting the SVM lab (QEMU TCG, -cpu qemu64,+svm,+npt,+rdtscp,+smep,+smap, 2 CPUs)..."
exec "$top/lab/lab.sh" svm --files "$top/build/bench/exit_bench" --cmd '
set -x
uname -r
grep -m1 -o -w svm /proc/cpuinfo
insmod /minihv/minihv.ko
ls -l /dev/minihv
/minihv/bin/minihv-run check || exit 1
: a 64-bit guest: 1000 CPUIDs and 1000 hypercalls handled in the kernel,
: 1000 OUTs and 1000 MMIO writes sent to userspace, on /dev/minihv
MINIHV_DEV=/dev/minihv ./exit_bench 1000 1000
rc=$?
dmesg | grep minihv
: the Debian kernel, 2 vCPUs, a busybox initramfs: boot, run a command, power off
boot() {
	/minihv/bin/minihv-run run -k /minihv/guest/vmlinuz \
		-i /minihv/guest/initrd.cpio -m 256 -c 2 \
		-p "console=ttyS0 panic=-1 quiet" --stats "$@" </dev/null
}
boot --dev /dev/minihv
brc=$?
rmmod minihv
if [ $brc = 2 ]; then
	: minihv cannot boot Linux yet: the same launcher on KVM
	modprobe kvm_amd
	boot --dev /dev/kvm
	brc=$?
	rmmod kvm_amd kvm
fi
[ $brc = 0 ] || rc=1
exit $rc'
