#!/bin/bash
# The scale run's small form (scripts/bench-scale --check, which
# `BENCH_SCALE=1 scripts/bench` runs at 1,000 city nodes): a hub by path
# with 8 city nodes against one with 3, each city pushing its branch
# through the hub's checks; a spare node's first sync receives every
# node's records, a sync bringing one changed record brings it, the same
# over the loopback sshd through scripts/netproxy, and a new node's first
# sync of 2,000 records gets them all and shows progress: objects copied,
# records checked, rows written. Behaviour only:
# the timing verdicts it prints never fail the test.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

if TMPDIR=$T C2C=$C2C BENCH_SCALE_NODES=8 BENCH_SCALE_SMALL=3 BENCH_SCALE_RECORDS=2000 BENCH_SCALE_RUNS=1 \
	"$top/scripts/bench-scale" --check >"$T/out" 2>"$T/err"; then
	ok
else
	not_ok "scripts/bench-scale --check"
	sed 's/^/  | /' "$T/err" >&2
fi
for figure in "city's sync of 1 changed record" "same over ssh, bytes" "first full sync, time per node" \
	"first sync of 2000 records" "progress lines shown"; do
	grep -qF "$figure" "$T/out" && ok || not_ok "the table has no line for: $figure"
done
grep -q '| *progress lines shown during that first sync *| *[1-9]' "$T/out" && ok ||
	not_ok "no progress shown during a first sync"
grep -q '| *of: copying objects, checking records, writing rows *|' "$T/out" && ok ||
	not_ok "the first sync's progress does not show its three phases: $(grep ' of: ' "$T/out")"
finish
