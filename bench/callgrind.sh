#!/bin/sh
# Instructions per operation, the map against the bare table, counted by
# callgrind (deterministic: compare before and after a change).
#
#   bench/callgrind.sh [KEYS [OPS...]]     (make bench-callgrind)
#
# Runs bench/callgrind-ops once per table and operation, counting only
# inside its loop, and subtracts the loop's own cost (the "null" table).
# KEYS defaults to 131072 (both tables at load 0.5 in 2^18 slots).
set -eu

keys=${1:-131072}
[ $# -gt 0 ] && shift
ops=${*:-get-hit get-miss insert put remove fetch_add get_many put_many}
top_builddir=${top_builddir:-.}
libtool=${LIBTOOL:-$top_builddir/libtool}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Ir counted inside run_ops for table $1, operation $2 (empty: no such op).
count() {
	out="$tmp/$1.$2.out"
	rc=0
	$libtool --mode=execute valgrind --tool=callgrind --toggle-collect=run_ops \
		--callgrind-out-file="$out" -q $top_builddir/bench/callgrind-ops \
		"$1" "$2" "$keys" >/dev/null 2>"$tmp/err" || rc=$?
	if [ $rc -eq 77 ]; then
		echo ""
		return
	fi
	if [ $rc -ne 0 ]; then
		cat "$tmp/err" >&2
		exit 1
	fi
	sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out"
}

per_op() {	# (Ir - Ir_null) / keys, one decimal, or "-"
	if [ -z "$1" ]; then
		echo "-"
	else
		echo "$1 $2 $keys" | awk '{ printf "%.1f", ($1 - $2) / $3 }'
	fi
}

printf '%-10s %10s %10s %8s\n' op satomic bare ratio
for op in $ops; do
	null=$(count null "$op")
	map=$(per_op "$(count satomic "$op")" "$null")
	bare=$(per_op "$(count bare "$op")" "$null")
	ratio=$(echo "$map $bare" | awk '$1 != "-" && $2 != "-" && $2 > 0 { printf "%.2f", $1 / $2; next } { print "-" }')
	printf '%-10s %10s %10s %8s\n' "$op" "$map" "$bare" "$ratio"
done
echo "(instructions per operation, $keys keys, callgrind)"
