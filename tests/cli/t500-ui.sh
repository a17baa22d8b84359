#!/bin/bash
# c2c ui: the rules of a local web server, with curl. The printed URL; 403
# without the session cookie or with a Host that is not ours (DNS
# rebinding); POST without or with a wrong CSRF token is 403 and changes
# nothing; markup and quotes in every kind of field come back escaped; a
# refused save is 422 with what was typed and the message beside the field;
# a save is one commit; the CLI works beside the server; a sync started in
# the browser runs while other pages answer, its progress shown as it goes
# (over a slow link: sshd behind scripts/netproxy); SIGTERM stops it.
TESTS=$(cd "$(dirname "$0")" && pwd)
. "$TESTS/lib.sh"

cd "$T" || exit 1
command -v curl >/dev/null || { echo "curl is not installed (scripts/deps installs it)"; exit 77; }

run 0 "ui --help" c2c ui --help
has "$T/out" "c2c ui \[--port N\] \[--no-browser\]" "ui --help shows the usage"
has "$T/out" "127.0.0.1" "ui --help says where it listens"
run 2 "ui with a bad port" c2c ui --port nope

run 0 "init" c2c init n --city tunis --user "Amina <amina@tunis.example>"
ncommits() { git -C n/repo.git rev-list --count main; }

"$C2C" -C n ui --no-browser --port 0 >"$T/ui.out" 2>"$T/ui.err" &
UI=$!
trap 'kill "$UI" 2>/dev/null; rm -rf "$T"' EXIT # a failed test leaves no server behind
for _ in $(seq 50); do [ -s "$T/ui.out" ] && break; sleep 0.1; done
URL=$(head -1 "$T/ui.out")
check "the first line is the login URL" grep -Eq '^http://127\.0\.0\.1:[0-9]+/login\?token=[0-9a-f]{32,}$' "$T/ui.out"
PORT=$(echo "$URL" | sed 's|http://127.0.0.1:\([0-9]*\)/.*|\1|')
B="http://127.0.0.1:$PORT"
check "listens on 127.0.0.1 only" sh -c "! ss -ltn 2>/dev/null | grep -q '0.0.0.0:$PORT'"

code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
# sync_wait RUN: wait until the browser's sync RUN is over (90 s at most).
sync_wait() {
	for _ in $(seq 900); do
		code -b "$T/jar" "$B/sync/progress?run=$1" >/dev/null
		grep -q 'data-state="running"' "$T/body" || return 0
		sleep 0.1
	done
	return 1
}
same "no cookie: 403" "$(code "$B/")" 403
check "no cookie: no data" sh -c "! grep -q Amina '$T/body'"
same "no cookie, a record list: 403" "$(code "$B/records/actions")" 403
same "a wrong token: 403" "$(code "$B/login?token=0000")" 403
same "login by the printed URL: 303" "$(code -c "$T/jar" -D "$T/hdr" "$URL")" 303
has "$T/hdr" "Set-Cookie: c2c_session_$PORT=[0-9a-f]+; Path=/; HttpOnly; SameSite=Strict" "the cookie is HttpOnly and SameSite=Strict"
has "$T/hdr" "Location: /" "login redirects to /"
same "with the cookie: 200" "$(code -b "$T/jar" -D "$T/hdr" "$B/")" 200
has "$T/body" "Amina" "the home page shows the person"
has "$T/hdr" "Content-Security-Policy: default-src 'none'; script-src 'self'" "a CSP without inline script"
check "no inline script in the page" sh -c "! grep -Eq '<script>|<script [^>]*>[^<]' '$T/body'"
has "$T/body" '<html lang="en" dir="ltr">' "html lang and dir"
same "a foreign Host with the cookie: 403" "$(code -b "$T/jar" -H "Host: evil.example:$PORT" "$B/")" 403
same "Host with another port: 403" "$(code -b "$T/jar" -H "Host: 127.0.0.1:1" "$B/")" 403
SESSION=$(awk -v c="c2c_session_$PORT" '$6 == c {print $7}' "$T/jar")
same "Host localhost:PORT: 200" "$(code -H "Cookie: c2c_session_$PORT=$SESSION" -H "Host: localhost:$PORT" "$B/")" 200
same "a foreign Host with the cookie sent as such: 403" "$(code -H "Cookie: c2c_session_$PORT=$SESSION" -H "Host: evil.example:$PORT" "$B/")" 403
same "an asset: 200" "$(code "$B/static/style.css")" 200
same "no path outside the assets: 404" "$(code --path-as-is "$B/static/../../etc/passwd")" 404
same "no path outside the assets, encoded" "$(code --path-as-is "$B/static/%2e%2e/%2e%2e/etc/passwd")" 404
same "a page that does not exist: 404" "$(code -b "$T/jar" "$B/nonesuch")" 404

