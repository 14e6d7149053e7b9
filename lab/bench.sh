#!/bin/sh
# Exit-cost benchmark: minihv against KVM in the SVM and VMX labs
# (`make bench`).
#
#   lab/bench.sh            (after `make all`)
#
# Environment: BENCH_N_KERNEL, BENCH_N_USER (iterations of the in-kernel
# and of the userspace loops in the SVM lab, default 100000 and 20000),
# BENCH_N_KERNEL_VMX, BENCH_N_USER_VMX (the same in the VMX lab, default
# also 100000 and 20000: about 35 s of Bochs), BENCH_WALL=0 to skip
# the second, wall-clock SVM boot, BENCH_VMX=0 to skip the VMX lab,
# BENCH_FAULT_ROUNDS / BENCH_FAULT_ROUNDS_VMX (default 2000 / 500) for the
# fault-heavy guest (build/bench/fault_bench), run on minihv with nested
# paging, on minihv with shadow paging (npt=0 / ept=0) and on KVM: its
# table gives the shadow/nested time ratio.
# BENCH_N_TICK / BENCH_N_IPI (default 1000 / 5000, both labs;
# BENCH_N_TICK_VMX / BENCH_N_IPI_VMX for the VMX lab) for
# build/bench/apic_bench: timer ticks and IPI round trips between two
# vCPUs with the in-kernel local APIC, the "tick" and "ipi" rows of the
# exit-cost tables.
#
# One boot of the SVM lab's machine (QEMU TCG, -cpu qemu64,+svm,+npt,+rdtscp,+smep,+smap)
# under -icount shift=0 runs build/bench/exit_bench against
# /dev/minihv, then against build/bench/minihv-notrace.ko (the same module
# with its tracepoints compiled out: MINIHV_NO_TRACE=1), then rmmod
# minihv, modprobe kvm_amd, against /dev/kvm.  Each lab's second table
# compares the first two: the cost of tracepoints that are compiled in but
# disabled (a static branch each), which should stay within noise.
# Under icount the guest's clock counts instructions (1 ns each), so the
# numbers are a deterministic measure of the software path.  A second boot
# without -icount gives wall-clock numbers: noisy, for scale only.
# A third boot, of the VMX lab (Bochs, corei7_haswell_4770, 1 CPU), runs
# it against /dev/minihv, then rmmod minihv, modprobe kvm_intel, against
# /dev/kvm.  Bochs' guest clock also advances with instructions (ips =
# 100000000: about 10 ns each) and counts a VM exit as about one, so those
# numbers are as well a deterministic-ish measure of the software path.
# Compare ratios only, never absolute times across labs.
# Documentation/performance.rst explains the loops and the table.
#
# This is a benchmark: no thresholds, exit status 0 unless a run failed.
#
# Each run also times minihv-run booting Debian's kernel (bzImage, and
# PVH from the lab's vmlinux) to the guest's marker line, on each device;
# a boot that shows no marker within BENCH_BOOT_TIMEOUT seconds of the
# lab's clock (default 120: kvm_intel's bzImage boot takes about 63 in
# Bochs) is killed and shows as "-".
#
# The icount boot has 1 CPU: QEMU 7.2 with -icount never brings up the
# second (lab/lab.sh --icount).  Tables in build/lab/bench/.
#
# Speculative-execution mitigations (BENCH_MITIG=0 skips them,
# BENCH_MITIG=only runs nothing else): two more boots of the VMX lab,
# with the host kernel's mitigations=off (the lab's default) and with
# mitigations=auto (LAB_CMDLINE; both with nopti), exit_bench on minihv
# and on kvm_intel in each (BENCH_N_KERNEL_MITIG / BENCH_N_USER_MITIG,
# default 20000 / 5000).  minihv follows the host's choice (kmod/spec.c):
# on the lab's Haswell without microcode mitigations that is the software
# L1D flush and VERW before each entry; the userspace loops also pay the
# host kernel's own mitigations (retpolines, VERW on return to user).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
nk=${BENCH_N_KERNEL:-100000}
nu=${BENCH_N_USER:-20000}
nkv=${BENCH_N_KERNEL_VMX:-100000}
nuv=${BENCH_N_USER_VMX:-20000}
bin=$top/build/bench/exit_bench
notrace=$top/build/bench/minihv-notrace.ko
fbin=$top/build/bench/fault_bench
abin=$top/build/bench/apic_bench
nt=${BENCH_N_TICK:-1000}
ni=${BENCH_N_IPI:-5000}
ntv=${BENCH_N_TICK_VMX:-$nt}
niv=${BENCH_N_IPI_VMX:-$ni}
bt=${BENCH_BOOT_TIMEOUT:-120}
fr=${BENCH_FAULT_ROUNDS:-2000}
frv=${BENCH_FAULT_ROUNDS_VMX:-500}
out=$top/build/lab/bench
need="$bin $fbin $abin $notrace"
[ "${BENCH_MITIG:-1}" != only ] || need=$bin
for f in $need "$top/build/lab/base.cpio"; do
	[ -f "$f" ] || { echo "bench.sh: $f missing: run 'make all' first" >&2; exit 2; }
