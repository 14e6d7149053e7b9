#!/bin/sh
# Print the version of the newest installed Debian kernel that has both an
# image (/boot/vmlinuz-VER) and headers (/lib/modules/VER/build).  The labs
# boot that kernel and minihv.ko is built against it.  Never hard-coded.
for v in $(ls /lib/modules 2>/dev/null | sort -rV); do
	if [ -f "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/build" ]; then
		echo "$v"
		exit 0
	fi
done
echo "lab/kver.sh: no kernel with both /boot/vmlinuz-VER and /lib/modules/VER/build; run 'make deps'" >&2
exit 1
