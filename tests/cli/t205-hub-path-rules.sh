#!/bin/bash
# A hub by path keeps the same rules as over ssh (SPEC 7: "a hub refuses what
# fails its rules whatever the transport"): `c2c sync` with a hub that is a
# path on this machine pushes through the hub's own git receive-pack, so
# that its quarantine, receive.fsckObjects, the update hook (ref rule,
# fast-forward only) and, with the office key, the pre-receive hook (every
# node's incoming checks) all run. A node the office has not registered yet
# is refused, by path and over ssh, and told what to do; the other nodes
# sync as before; the hub stays clean for `git fsck --strict`. A broken
# object in a hub by path stops a first sync, which keeps nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"

cd "$T" || exit 1
not_in() { ! git -C "$1" cat-file -e "$2" 2>/dev/null; }
says() { # DESCRIPTION TEXT: the last command's stderr holds TEXT, as is
	if grep -qF -- "$2" "$T/err"; then ok; else
		not_ok "$1: '$2' not in the error"
		sed 's/^/  | /' "$T/err" >&2
	fi
}
# git fsck --strict: clean but for the unborn HEAD every hub has (t200).
fsck_clean() {
	git -C "$1" fsck --strict --no-progress --no-dangling >"$T/fsck" 2>&1 &&
		! grep -v '^notice: HEAD points to an unborn branch' "$T/fsck"
}

c2c init office --office >/dev/null || exit 1
OKEY=$T/office/keys/id_ed25519.pub
c2c hub init hubk.git --office-key "$OKEY" >/dev/null || exit 1
HUBK=$(cd hubk.git && pwd -P)
c2c -C office remote add hub "$HUBK" >/dev/null && c2c -C office sync >/dev/null || exit 1
c2c init tunis --city tunis --office-key "$OKEY" >/dev/null || exit 1
TID=$(node_id tunis)
c2c -C office node add "$TID" --city tunis tunis/keys/id_ed25519.pub >/dev/null && c2c -C office sync >/dev/null ||
	exit 1
c2c -C tunis remote add hub "$HUBK" >/dev/null || exit 1
c2c -C tunis add actions title="Municipal Social Cell" >/dev/null || exit 1
run 0 "a registered node syncs with the hub by path" c2c -C tunis sync
same "its branch is on the hub" "$(git -C hubk.git rev-parse "refs/heads/nodes/$TID")" "$(head_of tunis)"

# --- (a) a node the office has not registered yet -------------------------------
c2c init sfax --city sfax --office-key "$OKEY" >/dev/null || exit 1
SID=$(node_id sfax)
SDIR=$(cd sfax && pwd -P)
c2c -C sfax remote add hub "$HUBK" >/dev/null || exit 1
c2c -C sfax add actions title="Reception desk" >/dev/null || exit 1
BEFORE=$(refs hubk.git)
run 1 "a node not registered yet: its push by path is refused" c2c -C sfax sync
says "the hub says why" "which the office has not registered"
says "the node is told what to send" \
	"hint: the office has not registered this node yet: send its node id ($SID) and its public key ($SDIR/keys/id_ed25519.pub) to the office"
says "... and what the office runs" "c2c node add $SID --city sfax"
same "the hub's refs are unchanged" "$(refs hubk.git)" "$BEFORE"
check "none of its commits reached the hub" not_in hubk.git "$(head_of sfax)"
run 0 "every other node still syncs" c2c -C tunis sync
run 0 "... and the office too" c2c -C office sync
run 0 "the office registers it" c2c -C office node add "$SID" --city sfax sfax/keys/id_ed25519.pub
run 0 "... and syncs with the hub" c2c -C office sync
run 0 "the node's next sync pushes" c2c -C sfax sync
same "its branch is on the hub" "$(git -C hubk.git rev-parse "refs/heads/nodes/$SID")" "$(head_of sfax)"
run 0 "the others merge it" c2c -C tunis sync
check "tunis holds sfax's record" grep -q "Reception desk" <(c2c -C tunis ls actions --json)
# Each sync reads every fetched ref (one per node of the network): they
# are kept in packed-refs, one file, where stock git reads them too.
loose=$(find tunis/repo.git/refs/c2c/remotes/hub -type f | wc -l)
[ "$loose" -le 1 ] && ok || not_ok "$loose fetched refs of tunis are loose files, not packed"
same "stock git lists every branch of the hub among tunis's fetched refs" \
	"$(git -C tunis/repo.git for-each-ref --format='%(objectname) %(refname)' refs/c2c/remotes/hub/nodes | sed 's|refs/c2c/remotes/hub/|refs/heads/|')" \
	"$(git -C hubk.git for-each-ref --format='%(objectname) %(refname)' refs/heads/nodes)"
