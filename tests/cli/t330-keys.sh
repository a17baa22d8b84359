#!/bin/bash
# Keys have a life (SPEC 7): the office revokes a stolen laptop's key, and
# whatever that laptop signs after the cut is refused everywhere (the hub
# over ssh and by path, a peer, a bundle) while its commits before the cut
# stay valid and verify with stock git; `c2c hub keys` takes its key off
# the hub; the city carries on from a new node, open conflict included; a
# second office node writes the network; the root is handed over while a
# city is offline; a lost root key is replaced by re-rooting every node.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
sshd_start "$T/sshd" || exit 1
FP=$(ssh-keygen -lf "$SSHD_HOSTKEY_PUB" | cut -d' ' -f2)
export C2C_SSH_IDLE_TIMEOUT=10 C2C_SSH_CONNECT_TIMEOUT=5
AK=$SSHD_AUTHORIZED_KEYS
cd "$T" || exit 1

root_of() { c2c -C "$1" trust --json | sed -n 's/.*"office_key": "\(.*\)".*/\1/p'; }
fp_of() { ssh-keygen -lf "$1" | cut -d' ' -f2; }
on_hub() { git -C "$HUB" rev-parse -q --verify "refs/heads/nodes/$1"; }
says() { # DESCRIPTION TEXT: the last command's stderr holds TEXT
	if grep -qF -- "$2" "$T/err"; then ok; else
		not_ok "$1: '$2' not in the error"
		sed 's/^/  | /' "$T/err" >&2
	fi
}
not() { ! "$@"; }
not_grep() { ! grep -q "$1" "$2"; }
join() { # DIR: its remote is the hub over ssh, the host key trusted
	c2c -C "$1" remote add hub "$(sshd_url "$HUB")" >/dev/null && c2c -C "$1" remote trust hub "$FP" >/dev/null
}

# --- the network: an office, a hub with its key, tunis, two sfax nodes ---------
c2c init office --office --user "Coordination Office <office@mc2cm.example>" >/dev/null || exit 1
OKEY=$T/office/keys/id_ed25519.pub
OID=$(node_id office)
HUB=$T/hub.git
c2c hub init "$HUB" --office-key "$OKEY" >/dev/null || exit 1
# The office is let in by hand once; from then on the registry decides.
c2c hub allow "$HUB" "$OID" "$OKEY" --authorized-keys "$AK" >/dev/null || exit 1
join office || exit 1
for n in tunis sfax sfaxb; do
	c2c init $n --city "${n%b}" --office-key "$OKEY" >/dev/null || exit 1
	c2c -C office node add "$(node_id $n)" --city "${n%b}" $n/keys/id_ed25519.pub >/dev/null || exit 1
	join $n || exit 1
done
SID=$(node_id sfax)
run 0 "the office pushes its registrations" c2c -C office sync
echo "# an unrelated line" >>"$AK"
run 0 "hub keys writes the hub's key lines from the registry" c2c hub keys "$HUB" --authorized-keys "$AK" --json
has "$T/out" '"written": 4' "one line per registered node"
has "$T/out" '"removed": 1' "the office's hand-made line is replaced"
check "other lines stay" grep -qx "# an unrelated line" "$AK"
same "the file stays private" "$(stat -c %a "$AK")" 600
for n in tunis sfax sfaxb; do c2c -C $n sync >/dev/null || not_ok "$n syncs over ssh"; done

# sfax and sfaxb edit one field at once: an open conflict.
X=$(c2c -C sfax add actions title="Reception desk" budget_eur=1000 status=ongoing)
c2c -C sfax sync >/dev/null && c2c -C sfaxb sync >/dev/null || not_ok "the action reaches sfaxb"
c2c -C sfax set "actions/$X" budget_eur=2000 >/dev/null
c2c -C sfaxb set "actions/$X" budget_eur=3000 >/dev/null
c2c -C sfax sync >/dev/null && c2c -C sfaxb sync >/dev/null && c2c -C sfax sync >/dev/null && c2c -C office sync >/dev/null ||
	not_ok "the conflict syncs"
has_conflict() { c2c -C "$1" conflicts --json | grep -q "\"actions/$X\"\|\"id\": \"$X\""; }
check "the conflict is open at the office" has_conflict office

# --- 1. revocation: the stolen laptop keeps writing, offline -------------------
run 0 "the office revokes sfax's node" c2c -C office node revoke "$SID" --reason "laptop stolen" --json
CUT=$(sed -n 's/.*"keep_until": "\(.*\)".*/\1/p' "$T/out")
same "the cut is sfax's newest commit the office holds" \
	"$CUT" "$(git -C office/repo.git log -1 --format=%H --committer="^$SID <" main)"
