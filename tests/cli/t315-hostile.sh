#!/bin/bash
# A hostile or careless node cannot stop the network (issue 11).
# 1. A hub by path with three node branches, one of a city the office has not
#    registered yet: every other node merges the good ones, names the held
#    one (branch, node, "not registered", commit, rule, what releases it) on
#    stderr, in sync --json and in status, exits 1 and passes verify; once
#    the office registers the node, the next sync merges it.
# 2. Forgeries of sfax's signed history made with stock git (findings 2-7
#    of the issue, and one of our own for each invariant of incoming.h not
#    covered by them), each delivered by a peer, by a bundle, by a stock git
#    push to a hub with the office key (some of them over ssh too), and by a
#    hub without the office key that took it, synced by path. Each is
#    refused naming the commit and the rule; the receiver's head and
#    database are unchanged, verify and git fsck --strict pass, and it still
#    writes and merges the good branches of the hub.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
. "$(dirname "$0")/lib-hub.sh"

cd "$T" || exit 1
GRAFT=$(dirname "$0")/graft.py
# (python3 starts slowly on a loaded machine: the helpers use git, sqlite3,
# sed and perl)
first_id() { sqlite3 -readonly "$1/c2c.db" "SELECT id FROM stakeholders WHERE name = '$2'"; }

# The office, three nodes of two cities (sfax has two), a hub by path
# without the office key (every node syncs there) and a hub with it.
hub_network "$T/hub.git" office tunis:tunis sfax:sfax sfax2:sfax rabat:rabat || exit 1
SID=$(node_id sfax)
S2ID=$(node_id sfax2)
TID=$(node_id tunis)
RID=$(node_id rabat)
c2c hub init hubk.git --office-key office/keys/id_ed25519.pub >/dev/null || exit 1
c2c -C sfax add stakeholders name=ngo kind=civil_society >/dev/null
{
	echo name,kind
	for i in $(seq 1 16); do echo "s$i,civil_society"; done
} >s.csv
c2c -C sfax import stakeholders s.csv >/dev/null
c2c -C tunis add stakeholders name=desk kind=municipal >/dev/null
c2c -C rabat add stakeholders name=rabat0 kind=municipal >/dev/null
for d in sfax sfax2; do c2c -C $d sync >/dev/null || not_ok "setup: $d syncs"; done
NGO=$(first_id sfax2 ngo)
# sfax2 edits sfax's record: its clock holds an entry of another node.
c2c -C sfax2 set "stakeholders/$NGO" name="ngo (2)" >/dev/null
for d in sfax2 sfax rabat tunis; do c2c -C $d sync >/dev/null || not_ok "setup: $d syncs"; done
SREC=$(git -C sfax/repo.git ls-tree -r --name-only main | grep "/$NGO.json\$")
check "setup: tunis holds sfax's records" grep -q '"ngo (2)"' <(c2c -C tunis ls stakeholders --json)
run 0 "setup: sfax's history goes into the hub with the office key" \
	git -C sfax/repo.git push -q "$T/hubk.git" "main:refs/heads/nodes/$SID"

# 1. A node of a city the office has not registered yet syncs with the hub
# by path (which takes it: the hub has no office key); the others go on.
c2c init oujda --city oujda --office-key office/keys/id_ed25519.pub >/dev/null || exit 1
OID=$(node_id oujda)
c2c -C oujda remote add hub "$T/hub.git" >/dev/null
c2c -C oujda add stakeholders name=oujda0 kind=municipal >/dev/null
c2c -C oujda sync >/dev/null 2>&1
check "1: the hub holds the unregistered node's branch" git -C hub.git rev-parse -q --verify "refs/heads/nodes/$OID"
c2c -C sfax2 add stakeholders name=sfax2-1 kind=municipal >/dev/null
c2c -C rabat add stakeholders name=rabat1 kind=municipal >/dev/null
for d in sfax2 rabat; do run 1 "1: $d's sync holds the unregistered branch and pushes" c2c -C $d sync; done
OTIP=$(git -C hub.git rev-parse "refs/heads/nodes/$OID")
before=$(git -C tunis/repo.git rev-parse main)
run 1 "1: tunis's sync exits 1" c2c -C tunis sync
has "$T/err" "^c2c: hub: commit [0-9a-f]{40} refused: signed by key SHA256:[^ ]+, which the office has not registered" \
	"1: stderr names the commit and the rule"
