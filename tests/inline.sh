#!/bin/sh
# C callers get the primitives inlined at no cost: compiled with -O2, a
# caller of satomic_fetch_add_u64 is the target's own atomic add (`lock
# xadd` on x86-64) with no call into the library, and every lib_X function
# of tests/inline_caller.c compiles to exactly the same instructions as its
# raw_X twin that uses the builtin directly.  And no inline primitive, of
# any width, operation and order (the grid generated below, with constant
# orders as callers write them), leaves a reference to the library's
# symbol: clang once called the explicit CAS, "too costly to inline".
# With gcc and, on native builds, clang.
set -eu
srcdir=${top_srcdir:-.}
CC=${CC:-cc}
case ${HOST_CPU:-$(uname -m)} in
x86_64) add='lock[[:space:]]*xadd' ;;
i?86) add='lock[[:space:]]*cmpxchg8b' ;;	# no 64-bit xadd on i386
aarch64) add='ldaddal|ldaxr|__aarch64_ldadd8' ;;	# LSE, LL/SC, outline
*) echo "SKIP: no instruction pattern for ${HOST_CPU:-$(uname -m)}"; exit 77 ;;
esac
compilers=$CC
[ "${CROSS_COMPILING:-no}" != no ] || compilers="$CC
clang"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# grid: one caller of every inline primitive, as C on stdout.
grid() {
	echo '#include <sharedatomic.h>'
	n=0
	fn() { n=$((n + 1)); echo "$1 g$n$2"; }
	for w in u8:uint8_t u16:uint16_t u32:uint32_t u64:uint64_t \
		 i8:int8_t i16:int16_t i32:int32_t i64:int64_t f32:float f64:double; do
		W=${w%%:*} T=${w#*:}
		fn "$T" "(const $T *p) { return satomic_load_$W(p); }"
		fn "$T" "(const $T *p) { return satomic_load_${W}_explicit(p, SATOMIC_ACQUIRE); }"
		fn void "($T *p, $T v) { satomic_store_$W(p, v); }"
		fn void "($T *p, $T v) { satomic_store_${W}_explicit(p, v, SATOMIC_RELEASE); }"
		fn "$T" "($T *p, $T v) { return satomic_exchange_$W(p, v); }"
		fn "$T" "($T *p, $T v) { return satomic_exchange_${W}_explicit(p, v, SATOMIC_ACQ_REL); }"
		fn bool "($T *p, $T *e, $T v) { return satomic_cas_$W(p, e, v); }"
		fn bool "($T *p, $T *e, $T v) { return satomic_cas_${W}_explicit(p, e, v, SATOMIC_ACQ_REL, SATOMIC_ACQUIRE); }"
		fn "$T" "($T *p, $T v) { return satomic_fetch_add_$W(p, v); }"
		fn "$T" "($T *p, $T v) { return satomic_fetch_add_${W}_explicit(p, v, SATOMIC_RELAXED); }"
		case $W in f*) continue ;; esac
		fn "$T" "($T *p, $T e, $T v) { return satomic_cas_val_$W(p, e, v); }"
		fn "$T" "($T *p, $T e, $T v) { return satomic_cas_val_${W}_explicit(p, e, v, SATOMIC_RELEASE, SATOMIC_RELAXED); }"
		for op in add sub and or xor nand; do
			[ $op = add ] || fn "$T" "($T *p, $T v) { return satomic_fetch_${op}_$W(p, v); }"
			[ $op = add ] || fn "$T" "($T *p, $T v) { return satomic_fetch_${op}_${W}_explicit(p, v, SATOMIC_RELAXED); }"
			fn "$T" "($T *p, $T v) { return satomic_${op}_fetch_$W(p, v); }"
			fn "$T" "($T *p, $T v) { return satomic_${op}_fetch_${W}_explicit(p, v, SATOMIC_ACQUIRE); }"
		done
	done
	fn void "(void) { satomic_fence(SATOMIC_SEQ_CST); }"
	fn void "(void) { satomic_fence(SATOMIC_ACQUIRE); }"
}
grid > "$tmp/grid.c"

