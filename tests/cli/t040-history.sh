#!/bin/bash
# History: c2c log (of the node, of one record) and c2c blame (per-field
# provenance), checked against stock git; deleted records; bad arguments.
. "$(dirname "$0")/lib.sh"

N=$T/tunis
run 0 "init" c2c init "$N" --city tunis --user "Amina Ben Ali <amina@tunis.example>"
cd "$N" || exit 1
GENESIS=$(git -C repo.git rev-list --max-parents=0 main)
NODE=$(node_id .)

run 0 "add action" c2c add actions title="Welcome desk" status=proposed budget_eur=1000 sdg_targets=10.7
ID=$(cat "$T/out")
C_ADD=$(git -C repo.git rev-parse main)
run 0 "set budget" c2c set "actions/$ID" budget_eur=2000
C_SET1=$(git -C repo.git rev-parse main)
run 0 "set budget again" c2c set "actions/$ID" budget_eur=3000
C_SET2=$(git -C repo.git rev-parse main)
run 0 "set status" c2c set "actions/$ID" status=approved
C_SET3=$(git -C repo.git rev-parse main)
run 0 "add another" c2c add actions title="Language courses"
ID2=$(cat "$T/out")
C_ADD2=$(git -C repo.git rev-parse main)
P=$(git -C repo.git ls-tree -r --name-only main | grep "/$ID.json")

# ---------------------------------------------------------------- c2c log
run 0 "log" c2c log
same "log lists every commit (genesis included)" "$(wc -l <"$T/out")" "$(git -C repo.git rev-list --count main)"
same "log count" "$(wc -l <"$T/out")" 6
same "log is newest first" "$(cut -c1-12 "$T/out" | tr '\n' ' ')" \
	"$(git -C repo.git log --format=%h --abbrev=12 main | tr '\n' ' ')"
has "$T/out" "^${C_ADD2:0:12} U [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} $NODE Amina Ben Ali  add actions/$ID2\$" \
	"log line: commit, date, node, author, subject"
has "$T/out" "^${GENESIS:0:12} N 2015-07-01 00:00 genesis " "genesis is last, by the genesis node"
same "genesis is the last line" "$(tail -1 "$T/out" | cut -c1-12)" "${GENESIS:0:12}"

run 0 "log -n 1" c2c log -n 1
same "-n 1 gives one line" "$(wc -l <"$T/out")" 1
has "$T/out" "^${C_ADD2:0:12} " "-n 1 is the head"
run 0 "log -n 0" c2c log -n 0
same "-n 0 gives nothing" "$(wc -c <"$T/out")" 0
run 2 "log -n x" c2c log -n x
has "$T/err" "-n" "bad -n is named"

run 0 "log of a record" c2c log "actions/$ID"
same "record log: exactly the 4 commits that touched it" "$(wc -l <"$T/out")" 4
same "record log equals git log -- PATH" "$(cut -c1-12 "$T/out" | tr '\n' ' ')" \
	"$(git -C repo.git log --format=%H main -- "$P" | cut -c1-12 | tr '\n' ' ')"
same "record log commits" "$(cut -c1-12 "$T/out" | tr '\n' ' ')" \
	"${C_SET3:0:12} ${C_SET2:0:12} ${C_SET1:0:12} ${C_ADD:0:12} "
run 0 "record log -n 1" c2c log "actions/$ID" -n 1
same "record log -n 1" "$(cut -c1-12 "$T/out")" "${C_SET3:0:12}"
run 0 "log of the other record" c2c log "actions/$ID2"
same "other record: one commit" "$(cut -c1-12 "$T/out")" "${C_ADD2:0:12}"
run 0 "log of a genesis record" c2c log cities/tunis
same "genesis record: the genesis commit" "$(cut -c1-12 "$T/out")" "${GENESIS:0:12}"

run 0 "log --json" c2c log --json
check "log --json parses" python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/out"
same "log --json count" "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <"$T/out")" 6
same "log --json head entry" "$(python3 -c '
import json,sys
e = json.load(sys.stdin)[0]
print(e["commit"], e["node"], e["author"], e["email"], e["subject"], len(e["parents"]), e["time"][-1])' <"$T/out")" \
	"$C_ADD2 $NODE Amina Ben Ali amina@tunis.example add actions/$ID2 1 Z"
same "log --json time is ISO 8601 UTC" "$(python3 -c '
import json,sys,datetime
e = json.load(sys.stdin)[0]
print(int(datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))' <"$T/out")" \
	"$(git -C repo.git log -1 --format=%ct main)"
same "log --json parents" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["parents"][0])' <"$T/out")" \
	"$C_SET3"
same "genesis has no parents" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["parents"])' <"$T/out")" "[]"
run 0 "record log --json" c2c --json log "actions/$ID" -n 2
same "record log --json -n 2" "$(python3 -c 'import json,sys; print(" ".join(e["commit"] for e in json.load(sys.stdin)))' <"$T/out")" \
	"$C_SET3 $C_SET2"

