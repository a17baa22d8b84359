#!/bin/bash
# Sync: through a hub and between peers. Fast-forwards, one merge commit
# where both sides moved, per-field joins, sets, conflicts as data that every
# node lists alike and `resolve` closes everywhere, delete against edit,
# natural keys made twice, no ping-pong, fields from a newer node kept, bad
# remotes refused with the node unchanged, and three nodes converging.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1

# --- helpers ---------------------------------------------------------------
tree() { git -C "$1/repo.git" rev-parse 'main^{tree}'; }
merges() { git -C "$1/repo.git" rev-list --merges main | wc -l | tr -d ' '; }
ncommits() { git -C "$1/repo.git" rev-list --count main; }
# js EXPR: evaluate EXPR over d, the JSON in $T/out.
js() {
	_e=$1
	shift
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($_e)" "$T/out" "$@"
}
# val NODE TABLE/ID FIELD: the field as show --json has it (sets joined by
# commas, absent or null as the empty string).
val() {
	c2c -C "$1" show "$2" --json | python3 -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("" if v is None else ",".join(v) if isinstance(v, list) else v)' "$3"
}
# recpath NODE TABLE ID: the path of the record file at main.
recpath() { git -C "$1/repo.git" ls-tree -r --name-only main | grep "/$2/.*/$3\.json\$"; }
# nconf NODE: the number of open conflicts by conflicts --json.
nconf() { c2c -C "$1" conflicts --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
# sync_ok DESCRIPTION NODE [REMOTE...]: a JSON sync that must succeed.
sync_ok() {
	d=$1
	nd=$2
	shift 2
	run 0 "$d" c2c -C "$nd" sync --json "$@"
}
# converged DESCRIPTION NODE...: all hold the same tree and the same conflicts.
converged() {
	d=$1
	shift
	t0=$(tree "$1")
	c0=$(c2c -C "$1" conflicts --json)
	for x in "$@"; do
		same "$d: tree of $x" "$(tree "$x")" "$t0"
		same "$d: conflicts of $x" "$(c2c -C "$x" conflicts --json)" "$c0"
	done
}

# --- 1. a hub round --------------------------------------------------------
run 0 "hub init" c2c hub init "$T/hub.git"
has "$T/out" "Created hub" "hub init says what it made"
run 1 "hub init twice" c2c hub init "$T/hub.git"
has "$T/err" "already" "hub init refuses an existing repository"
check "hub is bare" test -f "$T/hub.git/HEAD" -a ! -e "$T/hub.git/.git"
same "hub has no refs" "$(git -C hub.git for-each-ref | wc -l | tr -d ' ')" 0

run 0 "init a" c2c init a --city tunis --user "Amina A <a@tunis.example>"
run 0 "init b" c2c init b --city tunis --user "Bilel B <b@tunis.example>"
A=$(node_id a)
B=$(node_id b)
check "two node ids differ" test "$A" != "$B"
run 0 "a remote add hub" c2c -C a remote add hub "$T/hub.git"
has "$T/out" "added remote hub" "remote add says so"
(cd b && c2c remote add hub ../hub.git >"$T/out" 2>"$T/err")
check "b remote add with a relative path" test $? -eq 0
run 0 "b remote ls --json" c2c -C b remote ls --json
same "remote ls name" "$(js 'd[0]["name"]')" hub
same "remote ls url is absolute" "$(js 'd[0]["url"]')" "$(cd hub.git && pwd -P)"
same "remote ls never synced" "$(js 'd[0]["last_ok"]')" 0
run 0 "remote ls text" c2c -C b remote ls
has "$T/out" "^hub " "remote ls lists hub"
run 0 "status lists the remote" c2c -C b status --json
has "$T/out" '"hub"' "status --json names the remote"

run 0 "a add action" c2c -C a add actions title="ACMALS" status=ongoing budget_eur=50000 sdg_targets=10.7,5.1
X=$(cat "$T/out")
run 0 "a add stakeholder" c2c -C a add stakeholders name="Municipality of Tunis" kind=municipal
S=$(cat "$T/out")
AH=$(head_of a)
sync_ok "a sync" a
same "sync --json fields" "$(js '" ".join(sorted(d[0]))')" \
	"after before branches checks_ms conflicts fast_forward held kind merged new_branches protocol push_pack pushed records_changed records_joined refs_named remote root_handed_over_to"
same "a sync kind" "$(js 'd[0]["kind"]')" hub
same "a sync remote" "$(js 'd[0]["remote"]')" hub
same "a sync pushed" "$(js 'd[0]["pushed"]')" yes
same "a sync leaves its head" "$(js 'd[0]["after"]')" "$AH"
same "a sync nothing merged" "$(js 'd[0]["merged"]')" False
same "hub holds a's main at nodes/<id>, only there" "$(git -C hub.git for-each-ref --format='%(refname) %(objectname)')" \
	"refs/heads/nodes/$A $AH"
run 0 "b sync text" c2c -C b sync
has "$T/out" "fast-forward" "b's sync says fast-forward"
has "$T/out" "pushed main" "b's sync says it pushed"
same "b fast-forwards to a's main" "$(head_of b)" "$AH"
same "no merge commit on b" "$(merges b)" 0
same "b has a's action" "$(val b "actions/$X" title)" "ACMALS"
same "b has the set" "$(val b "actions/$X" sdg_targets)" "10.7,5.1"
same "b has a's stakeholder" "$(val b "stakeholders/$S" kind)" municipal
same "b's database row" "$(sqlite3 b/c2c.db "SELECT budget_eur FROM actions WHERE id='$X'")" 50000
same "hub has both nodes' branches" "$(git -C hub.git for-each-ref --format='%(refname)' | sort | tr '\n' ' ')" \
	"$(printf 'refs/heads/nodes/%s\n' "$A" "$B" | sort | tr '\n' ' ')"
same "b pushed its main" "$(git -C hub.git rev-parse "refs/heads/nodes/$B")" "$AH"
sync_ok "a sync again" a
same "a: nothing new" "$(js 'd[0]["new_branches"]')" 0
same "a: up to date" "$(js 'd[0]["pushed"]')" "up to date"
same "a: head unchanged" "$(head_of a)" "$AH"
run 0 "remote ls after sync" c2c -C a remote ls --json
check "last_ok set after a sync" test "$(js 'd[0]["last_ok"]')" -gt 0
check "hub fsck --strict" fsck_ok hub.git
run 0 "git clone of the hub" git clone -q "$T/hub.git" "$T/clone"
same "clone sees a's branch" "$(git -C clone rev-parse "origin/nodes/$A")" "$AH"
check "clone reads a record" sh -c "git -C '$T/clone' show 'origin/nodes/$A:$(recpath a actions "$X")' | grep -q ACMALS"
check "clone fsck --strict" fsck_ok clone

# --- 2. different fields of one record: one merge, no conflict -------------
M0=$(merges a)
run 0 "a sets status" c2c -C a set "actions/$X" status=completed
run 0 "b sets budget" c2c -C b set "actions/$X" budget_eur=1234
BH=$(head_of b)
sync_ok "2: a sync" a
sync_ok "2: b sync" b
same "2: b merged" "$(js 'd[0]["merged"]')" True
same "2: b no conflicts" "$(js 'd[0]["conflicts"]')" 0
same "2: b one record changed" "$(js 'd[0]["records_changed"]')" 1
same "2: merge's first parent is b's head" "$(git -C b/repo.git rev-parse main^1)" "$BH"
same "2: merge's second parent is a's head" "$(git -C b/repo.git rev-parse main^2)" "$(head_of a)"
check "2: merge trailer" sh -c "git -C '$T/b/repo.git' log -1 --format=%B main | grep -qx 'C2C-Merge: join-1'"
sync_ok "2: a sync after" a
same "2: a fast-forwards" "$(js 'd[0]["fast_forward"]')" True
same "2: same head" "$(head_of a)" "$(head_of b)"
converged "2" a b
same "2: exactly one merge commit (a)" "$(merges a)" $((M0 + 1))
same "2: exactly one merge commit (b)" "$(merges b)" $((M0 + 1))
for n in a b; do
	same "2: $n status" "$(val $n "actions/$X" status)" completed
	same "2: $n budget" "$(val $n "actions/$X" budget_eur)" 1234
	same "2: $n no conflicts" "$(nconf $n)" 0
done
run 0 "2: conflicts text" c2c -C a conflicts
has "$T/out" "no open conflicts" "2: conflicts says none"

# --- 3. the same field: a conflict, the same everywhere, resolved once -----
run 0 "a sets title" c2c -C a set "actions/$X" title="Title from A"
run 0 "b sets title" c2c -C b set "actions/$X" title="Title from B"
sync_ok "3: a sync" a
sync_ok "3: b sync" b
same "3: b reports the conflict" "$(js 'd[0]["conflicts"]')" 1
sync_ok "3: a sync after" a
converged "3" a b
run 0 "3: a conflicts --json" c2c -C a conflicts --json
CA=$(cat "$T/out")
same "3: one conflict" "$(js 'len(d)')" 1
same "3: on the record" "$(js 'd[0]["record"]')" "actions/$X"
same "3: on the field" "$(js 'd[0]["field"]')" title
same "3: both values kept" "$(js '" | ".join(sorted(v["value"] for v in d[0]["values"]))')" "Title from A | Title from B"
same "3: both nodes named" "$(js '" ".join(sorted(v["node"] for v in d[0]["values"]))')" "$(printf '%s\n' "$A" "$B" | sort | tr '\n' ' ' | sed 's/ $//')"
same "3: numbered 1, 2" "$(js '" ".join(str(v["number"]) for v in d[0]["values"])')" "1 2"
STAND=$(js 'd[0]["values"][0]["value"]')
same "3: the later by (lamport, node) stands" \
	"$(js 'max(d[0]["values"], key=lambda v: (v["lamport"], v["node"]))["value"]')" "$STAND"
OTHER=$(js 'd[0]["values"][1]["value"]')
same "3: b lists it alike" "$(c2c -C b conflicts --json)" "$CA"
same "3: a's title is value 1" "$(val a "actions/$X" title)" "$STAND"
same "3: b's title is value 1" "$(val b "actions/$X" title)" "$STAND"
check "3: the conflict is in the record file" sh -c "git -C '$T/a/repo.git' show 'main:$(recpath a actions "$X")' | grep -q '\"conflicts\"'"
run 0 "3: conflicts text" c2c -C b conflicts
has "$T/out" "^actions/$X title" "3: text names record and field"
has "$T/out" "^  1\) by .* \(node [^)]*\), [0-9TZ:-]+, logical time [0-9]+$" "3: text numbers the standing value 1, with its author and node"
has "$T/out" "^       $STAND$" "3: the whole value below it"
has "$T/out" "^       $OTHER$" "3: and the other value"
has "$T/out" "1 open conflict" "3: text counts"
run 0 "3: conflicts --json has the authors" c2c -C a conflicts --json
same "3: the authors" "$(js '" ".join(sorted(v.get("author", "?") for v in d[0]["values"]))')" "Amina A Bilel B"
run 0 "3: status counts conflicts" c2c -C a status --json
same "3: status --json conflicts" "$(js 'd["conflicts"]')" 1
run 2 "3: resolve needs --keep or --value" c2c -C b resolve "actions/$X" title
run 2 "3: resolve --keep out of range" c2c -C b resolve "actions/$X" title --keep 3
has "$T/err" "between 1 and 2" "3: --keep says which values there are"
run 2 "3: resolve --keep 0" c2c -C b resolve "actions/$X" title --keep 0
run 2 "3: resolve --keep x" c2c -C b resolve "actions/$X" title --keep x
run 2 "3: resolve both options" c2c -C b resolve "actions/$X" title --keep 1 --value z
HB=$(head_of b)
run 1 "3: resolve a field without conflict" c2c -C b resolve "actions/$X" status --keep 1
has "$T/err" "no open conflict" "3: says there is none"
run 1 "3: resolve an unknown record" c2c -C b resolve "actions/000000000000000000000000" title --keep 1
same "3: refused resolves change nothing" "$(head_of b)" "$HB"
run 0 "3: b resolves keeping value 2" c2c -C b resolve "actions/$X" title --keep 2
has "$T/out" "^resolved actions/$X title: kept value 2: $OTHER$" "3: resolve says what it kept"
same "3: b's conflict closed" "$(nconf b)" 0
same "3: b's title is the kept one" "$(val b "actions/$X" title)" "$OTHER"
sync_ok "3: b sync after resolve" b
sync_ok "3: a sync after resolve" a
same "3: a fast-forwards to the resolution" "$(js 'd[0]["fast_forward"]')" True
sync_ok "3: b sync again" b
converged "3 resolved" a b
same "3: a's conflict closed" "$(nconf a)" 0
same "3: a has the kept title" "$(val a "actions/$X" title)" "$OTHER"
check "3: the record file has no conflict left" sh -c "! git -C '$T/a/repo.git' show 'main:$(recpath a actions "$X")' | grep -q '\"conflicts\"'"
# The same with --value, resolved on the other node.
run 0 "3b: a sets budget" c2c -C a set "actions/$X" budget_eur=100
run 0 "3b: b sets budget" c2c -C b set "actions/$X" budget_eur=200
sync_ok "3b: a sync" a
run 0 "3b: b sync text" c2c -C b sync
has "$T/out" "in:  merged [0-9a-f]{12} -> [0-9a-f]{12}" "3b: text says merged"
has "$T/out" "conflicts: 1 record" "3b: text counts the conflict"
sync_ok "3b: a sync" a
converged "3b" a b
same "3b: one conflict" "$(nconf a)" 1
same "3b: budget stands alike" "$(val a "actions/$X" budget_eur)" "$(val b "actions/$X" budget_eur)"
run 1 "3b: resolve with a bad value" c2c -C a resolve "actions/$X" budget_eur --value minus
same "3b: still open" "$(nconf a)" 1
run 0 "3b: a resolves with a new value" c2c -C a resolve "actions/$X" budget_eur --value 777
sync_ok "3b: a sync" a
sync_ok "3b: b sync" b
converged "3b resolved" a b
same "3b: b has the new value" "$(val b "actions/$X" budget_eur)" 777
same "3b: no conflicts left" "$(nconf b)" 0
# Both nodes resolve one conflict alike, concurrently: equal values, no
# conflict left.
run 0 "3c: a sets status" c2c -C a set "actions/$X" status=approved
run 0 "3c: b sets status" c2c -C b set "actions/$X" status=cancelled
sync_ok "3c: a sync" a
sync_ok "3c: b sync" b
sync_ok "3c: a sync" a
same "3c: a conflict" "$(nconf a)" 1
run 0 "3c: a resolves" c2c -C a resolve "actions/$X" status --value ongoing
run 0 "3c: b resolves alike" c2c -C b resolve "actions/$X" status --value ongoing
sync_ok "3c: a sync" a
sync_ok "3c: b sync" b
sync_ok "3c: a sync" a
converged "3c" a b
same "3c: the agreed value" "$(val a "actions/$X" status)" ongoing
same "3c: equal resolutions are no conflict" "$(nconf a)" 0

# --- 4. sets: concurrent adds join, an untouched removal stands ------------
run 0 "4: a adds 16.6" c2c -C a set "actions/$X" sdg_targets=10.7,5.1,16.6
run 0 "4: b adds 17.9" c2c -C b set "actions/$X" sdg_targets=10.7,5.1,17.9
sync_ok "4: a sync" a
sync_ok "4: b sync" b
same "4: no conflict from sets" "$(js 'd[0]["conflicts"]')" 0
sync_ok "4: a sync" a
converged "4" a b
same "4: union on a" "$(val a "actions/$X" sdg_targets)" "10.7,16.6,17.9,5.1"
same "4: union on b" "$(val b "actions/$X" sdg_targets)" "10.7,16.6,17.9,5.1"
run 0 "4: a removes 5.1" c2c -C a set "actions/$X" sdg_targets=10.7,16.6,17.9
run 0 "4: b adds 8.8" c2c -C b set "actions/$X" sdg_targets=10.7,16.6,17.9,5.1,8.8
sync_ok "4: a sync" a
sync_ok "4: b sync" b
sync_ok "4: a sync" a
converged "4b" a b
same "4: removal and addition both stand" "$(val a "actions/$X" sdg_targets)" "10.7,16.6,17.9,8.8"
same "4: no conflicts" "$(nconf a)" 0
run 0 "4: both remove 16.6, a also adds 10.2" c2c -C a set "actions/$X" sdg_targets=10.7,17.9,8.8,10.2
run 0 "4: b removes 16.6 and 17.9" c2c -C b set "actions/$X" sdg_targets=10.7,8.8
sync_ok "4: a sync" a
sync_ok "4: b sync" b
sync_ok "4: a sync" a
converged "4c" a b
same "4: removals on both sides join" "$(val b "actions/$X" sdg_targets)" "10.2,10.7,8.8"
same "4: sets in the database" "$(sqlite3 a/c2c.db "SELECT sdg_targets FROM actions WHERE id='$X'")" \
	"$(sqlite3 b/c2c.db "SELECT sdg_targets FROM actions WHERE id='$X'")"

# --- 5. delete against a concurrent edit -----------------------------------
run 0 "5: a adds a stakeholder" c2c -C a add stakeholders name="Terre d'Asile Tunisie" kind=civil_society
S2=$(cat "$T/out")
run 0 "5: a adds another" c2c -C a add stakeholders name="Université de Tunis" kind=academic
S3=$(cat "$T/out")
sync_ok "5: a sync" a
sync_ok "5: b sync" b
same "5: b has them" "$(val b "stakeholders/$S2" kind)" civil_society
run 0 "5: a deletes S2" c2c -C a rm "stakeholders/$S2"
run 0 "5: b edits S2" c2c -C b set "stakeholders/$S2" role="legal aid to migrants"
run 0 "5: b deletes S3" c2c -C b rm "stakeholders/$S3"
run 0 "5: a edits S3" c2c -C a set "stakeholders/$S3" role="research"
sync_ok "5: a sync" a
sync_ok "5: b sync" b
sync_ok "5: a sync" a
converged "5" a b
for n in a b; do
	run 0 "5: $n keeps the edited S2" c2c -C $n show "stakeholders/$S2"
	same "5: $n has the edit" "$(val $n "stakeholders/$S2" role)" "legal aid to migrants"
	run 0 "5: $n keeps the edited S3" c2c -C $n show "stakeholders/$S3"
	same "5: $n has the edit to S3" "$(val $n "stakeholders/$S3" role)" research
	run 0 "5: $n ls lists S2" c2c -C $n ls stakeholders --json
	has "$T/out" "\"id\": \"$S2\"" "5: $n ls has S2"
done
run 0 "5: conflicts --json" c2c -C b conflicts --json
same "5: two delete-vs-edit conflicts" "$(js 'sorted(c["record"] for c in d if c["field"] is None)')" \
	"$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' "stakeholders/$S2" "stakeholders/$S3")"
same "5: two values each" "$(js 'set(len(c["values"]) for c in d if c["field"] is None)')" "{2}"
run 0 "5: conflicts text" c2c -C a conflicts
has "$T/out" "^stakeholders/$S2 \(deleted on one node, edited on another\)" "5: text says deleted vs edited"
run 2 "5: --value for a deletion" c2c -C a resolve "stakeholders/$S2" --value x
run 1 "5: no deletion conflict on S" c2c -C a resolve "stakeholders/$S" --keep 1
run 0 "5: a resolves S2 by deleting" c2c -C a resolve "stakeholders/$S2" --keep 2
run 1 "5: S2 gone on a" c2c -C a show "stakeholders/$S2"
has "$T/err" "deleted" "5: show says deleted"
run 0 "5: b resolves S3 by keeping" c2c -C b resolve "stakeholders/$S3" --keep 1
sync_ok "5: a sync" a
sync_ok "5: b sync" b
sync_ok "5: a sync" a
converged "5 resolved" a b
# A deletion nobody contests, and one made on both nodes.
run 0 "5: a adds two more" c2c -C a add stakeholders name="Red Crescent" kind=civil_society
S4=$(cat "$T/out")
run 0 "5: a adds two more" c2c -C a add stakeholders name="Chamber of commerce" kind=private
S5=$(cat "$T/out")
sync_ok "5: a sync" a
sync_ok "5: b sync" b
run 0 "5: a deletes S4" c2c -C a rm "stakeholders/$S4"
run 0 "5: a deletes S5" c2c -C a rm "stakeholders/$S5"
run 0 "5: b deletes S5 too" c2c -C b rm "stakeholders/$S5"
sync_ok "5: a sync" a
sync_ok "5: b sync" b
sync_ok "5: a sync" a
converged "5 deletions" a b
for n in a b; do
	run 1 "5: S2 deleted on $n" c2c -C $n show "stakeholders/$S2"
	run 0 "5: S3 kept on $n" c2c -C $n show "stakeholders/$S3"
	same "5: S3 role on $n" "$(val $n "stakeholders/$S3" role)" research
	same "5: no conflicts on $n" "$(nconf $n)" 0
	run 0 "5: ls on $n" c2c -C $n ls stakeholders --json
	same "5: ls on $n lacks S2, S4, S5, has S3" \
		"$(js '" ".join(r["id"] for r in d if r["id"] in sys.argv[2:])' "$S2" "$S3" "$S4" "$S5")" "$S3"
	run 1 "5: S4 deleted on $n" c2c -C $n show "stakeholders/$S4"
	run 1 "5: S5 deleted on $n" c2c -C $n show "stakeholders/$S5"
done

# --- 6. one natural key made on both nodes ---------------------------------
run 0 "6: a adds overview" c2c -C a add profile_sections section=overview lang=en body="Overview written in A."
same "6: natural id on a" "$(cat "$T/out")" tunis.overview.en
run 0 "6: b adds overview" c2c -C b add profile_sections section=overview lang=en body="Overview written in B."
same "6: natural id on b" "$(cat "$T/out")" tunis.overview.en
run 0 "6: a adds governance" c2c -C a add profile_sections section=governance lang=fr body="Même texte."
run 0 "6: b adds governance" c2c -C b add profile_sections section=governance lang=fr body="Même texte."
sync_ok "6: a sync" a
sync_ok "6: b sync" b
sync_ok "6: a sync" a
converged "6" a b
run 0 "6: ls" c2c -C a ls profile_sections --json
same "6: two records, one per key" "$(js '" ".join(sorted(r["id"] for r in d))')" "tunis.governance.fr tunis.overview.en"
same "6: one file per key" "$(git -C a/repo.git ls-tree -r --name-only main | grep -c '/tunis\.overview\.en\.json$')" 1
run 0 "6: conflicts" c2c -C b conflicts --json
same "6: the bodies conflict, same bodies do not" "$(js '" ".join(c["record"] + ":" + str(c["field"]) for c in d)')" \
	"profile_sections/tunis.overview.en:body"
same "6: both bodies kept" "$(js '" | ".join(sorted(v["value"] for v in d[0]["values"]))')" \
	"Overview written in A. | Overview written in B."
same "6: same body stands" "$(val a profile_sections/tunis.governance.fr body)" "Même texte."
run 0 "6: b resolves the body" c2c -C b resolve profile_sections/tunis.overview.en body --value "Overview, agreed."
sync_ok "6: b sync" b
sync_ok "6: a sync" a
converged "6 resolved" a b
same "6: agreed body on a" "$(val a profile_sections/tunis.overview.en body)" "Overview, agreed."

# --- 7. no ping-pong -------------------------------------------------------
NA=$(ncommits a)
NB=$(ncommits b)
HA=$(head_of a)
HB=$(head_of b)
for round in 1 2; do
	for n in a b; do
		sync_ok "7: round $round, $n" $n
		same "7: round $round, $n nothing merged" "$(js 'd[0]["merged"] or d[0]["fast_forward"]')" False
		same "7: round $round, $n nothing pushed" "$(js 'd[0]["pushed"]')" "up to date"
	done
done
same "7: a made no commits" "$(ncommits a)" "$NA"
same "7: b made no commits" "$(ncommits b)" "$NB"
same "7: a's head stays" "$(head_of a)" "$HA"
same "7: b's head stays" "$(head_of b)" "$HB"

# --- 8. peers: fetch main, push nothing, symmetric joins --------------------
run 0 "8: init p" c2c init p --city sfax --user "P <p@sfax.example>"
run 0 "8: init q" c2c init q --city sfax --user "Q <q@sfax.example>"
run 0 "8: p adds" c2c -C p add actions title="Shared action" status=proposed sdg_targets=10.7
Y=$(cat "$T/out")
(cd q && c2c remote add p ../p >"$T/out" 2>"$T/err")
check "8: q remote add p with a relative path" test $? -eq 0
sync_ok "8: q sync p" q
same "8: peer kind" "$(js 'd[0]["kind"]')" peer
same "8: q fast-forwards from p" "$(head_of q)" "$(head_of p)"
same "8: nothing pushed to a peer" "$(js 'd[0]["pushed"]')" "no (peer)"
run 0 "8: p remote add q" c2c -C p remote add q "$T/q"
run 0 "8: p edits title" c2c -C p set "actions/$Y" title="Shared action (P)" status=approved
run 0 "8: q edits title" c2c -C q set "actions/$Y" title="Shared action (Q)" sdg_targets=10.7,16.9
run 0 "8: q adds its own" c2c -C q add stakeholders name="Sfax municipality" kind=municipal
QS=$(cat "$T/out")
# Copies of both, to merge the other way round.
cp -a p p2
cp -a q q2
run 0 "8: p2 drops remote q" c2c -C p2 remote rm q
run 0 "8: q2 drops remote p" c2c -C q2 remote rm p
same "8: remote rm forgets fetched refs" "$(git -C q2/repo.git for-each-ref refs/c2c/remotes/p | wc -l | tr -d ' ')" 0
run 1 "8: remote rm twice" c2c -C q2 remote rm p
run 0 "8: q2 remote add p2" c2c -C q2 remote add p2 "$T/p2"
snap() { (cd "$1/repo.git" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum; }
QSNAP=$(snap q)
QREFS=$(git -C q/repo.git for-each-ref)
sync_ok "8: p sync q" p
same "8: p merged" "$(js 'd[0]["merged"]')" True
same "8: p reports the title conflict" "$(js 'd[0]["conflicts"]')" 1
same "8: p pushed nothing" "$(js 'd[0]["pushed"]')" "no (peer)"
same "8: q's repository untouched" "$(snap q)" "$QSNAP"
same "8: q's refs untouched" "$(git -C q/repo.git for-each-ref)" "$QREFS"
sync_ok "8: q2 sync p2 (the other way round)" q2
same "8: q2 merged" "$(js 'd[0]["merged"]')" True
same "8: p into q and q into p give one tree" "$(tree q2)" "$(tree p)"
same "8: and one set of conflicts" "$(c2c -C q2 conflicts --json)" "$(c2c -C p conflicts --json)"
same "8: p has q's stakeholder" "$(val p "stakeholders/$QS" kind)" municipal
same "8: p's set" "$(val p "actions/$Y" sdg_targets)" "10.7,16.9"
same "8: p's status" "$(val p "actions/$Y" status)" approved
sync_ok "8: q sync p" q
same "8: q fast-forwards to p's merge" "$(head_of q)" "$(head_of p)"
NP=$(ncommits p)
sync_ok "8: p sync q again" p
same "8: p nothing new" "$(ncommits p)" "$NP"
# p and q2 hold equal trees made by different merges: no merge of the two.
run 0 "8: p remote add q2" c2c -C p remote add q2 "$T/q2"
PH=$(head_of p)
sync_ok "8: p sync q2" p q2
same "8: no merge of equal trees" "$(head_of p)" "$PH"
same "8: ...reported as such" "$(js 'd[0]["merged"]')" False
sync_ok "8: p syncs all its remotes" p
same "8: one entry per remote" "$(js '" ".join(r["remote"] for r in d)')" "q q2"
same "8: still no commit" "$(head_of p)" "$PH"
run 0 "8: remote rm q2" c2c -C p remote rm q2
run 0 "8: remote ls" c2c -C p remote ls --json
same "8: q2 gone from the list" "$(js '" ".join(r["name"] for r in d)')" q
same "8: q2's fetched refs gone" "$(git -C p/repo.git for-each-ref refs/c2c/remotes/q2 | wc -l | tr -d ' ')" 0

# --- 9. a field this node does not know is kept ----------------------------
# A newer node (a itself, upgraded) writes a field this c2c lacks; the commit
# reaches b through the hub; b keeps the field through its own edits.
sync_ok "9: a sync" a
P9=$(recpath a actions "$X")
git clone -q "$T/a/repo.git" "$T/craft"
cat >"$T/canon.py" <<'EOF'
import json, sys
def dump(v, ind=0):
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = sorted(v.items(), key=lambda kv: kv[0].encode())
        return "{\n" + ",\n".join(" " * (ind + 2) + json.dumps(k, ensure_ascii=False) + ": " + dump(x, ind + 2)
                                for k, x in items) + "\n" + " " * ind + "}"
    if isinstance(v, list):
        return "[" + ", ".join(dump(x, ind) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)
path, node = sys.argv[1], sys.argv[2]
raw = open(path, encoding="utf-8").read()
rec = json.loads(raw)
if len(sys.argv) == 3:
    sys.stdout.write(dump(rec) + "\n")
    sys.exit(0)
meta = rec["_c2c"]
lam = 0
for d in meta.get("dots", {}).values():
    lam = max(lam, d[2])
for f in meta.get("elems", {}).values():
    for dots in f.values():
        lam = max([lam] + [d[2] for d in dots])
for f in meta.get("conflicts", {}).values():
    lam = max([lam] + [c[3] for c in f])
k = meta["clock"].get(node, 0) + 1
meta["clock"][node] = k
meta["dots"]["zz_future"] = [node, k, lam + 1]
rec["zz_future"] = sys.argv[3]
open(path, "w", encoding="utf-8").write(dump(rec) + "\n")
EOF
same "9: the record file is canonical (python rewrite is identical)" \
	"$(python3 "$T/canon.py" "$T/craft/$P9" "$A" | sha256sum)" "$(sha256sum <"$T/craft/$P9")"
python3 "$T/canon.py" "$T/craft/$P9" "$A" "from a newer node"
export GIT_COMMITTER_NAME="$A" GIT_COMMITTER_EMAIL="$A@c2c.invalid"
git -C craft -c user.name="Amina A" -c user.email=a@tunis.example \
	-c gpg.format=ssh -c user.signingkey="$T/a/keys/id_ed25519" \
	commit -q -S -a -m "set actions/$X: zz_future" -m "C2C-Node: $A" \
	--author="Amina A <a@tunis.example>" 2>"$T/err" ||
	git -C craft -c user.name="Amina A" -c user.email=a@tunis.example \
		commit -q -a -m "set actions/$X: zz_future" -m "C2C-Node: $A"
unset GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
run 0 "9: the newer node's commit reaches the hub" git -C craft push -q "$T/hub.git" "HEAD:refs/heads/nodes/$A"
sync_ok "9: b sync" b
same "9: b fast-forwards" "$(js 'd[0]["fast_forward"]')" True
check "9: b's file keeps the field" sh -c "git -C '$T/b/repo.git' show 'main:$P9' | grep -q '\"zz_future\": \"from a newer node\"'"
run 0 "9: b verify" c2c -C b verify
run 0 "9: b edits the record" c2c -C b set "actions/$X" status=cancelled
P9B=$(git -C b/repo.git show "main:$P9")
check "9: b writes the field back" sh -c "git -C '$T/b/repo.git' show 'main:$P9' | grep -q '\"zz_future\": \"from a newer node\"'"
check "9: and its dot" sh -c "git -C '$T/b/repo.git' show 'main:$P9' | grep -q '\"zz_future\": \\[\"$A\"'"
run 0 "9: b exports" c2c -C b export actions "$T/b-actions.csv"
sync_ok "9: b sync" b
sync_ok "9: a sync" a
same "9: a fast-forwards to b" "$(head_of a)" "$(head_of b)"
run 0 "9: a edits the record" c2c -C a set "actions/$X" outcomes="kept a field it did not know"
check "9: a writes the field back too" sh -c "git -C '$T/a/repo.git' show 'main:$P9' | grep -q '\"zz_future\": \"from a newer node\"'"
run 0 "9: a verify" c2c -C a verify
sync_ok "9: a sync" a
sync_ok "9: b sync" b
converged "9" a b

# --- 8b. two cities meet at the hub ---------------------------------------
run 0 "8b: p remote add hub" c2c -C p remote add hub "$T/hub.git"
sync_ok "8b: p sync hub" p hub
same "8b: p merged tunis's history" "$(js 'd[0]["merged"]')" True
same "8b: no conflicts between cities" "$(js 'd[0]["conflicts"]')" 0
same "8b: p has a's action" "$(val p "actions/$X" status)" "$(val a "actions/$X" status)"
sync_ok "8b: a sync" a
same "8b: a fast-forwards" "$(js 'd[0]["fast_forward"]')" True
same "8b: a has sfax's action" "$(val a "actions/$Y" title)" "$(val p "actions/$Y" title)"
run 0 "8b: a lists sfax's actions" c2c -C a ls actions city=sfax --json
same "8b: the one sfax action" "$(js 'len(d)')" 1
sync_ok "8b: b sync" b
converged "8b" a b p
run 0 "8b: verify p" c2c -C p verify
run 0 "8b: verify a" c2c -C a verify

# --- 10. bad remotes -------------------------------------------------------
run 1 "10: remote add a missing path" c2c -C a remote add x /nonexistent/c2c
has "$T/err" "/nonexistent/c2c" "10: the error names the path"
has "$T/err" "hint|remote add|hub init|node directory" "10: and says what to do"
git init -q --bare "$T/plain.git"
run 1 "10: remote add a plain git repository" c2c -C a remote add x "$T/plain.git"
has "$T/err" "not a c2c hub" "10: a git repository that is no hub is refused"
mkdir -p "$T/emptydir"
run 1 "10: remote add an empty directory" c2c -C a remote add x "$T/emptydir"
run 1 "10: remote add an existing name" c2c -C a remote add hub "$T/hub.git"
has "$T/err" "already exists" "10: says it exists"
run 2 "10: remote add a bad name" c2c -C a remote add "Bad/Name" "$T/hub.git"
run 2 "10: remote add without url" c2c -C a remote add x
run 2 "10: remote frob" c2c -C a remote frob
run 0 "10: remote ls" c2c -C a remote ls --json
same "10: refused adds left no remote" "$(js '" ".join(r["name"] for r in d)')" hub
run 0 "10: init gone" c2c init gone --city tunis
run 0 "10: a remote add gone" c2c -C a remote add gone "$T/gone"
rm -rf "$T/gone"
run 0 "10: b adds" c2c -C b add stakeholders name="IOM Tunisia" kind=international
IOM=$(cat "$T/out")
sync_ok "10: b sync" b
ST=$(state a)
run 1 "10: sync a vanished remote" c2c -C a sync gone
has "$T/err" "gone" "10: the error names the remote"
same "10: node unchanged (head and database)" "$(state a)" "$ST"
run 1 "10: sync --json with a vanished remote" c2c -C a sync gone --json
same "10: json error entry" "$(js 'd[0]["remote"] + ":" + str(bool(d[0]["error"]))')" "gone:True"
same "10: node still unchanged" "$(state a)" "$ST"
run 0 "10: remote ls after a failure" c2c -C a remote ls --json
same "10: last_result records the failure" "$(js '[r for r in d if r["name"] == "gone"][0]["last_ok"]')" 0
check "10: last_result says why" test -n "$(js '[r for r in d if r["name"] == "gone"][0]["last_result"]')"
run 1 "10: sync all, one remote gone" c2c -C a sync --json
same "10: every remote tried" "$(js '" ".join(r["remote"] for r in d)')" "gone hub"
same "10: the hub synced" "$(js '[r for r in d if r["remote"] == "hub"][0].get("error")')" None
has "$T/err" "gone" "10: the failed remote named"
same "10: the good remote's changes arrived" "$(val a "stakeholders/$IOM" kind)" international
# A branch on a hub with a record that is not a record: held, nothing of it
# merged, the node as it was; its own branch is pushed all the same.
run 0 "10: badhub" c2c hub init "$T/badhub.git"
git clone -q "$T/b/repo.git" "$T/craft2"
PB=$(recpath b actions "$X")
printf '{"broken": \n' >"$T/craft2/$PB"
# (signed with b's own key, so that the record itself is what is refused)
git -C craft2 -c user.name=tunis-0badbad0 -c user.email=tunis-0badbad0@c2c.invalid -c gpg.format=ssh -c user.signingkey="$T/b/keys/id_ed25519" \
	commit -S -qam "set actions/$X: broken" -m "C2C-Node: tunis-0badbad0"
run 0 "10: push a bad branch" git -C craft2 push -q "$T/badhub.git" HEAD:refs/heads/nodes/tunis-0badbad0
run 0 "10: b remote add badhub" c2c -C b remote add badhub "$T/badhub.git"
ST=$(state b)
run 1 "10: sync a bad branch" c2c -C b sync badhub
has "$T/err" "badhub" "10: names the remote"
has "$T/err" "$PB" "10: names the bad file"
has "$T/err" "held: badhub's branch nodes/tunis-0badbad0 \(node tunis-0badbad0, not registered\)" "10: names the held branch"
same "10: nothing merged (head and database)" "$(state b)" "$ST"
run 0 "10: b verify after the refusal" c2c -C b verify
same "10: the bad branch as it was, b's own pushed" "$(git -C badhub.git for-each-ref --format='%(refname)' | sort | tr '\n' ' ')" \
	"$(printf '%s\n' refs/heads/nodes/tunis-0badbad0 "refs/heads/nodes/$B" | sort | tr '\n' ' ')"
run 1 "10: sync all with a bad one" c2c -C b sync
same "10: still nothing of it" "$(state b)" "$ST"
run 0 "10: remote rm badhub" c2c -C b remote rm badhub
sync_ok "10: then b syncs fine" b
run 1 "10: sync an unknown remote" c2c -C a sync nosuch
has "$T/err" "nosuch" "10: names it"
run 0 "10: remote rm gone" c2c -C a remote rm gone
run 1 "10: sync a removed remote" c2c -C a sync gone
run 0 "10: init lonely" c2c init lonely --city tunis
ST=$(state lonely)
run 1 "10: sync with no remotes" c2c -C lonely sync
has "$T/err" "no remotes" "10: says there are none"
has "$T/err" "remote add" "10: hints how to add one"
same "10: lonely unchanged" "$(state lonely)" "$ST"
run 1 "10: sync --json with no remotes" c2c -C lonely sync --json
run 2 "10: sync --bogus" c2c -C a sync --bogus

# --- 12. three nodes, random-ish edits, one tree ---------------------------
run 0 "12: hub3" c2c hub init "$T/hub3.git"
for n in n1 n2 n3; do
	run 0 "12: init $n" c2c init $n --city lyon --user "User $n <$n@lyon.example>"
	run 0 "12: $n remote" c2c -C $n remote add hub "$T/hub3.git"
done
for i in 1 2 3 4; do
	run 0 "12: n1 adds $i" c2c -C n1 add actions title="Action $i" status=proposed sdg_targets=10.7
done
run 0 "12: n1 adds a record all three will edit" c2c -C n1 add actions title="Contested" status=proposed
CID=$(cat "$T/out")
sync_ok "12: n1 sync" n1
sync_ok "12: n2 sync" n2
sync_ok "12: n3 sync" n3
# Two branches new to n3 at once, neither holding the other (n1 and n2 synced
# at the same moment; their pushes are replayed with stock git): one merge
# with three parents, n3's head first, then the others by id.
for n in n1 n2 n3; do
	run 0 "12: $n adds its own" c2c -C $n add actions title="Own of $n" status=approved
	run 0 "12: $n edits the contested title" c2c -C $n set "actions/$CID" title="Contested, says $n"
done
for n in n1 n2; do
	run 0 "12: $n's concurrent push" git -C $n/repo.git push -q "$T/hub3.git" "main:refs/heads/nodes/$(node_id $n)"
done
H3=$(head_of n3)
sync_ok "12: n3 joins both" n3
same "12: two new branches" "$(js 'd[0]["new_branches"]')" 2
same "12: n3 merged" "$(js 'd[0]["merged"]')" True
same "12: parents: n3's head, then the two by id" "$(git -C n3/repo.git log -1 --format=%P main)" \
	"$H3 $( (head_of n1; head_of n2) | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
run 0 "12: n3 ls" c2c -C n3 ls actions --json
same "12: n3 has all three" "$(js 'len([r for r in d if r["title"].startswith("Own of")])')" 3
sync_ok "12: n1 sync" n1
same "12: n1 fast-forwards" "$(js 'd[0]["fast_forward"]')" True
sync_ok "12: n2 sync" n2
same "12: n2 fast-forwards" "$(js 'd[0]["fast_forward"]')" True
same "12: all at n3's merge" "$(head_of n1) $(head_of n2)" "$(head_of n3) $(head_of n3)"
run 0 "12: conflicts" c2c -C n1 conflicts --json
same "12: three values of one field" "$(js '[(c["record"], c["field"], len(c["values"])) for c in d]')" \
	"[('actions/$CID', 'title', 3)]"
RANDOM=1859
statuses=(proposed approved ongoing completed cancelled)
targets=(10.7 5.1 16.6 17.9 8.8 10.2 4.4 11.3)
nodes=(n1 n2 n3)
edits_failed=0
for round in 1 2 3 4 5 6; do
	for n in "${nodes[@]}"; do
		for e in 1 2 3; do
			# An id this node knows (others' new records may not have reached it).
			mapfile -t IDS < <(c2c -C $n ls actions --json |
				python3 -c 'import json,sys; [print(r["id"]) for r in json.load(sys.stdin) if r["id"] != sys.argv[1]]' "$CID")
			id=${IDS[RANDOM % ${#IDS[@]}]}
			case $((RANDOM % 6)) in
			0) c2c -C $n set "actions/$id" status="${statuses[RANDOM % 5]}" ;;
			1) c2c -C $n set "actions/$id" budget_eur=$((RANDOM % 100 * 1000)) ;;
			2) c2c -C $n set "actions/$id" title="Action by $n r$round e$e" ;;
			3) c2c -C $n set "actions/$id" sdg_targets="10.7,${targets[RANDOM % 8]},${targets[RANDOM % 8]}" ;;
			4) c2c -C $n set "actions/$id" people_reached_female=$((RANDOM % 500)) outcomes="outcome $n $round" ;;
			5) c2c -C $n add actions title="New by $n r$round" status=approved ;;
			esac >/dev/null 2>>"$T/edit-errors" || edits_failed=$((edits_failed + 1))
		done
	done
	# Some nodes sync in a random order; one may stay offline this round.
	for k in 1 2; do
		n=${nodes[RANDOM % 3]}
		sync_ok "12: round $round, $n syncs" $n
	done