run 1 "... once only" c2c -C office node revoke "$SID"
says "a revocation never changes" "was revoked already"
run 1 "a revocation is not edited by hand" c2c -C office set "revocations/$SID" reason=oops
says "its own command only" "table revocations is written only by its own command"
run 1 "the root key cannot be revoked" c2c -C office node revoke "$OID"
run 0 "the office syncs it to the hub" c2c -C office sync

c2c -C sfax add actions title="Stolen laptop writes" >/dev/null
BEFORE=$(on_hub "$SID")
run 1 "over ssh, the hub refuses what the revoked key signs after the cut" c2c -C sfax sync
says "the refusal names the revocation" "whose key the office revoked on"
says "... and the cut" "only its commits up to ${CUT:0:12} stay valid"
same "sfax's branch on the hub is unchanged" "$(on_hub "$SID")" "$BEFORE"
c2c -C sfax remote add local "$HUB" >/dev/null
run 1 "by path, the hub refuses it too" c2c -C sfax sync local
says "by path, the same rule" "whose key the office revoked"
same "... and its branch is unchanged" "$(on_hub "$SID")" "$BEFORE"
c2c -C tunis remote add sfaxpeer "$T/sfax" >/dev/null
run 1 "a peer holds the revoked node's branch" c2c -C tunis sync sfaxpeer
says "held, with the rule" "whose key the office revoked"
no_stolen() { ! c2c -C tunis ls actions | grep -q 'Stolen laptop'; }
check "nothing of it merged" no_stolen
c2c -C sfax bundle create "$T/sfax.bundle" >/dev/null || not_ok "sfax makes a bundle"
run 1 "a bundle from the revoked node is held" c2c -C tunis bundle apply "$T/sfax.bundle"
check "... nothing of it merged" no_stolen
check "tunis still verifies" c2c -C tunis verify
c2c -C tunis remote rm sfaxpeer >/dev/null

run 0 "hub keys leaves the revoked key out" c2c hub keys "$HUB" --authorized-keys "$AK" --json
has "$T/out" '"revoked": 1' "one revoked key left out"
check "its line is gone" not_grep "c2c-node $SID\$" "$AK"
run 255 "the revoked key can no longer log in" sshd_ssh sfax/keys/id_ed25519 true
says "ssh refuses it" "Permission denied"
run 0 "tunis still logs in" c2c -C tunis sync

# Before the cut, sfax's commits stay valid: a node made now takes them.
c2c init amman --city amman --office-key "$OKEY" >/dev/null || exit 1
c2c -C office node add "$(node_id amman)" --city amman amman/keys/id_ed25519.pub >/dev/null &&
	c2c -C office sync >/dev/null && c2c hub keys "$HUB" --authorized-keys "$AK" >/dev/null && join amman ||
	not_ok "amman joins"
run 0 "a new node takes sfax's commits before the cut" c2c -C amman sync
holds() { c2c -C "$1" show "actions/$X" | grep -q 'Reception desk'; }
check "... its action is there" holds amman
check "amman verifies" c2c -C amman verify
run 0 "log marks the revoked key" c2c -C amman log
check "... with the date" grep -q "$SID \[revoked 20" "$T/out"
run 0 "the audit kit" c2c -C amman audit export "$T/audit"
check "the revoked key is valid before its revocation only" grep -q "^$SID namespaces=\"git\",valid-before=\"20" "$T/audit/allowed_signers"
check "the guide names the cut" grep -q "$CUT" "$T/audit/README.md"
check "stock git verifies sfax's commit before the cut" \
	git -C amman/repo.git -c gpg.ssh.allowedSignersFile="$T/audit/allowed_signers" verify-commit "$CUT"
check "the hub stays clean" git -C "$HUB" fsck --strict --no-progress

# --- 2. the lost laptop replaced: sfax carries on from a new node --------------
c2c init sfax2 --city sfax --office-key "$OKEY" >/dev/null || exit 1
S2=$(node_id sfax2)
c2c -C office node add "$S2" --city sfax sfax2/keys/id_ed25519.pub >/dev/null && c2c -C office sync >/dev/null &&
	c2c hub keys "$HUB" --authorized-keys "$AK" >/dev/null && join sfax2 || not_ok "the new laptop is registered"
