#!/bin/bash
# Sync through a faulty link (scripts/netproxy between a node and a hub on a
# real sshd): a cut at each tenth of the transfer in turn, a stalled link,
# and what a later sync resends. After each: the node is whole (verify), the
# hub is clean (git fsck --strict), and a sync with the link back completes.
#
# C2C_FAULT_RECORDS (default 120) sizes the transfer; C2C_FAULT_RANDOM=N adds
# N syncs with cuts at random places (seeded) for a longer run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
. "$(dirname "$0")/lib-hub.sh"
. "$(dirname "$0")/lib-proxy.sh" # one port for the whole test, restarted with other faults
sshd_start "$T/sshd" || exit 1
# Keepalives off within a sync (60 s): their bytes would make the byte counts
# vary with the machine's load.
export C2C_SSH_IDLE_TIMEOUT=4 C2C_SSH_CONNECT_TIMEOUT=3 C2C_SSH_KEEPALIVE=60 C2C_SYNC_BUDGET=30 C2C_SYNC_RETRY_WAIT=1
NREC=${C2C_FAULT_RECORDS:-120}

actions_csv() { # N SALT: N actions with incompressible titles
	echo title,budget_eur
	for i in $(seq "$1"); do
		printf '%s %s %s,%d\n' "$2" "$i" "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$i"
	done
}

# The hub holds sfax's records (pushed directly); tunis (node a) syncs
# through the proxy, fetching sfax's records and pushing its own.
# The office registers both cities' nodes and syncs first: commits are
# accepted only from registered nodes.
HUB=$T/hub.git O=$T/office
hub_network --ssh --apart "$T/a" "$HUB" "$O" "$T/sfax:sfax" "$T/a:tunis" || exit 1
actions_csv "$NREC" sfax >"$T/sfax.csv"
actions_csv $((NREC / 2)) tunis >"$T/tunis.csv"
run 0 "sfax gets the registry" c2c -C "$T/sfax" sync
c2c -C "$T/sfax" import actions "$T/sfax.csv" >/dev/null || exit 1
run 0 "sfax syncs directly" c2c -C "$T/sfax" sync
c2c -C "$T/a" import actions "$T/tunis.csv" >/dev/null || exit 1
proxy_start
hub_join "$T/a" "$(proxy_url "$HUB")" || exit 1
cp -a "$T/a" "$T/a0" && cp -a "$HUB" "$T/hub0" || exit 1
restore() {
	rm -rf "$T/a" "$HUB" && cp -a "$T/a0" "$T/a" && cp -a "$T/hub0" "$HUB"
}
H0=$(head_of "$T/a")

# 1. The whole transfer, clean, to know its size and the result.
run 0 "a clean sync through the proxy" c2c -C "$T/a" sync
proxy_stop # writes the final stats
WANT=$(head_of "$T/a" "^{tree}")
check "the clean sync took one connection" [ "$(pstat connections)" -eq 1 ]
UP=$(pstat up) DOWN=$(pstat down)
# The same again from the same state: the smaller count is the transfer
# (the first connection of a run can carry more).
restore
proxy_start
run 0 "the clean sync again" c2c -C "$T/a" sync
proxy_stop
if [ $(($(pstat up) + $(pstat down))) -lt $((UP + DOWN)) ]; then UP=$(pstat up) DOWN=$(pstat down); fi
FULL=$((UP + DOWN)) UPX=$UP DOWNX=$DOWN
echo "full transfer: $FULL bytes ($DOWN down, $UP up), $NREC + $((NREC / 2)) records"

