#!/bin/bash
# verify reports, and exits 1 on, a database changed behind the node's back
# and a head moved behind its back; writes are refused until repair.
. "$(dirname "$0")/lib.sh"

N=$T/lyon
c2c init "$N" --office >/dev/null 2>&1 # a second node type must not matter
c2c init "$T/rabat" --city rabat >/dev/null || exit 1
cd "$T/rabat"
A=$(c2c add actions title="Rabat welcome desk" budget_eur=20000) || exit 1
S=$(c2c add stakeholders name="Association Main dans la Main" kind=civil_society) || exit 1
run 0 "verify clean" c2c verify
has "$T/out" "^ok:" "verify says ok"

# 1. A row edited with the sqlite3 shell.
sqlite3 c2c.db "UPDATE actions SET budget_eur = 99999 WHERE id = '$A'"
run 1 "verify finds the edited row" c2c verify
has "$T/out" "actions/$A: row differs from cities/rabat/actions/" "verify names the record and file"
run 1 "verify --json" c2c verify --json
has "$T/out" '"ok": false' "verify --json says not ok"
head=$(git -C repo.git rev-parse main)
run 1 "a write to the edited row is refused" c2c set "actions/$A" status=approved
has "$T/err" "changed behind the node's back" "refusal names the cause"
has "$T/err" "c2c repair" "refusal says what to do"
same "refused write made no commit" "$(git -C repo.git rev-parse main)" "$head"
same "the sqlite3 edit is not signed into history" \
	"$(git -C repo.git log --format=%s main | grep -c "actions/$A")" 1

# A row deleted and a row added behind the node's back.
sqlite3 c2c.db "DELETE FROM stakeholders WHERE id = '$S'"
run 1 "verify finds the deleted row" c2c verify
has "$T/out" "has no row in the database" "verify names the missing row"
sqlite3 c2c.db "INSERT INTO stakeholders (id, city, name, _c2c) VALUES ('sneaky', 'rabat', 'Ghost', '{}')"
run 1 "verify finds the extra row" c2c verify
has "$T/out" "stakeholders/sneaky: row is in the database but" "verify names the extra row"

run 0 "repair" c2c repair
has "$T/out" "repaired" "repair says what it did"
run 0 "verify after repair" c2c verify
run 0 "show after repair" c2c show "actions/$A" --json
has "$T/out" '"budget_eur": 20000' "repair restored the committed value"
run 0 "write after repair" c2c set "actions/$A" status=approved

# 2. The head moved behind the node's back.
git -C repo.git update-ref refs/heads/main main~1
run 1 "verify finds the moved head" c2c verify
has "$T/out" "refs/heads/main: is .* but the database records" "verify names the ref"
run 1 "writes refused while the head is moved" c2c add actions title=Other
has "$T/err" "moved behind the node's back" "refusal names the head"
has "$T/err" "c2c verify" "refusal says what to do"
run 0 "reads still work" c2c ls actions
has "$T/err" "warning: refs/heads/main moved" "reads warn"
run 0 "repair accepts the repository's head" c2c repair
run 0 "verify after head repair" c2c verify
run 0 "show after head repair" c2c show "actions/$A" --json
if grep -q '"status"' "$T/out"; then not_ok "repair to the older head keeps the older data"; else ok; fi

# 3. A commit made with stock git on top is taken as it is by repair.
git -C repo.git worktree add -q "$T/wt" main 2>/dev/null
P=$(git -C repo.git ls-tree -r --name-only main | grep "$A.json")
sed -i 's/"Rabat welcome desk"/"Rabat welcome desk (edited)"/' "$T/wt/$P"
git -C "$T/wt" -c user.name=x -c user.email=x@y commit -qam "edit by hand"
run 1 "verify finds the foreign commit" c2c verify
run 0 "repair" c2c repair
run 0 "show the foreign edit" c2c show "actions/$A"
has "$T/out" "(edited)" "repair loaded the foreign commit"
# ... but it is not signed: verify checks the history, and says so.
run 1 "verify at the end finds the unsigned commit" c2c verify
has "$T/out" "$(git -C repo.git rev-parse main): commit: not signed" "verify names the unsigned commit"
check "... and nothing else" test "$(wc -l <"$T/out")" -eq 1
check "fsck" git -C repo.git fsck --strict --no-progress
finish