done
same "12: every random edit was accepted" "$edits_failed" 0
[ "$edits_failed" -eq 0 ] || sort "$T/edit-errors" | uniq -c | sed 's/^/  | /' >&2
for pn in 1 2; do
	for n in "${nodes[@]}"; do
		sync_ok "12: final pass $pn, $n" $n
	done
done
converged "12" n1 n2 n3
same "12: merges name their parents head first, then the others by id" \
	"$(git -C n1/repo.git log --merges --format=%P main | awk '{ s = ""; for (i = 3; i <= NF; i++) if ($i < $(i - 1)) s = "unsorted" } END { print s }')" ""
run 0 "12: conflicts after the rounds" c2c -C n1 conflicts --json
check "12: the contested title is still open" test "$(js 'len([c for c in d if c["record"] == "actions/" + sys.argv[2]])' "$CID")" -eq 1
same "12: one database (n1, n2)" "$(sqlite3 n1/c2c.db 'SELECT id, title, status, budget_eur, sdg_targets FROM actions ORDER BY id')" \
	"$(sqlite3 n2/c2c.db 'SELECT id, title, status, budget_eur, sdg_targets FROM actions ORDER BY id')"
same "12: one database (n1, n3)" "$(sqlite3 n1/c2c.db 'SELECT id, title, status, budget_eur, sdg_targets FROM actions ORDER BY id')" \
	"$(sqlite3 n3/c2c.db 'SELECT id, title, status, budget_eur, sdg_targets FROM actions ORDER BY id')"
