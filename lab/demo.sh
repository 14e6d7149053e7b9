#!/bin/sh
# `make demo`: boot the SVM lab, load minihv, show what it sees, run a
# guest on it, and show the guest's exits as minihv counted them.
top=$(cd "$(dirname "$0")/.." && pwd)
echo "demo: booting the SVM lab (QEMU TCG, -cpu qemu64,+svm,+npt, 2 CPUs)..."
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
rmmod minihv
exit $rc'