run 0 "tunis's node is whole" c2c -C tunis verify

# --- (b) fast-forward only -------------------------------------------------------
# A copy of tunis's node (restored from a backup, say) writes on; its sync
# stops before the push while the original pushes: the copy's main no
# longer contains the hub's branch.
cp -a tunis tunis2
c2c -C tunis2 add actions title="Written on the copy" >/dev/null || exit 1
(C2C_TEST_PAUSE_AT="sync: before push" C2C_TEST_PAUSE_FILE=$T/pause c2c -C tunis2 sync >"$T/out2" 2>"$T/err2"
	echo $? >"$T/st2") &
for _ in $(seq 1 600); do [ -e "$T/pause" ] && break; sleep 0.1; done
check "the copy's sync is paused before its push" test -e "$T/pause"
c2c -C tunis add actions title="Written on the original" >/dev/null || exit 1
run 0 "the original pushes" c2c -C tunis sync
AFTER=$(refs hubk.git)
rm -f "$T/pause"
wait
same "the copy's push is refused" "$(cat "$T/st2")" 1
check "... as a non-fast-forward" grep -q "non-fast-forward" "$T/err2"
same "the hub keeps the original's branch" "$(refs hubk.git)" "$AFTER"

# --- (c) the ref rule --------------------------------------------------------------
# By path, c2c tells the hub's update hook which node pushes, as the hub's
# key line does over ssh (C2C_HUB_NODE). A wrapper of the hook records it.
mv hubk.git/hooks/update hubk.git/hooks/update.c2c
cat >hubk.git/hooks/update <<EOF
#!/bin/sh
echo "\$C2C_HUB_NODE \$1" >>'$T/update.log'
exec "\$(dirname "\$0")/update.c2c" "\$@"
EOF
chmod +x hubk.git/hooks/update
c2c -C tunis add actions title="Third" >/dev/null || exit 1
# (a C2C_HUB_NODE in the pusher's own environment is not passed on)
run 0 "tunis pushes by path" env C2C_HUB_NODE="$SID" "$C2C" -C tunis sync
same "the update hook ran, for tunis's own branch, as tunis" "$(cat "$T/update.log" 2>/dev/null)" \
	"$TID refs/heads/nodes/$TID"
mv hubk.git/hooks/update.c2c hubk.git/hooks/update
# What that rule refuses, with stock git by path as the hook sees it.
BEFORE=$(refs hubk.git)
run 1 "tunis may not push sfax's branch" env C2C_HUB_NODE="$TID" git -C tunis/repo.git push "$HUBK" \
	"main:refs/heads/nodes/$SID"
says "the rule is named" "node $TID may only push refs/heads/nodes/$TID, not refs/heads/nodes/$SID"
same "the hub's refs are unchanged" "$(refs hubk.git)" "$BEFORE"

# --- (d) git's object checks ---------------------------------------------------------
# A tree that lists the same name twice (made with git hash-object
# --literally), in a commit put on a node's main with stock git and
# accepted by 'c2c repair': receive.fsckObjects refuses it.
c2c hub init hubp.git >/dev/null || exit 1
HUBP=$(cd hubp.git && pwd -P)
c2c init forger --city sousse >/dev/null || exit 1
c2c -C forger remote add hub "$HUBP" >/dev/null && c2c -C forger add actions title="Ordinary" >/dev/null &&
	c2c -C forger sync >/dev/null || exit 1
