#!/bin/sh
# The satomic command: every subcommand, its output and exit status (0 done,
# 1 failed, 2 bad usage, 3 no such key), a message on stderr that names the
# wrong argument for every bad input (the table below), --help, --version,
# --json, and clear errors on missing, foreign and corrupt segments; `rm`
# never removes a segment that is not ours, nor one of the other kind; the
# EXAMPLES of satomic(1) are what the tool prints.
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
# expect_streams STATUS STDOUT-TEXT STDERR-TEXT DESCRIPTION -- command...
# Each stream must contain its text (grep -F); an empty text: nothing at all.
expect_streams() {
	want=$1 outtext=$2 errtext=$3 what=$4
	shift 5
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, wanted $want: $(cat "$tmp/out" "$tmp/err")"; fail=1
	elif ! has "$tmp/out" "$outtext"; then
		echo "FAIL: $what: stdout is not '$outtext': $(cat "$tmp/out")"; fail=1
	elif ! has "$tmp/err" "$errtext"; then
		echo "FAIL: $what: stderr is not '$errtext': $(cat "$tmp/err")"; fail=1
	else
		echo "ok: $what"
	fi
}
has() {	# has FILE TEXT: FILE contains TEXT; with TEXT empty, FILE is empty
	if [ -z "$2" ]; then [ ! -s "$1" ]; else grep -qF -- "$2" "$1"; fi
}
tmp=$(mktemp -d)
region=/satomic-test-region-$$
example=/satomic-test-ex-$$
# A name with a quote, a backslash, a tab, a control character and a byte
# that is not UTF-8: JSON must escape it.
odd=$(printf '/satomic-test-q"b\\s\tc\001\377-%s' $$)
# A newline, an escape sequence and a backslash: text output escapes them.
nl=$(printf '/satomic-test-nl\n\033[2J\\-%s' $$)
# A C1 control (CSI) as a lone byte and as UTF-8, and a printable e-acute.
c1=$(printf '/satomic-test-c1\233[2J\302\233[2J\303\251-%s' $$)
cleanup() {
	for m in "$name" "$example" "$odd" "$nl" "$c1"; do satomic map rm "$m" >/dev/null 2>&1; done
	rm -f "/dev/shm$foreign" "/dev/shm$fifo" "/dev/shm$region"
	rm -rf "$tmp"
}
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
	satomic map rm "$name" >/dev/null 2>&1
	has_map=yes
	expect 0 "created $name" "map create" -- satomic map create "$name" 100
	expect 1 "already exists" "map create twice" -- satomic map create "$name" 100
	expect 0 "" "map put" -- satomic map put "$name" -9223372036854775808 42
	expect 0 "replaced 42" "map put again" -- satomic map put "$name" -9223372036854775808 43
	expect 0 "^43$" "map get" -- satomic map get "$name" -9223372036854775808
	expect 0 "" "map put hex" -- satomic map put "$name" 0x10 -1
	expect 0 "^-1$" "a number with a sign" -- satomic map get "$name" +16
	expect 0 "^16 -1$" "map dump" -- satomic map dump "$name"
	expect 0 "count: *2" "map stats" -- satomic map stats "$name"
	expect 0 "sound" "map check" -- satomic map check "$name"
	expect 0 "removed -1" "map del" -- satomic map del "$name" 16
	expect 0 "" "json help prints as always" -- satomic --json help
	expect 2 "is reserved" "a reserved name" -- satomic region info /.satomic-1-2
	expect 3 "no such key: 16" "map get missing key" -- satomic map get "$name" 16
	# Output that cannot be written fails the command (status 1, a message).
	# The message names the command and its segment (satomic(1), EXIT STATUS).
	for cmd in "map get $name -9223372036854775808" "map dump $name" "map stats $name" ls; do
		what=${cmd% -*}	# the command and its segment, not the key
		# shellcheck disable=SC2086
		expect_streams 1 "" "satomic: $what: cannot write the output" "$cmd >/dev/full" -- sh -c \
			'"$@" >/dev/full' sh "$top_builddir/libtool" --mode=execute \
			"$top_builddir/tools/satomic" $cmd
	done
	expect 1 "satomic: map dump $name: cannot write the output" "map dump >&-" -- sh -c \
		'"$@" >&-' sh "$top_builddir/libtool" --mode=execute "$top_builddir/tools/satomic" \
		map dump "$name"
	expect 0 "$name *map" "ls" -- satomic ls
	expect 0 "^$name *map *[0-9.]*[KMG] *[0-9.]*[KMG]  0600" "ls NAME: sizes" -- satomic ls "$name"
	expect 0 "^NAME  *KIND  *RESERVED  *USED  *MODE  *UID  *CREATED$" "ls header" -- satomic ls
	expect_streams 1 "$name" "ls /satomic-none-$$: no segment of that name" \
		"ls NAME missing: an error, the others listed" -- satomic ls "$name" /satomic-none-$$
	expect 0 "kind: *map" "region info" -- satomic region info "$name"
	expect 0 "map of 10000 keys" "bench" -- satomic bench 10000
	# Its map has room for twice its keys, not the default 64 times
	# (1 GiB of address space for 100000 keys, more than this ulimit -v).
	if [ "${SANITIZE:-no}" = no ]; then
		expect 0 "map of 100000 keys" "bench under ulimit -v 800000" -- \
			sh -c 'ulimit -v 800000 && exec "$@"' sh "$top_builddir/libtool" \
			--mode=execute "$top_builddir/tools/satomic" bench 100000
		# A map that fits the machine but not the process's limits:
		# exit 1 (failed), not 2 (bad usage), and nothing left behind.
		expect 1 "too large: the size does not fit in this process's address space (or RLIMIT_AS)" \
			"map create under ulimit -v" -- sh -c 'ulimit -v 800000 && exec "$@"' sh \
			"$top_builddir/libtool" --mode=execute "$top_builddir/tools/satomic" \
			map create "$name-big" 100000
		expect 1 "no segment" "nothing left by it" -- satomic region info "$name-big"
	else
		echo "SKIP (part): bench under ulimit -v: the sanitizers ($SANITIZE) reserve terabytes"
	fi
