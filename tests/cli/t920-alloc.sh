#!/bin/bash
# The Nth allocation fails, for N over a write (set), a merge (sync with a
# peer by path) and a sync through a hub (merge and push). The allocator is
# tests/allocfail (LD_PRELOAD): it covers every malloc of the process, so
# SQLite's, libgit2's, jansson's and c2c's own. For each N the command
# succeeds, or fails with a clear error (exit status 1 to 127 and a message,
# no crash, no abort); afterwards verify passes, the records are those before
# the command or those after it, and the repositories pass git fsck.
# Counting starts once the libraries are initialized (fault_alloc_arm).
# libgit2 1.5.1 crashes inside itself on a few failed allocations (its
# config snapshot): those are counted apart, and the node must come through
# them as through kill -9.
#
# By default N runs over the first 40 allocations and then about 60 spread
# over the whole command; C2C_ALLOC_FULL=1 tries every N (slow: about 10,000
# per command), C2C_ALLOC_STEP=K every Kth.
. "$(dirname "$0")/lib.sh"

LIB=${C2C_FAILALLOC:-$(dirname "$C2C")/tests/allocfail/libc2c_failalloc.so}
if [ ! -f "$LIB" ] || ldd "$C2C" | grep -q 'libasan\|libtsan'; then
	echo "t920: no failing allocator for this build (sanitizer runtime or no $LIB): skipped" >&2
	finish
	exit $?
fi

W=$T/w
mkdir -p "$W" && cd "$T" || exit 1
# in_libgit2: whether the crash failalloc recorded ("PATH 0xADDR") is in
# libgit2's code: its shared object, or, linked into c2c from its archive
# (C2C_STATIC_LIBS), a function the archive defines and c2c's code does not.
nm --defined-only "$(pkg-config --variable=libdir libgit2)/libgit2.a" 2>/dev/null | awk 'NF == 3 {print $3}' |
	sort -u >"$T/lg2-fns"
nm --defined-only "$(dirname "$C2C")/libc2ccore.a" | awk 'NF == 3 {print $3}' | sort -u >"$T/own-fns"
in_libgit2() {
	local file addr fn
	read -r file addr <"$T/crash" 2>/dev/null || [ -n "$file" ] || return 1
	case $file in *libgit2*) return 0 ;; esac
	[ "$file" -ef "$C2C" ] && [ -n "$addr" ] || return 1
	fn=$(addr2line -f -e "$C2C" "$addr" | head -n 1)
	grep -qxF "$fn" "$T/lg2-fns" && ! grep -qxF "$fn" "$T/own-fns"
}
tree() { git -C "$W/$1/repo.git" rev-parse 'main^{tree}'; }
snap() { c2c -C "$W/$1" export actions && c2c -C "$W/$1" export stakeholders; }

c2c hub init "$W/hub.git" >/dev/null || exit 1
c2c init "$W/a" --city tunis >/dev/null && c2c init "$W/b" --city tunis >/dev/null || exit 1
c2c -C "$W/a" remote add hub "$W/hub.git" >/dev/null && c2c -C "$W/b" remote add hub "$W/hub.git" >/dev/null &&
	c2c -C "$W/b" remote add peer "$W/a" >/dev/null || exit 1
X=$(c2c -C "$W/a" add actions title="Municipal Social Cell" budget_eur=1000 sdg_targets=10.7) || exit 1
c2c -C "$W/a" sync >/dev/null && c2c -C "$W/b" sync >/dev/null || exit 1
c2c -C "$W/a" set "actions/$X" budget_eur=2000 >/dev/null &&
	c2c -C "$W/a" add stakeholders name="UN-Habitat Lebanon" kind=international >/dev/null &&
	c2c -C "$W/a" sync >/dev/null || exit 1
c2c -C "$W/b" set "actions/$X" status=completed sdg_targets=10.7,16.6 >/dev/null &&
	c2c -C "$W/b" add actions title="Second" >/dev/null || exit 1
rm -rf "$T/base" && cp -a "$W" "$T/base"