IFS='
'
for cc in $compilers; do
	unset IFS
	command -v "${cc%% *}" >/dev/null 2>&1 || continue
	$cc -O2 -fno-asynchronous-unwind-tables -I"$srcdir/include" -S \
		-o "$tmp/out.s" "$srcdir/tests/inline_caller.c"
	# The instructions of function $1, comments dropped and local labels
	# renamed in order of appearance, so two equal bodies compare equal.
	body() {
		awk -v f="$1" '$1 == f":" {on=1; next}
			on && (/^\t\.size/ || /^\.Lfunc_end/ || /^[A-Za-z_][A-Za-z0-9_]*:/) {exit}
			on && !/^\t\.(p2align|cfi_|type)/ {sub(/[ \t]*#.*/, ""); if ($0 != "") print}' "$tmp/out.s" |
		awk '{ while (match($0, /\.L[A-Za-z_]*[0-9]+/)) {
				l = substr($0, RSTART, RLENGTH)
				if (!(l in n)) n[l] = "L" ++k
				$0 = substr($0, 1, RSTART - 1) "@" n[l] substr($0, RSTART + RLENGTH)
			} print }'
	}
	# A caller with a narrower target than its file's (CPU dispatch code):
	# gcc refuses to compile that into an always_inline body.
	if [ "${HOST_CPU:-$(uname -m)}" = x86_64 ]; then
		printf '%s\n' '#include <sharedatomic.h>' \
			'__attribute__((target("arch=x86-64"))) uint64_t f(uint64_t *p)' \
			'{ return satomic_fetch_add_u64(p, 1); }' > "$tmp/target.c"
		for o in -O0 -O2; do
			if ! $cc $o -march=haswell -I"$srcdir/include" -c -o "$tmp/target.o" \
				"$tmp/target.c" 2>"$tmp/err"; then
				echo "FAIL ($cc $o): a target(\"arch=x86-64\") caller does not compile:"
				cat "$tmp/err"; fail=1
			fi
		done
	fi
	$cc -O2 -I"$srcdir/include" -c -o "$tmp/grid.o" "$tmp/grid.c"
	calls=$(nm -u "$tmp/grid.o" | grep -c 'satomic_' || true)
	if [ "$calls" -ne 0 ]; then
		echo "FAIL ($cc): $calls primitives of the grid are not inlined:"
		nm -u "$tmp/grid.o" | grep 'satomic_'; fail=1
	else
		echo "ok ($cc): all $(grep -c '^[a-z].* g[0-9]' "$tmp/grid.c") primitives of the grid inlined"
	fi
	if ! body lib_fetch_add | grep -Eq "$add"; then
		echo "FAIL ($cc): lib_fetch_add is not an atomic add ($add):"
		body lib_fetch_add; fail=1
	fi
	for f in $(sed -n 's/^[a-z0-9_]* *\**lib_\([a-z_]*\)(.*/\1/p' "$srcdir/tests/inline_caller.c"); do
		body "lib_$f" > "$tmp/lib"
		body "raw_$f" > "$tmp/raw"
		if grep -q 'call\|jmp.*satomic' "$tmp/lib"; then
			echo "FAIL ($cc): lib_$f calls out:"; cat "$tmp/lib"; fail=1
		elif [ ! -s "$tmp/lib" ] || ! cmp -s "$tmp/lib" "$tmp/raw"; then
			echo "FAIL ($cc): lib_$f differs from the builtin:"
			diff "$tmp/lib" "$tmp/raw" || true
			fail=1
		else
			echo "ok ($cc): lib_$f == builtin ($(wc -l < "$tmp/lib") instructions)"
		fi
	done
done
exit $fail
