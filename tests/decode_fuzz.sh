#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Differential fuzzing of kmod/decode.c against objdump: builds
# tests/decode_fuzz.c and runs it.  Deterministic for a seed; prints TAP
# (one test per CPU mode) and exits non-zero on any mismatch.
#
# usage: tests/decode_fuzz.sh [count [seed]]     (default 20000 1)
set -e
cd "$(dirname "$0")/.."
out=${B:-build}/tests
mkdir -p "$out"
command -v objdump >/dev/null || { echo "1..0 # SKIP no objdump"; exit 0; }
${CC:-gcc} -O2 -g -Wall -Wextra -Werror -Ikmod -o "$out/decode_fuzz" \
	tests/decode_fuzz.c kmod/decode.c
exec "$out/decode_fuzz" "${1:-20000}" "${2:-1}"
