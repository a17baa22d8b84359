#!/bin/bash
# Sync by file: two nodes that never connect exchange changes by bundles,
# both ways, with a conflict; stock git reads the bundles; damaged bundles
# and bundles built on commits a node lacks are refused and change nothing.
. "$(dirname "$0")/lib.sh"

A=$T/tunis B=$T/tunis2 O=$T/office
# The office registers both nodes of tunis and sends them its registry by
# bundle too: commits are accepted only from registered nodes.
c2c init "$O" --office >/dev/null || exit 1
for d in "$A" "$B"; do
	c2c init "$d" --city tunis --office-key "$O/keys/id_ed25519.pub" >/dev/null || exit 1
	c2c -C "$O" node add "$(node_id "$d")" --city tunis "$d/keys/id_ed25519.pub" >/dev/null || exit 1
done
c2c -C "$O" bundle create "$T/office.bundle" >/dev/null || exit 1
for d in "$A" "$B"; do
	run 0 "$(basename "$d") applies the office's bundle" c2c -C "$d" bundle apply "$T/office.bundle" --from office
done
first_id() { c2c -C "$1" ls actions --json | sed -n 's/.*"id": "\(.*\)".*/\1/p' | head -1; }
c2c -C "$A" add actions title="Welcome desk" status=proposed budget_eur=1000 >/dev/null || exit 1

# 1. Everything, from A: stock git verifies, clones and fetches it.
run 0 "bundle create (everything)" c2c -C "$A" bundle create "$T/a1.bundle"
has "$T/out" "^wrote .*a1.bundle: main [0-9a-f]{12}, [0-9]+ commits, [0-9]+ objects, [0-9]+ bytes, 0 prerequisites" "summary"
same "the file starts as a v2 bundle" "$(head -1 "$T/a1.bundle")" "# v2 git bundle"
git init -q --bare "$T/empty.git"
check "git bundle verify" git -C "$T/empty.git" bundle verify -q "$T/a1.bundle" 2>/dev/null
check "git clone from the bundle" git clone -q --bare "$T/a1.bundle" "$T/clone.git"
same "the clone holds A's main" "$(git -C "$T/clone.git" rev-parse main)" "$(head_of "$A")"
check "the clone is whole" git -C "$T/clone.git" fsck --strict --no-progress

# 2. B applies it.
run 0 "B applies A's bundle" c2c -C "$B" bundle apply "$T/a1.bundle" --from tunis
has "$T/out" "^applied .*a1.bundle: (merged|fast-forward), 1 record changed" "apply summary"
run 0 "the action arrived" c2c -C "$B" ls actions --json
has "$T/out" '"title": "Welcome desk"' "A's record on B"
run 0 "verify B" c2c -C "$B" verify
ID=$(first_id "$B")

# 3. Both edit the same field, and B adds a record; each sends only what
# the other lacks.
c2c -C "$A" set "actions/$ID" status=ongoing >/dev/null || exit 1
c2c -C "$B" set "actions/$ID" status=approved >/dev/null || exit 1
c2c -C "$B" add actions title="ACMALS" budget_eur=50000 >/dev/null || exit 1
run 0 "B bundles for tunis" c2c -C "$B" bundle create "$T/b1.bundle" --for tunis --json
has "$T/out" '"prerequisites": [1-9]' "B's bundle builds on what A holds"
check "A's git verifies B's bundle (A holds its prerequisites)" git -C "$A/repo.git" bundle verify -q "$T/b1.bundle" 2>/dev/null
check "stock git fetch from the bundle" git -C "$T/clone.git" fetch -q "$T/b1.bundle" "main:refs/heads/b"
check "the fetched clone is whole" git -C "$T/clone.git" fsck --strict --no-progress
full=$(stat -c %s "$T/a1.bundle")
check "the bundle for tunis is small ($(stat -c %s "$T/b1.bundle") vs $full bytes for everything)" \
	[ "$(stat -c %s "$T/b1.bundle")" -lt "$full" ]
run 0 "A applies B's bundle" c2c -C "$A" bundle apply "$T/b1.bundle" --from sfax
has "$T/out" "merged, 2 records changed, 1 conflict" "merged with a conflict"
run 0 "A bundles for sfax" c2c -C "$A" bundle create "$T/a2.bundle" --for sfax
run 0 "B applies it" c2c -C "$B" bundle apply "$T/a2.bundle" --from tunis
same "both hold the same tree" "$(head_of "$A" "^{tree}")" "$(head_of "$B" "^{tree}")"
for nd in "$A" "$B"; do
	run 0 "conflicts on $(basename "$nd")" c2c -C "$nd" conflicts --json
	has "$T/out" '"approved"' "$(basename "$nd") lists the conflict (approved)"
	has "$T/out" '"ongoing"' "$(basename "$nd") lists the conflict (ongoing)"
	run 0 "verify $(basename "$nd")" c2c -C "$nd" verify