OBAD=$(sed -n 's/^c2c: hub: commit \([0-9a-f]*\) refused.*/\1/p' "$T/err" | head -1)
same "1: the refused commit is oujda's" "$(git -C oujda/repo.git log -1 --format=%cn "${OBAD:-none}" 2>/dev/null)" "$OID"
has "$T/err" "^held: hub's branch nodes/$OID \(node $OID, not registered\): nothing of it was merged; it waits for the office to register $OID .*every sync tries it again" \
	"1: stderr names the branch, node, 'not registered' and what releases it"
has "$T/out" "held: 1 branch" "1: the summary counts the held branch"
run 0 "1: the good branches were merged" c2c -C tunis ls stakeholders --json
has "$T/out" '"sfax2-1"' "1: sfax2's record arrived"
has "$T/out" '"rabat1"' "1: rabat's record arrived"
if grep -q oujda0 "$T/out"; then not_ok "1: nothing of the held branch arrived"; else ok; fi
if git -C tunis/repo.git merge-base --is-ancestor "$OBAD" main 2>/dev/null; then not_ok "1: the held commit is not in tunis's history"; else ok; fi
check "1: tunis's head moved" test "$(git -C tunis/repo.git rev-parse main)" != "$before"
same "1: tunis's head was pushed" "$(git -C hub.git rev-parse "refs/heads/nodes/$TID")" "$(git -C tunis/repo.git rev-parse main)"
run 0 "1: verify" c2c -C tunis verify
check "1: fsck --strict" git -C tunis/repo.git fsck --strict --no-progress --no-dangling
run 1 "1: sync --json exits 1" c2c -C tunis sync --json
check "1: sync --json: the remote's held list" python3 - "$T/out" "$OID" "$OBAD" "$OTIP" <<'PY'
import json, sys
r = [x for x in json.load(open(sys.argv[1])) if x["remote"] == "hub"][0]
h = r["held"]
assert len(h) == 1, h
h = h[0]
assert h["branch"] == "nodes/" + sys.argv[2] and h["node"] == sys.argv[2], h
assert h.get("city") is None, h
assert h["commit"] == sys.argv[3] and h["tip"] == sys.argv[4], h
assert "which the office has not registered" in h["rule"], h
assert "register " + sys.argv[2] in h["release"], h
PY
run 0 "1: status" c2c -C tunis status
has "$T/out" "^held +hub nodes/$OID \(node $OID, not registered\)" "1: status names remote, branch, node"
has "$T/out" "commit ${OBAD:0:12} refused: signed by key" "1: status names commit and rule"
has "$T/out" "it waits for the office to register $OID" "1: status says what releases it"
run 0 "1: status --json" c2c -C tunis status --json
check "1: status --json holds it" python3 -c '
import json,sys
h = json.load(open(sys.argv[1]))["held"]
assert len(h) == 1 and h[0]["remote"] == "hub" and h[0]["node"] == sys.argv[2] and h[0]["commit"] == sys.argv[3], h' "$T/out" "$OID" "$OBAD"
# The office registers oujda: the next sync merges the held branch.
c2c -C office node add "$OID" --city oujda oujda/keys/id_ed25519.pub >/dev/null || not_ok "1: node add oujda"
c2c -C office sync >/dev/null 2>&1
run 0 "1: once the office registered it, tunis's sync merges the held branch" c2c -C tunis sync
run 0 "1: ls" c2c -C tunis ls stakeholders --json
has "$T/out" '"oujda0"' "1: oujda's record arrived"
run 0 "1: status lists nothing held" c2c -C tunis status --json
check "1: status --json: held is empty" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["held"] == []' "$T/out"
run 0 "1: status" c2c -C tunis status
if grep -q "^held" "$T/out"; then not_ok "1: status no longer lists it"; else ok; fi
for d in sfax sfax2 rabat oujda; do c2c -C $d sync >/dev/null 2>&1 || not_ok "1: $d syncs after the registration"; done
c2c -C tunis sync >/dev/null 2>&1 || not_ok "1: tunis syncs after the registration"
run 0 "1: verify after the release" c2c -C tunis verify