# --- CSRF ------------------------------------------------------------------
code -b "$T/jar" "$B/new/actions" >/dev/null
CSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//; s/"$//')
check "forms carry a CSRF token" test -n "$CSRF"
before=$(ncommits)
same "POST without CSRF: 403" "$(code -b "$T/jar" --data-urlencode "title=no token" "$B/new/actions")" 403
same "POST with a wrong CSRF: 403" "$(code -b "$T/jar" --data-urlencode "csrf=$(echo "$CSRF" | tr 0-9a-f 1-9a-f0)" --data-urlencode "title=bad token" "$B/new/actions")" 403
same "POST with the token but no cookie: 403" "$(code --data-urlencode "csrf=$CSRF" --data-urlencode "title=no cookie" "$B/new/actions")" 403
same "refused POSTs commit nothing" "$(ncommits)" "$before"
run 0 "ls after refused POSTs" c2c -C n ls actions
same "refused POSTs add no record" "$(wc -l <"$T/out" | tr -d ' ')" 0

# --- a refused save: 422, what was typed, the message by the field -----------
EVIL='<script>alert("x")</script> & '"'"'q'"'"
same "a bad number: 422" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "title=$EVIL" \
	--data-urlencode "budget_eur=-5" --data-urlencode "start_date=2026-13-45" --data-urlencode "status=ongoing" \
	"$B/new/actions")" 422
has "$T/body" 'id="msg-budget_eur"' "the message is beside budget_eur"
has "$T/body" 'id="msg-start_date"' "and beside start_date"
has "$T/body" 'value="&lt;script&gt;alert\(&quot;x&quot;\)&lt;/script&gt; &amp; &#39;q&#39;"' "what was typed is kept, escaped"
has "$T/body" 'value="ongoing" selected' "the choice is kept"
check "no raw markup from the value" sh -c "! grep -q '<script>alert' '$T/body'"
same "a refused save commits nothing" "$(ncommits)" "$before"
same "a missing title: 422" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "budget_eur=5" "$B/new/actions")" 422
has "$T/body" 'id="msg-title"' "the message is beside title"

# --- a save: one commit, and every kind of field comes back escaped ----------
same "a good save: 303" "$(code -b "$T/jar" -D "$T/hdr" --data-urlencode "csrf=$CSRF" --data-urlencode "title=$EVIL" \
	--data-urlencode "budget_eur=50000" --data-urlencode "status=ongoing" --data-urlencode "sdg_targets=10.7" \
	--data-urlencode "sdg_targets=16.b" --data-urlencode "partners=<i>UNHCR</i>,\"Red\" Crescent" \
	--data-urlencode "outcomes=line 1
<b>line</b> 2 \"quoted\"" --data-urlencode "start_date=2026-03-01" "$B/new/actions")" 303
same "one save, one commit" "$(ncommits)" "$((before + 1))"
LOC=$(grep -i '^Location:' "$T/hdr" | tr -d '\r' | sed 's/^[Ll]ocation: //')
ID=$(echo "$LOC" | sed 's|/records/actions/\([0-9a-f]*\).*|\1|')
run 0 "show the saved record" c2c -C n show "actions/$ID" --json
has "$T/out" '"title": "<script>alert\(\\"x\\"\)</script> & '"'"'q'"'"'"' "the title is stored as typed"
has "$T/out" '"sdg_targets": \[' "the set is stored"
has "$T/out" '"outcomes": "line 1\\n<b>line</b> 2' "line ends are LF"
git -C n/repo.git log -1 --format=%an >"$T/who"
has "$T/who" "Amina" "the commit's author is the node's user"
same "the record page" "$(code -b "$T/jar" "$B$LOC")" 200
check "no raw markup on the record page" sh -c "! grep -Eq '<script>alert|<i>UNHCR|<b>line' '$T/body'"
has "$T/body" '&lt;i&gt;UNHCR&lt;/i&gt;' "a set of texts is escaped"
has "$T/body" '&lt;b&gt;line&lt;/b&gt; 2 &quot;quoted&quot;</textarea>' "a long text is escaped"
has "$T/body" 'value="16.b" checked' "the SDG targets are checked"
same "the list" "$(code -b "$T/jar" "$B/records/actions?q=%3Cscript")" 200
check "no raw markup in the list" sh -c "! grep -q '<script>alert' '$T/body'"
has "$T/body" 'data-value="1"' "the search finds the record"
same "sorted by budget" "$(code -b "$T/jar" "$B/records/actions?sort=budget_eur")" 200
has "$T/body" 'href="/records/actions\?sort=budget_eur&amp;desc=1"' "the column's link sorts the other way"
check "markup of the code is not escaped twice" sh -c "! grep -Eq '&amp;amp;|&lt;span|&quot;1&quot;' '$T/body'"
same "the search box keeps the query, escaped" "$(code -b "$T/jar" "$B/records/actions?q=%22%3E%3Cb%3E")" 200
has "$T/body" 'name="q" value="&quot;&gt;&lt;b&gt;"' "the query is escaped in its attribute"
same "a page number out of reach" "$(code -b "$T/jar" "$B/records/actions?page=99999999999999999999")" 200
same "a history page out of reach" "$(code -b "$T/jar" "$B/history?page=-99999999999999999999")" 200
same "the history page" "$(code -b "$T/jar" "$B/history")" 200
check "no raw markup in the history" sh -c "! grep -q '<script>alert' '$T/body'"
same "the record's history" "$(code -b "$T/jar" "$B/records/actions/$ID/history")" 200
has "$T/body" "Amina" "the record's history names the person"

