#!/bin/sh
# The satomic command: every subcommand, its output and exit status (0 done,
# 1 failed, 2 bad usage), and clear errors on missing, foreign and corrupt
# segments; `rm` never removes a segment that is not ours.
set -u
top_builddir=${top_builddir:-.}
satomic() { "$top_builddir/libtool" --mode=execute "$top_builddir/tools/satomic" "$@"; }
# Where a command could block, a hang must fail the test, not stall it.
satomic_timed() { timeout 20 "$top_builddir/libtool" --mode=execute "$top_builddir/tools/satomic" "$@"; }
name=/satomic-test-tool-$$
foreign=/satomic-test-foreign-$$
fifo=/satomic-test-fifo-$$
fail=0
expect() {	# expect STATUS PATTERN DESCRIPTION -- command...
	want=$1 pattern=$2 what=$3
	shift 4
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, wanted $want: $out"; fail=1
	elif [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -q -- "$pattern"; then
		echo "FAIL: $what: output lacks '$pattern': $out"; fail=1
	else
		echo "ok: $what"
	fi
}
cleanup() { satomic map rm "$name" >/dev/null 2>&1; rm -f "/dev/shm$foreign" "/dev/shm$fifo"; }
trap cleanup EXIT

case ${HOST_CPU:-$(uname -m)} in
i?86) has_cas128=no ;;	# no 128-bit CAS: no map, and it must say so
*) has_cas128=yes ;;
esac
if [ $has_cas128 = no ]; then
	expect 1 "no 128-bit compare-and-swap" "map create without CAS128" -- \
		satomic map create "$name" 100
	echo "SKIP (part): the map needs a 128-bit CAS, which this CPU lacks"
	has_map=no
else
	satomic map rm "$name" >/dev/null
	has_map=yes
	expect 0 "created $name" "map create" -- satomic map create "$name" 100
	expect 1 "already exists" "map create twice" -- satomic map create "$name" 100
	expect 0 "" "map put" -- satomic map put "$name" -9223372036854775808 42
	expect 0 "replaced 42" "map put again" -- satomic map put "$name" -9223372036854775808 43
	expect 0 "^43$" "map get" -- satomic map get "$name" -9223372036854775808
	expect 0 "" "map put hex" -- satomic map put "$name" 0x10 -1
	expect 0 "^16 -1$" "map dump" -- satomic map dump "$name"
	expect 0 "count: *2" "map stats" -- satomic map stats "$name"
	expect 0 "sound" "map check" -- satomic map check "$name"
	expect 0 "removed -1" "map del" -- satomic map del "$name" 16
	expect 1 "no such key" "map get missing key" -- satomic map get "$name" 16
	expect 2 "not a 64-bit integer" "map get bad key" -- satomic map get "$name" 12abc
	expect 0 "$name *map" "ls" -- satomic ls
	expect 0 "kind: *map" "region info" -- satomic region info "$name"
	expect 0 "map of 10000 keys" "bench" -- satomic bench 10000
fi
expect 2 "usage" "no command" -- satomic
expect 2 "usage" "unknown command" -- satomic frobnicate
[ $has_map = no ] ||
	expect 1 "no segment of that name" "map get absent map" -- satomic map get /satomic-none-$$ 1

# A foreign segment: clear errors, never removed.
head -c 8192 /dev/urandom > "/dev/shm$foreign"
expect 1 "not a libsharedatomic region" "region info foreign" -- satomic region info "$foreign"
[ $has_map = no ] ||
	expect 1 "not a libsharedatomic map" "map get foreign" -- satomic map get "$foreign" 1
expect 1 "not a libsharedatomic" "region rm foreign" -- satomic region rm "$foreign"
expect 1 "not a libsharedatomic map" "map rm foreign" -- satomic map rm "$foreign"
[ -e "/dev/shm$foreign" ] || { echo "FAIL: rm removed a foreign segment"; fail=1; }
expect 0 "" "ls skips foreign files" -- satomic ls
satomic ls | grep -q -- "$foreign" && { echo "FAIL: ls lists a foreign file"; fail=1; }

# A FIFO anyone can plant in /dev/shm: refused at once, never waited on.
mkfifo "/dev/shm$fifo"
expect 0 "segment" "ls with a FIFO in /dev/shm" -- satomic_timed ls
expect 1 "not a regular file" "region info FIFO" -- satomic_timed region info "$fifo"
expect 1 "not a regular file" "region rm FIFO" -- satomic_timed region rm "$fifo"
[ $has_map = no ] ||
	expect 1 "not a regular file" "map get FIFO" -- satomic_timed map get "$fifo" 1
[ -p "/dev/shm$fifo" ] || { echo "FAIL: rm removed a FIFO"; fail=1; }
rm -f "/dev/shm$fifo"

# Another user's map (made 0666 first, a squatter's): refused with a clear
# message unless --foreign-ok.  Needs root to give the segment away.
if [ $has_map = yes ] && [ "$(id -u)" = 0 ]; then
	satomic map put "$name" 7 666 >/dev/null
	chown 65534 "/dev/shm$name" && chmod 0666 "/dev/shm$name"
	expect 1 "belongs to uid 65534.*--foreign-ok" "map get foreign owner" -- \
		satomic map get "$name" 7
	expect 0 "^666$" "map get --foreign-ok" -- satomic --foreign-ok map get "$name" 7
	expect 0 "uid 65534" "region info foreign owner" -- satomic region info "$name"
	chown 0 "/dev/shm$name" && chmod 0600 "/dev/shm$name"
	expect 0 "^666$" "map get own again" -- satomic map get "$name" 7
elif [ $has_map = yes ]; then
	echo "SKIP (part): a foreign owner needs root to chown a segment"
fi

# A corrupt map: the header's magic overwritten.
if [ $has_map = yes ]; then
	printf 'XXXXXXXX' | dd of="/dev/shm$name" bs=1 seek=0 conv=notrunc 2>/dev/null
	expect 1 "not a libsharedatomic map" "map check corrupt" -- satomic map check "$name"
	rm -f "/dev/shm$name"
fi
exit $fail