N1=$(ncommits n1)
N2=$(ncommits n2)
N3=$(ncommits n3)
for n in "${nodes[@]}"; do sync_ok "12: one more, $n" $n; done
same "12: no new commits (n1)" "$(ncommits n1)" "$N1"
same "12: no new commits (n2)" "$(ncommits n2)" "$N2"
same "12: no new commits (n3)" "$(ncommits n3)" "$N3"
# Every conflict resolved on n2 reaches the others.
c2c -C n2 conflicts --json >"$T/out"
js '"\n".join(c["record"] + " " + c["field"] for c in d if c["field"])' >"$T/todo"
while read -r rec field; do
	[ -n "$rec" ] && c2c -C n2 resolve "$rec" "$field" --keep 2 >/dev/null
done <"$T/todo"
same "12: n2 resolved all" "$(nconf n2)" 0
for pn in 1 2; do for n in n2 n1 n3; do sync_ok "12: after resolve, $n" $n; done; done
converged "12 resolved" n1 n2 n3
same "12: no conflicts left anywhere" "$(nconf n3)" 0

# --- 13. a sync killed at any point: the node as before or after, a retry
# finishes it ----------------------------------------------------------------
run 0 "13: hubc" c2c hub init "$T/hubc.git"
run 0 "13: init c1" c2c init c1 --city sousse --user "C1 <c1@sousse.example>"
run 0 "13: init c2" c2c init c2 --city sousse --user "C2 <c2@sousse.example>"
for n in c1 c2; do run 0 "13: $n remote" c2c -C $n remote add hub "$T/hubc.git"; done
run 0 "13: c1 adds" c2c -C c1 add actions title="Sousse action" status=proposed sdg_targets=10.7
Z=$(cat "$T/out")
sync_ok "13: c1 sync" c1
sync_ok "13: c2 sync" c2
run 0 "13: c1 edits" c2c -C c1 set "actions/$Z" status=approved sdg_targets=10.7,5.1
run 0 "13: c2 edits" c2c -C c2 set "actions/$Z" status=ongoing title="Sousse action (C2)" sdg_targets=10.7,16.6
run 0 "13: c2 adds" c2c -C c2 add stakeholders name="Sousse municipality" kind=municipal
sync_ok "13: c1 sync" c1
for x in c1 c2 hubc.git; do cp -a "$x" "$x.orig"; done
restore() { for x in c1 c2 hubc.git; do rm -rf "$x" && cp -a "$x.orig" "$x"; done; }
C2HEAD=$(head_of c2)
sync_ok "13: an uninterrupted sync" c2
same "13: it merges" "$(js 'd[0]["merged"]')" True
WANT=$(tree c2)
restore
points=$(C2C_TEST_KILL_AT=list "$C2C" -C c2 sync 2>&1 >/dev/null | grep -c '^fault point')
check "13: sync has fault points ($points)" test "$points" -ge 3
restore
for k in $(seq 1 "$points"); do
	st=$(bash -c 'env C2C_TEST_KILL_AT=$1 "$2" -C c2 sync >/dev/null 2>&1; echo $?' _ "$k" "$C2C" 2>/dev/null)
	same "13: point $k: killed" "$st" 137
	run 0 "13: point $k: verify after the kill" c2c -C c2 verify
	h=$(head_of c2)
	check "13: point $k: head before or after ($h)" test "$h" = "$C2HEAD" -o "$(tree c2)" = "$WANT"
	sync_ok "13: point $k: the retry" c2
	same "13: point $k: the retry's tree" "$(tree c2)" "$WANT"
	same "13: point $k: the hub has c2's main" "$(git -C hubc.git rev-parse "refs/heads/nodes/$(node_id c2)")" "$(head_of c2)"
	sync_ok "13: point $k: c1 sync" c1
	converged "13: point $k" c1 c2
	same "13: point $k: one merge" "$(merges c2)" 1
	run 0 "13: point $k: verify c1" c2c -C c1 verify
	check "13: point $k: fsck c2" fsck_ok c2/repo.git
	check "13: point $k: fsck hub" fsck_ok hubc.git
	restore