# an edit: set through the form; an edit with a bad value is 422 and changes nothing
before=$(ncommits)
same "edit with a bad status: 422" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "title=Tanger" \
	--data-urlencode "status=frozen" "$B$LOC")" 422
same "a refused edit commits nothing" "$(ncommits)" "$before"
same "edit: 303" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "title=TangerAccueil" \
	--data-urlencode "status=completed" --data-urlencode "budget_eur=60000" "$B$LOC")" 303
same "an edit is one commit" "$(ncommits)" "$((before + 1))"
run 0 "show after the edit" c2c -C n show "actions/$ID" --json
has "$T/out" '"status": "completed"' "the edit is stored"

# --- the CLI beside the server -------------------------------------------------
run 0 "the CLI writes while the server runs" c2c -C n add stakeholders name="Croissant <Rouge>" kind=civil_society
SID=$(cat "$T/out")
same "the server sees it" "$(code -b "$T/jar" "$B/records/stakeholders/$SID")" 200
has "$T/body" "Croissant &lt;Rouge&gt;" "and escapes it"
run 0 "verify" c2c -C n verify
before=$(ncommits)
same "delete without CSRF: 403" "$(code -b "$T/jar" --data-urlencode "delete=1" "$B/records/stakeholders/$SID")" 403
same "delete in the browser" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "delete=1" "$B/records/stakeholders/$SID")" 303
same "a delete is one commit" "$(ncommits)" "$((before + 1))"
same "the deleted record is gone" "$(code -b "$T/jar" "$B/records/stakeholders/$SID")" 404
same "its history stays" "$(code -b "$T/jar" "$B/records/stakeholders/$SID/history")" 200
has "$T/body" "rm stakeholders/$SID" "with the deletion"

# --- languages -------------------------------------------------------------------
same "?lang=ar" "$(code -b "$T/jar" "$B/?lang=ar")" 200
has "$T/body" '<html lang="ar" dir="rtl">' "Arabic pages are rtl"
code -b "$T/jar" "$B/records/actions" >/dev/null
has "$T/body" '<html lang="ar" dir="rtl">' "the language is kept for the session"
same "Accept-Language of a new session" "$(code -c "$T/jar2" -b "$T/jar2" -L -H "Accept-Language: fr-FR,fr;q=0.9" "$URL")" 200
has "$T/body" '<html lang="fr" dir="ltr">' "Accept-Language chooses French"
has "$T/body" "Accueil" "in French"

# --- a conflict with a peer, resolved by a typed value ---------------------------------
run 0 "a second node" c2c init m --city tunis --user "Bilel <bilel@tunis.example>"
run 0 "m reads n" c2c -C m remote add n "$T/n"
run 0 "m syncs from n" c2c -C m sync
run 0 "m changes the title" c2c -C m set "actions/$ID" title="From m"
same "n adds m as a remote in the browser" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "add_name=m" \
	--data-urlencode "add_url=$T/m" "$B/sync")" 303
same "n changes the title in the browser" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "title=From n" \
	--data-urlencode "status=completed" --data-urlencode "budget_eur=60000" "$B$LOC")" 303
same "a sync without CSRF: 403" "$(code -b "$T/jar" --data-urlencode "remote=m" "$B/sync")" 403
same "n syncs with m in the browser" "$(code -b "$T/jar" -D "$T/hdr" --data-urlencode "csrf=$CSRF" --data-urlencode "remote=m" "$B/sync?lang=en")" 303
has "$T/hdr" "Location: /sync\?run=1" "the sync runs on its own; the page follows it"
check "the sync ends" sync_wait 1
same "the sync's page" "$(code -b "$T/jar" "$B/sync?run=1")" 200
has "$T/body" 'id="sync-result"' "the sync's result is shown"
has "$T/body" 'open conflict' "and says a conflict is open"
has "$T/body" '<small class="detail">merged \(with conflicts\), records changed: 1, a peer: nothing is sent</small>' "the remote's last result in words"
same "a sync with no such remote" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "remote=nonesuch" "$B/sync?lang=fr")" 404
has "$T/body" "aucun distant « nonesuch »" "is refused in the page's language"
cp -a "$T/m" "$T/m2" && c2c -C n remote add gone "$T/m2" >/dev/null && rm -rf "$T/m2"
same "a sync that fails" "$(code -b "$T/jar" -D "$T/hdr" --data-urlencode "csrf=$CSRF" --data-urlencode "remote=gone" "$B/sync")" 303
RUN=$(grep -i '^Location:' "$T/hdr" | tr -d '\r' | sed 's/.*run=//')
check "ends" sync_wait "$RUN"
same "its page" "$(code -b "$T/jar" "$B/sync?run=$RUN&lang=fr")" 200
has "$T/body" 'data-state="failed"' "says that it failed"
has "$T/body" '<div class="error" role="alert" id="sync-error"><p><strong><bdi>gone</bdi></strong>: Cela n&#39;a pas fonctionné : <bdi>gone: [^<]*/m2 n&#39;existe pas</bdi>' "and why, in the page's language"
c2c -C n remote rm gone >/dev/null
code -b "$T/jar" "$B/?lang=en" >/dev/null
same "the conflicts page" "$(code -b "$T/jar" "$B/conflicts")" 200
has "$T/body" 'data-record="actions/'"$ID"'" data-field="title"' "the conflict on title is listed"
has "$T/body" 'From m' "with m's value"
before=$(ncommits)
same "resolve without CSRF: 403" "$(code -b "$T/jar" --data-urlencode "record=actions/$ID" --data-urlencode "field=title" \
	--data-urlencode "value=x" "$B/conflicts")" 403
