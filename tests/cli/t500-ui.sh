#!/bin/bash
# c2c ui: the rules of a local web server, with curl. The printed URL; 403
# without the session cookie or with a Host that is not ours (DNS
# rebinding); POST without or with a wrong CSRF token is 403 and changes
# nothing; markup and quotes in every kind of field come back escaped; a
# refused save is 422 with what was typed and the message beside the field;
# a save is one commit; the CLI works beside the server; SIGTERM stops it.
. "$(dirname "$0")/lib.sh"

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
same "n syncs with m in the browser" "$(code -b "$T/jar" --data-urlencode "csrf=$CSRF" --data-urlencode "remote=m" "$B/sync?lang=en")" 200
has "$T/body" 'id="sync-result"' "the sync's result is shown"
has "$T/body" 'open conflict' "and says a conflict is open"
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
c2c -C n remote rm forged >/dev/null

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
kill "$UI3"
wait "$UI3"

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
