#!/bin/bash
# Sync over a real sshd with c2c's own SSH transport: the office and three
# cities through a hub; peer to peer; host keys unknown and changed; an
# unknown user key; a server that never answers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
. "$(dirname "$0")/lib-hub.sh"
sshd_start "$T/sshd" || exit 1
FP=$SSHD_FP
FPRE=$(printf %s "$FP" | sed 's/+/\\+/g') # for grep -E
export C2C_SSH_IDLE_TIMEOUT=10 C2C_SSH_CONNECT_TIMEOUT=5

# 1. The office and three cities through the hub.
HUB=$T/hub.git
hub_network --ssh --office-user "Coordination Office <office@mc2cm.example>" \
	--city-user "{city} focal point <fp@{city}.example>" \
	"$HUB" "$T/office" "$T/tunis:tunis" "$T/sfax:sfax" "$T/amman:amman" || exit 1
c2c -C "$T/tunis" add actions title="Tunis: communication on migration" budget_eur=40000 sdg_targets=10.7 >/dev/null
c2c -C "$T/sfax" add actions title="ACMALS" budget_eur=50000 sdg_targets=5.1,10.7,16.6,17.9 status=ongoing >/dev/null
c2c -C "$T/amman" add profile_sections section=overview lang=ar body="عمّان" >/dev/null
for c in tunis sfax amman; do run 0 "$c syncs over ssh" c2c -C "$T/$c" sync; done
has "$T/out" "pushed main" "a city pushes to the hub"
run 0 "office syncs" c2c -C "$T/office" sync --json
has "$T/out" '"kind": "hub"' "the office sees a hub"
run 0 "office report" c2c -C "$T/office" report --json
has "$T/out" '"ACMALS"|"budget_eur": 50000' "the office holds sfax's action"
for c in tunis sfax amman; do c2c -C "$T/$c" sync >/dev/null 2>&1; done
same "every city holds the office's tree" "$(git -C "$T/tunis/repo.git" rev-parse main^{tree})" \
	"$(git -C "$T/office/repo.git" rev-parse main^{tree})"
same "hub has one branch per node" "$(git -C "$HUB" for-each-ref refs/heads/nodes | wc -l)" 4
check "hub fsck --strict" git -C "$HUB" fsck --strict --no-progress
check "stock git clones the hub over ssh" sshd_git "$T/tunis/keys/id_ed25519" clone -q --bare "$(sshd_url "$HUB")" "$T/clone.git"
for d in office tunis sfax amman; do check "verify $d" c2c -C "$T/$d" verify; done

# 1b. c2c's own push over ssh sends a thin pack of what the change made:
# one field of one record among 300 is 1 commit, the 6 trees on its path
# and the record, the record sent as a delta against the version the hub
# holds; stock git reads the result.
awk 'BEGIN {print "title,budget_eur"; for (i = 1; i <= 300; i++) printf "Action %d,%d\n", i, i * 10}' >"$T/300.csv"
c2c -C "$T/sfax" import actions "$T/300.csv" >/dev/null && c2c -C "$T/sfax" sync >/dev/null || not_ok "sfax imports 300 actions and syncs"
X=$(c2c -C "$T/sfax" ls actions --json | sed -n 's/.*"id": "\(.*\)".*/\1/p' | tail -1)
c2c -C "$T/sfax" set "actions/$X" budget_eur=777 >/dev/null
run 0 "a one-field change syncs over ssh" c2c -C "$T/sfax" sync --json
has "$T/out" '"objects": 8' "the push sends the commit, the 6 trees on the path and the record"
if grep -q '"deltas": [1-9]' "$T/out"; then ok; else not_ok "the push sends deltas against what the hub holds"; fi
check "hub fsck --strict after a thin push" git -C "$HUB" fsck --strict --no-progress
c2c -C "$T/tunis" sync >/dev/null
has_val=$(c2c -C "$T/tunis" show "actions/$X" --json | grep -c '"budget_eur": 777')
same "tunis reads the change sent as a delta" "$has_val" 1