same "a refused resolve commits nothing" "$(ncommits)" "$before"
same "resolve by a typed value" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "record=actions/$ID" \
	--data-urlencode "field=title" --data-urlencode "value=Typed <title>" "$B/conflicts")" 303
same "one commit" "$(ncommits)" "$((before + 1))"
run 0 "conflicts after" c2c -C n conflicts --json
same "no conflict is left" "$(tr -d ' \n' <"$T/out")" "[]"
run 0 "show after" c2c -C n show "actions/$ID" --json
has "$T/out" '"title": "Typed <title>"' "the typed value stands"
run 0 "verify after the browser's sync and resolve" c2c -C n verify

# --- the profile grid: statuses, and stale translations ----------------------------
run 0 "an English section" c2c -C n add profile_sections section=overview lang=en status=validated body="Tunis"
run 0 "then the Arabic one, later" c2c -C n add profile_sections section=overview lang=ar body="تونس"
code -b "$T/jar" "$B/?lang=en" >/dev/null
has "$T/body" 'data-section="overview" data-lang="en" data-status="validated" data-stale="1"' "English is marked stale: Arabic changed after it"
has "$T/body" 'data-section="overview" data-lang="ar" data-status="draft">' "Arabic is a draft, not stale"
has "$T/body" 'data-section="governance" data-lang="fr" data-status="missing"' "a missing section is marked"
same "the profile editor" "$(code -b "$T/jar" "$B/profile/overview")" 200
has "$T/body" 'id="body-ar" name="body_ar" rows="14" lang="ar" dir="rtl">تونس</textarea>' "the Arabic text area is rtl"
has "$T/body" 'class="flag stale-note"' "the editor marks the English text to update"

# --- export and import -------------------------------------------------------------
same "export" "$(code -b "$T/jar" -D "$T/hdr" "$B/export/actions.csv")" 200
has "$T/hdr" "Content-Type: text/csv" "the export is CSV"
has "$T/hdr" 'attachment; filename="actions.csv"' "as a download"
check "with a BOM for Excel" sh -c "head -c3 '$T/body' | od -An -tx1 | grep -q 'ef bb bf'"
printf 'title,status,budget_eur\nGood one,ongoing,10\nBad one,frozen,20\nAlso bad,ongoing,-3\n' >"$T/in.csv"
before=$(ncommits)
same "an import with bad rows: 422" "$(code -b "$T/jar" -F "csrf=$CSRF" -F "file=@$T/in.csv" "$B/import/actions")" 422
has "$T/body" 'data-line="3"' "row 3 is listed"
has "$T/body" 'data-line="4"' "and row 4"
same "nothing is written" "$(ncommits)" "$before"
same "an import without CSRF: 403" "$(code -b "$T/jar" -F "file=@$T/in.csv" "$B/import/actions")" 403
code -b "$T/jar" "$B/?lang=fr" >/dev/null
same "an import with bad rows, in French: 422" "$(code -b "$T/jar" -F "csrf=$CSRF" -F "file=@$T/in.csv" "$B/import/actions")" 422
has "$T/body" "frozen.{1,20}pas une valeur permise" "the checks' messages are in the page's language"
code -b "$T/jar" "$B/?lang=en" >/dev/null
same "the bad rows in French" "$(code -b "$T/jar" -F "csrf=$CSRF" -F "file=@$T/in.csv" "$B/import/actions?lang=fr")" 422
has "$T/body" '<td>B \(Statut\)</td><td><bdi>« frozen » n&#39;est pas une valeur permise</bdi><br><small>Valeurs permises : Proposée, ' "the message, the column and the allowed values in the page's language"
has "$T/body" 'inférieur à la plus petite valeur permise, 0' "and the least allowed value"
printf 'title,colour\nA,blue\n' >"$T/unknown.csv"
same "a file with a column the table does not have" "$(code -b "$T/jar" -F "csrf=$CSRF" -F "file=@$T/unknown.csv" "$B/import/actions?lang=es")" 422
has "$T/body" "<bdi>la tabla actions no tiene la columna &#39;colour&#39;</bdi><br><small><bdi>sus columnas son " "is refused in the page's language, with the columns it has"
code -b "$T/jar" "$B/?lang=en" >/dev/null
# a preview lists the rows it would add and change, each field old -> new
printf 'id,title,status,budget_eur\n%s,TangerAccueil,completed,70000\n,A <new> action,approved,5\n' "$ID" >"$T/mixed.csv"
same "a preview of changes" "$(code -b "$T/jar" -F "csrf=$CSRF" -F "file=@$T/mixed.csv" "$B/import/actions")" 200
has "$T/body" '<tr data-line="2" data-action="change" data-id="'"$ID"'">' "the changed record's row"
has "$T/body" '<dt data-field="budget_eur">Budget \(EUR\)</dt><dd><del>60000</del> → <ins>70000</ins></dd>' "with the field that changes, old -> new"
check "and not the fields that stay" sh -c "! grep -q '<dt data-field=\"status\">Status</dt><dd><del>Completed' '$T/body'"
has "$T/body" '<tr data-line="3" data-action="add">' "the new record's row"
has "$T/body" '<ins>A &lt;new&gt; action</ins>' "with its values, escaped"
same "the preview writes nothing" "$(ncommits)" "$before"
{ echo title,budget_eur; for i in $(seq 130); do echo "Preview row $i,$i"; done; } >"$T/big.csv"
same "a preview of a large file" "$(code -b "$T/jar" -F "csrf=$CSRF" -F "file=@$T/big.csv" "$B/import/actions")" 200
same "lists its first 100 rows" "$(grep -c '<tr data-line="[0-9]*" data-action="add">' "$T/body")" 100
has "$T/body" '<p id="more-rows" data-value="30">and more rows, not shown here: 30</p>' "and counts the others"