fi
expect 2 "usage" "no command" -- satomic
expect 2 "usage" "unknown command" -- satomic frobnicate
[ $has_map = no ] ||
	expect 1 "no segment of that name" "map get absent map" -- satomic map get /satomic-none-$$ 1

# Every bad input: its exit status and a message on stderr that names the
# argument and says what is wrong; nothing on stdout.  The arguments are
# split at blanks; NAME, NEW, NONE, REGION and LONG stand for names.
error_table() {
	while IFS='|' read -r want text args; do
		case $want in ''|'#'*) continue ;; esac
		set -f
		set --
		for w in $args; do
			case $w in
			NAME) w=$name ;; NEW) w=$name-new ;; NONE) w=/satomic-none-$$ ;;
			REGION) w=$region ;; LONG) w=/$(printf '%0256d' 0) ;;
			esac
			set -- "$@" "$w"
		done
		set +f
		expect_streams "$want" "" "satomic: " "error: $args" -- satomic "$@"
		has "$tmp/err" "$text" ||
			{ echo "FAIL: error: $args: stderr lacks '$text': $(cat "$tmp/err")"; fail=1; }
	done
}
error_table <<'EOF'
2|capacity '-5' is negative (the minimum is 0)|map create NEW -5
2|max_capacity '-1' is negative (the minimum is 0)|map create NEW 100 -1
2|capacity 'abc' is not a number|map create NEW abc
2|capacity '12abc' has trailing garbage 'abc' after the number|map create NEW 12abc
2|capacity '99999999999999999999' is out of range|map create NEW 99999999999999999999
2|max_capacity 50 is below capacity 100|map create NEW 100 50
2|capacity 4611686018427387903 is too large|map create NEW 4611686018427387903
2|max_capacity 4611686018427387903 is too large|map create NEW 100 4611686018427387903
2|name 'x' must begin with '/'|map create x 100
2|name 'jobs' must begin with '/'|map get jobs 1
2|name '/a/b' must not contain '/' after the first character|map create /a/b
2|name '/' is empty after the '/'|region info /
2|name '/..' cannot be /. or /..|region rm /..
2|is too long (256 bytes after the '/', at most 255)|map stats LONG
2|name 'x' must begin with '/'|ls NAME x
2|key '12abc' has trailing garbage 'abc'|map get NAME 12abc
2|key '0x' has trailing garbage 'x'|map del NAME 0x
2|key '9223372036854775808' is out of range|map put NAME 9223372036854775808 1
2|value '1.5' has trailing garbage '.5'|map put NAME 1 1.5
2|value '08' has trailing garbage '8'|map put NAME 1 08
2|keys '999' is too small (the minimum is 1000)|bench 999
2|keys '-1' is negative (the minimum is 1000)|bench -1
2|keys 'x' is not a number|bench x
2|map get: missing arguments (it takes NAME KEY)|map get NAME
2|map rm: too many arguments (it takes NAME)|map rm NAME NAME
2|bench: too many arguments (it takes [KEYS])|bench 1000 1000
2|no command given|
2|unknown command 'frobnicate'|frobnicate
2|unknown command '--version'|-- --version
2|unknown map command 'frob'|map frob NAME
2|no map command given|map
2|no region command given|region
2|unknown option '--bogus'|--bogus ls
2|map get: --json is for ls, map dump, map stats and region info|--json map get NAME 1
2|map check: --json is for|map check NAME --json
2|help: unknown command 'nope'|help nope
2|help: unknown map command 'bogus'|help map bogus
2|help: unknown map command 'bogus'|map bogus --help
1|map get /satomic-none-|map get NONE 1
1|region info /satomic-none-|region info NONE
1|no segment of that name|region rm NONE
1|no segment of that name|map rm NONE
EOF
# The same argument checks come before a map is needed: usage errors are
# the same on a machine without a 128-bit CAS.  (There, opening any map,
# even an absent one, is -ENOTSUP: the rows below need a map.)
if [ $has_map = yes ]; then
	error_table <<'EOF'