done

# --- 11. every node and repository checks out ------------------------------
for n in a b p q p2 q2 lonely n1 n2 n3; do
	run 0 "11: verify $n" c2c -C $n verify
	check "11: fsck $n" fsck_ok $n/repo.git
	same "11: sqlite integrity $n" "$(sqlite3 $n/c2c.db 'PRAGMA integrity_check')" ok
done
for h in hub.git hub3.git; do
	check "11: fsck $h" fsck_ok $h
	same "11: $h only has node branches" "$(git -C $h for-each-ref --format='%(refname)' | grep -vc '^refs/heads/nodes/')" 0
done
same "11: hub3 has the three branches" "$(git -C hub3.git for-each-ref --format='%(refname)' | wc -l | tr -d ' ')" 3
run 0 "11: clone hub3" git clone -q "$T/hub3.git" "$T/clone3"
check "11: clone3 fsck" fsck_ok clone3
# --- 14. a pack per sync that brings something, gathered past git's limit -
# (repo_pack_gather: all but the largest into one once there are 50)
run 0 "14: hubg" c2c hub init "$T/hubg.git"
for n in g1 g2; do
	run 0 "14: init $n" c2c init $n --city rabat --user "User $n <$n@rabat.example>"
	run 0 "14: $n remote" c2c -C $n remote add hub "$T/hubg.git"