# --- two nodes served side by side keep their own sessions -------------------------
"$C2C" -C m ui --no-browser >"$T/ui2.out" 2>/dev/null &
UI2=$!
for _ in $(seq 50); do [ -s "$T/ui2.out" ] && break; sleep 0.1; done
URL2=$(head -1 "$T/ui2.out")
same "a second server, the same browser" "$(code -b "$T/jar" -c "$T/jar" "$URL2")" 303
same "the second server's session" "$(code -b "$T/jar" "${URL2%%/login*}/")" 200
has "$T/body" "Bilel" "shows the second node"
same "the first session still holds" "$(code -b "$T/jar" "$B/?lang=en")" 200
has "$T/body" "Amina" "on the first node"
kill "$UI2"
wait "$UI2"

# --- while a sync started here holds the node (it merges), its progress still answers,
# and a page that needs the node says why it waits
C2C_LOCK_WAIT_MS=300 C2C_TEST_PAUSE_AT="sync: fetched" C2C_TEST_PAUSE_FILE="$T/pause" \
	"$C2C" -C m ui --no-browser >"$T/ui4.out" 2>/dev/null &
UI4=$!
for _ in $(seq 50); do [ -s "$T/ui4.out" ] && break; sleep 0.1; done
URL4=$(head -1 "$T/ui4.out")
B4=${URL4%%/login*}
code -c "$T/jar4" "$URL4" >/dev/null
code -b "$T/jar4" "$B4/sync" >/dev/null
CSRF4=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//; s/"$//')
same "a sync that will hold the node" "$(code -b "$T/jar4" --data-urlencode "csrf=$CSRF4" --data-urlencode "remote=n" "$B4/sync?lang=en")" 303
for _ in $(seq 200); do [ -e "$T/pause" ] && break; sleep 0.05; done
check "the sync holds the node" test -e "$T/pause"
same "its progress answers meanwhile" "$(code -b "$T/jar4" "$B4/sync/progress?run=1")" 200
has "$T/body" 'data-state="running"' "and says it runs"
has "$T/body" 'Received; checking and merging' "and where it is"
same "a page that needs the node waits, then says why" "$(code -b "$T/jar4" "$B4/records/actions")" 423
has "$T/body" "A sync started here is merging what it received" "the sync started here"
rm -f "$T/pause"
for _ in $(seq 600); do code -b "$T/jar4" "$B4/sync/progress?run=1" >/dev/null; grep -q 'data-state="running"' "$T/body" || break; sleep 0.1; done
has "$T/body" 'data-state="done"' "then the sync ends"
same "and the page answers" "$(code -b "$T/jar4" "$B4/records/actions")" 200
kill "$UI4"
wait "$UI4"