# -------------------------------------------------------------- c2c blame
# Field of a line of blame output: blame_col FIELD COLUMN (1 field, 2 value...).
blame_col() { awk -v f="$1" -v c="$2" '$1 == f { print $c }' "$T/out"; }
run 0 "blame" c2c blame "actions/$ID"
has "$T/out" "^title +Welcome desk +$NODE +${C_ADD:0:12} U  [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}  Amina Ben Ali\$" \
	"blame line: field, value, node, commit, date, the person"
same "budget from the last set" "$(blame_col budget_eur 4)" "$(git -C repo.git rev-parse --short=12 "$C_SET2")"
same "budget value" "$(blame_col budget_eur 2)" 3000
same "status from its set" "$(blame_col status 4)" "$(git -C repo.git rev-parse --short=12 "$C_SET3")"
same "status value" "$(blame_col status 2)" approved
same "sdg_targets from the add" "$(blame_col sdg_targets 4)" "${C_ADD:0:12}"
same "city from the add" "$(blame_col city 4)" "${C_ADD:0:12}"
same "node of a field" "$(blame_col budget_eur 3)" "$NODE"
same "schema order" "$(awk '{print $1}' "$T/out" | tr '\n' ' ')" "city title status budget_eur sdg_targets "
check "aligned columns" sh -c "awk '{ print index(\$0, \"$NODE\") }' '$T/out' | sort -u | wc -l | grep -qx 1"

run 0 "blame --json" c2c blame "actions/$ID" --json
check "blame --json parses" python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/out"
same "blame --json" "$(python3 -c '
import json,sys
b = json.load(sys.stdin)
f = {x["field"]: x for x in b["fields"]}
print(b["record"], f["budget_eur"]["value"], f["budget_eur"]["commit"], f["budget_eur"]["node"],
      f["title"]["commit"], f["sdg_targets"]["value"], b["deleted"], b["live"])' <"$T/out")" \
	"actions/$ID 3000 $C_SET2 $NODE $C_ADD ['10.7'] [] True"
same "blame --json dot matches the file" "$(python3 -c '
import json,sys
f = {x["field"]: x for x in json.load(sys.stdin)["fields"]}
print([f["budget_eur"]["node"], f["budget_eur"]["counter"], f["budget_eur"]["lamport"]])' <"$T/out")" \
	"$(git -C repo.git show "main:$P" | python3 -c 'import json,sys; print(json.load(sys.stdin)["_c2c"]["dots"]["budget_eur"])')"

run 0 "blame of a genesis record" c2c blame cities/tunis
has "$T/out" "^name +Tunis +genesis +${GENESIS:0:12} N  2015-07-01 00:00  c2c genesis\$" "genesis fields from genesis"

# A cleared field keeps its dot.
run 0 "clear budget" c2c set "actions/$ID" budget_eur=
C_CLEAR=$(git -C repo.git rev-parse main)
run 0 "blame cleared" c2c blame "actions/$ID"
has "$T/out" "^budget_eur +\(cleared\) +$NODE +${C_CLEAR:0:12} " "cleared field shown"

# ------------------------------------------------------ deleted records
run 0 "rm" c2c rm "actions/$ID"
C_RM=$(git -C repo.git rev-parse main)
run 0 "log of a deleted record" c2c log "actions/$ID"
same "deleted record log" "$(cut -c1-12 "$T/out" | tr '\n' ' ')" \
	"$(git -C repo.git log --format=%H main -- "$P" | cut -c1-12 | tr '\n' ' ')"
same "deleted record log: 6 commits, rm first" "$(wc -l <"$T/out") $(head -1 "$T/out" | cut -c1-12)" "6 ${C_RM:0:12}"
run 0 "blame of a deleted record" c2c blame "actions/$ID"
has "$T/out" "^deleted by $NODE in ${C_RM:0:12} " "blame names the delete"
same "last values kept" "$(blame_col status 2) $(blame_col status 4)" "approved ${C_SET3:0:12}"
run 0 "blame --json of a deleted record" c2c blame "actions/$ID" --json
same "blame --json deleted" "$(python3 -c '
import json,sys
b = json.load(sys.stdin)
print(b["live"], len(b["deleted"]), b["deleted"][0]["commit"], b["deleted"][0]["node"])' <"$T/out")" \
	"False 1 $C_RM $NODE"