done
rm -rf "$out"
mkdir -p "$out"

# cmd KVM_MODULE N_KERNEL N_USER PAGING_PARAM FAULT_ROUNDS N_TICK N_IPI
# BOOT_TIMEOUT: the command run inside a lab, in /lab/files.
cmd()
{
	cat <<'EOF'
# bootbench DEV KERNEL LABEL: seconds (lab clock) from the launch of
# minihv-run to the guest's marker line; "-" when it does not boot (the
# launcher is killed after $boot_timeout seconds; its last lines are
# shown as comments).
bootbench()
{
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout -k 10 "$boot_timeout" /minihv/bin/minihv-run run \
		--dev "/dev/$1" -k "$2" -i /minihv/guest/initrd.cpio -m 256 \
		-p "console=ttyS0 panic=-1 quiet" </dev/null 2>&1 |
	while IFS= read -r line; do
		printf '%s\n' "$line" >> /tmp/bootbench.log
		case $line in
		MINIHV-GUEST-MARKER*) echo "$t0 $(cut -d' ' -f1 /proc/uptime)" \
			> /tmp/bootbench.t ;;
		esac
	done
	if [ -s /tmp/bootbench.t ]; then
		echo "boot $1 $3 $(awk '{ printf "%.2f", $2 - $1 }' /tmp/bootbench.t)"
	else
		echo "# boot $1 $3: no marker after $(awk -v t0="$t0" \
			'{ printf "%.0f", $1 - t0 }' /proc/uptime) s (limit $boot_timeout s); the launcher's last lines:"
		tail -n 5 /tmp/bootbench.log 2>/dev/null | sed 's/^/#   /'
		echo "boot $1 $3 -"
	fi
	rm -f /tmp/bootbench.t /tmp/bootbench.log
}
bootbench_all()
{
	bootbench "$1" /minihv/guest/vmlinuz bzimage
	if gunzip -c /minihv/guest/vmlinux.gz > /tmp/vmlinux 2>/dev/null; then
		bootbench "$1" /tmp/vmlinux pvh
	fi
	rm -f /tmp/vmlinux
}
EOF
	cat <<EOF
rc=0
boot_timeout=$8
insmod /minihv/minihv.ko || rc=1
MINIHV_DEV=/dev/minihv ./exit_bench $2 $3 || rc=1
MINIHV_DEV=/dev/minihv ./apic_bench $6 $7 || rc=1
MINIHV_DEV=/dev/minihv ./fault_bench $5 || rc=1
bootbench_all minihv
rmmod minihv || rc=1
insmod /minihv/minihv.ko $4=0 || rc=1
MINIHV_DEV=/dev/minihv ./fault_bench $5 || rc=1
rmmod minihv || rc=1
insmod ./minihv-notrace.ko || rc=1
MINIHV_DEV=/dev/minihv ./exit_bench $2 $3 > /tmp/notrace.txt || rc=1
MINIHV_DEV=/dev/minihv ./apic_bench $6 $7 >> /tmp/notrace.txt || rc=1
sed 's/^bench minihv /bench notrace /' /tmp/notrace.txt
rmmod minihv || rc=1
modprobe $1 || rc=1
for p in /sys/module/kvm/parameters/halt_poll_ns \\
	/sys/module/kvm/parameters/lapic_timer_advance_ns \\
	/sys/module/kvm_amd/parameters/avic \\
	/sys/module/kvm_intel/parameters/enable_apicv \\
	/sys/module/kvm_intel/parameters/preemption_timer; do
	if [ -r \$p ]; then echo "# \${p#/sys/module/}: \$(cat \$p)"; fi
