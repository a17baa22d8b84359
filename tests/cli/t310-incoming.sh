#!/bin/bash
# Checks on incoming commits (SPEC 7), with commits forged by stock git:
# another city's change signed by a real but wrong node, an unsigned commit,
# a merge with a change smuggled into its tree, trees with "..", ".git", a
# symlink, a 50 MB blob, a record of the wrong type, another node's clock
# entry advanced, and a mass deletion without the author's confirmation.
# Each is refused on the receiving node, naming the commit and the rule,
# with its head, database and verify unchanged; good commits before a bad
# one still arrive. A commit of many records, checked on several threads,
# is refused with the message one thread gives.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hub.sh"

cd "$T" || exit 1
GRAFT=$(dirname "$0")/graft.py

hub_network "$T/hub.git" office tunis:tunis sfax:sfax || exit 1
SID=$(node_id sfax)
TID=$(node_id tunis)
c2c -C sfax add stakeholders name=ngo kind=civil_society >/dev/null
c2c -C tunis add stakeholders name=desk kind=municipal >/dev/null
for d in sfax tunis sfax; do c2c -C $d sync >/dev/null || not_ok "setup sync $d"; done
check "setup: tunis holds sfax's record" grep -q '"ngo"' <(c2c -C tunis ls stakeholders --json)

# forge NAME: a node directory NAME holding a bare copy of sfax's repo.git
# (and an empty c2c.db, which makes it a peer to sync from) to forge in.
# (as sfax's own commits are: committer "NODE <NODE@c2c.invalid>")
sign=(-c gpg.format=ssh -c user.signingkey="$T/sfax/keys/id_ed25519" -c user.name="$SID" -c user.email="$SID@c2c.invalid")
forge() {
	rm -rf "${T:?}/$1"
	mkdir "$T/$1" && touch "$T/$1/c2c.db"
	git clone -q --bare "${2:-sfax}/repo.git" "$T/$1/repo.git"
	F=$T/$1/repo.git
	R=$T/$1
}
# commit TREE MSG [git options...]: a commit on F's main signed with sfax's key.
commit() {
	local tree=$1 msg=$2
	shift 2
	git -C "$F" "${sign[@]}" "$@" commit-tree "$tree" -p main -S -m "$msg" -m "C2C-Node: $SID"
}
# put PATH TEXT-FILE: F's main tree with PATH set to that file's blob.
put() { python3 "$GRAFT" "$F" "$(git -C "$F" rev-parse 'main^{tree}')" "$1" 100644 "$(git -C "$F" hash-object -w "$T/$2")"; }
# expect_refused NAME RULE: tunis syncs from F's main and refuses it.
expect_refused() {
	local name=$1 rule=$2 before bad
	bad=$(git -C "$F" rev-parse main)
	before=$(state tunis)
	c2c -C tunis remote add "$name" "$R" >/dev/null
	run 1 "$name: sync refuses" c2c -C tunis sync "$name"
	has "$T/err" "$name: commit $bad refused: $rule" "$name: names the remote, the commit and the rule"
	same "$name: head and database unchanged" "$(state tunis)" "$before"
	run 0 "$name: verify after the refusal" c2c -C tunis verify
	c2c -C tunis remote rm "$name" >/dev/null
	run 1 "$name: the hub with the office key refuses the push" \
		git -C "$F" push -q "$T/hubk.git" "main:refs/heads/nodes/$SID"
	# (stock git's own fsck refuses "..", ".git" and the like first)
	case $rule in "it holds an entry"*) ;; *) has "$T/err" "commit $bad refused: $rule" "$name: the hub names the rule" ;; esac
	same "$name: the hub's branch unchanged" "$(git -C hubk.git rev-parse "refs/heads/nodes/$SID")" "$HUBK"
	check "$name: the refused commit is not in the hub" not_in_hub "$bad"
}
not_in_hub() { ! git -C "$T/hubk.git" cat-file -e "$1" 2>/dev/null; }
# A hub given the office key checks every push the same way (pre-receive).
run 0 "a hub with the office key" c2c hub init hubk.git --office-key office/keys/id_ed25519.pub
check "... has a pre-receive hook" test -x hubk.git/hooks/pre-receive
run 0 "sfax's own history is accepted by it" git -C sfax/repo.git push -q "$T/hubk.git" "main:refs/heads/nodes/$SID"
HUBK=$(git -C hubk.git rev-parse "refs/heads/nodes/$SID")
# A node made without the office key learns it from the first hub it syncs
# with, prints its fingerprint and keeps it.
c2c init learner --city tunis >/dev/null
c2c -C learner remote add hubk "$T/hubk.git" >/dev/null
run 0 "a node without the office key syncs with the hub" c2c -C learner sync
check "it learns the office key from the hub" \
	grep -qF "learnt the office's key $(ssh-keygen -lf office/keys/id_ed25519.pub | cut -d' ' -f2) from hubk" "$T/err"