# 2. Forgeries of sfax's history, each on top of sfax's main (which tunis
# holds), signed with sfax's key with stock git.
GOOD=$(git -C sfax/repo.git rev-parse main)
git -C sfax/repo.git push -q "$T/hubk.git" "main:refs/heads/nodes/$SID" || not_ok "sfax's main to the hub with the office key"
# sfax may push to the hub with the office key over ssh (a real sshd).
sshd_start "$T/sshd" || exit 1
c2c hub allow hubk.git "$SID" sfax/keys/id_ed25519.pub --authorized-keys "$SSHD_AUTHORIZED_KEYS" >/dev/null ||
	not_ok "hub allow sfax"
sign=(-c gpg.format=ssh -c user.signingkey="$T/sfax/keys/id_ed25519" -c user.name="$SID" -c user.email="$SID@c2c.invalid")
# forge NAME [NODE]: a node directory NAME holding a bare copy of NODE's
# (sfax's) repo.git, a peer to sync from; F is its repository.
forge() {
	rm -rf "${T:?}/$1"
	mkdir "$T/$1" && touch "$T/$1/c2c.db"
	git clone -q --bare "$T/${2:-sfax}/repo.git" "$T/$1/repo.git"
	F=$T/$1/repo.git
	R=$T/$1
}
# commit TREE PARENT ARGS...: a commit signed with sfax's key, ARGS its
# message (-m ...); committer and author sfax's node as c2c writes them
# (GIT_COMMITTER_NAME and the like change them).
commit() {
	local tree=$1 parent=$2
	shift 2
	git -C "$F" "${sign[@]}" commit-tree "$tree" -p "$parent" -S "$@"
}
tip() { git -C "$F" update-ref refs/heads/main "$1"; }
# put PATH FILE [MODE [TREE]]: TREE (F's main's) with PATH set to FILE's blob.
put() {
	local blob
	blob=$(git -C "$F" hash-object -w "$T/$2")
	case ${3:-100644} in
	100644 | 100755)
		GIT_INDEX_FILE=$T/idx git -C "$F" read-tree "${4:-main^{tree\}}" &&
			GIT_INDEX_FILE=$T/idx git -C "$F" -c core.bare=false --work-tree="$T/nowt" \
				update-index --add --cacheinfo "${3:-100644},$blob,$1" &&
			GIT_INDEX_FILE=$T/idx git -C "$F" write-tree
		rm -f "$T/idx"
		;;
	*) python3 "$GRAFT" "$F" "${4:-$(git -C "$F" rev-parse 'main^{tree}')}" "$1" "$3" "$blob" ;;
	esac
}
mkdir -p "$T/nowt"
# rewrite IN OUT PERL: OUT is the text of IN (a record file) changed by
# perl -0pe PERL ($S, $S2 and $TU: the node ids of sfax, sfax2, tunis).
rewrite() {
	perl -0pe "BEGIN { \$S = '$SID'; \$S2 = '$S2ID'; \$TU = '$TID' } $3" "$T/$1" >"$T/$2"
}
# An edit c2c makes: sfax sets the record's name on a copy of sfax.
good_edit() { # DIR VALUE: the record text in $T/DIR.json, DIR's main
	rm -rf "${T:?}/$1" && cp -a sfax "$T/$1"
	c2c -C "$T/$1" set "stakeholders/$NGO" name="$2" >/dev/null || not_ok "a good edit on $1"
	git -C "$T/$1/repo.git" show "main:$SREC" >"$T/$1.json"
}
good_edit sc forged
SC=$(git -C sc/repo.git rev-parse main)
git -C sfax/repo.git show "main:$SREC" >cur.json
lamport_of() { sqlite3 -readonly "$T/$1/c2c.db" "SELECT value FROM c2c_state WHERE key = 'lamport'"; }

