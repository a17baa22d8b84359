#!/bin/bash
# kill -9 at every point of a write: the next command finishes or undoes the
# interrupted write, verify passes, and nothing committed is lost.
. "$(dirname "$0")/lib.sh"

B=$T/base
c2c init "$B" --city tunis >/dev/null || exit 1
ID=$(c2c -C "$B" add actions title="Municipal Social Cell" budget_eur=1000) || exit 1
SID=$(c2c -C "$B" add stakeholders name="UN-Habitat Lebanon" kind=international) || exit 1
{
	echo "title,status,budget_eur,sdg_targets"
	for i in $(seq 1 300); do echo "Action $i,proposed,$i,\"10.7,16.6\""; done
} >"$T/actions.csv"

# crash_each NAME CHECK-NEW COMMAND...: for each fault point k of COMMAND,
# copy the base node, kill the command at k, then check the node.
crash_each() {
	name=$1 newcheck=$2
	shift 2
	rm -rf "$T/probe" && cp -a "$B" "$T/probe"
	points=$(cd "$T/probe" && C2C_TEST_KILL_AT=list "$C2C" "$@" 2>&1 >/dev/null | grep -c '^fault point')
	if [ "$points" -lt 4 ]; then not_ok "$name: only $points fault points"; return; fi
	before=$(git -C "$B/repo.git" rev-list --count main)
	for k in $(seq 1 "$points"); do
		rm -rf "$T/n" && cp -a "$B" "$T/n"
		(cd "$T/n" && exec env C2C_TEST_KILL_AT=$k "$C2C" "$@") >/dev/null 2>&1
		st=$?
		if [ $st -ne 137 ]; then not_ok "$name: point $k: exit $st, wanted a kill"; continue; fi
		# The next command repairs by itself; verify must pass.
		if ! c2c -C "$T/n" verify >"$T/v" 2>&1; then
			not_ok "$name: point $k: verify after the crash"
			sed 's/^/  | /' "$T/v" >&2
			continue
		fi
		after=$(git -C "$T/n/repo.git" rev-list --count main)
		if [ "$after" -eq $((before + 1)) ]; then
			if (cd "$T/n" && eval "$newcheck"); then ok; else not_ok "$name: point $k: committed but data missing"; fi
		elif [ "$after" -eq "$before" ]; then
			if (cd "$T/n" && eval "$newcheck") 2>/dev/null; then not_ok "$name: point $k: data without commit"; else ok; fi
		else
			not_ok "$name: point $k: $after commits"
		fi
		git -C "$T/n/repo.git" fsck --strict --no-progress >/dev/null 2>&1 || not_ok "$name: point $k: fsck"
		# And the node keeps working.
		c2c -C "$T/n" set "actions/$ID" status=approved >/dev/null 2>&1 || not_ok "$name: point $k: write after"
	done
	echo "$name: killed at each of $points points" >&2
}

crash_each set '[ "$(c2c show actions/'"$ID"' --json | grep -c "\"budget_eur\": 2,")" = 1 ]' \
	set "actions/$ID" budget_eur=2
crash_each add '[ "$(c2c ls actions title=Second --json | grep -c "\"id\"")" = 1 ]' \
	add actions title=Second
crash_each rm '! c2c show stakeholders/'"$SID"' >/dev/null 2>&1' \
	rm "stakeholders/$SID"
if "$C2C" import --help >/dev/null 2>&1 && ! "$C2C" import --help 2>&1 | grep -q 'not implemented'; then
	crash_each import '[ "$(c2c ls actions status=proposed --json | grep -c "\"id\"")" = 300 ]' \
		import actions "$T/actions.csv"
fi

# Killed inside the ref update: libgit2's refs/heads/main.lock is left
# behind. The next command removes it under the node lock and finishes.
rm -rf "$T/n" "$T/probe" && cp -a "$B" "$T/n" && cp -a "$B" "$T/probe"
k=$(cd "$T/probe" && C2C_TEST_KILL_AT=list "$C2C" set "actions/$ID" budget_eur=4 2>&1 >/dev/null |
	grep 'database committed, before ref' | sed 's/fault point \([0-9]*\).*/\1/')
{ (cd "$T/n" && exec env C2C_TEST_KILL_AT=$k "$C2C" set "actions/$ID" budget_eur=4) >/dev/null 2>&1; } 2>/dev/null
: >"$T/n/repo.git/refs/heads/main.lock"
run 0 "stale ref lock: the next command finishes the write" c2c -C "$T/n" show "actions/$ID" --json
has "$T/out" '"budget_eur": 4' "stale ref lock: the write was finished"
has "$T/err" "finished a write that was interrupted" "stale ref lock: the node says what it did"
check "stale ref lock removed" test ! -e "$T/n/repo.git/refs/heads/main.lock"
run 0 "stale ref lock: verify" c2c -C "$T/n" verify

# A killed command that held the lock does not block the next one.
rm -rf "$T/n" && cp -a "$B" "$T/n"
{ (cd "$T/n" && exec env C2C_TEST_KILL_AT=3 "$C2C" set "actions/$ID" budget_eur=3) >/dev/null 2>&1; } 2>/dev/null
run 0 "command after a kill" c2c -C "$T/n" show "actions/$ID"
finish