# 1c. A push the hub refuses (here a hook that closes it) fails with the
# hub's reason and its hook's message; the node keeps its change and pushes
# it once the hub takes pushes again.
[ -e "$HUB/hooks/pre-receive" ] && mv "$HUB/hooks/pre-receive" "$T/pre-receive.saved"
printf '#!/bin/sh\necho "hub closed for maintenance until Monday" >&2\nexit 1\n' >"$HUB/hooks/pre-receive"
chmod +x "$HUB/hooks/pre-receive"
c2c -C "$T/sfax" set "actions/$X" budget_eur=778 >/dev/null
run 1 "a push the hub refuses fails" c2c -C "$T/sfax" sync
has "$T/err" "the hub refused refs/heads/nodes/$(node_id "$T/sfax")" "the refusal names the ref"
has "$T/err" "hub closed for maintenance until Monday" "the refusal carries the hook's message"
check "verify after a refused push" c2c -C "$T/sfax" verify
rm "$HUB/hooks/pre-receive"
[ -e "$T/pre-receive.saved" ] && mv "$T/pre-receive.saved" "$HUB/hooks/pre-receive"
run 0 "the next sync pushes it" c2c -C "$T/sfax" sync
same "the hub holds the change" "$(git -C "$HUB" rev-parse "refs/heads/nodes/$(node_id "$T/sfax")")" \
	"$(git -C "$T/sfax/repo.git" rev-parse main)"

# 2. Peer to peer over ssh: a second node of sfax reads tunis's repo.git,
# with a plain key line (no hub's forced command), as on a city's own server.
c2c init "$T/p" --city sfax >/dev/null
c2c -C "$T/p" remote add hub "$T/sfax" >/dev/null && c2c -C "$T/p" sync >/dev/null
cat "$T/p/keys/id_ed25519.pub" >>"$SSHD_AUTHORIZED_KEYS"
c2c -C "$T/tunis" set "actions/$(c2c -C "$T/tunis" ls actions --json | sed -n 's/.*"id": "\(.*\)".*/\1/p' | head -1)" status=approved >/dev/null
run 0 "peer add" c2c -C "$T/p" remote add tunis "$(sshd_url "$T/tunis/repo.git")"
run 0 "peer trust" c2c -C "$T/p" remote trust tunis "$FP"
before=$(git -C "$T/tunis/repo.git" rev-parse main)
run 0 "peer sync over ssh" c2c -C "$T/p" sync tunis --json
has "$T/out" '"kind": "peer"' "seen as a peer"
has "$T/out" '"pushed": "no \(peer\)"' "nothing pushed to a peer"
same "the peer's repo is unchanged" "$(git -C "$T/tunis/repo.git" rev-parse main)" "$before"
run 0 "the approved status arrived" c2c -C "$T/p" ls actions status=approved --json
has "$T/out" '"status": "approved"' "peer data merged"

# 3. Host keys: unknown, then changed.
c2c init "$T/x" --city turin >/dev/null
c2c -C "$T/x" remote add hub "$(sshd_url "$HUB")" >/dev/null
c2c hub allow "$HUB" "$(node_id "$T/x")" "$T/x/keys/id_ed25519.pub" --authorized-keys "$SSHD_AUTHORIZED_KEYS" >/dev/null
head=$(git -C "$T/x/repo.git" rev-parse main)
run 1 "unknown host key refused" c2c -C "$T/x" sync
has "$T/err" "host key of 127.0.0.1:$SSHD_PORT is not known: $FPRE" "the fingerprint is shown"
has "$T/err" "c2c remote trust hub $FPRE" "the command that trusts it is shown"
run 0 "trust with a wrong fingerprint" c2c -C "$T/x" remote trust hub SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
run 1 "changed host key refused" c2c -C "$T/x" sync
has "$T/err" "HAS CHANGED" "refused loudly"
same "nothing changed after refusals" "$(git -C "$T/x/repo.git" rev-parse main)" "$head"
run 2 "a malformed fingerprint" c2c -C "$T/x" remote trust hub SHA1:nope
run 0 "trust by connecting" c2c -C "$T/x" remote trust hub
has "$T/out" "$FPRE" "trust prints the key it keeps"
run 0 "then sync works" c2c -C "$T/x" sync

# 4. A user key the server does not know.
c2c init "$T/y" --city rabat >/dev/null
c2c -C "$T/y" remote add hub "$(sshd_url "$HUB")" >/dev/null
c2c -C "$T/y" remote trust hub "$FP" >/dev/null
run 1 "unknown user key refused" c2c -C "$T/y" sync
has "$T/err" "hub: login: .* refused this node's key" "the message names remote and step"
has "$T/err" "c2c hub allow" "and what to do"