# after_refusal WHAT BEFORE: tunis is as it was, and sound.
after_refusal() {
	same "$1: head and database unchanged" "$(state tunis)" "$2"
	run 0 "$1: verify" c2c -C tunis verify
	check "$1: fsck --strict" git -C tunis/repo.git fsck --strict --no-progress --no-dangling
}
# hubk_refuses NAME RULE BAD TIP: a stock push of F's main to the hub with
# the office key (over ssh too when SSH=1) is refused by its pre-receive
# hook (or, for a tree git itself reads as broken, by git's own fsck:
# FSCK_FIRST), naming the commit and the rule.
hubk_refuses() {
	local name=$1 rule=$2 bad=$3 ftip=$4 old
	old=$(git -C hubk.git rev-parse "refs/heads/nodes/$SID")
	run 1 "$name (hub with the office key): the push is refused" \
		git -C "$F" push -q "$T/hubk.git" "+main:refs/heads/nodes/$SID"
	case ${FSCK_FIRST:-} in
	"") has "$T/err" "commit $bad refused: $rule" "$name (hub with the office key): names the commit and the rule" ;;
	*) has "$T/err" "$FSCK_FIRST" "$name (hub with the office key): git's own fsck refuses it first" ;;
	esac
	same "$name (hub with the office key): its branch unchanged" "$(git -C hubk.git rev-parse "refs/heads/nodes/$SID")" "$old"
	# (had it taken it, the next forgeries start from sfax's own branch)
	git -C hubk.git update-ref "refs/heads/nodes/$SID" "$old"
	if git -C hubk.git cat-file -e "$ftip" 2>/dev/null; then not_ok "$name (hub with the office key): the commit is not in it"; else ok; fi
	if [ -n "${SSH:-}" ]; then
		run 1 "$name (hub with the office key, over ssh): the push is refused" \
			sshd_git "$T/sfax/keys/id_ed25519" -C "$F" push -q "$(sshd_url "$T/hubk.git")" "+main:refs/heads/nodes/$SID"
		has "$T/err" "commit $bad refused: $rule" "$name (over ssh): names the commit and the rule"
		same "$name (over ssh): its branch unchanged" "$(git -C hubk.git rev-parse "refs/heads/nodes/$SID")" "$old"
	fi
}
# deliver NAME RULE [BAD]: F's main, delivered to tunis by a peer, by a
# bundle, by a stock push to the hub with the office key (over ssh too when
# SSH=1) and through the hub by path, is refused naming the commit BAD
# (F's main by default) and the RULE (grep -E).
n_write=0
deliver() {
	local name=$1 rule=$2 bad=${3:-} ftip before old
	ftip=$(git -C "$F" rev-parse main)
	bad=${bad:-$ftip}
	# a peer
	before=$(state tunis)
	c2c -C tunis remote add "$name" "$R" >/dev/null
	run 1 "$name (peer): sync refuses" c2c -C tunis sync "$name"
	has "$T/err" "^c2c: $name: commit $bad refused: $rule" "$name (peer): names the commit and the rule"
	has "$T/err" "^held: $name's branch main \(node [^)]*\): nothing of it was merged" "$name (peer): holds the branch"
	after_refusal "$name (peer)" "$before"
	c2c -C tunis remote rm "$name" >/dev/null
	# a stock push to the hub with the office key
	hubk_refuses "$name" "$rule" "$bad" "$ftip"
	[ -n "${LIGHT:-}" ] && return
	# a bundle of F's main, made by stock git (all of it: c2c reads no thin
	# pack, which git makes for a bundle with prerequisites)
	git -C "$F" bundle create -q "$T/$name.bundle" main 2>/dev/null || not_ok "$name: git bundle create"
	run 1 "$name (bundle): apply refuses" c2c -C tunis bundle apply "$T/$name.bundle" --from "$name"
	has "$T/err" "^c2c: $name: commit $bad refused: $rule" "$name (bundle): names the commit and the rule"
	has "$T/err" "^held: $name's branch main \(node [^)]*\): nothing of it was merged" "$name (bundle): holds the branch"
	after_refusal "$name (bundle)" "$before"
	# the hub by path, which took it (a stock push, or, where git itself
	# refuses it, the objects and ref put there as c2c's push by path did
	# before issue 11): tunis holds sfax's branch, merges rabat's, and its
	# own write goes out.
	n_write=$((n_write + 1))
	c2c -C rabat add stakeholders name="rabat-$name" kind=municipal >/dev/null
	c2c -C rabat sync >/dev/null 2>&1
	git -C "$F" push -q "$T/hub.git" "+main:refs/heads/nodes/$SID" 2>/dev/null ||
		git -C hub.git fetch -q "$F" "+main:refs/heads/nodes/$SID" || not_ok "$name: into the hub by path"
	c2c -C tunis add stakeholders name="tunis-$name" kind=municipal >/dev/null || not_ok "$name: tunis writes after the refusals"
	run 1 "$name (hub by path): the sync holds sfax's branch" c2c -C tunis sync hub
	has "$T/err" "^c2c: hub: commit $bad refused: $rule" "$name (hub by path): names the commit and the rule"
	has "$T/err" "^held: hub's branch nodes/$SID \(node $SID, city sfax\): nothing of it was merged; $SID must mend its history .*every sync tries it again" \
		"$name (hub by path): names the branch, node and city, and what releases it"
	run 0 "$name (hub by path): ls" c2c -C tunis ls stakeholders --json
	has "$T/out" "\"rabat-$name\"" "$name (hub by path): rabat's branch merged"
	same "$name (hub by path): tunis's write pushed" "$(git -C hub.git rev-parse "refs/heads/nodes/$TID")" "$(git -C tunis/repo.git rev-parse main)"
	if git -C tunis/repo.git cat-file -e "$ftip" 2>/dev/null; then not_ok "$name (hub by path): nothing of it in tunis's repository"; else ok; fi
	run 0 "$name (hub by path): verify" c2c -C tunis verify
	check "$name (hub by path): fsck --strict" git -C tunis/repo.git fsck --strict --no-progress --no-dangling
	git -C hub.git update-ref "refs/heads/nodes/$SID" "$GOOD"
}