# alloc_each NAME NODE COMMAND...: COMMAND run in NODE with the Nth
# allocation failing, for each N tried.
alloc_each() {
	name=$1 nd=$2
	shift 2
	rm -rf "$W" && cp -a "$T/base" "$W"
	snap "$nd" >"$T/before"
	head0=$(git -C "$W/$nd/repo.git" rev-parse main)
	(cd "$W/$nd" && LD_PRELOAD=$LIB C2C_TEST_ALLOC_COUNT=$T/count "$C2C" "$@") >/dev/null 2>&1 ||
		{ not_ok "$name: fails with no allocation failing"; return; }
	total=$(cat "$T/count")
	snap "$nd" >"$T/after"
	if cmp -s "$T/before" "$T/after"; then not_ok "$name: the command changes nothing"; return; fi
	if [ -n "${C2C_ALLOC_FULL:-}" ]; then
		ns=$(seq 1 "$total")
	elif [ -n "${C2C_ALLOC_STEP:-}" ]; then
		ns=$(seq 1 "$C2C_ALLOC_STEP" "$total")
	else
		ns="$(seq 1 40) $(seq 41 $((total / 60 + 1)) "$total")"
	fi
	tried=0 failed=0 crashed=0 lg2=0
	for k in $ns; do
		tried=$((tried + 1))
		rm -rf "$W" && cp -a "$T/base" "$W"
		rm -f "$T/crash"
		{ (cd "$W/$nd" && exec env LD_PRELOAD="$LIB" C2C_TEST_FAIL_ALLOC=$k C2C_TEST_ALLOC_CRASH="$T/crash" \
			"$C2C" "$@") >"$T/out" 2>"$T/err"; } 2>/dev/null
		st=$?
		if [ $st -ge 128 ] && in_libgit2; then
			# libgit2 1.5.1 itself crashes on some failed allocations (in
			# git_config_snapshot): not c2c's to fix, but the node must
			# still come through it as through a kill.
			lg2=$((lg2 + 1))
		elif [ $st -ge 128 ] || grep -q 'Sanitizer\|Assertion' "$T/err"; then
			crashed=$((crashed + 1))
			not_ok "$name: allocation $k: exit $st (crashed in $(cat "$T/crash" 2>/dev/null)$(read -r f a <"$T/crash" 2>/dev/null
				[ "$f" -ef "$C2C" ] && echo ", $(addr2line -f -e "$C2C" "$a" | head -n 1)"))"
			sed 's/^/  | /' "$T/err" | head -20 >&2
			continue
		elif [ $st -ne 0 ]; then
			failed=$((failed + 1))
			grep -q 'error: ' "$T/err" || {
				not_ok "$name: allocation $k: exit $st without a message"
				sed 's/^/  | /' "$T/err" >&2
			}
		fi
		if ! c2c -C "$W/$nd" verify >"$T/v" 2>&1; then
			not_ok "$name: allocation $k (exit $st): verify after"
			sed 's/^/  | /' "$T/err" "$T/v" >&2
			continue
		fi
		git -C "$W/$nd/repo.git" merge-base --is-ancestor "$head0" main ||
			not_ok "$name: allocation $k: the head before is lost"
		snap "$nd" >"$T/now"
		if cmp -s "$T/now" "$T/after" || { [ $st -ne 0 ] && cmp -s "$T/now" "$T/before"; }; then ok; else
			not_ok "$name: allocation $k (exit $st): records neither before nor after"
			sed 's/^/  | /' "$T/err" >&2
			diff "$T/after" "$T/now" | sed 's/^/  | /' >&2
		fi
		for r in "$W/$nd/repo.git" "$W/hub.git"; do
			git -C "$r" fsck --strict --no-progress --no-dangling >"$T/fsck" 2>&1 || {
				not_ok "$name: allocation $k: fsck of $r"
				sed 's/^/  | /' "$T/fsck" >&2
			}
		done
	done
	echo "$name: $total allocations; failed each of $tried in turn: $failed refused with a message," \
		"$((tried - failed - crashed - lg2)) succeeded, $lg2 crashed inside libgit2 (node sound after), $crashed crashed" >&2
}

alloc_each "set" b set "actions/$X" budget_eur=3000 status=ongoing
alloc_each "merge with a peer by path" b sync peer
alloc_each "sync through a hub" b sync hub
finish