# --- a held branch is named on the sync page ----------------------------------------
mkdir forged && touch forged/c2c.db && git clone -q --bare n/repo.git forged/repo.git
git clone -q forged/repo.git forged-wt && echo x >forged-wt/stray.txt
git -C forged-wt add stray.txt
git -C forged-wt -c user.name=someone -c user.email=s@x -c gpg.format=ssh -c user.signingkey="$T/n/keys/id_ed25519" \
	commit -qS -m "stray" -m "C2C-Node: $(node_id n)"
git -C forged-wt push -q origin HEAD:main
c2c -C n remote add forged "$T/forged" >/dev/null
run 1 "a sync that holds a branch" c2c -C n sync forged
same "the sync page" "$(code -b "$T/jar" "$B/sync?lang=en")" 200
has "$T/body" 'id="held"' "lists the held branches"
has "$T/body" "its committer is &#39;someone|its committer is &apos;someone|its committer is 'someone" "with the rule, escaped"
same "the sync page in French" "$(code -b "$T/jar" "$B/sync?lang=fr")" 200
has "$T/body" "son auteur de commit est « someone &lt;s@x&gt; », pas le nœud qui l&#39;a signé" "the rule in the page's language"
has "$T/body" "doit réparer son historique" "and what would release it"
code -b "$T/jar" "$B/?lang=en" >/dev/null
c2c -C n remote rm forged >/dev/null

# --- a sync over a slow link: other pages answer while it runs, and its progress shows ---
. "$TESTS/sshd-lib.sh"
sshd_start "$T/sshd" || exit 1
FP=$(ssh-keygen -lf "$SSHD_HOSTKEY_PUB" | cut -d' ' -f2)
NID=$(c2c -C n status --json | sed -n 's/.*"node_id": "\(.*\)".*/\1/p')
c2c hub init "$T/slow.git" >/dev/null || exit 1
c2c hub allow "$T/slow.git" "$NID" n/keys/id_ed25519.pub --authorized-keys "$SSHD_AUTHORIZED_KEYS" >/dev/null || exit 1
# 150 ms each way: a sync of about ten round trips and a pack of some hundred objects takes seconds
python3 "$TESTS/../../scripts/netproxy" --listen 0 --to "127.0.0.1:$SSHD_PORT" --delay-ms 150 >"$T/pport" 2>"$T/proxy.log" &
PROXY=$!
eval "$(trap -p EXIT | sed "s/^trap -- '/trap -- 'kill $PROXY 2>\/dev\/null; /")"
for _ in $(seq 100); do [ -s "$T/pport" ] && break; sleep 0.05; done
c2c -C n remote add slow "ssh://$SSHD_USER@127.0.0.1:$(cat "$T/pport")/${T#/}/slow.git" >/dev/null || exit 1
c2c -C n remote trust slow "$FP" >/dev/null || exit 1
{ echo title,budget_eur; for i in $(seq 150); do echo "Slow link action $i,$i"; done; } >"$T/many.csv"
c2c -C n import actions "$T/many.csv" >/dev/null || exit 1
same "a sync over the slow link" "$(code -b "$T/jar" -D "$T/hdr" --data-urlencode "csrf=$CSRF" --data-urlencode "remote=slow" "$B/sync")" 303
RUN=$(grep -i '^Location:' "$T/hdr" | tr -d '\r' | sed 's/.*run=//')
same "while it runs, the progress" "$(code -b "$T/jar" "$B/sync/progress?run=$RUN")" 200
has "$T/body" '<div id="sync-progress" class="progress running" data-state="running" data-run="'"$RUN"'" data-remote="slow"' "says that the sync with slow runs"
same "while it runs, the sync page" "$(code -b "$T/jar" "$B/sync?run=$RUN")" 200
has "$T/body" '<noscript><meta http-equiv="refresh" content="2"></noscript>' "follows it without script"
has "$T/body" 'data-state="running"' "with the progress block"
has "$T/body" 'disabled>Syncing' "and no second sync meanwhile"
same "while it runs, a list" "$(code -b "$T/jar" "$B/records/actions?q=Slow")" 200
has "$T/body" "Slow link action" "answers with its records"
same "while it runs, a save" "$(code -b "$T/jar" -D "$T/hdr" --data-urlencode "csrf=$CSRF" --data-urlencode "name=Beside the sync" \
	--data-urlencode "kind=academic" "$B/new/stakeholders")" 303
code -b "$T/jar" "$B/sync/progress?run=$RUN" >/dev/null
has "$T/body" 'data-state="running"' "all that while the sync still ran"
SAW_SENT=0
for _ in $(seq 900); do
	code -b "$T/jar" "$B/sync/progress?run=$RUN" >/dev/null
	grep -q 'id="sync-out" data-done="[1-9]' "$T/body" && SAW_SENT=1
	grep -q 'data-state="running"' "$T/body" || break
	sleep 0.1
