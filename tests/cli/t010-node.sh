#!/bin/bash
# A city node: init, add, set, show, ls, rm; one commit per write; the
# repository read with stock git and the database with the sqlite3 shell.
. "$(dirname "$0")/lib.sh"

GENESIS=2e8e231569a755f4e01942e477a9f3b55f75581e
# The version is the one project(c2c VERSION ...) sets in CMakeLists.txt.
V=$(sed -n 's/^project(c2c VERSION \([0-9][0-9.]*\) .*/\1/p' "$C2C_SOURCE_DIR/CMakeLists.txt")
run 0 "--version" c2c --version
same "--version prints the project's version" "$(cat "$T/out")" "c2c ${V:-(none in CMakeLists.txt)}"

N=$T/tunis
run 0 "init" c2c init "$N" --city tunis --user "Amina Ben Ali <amina@tunis.example>"
has "$T/out" "Created city node tunis-" "init says what it made"
check "repo.git is bare" test -f "$N/repo.git/HEAD" -a ! -e "$N/repo.git/.git"
check "key is private" test "$(stat -c %a "$N/keys/id_ed25519")" = 600
same "genesis id is pinned" "$(git -C "$N/repo.git" rev-list --max-parents=0 main)" "$GENESIS"

# A second node, made elsewhere, starts from the same commit.
run 0 "init office" c2c init "$T/office" --office
same "genesis is shared" "$(git -C "$T/office/repo.git" rev-list --max-parents=0 main)" "$GENESIS"
# The office's first commit registers its own key: the root of trust.
same "office registers itself" "$(git -C "$T/office/repo.git" rev-list --count main)" 2
has "$T/out" "office key SHA256:" "init --office prints the root key's fingerprint"

cd "$N"
run 0 "add action" c2c add actions title="ACMALS - coordination of local actors" status=ongoing \
	budget_eur=50000 sdg_targets=17.9,10.7,5.1,16.6 objectives=A,B themes=civil_society_cooperation
ID=$(cat "$T/out")
check "add prints only the id" grep -Eqx '[0-9a-f]{24}' "$T/out"
same "one commit per write" "$(git -C repo.git rev-list --count main)" 2
run 0 "show --json" c2c show "actions/$ID" --json
has "$T/out" '"budget_eur": 50000' "show --json has the budget"
has "$T/out" '"sdg_targets": \[' "show --json has the set"
has "$T/out" '"city": "tunis"' "city defaults to the node's"

# The record file is the canonical text of the row.
P=$(git -C repo.git ls-tree -r --name-only main | grep "/$ID.json")
B=$(printf %s "$ID" | sha256sum | cut -c1-2)
same "path fan-out from sha256 of the id" "$P" "cities/tunis/actions/${B%?}/${B#?}/$ID.json"
git -C repo.git show "main:$P" >"$T/file"
has "$T/file" '^  "sdg_targets": \["10.7", "16.6", "17.9", "5.1"\],$' "sets sorted by bytes, one line"
has "$T/file" '^  "budget_eur": 50000,$' "integers plain"
check "final newline" test "$(tail -c1 "$T/file" | od -An -c | tr -d ' ')" = '\n'
check "keys sorted" sh -c "grep -E '^  \"' '$T/file' | cut -d'\"' -f2 | LC_ALL=C sort -c"

run 0 "set" c2c set "actions/$ID" status=completed people_reached_female=180
same "set is one commit" "$(git -C repo.git rev-list --count main)" 3
run 0 "set same values" c2c set "actions/$ID" status=completed
same "no-op set makes no commit" "$(git -C repo.git rev-list --count main)" 3
run 0 "ls filter" c2c ls actions status=completed
has "$T/out" "^$ID" "ls finds it by status"
run 0 "ls set filter" c2c ls actions sdg_targets=10.7 --json
has "$T/out" "\"id\": \"$ID\"" "ls finds it by set member"
run 0 "ls none" c2c ls actions status=proposed --json
same "ls empty json" "$(tr -d ' \n' <"$T/out")" "[]"

# Profile sections in two languages, natural keys.
run 0 "section en" c2c add profile_sections section=overview lang=en body="Tunis, capital, 2.7 million."
same "natural id" "$(cat "$T/out")" "tunis.overview.en"
run 0 "section ar" c2c add profile_sections section=overview lang=ar body="تونس العاصمة"
run 1 "same section twice" c2c add profile_sections section=overview lang=en body="again"
has "$T/err" "already exists" "duplicate natural key named"
run 0 "show ar" c2c show profile_sections/tunis.overview.ar
has "$T/out" "تونس العاصمة" "arabic round trip"

run 0 "rm" c2c rm "actions/$ID"
run 1 "show deleted" c2c show "actions/$ID"
has "$T/err" "was deleted" "show says deleted"
check "tombstone kept in history" sh -c "git -C repo.git show main:$P | grep -q '\"deleted\"'"

run 0 "status --json" c2c status --json
has "$T/out" '"node_id": "tunis-' "status has node_id"
has "$T/out" '"city": "tunis"' "status has city"
has "$T/out" "\"head\": \"$(git -C repo.git rev-parse main)\"" "status head is the ref"
run 0 "office status" c2c -C "$T/office" status --json
has "$T/out" '"city": null' "office has no city"

# Stock git and sqlite3 read the node.
check "git fsck --strict" git -C repo.git fsck --strict --no-progress
same "one commit per write in git log" "$(git -C repo.git log --format=%s main | head -3 | tr '\n' '|')" \
	"rm actions/$ID|add profile_sections/tunis.overview.ar|add profile_sections/tunis.overview.en|"
same "author is the user" "$(git -C repo.git log -1 --format='%an <%ae>' main)" "Amina Ben Ali <amina@tunis.example>"
same "sqlite integrity" "$(sqlite3 c2c.db 'PRAGMA integrity_check')" ok
same "sqlite journal" "$(sqlite3 c2c.db 'PRAGMA journal_mode')" wal
same "rows via sqlite3" "$(sqlite3 c2c.db "SELECT count(*) FROM profile_sections WHERE city='tunis'")" 2
run 0 "verify" c2c verify
run 0 "tables" c2c tables actions
has "$T/out" "proposed, approved, ongoing, completed, cancelled" "tables prints allowed values"
run 0 "tables json" c2c tables --json
has "$T/out" '"name": "event_participation"' "tables --json lists all"
for cmd in init status tables add set show ls rm log blame verify import export report repair; do
	run 0 "$cmd --help" c2c "$cmd" --help
	has "$T/out" "^usage: c2c $cmd" "$cmd --help shows usage"
done
run 0 "help add" c2c help add
run 2 "unknown command" c2c frobnicate
finish
