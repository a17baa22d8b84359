#!/bin/bash
# The merge-base shortcut of c2c merge-tree (mergetree_join_base: a subtree
# one side holds as the merge base does is the other side's, taken whole)
# gives the tree of the join without a base, on histories the nodes make.
#
# Three nodes of one city and a hub, for a few seeds (bash RANDOM=seed):
# random rounds of writes (a status, a budget, a set field, deletions,
# new records), with edits of a few records on every node so that fields
# conflict and deletions meet edits, then syncs in a random order, so that
# merges meet merges (criss-cross: several merge bases). Each merge commit
# a sync made holds the join of its parents computed without a base (and
# checked so by every node that received it, incoming.h I7); for every one
# of them (all reach node a), `c2c merge-tree` of its parents (which takes
# the shortcut) must print that very tree, in both orders, as must the
# join of parentless copies of the parents (no base). The shortcut must
# have spared opening records, and the nodes agree.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
SEEDS=${C2C_MERGE_BASE_SEEDS:-2}
NODES="a b c"

ids() { c2c -C "$1" ls actions --json | sed -n 's/^ *"id": "\([^"]*\)".*/\1/p'; }
pick() { # a random line of stdin
	awk -v r="$RANDOM" '{l[NR] = $0} END {if (NR) print l[r % NR + 1]}'
}
# one random write on node N; the first records (by id) most of the time,
# so that the nodes' edits meet
write_one() {
	n=$1
	if [ $((RANDOM % 4)) = 0 ]; then id=$(ids "$n" | pick); else id=$(ids "$n" | head -n 4 | pick); fi
	case $((RANDOM % 8)) in
	0 | 1) c2c -C "$n" set "actions/$id" "status=$(printf 'approved\nongoing\ncompleted\n' | pick)" ;;
	2 | 3) c2c -C "$n" set "actions/$id" "budget_eur=$((RANDOM % 9000))" ;;
	4) c2c -C "$n" set "actions/$id" "sdg_targets=$(printf '10.7\n16.6\n5.1\n10.7,5.1\n16.6,10.7\n' | pick)" ;;
	5) c2c -C "$n" rm "actions/$id" ;;
	*) c2c -C "$n" add actions "title=Action $RANDOM of $n" status=proposed >/dev/null ;;
	esac >/dev/null 2>"$T/err" || { [ "$(ids "$n" | wc -l)" -lt 3 ] || { not_ok "write on $n"; cat "$T/err" >&2; }; }
}

# opened COMMIT COMMIT on node N: the records the join opened (joined or
# taken one by one), from merge-tree --json
opened() {
	c2c -C "$1" --json merge-tree "$2" "$3" >"$T/json" || not_ok "merge-tree --json on $1"
	field() { sed -n "s/^ *\"$1\": \"*\([0-9a-f]*\).*/\1/p" "$T/json"; }
	echo "$(field tree) $(($(field joined) + $(field taken)))"
}
# every merge commit on node N: merge-tree of its parents is its tree, in
# both orders, and so is the join without a base (of parentless copies of
# the parents); the shortcut opens fewer records (sums in $T/fewer)
check_merges() {
	for m in $(git -C "$1/repo.git" rev-list --merges main); do
		want=$(git -C "$1/repo.git" rev-parse "$m^{tree}")
		same "$1: merge-tree of $m's parents" "$(c2c -C "$1" merge-tree "$m^1" "$m^2")" "$want"
		read -r t2 with <<EOF2
$(opened "$1" "$m^2" "$m^1")
EOF2
		same "$1: the other way round" "$t2" "$want"
		p1=$(git -C "$1/repo.git" commit-tree -m p1 "$m^1^{tree}") &&
			p2=$(git -C "$1/repo.git" commit-tree -m p2 "$m^2^{tree}") || not_ok "commit-tree"
		read -r t3 without <<EOF2
$(opened "$1" "$p2" "$p1")
EOF2
		same "$1: the join without a base" "$t3" "$want"
		[ "$with" -le "$without" ] || not_ok "$1: the shortcut opened more records ($with) than the join ($without)"
		[ "$with" -lt "$without" ] && echo x >>"$T/fewer"
	done
}

for seed in $(seq 1 "$SEEDS"); do
	RANDOM=$seed
	d=$T/s$seed
	mkdir -p "$d" && cd "$d" || exit 1
	c2c hub init hub.git >/dev/null || exit 1
	printf 'title,status,budget_eur,sdg_targets\n' >seed.csv
	for i in $(seq 1 40); do printf 'Action %d,ongoing,%d,10.7\n' "$i" $((i * 100)) >>seed.csv; done
	for n in $NODES; do
		c2c init "$n" --city tunis >/dev/null && c2c -C "$n" remote add hub "$d/hub.git" >/dev/null || exit 1
	done
	c2c -C a import actions seed.csv >/dev/null || exit 1
	for n in $NODES; do c2c -C "$n" sync >/dev/null || not_ok "first sync of $n"; done
	for round in 1 2 3 4; do
		for n in $NODES; do
			for k in $(seq 1 $((RANDOM % 3 + 1))); do write_one "$n"; done
		done
		for n in $(printf '%s\n' $NODES | awk -v r="$RANDOM" 'BEGIN {srand(r)} {print rand() "\t" $0}' | sort |
			cut -f2); do
			c2c -C "$n" sync >/dev/null 2>"$T/err" || { not_ok "seed $seed round $round: sync of $n"; cat "$T/err" >&2; }
		done
	done
	for n in $NODES; do c2c -C "$n" sync >/dev/null || not_ok "last sync of $n"; done
	for n in $NODES; do c2c -C "$n" sync >/dev/null || not_ok "last sync of $n"; done
	same "seed $seed: a and b agree" "$(head_of a '^{tree}')" "$(head_of b '^{tree}')"
	same "seed $seed: a and c agree" "$(head_of a '^{tree}')" "$(head_of c '^{tree}')"
	check_merges a # every merge reached a: its history holds them all
	echo "seed $seed: $(git -C a/repo.git rev-list --merges main | wc -l) merges on a" >&2
done
check "the shortcut spared opening records" [ -s "$T/fewer" ]

finish