done
MINIHV_DEV=/dev/kvm ./exit_bench $2 $3 || rc=1
MINIHV_DEV=/dev/kvm ./apic_bench $6 $7 || rc=1
MINIHV_DEV=/dev/kvm ./fault_bench $5 || rc=1
bootbench_all kvm
rmmod $1 kvm || :
exit \$rc
EOF
}
cmd kvm_amd "$nk" "$nu" npt "$fr" "$nt" "$ni" "$bt" > "$out/cmd-svm.sh"
cmd kvm_intel "$nkv" "$nuv" ept "$frv" "$ntv" "$niv" "$bt" > "$out/cmd-vmx.sh"

# The mitigation boots: exit_bench on minihv (what it applies, from its
# log) and on kvm_intel.
nkm=${BENCH_N_KERNEL_MITIG:-20000}
num=${BENCH_N_USER_MITIG:-5000}
cat > "$out/cmd-mitig.sh" <<EOF
rc=0
echo "# \$(grep -o 'mitigations=[a-z,]*' /proc/cmdline | tail -n 1)"
insmod /minihv/minihv.ko || rc=1
dmesg | grep -o 'minihv: L1TF.*' | sed 's/^/# /'
MINIHV_DEV=/dev/minihv ./exit_bench $nkm $num || rc=1
rmmod minihv || rc=1
modprobe kvm_intel || rc=1
MINIHV_DEV=/dev/kvm ./exit_bench $nkm $num || rc=1
rmmod kvm_intel kvm || :
exit \$rc
EOF

# boot NAME LAB [--icount]: run cmd-LAB.sh in LAB (lab/lab.sh: under
# --icount it boots one CPU); the command's output in $out/NAME.txt.
# Fails if the lab did not finish, the command failed or the kernel log
# has a BUG/WARNING/...
boot()
{
	name=$1 lab=$2
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$top/lab/lab.sh" "$lab" --quiet $3 --timeout 900 --files "$bin $fbin $abin $notrace" \
		--cmd "$(cat "$out/cmd-$lab.sh")" || {
		echo "bench.sh: the $name run failed (build/lab/$lab/)" >&2
		return 1
	}
	echo "# $name boot: $(($(date +%s) - start)) s wall" >&2
	cp "$top/build/lab/$lab/output.txt" "$out/$name.txt"
}

# mitig_boot NAME MITIGATIONS: cmd-mitig.sh in the VMX lab booted with
# mitigations=MITIGATIONS (and nopti: the host's page-table isolation is
# not on the VM entry/exit path, and with the lab's rodata=off it warns
# at boot); its output in $out/NAME.txt.
mitig_boot()
{
	start=$(date +%s)
	LAB_CMDLINE="mitigations=$2 nopti" "$top/lab/lab.sh" vmx --quiet \
		--timeout 900 --files "$bin" --cmd "$(cat "$out/cmd-mitig.sh")" || {
		echo "bench.sh: the $1 run failed (build/lab/vmx/)" >&2
		return 1
	}
	echo "# $1 boot: $(($(date +%s) - start)) s wall" >&2
	cp "$top/build/lab/vmx/output.txt" "$out/$1.txt"
}