DUP=$(git -C forger/repo.git ls-tree main | python3 -c '
import subprocess, sys
ents = []
for line in sys.stdin.read().splitlines():
    meta, name = line.split("\t", 1)
    mode, _, oid = meta.split(" ")
    ents.append(mode.lstrip("0").encode() + b" " + name.encode() + b"\0" + bytes.fromhex(oid))
data = ents[0] + b"".join(ents)  # the first entry twice
print(subprocess.run(["git", "-C", sys.argv[1], "hash-object", "-t", "tree", "-w", "--literally", "--stdin"],
                     input=data, capture_output=True, check=True).stdout.decode().strip())' forger/repo.git)
FORGED=$(git -C forger/repo.git -c user.name=f -c user.email=f@example commit-tree -p main -m forged "$DUP")
git -C forger/repo.git update-ref refs/heads/main "$FORGED"
c2c -C forger repair >/dev/null 2>&1
same "the forged commit is the node's head" "$(head_of forger)" "$FORGED"
BEFORE=$(refs hubp.git)
run 1 "a tree with a duplicate entry is refused by path" c2c -C forger sync
says "git's check is named" "duplicateEntries"
same "the hub's refs are unchanged" "$(refs hubp.git)" "$BEFORE"
check "the bad tree is not in the hub" not_in hubp.git "$DUP"

# --- (e) the hubs stay clean -----------------------------------------------------------
check "git fsck --strict on the hub with the office key" fsck_clean hubk.git
check "git fsck --strict on the plain hub" fsck_clean hubp.git

# --- over ssh: the same refusal, the same hint -------------------------------------------
# A broken object in a hub by path: a new node's first sync of 2,500
# records (copied on several threads) stops, naming the hub, and keeps
# nothing; once the hub is mended, the next sync brings them all.
c2c hub init big.git >/dev/null
c2c init bigsrc --city tunis >/dev/null
awk 'BEGIN { print "name,kind"; for (i = 1; i <= 2500; i++) printf "big %d,civil_society\n", i }' >big.csv
c2c -C bigsrc import stakeholders big.csv >/dev/null
c2c -C bigsrc remote add hub "$T/big.git" >/dev/null
run 0 "a hub of 2,500 records" c2c -C bigsrc sync
c2c init bignew --city tunis >/dev/null
c2c -C bignew remote add hub "$T/big.git" >/dev/null
BEFORE=$(state bignew)
PK=$(ls big.git/objects/pack/*.pack)
cp "$PK" pack.saved
chmod u+w "$PK"
# a byte inside the compressed data of a record's blob, which only the copy reads
read -r _ _ _ INPACK OFF _ < <(git verify-pack -v "$T/${PK%.pack}.idx" | awk '$2 == "blob"' | sed -n 1200p)
printf 'X' | dd of="$PK" bs=1 seek=$((OFF + INPACK / 2)) conv=notrunc status=none
run 1 "the first sync from the broken hub fails" c2c -C bignew sync
says "... naming the hub and its path" "hub: $T/big.git: "
says "... and what to do" "run 'git fsck' there"
same "... and keeps nothing" "$(state bignew)" "$BEFORE"
check "... nor a pack of what it copied" test -z "$(find bignew/repo.git/objects -name 'tmp_pack_*')"
cp pack.saved "$PK"
# and a tree, which the walk that lists what to copy reads
read -r _ _ _ INPACK OFF _ < <(git verify-pack -v "$T/${PK%.pack}.idx" | awk '$2 == "tree"' | sort -k4,4n | tail -n 1)
printf 'X' | dd of="$PK" bs=1 seek=$((OFF + INPACK / 2)) conv=notrunc status=none
run 1 "a broken tree: the first sync fails" c2c -C bignew sync
says "... naming the hub, its path and the step" "hub: $T/big.git: listing the objects the other side lacks: "
says "... and what to do" "run 'git fsck' there"
same "... and keeps nothing" "$(state bignew)" "$BEFORE"
cp pack.saved "$PK"
run 0 "once the hub is mended, the next sync" c2c -C bignew sync
same "... brings every record" "$(c2c -C bignew ls stakeholders --json | grep -c '"name": "big ')" 2500
run 0 "... and verify passes" c2c -C bignew verify
check "... as does git fsck --strict" git -C bignew/repo.git fsck --strict --no-progress
# A first sync writes its new rows in id order (the table's key then grows
# at its end): the rows' insertion order is their ids' order.
same "... its rows written in id order (rows after a larger id)" \
	"$(sqlite3 bignew/c2c.db 'SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY rowid) AS prev FROM stakeholders) WHERE prev > id')" 0

# A push by path: the hub's receive-pack advertises the pushing node's
# branch only (at a thousand nodes the others' were 60 KB, written a line
# at a time, at every sync), and the pack still holds nothing the hub has:
# the heads the sync's fetch read stand in for the advertisement. The hub
# unpacks every push (git unpack-objects writes no object it has), so each
# object pushed is one more object in the hub.
c2c hub init hubh.git >/dev/null && git -C hubh.git config receive.unpackLimit 100000 || exit 1
for x in hp hq hr; do
	c2c init $x --city tunis >/dev/null && c2c -C $x remote add hub hubh.git >/dev/null &&
		c2c -C $x add actions title="Action of $x" budget_eur=100 >/dev/null && c2c -C $x sync >/dev/null || exit 1
done
c2c -C hp sync >/dev/null || exit 1
own() { c2c -C "$1" ls actions --json | python3 -c 'import json,sys; print(next(r["id"] for r in json.load(sys.stdin) if r["title"] == sys.argv[1]))' "Action of $1"; }
hub_objects() { git -C hubh.git count-objects -v | awk '/^count:|^in-pack:/ {n += $2} END {print n}'; }
c2c -C hq set "actions/$(own hq)" budget_eur=300 >/dev/null && c2c -C hq sync >/dev/null || exit 1
c2c -C hp set "actions/$(own hp)" budget_eur=400 >/dev/null || exit 1
before=$(hub_objects)
GIT_TRACE_PACKET=$T/trace c2c -C hp sync --json >"$T/sync.json" || exit 1
same "the hub's receive-pack advertises hp's branch only" \
	"$(sed -n 's/.*receive-pack> [0-9a-f]\{40\} \(refs\/[^\\ ]*\).*/\1/p' "$T/trace" | sort -u)" "refs/heads/nodes/$(node_id hp)"
pushed=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))[0]; print(d["merged"], d["push_pack"]["objects"])' "$T/sync.json")
same "hp merged hq's change and pushed a pack" "${pushed% *}" True
same "every object pushed was new to the hub" "$(($(hub_objects) - before))" "${pushed#* }"
check "the hub by path stays clean" fsck_clean hubh.git
same "hq's change reached hp" "$(c2c -C hp show "actions/$(own hq)" --json | grep -c '"budget_eur": 300')" 1

