#!/bin/bash
# Two commands never interleave; a write rewrites only the trees on the path
# of the record it changes.
. "$(dirname "$0")/lib.sh"

N=$T/seville
c2c init "$N" --city seville >/dev/null || exit 1
cd "$N"
A=$(c2c add actions title="Seville communication campaign" budget_eur=10000) || exit 1

# The node lock: held by another process, a command waits, then gives up
# naming the holder; nothing changes.
head=$(git -C repo.git rev-parse main)
flock -o c2c.lock sleep 5 &
holder=$!
sleep 0.3
export C2C_LOCK_WAIT_MS=500
run 1 "a second command while the node is locked" c2c set "actions/$A" budget_eur=1
has "$T/err" "another c2c command .* is using this node" "the message names the lock"
same "nothing written while locked" "$(git -C repo.git rev-parse main)" "$head"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
run 0 "after the lock is released" c2c set "actions/$A" budget_eur=1

# Concurrent writers queue up and every write lands as its own commit (a
# long queue under valgrind: let them wait).
export C2C_LOCK_WAIT_MS=180000
before=$(git -C repo.git rev-list --count main)
for i in 1 2 3 4 5 6; do c2c add stakeholders name="Partner $i" >/dev/null & done
wait
same "six concurrent adds, six commits" "$(git -C repo.git rev-list --count main)" $((before + 6))
run 0 "verify after concurrent writes" c2c verify

# Cost of a write: one blob, the trees on its path, one commit. With
# fan-out cities/seville/actions/a/b/ that is 1 + 6 + 1 objects.
git -C repo.git count-objects -v | awk '/^count:/ {print $2}' >"$T/c0"
run 0 "one-field edit" c2c set "actions/$A" status=ongoing
git -C repo.git count-objects -v | awk '/^count:/ {print $2}' >"$T/c1"
same "objects written by one edit" "$(($(cat "$T/c1") - $(cat "$T/c0")))" 8
same "one file changed" "$(git -C repo.git diff-tree -r --name-only main~1 main | wc -l)" 1
finish