# mitig_table OFF ON TITLE: ns per exit with the host's mitigations off
# and on, on minihv and on KVM, and the on/off ratios.
mitig_table()
{
	awk -v title="$3" '
	$1 == "bench" {
		if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 }
		k = (FILENAME == f1 ? "off" : "on")
		ns[$2, k, $3] = $4 ? $5 / $4 : 0
	}
	function num(v) { return v > 0 ? sprintf("%.0f", v) : "-" }
	function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", b / a) : "-" }
	END {
		print title
		printf "%-10s %11s %11s %8s %11s %11s %8s\n", "loop",
		       "minihv off", "minihv on", "on/off", "KVM off", "KVM on",
		       "on/off"
		for (i = 0; i < n; i++) {
			l = order[i]
			a = ns["minihv", "off", l]; b = ns["minihv", "on", l]
			c = ns["kvm", "off", l]; d = ns["kvm", "on", l]
			printf "%-10s %11s %11s %8s %11s %11s %8s\n", l,
			       num(a), num(b), ratio(a, b), num(c), num(d),
			       ratio(c, d)
		}
	}' f1="$1" "$1" "$2"
}

# boots FILE TITLE: the "boot DEV KERNEL SECONDS" lines of FILE side by
# side: launch to the guest's marker, minihv-run on each device.
boots()
{
	awk -v title="$2" '
	$1 == "boot" {
		if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 }
		s[$2, $3] = $4
	}
	END {
		if (!n)
			exit
		print title
		printf "%-10s %15s %13s %13s\n", "kernel", "minihv s", "KVM s",
		       "minihv/KVM"
		for (i = 0; i < n; i++) {
			k = order[i]
			m = s["minihv", k]; v = s["kvm", k]
			printf "%-10s %15s %13s %13s\n", k, m, v,
			       (m + 0 > 0 && v + 0 > 0) ? sprintf("%.2f", m / v) : "-"
		}
	}' "$1"
}

# table FILE TITLE: the "bench DEV LOOP EXITS NS" lines of FILE side by side.
table()
{
	awk -v title="$2" '
	$1 == "bench" {
		if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 }
		ex[$2, $3] = $4; ns[$2, $3] = $5
	}
	function per(d, l) { return ex[d, l] ? ns[d, l] / ex[d, l] : 0 }
	function rate(d, l) { return ns[d, l] ? ex[d, l] * 1e9 / ns[d, l] : 0 }
	# "-" for a row a device did not print (apic_bench: no answer)
	function num(f, v) { return v > 0 ? sprintf(f, v) : "-" }
	END {
		print title
		printf "%-10s %8s %15s %13s %13s %15s %13s\n", "loop", "exits",
		       "minihv ns/exit", "KVM ns/exit", "minihv/KVM",
		       "minihv exits/s", "KVM exits/s"
		for (i = 0; i < n; i++) {
			l = order[i]
			m = per("minihv", l); k = per("kvm", l)
			printf "%-10s %8s %15s %13s %13s %15s %13s\n", l,
			       num("%d", ex["minihv", l] ? ex["minihv", l] : ex["kvm", l]),
			       num("%.0f", m), num("%.0f", k),
			       (k > 0 && m > 0) ? sprintf("%.2f", m / k) : "-",
			       num("%.0f", rate("minihv", l)), num("%.0f", rate("kvm", l))
		}
	}' "$1"
}

# trace_table FILE TITLE: minihv (tracepoints compiled in, disabled)
# against the same module built with MINIHV_NO_TRACE=1 ("notrace").
trace_table()
{
	awk -v title="$2" '
	$1 == "bench" && ($2 == "minihv" || $2 == "notrace") {
		if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 }
		ex[$2, $3] = $4; ns[$2, $3] = $5
	}
	function per(d, l) { return ex[d, l] ? ns[d, l] / ex[d, l] : 0 }
	END {
		print title
		printf "%-10s %8s %18s %18s %10s\n", "loop", "exits",
		       "tp-off ns/exit", "no-tp ns/exit", "off/none"
		for (i = 0; i < n; i++) {
			l = order[i]
			m = per("minihv", l); k = per("notrace", l)
			printf "%-10s %8s %18s %18s %10s\n", l,
			       (ex["minihv", l] ? ex["minihv", l] : "-"),
			       (m > 0 ? sprintf("%.0f", m) : "-"),
			       (k > 0 ? sprintf("%.0f", k) : "-"),
			       (k > 0 && m > 0) ? sprintf("%.3f", m / k) : "-"
		}
	}' "$1"
}

