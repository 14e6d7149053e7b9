#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [PATTERN] - minihv selftests inside a lab guest (busybox sh).
#
# Reads $lab (svm, vmx or novirt) and $PAGING (hw, shadow or both, the
# default): the minihv phase runs with the module's nested paging (hw), with
# npt=0/ept=0 (shadow), or twice.  PATTERN: shell globs (space-separated) that select
# tests by name: C test binaries (e.g. 'api*') and the shell tests below
# (module_*, novirt_*, check_*).  Default: everything.  Setup steps (insmod,
# modprobe, rmmod between phases) always run and report as "setup_*".
#
# Output is TAP-ish: every result is a line "ok N ..." or "not ok N ...",
# skips carry "# SKIP"; C binaries print their own kselftest TAP, framed
# by "# === <name> on <device>".  Anything else starts with "#".

T="${1:-}"
DIR=$(cd "$(dirname "$0")" && pwd)
KO=${MINIHV_KO:-/minihv/minihv.ko}
RUN=${MINIHV_RUN:-/minihv/bin/minihv-run}
LOG=${TMPDIR:-/tmp}/minihv-run-sh.$$
N=0

ok()     { N=$((N + 1)); echo "ok $N $*"; }
not_ok() { N=$((N + 1)); echo "not ok $N $*"; }

# result RC NAME [WHY]: ok if RC is 0, else not ok with WHY.
result()
{
	if [ "$1" -eq 0 ]; then
		ok "$2"
	else
		not_ok "$2${3:+: $3}"
	fi
}

# selected NAME: does NAME match one of the patterns (or is there none)?
selected()
{
	[ -z "$T" ] && return 0
	set -f		# patterns, not file names
	for p in $T; do
		case "$1" in
		$p) set +f; return 0 ;;
		esac
	done
	set +f
	return 1
}

# comment: copy stdin as TAP comments.
comment() { sed 's/^/# /'; }

# run_bin NAME DEV [LABEL]: one kselftest binary with MINIHV_DEV=DEV.  A crash, a binary
# that prints no TAP, or a failing exit with no "not ok" gets its own
# "not ok" line so that nothing goes unnoticed.
run_bin()
{
	name=$1
	dev=$2
	label=${3:-$2}
	echo "# === $name on $label"
	# The same line in the kernel log, and one at the end: what ran when
	# a report came, and for how long (the log's timestamps).
	echo "minihv-lab: === $name on $label" >/dev/kmsg 2>/dev/null
	MINIHV_DEV=$dev MINIHV_REQUIRE_DEV=1 "$DIR/$name" >"$LOG" 2>&1
	rc=$?
	echo "minihv-lab: --- $name on $label: rc=$rc" >/dev/kmsg 2>/dev/null
	cat "$LOG"
	taps=$(grep -cE '^(not )?ok [0-9]+' "$LOG")
	fails=$(grep -cE '^not ok [0-9]+' "$LOG")
	rm -f "$LOG"
	if [ "$rc" -ge 128 ]; then
		not_ok "$name crashed (rc=$rc, signal $((rc - 128))) on $label"
	elif [ "$taps" -eq 0 ]; then
		not_ok "$name printed no TAP (rc=$rc) on $label"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$fails" -eq 0 ]; then
		not_ok "$name exited rc=$rc without a failing test on $label"
	fi
}

# run_bins DEV [LABEL]: every selected C test except coexist_* (run on its own).
run_bins()
{
	for f in "$DIR"/*_test; do
		[ -f "$f" ] || continue
		name=${f##*/}
		case "$name" in
		coexist_*) continue ;;
		esac
		selected "$name" || continue
		run_bin "$name" "$1" "${2:-$1}"
	done
}

minihv_loaded() { [ -d /sys/module/minihv ]; }

# ---------------------------------------------------------------------
# novirt: no VMX/SVM; the module must refuse to load, clearly.

run_novirt()
{
	msg="minihv: CPU has neither VMX nor SVM"

	before=$(dmesg | grep -c "$msg")
	out=$(insmod "$KO" 2>&1)
	rc=$?
	after=$(dmesg | grep -c "$msg")
	echo "# insmod $KO: rc=$rc"
	echo "$out" | comment
	dmesg | grep minihv | tail -n 5 | comment

	if selected novirt_insmod_fails; then
		[ "$rc" -ne 0 ]
		result $? novirt_insmod_fails "insmod succeeded without VMX/SVM"
	fi
	if selected novirt_insmod_enodev; then
		case "$out" in
		*"No such device"*) r=0 ;;
		*) r=1 ;;
		esac
		result $r novirt_insmod_enodev "expected ENODEV (No such device)"
	fi
	# One line per load attempt; busybox insmod makes two (finit_module,
	# then init_module), so count lines per attempt, not in total.
	if selected novirt_dmesg_reason; then
		new=$(dmesg | grep minihv | tail -n $((after - before + 2)) |
		      grep -v -e "$msg" -e "taints kernel" \
			      -e "module verification failed" | wc -l)
		[ $((after - before)) -ge 1 ] && [ "$new" -eq 0 ]
		result $? novirt_dmesg_reason \
			"want '$msg' and no other minihv line in dmesg, got $((after - before)) reason line(s), $new other(s)"
	fi
	if selected novirt_no_device; then
		[ ! -e /dev/minihv ]
		result $? novirt_no_device "/dev/minihv exists"
	fi
	if selected check_novirt; then
		out=$("$RUN" check 2>&1)
		rc=$?
		echo "$out" | comment
		r=1
		if [ "$rc" -eq 1 ]; then
			case "$out" in
			*"minihv: NOT usable: "*"neither VMX nor SVM"*) r=0 ;;
			esac
		fi
		result $r check_novirt \
			"want exit 1 and a 'neither VMX nor SVM' verdict (rc=$rc)"
	fi
	minihv_loaded && rmmod minihv
}