# 5. A server that accepts connections and never answers.
PORT2=$((SSHD_PORT + 1))
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
' "$PORT2" &
silent=$!
sleep 0.5
c2c -C "$T/y" remote add mute "ssh://$SSHD_USER@127.0.0.1:$PORT2/hub.git" >/dev/null
c2c -C "$T/y" remote trust mute "$FP" >/dev/null
# While a sync waits on the network, the node is not locked: a write goes on.
(C2C_SSH_IDLE_TIMEOUT=3 C2C_SYNC_BUDGET=3 c2c -C "$T/y" sync mute >/dev/null 2>&1) &
waiting=$!
sleep 1
C2C_LOCK_WAIT_MS=500 run 0 "a write while a sync waits on the network" c2c -C "$T/y" add stakeholders name="Municipal welcome desk"
wait $waiting
run 0 "verify after the write during a sync" c2c -C "$T/y" verify
t0=$(date +%s)
C2C_SSH_IDLE_TIMEOUT=2 C2C_SYNC_BUDGET=8 run 1 "a server that never answers" c2c -C "$T/y" sync mute
t1=$(date +%s)
kill $silent 2>/dev/null
has "$T/err" "mute: connect: no answer from the server for 2 s" "the message says the link is silent"
check "gave up within its budget" test $((t1 - t0)) -le 12
has "$T/err" "retrying in" "it retried with back-off"
run 0 "remote ls shows the failure" c2c -C "$T/y" remote ls
has "$T/out" "no answer from the server" "last result recorded"
check "hub fsck at the end" git -C "$HUB" fsck --strict --no-progress

# 6. A hub with the office key, over ssh: its pre-receive hook checks every
# pushed commit as a node does. A new node of sfax (registered by the office,
# whose history it reads as a peer) pushes its own history; a commit forged
# with stock git (its key signing a change to tunis's records) is refused.
HUBK=$T/hubk.git
run 0 "a hub with the office key" c2c hub init "$HUBK" --office-key "$T/office/keys/id_ed25519.pub"
c2c init "$T/s2" --city sfax --office-key "$T/office/keys/id_ed25519.pub" >/dev/null
SF=$(node_id "$T/s2")
c2c -C "$T/office" node add "$SF" --city sfax "$T/s2/keys/id_ed25519.pub" >/dev/null
c2c -C "$T/s2" remote add office "$T/office" >/dev/null && c2c -C "$T/s2" sync office >/dev/null
c2c -C "$T/s2" add stakeholders name="Sfax desk" kind=municipal >/dev/null
run 0 "hub allow" c2c hub allow "$HUBK" "$SF" "$T/s2/keys/id_ed25519.pub" --authorized-keys "$SSHD_AUTHORIZED_KEYS"
c2c -C "$T/s2" remote add hubk "$(sshd_url "$HUBK")" >/dev/null && c2c -C "$T/s2" remote trust hubk "$FP" >/dev/null
run 0 "its history passes the hook, over ssh" c2c -C "$T/s2" sync hubk
has "$T/out" "pushed main" "the push went through"
git clone -q --bare "$T/s2/repo.git" "$T/forge.git"
P=$(git -C "$T/forge.git" ls-tree -r --name-only main | grep '^cities/tunis/' | head -1)
git -C "$T/forge.git" show "main:$P" | sed 's/"title": "/"title": "forged /' >"$T/forged.json"
FT=$(python3 "$(dirname "$0")/graft.py" "$T/forge.git" "$(git -C "$T/forge.git" rev-parse 'main^{tree}')" "$P" 100644 \
	"$(git -C "$T/forge.git" hash-object -w "$T/forged.json")")
FC=$(git -C "$T/forge.git" -c gpg.format=ssh -c user.signingkey="$T/s2/keys/id_ed25519" -c user.name="$SF" -c user.email="$SF@c2c.invalid" \
	commit-tree "$FT" -p main -S -m "forged" -m "C2C-Node: $SF")
BEFORE=$(git -C "$HUBK" rev-parse "refs/heads/nodes/$SF")
run 1 "a forged commit pushed over ssh is refused by the hub's pre-receive hook" \
	sshd_git "$T/s2/keys/id_ed25519" -C "$T/forge.git" push -q "$(sshd_url "$HUBK")" "$FC:refs/heads/nodes/$SF"
has "$T/err" "commit $FC refused: node $SF writes $P, outside cities/sfax/" "the hub names the commit and the rule"
same "the hub's branch is unchanged" "$(git -C "$HUBK" rev-parse "refs/heads/nodes/$SF")" "$BEFORE"
if git -C "$HUBK" cat-file -e "$FC" 2>/dev/null; then not_ok "the refused commit is not in the hub"; else ok; fi
check "hub with the office key: fsck --strict" git -C "$HUBK" fsck --strict --no-progress
finish