# after_fault NAME: the node is whole, the hub clean, and a sync with a
# clean link completes with the right tree.
fsck_hub() { fsck_ok "$HUB"; }
verify_a() {
	c2c -C "$T/a" verify >"$T/verify" 2>&1 || { sed 's/^/  | /' "$T/verify" >&2; return 1; }
}
after_fault() {
	check "$1: verify" verify_a
	check "$1: hub fsck --strict" fsck_hub
	h=$(head_of "$T/a")
	if [ "$h" != "$H0" ]; then
		same "$1: a moved head holds the whole merge" "$(head_of "$T/a" "^{tree}")" "$WANT"
	fi
}
sync_again() { # a sync with the link clean completes
	proxy_start
	run 0 "$1: a later sync completes" c2c -C "$T/a" sync
	proxy_stop
	same "$1: the node holds the whole merge" "$(head_of "$T/a" "^{tree}")" "$WANT"
	same "$1: the hub holds the node's head" "$(git -C "$HUB" rev-parse "refs/heads/nodes/$(node_id "$T/a")")" "$(head_of "$T/a")"
	check "$1: hub fsck --strict after" fsck_hub
}

# Leak checking stays on for the syncs that meet a fault: on a dead link
# transport.c shuts the socket so that libssh2 frees its session and
# channels (they returned EAGAIN on the dead socket and stayed allocated).

# 2. A cut at each tenth of the transfer, on the first connection only: the
# sync retries and completes, or fails clearly and a later sync completes.
# The byte count of a sync varies a little from run to run (ssh's
# keepalives and window updates follow the link's timing): a run that ends
# before its cut point has nothing cut; it must still end whole, and most
# points must cut.
retried=0 failed=0 uncut=0
for k in 1 2 3 4 5 6 7 8 9; do
	restore
	at=$((FULL * k / 10))
	proxy_start --cut-after "$at" --faulty 1
	c2c -C "$T/a" sync >"$T/out" 2>"$T/err"
	rc=$?
	proxy_stop
	if [ "$(pstat cuts)" -eq 0 ] && [ "$rc" -eq 0 ]; then
		uncut=$((uncut + 1))
		echo "cut at $k/10: the sync moved $(($(pstat up) + $(pstat down))) bytes, fewer than $at: nothing was cut"
		same "cut at $k/10 (not reached): synced" "$(head_of "$T/a" "^{tree}")" "$WANT"
		after_fault "cut at $k/10 (not reached)"
		continue
	fi
	same "cut at $k/10: cut once" "$(pstat cuts)" 1
	if [ "$rc" -eq 0 ]; then
		retried=$((retried + 1))
		has "$T/err" "retrying in" "cut at $k/10: the retry is said"
		same "cut at $k/10: synced after the retry" "$(head_of "$T/a" "^{tree}")" "$WANT"
	else
		failed=$((failed + 1))
		same "cut at $k/10: exit status" "$rc" 1
		has "$T/err" "^c2c sync: error: hub: (fetch|push|sync): .*(closed|timed out|no answer|connection|reset|reading|writing)" "cut at $k/10: a clear message"
	fi
	after_fault "cut at $k/10"
	[ "$rc" -eq 0 ] || sync_again "cut at $k/10"
done
echo "cuts at each tenth: $retried retried and completed, $failed failed cleanly (then completed), $uncut not reached"
check "most cut points cut the link ($uncut of 9 not reached)" [ "$uncut" -le 3 ]

# 3. With git's protocols (C2C_SYNC_PROTOCOL=git: a hub without c2c), a
# cut in the push (the last tenth, the fetch is done and merged): the next
# sync fetches nothing again; only the push, which git cannot resume, is
# sent again.
export C2C_SYNC_PROTOCOL=git
restore
proxy_start
run 0 "a clean sync with git's protocols" c2c -C "$T/a" sync
proxy_stop
UP=$(pstat up) DOWN=$(pstat down)
restore
# (cut by the bytes sent up: two thirds of them is inside the push's pack
# whatever the run's exact sizes; 95% of the total missed it once)
proxy_start --cut-up $((UP * 2 / 3)) --faulty 1
C2C_SYNC_BUDGET=0 run 1 "a cut in the push, no retry: fails" c2c -C "$T/a" sync
proxy_stop
has "$T/err" "hub: " "the failure names the remote"
after_fault "cut in the push"
proxy_start
run 0 "the next sync completes" c2c -C "$T/a" sync
proxy_stop
down2=$(pstat down) up2=$(pstat up)
echo "after a cut in the push: the next sync moved $down2 bytes down (full fetch $DOWN), $up2 up (full push $UP)"
check "what arrived is not fetched again" [ "$down2" -lt $((DOWN / 3)) ]
same "the node holds the whole merge" "$(head_of "$T/a" "^{tree}")" "$WANT"
unset C2C_SYNC_PROTOCOL
UP=$UPX DOWN=$DOWNX

