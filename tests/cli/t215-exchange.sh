#!/bin/bash
# c2c's sync exchange with a hub over ssh (include/c2c/exchange.h): one
# request and one answer on one channel; the answer names only the refs
# that changed since the node's last sync; the hub's rules hold; a server
# that does not speak it is synced with git's protocols; a hostile request
# changes nothing on the hub.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
. "$(dirname "$0")/lib-hub.sh"
sshd_start "$T/sshd" || exit 1
export C2C_SSH_IDLE_TIMEOUT=10 C2C_SSH_CONNECT_TIMEOUT=5

HUB=$T/hub.git
hub_network --ssh "$HUB" "$T/office" "$T/a:tunis" "$T/b:sfax" "$T/c:amman" "$T/d:sousse" || exit 1
for x in a b c d office a b c d; do c2c -C "$T/$x" sync >/dev/null 2>&1 || not_ok "$x syncs"; done
json_num() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$T/out" | head -n 1; }

# 1. One exchange, and only what changed.
run 0 "a syncs with nothing new" c2c -C "$T/a" sync --json
has "$T/out" '"protocol": "c2c"' "the hub answers c2c's exchange"
same "nothing changed since a's last sync: the answer names no ref" "$(json_num refs_named)" 0
c2c -C "$T/a" add actions title="Tunis: a new action" budget_eur=1000 >/dev/null
run 0 "a syncs its new action" c2c -C "$T/a" sync --json
has "$T/out" '"pushed": "yes"' "a's change is pushed in the exchange"
same "the answer names a's own branch only" "$(json_num refs_named)" 1
same "the hub holds a's main" "$(git -C "$HUB" rev-parse "nodes/$(node_id "$T/a")")" "$(head_of "$T/a")"
run 0 "b syncs" c2c -C "$T/b" sync --json
same "b's answer names a's branch only" "$(json_num refs_named)" 1
same "b holds a's action" "$(c2c -C "$T/b" ls actions --json | grep -c 'Tunis: a new action')" 1
same "b's merge is pushed on the same channel" "$(git -C "$HUB" rev-parse "nodes/$(node_id "$T/b")")" "$(head_of "$T/b")"
c2c -C "$T/b" sync >/dev/null
run 0 "b syncs again" c2c -C "$T/b" sync --json
same "then nothing is named" "$(json_num refs_named)" 0
check "hub fsck --strict" git -C "$HUB" fsck --strict --no-progress
check "stock git clones the hub" sshd_git "$T/a/keys/id_ed25519" clone -q --bare "$(sshd_url "$HUB")" "$T/clone.git"
check "a's commits verify with stock git" git -C "$T/clone.git" log --format=%H -1 "nodes/$(node_id "$T/a")"

# 2. A new table on the hub (its file lost): every ref is named again.
rm -f "$HUB/c2c-tips.db"
run 0 "c syncs after the hub lost its table" c2c -C "$T/c" sync --json
same "the answer names every branch" "$(json_num refs_named)" "$(git -C "$HUB" for-each-ref refs/heads/nodes | wc -l)"
same "c holds a's action" "$(c2c -C "$T/c" ls actions --json | grep -c 'Tunis: a new action')" 1

# 3. The hub's rules hold on this path: a refusing hook is reported with
# its message, the node keeps its change and pushes it later.
printf '#!/bin/sh\necho "hub closed for maintenance" >&2\nexit 1\n' >"$HUB/hooks/pre-receive"
chmod +x "$HUB/hooks/pre-receive"
c2c -C "$T/d" add actions title="Sousse: an action" >/dev/null
run 1 "a push the hub refuses fails" c2c -C "$T/d" sync
has "$T/err" "the hub refused refs/heads/nodes/$(node_id "$T/d")" "the refusal names the ref"
has "$T/err" "hub closed for maintenance" "the refusal carries the hook's message"
rm -f "$HUB/hooks/pre-receive"
run 0 "d syncs once the hub takes pushes again" c2c -C "$T/d" sync
same "the hub holds d's main" "$(git -C "$HUB" rev-parse "nodes/$(node_id "$T/d")")" "$(head_of "$T/d")"

