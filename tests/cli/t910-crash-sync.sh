#!/bin/bash
# kill -9 at every point of a sync through a hub directory: the fetch, the
# checks and the quarantine, the merge commit, the merge applied to the
# database and the head, the push. After each: the next command finishes or
# undoes the interrupted work, verify passes, nothing committed is lost (the
# records are those before the sync or those after it, never a mix), both
# repositories pass git fsck, and a following sync converges.
. "$(dirname "$0")/lib.sh"

W=$T/w
mkdir -p "$W" && cd "$W" || exit 1
# tree NODE: the tree at NODE's head (nodes are named under $W).
tree() { git -C "$W/$1/repo.git" rev-parse 'main^{tree}'; }
# snap NODE: the node's records, as export gives them.
snap() { c2c -C "$W/$1" export actions && c2c -C "$W/$1" export stakeholders; }

c2c hub init "$W/hub.git" >/dev/null || exit 1
c2c init a --city tunis >/dev/null && c2c init b --city tunis >/dev/null || exit 1
c2c -C a remote add hub "$W/hub.git" >/dev/null && c2c -C b remote add hub "$W/hub.git" >/dev/null || exit 1
X=$(c2c -C a add actions title="Municipal Social Cell" budget_eur=1000) || exit 1
c2c -C a sync >/dev/null && c2c -C b sync >/dev/null || exit 1
# Both sides move: a merge (by field, and new records on either side).
c2c -C a set "actions/$X" budget_eur=2000 >/dev/null &&
	c2c -C a add stakeholders name="UN-Habitat Lebanon" kind=international >/dev/null &&
	c2c -C a sync >/dev/null || exit 1
c2c -C b set "actions/$X" status=completed >/dev/null &&
	c2c -C b add actions title="Second" sdg_targets=10.7,16.6 >/dev/null || exit 1
cp -a "$W" "$T/base"
cd "$T" || exit 1

# The outcome of the syncs without a crash: b merges and pushes, then a
# fast-forwards.
c2c -C "$W/b" sync >/dev/null || exit 1
snap b >"$T/b-after"
cp -a "$W" "$T/base2"
c2c -C "$W/a" sync >/dev/null || exit 1
snap a >"$T/a-after"
FINAL=$(tree a)
same "the reference syncs converge" "$(tree b)" "$FINAL"