# (2) Lamport times: 2^63-1, 2^53 (over the bound 2^53-1), and five past
# what the receiver's history holds (at the hub: the parent's), which the
# hub must refuse too.
SSH=1
for c in lam-max:9223372036854775807 lam-2p53:9007199254740992 lam-jump:$(($(lamport_of tunis) + 5)); do
	IFS=: read -r name l <<<"$c"
	forge "$name"
	rewrite sc.json x.json 's/("name": \["$S", \d+, )\d+\]/${1}'"$l"']/' 
	tip "$(commit "$(put "$SREC" x.json)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
	case $name in
	lam-jump) deliver "$name" "$SREC: its edit's Lamport time $l is more than one past the [0-9]+ its history holds" ;;
	*) deliver "$name" "$SREC: .*the dot of field 'name' is not \[node, counter, lamport\], each number from 0 to 9007199254740991" ;;
	esac
	SSH=
done

# (3) A dot reused with a new value, the clock not advanced.
forge reuse
rewrite cur.json x.json 's/"name": "ngo \(2\)"/"name": "ngo (reused)"/' 
tip "$(commit "$(put "$SREC" x.json)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
SSH=1 deliver reuse "$SREC: merge: field 'name': edit \[$S2ID, 1\] carries different data in the two versions"

# I4: another node's clock entry lowered (dropped), in an edit otherwise good.
forge clock-lowered
rewrite sc.json x.json 's/,\n *"$S2": \d+//; s/\n *"$S2": \d+,//' 
tip "$(commit "$(put "$SREC" x.json)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
LIGHT=1 deliver clock-lowered "$SREC: its new version drops what its parent's version held"