run 0 "a second sync" c2c -C learner sync
if grep -q learnt "$T/err"; then not_ok "the key is learnt once"; else ok; fi
check "no ref is left pointing at the key" test -z "$(git -C learner/repo.git for-each-ref refs/c2c/remotes/hubk/office-key)"
SREC=$(git -C sfax/repo.git ls-tree -r --name-only main | grep "^cities/sfax/stakeholders/" | head -1)
TREC=$(git -C sfax/repo.git ls-tree -r --name-only main | grep "^cities/tunis/stakeholders/" | head -1)
git -C sfax/repo.git show "main:$SREC" >srec.json
git -C sfax/repo.git show "main:$TREC" >trec.json

# 1. Another city's record, changed and signed by a real node of sfax.
forge wrongcity
sed 's/"name": "desk"/"name": "desk (by sfax)"/' trec.json >x.json
git -C "$F" update-ref refs/heads/main "$(commit "$(put "$TREC" x.json)" "set tunis's record")"
expect_refused wrongcity "node $SID writes $TREC, outside cities/sfax/"

# 2. Unsigned.
forge unsigned
sed 's/"name": "ngo"/"name": "ngo 2"/' srec.json >x.json
U=$(git -C "$F" -c user.name=x -c user.email=x@x commit-tree "$(put "$SREC" x.json)" -p main -m "unsigned" -m "C2C-Node: $SID")
git -C "$F" update-ref refs/heads/main "$U"
expect_refused unsigned "it is not signed"

# 3. A merge whose tree is not the merge of its parents. Its first parent is
# a good commit (made by c2c on sfax): the branch is held whole, so that one
# does not arrive by it (it comes by sfax's own sync).
c2c -C sfax set "stakeholders/$(basename "$SREC" .json)" name="ngo (good)" >/dev/null
forge smuggle
git -C "$F" update-ref refs/heads/side main
G=$(git -C "$F" rev-parse side)
sed 's/"name": "desk"/"name": "desk (smuggled)"/' trec.json >y.json
BASE=$(git -C "$F" rev-parse 'side^{tree}')
MT=$(python3 "$GRAFT" "$F" "$BASE" "$TREC" 100644 "$(git -C "$F" hash-object -w "$T/y.json")")
M=$(git -C "$F" "${sign[@]}" commit-tree "$MT" -p side -p "$(git -C tunis/repo.git rev-parse main)" -S -m "merge" -m "C2C-Node: $SID")
git -C "$F" update-ref refs/heads/main "$M"
before=$(git -C tunis/repo.git rev-parse main)
c2c -C tunis remote add smuggle "$R" >/dev/null
run 1 "smuggle: sync refuses the merge" c2c -C tunis sync smuggle
has "$T/err" "smuggle: commit $M refused: its tree is not the merge of its parents" "smuggle: names the merge and the rule"
has "$T/err" "held: smuggle's branch main \(node $SID, city sfax\): nothing of it was merged" "smuggle: the branch is held, naming its node and city"
if git -C tunis/repo.git merge-base --is-ancestor "$G" main 2>/dev/null; then not_ok "smuggle: nothing of the held branch arrives"; else ok; fi
run 0 "smuggle: show" c2c -C tunis ls stakeholders --json
if grep -q smuggled "$T/out"; then not_ok "smuggle: the smuggled change is not"; else ok; fi
run 0 "smuggle: status names the held branch" c2c -C tunis status
has "$T/out" "held +smuggle main \(node $SID, city sfax\)" "smuggle: status: remote, branch, node, city"
has "$T/out" "commit ${M:0:12} refused: its tree is not the merge" "smuggle: status: commit and rule"
run 0 "smuggle: status --json" c2c -C tunis status --json
check "smuggle: status --json holds it" python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["held"]; assert h[0]["remote"]=="smuggle" and h[0]["commit"]==sys.argv[2] and h[0]["city"]=="sfax", h' "$T/out" "$M"
run 0 "smuggle: verify" c2c -C tunis verify
c2c -C tunis remote rm smuggle >/dev/null
run 0 "smuggle: removing the remote forgets what it held" c2c -C tunis status --json
check "smuggle: nothing held" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["held"] == []' "$T/out"

# 4-7. Trees no node writes: "..", ".git", a symlink, a 50 MB blob.
DIR=$(dirname "$SREC")
BLOB=$(git -C sfax/repo.git rev-parse "main:$SREC")
for t in dotdot:..:100644 dotgit:.git:100644 dotgitcase:.GiT:100644; do
	IFS=: read -r name ent mode <<<"$t"
	forge "$name"
	git -C "$F" update-ref refs/heads/main "$(commit "$(python3 "$GRAFT" "$F" "$(git -C "$F" rev-parse 'main^{tree}')" "$DIR/$ent" "$mode" "$BLOB")" "$name")"
	expect_refused "$name" "it holds an entry named '$ent'"