# ---------------------------------------------------------------------
# svm / vmx

# module_insmod_rmmod: 20 load/unload cycles; the node comes and goes.
test_insmod_rmmod()
{
	i=1
	why=
	while [ $i -le 20 ] && [ -z "$why" ]; do
		if ! out=$(insmod "$KO" 2>&1); then
			why="cycle $i: insmod: $out"
		elif [ ! -c /dev/minihv ]; then
			why="cycle $i: no /dev/minihv after insmod"
			rmmod minihv
		elif ! out=$(rmmod minihv 2>&1); then
			why="cycle $i: rmmod: $out"
		elif [ -e /dev/minihv ]; then
			why="cycle $i: /dev/minihv still there after rmmod"
		fi
		i=$((i + 1))
	done
	[ -z "$why" ]
	result $? module_insmod_rmmod "$why"
}

# module_modinfo: description, author, license GPL, bool params ept/npt.
test_modinfo()
{
	modinfo "$KO" 2>&1 | comment
	why=
	[ -n "$(modinfo -F description "$KO")" ] || why="$why no description;"
	[ -n "$(modinfo -F author "$KO")" ] || why="$why no author;"
	lic=$(modinfo -F license "$KO")
	[ "$lic" = GPL ] || why="$why license '$lic', want GPL;"
	for p in ept npt; do
		modinfo -F parm "$KO" | grep -q "^$p:..*" ||
			why="$why no description for parameter $p;"
		modinfo -F parmtype "$KO" | grep -qx "$p:bool" ||
			why="$why parameter $p is not bool;"
	done
	[ -z "$why" ]
	result $? module_modinfo "$why"
}

# Phase 1s: minihv loaded with npt=0 (SVM) or ept=0 (VMX): every test
# again, on shadow page tables.
run_shadow()
{
	case "$lab" in
	svm) param=npt ;;
	vmx) param=ept ;;
	esac
	out=$(insmod "$KO" "$param=0" 2>&1)
	result $? "setup_insmod_minihv_${param}0" "$out"
	if selected "shadow_param"; then
		v=$(cat "/sys/module/minihv/parameters/$param" 2>&1)
		[ "$v" = N ]
		result $? shadow_param "/sys/module/minihv/parameters/$param is '$v', want N"
	fi
	run_bins /dev/minihv "/dev/minihv $param=0"
	if selected check_shadow; then
		"$RUN" check >"$LOG" 2>&1
		rc=$?
		comment <"$LOG"
		grep -qx "minihv: usable" "$LOG" &&
			grep -q "^ *paging: *shadow" "$LOG"
		result $? check_shadow "minihv-run check ($param=0): rc=$rc, want usable and 'paging: shadow'"
	fi
	out=$(rmmod minihv 2>&1)
	result $? "setup_rmmod_minihv_${param}0" "$out"
}

run_virt()
{
	case "$lab" in
	svm) kvm_mod=kvm_amd ;;
	vmx) kvm_mod=kvm_intel ;;
	esac

	minihv_loaded && rmmod minihv
	selected module_insmod_rmmod && test_insmod_rmmod
	selected module_modinfo && test_modinfo

	# Phase 1s: everything against minihv with shadow paging.
	case "${PAGING:-both}" in
	shadow | both) run_shadow ;;
	esac

	# Phase 1: everything against minihv.
	out=$(insmod "$KO" 2>&1)
	result $? setup_insmod_minihv "$out"
	case "${PAGING:-both}" in
	hw | both) run_bins /dev/minihv ;;
	esac
	if selected check_minihv; then
		"$RUN" check >"$LOG" 2>&1
		rc=$?
		comment <"$LOG"
		grep -qx "minihv: usable" "$LOG"
		result $? check_minihv "minihv-run check: rc=$rc, not usable"
	fi

	# Phase 2: minihv and KVM side by side.
	out=$(modprobe "$kvm_mod" 2>&1)
	result $? "setup_modprobe_$kvm_mod" "$out"
	for f in "$DIR"/coexist_*; do
		[ -f "$f" ] || continue
		selected "${f##*/}" &&
			run_bin "${f##*/}" /dev/minihv "/dev/minihv + /dev/kvm"
	done

	# Phase 3: the differential: the same binaries against KVM.
	out=$(rmmod minihv 2>&1)
	result $? setup_rmmod_minihv "$out"
	run_bins /dev/kvm
	if selected check_kvm; then
		"$RUN" check --dev /dev/kvm >"$LOG" 2>&1
		rc=$?
		comment <"$LOG"
		grep -qx "kvm: usable" "$LOG"
		result $? check_kvm "minihv-run check --dev /dev/kvm: rc=$rc"
	fi
	rm -f "$LOG"

	out=$(rmmod "$kvm_mod" kvm 2>&1)
	result $? "setup_rmmod_$kvm_mod" "$out"
}

echo "# minihv selftests: lab=${lab:-unset} pattern='${T:-*}' $(uname -r)"
case "$lab" in
novirt)
	run_novirt
	;;
svm | vmx)
	run_virt
	;;
*)
	not_ok "setup_lab: \$lab is '${lab:-}', want svm, vmx or novirt"
	;;
esac
echo "# run.sh done: $N shell results"
