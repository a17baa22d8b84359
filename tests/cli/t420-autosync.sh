#!/bin/bash
# autosync against a hub on a real sshd, through scripts/netproxy: a local
# write reaches the hub soon; with the link cut, status shows the failures
# and the back-off; with the link back it catches up by itself; SIGTERM
# stops it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"
. "$(dirname "$0")/lib-hub.sh"
. "$(dirname "$0")/lib-proxy.sh"
sshd_start "$T/sshd" || exit 1
export C2C_SSH_IDLE_TIMEOUT=4 C2C_SSH_CONNECT_TIMEOUT=3 C2C_SSH_KEEPALIVE=2

AUTO_PID=
auto_stop() { [ -n "$AUTO_PID" ] && kill "$AUTO_PID" 2>/dev/null; }
eval "$(trap -p EXIT | sed "s/^trap -- '/trap -- 'auto_stop; /")"
# wait_for SECONDS COMMAND...: until the command succeeds; prints the seconds taken.
wait_for() {
	_limit=$(($1 * 1000))
	shift
	_t0=$(date +%s%3N)
	while ! "$@" 2>/dev/null; do
		if [ $(($(date +%s%3N) - _t0)) -gt "$_limit" ]; then
			echo "timeout"
			return 1
		fi
		sleep 0.2
	done
	_ms=$(($(date +%s%3N) - _t0))
	printf '%d.%d\n' $((_ms / 1000)) $((_ms % 1000 / 100))
}

# The office registers both nodes and syncs first: commits are accepted
# only from registered nodes. Tunis (A) reaches the hub through the proxy.
HUB=$T/hub.git A=$T/tunis S=$T/sfax O=$T/office
hub_network --ssh --apart "$A" "$HUB" "$O" "$A:tunis" "$S:sfax" || exit 1
proxy_start
hub_join "$A" "$(proxy_url "$HUB")" || exit 1
AID=$(node_id "$A")
hub_has_a() { [ "$(git -C "$HUB" rev-parse -q --verify "refs/heads/nodes/$AID")" = "$(git -C "$A/repo.git" rev-parse main)" ]; }

run 2 "a bad interval is refused" c2c -C "$A" autosync --interval 0
# The daemon itself, not lib.sh's wrapper function (a signal must reach it);
# under valgrind when the other commands are.
VG=
[ -n "${C2C_VALGRIND:-}${C2C_VALGRIND_DAEMON:-}" ] && VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
$VG "$C2C" -C "$A" autosync --interval 4 --after-write 1 --retry 1 --max-backoff 3 >"$T/auto.log" 2>&1 &
AUTO_PID=$!
w=$(wait_for 15 grep -q "hub: ok" "$T/auto.log")
check "the first sync at start ($w s)" [ "$w" != timeout ]

# 1. A local write reaches the hub soon (the interval is 4 s, the delay
# after a write 1 s).
c2c -C "$A" add actions title="Welcome desk" >/dev/null
w=$(wait_for 10 hub_has_a)
check "a local write reaches the hub by itself ($w s)" [ "$w" != timeout ]
echo "a local write reached the hub in $w s"

# 2. The link goes down: failures, back-off (capped at 3 s), and status says so.
proxy_stop
c2c -C "$A" add actions title="Written while the link is down" >/dev/null
w=$(wait_for 20 grep -q "hub: failed (3 in a row)" "$T/auto.log")
check "it keeps failing while the link is down ($w s)" [ "$w" != timeout ]
has "$T/auto.log" "hub: failed \(1 in a row\): hub: .*connecting to 127.0.0.1:$PROXY_PORT.*; retry in 1 s" "the first failure, named, retried after 1 s"
has "$T/auto.log" "hub: failed \(2 in a row\): .*; retry in 2 s" "the wait doubles"
check "the back-off is capped at 3 s" sh -c "! grep -Eq 'retry in ([4-9]|[1-9][0-9]+) s' '$T/auto.log'"
run 0 "status --json while the link is down" c2c -C "$A" status --json
has "$T/out" '"ok": false' "the last attempt failed"
has "$T/out" '"failures": [1-9]' "failures counted"
has "$T/out" '"next_try": [1-9][0-9]+' "the next try is shown"
has "$T/out" '"last_result": "hub: .*connecting' "the outcome is the error"
run 0 "status" c2c -C "$A" status
has "$T/out" "autosync: [0-9]+ failed in a row, next try [0-9:]+ UTC \(in [0-9]+ s\)" "status text shows the back-off"
not_on_hub() { ! hub_has_a; }
check "the write did not reach the hub" not_on_hub

# 3. Meanwhile sfax writes to the hub; the link comes back: autosync catches
# up by itself, both ways.
c2c -C "$S" add actions title="ACMALS" >/dev/null && c2c -C "$S" sync >/dev/null || exit 1
oks=$(grep -c "hub: ok:" "$T/auto.log")
proxy_start
a_has_sfax() { c2c -C "$A" ls actions --json | grep -q '"ACMALS"'; }
# (and autosync has logged a sync that succeeded: the sync records its
# outcome after its push, so the hub can hold the write a moment before)
logged_ok() { [ "$(grep -c "hub: ok:" "$T/auto.log")" -gt "$oks" ]; }
caught_up() { hub_has_a && a_has_sfax && logged_ok; }
w=$(wait_for 20 caught_up)
check "it catches up by itself once the link is back ($w s)" [ "$w" != timeout ]
echo "caught up $w s after the link came back"
run 0 "status after" c2c -C "$A" status --json
has "$T/out" '"failures": 0' "failures reset"
has "$T/out" '"ok": true' "the last attempt succeeded"

# 4. SIGTERM stops it cleanly.
kill -TERM "$AUTO_PID"
gone() { ! kill -0 "$AUTO_PID"; }
w=$(wait_for 10 gone)
check "SIGTERM stops it ($w s)" [ "$w" != timeout ]
wait "$AUTO_PID"
same "exit status after SIGTERM" "$?" 0
AUTO_PID=
has "$T/auto.log" "stopping" "it says it stops"
run 0 "status after the stop" c2c -C "$A" status --json
has "$T/out" '"next_try": 0' "no next try once stopped"
run 0 "verify" c2c -C "$A" verify
check "hub fsck --strict" git -C "$HUB" fsck --strict --no-progress
check "the systemd unit runs c2c autosync" grep -q "^ExecStart=.*c2c .*autosync" \
	"${C2C_SOURCE_DIR:-$(dirname "$0")/../..}/scripts/c2c-autosync.service"
[ "$fail" -eq 0 ] || sed "s/^/  auto.log | /" "$T/auto.log" >&2
finish