# I5: the signer's own counter advanced by two.
forge counter-2
rewrite sc.json x.json 's/("$S": )(\d+)/$1.($2 + 1)/e; s/("name": \["$S", )(\d+)/$1.($2 + 1)/e'
tip "$(commit "$(put "$SREC" x.json)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
LIGHT=1 deliver counter-2 "$SREC: it moves the clock of its signer $SID from [0-9]+ to [0-9]+ \(an edit advances it by one\)"

# I5: a new dot that is not the signer's (sfax2's, at the new counter):
# sfax2's clock does not hold it, so the version is not even a record.
forge foreign-dot
rewrite sc.json x.json 's/"name": \["$S"/"name": ["$S2"/' 
tip "$(commit "$(put "$SREC" x.json)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
LIGHT=1 deliver foreign-dot "$SREC: .*the dot of field 'name', \[$S2ID, [0-9]+\], is newer than the record's clock"

# I5: a deletion whose clock is not the record's (c2c's tombstone, changed).
S1=$(first_id sfax s1)
rm -rf sd && cp -a sfax sd && c2c -C sd rm "stakeholders/$S1" >/dev/null || not_ok "rm on a copy of sfax"
S1REC=$(git -C sd/repo.git ls-tree -r --name-only main | grep "/$S1.json\$")
git -C sd/repo.git show "main:$S1REC" >tomb.json
forge del-clock
rewrite tomb.json x.json 's/(\{"$S": )(\d+)\}/$1.($2 - 1)."}"/e' 
tip "$(commit "$(put "$S1REC" x.json)" main -m "rm stakeholders/$S1" -m "C2C-Node: $SID")"
LIGHT=1 deliver del-clock "$S1REC: its deletion \[$SID, [0-9]+\] carries a clock other than the record's"

# I2: a record removed instead of tombstoned.
forge removed
GIT_INDEX_FILE=$T/idx git -C "$F" read-tree main &&
	GIT_INDEX_FILE=$T/idx git -C "$F" -c core.bare=false --work-tree="$T/nowt" update-index --force-remove "$S1REC"
tip "$(commit "$(GIT_INDEX_FILE=$T/idx git -C "$F" write-tree)" main -m "rm stakeholders/$S1" -m "C2C-Node: $SID")"
rm -f idx
LIGHT=1 deliver removed "it removes cities/sfax/stakeholders/[0-9a-f/]+(\.json)? \(records are deleted with tombstones, never removed\)"

# (4) A tree listing the same name twice: the good edit, and the old version
# beside it. (5) A record of mode 100664, 100755; a tree out of git's order.
cat >tree.py <<'PY'
import subprocess, sys
repo, tree, op = sys.argv[1:4]
git = lambda *a, data=None: subprocess.run(["git", "-C", repo, *a], input=data, capture_output=True, check=True).stdout
raw, ents, i = git("cat-file", "tree", tree), [], 0
while i < len(raw):
    sp = raw.index(b" ", i)
    nul = raw.index(b"\0", sp)
    ents.append((raw[i:sp], raw[sp + 1:nul], raw[nul + 1:nul + 21]))
    i = nul + 21