# ------------------------------------------------------------------ merges
# Until sync exists, a merge is made by hand with git plumbing in a copy of
# the node: from the head H0, branch A sets the title, branch B (another
# node) sets it concurrently and deletes the record; the merge M keeps B's
# title with A's as an open conflict, and B's deletion as a conflict.
cp -r "$N" "$T/merge"
cd "$T/merge" || exit 1
G="git -C repo.git"
H0=$($G rev-parse main)
PM=$($G ls-tree -r --name-only main | grep "/$ID2.json")
$G show "main:$PM" >"$T/base.json"
version() { # KIND: write the record file of a branch on stdout
	python3 - "$1" "$NODE" "$T/base.json" <<'PY'
import json, sys
kind, node, base = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
meta = base["_c2c"]
a, b = [node, 90, 90], ["peer-0001", 1, 91]
if kind in ("a", "m"):
    meta["clock"][node] = 90
if kind in ("b", "m"):
    meta["clock"]["peer-0001"] = 1
    meta["deleted"] = [["peer-0001", 1, 91, dict(meta["clock"])]]
if kind == "a":
    base["title"], meta["dots"]["title"] = "From A", a
else:
    base["title"], meta["dots"]["title"] = "From B", b
if kind == "m":
    meta["conflicts"] = {"title": [["From A"] + a]}
print(json.dumps(base, indent=2, sort_keys=True, ensure_ascii=False))
PY
}
commit() { # KIND COMMITTER PARENT...: a commit of that version of the file
	kind=$1 who=$2
	shift 2
	export GIT_INDEX_FILE=$T/index
	$G read-tree "$1"
	$G update-index --add --cacheinfo "100644,$(version "$kind" | $G hash-object -w --stdin),$PM"
	tree=$($G write-tree)
	parents=
	for p in "$@"; do parents="$parents -p $p"; done
	GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=$who GIT_COMMITTER_EMAIL=$who@c2c.invalid \
		$G commit-tree "$tree" $parents -m "$kind"
	unset GIT_INDEX_FILE
}
CA=$(commit a "$NODE" "$H0")
CB=$(commit b peer-0001 "$H0")
CM=$(commit m "$NODE" "$CA" "$CB")
$G update-ref refs/heads/main "$CM"
sqlite3 c2c.db "UPDATE c2c_state SET value = '$CM' WHERE key = 'head'"
run 0 "log across a merge" c2c log "actions/$ID2"
same "merge log equals git log --full-history" "$(cut -c1-12 "$T/out" | tr '\n' ' ')" \
	"$($G log --format=%H --full-history main -- "$PM" | cut -c1-12 | tr '\n' ' ')"
same "merge log: merge, both sides, add" "$(cut -c1-12 "$T/out" | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "${CM:0:12}" "${CA:0:12}" "${CB:0:12}" "${C_ADD2:0:12}" | sort | tr '\n' ' ')"
has "$T/out" "^${CB:0:12} .* peer-0001 Tester  b\$" "node from the committer without a trailer"
run 0 "blame across a merge" c2c blame "actions/$ID2"
has "$T/out" "^title +From B +peer-0001 +${CB:0:12} " "standing value from the other side"
has "$T/out" "^  \(conflict\) +From A +$NODE +${CA:0:12} " "open conflict from this side"
has "$T/out" "^deletion by peer-0001 in ${CB:0:12} .*open conflict" "concurrent deletion shown"
same "title from the add is gone" "$(grep -c "${C_ADD2:0:12}" "$T/out")" 1
run 0 "blame --json across a merge" c2c blame "actions/$ID2" --json
same "blame --json conflicts" "$(python3 -c '
import json,sys
b = json.load(sys.stdin)
f = {x["field"]: x for x in b["fields"]}
c = f["title"]["conflicts"][0]
print(b["live"], f["title"]["commit"], c["value"], c["commit"], c["node"], b["deleted"][0]["commit"])' <"$T/out")" \
	"True $CB From A $CA $NODE $CB"
cd "$N" || exit 1

# ----------------------------------------------------------------- errors
run 1 "log unknown table" c2c log frobs/abc
has "$T/err" "frobs" "unknown table named"
run 1 "blame unknown table" c2c blame frobs/abc
has "$T/err" "frobs" "unknown table named (blame)"
run 1 "log malformed id" c2c log "actions/Bad..Id"
has "$T/err" "Bad\.\.Id" "malformed id named"
run 1 "blame malformed id" c2c blame "actions/Bad..Id"
has "$T/err" "Bad\.\.Id" "malformed id named (blame)"
run 1 "log nonexistent record" c2c log actions/0123456789abcdef01234567
has "$T/err" "actions/0123456789abcdef01234567" "nonexistent record named"
run 1 "blame nonexistent record" c2c blame actions/0123456789abcdef01234567
has "$T/err" "actions/0123456789abcdef01234567" "nonexistent record named (blame)"
run 2 "blame needs a record" c2c blame
run 2 "log too many arguments" c2c log "actions/$ID" "actions/$ID2"
run 0 "log --help" c2c log --help
has "$T/out" "git -C repo.git log" "log help names the stock git command"
run 0 "blame --help" c2c blame --help
has "$T/out" "git -C repo.git" "blame help names the stock git command"
finish
