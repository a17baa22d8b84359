#!/bin/bash
# The everyday frictions: values from files (FIELD=@FILE, @-), two officers
# on one node (--user, C2C_USER, c2c config user), status shows what is not
# yet sent, priorities by rank and a rank once per city, ls columns, the
# office's ls shows the city, a line diff for conflicting texts, errors as
# JSON objects under --json.
. "$(dirname "$0")/lib.sh"

O=$T/office
N=$T/tunis
c2c init "$O" --office --user "Office <o@example>" >/dev/null || exit 1
c2c init "$N" --city tunis --office-key "$O/keys/id_ed25519.pub" --user "Amina Ben Ali <amina@tunis.example>" >/dev/null || exit 1
c2c -C "$O" node add "$(node_id "$N")" --city tunis "$N/keys/id_ed25519.pub" >/dev/null || exit 1
cd "$N"
subject_author() { git -C repo.git log -1 --format='%an <%ae>|%cn' main; }

# ------------------------------------------------ FIELD=@FILE, @-
printf 'Tunis, capitale.\n\nDeuxi\303\250me paragraphe, "cit\303\251".\n' >"$T/body.txt"
run 0 "add body=@FILE" c2c add profile_sections section=overview lang=fr body=@"$T/body.txt"
run 0 "show" c2c show profile_sections/tunis.overview.fr --json
has "$T/out" '"body": "Tunis, capitale.\\n\\nDeuxième paragraphe, \\"cité\\"."' "the file's text, without its final line break"
printf 'from standard input\n' | c2c set profile_sections/tunis.overview.fr body=@- >/dev/null
run 0 "show after @-" c2c show profile_sections/tunis.overview.fr --json
has "$T/out" '"body": "from standard input"' "@- reads standard input"
run 0 "@@ is a literal @" c2c add actions title=@@home
ID=$(cat "$T/out")
run 0 "show @@" c2c show "actions/$ID" --json
has "$T/out" '"title": "@home"' "@@home gives @home"
run 1 "a missing file" c2c add actions title=@"$T/nowhere.txt"
has "$T/err" "title: .*nowhere.txt" "a missing file is named"
run 2 "@- twice" c2c add actions outcomes=@- title=@- </dev/null
run 0 "help tells of @FILE" c2c add --help
has "$T/out" "FIELD=@FILE" "add help: @FILE"

# ------------------------------------------------ two officers on one node
run 0 "config user shows the node's user" c2c config user
has "$T/out" "^Amina Ben Ali <amina@tunis.example>$" "config user"
c2c set "actions/$ID" status=ongoing --user "Karim Haddad <karim@tunis.example>" >/dev/null
same "--user is the author" "$(subject_author)" "Karim Haddad <karim@tunis.example>|$(node_id .)"
C2C_USER="Salma Trabelsi <salma@tunis.example>" c2c set "actions/$ID" status=approved >/dev/null
same "C2C_USER is the author" "$(subject_author | cut -d'|' -f1)" "Salma Trabelsi <salma@tunis.example>"
c2c set "actions/$ID" status=completed >/dev/null
same "without either, the node's user" "$(subject_author | cut -d'|' -f1)" "Amina Ben Ali <amina@tunis.example>"
run 0 "config user sets it" c2c config user "Karim Haddad <karim@tunis.example>"
c2c set "actions/$ID" status=cancelled >/dev/null
same "the node's new user" "$(subject_author | cut -d'|' -f1)" "Karim Haddad <karim@tunis.example>"
run 0 "log names both officers" c2c log "actions/$ID"
has "$T/out" "Salma Trabelsi" "log: Salma"
has "$T/out" "Karim Haddad" "log: Karim"
run 2 "a malformed --user" c2c set "actions/$ID" status=ongoing --user "nobody"
has "$T/err" "--user: .*Name <mail>" "malformed --user: message"

# ------------------------------------------------ priorities
run 0 "rank 2" c2c add priorities rank=2 challenge="housing"
P2=$(cat "$T/out")
run 0 "rank 1" c2c add priorities rank=1 challenge="language courses"
P1=$(cat "$T/out")
run 1 "rank 1 again" c2c add priorities rank=1 challenge="jobs"
has "$T/err" "priorities/$P1 already has city tunis, rank 1" "a rank used twice is refused"
run 1 "set a used rank" c2c set "priorities/$P2" rank=1
run 0 "ls priorities" c2c ls priorities
same "priorities by rank" "$(cut -f1 "$T/out" | tr '\n' ' ')" "$P1 $P2 "
has "$T/out" "^$P1	rank=1	theme=	challenge=language courses$" "the same columns on every line, empty ones too"

