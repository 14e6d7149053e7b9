#!/bin/sh
# `make check`: run the selftests in every lab, count the TAP results.
#   LABS="svm vmx vmx-smp novirt" T=PATTERN PAGING=hw|shadow|both lab/check.sh
# PAGING picks the minihv phases: nested paging (hw), shadow paging
# (npt=0/ept=0), or both (the default); see selftests/run.sh.
# Every lab runs /minihv/selftests/run.sh "$T" and is judged by the TAP
# lines it prints (`ok N ...`, `not ok N ...`, `ok N ... # SKIP ...`),
# plus two results of its own: the lab finished (no hang, no panic) and its
# kernel log is clean (no BUG/WARNING/Oops...).  Host-side checks
# (checkpatch) count too.  Last line: "N passed, N failed, N skipped".
#
# The debug lab (make check-debug) sets, besides lab/lab.sh's LAB_DIR,
# LAB_KERNEL and LAB_CMDLINE: CHECK_HOST=0 (no host checks, `make check`
# has them) and CHECK_KMEMLEAK=1 (lab/kmemleak.sh around the tests: one
# TAP result, no kmemleak report that points into minihv).
top=$(cd "$(dirname "$0")/.." && pwd)
LABS=${LABS:-svm vmx vmx-smp novirt}
PAGING=${PAGING:-both}
case "$PAGING" in
hw | shadow | both) ;;
*) echo "PAGING=$PAGING: want hw, shadow or both" >&2; exit 2 ;;
esac
pass=0 fail=0 skip=0
# The fuzzer's, lifecycle_test's and boot_test's settings reach the labs
# (selftests/fuzz/fuzz.c; its short pass: 20 s per device and paging mode
# by default).
fuzzenv=
for v in FUZZ_SEED FUZZ_CALLS FUZZ_SECONDS FUZZ_THREADS FUZZ_VCPUS FUZZ_SKIP \
	FUZZ_NOSPIN FUZZ_NOCR8 FUZZ_AVAILTSS FUZZ_LMEPAE FUZZ_FORCE \
	LIFECYCLE_CYCLES MINIHV_BOOT_TIMEOUT; do
	eval "val=\${$v:-}"
	[ -z "$val" ] || fuzzenv="$fuzzenv $v=$val"
done
summary=

count() {	# count FILE: add its TAP results to the totals, set p f s
	p=$(grep -cE '^ok [0-9]+' "$1")
	s=$(grep -E '^ok [0-9]+' "$1" | grep -c '# SKIP')
	f=$(grep -cE '^not ok [0-9]+' "$1")
	p=$((p - s))
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

result() {	# result OK|FAIL NAME: a harness result, as TAP
	if [ "$1" = OK ]; then
		echo "ok 1 $2"
		pass=$((pass + 1))
	else
		echo "not ok 1 $2"
		fail=$((fail + 1))
	fi
}

if [ -z "$T" ] && [ "${CHECK_HOST:-1}" = 1 ]; then
	echo "# === host: checkpatch"
	if make -s -C "$top" checkpatch > "$top/build/checkpatch.log" 2>&1; then
		result OK "host: checkpatch clean"
	else
		grep -v '^total: 0 errors, 0 warnings' "$top/build/checkpatch.log"
		result FAIL "host: checkpatch clean"
	fi
	# Host unit tests (TAP): the MMIO instruction decoder, its unit tests
	# and its differential fuzzing against objdump; the launcher's error
	# paths (launcher-test).
	for t in decode-test decode-fuzz launcher-test; do
		echo "# === host: $t"
		make -s -C "$top" --no-print-directory $t > "$top/build/$t.log" 2>&1
		rc=$?
		grep -E '^(not )?ok [0-9]+' "$top/build/$t.log" |
			grep -v '^ok' || :
		count "$top/build/$t.log"
		echo "# host $t: $p passed, $f failed, $s skipped"
		[ "$rc" = 0 ] || [ "$f" != 0 ] || {
			tail -n 20 "$top/build/$t.log"
			result FAIL "host: $t exited $rc"
		}
	done
fi

for lab in $LABS; do
	echo "# === lab $lab"
	dir=${LAB_DIR:-$top/build/lab}/$lab
	# Bochs with two CPUs is slow: there, only what needs two CPUs.
	pattern=$T
	[ "$lab" = vmx-smp ] && pattern=${T:-migrate_test hotplug_test apic_test dirtylog_test kick_test}
	cmd="PAGING=$PAGING $fuzzenv sh /minihv/selftests/run.sh '$pattern'"
	[ "${CHECK_KMEMLEAK:-0}" = 0 ] ||
		cmd="sh /minihv/kmemleak.sh start; $cmd; sh /minihv/kmemleak.sh report"
	LAB_OUT=$dir "$top/lab/lab.sh" "$lab" --quiet --cmd "$cmd"
	cat "$dir/output.txt"
	count "$dir/output.txt"
	secs=$(cat "$dir/seconds")
	# No status: the lab never started (lab.sh said why).
	if [ "$(cat "$dir/status" 2>/dev/null || echo none)" = none ]; then
		echo "# lab $lab did not finish; serial log tail ($dir/serial.log):"
		tail -n 40 "$dir/serial.txt" | sed 's/^/#   /'
		result FAIL "lab $lab: finished"
	else
		result OK "lab $lab: finished"
	fi
	if [ -s "$dir/dmesg-bad.txt" ] || [ ! -s "$dir/dmesg.txt" ]; then
		echo "# lab $lab: kernel log problems ($dir/dmesg.txt):"
		sed 's/^/#   /' "$dir/dmesg-bad.txt"
		if [ -s "$dir/dmesg-context.txt" ]; then
			echo "# lab $lab: the last test started before the first, and the log around it:"
			sed 's/^/#   | /' "$dir/dmesg-context.txt"
		fi
		result FAIL "lab $lab: kernel log clean"
	else
		result OK "lab $lab: kernel log clean"
	fi
	summary="$summary# lab $lab: $p passed, $f failed, $s skipped in tests, ${secs}s
"
done

printf '%s' "$summary"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
