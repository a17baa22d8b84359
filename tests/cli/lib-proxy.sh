# The link to the test's sshd through scripts/netproxy, for the CLI tests
# that cut it, stall it or slow it down. Sourced after lib.sh and
# sshd-lib.sh (sshd_start first).
#
#   proxy_start [ARGS...]  (re)start the proxy from PROXY_PORT to the sshd,
#                          with netproxy's options (--cut-after N, --rate
#                          BPS, --stall-after N, --faulty K...); the first
#                          start takes a free port, the next ones keep it, so
#                          that a remote's URL holds across restarts
#   proxy_stop             stop it: the link goes down (open connections are
#                          reset) and the counts of the run are written
#                          (also done on exit)
#   pstat NAME             a count of the last run: up, down (bytes),
#                          connections, cuts, stalls, round_trips
#   proxy_url PATH         ssh://SSHD_USER@127.0.0.1:PROXY_PORT/PATH
# The proxy's messages go to $T/proxy.log.

PROXY=${C2C_SOURCE_DIR:-$(dirname "$0")/../..}/scripts/netproxy
PROXY_PORT=0
PROXY_PID=

proxy_start() {
	proxy_stop
	rm -f "$T/pstats" "$T/pport"
	python3 "$PROXY" --listen "$PROXY_PORT" --to "127.0.0.1:$SSHD_PORT" --stats "$T/pstats" "$@" \
		>"$T/pport" 2>>"$T/proxy.log" &
	PROXY_PID=$!
	for _ in $(seq 100); do [ -s "$T/pport" ] && break; sleep 0.05; done
	PROXY_PORT=$(cat "$T/pport")
	[ -n "$PROXY_PORT" ]
}

proxy_stop() {
	[ -n "${PROXY_PID:-}" ] || return 0
	kill "$PROXY_PID" 2>/dev/null
	wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=
}

pstat() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$T/pstats"; }

proxy_url() { printf 'ssh://%s@127.0.0.1:%s/%s' "$SSHD_USER" "$PROXY_PORT" "${1#/}"; }

# Stop the proxy on exit, before whatever the EXIT trap did already.
_proxy_chain_trap() {
	eval "set -- $(trap -p EXIT)"
	trap "proxy_stop; ${3:-}" EXIT
}
_proxy_chain_trap
