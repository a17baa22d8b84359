#!/bin/bash
# Beyond one hub: two regional hubs (one in Tunis, one at the office), both
# made with the office key, nodes on either, by path. The network converges
# through them in the two ways the README describes:
#  (a) the office relays: it has both hubs as remotes and its sync takes
#      each hub's branches and pushes its main to both;
#  (b) the hubs mirror each other with stock git: each pushes its nodes'
#      branches to the other (`git push OTHER 'refs/heads/nodes/*:...'`),
#      through the other's receive-pack, so its hooks check every commit as
#      they check a node's push; `git push --mirror` is refused (it would
#      delete the other hub's own branches), and so is a branch that is not
#      a fast-forward.
# With a conflict made on both sides (two nodes of one city, one on each
# hub, edit one field), every node ends with the same tree, the same
# records and the same open conflict, and `git fsck --strict` passes on both
# hubs.
. "$(dirname "$0")/lib.sh"
README=$(cd "$(dirname "$0")/../.." && pwd)/README.md

cd "$T" || exit 1
node_id() { c2c -C "$1" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["node_id"])'; }
tree() { git -C "$1/repo.git" rev-parse 'main^{tree}'; }
refs() { git -C "$1" for-each-ref --format='%(refname) %(objectname)'; }
# git fsck --strict: clean but for the unborn HEAD every hub has (t200).
fsck_clean() {
	git -C "$1" fsck --strict --no-progress --no-dangling >"$T/fsck" 2>&1 &&
		! grep -v '^notice: HEAD points to an unborn branch' "$T/fsck"
}
# all_same WHAT CMD...: CMD NODE prints the same on every node.
NODES="office tunis1 tunis2 rabat"
all_same() {
	d=$1
	shift
	first=$("$@" office)
	[ -n "$first" ] || not_ok "$d: nothing on the office"
	for x in $NODES; do
		same "$d: $x as the office" "$("$@" "$x")" "$first"
	done
}
actions() { c2c -C "$1" ls actions --json; }
# mirror FROM TO: the README's hub_mirror, run on hub FROM's machine: push to
# hub TO each node branch TO lacks or holds at an older commit.
eval "$(sed -n '/^hub_mirror() {/,/^}/p' "$README")"
type hub_mirror >/dev/null 2>&1 || {
	echo "FAIL: no hub_mirror function in $README" >&2
	exit 1
}
mirror() { hub_mirror "$@"; }
conflicts() { c2c -C "$1" conflicts --json; }
title_of() { c2c -C "$1" ls actions --json | grep -c "\"$2\""; }

# --- two hubs, the office on both ---------------------------------------------
c2c init office --office >/dev/null || exit 1
OKEY=$T/office/keys/id_ed25519.pub
run 0 "the Tunis hub" c2c hub init hub-tunis.git --office-key "$OKEY"
run 0 "the office's hub" c2c hub init hub-office.git --office-key "$OKEY"
HT=$(cd hub-tunis.git && pwd -P)
HO=$(cd hub-office.git && pwd -P)
run 0 "the office adds the Tunis hub" c2c -C office remote add tunis-hub "$HT"
run 0 "... and its own" c2c -C office remote add office-hub "$HO"

# Two nodes of one city, one on each hub, and a city on the office's hub.
c2c init tunis1 --city tunis --office-key "$OKEY" >/dev/null || exit 1
c2c init tunis2 --city tunis --office-key "$OKEY" >/dev/null || exit 1
c2c init rabat --city rabat --office-key "$OKEY" >/dev/null || exit 1
for x in tunis1 tunis2 rabat; do
	city=${x%[0-9]}
	run 0 "the office registers $x" c2c -C office node add "$(node_id $x)" --city "$city" "$x/keys/id_ed25519.pub"
done
run 0 "the office syncs with both hubs" c2c -C office sync
same "its branch is on the Tunis hub" "$(git -C "$HT" rev-parse "refs/heads/nodes/$(node_id office)")" \
	"$(git -C office/repo.git rev-parse main)"
same "... and on its own" "$(git -C "$HO" rev-parse "refs/heads/nodes/$(node_id office)")" \
	"$(git -C office/repo.git rev-parse main)"
run 0 "tunis1 is on the Tunis hub" c2c -C tunis1 remote add hub "$HT"
run 0 "tunis2 and rabat on the office's" c2c -C tunis2 remote add hub "$HO"
run 0 "... rabat" c2c -C rabat remote add hub "$HO"