done
same "the objects sent were counted as they went" "$SAW_SENT" 1
has "$T/body" 'data-state="done"' "then the sync is done"
has "$T/body" 'id="sync-result"' "with its result"
has "$T/body" 'Your changes were sent' "which says the changes were sent"
check "the hub holds n's main (the save made meanwhile too, or the next sync sends it)" \
	sh -c "git --git-dir='$T/slow.git' merge-base --is-ancestor \$(git --git-dir='$T/slow.git' rev-parse refs/heads/nodes/$NID) \$(git -C n/repo.git rev-parse main)"
run 0 "verify after a sync beside pages" c2c -C n verify
kill "$PROXY" 2>/dev/null
c2c -C n remote rm slow >/dev/null

# --- the office's dashboard -----------------------------------------------------------
same "a city node has no dashboard" "$(code -b "$T/jar" "$B/dashboard?lang=en")" 404
run 0 "an office" c2c init off --office
"$C2C" -C off ui --no-browser >"$T/ui3.out" 2>/dev/null &
UI3=$!
for _ in $(seq 50); do [ -s "$T/ui3.out" ] && break; sleep 0.1; done
URL3=$(head -1 "$T/ui3.out")
same "the office's server" "$(code -b "$T/jar" -c "$T/jar" "$URL3")" 303
same "the office's dashboard" "$(code -b "$T/jar" "${URL3%%/login*}/dashboard?lang=fr&days=7")" 200
has "$T/body" '<a href="/dashboard">Tableau de bord</a>' "linked from every page of the office, in the page's language"
has "$T/body" '<svg' "with its charts"
check "every city of the network" sh -c "test \$(grep -o 'Tunis\|Sfax\|Amman\|Lisbonne\|Lisbon' '$T/body' | sort -u | wc -l) -ge 3"
has "$T/body" 'id="nothing-to-review"' "nothing to review yet"

# --- reviews from the dashboard and a record's page (as 'c2c review') ------------------
O=${URL3%%/login*}
run 0 "a city of the office" c2c init cty --city sfax --office-key off/keys/id_ed25519.pub
c2c -C off node add "$(c2c -C cty status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["node_id"])')" \
	--city sfax "$T/cty/keys/id_ed25519.pub" >/dev/null
c2c -C cty add profile_sections section=overview lang=en body="Sfax, a port." status=submitted >/dev/null
c2c -C cty add profile_sections section=governance lang=ar body="الحوكمة" status=submitted >/dev/null
c2c -C cty add profile_sections section=policy lang=fr body="Brouillon" status=draft >/dev/null
c2c -C off remote add cty "$T/cty" >/dev/null
c2c -C cty remote add off "$T/off" >/dev/null
run 0 "the office receives the city's sections" c2c -C off sync cty
same "the dashboard lists them" "$(code -b "$T/jar" "$O/dashboard?lang=en")" 200
has "$T/body" '<tr id="rv-profile_sections-sfax.overview.en" [^>]*data-review="none"' "a submitted section, not reviewed yet"
has "$T/body" 'action="/records/profile_sections/sfax.governance.ar/review"' "each with its form"
check "a draft is not listed" sh -c "! grep -q 'rv-profile_sections-sfax.policy.fr' '$T/body'"
OCSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//; s/"$//')
ocommits() { git -C off/repo.git rev-list --count main; }
before=$(ocommits)
same "a review without CSRF: 403" "$(code -b "$T/jar" --data-urlencode "status=validated" \
	"$O/records/profile_sections/sfax.overview.en/review")" 403
same "a review with a wrong CSRF: 403" "$(code -b "$T/jar" --data-urlencode "csrf=$(echo "$OCSRF" | tr 0-9a-f 1-9a-f0)" --data-urlencode "status=validated" \
	"$O/records/profile_sections/sfax.overview.en/review")" 403
same "a review of an unknown status: 422" "$(code -b "$T/jar" --data-urlencode "csrf=$OCSRF" --data-urlencode "status=approved" \
	"$O/records/profile_sections/sfax.overview.en/review?lang=fr")" 422
has "$T/body" "Choisissez Valider ou Demander des modifications" "says what to choose, in the page's language"
same "a review of a missing record: 404" "$(code -b "$T/jar" --data-urlencode "csrf=$OCSRF" --data-urlencode "status=validated" \
	"$O/records/profile_sections/sfax.nothing.en/review")" 404
same "a review of a network record: 422" "$(code -b "$T/jar" --data-urlencode "csrf=$OCSRF" --data-urlencode "status=validated" \
	"$O/records/cities/sfax/review")" 422
same "refused reviews commit nothing" "$(ocommits)" "$before"
run 0 "refused reviews write no review" c2c -C off ls reviews --json
same "no review record" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/out")" 0
same "changes requested from the dashboard: 303" "$(code -b "$T/jar" -D "$T/hdr" --data-urlencode "csrf=$OCSRF" \
	--data-urlencode "status=changes_requested" --data-urlencode "comment=Add the 2024 figures <b>" --data-urlencode "from=dashboard" \
	"$O/records/profile_sections/sfax.overview.en/review")" 303
