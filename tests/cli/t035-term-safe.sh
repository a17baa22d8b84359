#!/bin/bash
# Values that came from other nodes cannot drive the terminal: text output
# (ls, show, log, blame, conflicts) prints control characters escaped;
# --json and CSV carry the values unchanged.
. "$(dirname "$0")/lib.sh"

ESC=$(printf '\033')
EVIL=$(printf 'Title\033]0;pwned\007 and \033[2J cleared')
N=$T/n
c2c init "$N" --city tunis --user "$(printf 'Mallory\033[31m <m@tunis.example>')" >/dev/null || exit 1
cd "$N"
ID=$(c2c add actions title="$EVIL" outcomes="$(printf 'line one\nline \033[1mtwo')")
check "added" test -n "$ID"
noesc() {
	if grep -q "$ESC" "$T/out"; then
		not_ok "$1: a raw ESC byte in the text output"
		od -c "$T/out" | grep -m3 033 >&2
	else ok; fi
}
run 0 "ls" c2c ls actions
noesc "ls"
has "$T/out" 'title=Title\\x1b\]0;pwned\\x07 and \\x1b\[2J cleared' "ls shows the escapes"
run 0 "show" c2c show "actions/$ID"
noesc "show"
has "$T/out" '^outcomes +line one$' "show keeps the line break of a multi-line value"
has "$T/out" '^line \\x1b\[1mtwo$' "show escapes its second line"
run 0 "log" c2c log
noesc "log"
has "$T/out" 'Mallory\\x1b\[31m' "log escapes the author"
run 0 "log of the record" c2c log "actions/$ID"
noesc "log of the record"
run 0 "blame" c2c blame "actions/$ID"
noesc "blame"
has "$T/out" 'Title\\x1b' "blame escapes values"

# --json and CSV keep the bytes.
run 0 "show --json" c2c show "actions/$ID" --json
same "json keeps the value" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["title"] == sys.argv[2])' "$T/out" "$EVIL")" True
run 0 "export" c2c export actions
check "CSV keeps the raw ESC" grep -q "$ESC" "$T/out"

# A conflict between two nodes, one of them writing escapes.
P=$T/p
c2c init "$P" --city tunis --user "Peer <p@tunis.example>" >/dev/null
c2c -C "$P" remote add n "$N" >/dev/null
c2c remote add p "$P" >/dev/null
c2c sync p >/dev/null 2>&1
c2c -C "$P" sync n >/dev/null 2>&1
c2c -C "$P" set "actions/$ID" title="$(printf 'Peer \033[5mblink')" >/dev/null
c2c set "actions/$ID" title="$(printf 'Mine \033]2;x\007')" >/dev/null
c2c sync p >/dev/null 2>&1
run 0 "conflicts" c2c conflicts
noesc "conflicts"
has "$T/out" 'Peer \\x1b\[5mblink' "conflicts escapes the values"
has "$T/out" 'by Mallory\\x1b\[31m \(node ' "conflicts names and escapes the author"
run 0 "show marks the conflict" c2c show "actions/$ID"
has "$T/out" "^title .*\(open conflict" "show marks a field with an open conflict"
run 0 "conflicts --json" c2c conflicts --json
check "json keeps the escapes" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any("\x1b[5m" in v["value"] for v in d[0]["values"])' "$T/out"
finish