done
run 0 "14: g1 adds" c2c -C g1 add stakeholders name="Rabat reception desk" kind=municipal
G=$(cat "$T/out")
npacks() { ls "$1/repo.git/objects/pack" | grep -c '\.idx$'; }
most=0
for i in $(seq 1 55); do
	c2c -C g1 set "stakeholders/$G" role="round $i" >/dev/null && c2c -C g1 sync >/dev/null &&
		c2c -C g2 sync >/dev/null || { check "14: round $i" false; break; }
	k=$(npacks g2)
	[ "$k" -gt "$most" ] && most=$k
done
check "14: g2 never held more than 51 packs ($most)" test "$most" -le 51 -a "$most" -ge 50
check "14: g2 holds few packs now ($(npacks g2))" test "$(npacks g2)" -le 8
same "14: g2 has g1's last value" "$(val g2 "stakeholders/$G" role)" "round 55"
run 0 "14: verify g2" c2c -C g2 verify
check "14: fsck g2" fsck_ok g2/repo.git
same "14: no garbage in g2's packs" "$(git -C g2/repo.git count-objects -v | sed -n 's/^garbage: //p')" 0
for cmd in sync remote conflicts resolve hub; do
	run 0 "$cmd --help" c2c "$cmd" --help
	has "$T/out" "^usage: c2c $cmd" "$cmd --help shows usage"
done
finish