has "$T/hdr" "Location: /dashboard\?reviewed=1#rv-profile_sections-sfax.overview.en" "back to the dashboard, at the row"
same "one review, one commit" "$(ocommits)" "$((before + 1))"
has <(git -C off/repo.git log -1 --format=%B main) "^review profile_sections/sfax.overview.en: changes_requested" "the commit says what was reviewed"
run 0 "the office verifies" c2c -C off verify
run 0 "the review is the record 'c2c review' writes" c2c -C off show reviews/profile_sections.sfax.overview.en --json
check "status, comment and version" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "changes_requested" and d["comment"] == "Add the 2024 figures <b>" and len(d["record_version"]) == 40, d' "$T/out"
same "the dashboard after the review" "$(code -b "$T/jar" "$O/dashboard?lang=ar")" 200
has "$T/body" '<tr id="rv-profile_sections-sfax.overview.en" [^>]*data-review="changes_requested"' "the row shows the review"
has "$T/body" 'Add the 2024 figures &lt;b&gt;' "with its comment, escaped"
has "$T/body" 'طلب المكتب تعديلات' "in the page's language"
same "the record's page on the office" "$(code -b "$T/jar" "$O/records/profile_sections/sfax.governance.ar?lang=fr")" 200
has "$T/body" 'id="no-review"' "not reviewed yet"
has "$T/body" '<textarea id="review-comment" name="comment"' "the review form"
before=$(ocommits)
same "validated from the record's page: 303" "$(code -b "$T/jar" -D "$T/hdr" --data-urlencode "csrf=$OCSRF" \
	--data-urlencode "status=validated" --data-urlencode "comment=Bien" --data-urlencode "from=record" \
	"$O/records/profile_sections/sfax.governance.ar/review")" 303
has "$T/hdr" "Location: /records/profile_sections/sfax.governance.ar\?reviewed=1#review" "back to the record's page"
same "one commit" "$(ocommits)" "$((before + 1))"
same "the record's page after the review" "$(code -b "$T/jar" "$O/records/profile_sections/sfax.governance.ar?reviewed=1")" 200
has "$T/body" 'data-review="validated"' "shows the review"
has "$T/body" "Revue enregistrée" "and says it was saved, in the session's language"
kill "$UI3"
wait "$UI3"

# --- the city sees the office's reviews in its profile grid ---------------------------
run 0 "the city receives the reviews" c2c -C cty sync off
c2c -C cty set profile_sections/sfax.governance.ar body="الحوكمة المحلية" >/dev/null # edited after the validation
"$C2C" -C cty ui --no-browser >"$T/ui4.out" 2>/dev/null &
UI4=$!
for _ in $(seq 50); do [ -s "$T/ui4.out" ] && break; sleep 0.1; done
URL4=$(head -1 "$T/ui4.out")
C=${URL4%%/login*}
same "the city's server" "$(code -b "$T/jar" -c "$T/jar" "$URL4")" 303
same "the city's home page" "$(code -b "$T/jar" "$C/?lang=en")" 200
has "$T/body" '<td [^>]*data-section="overview" data-lang="en" [^>]*data-review="changes_requested"' "the grid marks the changes asked"
has "$T/body" '<p class="review-comment" dir="auto">Add the 2024 figures &lt;b&gt;</p>' "with the comment"
has "$T/body" '<td [^>]*data-section="governance" data-lang="ar" [^>]*data-review="out_of_date"' "a section edited since its validation is out of date"
check "a cell without review has no mark" sh -c "! grep -Eq '<td [^>]*data-section=\"policy\" data-lang=\"fr\" [^>]*data-review' '$T/body'"
same "the city's record page" "$(code -b "$T/jar" "$C/records/profile_sections/sfax.overview.en")" 200
has "$T/body" 'data-review="changes_requested"' "shows the review"
check "and no review form on a city's node" sh -c "! grep -q 'review-form' '$T/body'"
CCSRF=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 | sed 's/.*value="//; s/"$//')
same "a city may not review: 403" "$(code -b "$T/jar" --data-urlencode "csrf=$CCSRF" --data-urlencode "status=validated" \
	"$C/records/profile_sections/sfax.overview.en/review")" 403
kill "$UI4"
wait "$UI4"

# --- verify, as 'c2c verify' -------------------------------------------------------
same "verify in the browser" "$(code -b "$T/jar" "$B/verify?run=1&lang=en")" 200
has "$T/body" 'id="verify-ok"' "the node is in order"
sqlite3 n/c2c.db "UPDATE actions SET title = 'behind its back' WHERE id = '$ID'"
same "verify after a row changed behind the node's back" "$(code -b "$T/jar" "$B/verify?run=1")" 200
has "$T/body" 'id="verify-bad"' "the difference is reported"
has "$T/body" "$ID" "naming the record"

# --- stop --------------------------------------------------------------------------
kill -TERM "$UI"
wait "$UI"
same "SIGTERM stops it with status 0" "$?" 0
check "the port is closed" sh -c "! curl -s -o /dev/null '$B/'"
finish
