#!/bin/sh
# kmemleak around a lab's tests (lab/check.sh with CHECK_KMEMLEAK=1, the
# debug lab of `make check-debug`); runs inside the lab (busybox).
#
#   kmemleak.sh start    forget what the boot leaked (scan, scan, clear),
#                        stop the periodic scan, and make rmmod note each
#                        module's address range before it goes
#   kmemleak.sh report   two scans (an object is reported once it is older
#                        than 5 s and unchanged between two scans), the
#                        reports as TAP comments, and one TAP result: not ok
#                        when a report's backtrace is in minihv
#
# A module's symbols are gone once it is unloaded, and run.sh unloads
# minihv before the end: a backtrace then shows bare addresses, which are
# matched against the ranges noted at each rmmod (from /proc/modules).
K=/sys/kernel/debug/kmemleak
RANGES=/tmp/kmemleak-modules
OUT=/tmp/kmemleak.txt
NAME="kmemleak: no leak report in minihv"

scan() { echo scan > "$K"; }

case "$1" in
start)
	if [ ! -w "$K" ]; then
		echo "# kmemleak: no $K (kernel without kmemleak, or kmemleak=off)"
		exit 0
	fi
	echo scan=off > "$K"
	scan
	scan
	echo clear > "$K"
	: > "$RANGES"
	cat > /tmp/kmemleak-rmmod <<'EOW'
#!/bin/sh
for m in "$@"; do
	case "$m" in -*) continue ;; esac
	grep "^$(echo "$m" | tr - _) " /proc/modules >> /tmp/kmemleak-modules
done
exec /bin/busybox rmmod "$@"
EOW
	chmod 0755 /tmp/kmemleak-rmmod
	ln -sf /tmp/kmemleak-rmmod /bin/rmmod
	echo "# kmemleak: boot leaks cleared, rmmod notes module ranges"
	;;
report)
	if [ ! -w "$K" ]; then
		echo "ok 1 $NAME # SKIP no $K (kernel without kmemleak)"
		exit 0
	fi
	# Modules still loaded resolve by name; note them anyway.
	cat /proc/modules >> "$RANGES" 2>/dev/null
	sleep 6
	scan
	sleep 1
	scan
	cat "$K" > "$OUT"
	# One line per report: its number, then every bare module address
	# (the low 32 bits, in hex) and "minihv" if a symbol names it.
	awk '/^unreferenced object/ { n++; printf "\n%d", n }
	     /\[minihv\]/ { printf " minihv" }
	     / 0xffffffff[0-9a-f]+$/ { a = $NF; printf " %s", substr(a, 11) }
	     END { print "" }' "$OUT" | sed '/^$/d' > /tmp/kmemleak-addrs
	total=$(grep -c '^unreferenced object' "$OUT")
	bad=
	while read -r n addrs; do
		hit=
		for a in $addrs; do
			if [ "$a" = minihv ]; then
				hit=1
				break
			fi
			v=$((0x$a))
			# "minihv 126976 0 - Live 0xffffffffc0a00000"
			while read -r name size _ _ _ base; do
				[ "$name" = minihv ] || continue
				case "$base" in 0xffffffff*) ;; *) continue ;; esac
				lo=$((0x${base#0xffffffff}))
				if [ "$v" -ge "$lo" ] && [ "$v" -lt $((lo + size)) ]; then
					hit=1
					break
				fi
			done < "$RANGES"
			[ -z "$hit" ] || break
		done
		[ -z "$hit" ] || bad="$bad $n"
	done < /tmp/kmemleak-addrs
	# The reports as comments, those in minihv first and marked.
	for n in $bad; do
		echo "# kmemleak: report $n points into minihv:"
		awk -v n="$n" '/^unreferenced object/ { i++ } i == n' "$OUT" |
			head -n 40 | sed 's/^/#   /'
	done
	if [ "$total" -gt 0 ]; then
		echo "# kmemleak: $total report(s) in all (first 200 lines):"
		head -n 200 "$OUT" | sed 's/^/#   /'
	fi
	# shellcheck disable=SC2086
	set -- $bad
	nbad=$#
	if [ "$nbad" -eq 0 ]; then
		echo "ok 1 $NAME ($total report(s) elsewhere)"
	else
		echo "not ok 1 $NAME: $nbad of $total report(s) point into minihv"
		exit 1
	fi
	;;
*)
	echo "usage: kmemleak.sh start|report" >&2
	exit 2
	;;
esac