# 3b. With c2c's exchange, a cut in the answer (the hub took the push, the
# node did not learn it): the sync fails cleanly, nothing is merged, and the
# next sync completes; the hub, which already holds the push, is unchanged
# by the push sent again.
restore
proxy_start --cut-down $((DOWN * 2 / 3)) --faulty 1
C2C_SYNC_BUDGET=0 run 1 "a cut in the exchange's answer, no retry: fails" c2c -C "$T/a" sync
proxy_stop
has "$T/err" "hub: " "the failure names the remote"
same "the hub took the push before the cut" "$(git -C "$HUB" rev-parse "refs/heads/nodes/$(node_id "$T/a")")" "$H0"
same "nothing is merged" "$(head_of "$T/a")" "$H0"
after_fault "cut in the answer"
sync_again "cut in the answer"

# 4. A stalled link (the proxy stops forwarding half way through the fetch): the sync gives up
# after the idle timeout, with a clear message.
restore
proxy_start --stall-after $((DOWN / 2)) # within the fetch: nothing is merged yet
t0=$(date +%s)
C2C_SYNC_BUDGET=0 run 1 "a stalled link fails" c2c -C "$T/a" sync
t1=$(date +%s)
proxy_stop
same "stalled once" "$(pstat stalls)" 1
has "$T/err" "hub: .*no answer from the server for 4 s" "the stall is named"
check "it gave up within the idle timeout (took $((t1 - t0)) s)" [ $((t1 - t0)) -le 12 ]
same "nothing changed" "$(head_of "$T/a")" "$H0"
after_fault "stall"
# A stall at once, before the SSH greeting: the same, within the timeouts.
proxy_start --stall-after 0
C2C_SYNC_BUDGET=0 run 1 "a link silent from the start fails" c2c -C "$T/a" sync
proxy_stop
has "$T/err" "hub: .*(no answer|timed out|timeout)" "the silent link is named"
same "nothing changed" "$(head_of "$T/a")" "$H0"
sync_again "stall"

# 4b. A slow link (8 KB/s each way): the sync reports the progress of its
# transfers (C2C_PROGRESS=1 stands for a terminal; C2C_PROGRESS_AFTER_MS=0
# shows every report: a small push is in the kernel's buffers at once, so
# how long it takes on the wire is not the sender's to see).
restore
proxy_start --rate 8000 --faulty 1
C2C_PROGRESS=1 C2C_PROGRESS_AFTER_MS=0 run 0 "a sync over a slow link" c2c -C "$T/a" sync
proxy_stop
has "$T/err" 'receiving objects: [0-9]+/[0-9]+ \(100%\)' "the fetch reports the objects received"
has "$T/err" 'sending objects: [0-9]+/[0-9]+ \(100%\)' "the push reports the objects sent"

# 5. Longer runs: cuts at random places, seeded (C2C_FAULT_RANDOM=N).
for s in $(seq "${C2C_FAULT_RANDOM:-0}"); do
	restore
	proxy_start --cut-random 0.7 --cut-max "$FULL" --seed "$s"
	c2c -C "$T/a" sync >"$T/out" 2>"$T/err"
	proxy_stop
	after_fault "random cut, seed $s"
	sync_again "random cut, seed $s"
done
finish