if op == "dup":
    k = [e[1] for e in ents].index(sys.argv[4].encode())
    ents.insert(k + 1, (b"100644", sys.argv[4].encode(), bytes.fromhex(sys.argv[5])))
else:
    ents.reverse()
data = b"".join(m + b" " + n + b"\0" + o for m, n, o in ents)
print(git("hash-object", "-t", "tree", "-w", "--literally", "--stdin", data=data).decode().strip())
PY
forge dup
TR=$(put "$SREC" sc.json)
D=$(dirname "$SREC")
DT=$(python3 tree.py "$F" "$(git -C "$F" rev-parse "$TR:$D")" dup "$(basename "$SREC")" "$(git -C "$F" hash-object -w "$T/cur.json")")
tip "$(commit "$(python3 "$GRAFT" "$F" "$TR" "$D" 40000 "$DT")" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
FSCK_FIRST=duplicateEntries deliver dup "the tree at $D lists '$(basename "$SREC")' (out of git's order or )?twice"
forge unsorted
tip "$(commit "$(python3 tree.py "$F" "$(put "$SREC" sc.json)" reverse)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
FSCK_FIRST=treeNotSorted deliver unsorted "the tree at the root lists '[a-z]+' out of git's order"
for m in 100664 100755; do
	forge "mode-$m"
	tip "$(commit "$(put "$SREC" sc.json $m)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
	SSH=$([ $m = 100664 ] && echo 1) deliver "mode-$m" "the tree at $D gives '$(basename "$SREC")' the mode $m"
done

# (6) Signed by sfax, named tunis: committer, author and trailer; the author
# alone; two C2C-Node trailers.
forge as-tunis
tip "$(GIT_COMMITTER_NAME=$TID GIT_COMMITTER_EMAIL=$TID@c2c.invalid GIT_AUTHOR_NAME=$TID GIT_AUTHOR_EMAIL=$TID@c2c.invalid \
	commit "$(put "$SREC" sc.json)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $TID")"
SSH=1 deliver as-tunis "its committer is '$TID <$TID@c2c.invalid>', not the node that signed it \($SID\)"
forge author-tunis
tip "$(GIT_AUTHOR_NAME=$TID GIT_AUTHOR_EMAIL=$TID@c2c.invalid \
	commit "$(put "$SREC" sc.json)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
LIGHT=1 deliver author-tunis "its author '$TID <$TID@c2c.invalid>' names a node other than the one that signed it \($SID\)"
forge two-trailers
tip "$(commit "$(put "$SREC" sc.json)" main -m "set stakeholders/$NGO: name" -m "C2C-Node: $SID
C2C-Node: $SID")"
deliver two-trailers "its C2C-Node trailer names $SID, not only the node that signed it"

# (3) A fork: tunis holds sfax's commit C1 giving the dot of 'name' one
# value; C1', on the same parent, gives the same dot another.
c2c -C sfax set "stakeholders/$NGO" name="ngo (C1)" >/dev/null
C1=$(git -C sfax/repo.git rev-parse main)
c2c -C sfax sync hub >/dev/null 2>&1 || not_ok "fork: sfax syncs"
c2c -C tunis sync hub >/dev/null 2>&1 || not_ok "fork: tunis syncs"
check "fork: tunis holds C1" git -C tunis/repo.git merge-base --is-ancestor "$C1" main
GOOD=$(git -C sfax/repo.git rev-parse main)
git -C sfax/repo.git push -q "$T/hubk.git" "main:refs/heads/nodes/$SID" || not_ok "fork: sfax's main to the hub with the office key"
forge fork
git -C "$F" show "$C1:$SREC" >c1.json
rewrite c1.json x.json 's/"ngo \(C1\)"/"ngo (C1 prime)"/' 
tip "$(commit "$(put "$SREC" x.json 100644 "$(git -C "$F" rev-parse "$C1~1^{tree}")")" "$C1~1" \
	-m "set stakeholders/$NGO: name" -m "C2C-Node: $SID")"