# --- (a) the office relays ---------------------------------------------------------
run 0 "tunis1 adds an action" c2c -C tunis1 add actions title="Reception desk" status=ongoing
ID=$(c2c -C tunis1 ls actions --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
run 0 "rabat adds one" c2c -C rabat add actions title="Language classes" status=proposed
run 0 "tunis1 syncs with the Tunis hub" c2c -C tunis1 sync
run 0 "rabat syncs with the office's hub" c2c -C rabat sync
run 0 "the office relays" c2c -C office sync
same "the office holds both" "$(title_of office "Reception desk")$(title_of office "Language classes")" 11
run 0 "tunis2 syncs with the office's hub" c2c -C tunis2 sync
same "tunis2 holds tunis1's action, relayed" "$(title_of tunis2 "Reception desk")" 1
run 0 "tunis1 syncs again" c2c -C tunis1 sync
same "tunis1 holds rabat's action, relayed" "$(title_of tunis1 "Language classes")" 1

# A conflict across the hubs: both tunis nodes set one field of one record.
run 0 "tunis1 sets the status" c2c -C tunis1 set "actions/$ID" status=completed
run 0 "tunis2 sets it otherwise" c2c -C tunis2 set "actions/$ID" status=cancelled
for x in tunis1 tunis2 rabat office tunis1 tunis2 rabat office; do
	run 0 "$x syncs" c2c -C "$x" sync
done
all_same "one tree" tree
all_same "the same actions" actions
all_same "the same conflicts" conflicts
same "the conflict is open" "$(conflicts office | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
run 0 "verify on tunis2" c2c -C tunis2 verify
check "git fsck --strict on the Tunis hub" fsck_clean "$HT"
check "git fsck --strict on the office's hub" fsck_clean "$HO"

# --- (b) the hubs mirror each other with stock git ------------------------------------
run 0 "tunis1 resolves the conflict" c2c -C tunis1 resolve "actions/$ID" status --keep 1
run 0 "tunis1 adds an action" c2c -C tunis1 add actions title="Housing fund" status=approved
run 0 "tunis1 syncs with the Tunis hub" c2c -C tunis1 sync
run 0 "rabat adds one" c2c -C rabat add actions title="Job fair" status=proposed
run 0 "rabat syncs with the office's hub" c2c -C rabat sync
# From the Tunis hub's machine (a cron job), both ways.
run 0 "the Tunis hub gives the office's what it lacks" mirror "$HT" "$HO"
run 0 "... and the office's hub gives Tunis what it lacks" mirror "$HO" "$HT"
same "the two hubs hold the same branches" "$(refs "$HT")" "$(refs "$HO")"
run 0 "tunis2 syncs with the office's hub only" c2c -C tunis2 sync
same "tunis2 holds tunis1's new action, mirrored" "$(title_of tunis2 "Housing fund")" 1
same "... and the resolution" "$(conflicts tunis2)" "[]"
run 0 "tunis1 syncs with the Tunis hub only" c2c -C tunis1 sync
same "tunis1 holds rabat's new action, mirrored" "$(title_of tunis1 "Job fair")" 1

# What a mirror may not do: delete the other hub's branches, or rewind one.
run 0 "a node only the office's hub knows" c2c init sousse --city sousse --office-key "$OKEY"
run 0 "... registered" c2c -C office node add "$(node_id sousse)" --city sousse sousse/keys/id_ed25519.pub
run 0 "... the office syncs" c2c -C office sync
run 0 "sousse syncs with the office's hub" c2c -C sousse remote add hub "$HO"
run 0 "... its first sync" c2c -C sousse sync
NODES="$NODES sousse"
run 1 "git push --mirror is refused: it would delete sousse's branch" git -C "$HT" push --mirror "$HO"
check "sousse's branch stays" git -C "$HO" rev-parse -q --verify "refs/heads/nodes/$(node_id sousse)"
BEFORE=$(refs "$HO")
G=$(git -C "$HT" rev-parse "refs/heads/nodes/$(node_id tunis1)~1")
run 1 "a rewound branch is refused" git -C "$HT" push "$HO" "+$G:refs/heads/nodes/$(node_id tunis1)"
has "$T/err" "non-fast-forward|not a fast-forward" "the refusal says why"
# A commit that fails the checks is refused from a hub as from a node.
FORGED=$(GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@example GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x@example \
	git -C "$HT" commit-tree -p "refs/heads/nodes/$(node_id tunis1)" -m forged \
	"refs/heads/nodes/$(node_id tunis1)^{tree}")
run 1 "an unsigned commit is refused from the other hub" git -C "$HT" push "$HO" \
	"$FORGED:refs/heads/nodes/$(node_id tunis1)"
same "the office's hub is unchanged" "$(refs "$HO")" "$BEFORE"

# Everything converges: each node syncs with its own hub, the hubs mirror.
for round in 1 2; do
	for x in tunis1 tunis2 rabat sousse office; do
		run 0 "round $round: $x syncs" c2c -C "$x" sync
	done
	run 0 "round $round: Tunis to the office's hub" mirror "$HT" "$HO"
	run 0 "round $round: the office's hub to Tunis" mirror "$HO" "$HT"
done
all_same "one tree at the end" tree
all_same "the same actions at the end" actions
all_same "no conflict left" conflicts
same "four actions" "$(actions office | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 4
for x in $NODES; do
	run 0 "verify on $x" c2c -C "$x" verify
done
# A new hub, filled by one mirror push: every branch passes its checks.
run 0 "a third hub" c2c hub init hub-new.git --office-key "$OKEY"
run 0 "the Tunis hub fills it" mirror "$HT" "$T/hub-new.git"
same "it holds every node's branch" "$(refs "$T/hub-new.git" | grep nodes/)" "$(refs "$HT" | grep nodes/)"
check "git fsck --strict on the new hub" fsck_clean "$T/hub-new.git"
check "git fsck --strict on the Tunis hub at the end" fsck_clean "$HT"
check "git fsck --strict on the office's hub at the end" fsck_clean "$HO"

finish