1|no segment of that name|map stats NONE
3|map get /satomic-test-tool-|map get NAME 16
3|no such key: 16|map get NAME 0x10
3|map del /satomic-test-tool-|map del NAME 16
3|no such key: -5|map del NAME -5
1|a segment of that name already exists|map create NAME 100
1|is a map: remove it with `satomic map rm /satomic-test-tool-|region rm NAME
EOF
	expect 0 "^43$" "region rm left the map in place" -- \
		satomic map get "$name" -9223372036854775808
	# Cut to its header's first 128 bytes (satomic(1), region rm): region
	# rm refuses it as corrupt, map rm removes it.
	cut=/satomic-test-tool-cut-$$
	satomic map create "$cut" 100 >/dev/null
	truncate -s 128 "/dev/shm$cut"
	expect 1 "region rm $cut: not a libsharedatomic region, or corrupt" \
		"region rm of a map cut short" -- satomic region rm "$cut"
	[ -e "/dev/shm$cut" ] || { echo "FAIL: region rm removed a map cut short"; fail=1; }
	expect_streams 0 "" "" "map rm of a map cut short" -- satomic map rm "$cut"
	[ ! -e "/dev/shm$cut" ] || { echo "FAIL: map rm left a map cut short"; fail=1; }
fi

# A plain region (tests/helper makes one): map commands refuse it and
# say what it is; region rm removes it.
helper=$top_builddir/tests/helper
if [ -x "$helper" ]; then
	"$top_builddir/libtool" --mode=execute "$helper" region-create "$region" 4096 keep >/dev/null
	expect 0 "kind: *region" "region info plain region" -- satomic region info "$region"
	expect 0 "$region *region" "ls plain region" -- satomic ls "$region"
	if [ $has_map = yes ]; then
		error_table <<'EOF'
1|map get /satomic-test-region-|map get REGION 1
1|is a plain region, not a map|map dump REGION
1|remove it with `satomic region rm`|map rm REGION
EOF
		[ -e "/dev/shm$region" ] || { echo "FAIL: map rm removed a plain region"; fail=1; }
	fi
	expect_streams 0 "" "" "region rm plain region" -- satomic region rm "$region"
	[ ! -e "/dev/shm$region" ] || { echo "FAIL: region rm left a plain region"; fail=1; }
	# Sizes as ls -h writes them (rounded up): regions whose files are
	# 4097, 9215, 10239, 10241 bytes, 1 MiB - 1 and + 1, and 129M
	# (data bytes: the file less its 4096-byte header page).
	for data in 1 5119 6143 6145 1044479 1044481 134287360; do
		"$top_builddir/libtool" --mode=execute "$helper" region-create "$region" $data keep >/dev/null
		ours=$(satomic ls "$region" | awk 'NR == 2 { print $3 }')
		theirs=$(ls -lh "/dev/shm$region" | awk '{ print $5 }')
		if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then
			echo "ok: ls size of $((data + 4096)) bytes: $ours"
		else
			echo "FAIL: ls size of $((data + 4096)) bytes: '$ours', ls -h: '$theirs'"; fail=1
		fi
		satomic region rm "$region"
	done
else
	echo "SKIP (part): $helper not built (configured without Check): no plain region"
fi

# Help on stdout, exit 0, nothing on stderr; per command with `help` or
# after the command.
# help's own usage is the whole usage.
for h in --help -h help "help help" "help --help" "--help help" "help -h"; do
	expect_streams 0 "usage: satomic" "" "satomic $h" -- satomic $h
	for text in "map create NAME [CAPACITY [MAX_CAPACITY]]" "region rm NAME" \
		"bench [KEYS]" "--json" "--foreign-ok" \
		"exit status: 0 done, 1 failed, 2 bad usage, 3 no such key"; do
		has "$tmp/out" "$text" || { echo "FAIL: satomic $h lacks '$text'"; fail=1; }
	done
done
for h in "map --help" "help map" "map -h" "--help map"; do
	expect_streams 0 "map get NAME KEY" "" "satomic $h" -- satomic $h
	! has "$tmp/out" "region info" || { echo "FAIL: satomic $h shows region commands"; fail=1; }
done
for h in "map get --help" "help map get"; do
	expect_streams 0 "map get NAME KEY" "" "satomic $h" -- satomic $h
	! has "$tmp/out" "map put" || { echo "FAIL: satomic $h shows map put"; fail=1; }
done
expect_streams 0 "region rm NAME" "" "satomic help region" -- satomic help region
expect_streams 0 "ls [NAME...]" "" "satomic ls --help" -- satomic ls --help
expect_streams 0 "bench [KEYS]" "" "satomic help bench" -- satomic help bench
# The usage that goes with a usage error is on stderr.
expect_streams 2 "" "map get NAME KEY" "usage after a usage error" -- satomic map get
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ -n "$version" ] || { echo "FAIL: no PACKAGE_VERSION in $top_builddir/config.h"; fail=1; }
expect_streams 0 "satomic (libsharedatomic) $version" "" "satomic --version" -- satomic --version
[ "$(cat "$tmp/out")" = "satomic (libsharedatomic) $version" ] ||
	{ echo "FAIL: --version prints more than the version: $(cat "$tmp/out")"; fail=1; }

# --json: valid JSON (python3 -m json.tool) with the values the text shows;
# an odd name escaped exactly.
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=
[ -n "$PYTHON" ] || echo "SKIP (part): python3 not found: JSON output not parsed"
json_check() {	# json_check WHAT PYTHON-ASSERTION -- satomic arguments
	what=$1 assertion=$2
	shift 3
	satomic --json "$@" >"$tmp/json" 2>"$tmp/err"
	got=$?
	if [ $got != 0 ] || [ -s "$tmp/err" ] || [ ! -s "$tmp/json" ]; then
		echo "FAIL: $what: exit $got, wanted 0 and output on stdout only: $(cat "$tmp/err")"
		fail=1
	elif [ -z "$PYTHON" ]; then
		echo "ok: $what: exit 0 (JSON not parsed)"
	elif ! "$PYTHON" -m json.tool "$tmp/json" >/dev/null; then
		echo "FAIL: $what: not JSON: $(cat "$tmp/json")"; fail=1
	elif ! "$PYTHON" -c "import json, os, sys
d = json.load(open(sys.argv[1]))
odd = os.fsencode(sys.argv[2]).decode('utf-8', 'replace')
assert $assertion, d" "$tmp/json" "$odd"; then
		echo "FAIL: $what: JSON lacks what $assertion says"; fail=1
	else
		echo "ok: $what: JSON"
	fi
}
if [ $has_map = yes ]; then
	expect 0 "created" "map create odd name" -- satomic map create "$odd" 100
	satomic map put "$odd" -9223372036854775808 7 >/dev/null
	satomic map put "$odd" 5 -1 >/dev/null
	# The name as JSON: \" \\ \t \u0001 and U+FFFD for the byte 0xff.
	satomic --json region info "$odd" >"$tmp/out"
	has "$tmp/out" '"name": "/satomic-test-q\"b\\s\tc\u0001\ufffd-' ||
		{ echo "FAIL: region info --json: odd name not escaped: $(cat "$tmp/out")"; fail=1; }
	json_check "ls --json" "isinstance(d, list) and odd in [s['name'] for s in d]" -- ls
	json_check "ls NAME --json" "len(d) == 1 and d[0]['name'] == odd and d[0]['kind'] == 'map' and d[0]['reserved_bytes'] > d[0]['used_bytes'] > 0 and d[0]['mode'] == '0600'" -- ls "$odd"
	json_check "region info --json" "d['name'] == odd and d['kind'] == 'map' and d['layout'] >= 1 and d['data_bytes'] < d['reserved_bytes'] and isinstance(d['created'], int)" -- region info "$odd"
	json_check "map stats --json" "d['count'] == 2 and d['live'] == 2 and d['migrating'] is False and d['max_capacity'] == 1048576 and isinstance(d['load'], float)" -- map stats "$odd"
	json_check "map dump --json" "sorted((e['key'], e['value']) for e in d) == [(-2**63, 7), (5, -1)]" -- map dump "$odd"
	json_check "map dump --json after the command" "len(d) == 2" -- map dump "$odd" --json
	satomic map rm "$odd"
	# In text, a name's control bytes and backslashes are escaped (\ooo,
	# \\), so a newline or an escape sequence can neither add a line nor
	# reach the terminal.
	satomic map create "$nl" 100 >/dev/null
	satomic ls "$nl" >"$tmp/out"
	if [ "$(wc -l <"$tmp/out")" != 3 ] || ! grep -qF 'satomic-test-nl\012\033[2J\\-' "$tmp/out"; then
		echo "FAIL: ls: a name's control bytes not escaped: $(cat "$tmp/out")"; fail=1
	else
		echo "ok: ls escapes a name's control bytes"
	fi
	satomic map get "$nl" 99 2>"$tmp/out"
	if [ "$(wc -l <"$tmp/out")" != 1 ] || ! grep -qF 'satomic-test-nl\012\033[2J\\-' "$tmp/out"; then
		echo "FAIL: map get: a name's control bytes not escaped: $(cat "$tmp/out")"; fail=1
	else
		echo "ok: messages escape a name's control bytes"
	fi
	satomic map rm "$nl"
	# C1 controls too, and bytes that are no character in the locale, as
	# ls -b writes them there: in C every byte above 0x7f is escaped; in
	# C.UTF-8 the lone byte and U+009B are, the e-acute is not.
	satomic map create "$c1" 100 >/dev/null
	locales=C:'c1\233[2J\302\233[2J\303\251-'
	if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
		locales="$locales C.UTF-8:c1\\233[2J\\302\\233[2J$(printf '\303\251')-"
	else
		echo "SKIP (part): no C.UTF-8 locale"
	fi
	for loc in $locales; do
		(LC_ALL=${loc%%:*}; export LC_ALL; satomic map get "$c1" 99 2>"$tmp/out")
		if ! grep -qF "satomic-test-${loc#*:}" "$tmp/out"; then
			echo "FAIL: map get in ${loc%%:*}: C1 controls not escaped as ls -b does: $(cat "$tmp/out")"; fail=1
		else
			echo "ok: messages in ${loc%%:*} escape C1 controls as ls -b does"
		fi
	done
	# JSON escapes a C1 control as \u009b (the lone byte is U+FFFD).
	satomic --json region info "$c1" >"$tmp/out"
	has "$tmp/out" '"name": "/satomic-test-c1\ufffd[2J\u009b[2J' ||
		{ echo "FAIL: region info --json: a C1 control not escaped: $(cat "$tmp/out")"; fail=1; }
	satomic map rm "$c1"
	# Other arguments a message repeats are escaped as names are: a key,
	# an unknown command or option can neither add a line nor reach the
	# terminal.
	escaped() {	# escaped PATTERN -- satomic arguments: one message, no control
		pattern=$1
		shift 2
		satomic "$@" 2>"$tmp/out" >/dev/null
		if [ "$(grep -c '^satomic' "$tmp/out")" != 1 ] || ! grep -qF -- "$pattern" "$tmp/out" ||
		   grep -q "$(printf '[\033\007\015]')" "$tmp/out"; then
			echo "FAIL: '$pattern' not escaped: $(od -c "$tmp/out" | head -4)"; fail=1
		else
			echo "ok: escaped: $(head -1 "$tmp/out")"
		fi
	}
	escaped "value '3\033]0;x\007\012satomic: fake' has trailing garbage" -- \
		map put "$name" 5 "$(printf '3\033]0;x\007\nsatomic: fake')"
	escaped "unknown command 'bogus\033[31m'" -- "$(printf 'bogus\033[31m')"
	escaped "unknown option '--x\015'" -- "$(printf '%s\015' --x)"
	escaped "unknown map command 'bo\011gus'" -- map "$(printf 'bo\tgus')"
	escaped "help: unknown map command 'x\033'" -- help map "$(printf 'x\033')"
	satomic map del "$name" -9223372036854775808 >/dev/null
	json_check "map dump --json, empty map" "d == []" -- map dump "$name"
	satomic map put "$name" -9223372036854775808 43 >/dev/null
fi

# satomic(1)'s EXAMPLES: run each `$ command` of the literal block (on a
# name of our own for /jobs) and compare the transcript with the page,
# blanks squeezed and ls's user id and time aside.  A command must not hold
# a single quote (it is echoed in one), and the block no roff escape.
if [ $has_map = yes ]; then
	page=${top_srcdir:-.}/doc/satomic.1
	awk '/^\.Sh EXAMPLES/ { ex = 1 } ex && /^\.Ed/ { exit }
	     ex && lit { print } ex && /^\.Bd -literal/ { lit = 1 }' "$page" >"$tmp/page"
	if [ "$(grep -c '^\$ ' "$tmp/page")" -lt 5 ] || grep -q '\\' "$tmp/page" ||
	   grep '^\$ ' "$tmp/page" | grep -q "'"; then
		echo "FAIL: example drift: $page EXAMPLES unreadable: $(cat "$tmp/page")"; fail=1
	else
		{
			echo "satomic() { \"$top_builddir/libtool\" --mode=execute \"$top_builddir/tools/satomic\" \"\$@\"; }"
			echo 'exec 2>&1'
			awk -v ex="$example" '/^\$ / {
				cmd = substr($0, 3); gsub(/\/jobs/, ex, cmd)
				print "s=$?; echo '\''" $0 "'\''; (exit $s)"; print cmd }' "$tmp/page"
		} >"$tmp/examples.sh"
		normalize() {
			sed -e "s|$example|/jobs|g" -e 's/  *[0-9][0-9]*  [0-9-]* [0-9:]*$/ UID TIME/' |
				tr -s ' '
		}
		sh "$tmp/examples.sh" </dev/null | normalize >"$tmp/ran"
		normalize <"$tmp/page" >"$tmp/want"
		if diff -u "$tmp/want" "$tmp/ran"; then
			echo "ok: satomic(1) EXAMPLES print what the page shows"
		else
			echo "FAIL: satomic(1) EXAMPLES drifted from the tool's output (diff above)"; fail=1
		fi
	fi
fi

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
	expect 0 "uid: *65534" "region info foreign owner" -- satomic region info "$name"
	# Removing another user's segment takes --foreign-ok, root included.
	expect 1 "refused: it belongs to uid 65534.*--foreign-ok" "map rm foreign owner" -- \
		satomic map rm "$name"
	expect 1 "refused: it belongs to uid 65534.*--foreign-ok" "region rm foreign owner" -- \
		satomic region rm "$name"
	[ -e "/dev/shm$name" ] || { echo "FAIL: rm removed another user's map"; fail=1; }
	chown 0 "/dev/shm$name" && chmod 0600 "/dev/shm$name"
	expect 0 "^666$" "map get own again" -- satomic map get "$name" 7
	# As that other user: root's 0600 map names its owner too, and
	# --foreign-ok cannot remove it from the sticky /dev/shm.
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	if command -v setpriv >/dev/null 2>&1 && as_nobody "$top_builddir/libtool" \
		--mode=execute "$top_builddir/tools/satomic" --version >/dev/null 2>&1; then
		expect 1 "belongs to uid 0, .*does not let you open it" \
			"map get of an unreadable foreign map" -- as_nobody \
			"$top_builddir/libtool" --mode=execute "$top_builddir/tools/satomic" map get "$name" 7
		expect 1 "cannot remove it: it belongs to uid 0, .*does not let you open it" \
			"map rm --foreign-ok of an unreadable map" -- as_nobody \
			"$top_builddir/libtool" --mode=execute "$top_builddir/tools/satomic" --foreign-ok map rm "$name"
		chmod 0644 "/dev/shm$name"
		expect 1 "cannot remove it: it belongs to uid 0, .*is sticky" \
			"map rm --foreign-ok in a sticky /dev/shm" -- as_nobody \
			"$top_builddir/libtool" --mode=execute "$top_builddir/tools/satomic" --foreign-ok map rm "$name"
		chmod 0600 "/dev/shm$name"
		[ -e "/dev/shm$name" ] || { echo "FAIL: nobody removed root's map"; fail=1; }
	else
		echo "SKIP (part): cannot run as uid 65534 (setpriv)"
	fi
elif [ $has_map = yes ]; then
	echo "SKIP (part): a foreign owner needs root to chown a segment"
fi

# A corrupt map: the map's own header overwritten (the segment's header
# before it still validates), then the segment's.
if [ $has_map = yes ]; then
	# The data begins after the segment's header: a page, 4096 bytes or more.
	at=$(satomic region info "$name" | awk '/^reserved_bytes:/ { r = $2 }
		/^data_bytes:/ { d = $2 } END { print r - d }')
	printf 'XXXXXXXX' | dd of="/dev/shm$name" bs=1 seek="$at" conv=notrunc 2>/dev/null
	expect 1 "a map whose contents do not validate" "map get corrupt map" -- \
		satomic map get "$name" 1
	printf 'XXXXXXXX' | dd of="/dev/shm$name" bs=1 seek=0 conv=notrunc 2>/dev/null
	expect 1 "not a libsharedatomic map" "map check corrupt" -- satomic map check "$name"
	# rm: a segment whose own header is gone is not ours: left in place.
	expect 1 "not a libsharedatomic map" "map rm, segment header gone" -- satomic map rm "$name"
	[ -e "/dev/shm$name" ] || { echo "FAIL: map rm removed a file that is not ours"; fail=1; }
	rm -f "/dev/shm$name"
	# A map damaged behind its segment's header, and cut short: removed.
	satomic map create "$name" >/dev/null
	printf 'XXXXXXXX' | dd of="/dev/shm$name" bs=1 seek="$at" conv=notrunc 2>/dev/null
	truncate -s 8192 "/dev/shm$name"
	expect_streams 0 "" "" "map rm of a damaged map" -- satomic map rm "$name"
	[ ! -e "/dev/shm$name" ] || { echo "FAIL: map rm left a damaged map"; fail=1; }
fi
exit $fail