# crash_sync NAME BASE NODE: for each fault point k of NODE's sync from the
# state BASE, kill it at k, then check NODE and the hub.
crash_sync() {
	name=$1 base=$2 nd=$3
	rm -rf "$W" && cp -a "$base" "$W"
	snap "$nd" >"$T/before"
	head0=$(git -C "$W/$nd/repo.git" rev-parse main)
	C2C_TEST_KILL_AT=list c2c -C "$W/$nd" sync 2>"$T/points" >/dev/null
	points=$(grep -c '^fault point' "$T/points")
	if [ "$points" -lt 5 ]; then not_ok "$name: only $points fault points"; return; fi
	for k in $(seq 1 "$points"); do
		what=$(sed -n "s/^fault point $k: //p" "$T/points")
		rm -rf "$W" && cp -a "$base" "$W"
		{ (cd "$W/$nd" && exec env C2C_TEST_KILL_AT=$k "$C2C" sync) >/dev/null 2>&1; } 2>/dev/null
		st=$?
		if [ $st -ne 137 ]; then not_ok "$name: point $k ($what): exit $st, wanted a kill"; continue; fi
		# The next command repairs by itself; verify must pass.
		if ! c2c -C "$W/$nd" verify >"$T/v" 2>&1; then
			not_ok "$name: point $k ($what): verify after the crash"
			sed 's/^/  | /' "$T/v" >&2
			continue
		fi
		# Nothing committed is lost: the head holds the head before the sync,
		# and the records are all of before, or all of after.
		if git -C "$W/$nd/repo.git" merge-base --is-ancestor "$head0" main; then ok; else
			not_ok "$name: point $k ($what): the head before the sync is lost"
		fi
		snap "$nd" >"$T/now"
		if cmp -s "$T/now" "$T/before" || cmp -s "$T/now" "$T/$nd-after"; then ok; else
			not_ok "$name: point $k ($what): records neither before nor after the sync"
			diff "$T/before" "$T/now" | sed 's/^/  | /' >&2
		fi
		# The next command (verify, above) dropped what a sync killed
		# between the fetch and the checks had fetched into the quarantine,
		# with the fetched refs that pointed into it: fsck is clean.
		for r in "$W/$nd/repo.git" "$W/hub.git"; do
			git -C "$r" fsck --strict --no-progress --no-dangling >"$T/fsck" 2>&1 || {
				not_ok "$name: point $k ($what): fsck of $r after the next command"
				sed 's/^/  | /' "$T/fsck" >&2
			}
		done
		ls "$W/$nd/repo.git/objects/c2c-incoming/pack" 2>/dev/null | grep -q . &&
			not_ok "$name: point $k ($what): quarantine not emptied by the next command"
		# A following sync of each node converges on the same records.
		for x in "$nd" a b "$nd"; do
			c2c -C "$W/$x" sync >"$T/out" 2>&1 || {
				not_ok "$name: point $k ($what): sync of $x after"
				sed 's/^/  | /' "$T/out" >&2
			}
		done
		same "$name: point $k ($what): a converged" "$(tree a)" "$FINAL"
		same "$name: point $k ($what): b converged" "$(tree b)" "$FINAL"
		snap b >"$T/now"
		if cmp -s "$T/now" "$T/b-after"; then ok; else not_ok "$name: point $k ($what): records after converging"; fi
		c2c -C "$W/$nd" verify >/dev/null 2>&1 || not_ok "$name: point $k ($what): verify after converging"
		for r in "$W/a/repo.git" "$W/b/repo.git" "$W/hub.git"; do
			git -C "$r" fsck --strict --no-progress --no-dangling >"$T/fsck" 2>&1 || {
				not_ok "$name: point $k ($what): fsck of $r after converging"
				sed 's/^/  | /' "$T/fsck" >&2
			}
		done
		ls "$W/$nd/repo.git/objects/c2c-incoming/pack" 2>/dev/null | grep -q . &&
			not_ok "$name: point $k ($what): quarantine not emptied by the next sync"
	done
	echo "$name: killed at each of $points points" >&2
}

crash_sync "merge and push" "$T/base" b
crash_sync "fast-forward" "$T/base2" a

# Two syncs of one node at once (autosync and a user's): the second is
# refused while the first holds the quarantine, names it, and changes
# nothing; the first completes. C2C_TEST_PAUSE_AT holds the first at the
# fetch (the node itself is unlocked there).
rm -rf "$W" && cp -a "$T/base" "$W"
snap b >"$T/before"
(cd "$W/b" && exec env C2C_TEST_PAUSE_AT="sync: fetched into quarantine, node unlocked" C2C_TEST_PAUSE_FILE="$W/b/paused" "$C2C" sync) >"$T/first" 2>&1 &
first=$!
i=0
while [ ! -e "$W/b/paused" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -e "$W/b/paused" ] || not_ok "concurrent: the first sync did not reach its pause"
# Another command meanwhile does not touch the first sync's quarantine.
c2c -C "$W/b" status >/dev/null 2>&1 || not_ok "concurrent: status during a sync"
ls "$W/b/repo.git/objects/c2c-incoming/pack" | grep -q '\.pack$' && ok ||
	not_ok "concurrent: the first sync's fetched pack was dropped by another command"
if c2c -C "$W/b" sync >"$T/second" 2>&1; then
	not_ok "concurrent: a second sync ran while the first held the quarantine"
else
	grep -q "another sync or bundle apply (pid $first)" "$T/second" && ok ||
		{ not_ok "concurrent: the refusal names the other sync"; sed 's/^/  | /' "$T/second" >&2; }
fi
rm -f "$W/b/paused"
wait $first && ok || { not_ok "concurrent: the first sync"; sed 's/^/  | /' "$T/first" >&2; }
snap b >"$T/now"
cmp -s "$T/now" "$T/b-after" && ok || not_ok "concurrent: records after the first sync"
c2c -C "$W/b" verify >/dev/null 2>&1 && ok || not_ok "concurrent: verify"
finish