done
forge symlink
git -C "$F" update-ref refs/heads/main "$(commit "$(python3 "$GRAFT" "$F" "$(git -C "$F" rev-parse 'main^{tree}')" "$SREC" 120000 "$(printf /etc/passwd | git -C "$F" hash-object -w --stdin)")" "link")"
expect_refused symlink "the tree at $(dirname "$SREC") gives '$(basename "$SREC")' the mode 120000"
forge exec
git -C "$F" update-ref refs/heads/main "$(commit "$(python3 "$GRAFT" "$F" "$(git -C "$F" rev-parse 'main^{tree}')" "$SREC" 100755 "$BLOB")" "exec")"
expect_refused exec "the tree at $(dirname "$SREC") gives '$(basename "$SREC")' the mode 100755"
forge big
head -c 50M /dev/zero >big.bin
git -C "$F" update-ref refs/heads/main "$(commit "$(put "$SREC" big.bin)" "big")"
rm -f big.bin
expect_refused big "$SREC is 52428800 bytes"

# 8. A record of the wrong type: a text field holding a number.
forge wrongtype
sed 's/"name": "ngo"/"name": 7/' srec.json >x.json
git -C "$F" update-ref refs/heads/main "$(commit "$(put "$SREC" x.json)" "wrong type")"
expect_refused wrongtype "$SREC: field 'name' is not of type"
forge notjson
printf '{"name": \n' >x.json
git -C "$F" update-ref refs/heads/main "$(commit "$(put "$SREC" x.json)" "not json")"
expect_refused notjson "$SREC is not a record"
# ... but a value outside this node's allowed set is kept (a newer node's):
# a record added by c2c (on a copy of sfax), its value then changed as a
# newer node could have written it (the same edit, another value).
rm -rf sfaxcopy && cp -a sfax sfaxcopy
NEWID=$(c2c -C sfaxcopy add stakeholders name=coop kind=national)
forge newenum sfaxcopy
NREC=$(git -C "$F" ls-tree -r --name-only main | grep "/$NEWID.json\$")
git -C "$F" show "main:$NREC" | sed 's/"kind": "national"/"kind": "cooperative"/' >x.json
git -C "$F" update-ref refs/heads/main "$(git -C "$F" "${sign[@]}" commit-tree "$(put "$NREC" x.json)" -p main~1 -S -m "add" -m "C2C-Node: $SID")"
c2c -C tunis remote add newenum "$R" >/dev/null
run 0 "newenum: a value outside the allowed set is accepted" c2c -C tunis sync newenum
check "newenum: the value is kept as it came" grep -q '"kind": "cooperative"' <(git -C tunis/repo.git show "main:$NREC")
c2c -C tunis remote rm newenum >/dev/null

# 9. Another node's clock entry advanced.
forge clock
git -C "$F" show "main:$SREC" >cur.json
python3 - "$TID" "$T/cur.json" >x.json <<'PY'
import sys
t = open(sys.argv[2]).read()
i = t.index('"clock": {\n') + len('"clock": {\n')
j = t.index('\n', i)
print(t[:j] + ',\n      "%s": 99' % sys.argv[1] + t[j:], end="")
PY
git -C "$F" update-ref refs/heads/main "$(commit "$(put "$SREC" x.json)" "clock")"
expect_refused clock "$SREC: it advances the clock of node $TID"

# 10. Mass deletion: sfax deletes most of its records in one commit. c2c
# asks for the confirmation; a forged commit without it is refused.
for i in $(seq 1 14); do c2c -C sfax add stakeholders name=s$i kind=civil_society >/dev/null; done
IDS=$(c2c -C sfax ls stakeholders --json | python3 -c 'import json,sys; print(" ".join("stakeholders/"+r["id"] for r in json.load(sys.stdin) if r["city"] == "sfax"))')
c2c -C sfax sync >/dev/null && c2c -C tunis sync >/dev/null
# shellcheck disable=SC2086
run 1 "rm of most records asks for confirmation" c2c -C sfax rm $IDS
has "$T/err" "--confirm-mass-delete" "... naming the flag"
# shellcheck disable=SC2086
run 0 "rm with the confirmation" c2c -C sfax rm --confirm-mass-delete $IDS
check "the confirmation is in the signed commit" \
	git -C sfax/repo.git log -1 --format=%B main | grep -q "^C2C-Confirm-Delete: 15"