# 4. Hostile requests to the forced command: an error, nothing changed.
before=$(refs "$HUB")
pkt() { printf '%04x%s\n' $((${#1} + 5)) "$1"; }
serve() { SSH_ORIGINAL_COMMAND="c2c-sync x" c2c hub serve "$HUB" "$(node_id "$T/c")"; }
{ pkt "c2c-sync 1"; pkt "ref refs/heads/main"; printf 0000; } | serve >"$T/ans" 2>"$T/err"
has "$T/ans" "error not a node's branch" "a ref outside the nodes' branches is refused"
{ pkt "c2c-sync 1"; pkt "since x -5"; printf 0000; } | serve >"$T/ans" 2>"$T/err"
has "$T/ans" "error a malformed line" "a malformed since is refused"
{ pkt "c2c-sync 1"; for i in $(seq 65); do pkt "have $(head_of "$T/a")"; done; printf 0000; } | serve >"$T/ans" 2>"$T/err"
has "$T/ans" "error more than 64 haves" "too many haves are refused"
printf 'zzzz' | serve >"$T/ans" 2>"$T/err"
has "$T/ans" "error .*malformed pkt-line" "a broken framing is refused"
{ pkt "c2c-sync 1"; pkt "push 0000000000000000000000000000000000000000 $(head_of "$T/a")"; printf 0000; printf '0009PACK\n'; printf 0000; } |
	serve >"$T/ans" 2>"$T/err"
has "$T/ans" "push ng" "a broken pack is refused by the hub's receive-pack"
# The first request on the command line (exchange.h): read as if it came
# first on the input; anything but padded base64 of a bounded size is refused.
inline() { SSH_ORIGINAL_COMMAND="c2c-sync 'x' --request=$1" c2c hub serve "$HUB" "$(node_id "$T/c")" </dev/null; }
inline "$({ pkt "c2c-sync 1"; pkt "end"; printf 0000; } | base64 -w0)" >"$T/ans" 2>"$T/err"
has "$T/ans" "since " "a request on the command line is answered"
inline "$({ pkt "c2c-sync 1"; pkt "ref refs/heads/main"; printf 0000; } | base64 -w0)" >"$T/ans" 2>"$T/err"
has "$T/ans" "error not a node's branch" "and checked as one on the input"
for bad in 'YzJj!!!!' 'YzJjLXN5bmMg===' 'Yz=j' "$(head -c 60000 /dev/zero | base64 -w0)"; do
	inline "$bad" >"$T/ans" 2>"$T/err"
	has "$T/ans" "error the request on the command line is (not base64|too long)" "a bad request on the command line is refused (${bad:0:12})"
done
same "the hub's refs are unchanged" "$(refs "$HUB")" "$before"
check "hub fsck --strict after hostile requests" git -C "$HUB" fsck --strict --no-progress

# 5. A server that does not speak the exchange (here git-shell, which runs
# only git's commands): the node syncs with git's protocols and remembers.
c2c init "$T/e" --city tunis --office-key "$T/office/keys/id_ed25519.pub" >/dev/null
c2c -C "$T/office" node add "$(node_id "$T/e")" --city tunis "$T/e/keys/id_ed25519.pub" >/dev/null
c2c -C "$T/office" sync >/dev/null
printf 'command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"" %s\n' "$(cut -d' ' -f1,2 "$T/e/keys/id_ed25519.pub")" >>"$SSHD_AUTHORIZED_KEYS"
c2c -C "$T/e" remote add hub "$(sshd_url "$HUB")" >/dev/null
c2c -C "$T/e" remote trust hub "$SSHD_FP" >/dev/null
run 0 "a node behind git-shell syncs" c2c -C "$T/e" sync --json
has "$T/out" '"protocol": "git"' "with git's protocols"
same "e holds a's action" "$(c2c -C "$T/e" ls actions --json | grep -c 'Tunis: a new action')" 1
run 0 "and again" c2c -C "$T/e" sync --json
has "$T/out" '"protocol": "git"' "remembered"
run 0 "C2C_SYNC_PROTOCOL=git on a c2c hub" env C2C_SYNC_PROTOCOL=git "$C2C" -C "$T/a" sync --json
has "$T/out" '"protocol": "git"' "git's protocols when asked for"

# 6. A small first request rides on the command line (exchange.h): it
# reaches the hub with the exec, a round trip before the channel's input
# would. A wrapper of a's forced command tells which way it came. A
# request too large for the command line goes as input and is served the
# same. (scripts/bench counts the round trips: a sync's count depends on
# timing, so it is not asserted here.)
cat >"$T/logcmd" <<EOF
#!/bin/sh
case "\$SSH_ORIGINAL_COMMAND" in
*" --request="*) echo "command line" >>'$T/cmd.log' ;;
*) echo "input" >>'$T/cmd.log' ;;
esac
exec "\$@"
EOF
chmod +x "$T/logcmd"
AID=$(node_id "$T/a")
sed -i "/ c2c-node $AID\$/s|command=\"'|command=\"'$T/logcmd' '|" "$SSHD_AUTHORIZED_KEYS"
grep -q "logcmd.* c2c-node $AID\$" "$SSHD_AUTHORIZED_KEYS" && ok || not_ok "a's key line runs the wrapper"
c2c -C "$T/a" add actions title="Tunis: one more action" budget_eur=2500 >/dev/null
rm -f "$T/cmd.log"
run 0 "a syncs one new record" c2c -C "$T/a" sync --json
has "$T/out" '"pushed": "yes"' "a's change is pushed"
same "its request came on the command line" "$(cat "$T/cmd.log" 2>/dev/null)" "command line"
{ echo title,budget_eur; for i in $(seq 400); do echo "Tunis: action $i of a long list,$i"; done; } >"$T/many.csv"
c2c -C "$T/a" import actions "$T/many.csv" >/dev/null || not_ok "a imports 400 actions"
rm -f "$T/cmd.log"
run 0 "a syncs a push too large for the command line" c2c -C "$T/a" sync --json
has "$T/out" '"pushed": "yes"' "the large push is taken"
same "its request came as input" "$(cat "$T/cmd.log" 2>/dev/null)" "input"
same "the hub holds a's main" "$(git -C "$HUB" rev-parse "nodes/$AID")" "$(head_of "$T/a")"
run 0 "b syncs both" c2c -C "$T/b" sync
same "b holds the 400 actions" "$(c2c -C "$T/b" ls actions --json | grep -c 'of a long list')" 400
check "hub fsck --strict after both" git -C "$HUB" fsck --strict --no-progress

# 7. A node that wrote before the office registered it (made without the
# office's key, as the demo's first city is), with a hub that checks every
# push (--office-key): the push that goes with its request is refused, its
# commits naming no registry; the merged main, which holds the office's
# registration of it, goes on the same channel.
HUBK=$T/hubk.git
c2c hub init "$HUBK" --office-key "$T/office/keys/id_ed25519.pub" >/dev/null || exit 1
c2c init "$T/early" --city tunis >/dev/null || exit 1
c2c -C "$T/early" add actions title="Tunis: written before the office knew us" >/dev/null || exit 1
c2c -C "$T/office" node add "$(node_id "$T/early")" --city tunis "$T/early/keys/id_ed25519.pub" >/dev/null &&
	c2c -C "$T/office" remote add hubk "$HUBK" >/dev/null && c2c -C "$T/office" sync hubk >/dev/null || exit 1
c2c hub allow "$HUBK" "$(node_id "$T/early")" "$T/early/keys/id_ed25519.pub" \
	--authorized-keys "$SSHD_AUTHORIZED_KEYS" >/dev/null && _HUB_SSH=1 _HUB_PATH=$HUBK hub_join "$T/early" || exit 1
run 0 "a node that wrote before its registration syncs" c2c -C "$T/early" sync --json
has "$T/out" '"protocol": "c2c"' "through the exchange"
has "$T/out" '"pushed": "yes"' "its merged main is pushed"
same "the hub holds its main" "$(git -C "$HUBK" rev-parse "nodes/$(node_id "$T/early")")" "$(head_of "$T/early")"
run 0 "the office syncs" c2c -C "$T/office" sync hubk
same "the office holds what it wrote" \
	"$(c2c -C "$T/office" ls actions --json | grep -c 'written before the office knew us')" 1
finish