done
run 1 "nothing left to send" c2c -C "$B" bundle create "$T/none.bundle" --for tunis
has "$T/err" "nothing to bundle" "said so"
check "no file written" [ ! -e "$T/none.bundle" ]
run 0 "applying a bundle twice changes nothing" c2c -C "$B" bundle apply "$T/a2.bundle" --from tunis
has "$T/out" "up to date, 0 records changed" "up to date"

# 4. Refused, changing nothing: truncated, corrupt, not a bundle, missing
# prerequisites.
c2c -C "$A" set "actions/$ID" budget_eur=2000 >/dev/null
c2c -C "$A" bundle create "$T/a3.bundle" --for sfax >/dev/null || exit 1
H=$(head_of "$B") P=$(ls "$B/repo.git/objects/pack" | sort | tr '\n' ' ')
unchanged() {
	same "$1: head unchanged" "$(head_of "$B")" "$H"
	same "$1: no pack added" "$(ls "$B/repo.git/objects/pack" | sort | tr '\n' ' ')" "$P"
	same "$1: no quarantine left" "$(ls -d "$B/repo.git/objects/incoming-"* 2>/dev/null)" ""
	run 0 "$1: verify" c2c -C "$B" verify
}
size=$(stat -c %s "$T/a3.bundle")
head -c $((size - 30)) "$T/a3.bundle" >"$T/cut.bundle"
run 1 "a truncated bundle is refused" c2c -C "$B" bundle apply "$T/cut.bundle"
has "$T/err" "cut.bundle: the bundle's pack is damaged or cut short" "the file is named"
unchanged "truncated"
head -c $((size / 2)) "$T/a3.bundle" >"$T/half.bundle"
run 1 "half a bundle is refused" c2c -C "$B" bundle apply "$T/half.bundle"
unchanged "half"
cp "$T/a3.bundle" "$T/bad.bundle"
printf '\377\377\377\377' | dd of="$T/bad.bundle" bs=1 seek=$((size - 40)) conv=notrunc 2>/dev/null
run 1 "a corrupt bundle is refused" c2c -C "$B" bundle apply "$T/bad.bundle"
has "$T/err" "bad.bundle: .*damaged" "corrupt named"
unchanged "corrupt"
echo "just text" >"$T/text.bundle"
run 1 "not a bundle" c2c -C "$B" bundle apply "$T/text.bundle"
has "$T/err" "text.bundle is not a git bundle" "said so"
unchanged "not a bundle"
c2c init "$T/amman" --city amman --office-key "$O/keys/id_ed25519.pub" >/dev/null
H2=$(head_of "$T/amman")
run 1 "missing prerequisites refused" c2c -C "$T/amman" bundle apply "$T/a3.bundle"
prq=$(sed -n 's/^-\([0-9a-f]\{40\}\).*/\1/p' "$T/a3.bundle" | head -1)
has "$T/err" "a3.bundle: this node lacks [0-9]+ commits? the bundle builds on: .*$prq" "the missing commit is named"
same "amman unchanged" "$(head_of "$T/amman")" "$H2"
check "stock git also refuses it there" sh -c "! git -C '$T/amman/repo.git' bundle verify -q '$T/a3.bundle' 2>/dev/null" 2>/dev/null
run 0 "the intact bundle then applies" c2c -C "$B" bundle apply "$T/a3.bundle" --from tunis
same "both hold the same tree again" "$(head_of "$A" "^{tree}")" "$(head_of "$B" "^{tree}")"
# A bundle is checked like a sync (SPEC 7): commits of a node the office
# never registered are refused, and nothing of them is merged.
c2c init "$T/rogue" --city tunis --office-key "$O/keys/id_ed25519.pub" >/dev/null
c2c -C "$T/rogue" bundle apply "$T/office.bundle" --from office >/dev/null || exit 1
c2c -C "$T/rogue" add actions title="Not registered" >/dev/null
c2c -C "$T/rogue" bundle create "$T/rogue.bundle" --for office >/dev/null || exit 1
H=$(head_of "$B")
run 1 "a bundle from an unregistered node is refused" c2c -C "$B" bundle apply "$T/rogue.bundle"
has "$T/err" "refused: signed by key .* not registered" "the commit and the rule are named"
same "rogue: head unchanged" "$(head_of "$B")" "$H"
run 0 "rogue: verify" c2c -C "$B" verify
if git -C "$B/repo.git" cat-file -e "$(head_of "$T/rogue")" 2>/dev/null; then
	not_ok "rogue: the refused commit left no object behind"
else ok; fi
check "rogue: fsck --strict" git -C "$B/repo.git" fsck --strict --no-progress
run 1 "--for an unknown name" c2c -C "$B" bundle create "$T/x.bundle" --for nobody
has "$T/err" "nothing is known of what 'nobody' holds" "named"
run 0 "--since a commit" c2c -C "$A" bundle create "$T/s.bundle" --since "$(git -C "$A/repo.git" rev-parse main~1)"
has "$T/out" "1 commit, .* 1 prerequisite" "one commit on one prerequisite"
finish