forge massdel
# the same deletion, its message without the confirmation, signed again
TR=$(git -C sfax/repo.git rev-parse 'main^{tree}')
git -C "$F" fetch -q "$T/sfax/repo.git" main
git -C "$F" update-ref refs/heads/main "$(git -C "$F" "${sign[@]}" commit-tree "$TR" -p "$(git -C sfax/repo.git rev-parse main~1)" -S -m "rm 15 records" -m "C2C-Node: $SID")"
expect_refused massdel "it deletes 15 of sfax's"
c2c -C sfax sync >/dev/null
run 0 "the confirmed deletion is accepted" c2c -C tunis sync
same "tunis holds sfax's deletions" "$(c2c -C tunis ls stakeholders --json | grep -c '"name": "s[0-9]')" 0

# 11. Many records in one commit are checked on several threads: the
# answer, and the record it names, are those of one thread checking them in
# order (the first of two bad records, wherever the threads meet them).
awk 'BEGIN { print "name,kind"; for (i = 1; i <= 700; i++) printf "many %d,civil_society\n", i }' >many.csv
run 0 "sfax imports 700 records in one commit" c2c -C sfax import stakeholders many.csv
MANY=$(git -C sfax/repo.git rev-parse main)
forge many
mapfile -t MP < <(git -C "$F" diff-tree -r --name-only "$MANY^" "$MANY")
same "the commit adds 700 records" "${#MP[@]}" 700
TR=$(git -C "$F" rev-parse "$MANY^{tree}")
for at in 300 650; do
	git -C "$F" show "$MANY:${MP[$at]}" | sed 's/"name": "many [0-9]*"/"name": 7/' >x.json
	TR=$(python3 "$GRAFT" "$F" "$TR" "${MP[$at]}" 100644 "$(git -C "$F" hash-object -w "$T/x.json")")
done
git -C "$F" update-ref refs/heads/main "$MANY^"
git -C "$F" update-ref refs/heads/main "$(commit "$TR" "700 records, two of the wrong type")"
# refused_on_threads NAME RULE WHAT: tunis syncs F's main as the remote
# NAME on 1 and on 4 threads, and refuses it by RULE both times, alike
refused_on_threads() {
	local bad threads
	bad=$(git -C "$F" rev-parse main)
	for threads in 1 4; do
		c2c -C tunis remote add "$1" "$R" >/dev/null
		C2C_CHECK_THREADS=$threads run 1 "$1, on $threads thread(s): sync refuses" c2c -C tunis sync "$1"
		has "$T/err" "$1: commit $bad refused: $2" "$1, on $threads thread(s): $3"
		cp "$T/err" "$1-$threads.err"
		c2c -C tunis remote rm "$1" >/dev/null
	done
	check "$1: the same message on 1 and 4 threads" cmp "$1-1.err" "$1-4.err"
}
refused_on_threads many "${MP[300]}: field 'name' is not of type" "names the first bad record in the tree's order"
# One record, the first of the second block of 64 the threads take, with
# its edit a Lamport time lower than the others': fine alone (a thread
# that starts there takes its time as the commit's), wrong beside them.
# The commit is refused as one thread refuses it, naming that record.
git -C "$F" show "$MANY:${MP[64]}" | perl -pe 's/(\["[^"]+", \d+, )(\d+)\]/$1.($2 - 1)."]"/ge' >x.json
LOW=$(sed -n 's/.*"name": \["[^"]*", [0-9]*, \([0-9]*\)\].*/\1/p' x.json)
TR=$(python3 "$GRAFT" "$F" "$(git -C "$F" rev-parse "$MANY^{tree}")" "${MP[64]}" 100644 "$(git -C "$F" hash-object -w "$T/x.json")")
git -C "$F" update-ref refs/heads/main "$MANY^"
git -C "$F" update-ref refs/heads/main "$(commit "$TR" "700 records, one of them a Lamport time lower")"
refused_on_threads low "${MP[64]}: its edit's Lamport time $LOW is not the commit's \\($((LOW + 1))\\)" \
	"names the record and the two times"
c2c -C sfax sync >/dev/null
C2C_CHECK_THREADS=4 C2C_PROGRESS=1 C2C_PROGRESS_AFTER_MS=0 run 0 \
	"sfax's good commit of 700 records passes on 4 threads" c2c -C tunis sync
tr '\r' '\n' <"$T/err" >progress.txt
check "... showing the records checked, to the last" grep -q "^checking records: 700/700 (100%)" progress.txt
check "... and the rows written" grep -q "^writing rows: 512$" progress.txt
same "tunis holds them" "$(c2c -C tunis ls stakeholders --json | grep -c '"name": "many ')" 700
run 0 "verify after them" c2c -C tunis verify

check "fsck --strict on the receiver" git -C tunis/repo.git fsck --strict --no-progress
finish
