#!/bin/sh
# `make demo`: boot the SVM lab, load minihv, and show what it sees.
top=$(cd "$(dirname "$0")/.." && pwd)
echo "demo: booting the SVM lab (QEMU TCG, -cpu qemu64,+svm,+npt, 2 CPUs)..."
exec "$top/lab/lab.sh" svm --cmd '
set -x
uname -r
grep -m1 -o -w svm /proc/cpuinfo
insmod /minihv/minihv.ko
ls -l /dev/minihv
/minihv/bin/minihv-run check
rc=$?
dmesg | grep minihv
rmmod minihv
exit $rc'
