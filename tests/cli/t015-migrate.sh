#!/bin/bash
# A database of an older schema is migrated by the next command, keeping
# every row; a database of a newer schema is refused.
. "$(dirname "$0")/lib.sh"

NEWEST=$(ls "${C2C_SOURCE_DIR:-$(dirname "$0")/../..}"/schema/[0-9]*.sql | sed 's|.*/0*\([0-9]*\)-.*|\1|' | sort -n | tail -1)
N=$T/turin
run 0 "init at schema 1" c2c init "$N" --city turin --schema-version 1
same "schema 1" "$(sqlite3 "$N/c2c.db" 'PRAGMA user_version')" 1
# At schema 1 the column does not exist; the raw database shows it.
check "no target_groups at 1" sh -c "! sqlite3 '$N/c2c.db' 'SELECT target_groups FROM actions' 2>/dev/null"
ID=$(sqlite3 "$N/c2c.db" "SELECT value FROM c2c_state WHERE key='node_id'")
same "node id kept" "$(echo "$ID" | cut -c1-6)" "turin-"

run 0 "a command migrates" c2c -C "$N" status --json
has "$T/out" "\"schema_version\": $NEWEST" "status shows the new schema"
same "schema is the newest" "$(sqlite3 "$N/c2c.db" 'PRAGMA user_version')" "$NEWEST"
run 0 "add with the new field" c2c -C "$N" add actions title="Turin youth hubs" target_groups=youth,refugees
A=$(cat "$T/out")
run 0 "show it" c2c -C "$N" show "actions/$A" --json
has "$T/out" '"target_groups": \[' "new field stored"
run 0 "verify after migration" c2c -C "$N" verify
run 0 "tables shows the new field" c2c -C "$N" tables actions
has "$T/out" "target_groups" "new field listed"

sqlite3 "$N/c2c.db" 'PRAGMA user_version = 99'
run 1 "newer schema refused" c2c -C "$N" status
has "$T/err" "schema version 99 is newer than this c2c knows" "message names the versions"
finish