deliver fork "$SREC: against the version this node holds: .*"

# (7) Mass deletion. c2c itself refuses, on a copy of sfax, once the
# deletions not yet synced reach the rule, one at a time.
rm -rf sm && cp -a sfax sm
IDS=()
for i in $(seq 1 15); do IDS+=("stakeholders/$(first_id sfax "s$i")"); done
refused=0
for i in $(seq 0 14); do
	if ! c2c -C sm rm "${IDS[$i]}" >/dev/null 2>"$T/err"; then
		refused=$((i + 1))
		break
	fi
done
check "7: c2c refuses the one-at-a-time deletions once they reach the rule (at $refused)" test "$refused" -ge 10
has "$T/err" "this deletes 1 of sfax's [0-9]+ records, $((refused - 1)) more since the last sync" "7: c2c names the deletions since the last sync"
# The fifteen deletions in one commit, confirmed (c2c's), then forged.
rm -rf sc4 && cp -a sfax sc4
c2c -C sc4 rm --confirm-mass-delete "${IDS[@]}" >/dev/null || not_ok "7: rm --confirm-mass-delete"
check "7: the confirmation names the city and the count" \
	grep -qx "C2C-Confirm-Delete: sfax 15" <(git -C sc4/repo.git log -1 --format=%B main)
MC=$(git -C sc4/repo.git rev-parse main)
# fifteen commits of one deletion each, from c2c's tombstones
forge fifteen sc4
p=$GOOD
for path in $(git -C "$F" diff-tree --no-commit-id --name-only -r "$GOOD" "$MC"); do
	git -C "$F" show "$MC:$path" >tomb.json
	p=$(commit "$(put "$path" tomb.json 100644 "$p^{tree}")" "$p" \
		-m "rm stakeholders/$(basename "$path" .json)" -m "C2C-Node: $SID")
done
tip "$p"
same "7: fifteen commits" "$(git -C "$F" rev-list --count "$GOOD..main")" 15
SSH=1 deliver fifteen "it deletes 1 of sfax's [0-9]+ records \(1[0-9] with the commits before it from the same node\) without the author's confirmation" "[0-9a-f]{40}"
# one commit, its confirmation wrong: count 0, another city, outside the
# trailer block
for c in "conf-zero:C2C-Confirm-Delete: sfax 0" "conf-city:C2C-Confirm-Delete: tunis 15" ; do
	forge "${c%%:*}" sc4
	tip "$(commit "$MC^{tree}" "$GOOD" -m "rm 15 records" -m "${c#*:}
C2C-Node: $SID")"
	deliver "${c%%:*}" "it deletes 15 of sfax's [0-9]+ records .*without the author's confirmation"
done
forge conf-body sc4
tip "$(commit "$MC^{tree}" "$GOOD" -m "rm 15 records" -m "C2C-Confirm-Delete: sfax 15" -m "as agreed" -m "C2C-Node: $SID")"
deliver conf-body "it deletes 15 of sfax's [0-9]+ records .*without the author's confirmation"
# The right confirmation (c2c's own commit) is accepted.
run 0 "7: the hub with the office key takes the confirmed deletion" \
	git -C sc4/repo.git push -q "$T/hubk.git" "main:refs/heads/nodes/$SID"
c2c -C tunis remote add confirmed "$T/sc4" >/dev/null
run 0 "7: tunis takes the confirmed deletion" c2c -C tunis sync confirmed
same "7: the fifteen records are deleted at tunis" "$(c2c -C tunis ls stakeholders --json | grep -c '"name": "s[0-9]')" 1
run 0 "7: verify" c2c -C tunis verify
check "7: fsck --strict" git -C tunis/repo.git fsck --strict --no-progress --no-dangling
finish