run 0 "the new node syncs" c2c -C sfax2 sync
check "it holds the city's records" holds sfax2
check "... and the open conflict" has_conflict sfax2
run 0 "it resolves the conflict the old laptop left" c2c -C sfax2 resolve "actions/$X" budget_eur --value 2500
run 0 "... and edits the record" c2c -C sfax2 set "actions/$X" status=completed
run 0 "... and syncs" c2c -C sfax2 sync
c2c -C office sync >/dev/null
check "the office has no conflict left" not has_conflict office
run 0 "the office sees the new node's edit" c2c -C office show "actions/$X" --json
has "$T/out" '"budget_eur": 2500' "the resolved value"
has "$T/out" '"status": "completed"' "the new edit"
run 0 "blame names the new node" c2c -C office blame "actions/$X"
check "... for the status" grep -q "^status .*$S2" "$T/out"

# --- 3. a second office node; the root handed over while amman is offline -----
c2c init office2 --office --office-key "$OKEY" >/dev/null || exit 1
O2=$(node_id office2)
run 0 "the office registers a second office node" c2c -C office node add "$O2" --role office office2/keys/id_ed25519.pub
c2c -C office sync >/dev/null && c2c hub keys "$HUB" --authorized-keys "$AK" >/dev/null && join office2 ||
	not_ok "office2 joins"
run 0 "office2 syncs the history" c2c -C office2 sync
c2c -C office2 add themes name="Climate mobility" >/dev/null
run 0 "office2 writes network records" c2c -C office2 sync
c2c -C tunis sync >/dev/null
theme() { c2c -C "$1" ls themes | grep -q "$2"; }
check "tunis takes office2's record" theme tunis 'Climate mobility'
run 1 "only the root hands the root over" c2c -C office2 trust handover "$O2"
run 0 "the office hands the root over to office2" c2c -C office trust handover "$O2"
c2c -C office sync >/dev/null && c2c -C office2 sync >/dev/null || not_ok "the hand-over syncs"
same "office2 is the root now" "$(root_of office2)" "$(fp_of office2/keys/id_ed25519.pub)"
run 0 "office2 revokes the old root's node" c2c -C office2 node revoke "$OID" --reason "moved to a new machine"
c2c -C office2 sync >/dev/null
run 0 "amman, offline during the hand-over, syncs" c2c -C amman sync
check "the sync says so" grep -qF "trust: the office handed the root of trust over to key $(fp_of office2/keys/id_ed25519.pub)" "$T/out"
same "... and follows it" "$(root_of amman)" "$(fp_of office2/keys/id_ed25519.pub)"
c2c -C office add themes name="Old office writes" >/dev/null
run 1 "the old office's key writes nothing more" c2c -C office sync
says "refused as revoked" "whose key the office revoked"

# --- 4. office2's key is lost: every node re-rooted out of band ---------------
c2c init office3 --office --office-key "$OKEY" >/dev/null || exit 1
O3=$(node_id office3)
O3KEY=$T/office3/keys/id_ed25519.pub
c2c hub allow "$HUB" "$O3" "$O3KEY" --authorized-keys "$AK" >/dev/null && join office3 || not_ok "office3 is let in"
run 0 "office3 syncs the history" c2c -C office3 sync
same "... following the hand-over" "$(root_of office3)" "$(fp_of office2/keys/id_ed25519.pub)"
run 1 "re-rooting asks for --replace" c2c -C office3 trust office "$O3KEY"
says "and tells why" "--replace"
run 0 "office3 re-roots itself" c2c -C office3 trust office "$O3KEY" --replace
run 0 "... registers itself" c2c -C office3 node add "$O3" --role office "$O3KEY"
run 0 "... and revokes the lost key" c2c -C office3 node revoke "$O2" --reason "key lost"
c2c -C office3 add themes name="After re-rooting" >/dev/null
run 1 "the hub, not re-rooted yet, refuses office3" c2c -C office3 sync
run 0 "the hub's admin re-roots the hub" c2c hub office-key "$HUB" "$O3KEY" --replace
run 0 "office3 syncs" c2c -C office3 sync
run 1 "tunis, not re-rooted yet, holds office3's branch" c2c -C tunis sync
check "... nothing of it merged" not theme tunis 'After re-rooting'
run 0 "tunis is re-rooted" c2c -C tunis trust office "$O3KEY" --replace
run 0 "... and syncs" c2c -C tunis sync
check "... taking office3's record" theme tunis 'After re-rooting'
c2c -C office2 add themes name="Lost key writes" >/dev/null
run 1 "the lost key writes nothing more" c2c -C office2 sync
check "the hub stays clean" git -C "$HUB" fsck --strict --no-progress
for d in tunis amman sfax2 office3; do check "verify $d" c2c -C $d verify; done
finish