if sshd_start "$T/sshd"; then
	FP=$(ssh-keygen -lf "$SSHD_HOSTKEY_PUB" | cut -d' ' -f2)
	c2c hub init hubs.git --office-key "$OKEY" >/dev/null || exit 1
	HUBS=$(cd hubs.git && pwd -P)
	c2c init sousse --city sousse --office-key "$OKEY" >/dev/null || exit 1
	UID_=$(node_id sousse)
	UDIR=$(cd sousse && pwd -P)
	c2c -C sousse remote add hub "$(sshd_url "$HUBS")" >/dev/null &&
		c2c hub allow "$HUBS" "$UID_" sousse/keys/id_ed25519.pub --authorized-keys "$SSHD_AUTHORIZED_KEYS" \
			>/dev/null && c2c -C sousse remote trust hub "$FP" >/dev/null || exit 1
	c2c -C sousse add actions title="Sousse's first" >/dev/null || exit 1
	run 1 "over ssh, a node not registered yet is refused" c2c -C sousse sync
	says "the hub says why" "which the office has not registered"
	says "the node is told what to send" \
		"send its node id ($UID_) and its public key ($UDIR/keys/id_ed25519.pub) to the office"
	same "the hub holds nothing" "$(refs hubs.git)" "refs/c2c/office-key $(git -C hubs.git rev-parse refs/c2c/office-key)"
else
	echo "t205: no test sshd (as root, with openssh-server): the ssh part is skipped" >&2
fi
finish