# ftable FILE TITLE: the "fbench DEV PAGING ROUNDS NS" lines: ns per
# round on minihv with nested and with shadow paging and on KVM, and the
# shadow/nested ratio.
ftable()
{
	awk -v title="$2" '
	$1 == "fbench" { ns[$2 " " $3] = $5; r[$2 " " $3] = $4 }
	function per(k) { return r[k] ? ns[k] / r[k] : 0 }
	END {
		print title
		printf "%-8s %7s %17s %17s %12s %15s\n", "guest", "rounds",
		       "minihv EPT/NPT", "minihv shadow", "KVM", "shadow/EPT-NPT"
		h = per("minihv hw"); s = per("minihv shadow"); k = per("kvm hw")
		printf "%-8s %7d %14.0f ns %14.0f ns %9.0f ns %15s\n",
		       "faults", r["minihv hw"], h, s, k,
		       (h > 0 && s > 0) ? sprintf("%.1f", s / h) : "-"
	}' "$1"
}

mitig_all()
{
	mitig_boot mitig-off off
	mitig_boot mitig-on auto
	echo
	mitig_table "$out/mitig-off.txt" "$out/mitig-on.txt" \
		"speculative-execution mitigations, VMX lab (Bochs guest clock), ns per exit with the host's mitigations=off and =auto" |
		tee -a "$out/table.txt"
	grep -h '^# ' "$out/mitig-off.txt" "$out/mitig-on.txt" | tee -a "$out/table.txt"
}
if [ "${BENCH_MITIG:-1}" = only ]; then
	mitig_all
	echo
	echo "raw output: $out/*.txt"
	exit 0
fi

boot icount svm --icount
echo
table "$out/icount.txt" \
	"exit cost, QEMU -icount shift=0 (1 ns = 1 guest instruction; deterministic)" |
	tee "$out/table.txt"
echo
trace_table "$out/icount.txt" \
	"tracepoints compiled in but disabled (tp-off) vs compiled out (no-tp), QEMU -icount" |
	tee -a "$out/table.txt"
echo
ftable "$out/icount.txt" \
	"fault-heavy guest (64 page writes + MOV CR3 a round), QEMU -icount shift=0, per round" |
	tee -a "$out/table.txt"
echo
boots "$out/icount.txt" \
	"Linux boot, minihv-run launch to the guest's marker, QEMU -icount (1 s = 10^9 guest instructions; '-': did not boot)" |
	tee -a "$out/table.txt"
if [ "${BENCH_WALL:-1}" != 0 ]; then
	boot wall svm
	echo
	table "$out/wall.txt" \
		"exit cost, wall clock without -icount (QEMU TCG, 2 CPUs; NOISY, for scale only)" |
		tee -a "$out/table.txt"
	echo
	boots "$out/wall.txt" \
		"Linux boot, minihv-run launch to the guest's marker, wall clock (QEMU TCG, 2 CPUs; NOISY; '-': did not boot)" |
		tee -a "$out/table.txt"
fi
if [ "${BENCH_VMX:-1}" != 0 ]; then
	boot vmx vmx
	echo
	table "$out/vmx.txt" \
		"exit cost, VMX lab: Bochs guest clock (~10 ns = 1 guest instruction, a VM exit ~1; deterministic-ish; compare ratios only, never times across labs)" |
		tee -a "$out/table.txt"
	echo
	trace_table "$out/vmx.txt" \
		"tracepoints compiled in but disabled (tp-off) vs compiled out (no-tp), VMX lab (Bochs)" |
		tee -a "$out/table.txt"
	echo
	ftable "$out/vmx.txt" \
		"fault-heavy guest, VMX lab (Bochs guest clock), per round" |
		tee -a "$out/table.txt"
	echo
	boots "$out/vmx.txt" \
		"Linux boot, minihv-run launch to the guest's marker, VMX lab (Bochs guest clock; '-': did not boot)" |
		tee -a "$out/table.txt"
fi
if [ "${BENCH_MITIG:-1}" != 0 ]; then
	mitig_all
fi
echo
echo "raw output: $out/*.txt"
