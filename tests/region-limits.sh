#!/bin/sh
# Resource limits give distinct, clear errors and leave nothing behind:
#  - a full /dev/shm is -ENOSPC at creation (posix_fallocate, or page
#    faults when huge pages are asked for), not SIGBUS later: checked on a
#    1 MiB tmpfs mounted in a private mount namespace; so is a map's copy
#    of its table to reclaim tombstones, until memory is free again;
#  - mlock beyond RLIMIT_MEMLOCK is -EPERM (limit 0) or -ENOMEM (limit too
#    low), with CAP_IPC_LOCK dropped, and the message names the limit.
set -u
top_builddir=${top_builddir:-.}
helper="$top_builddir/libtool --mode=execute $top_builddir/tests/helper"
fail=0 ran=0
expect() {	# expect WHAT CODE OUTPUT
	case $3 in
	*"error $2:"*) echo "ok: $1: $3"; ran=$((ran + 1)) ;;
	*) echo "FAIL: $1: expected error $2, got: $3"; fail=1 ;;
	esac
}
expect_map() {	# the same for a map, which needs a 128-bit CAS: i386 has none
	case ${HOST_CPU:-}/$3 in
	i?86/*"error -95:"*) echo "SKIP (part): $1: no map on a CPU without a 128-bit CAS" ;;
	*) expect "$@" ;;
	esac
}

# --- -ENOSPC on a small tmpfs.
in_small_shm() {	# run "$@" with a 1 MiB tmpfs on /dev/shm
	script='mount -t tmpfs -o size=1m satomic-test /dev/shm && "$@"; echo "left: $(ls /dev/shm | wc -l)"'
	unshare --mount --propagation private sh -c "$script" sh "$@" 2>/dev/null ||
		unshare --user --map-root-user --mount --propagation private \
			sh -c "$script" sh "$@" 2>/dev/null
}
if ! command -v unshare >/dev/null || [ -z "$(in_small_shm true)" ]; then
	echo "SKIP (part): cannot make a mount namespace here (no root, no user namespaces)"
else
	out=$(in_small_shm $helper region-create /big 4194304)
	expect "4 MiB region on a 1 MiB tmpfs" -28 "$out"
	case $out in *"left: 0"*) ;; *) echo "FAIL: a failed create left a file: $out"; fail=1 ;; esac
	out=$(in_small_shm $helper region-create /small 65536)
	case $out in *ok*"left: 0"*) echo "ok: 64 KiB region fits" ;; *) echo "FAIL: small region: $out"; fail=1 ;; esac
	out=$(in_small_shm $helper map-create /bigmap 1000000)
	expect_map "1M-key map on a 1 MiB tmpfs" -28 "$out"
	# With huge pages asked for, memory is allocated by page faults
	# (MADV_POPULATE_WRITE): still an error, never SIGBUS.
	out=$(in_small_shm $helper region-create /bighuge 4194304 hugepages)
	expect "4 MiB region with huge pages on a 1 MiB tmpfs" -28 "$out"
	case $out in *"left: 0"*) ;; *) echo "FAIL: a failed create left a file: $out"; fail=1 ;; esac
	out=$(in_small_shm $helper map-create /bighugemap 1000000 hugepages)
	expect_map "1M-key map with huge pages on a 1 MiB tmpfs" -28 "$out"
	# Reclaiming tombstones copies the table: on a full file system that
	# is -ENOSPC, removals notwithstanding, until memory is free again
	# (satomic_map_get(3)); nothing is lost meanwhile.
	out=$(in_small_shm $helper map-full /fullmap /dev/shm/filler)
	case ${HOST_CPU:-}/$out in
	i?86/*"error -95:"*) echo "SKIP (part): map churn on a full tmpfs: no map here" ;;
	*lost*) echo "FAIL: map churn on a full tmpfs lost keys: $out"; fail=1 ;;
	*"churn on a full file system: -28 after"*"insert once the file is gone: 0, count 5001"*ok*"left: 0"*)
		echo "ok: map churn on a full tmpfs: $(echo "$out" | tr '\n' ' ')"; ran=$((ran + 1)) ;;
	*) echo "FAIL: map churn on a full tmpfs: $out"; fail=1 ;;
	esac
fi

# --- mlock under a low limit, without CAP_IPC_LOCK.
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null; then
		nocap="setpriv --inh-caps=-ipc_lock --bounding-set=-ipc_lock"
	else
		nocap=
	fi
else
	nocap=env
fi
if [ "${SANITIZE:-no}" != no ]; then
	echo "SKIP (part): the sanitizers ($SANITIZE) turn mlock into a no-op that succeeds"
elif [ -z "$nocap" ]; then
	echo "SKIP (part): running as root without setpriv: cannot drop CAP_IPC_LOCK"
else
	out=$(sh -c "ulimit -l 0 && exec $nocap $helper region-create /locked-$$ 1048576 mlock" 2>&1)
	expect "mlock with RLIMIT_MEMLOCK 0" -1 "$out"
	case $out in *RLIMIT_MEMLOCK*) ;; *) echo "FAIL: message does not name RLIMIT_MEMLOCK"; fail=1 ;; esac
	out=$(sh -c "ulimit -l 64 && exec $nocap $helper region-create /locked-$$ 1048576 mlock" 2>&1)
	expect "mlock of 1 MiB with RLIMIT_MEMLOCK 64 KiB" -12 "$out"
	case $out in *"ulimit -l"*) ;; *) echo "FAIL: message does not name ulimit -l"; fail=1 ;; esac
	[ ! -e "/dev/shm/locked-$$" ] || { echo "FAIL: a failed mlock left /dev/shm/locked-$$"; fail=1; }
	out=$(sh -c "ulimit -l 64 && exec $nocap $helper map-create /lockedmap-$$ 1000 mlock" 2>&1)
	expect_map "map with mlock under 64 KiB" -12 "$out"
	out=$(sh -c "ulimit -l 64 && exec $nocap $helper region-create /fits-$$ 16384 mlock" 2>&1)
	case $out in ok*) echo "ok: 16 KiB locked under a 64 KiB limit" ;; *) echo "FAIL: $out"; fail=1 ;; esac
fi
[ $fail = 0 ] && [ $ran = 0 ] && { echo "SKIP: nothing could be run here"; exit 77; }
exit $fail