# ------------------------------------------------ the office's ls shows the city
c2c -C "$O" remote add tunis "$N" >/dev/null
c2c -C "$O" sync tunis >/dev/null 2>&1
run 0 "office ls" c2c -C "$O" ls priorities
has "$T/out" "^$P1	city=tunis	rank=1	" "the office's ls shows the city first"

# ------------------------------------------------ status: what is not yet sent
c2c remote add office "$O" >/dev/null
c2c sync office >/dev/null 2>&1
run 0 "status after sync" c2c status --json
same "nothing unsent" "$(python3 -c 'import json,sys; print([r["unsent_commits"] for r in json.load(open(sys.argv[1]))["remotes"]])' "$T/out")" "[0]"
c2c set "actions/$ID" status=ongoing >/dev/null
c2c set "actions/$ID" budget_eur=5 >/dev/null
run 0 "status after an offline edit" c2c status
has "$T/out" "not yet sent: 2 commits \('c2c sync office' sends them\)" "status shows the changes not yet sent"
run 0 "status --json" c2c status --json
same "unsent in json" "$(python3 -c 'import json,sys; print([r["unsent_commits"] for r in json.load(open(sys.argv[1]))["remotes"]])' "$T/out")" "[2]"

# ------------------------------------------------ a line diff for texts
B=$T/b
c2c init "$B" --city tunis --office-key "$O/keys/id_ed25519.pub" --user "Bilel <b@tunis.example>" >/dev/null
c2c -C "$O" node add "$(node_id "$B")" --city tunis "$B/keys/id_ed25519.pub" >/dev/null
c2c sync office >/dev/null 2>&1
c2c -C "$B" remote add n "$N" >/dev/null
c2c -C "$B" sync n >/dev/null 2>&1
printf 'one\ntwo\nthree\n' >"$T/t1"
c2c set profile_sections/tunis.overview.fr body=@"$T/t1" >/dev/null
c2c remote add b "$B" >/dev/null
c2c sync b >/dev/null 2>&1
c2c -C "$B" sync n >/dev/null 2>&1
printf 'one\nTWO from B\nthree\n' | c2c -C "$B" set profile_sections/tunis.overview.fr body=@- >/dev/null
printf 'one\ntwo\nthree\nfour from A\n' | c2c set profile_sections/tunis.overview.fr body=@- >/dev/null
c2c sync b >/dev/null 2>&1
run 0 "conflicts" c2c conflicts
has "$T/out" "^     lines changed from 1:" "a line diff"
has "$T/out" "^       [-+] TWO from B$" "the diff shows B's line"
has "$T/out" "^       [-+] four from A$" "the diff shows A's line"
has "$T/out" "^       four from A$" "whole values, line by line"
run 0 "show marks the field" c2c show profile_sections/tunis.overview.fr
has "$T/out" "open conflict" "show marks the conflict"
run 0 "resolve --json" c2c resolve profile_sections/tunis.overview.fr body --keep 2 --json
has "$T/out" '"kept": 2' "resolve --json: which value"
has "$T/out" '"value": "one\\n' "resolve --json: the value kept"
run 0 "show after resolve" c2c show profile_sections/tunis.overview.fr
check "no conflict marked after resolve" sh -c "! grep -q 'open conflict' '$T/out'"

# ------------------------------------------------ errors as JSON
run 1 "an error under --json" c2c show actions/nope --json
has "$T/out" '"code": "not_found"' "the error object has a stable code"
has "$T/out" '"message": "no record actions/nope"' "and the message, which names the record"
has "$T/err" "error:" "the text is still on stderr"
run 2 "a usage error under --json" c2c add --json
has "$T/out" '"code": "usage"' "usage errors too"
has "$T/out" '"exit": 2' "with the exit status"
run 2 "an unknown command under --json" c2c --json frob
has "$T/out" '"message": "'"'"'frob'"'"' is not a c2c command"' "an unknown command as a JSON error"
finish
