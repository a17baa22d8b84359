#!/bin/bash
# The office's reviews and the steering committee's report. An office and
# three cities (one that never sends anything) sync through a hub by path,
# with a history of known dates (faketime). Reviews: written on the office
# only, synced to the city, seen by show and status, out of date after a
# city edit, counted in reports. The HTML report: every figure of every
# chart and table checked against the records, every city of the reference
# data present, --at a date and a commit, words and numbers of each
# language, Arabic right to left; the dashboard fragment; a headless
# Chromium prints it to PDF: page count, each city starting a page, the
# running header.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
export C2C_REPORT_NOW=1796558400 # 2026-12-06 12:00:00 UTC
# at DATE c2c ARGS...: run c2c with the clock at DATE (UTC).
at() {
	d=$1
	shift 2
	# faketime preloads its library: an ASan build must be told that is fine.
	TZ=UTC ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" faketime "$d" "$C2C" "$@"
}
quiet() { "$@" >"$T/q.out" 2>"$T/q.err" || { not_ok "$*"; sed 's/^/  | /' "$T/q.err" >&2; }; }

# --- the network, 1 March 2026 ----------------------------------------------
quiet at '2026-03-01 09:00:00' c2c init office --office --user "Coordination Office <office@icmpd.example>"
quiet at '2026-03-01 09:00:00' c2c hub init hub.git
quiet at '2026-03-01 09:00:00' c2c -C office remote add hub "$T/hub.git"
for c in tunis sfax tangier; do
	quiet at '2026-03-01 09:00:00' c2c init $c --city $c --office-key office/keys/id_ed25519.pub --user "$c officer <o@$c.example>"
	quiet at '2026-03-01 09:00:00' c2c -C office node add "$(node_id $c)" --city $c "$T/$c/keys/id_ed25519.pub"
	quiet at '2026-03-01 09:00:00' c2c -C $c remote add hub "$T/hub.git"
done
quiet at '2026-03-01 10:00:00' c2c -C office sync
for c in tunis sfax tangier; do quiet at '2026-03-01 10:00:00' c2c -C $c sync; done

# --- 10 March: Tunis ---------------------------------------------------------
quiet at '2026-03-10 10:00:00' c2c -C tunis add profile_sections section=overview lang=fr body="Tunis, capitale." status=validated
quiet at '2026-03-10 10:00:00' c2c -C tunis add profile_sections section=overview lang=en body="Tunis, the capital." status=submitted
quiet at '2026-03-10 10:00:00' c2c -C tunis add profile_sections section=governance lang=ar body="الحوكمة" status=draft
quiet at '2026-03-10 10:00:00' c2c -C tunis add priorities rank=2 theme=housing challenge="Housing for newcomers" proposed_action="A housing desk"
quiet at '2026-03-10 10:00:00' c2c -C tunis add priorities rank=1 theme=data_collection challenge="No data on internal migration" proposed_action="A municipal observatory"
quiet at '2026-03-10 10:00:00' c2c -C tunis add actions title="Observatoire <municipal> & co" status=ongoing budget_eur=50000 \
	cofunding_eur=5000 sdg_targets=10.7,5.1 partners="UN-Habitat,MedCities" people_reached_female=1200 people_reached_male=900
A1=$(cat "$T/q.out")
quiet at '2026-03-10 10:00:00' c2c -C tunis add stakeholders name="Commune de Tunis" kind=municipal
quiet at '2026-03-10 11:00:00' c2c -C tunis sync
quiet at '2026-03-10 12:00:00' c2c -C office sync

# --- 20 May: Sfax -------------------------------------------------------------
quiet at '2026-05-20 10:00:00' c2c -C sfax sync
quiet at '2026-05-20 10:00:00' c2c -C sfax add actions title="ACMALS" status=completed budget_eur=30000 \
	sdg_targets=16.6,10.7,17.9,5.1 people_reached_female=40 people_reached_male=60
A2=$(cat "$T/q.out")
quiet at '2026-05-20 10:00:00' c2c -C sfax add event_participation event=event-10 role=host participants=12
quiet at '2026-05-20 11:00:00' c2c -C sfax sync
quiet at '2026-05-20 12:00:00' c2c -C office sync
JUNE_HEAD=$(git -C office/repo.git rev-parse main)
# The records as the office held them then, to check --at against.
mkdir "$T/june"
for t in cities actions profile_sections event_participation priorities reviews; do
	c2c -C office ls $t --json >"$T/june/$t.json"
done

# --- 2 July: Tunis again --------------------------------------------------------
quiet at '2026-07-02 10:00:00' c2c -C tunis sync
quiet at '2026-07-02 10:00:00' c2c -C tunis add actions title="Guichet unique" status=proposed budget_eur=20000 \
	sdg_targets=11.1,16.10,16.2,10.a people_reached_female=5
A3=$(cat "$T/q.out")
quiet at '2026-07-02 10:00:00' c2c -C tunis add event_participation event=event-08 role=participant
quiet at '2026-07-02 10:00:00' c2c -C tunis add event_participation event=event-10 role=speaker
quiet at '2026-07-02 11:00:00' c2c -C tunis sync
quiet at '2026-07-02 12:00:00' c2c -C office sync

# --- reviews --------------------------------------------------------------------
run 0 "review --help" c2c -C office review --help
has "$T/out" "^usage: c2c review TABLE/ID --status validated\|changes_requested" "review has its help"
run 1 "a city node may not review" c2c -C tunis review profile_sections/tunis.overview.fr --status validated
has "$T/err" "only the coordination office reviews records" "the refusal says who reviews"
run 2 "review without --status" c2c -C office review profile_sections/tunis.overview.fr
run 2 "review with an unknown status" c2c -C office review profile_sections/tunis.overview.fr --status approved
has "$T/err" "validated or --status changes_requested" "the statuses are named"
run 1 "review of a missing record" c2c -C office review actions/0000000000000000deadbeef --status validated
run 1 "review of a network record" c2c -C office review cities/tunis --status validated
has "$T/err" "network records" "a network record is not reviewed"
BEFORE=$(git -C office/repo.git rev-list --count main)
run 0 "office validates Tunis's French overview" c2c -C office review profile_sections/tunis.overview.fr --status validated
same "review prints its id" "$(cat "$T/out")" "reviews/profile_sections.tunis.overview.fr"
run 0 "office asks for changes on an action" c2c -C office review "actions/$A1" --status changes_requested \
	--comment "Give the co-funding's source"
run 0 "office validates Sfax's action" c2c -C office --json review "actions/$A2" --status validated
check "review --json" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "validated" and d["out_of_date"] is False and d["id"] == "actions." + sys.argv[2], d' "$T/out" "$A2"
same "one commit per review" "$(git -C office/repo.git rev-list --count main)" $((BEFORE + 3))
has <(git -C office/repo.git log -1 --format=%B main) "^review actions/$A2: validated" "the commit says what was reviewed"
has <(git -C office/repo.git ls-tree -r --name-only main) "^network/reviews/[0-9a-f]/[0-9a-f]/actions\.$A1\.json$" \
	"the review is a network record"
check "the office writes nothing under cities/" sh -c "! git -C office/repo.git diff --name-only HEAD~3 HEAD | grep -v '^network/reviews/'"
PATH_A1=$(git -C office/repo.git ls-tree -r --name-only main | grep "/actions/.*/$A1\.json\$")
same "the review names the blob of the record it judged" \
	"$(c2c -C office show "reviews/actions.$A1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["record_version"])')" \
	"$(git -C office/repo.git rev-parse "main:$PATH_A1")"
run 0 "a second review replaces the first" c2c -C office review "actions/$A2" --status validated --comment "Good"
same "still one review of the record" "$(c2c -C office ls reviews --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3
run 0 "office verify" c2c -C office verify
run 0 "office syncs the reviews" c2c -C office sync
run 0 "tunis syncs" c2c -C tunis sync
run 0 "tunis shows the review" c2c -C tunis show "actions/$A1"
has "$T/out" "^review +changes requested by Coordination Office" "show: the review, by whom"
has "$T/out" "^review comment +Give the co-funding's source" "show: the comment"
run 0 "tunis show --json" c2c -C tunis show "actions/$A1" --json
check "show --json carries the review" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["review"]
assert r["status"] == "changes_requested" and r["out_of_date"] is False and r["comment"] == "Give the co-funding\x27s source", r
assert r["reviewer"] == "Coordination Office" and r["reviewed_at"].startswith("20"), r' "$T/out"
run 0 "a record with no review has none" c2c -C tunis show "actions/$A3" --json
check "no review key" python3 -c 'import json,sys; assert "review" not in json.load(open(sys.argv[1]))' "$T/out"
run 0 "tunis status" c2c -C tunis status
has "$T/out" "^reviews +actions/$A1: changes requested \(Give the co-funding's source\)" "status lists the changes asked"
run 0 "tunis status --json" c2c -C tunis status --json
check "status --json: changes_requested" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [r["record_id"] for r in d["changes_requested"]] == [sys.argv[2]], d["changes_requested"]' "$T/out" "$A1"
run 0 "sfax status: nothing asked of Sfax" c2c -C sfax sync
run 0 "sfax status" c2c -C sfax status --json
check "sfax sees no request" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["changes_requested"] == []' "$T/out"
run 0 "tunis verify" c2c -C tunis verify
# A node of an older c2c (schema 6) keeps the reviews it receives in git with
# no rows; the migration to schema 7 makes their rows from the head.
cp -a tunis old
# (what the later migrations added goes too: held branches 8, import keys 9,
# the open-conflict indexes 10)
sqlite3 old/c2c.db "DROP TABLE reviews; DELETE FROM c2c_fields WHERE tbl = 'reviews';
	DELETE FROM c2c_tables WHERE name = 'reviews'; DROP TABLE c2c_held;
	DROP TABLE revocations; DROP TABLE roots; DELETE FROM c2c_fields WHERE tbl IN ('revocations', 'roots');
	DELETE FROM c2c_tables WHERE name IN ('revocations', 'roots');
	ALTER TABLE c2c_tables DROP COLUMN match_key; ALTER TABLE c2c_tables DROP COLUMN key_unique;
	$(sed -n 's/^CREATE INDEX \([a-z_]*\) .*/DROP INDEX \1;/p' "$C2C_SOURCE_DIR"/schema/009-match-keys.sql "$C2C_SOURCE_DIR"/schema/010-open-conflicts.sql | tr '\n' ' ')
	PRAGMA user_version = 6;"
run 0 "an older node's database migrates" c2c -C old verify
same "the reviews got their rows" "$(sqlite3 old/c2c.db 'SELECT count(*) FROM reviews')" 3
same "once" "$(sqlite3 old/c2c.db "SELECT count(*) FROM c2c_state WHERE key = 'backfill'")" 0
run 0 "the migrated node shows the review" c2c -C old show "actions/$A1" --json
has "$T/out" '"status": "changes_requested"' "the review is there after the migration"
# The city edits the record: the review is out of date.
run 0 "tunis edits the action" c2c -C tunis set "actions/$A1" cofunding_eur=7000
run 0 "tunis show after the edit" c2c -C tunis show "actions/$A1" --json
check "the review is out of date" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["review"]
assert r["out_of_date"] is True and r["record_deleted"] is False, r' "$T/out"
run 0 "tunis show text after the edit" c2c -C tunis show "actions/$A1"
has "$T/out" "out of date: the record changed after the review" "show says the review is out of date"
run 0 "tunis status after the edit" c2c -C tunis status
has "$T/out" "edited since the review" "status says the request waits for the next review"
run 0 "tunis syncs its edit" c2c -C tunis sync
run 0 "office syncs the edit" c2c -C office sync
NOW_HEAD=$(git -C office/repo.git rev-parse main)

# --- the figures, from the records ---------------------------------------------
for t in cities actions profile_sections event_participation priorities reviews; do
	c2c -C office ls $t --json >"$T/$t.json"
done
cat >"$T/check.py" <<'PY'
# check.py REPORT.html LANG [DIR]: every figure of the report against the
# records listed by 'c2c ls --json' into DIR (default $T).
import html.parser, json, os, sys, xml.etree.ElementTree as ET
T = os.environ["T"]
path, lang = sys.argv[1], sys.argv[2]
D = sys.argv[3] if len(sys.argv) > 3 else T
def load(n): return json.load(open(os.path.join(D, n + ".json")))
cities = load("cities"); actions = load("actions"); sections = load("profile_sections")
events = load("event_participation"); prios = load("priorities"); reviews = load("reviews")
src = open(path, encoding="utf-8").read()

class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(convert_charrefs=True)
        s.stack = []; s.el = []; s.svg = {}; s.cur_svg = None; s.text = {}; s.capture = None
    def handle_starttag(s, t, a):
        a = dict(a)
        if t not in ("meta", "br", "rect", "circle", "line", "path"): s.stack.append(t)
        s.el.append((t, a, list(s.stack)))
        if t == "svg": s.cur_svg = a.get("id"); s.svg[s.cur_svg] = []
        if s.cur_svg and t == "rect" and "data-value" in a: s.svg[s.cur_svg].append(a)
        if t == "section" and "data-city" in a: s.section = a["data-city"]
    def handle_startendtag(s, t, a):
        s.handle_starttag(t, a)
    def handle_endtag(s, t):
        if t in ("meta", "br", "rect", "circle", "line", "path"): return
        assert s.stack and s.stack.pop() == t, "unbalanced </%s>" % t
        if t == "svg": s.cur_svg = None
p = P(); p.feed(src); p.close(); assert p.stack == [], p.stack

# The page: language and direction.
html_el = [a for t, a, _ in p.el if t == "html"][0]
assert html_el["lang"] == lang and html_el["dir"] == ("rtl" if lang == "ar" else "ltr"), html_el
assert "<script" not in src.lower()

# Every SVG parses as XML.
import re
for m in re.finditer(r"<svg .*?</svg>", src, re.S):
    ET.fromstring(m.group(0))

slugs = [c["id"] for c in cities]
with_data = {x["city"] for x in actions + sections + events + prios}
# Every city of the reference data has its section, with data or marked so.
secs = {a["data-city"]: a for t, a, _ in p.el if t == "section" and "data-city" in a}
assert sorted(secs) == sorted(slugs), (sorted(secs), slugs)
for c in slugs:
    assert secs[c]["data-has-data"] == ("1" if c in with_data else "0"), (c, secs[c])

def per_city(f):
    out = {c: 0 for c in slugs}
    for x in actions: out[x["city"]] += f(x)
    return out
def ival(x, k): return x.get(k) or 0

# 1. Actions by status per city.
got = {}
for r in p.svg["chart-actions-status"]:
    got[(r["data-city"], r["data-status"])] = int(r["data-value"])
want = {}
for a in actions:
    if a.get("status"): want[(a["city"], a["status"])] = want.get((a["city"], a["status"]), 0) + 1
assert got == want, (got, want)
# 2. Budget by SDG: goals and targets, in numeric order.
def goal(t): return int(t.split(".")[0])
def tkey(t):
    g, _, r = t.partition(".")
    return (int(g), 0 if r.isdigit() else 1, int(r) if r.isdigit() else 0, t)
gw, tw = {}, {}
for a in actions:
    for g in {goal(t) for t in a.get("sdg_targets", [])}:
        gw[g] = gw.get(g, 0) + ival(a, "budget_eur")
    for t in a.get("sdg_targets", []):
        tw[t] = tw.get(t, 0) + ival(a, "budget_eur")
bars = p.svg["chart-budget-sdg"]
gs = [(int(r["data-sdg"]), int(r["data-value"])) for r in bars if "data-sdg" in r]
ts = [(r["data-target"], int(r["data-value"])) for r in bars if "data-target" in r]
assert gs == sorted(gw.items()), (gs, gw)
assert [g for g, _ in gs] == sorted(g for g, _ in gs), "goals in numeric order"
assert dict(ts) == tw, (ts, tw)
order = [t for t, _ in ts]
assert order == sorted(order, key=tkey), ("targets in numeric order", order)
# 3. People reached by sex, per city.
got = {(r["data-city"], r["data-sex"]): int(r["data-value"]) for r in p.svg["chart-people-sex"]}
want = {}
for sex in ("female", "male"):
    for c, v in per_city(lambda a: ival(a, "people_reached_" + sex)).items():
        if v: want[(c, sex)] = v
assert got == want, (got, want)
# 4. Profile completeness: city x section x language.
cells = p.svg["chart-profile-grid"]
assert len(cells) == len(slugs) * 11 * 4, len(cells)
st = {(s["city"], s["section"], s["lang"]): s.get("status") or "draft" for s in sections}
for r in cells:
    k = (r["data-city"], r["data-section"], r["data-lang"])
    assert r["data-status"] == st.get(k, "missing"), (k, r)
    assert int(r["data-value"]) == ["missing", "draft", "submitted", "validated"].index(r["data-status"])
# 5. Peer-learning events attended, per city.
got = {r["data-city"]: int(r["data-value"]) for r in p.svg["chart-events"]}
want = {c: 0 for c in slugs}
for e in events: want[e["city"]] += 1
assert got == want, (got, want)

# The summary's key figures.
def table_values(prefix_ok):
    out = {}
    inside = False
    for t, a, stack in p.el:
        if t == "div" and a.get("id") == "summary-figures": inside = True
        elif t == "section" and "data-city" in a: inside = False
        if inside and t == "tr" and "data-key" in a: key = a["data-key"]
        if inside and t == "td" and "data-value" in a and "key" in dir():
            out.setdefault(key, int(a["data-value"]))
    return out
kv = {}
inside = False; key = None
for t, a, _ in p.el:
    if t == "div" and a.get("id") == "summary-figures": inside = True
    if t == "h3" or (t == "figure"): inside = False
    if inside and t == "tr": key = a.get("data-key")
    if inside and t == "td" and "data-value" in a and key: kv.setdefault(key, int(a["data-value"]))
want = {"cities_listed": len(slugs), "cities": len(with_data), "actions": len(actions),
        "budget_eur": sum(ival(a, "budget_eur") for a in actions),
        "cofunding_eur": sum(ival(a, "cofunding_eur") for a in actions),
        "people_reached_female": sum(ival(a, "people_reached_female") for a in actions),
        "people_reached_male": sum(ival(a, "people_reached_male") for a in actions),
        "events": len(events), "priorities": len(prios), "profile_sections": len(sections),
        "profile_validated": sum(1 for s in sections if s.get("status") == "validated"),
        "sdgs": len({goal(t) for a in actions for t in a.get("sdg_targets", [])})}
want["people_reached"] = want["people_reached_female"] + want["people_reached_male"]
for s in ("proposed", "approved", "ongoing", "completed", "cancelled"):
    want["status." + s] = sum(1 for a in actions if a.get("status") == s)
for k, v in want.items():
    assert kv.get(k) == v, (k, kv.get(k), v)

# Per city: the action table, the priorities in rank order.
rows = {}
cur = None; city = None; row = None
for t, a, _ in p.el:
    if t == "section" and "data-city" in a: city = a["data-city"]
    if t == "table": cur = (a.get("class") or "")
    if t == "tr" and "data-id" in a and cur == "actions": row = a["data-id"]; rows[row] = []
    if t == "td" and "data-value" in a and cur == "actions" and row: rows[row].append(int(a["data-value"]))
assert sorted(rows) == sorted(a["id"] for a in actions), (rows, actions)
for a in actions:
    assert rows[a["id"]] == [ival(a, "budget_eur"), ival(a, "people_reached_female"), ival(a, "people_reached_male")], (rows[a["id"]], a)
print("ok")
PY
export T

run 0 "report html (en)" c2c -C office report --format html -o "$T/en.html"
check "en: every figure matches the records" python3 "$T/check.py" "$T/en.html" en
has "$T/en.html" "data-commit=\"$NOW_HEAD\"" "the cover names the commit"
HEAD_DAY=$(git -C office/repo.git log -1 --format=%cd --date=format-local:'%-d %B %Y' main)
has "$T/en.html" "$HEAD_DAY" "the cover dates the commit"
has "$T/en.html" '<dd id="made-at" data-value="2026-12-06T12:00:00Z">6 December 2026</dd>' "the cover dates the report"
has "$T/en.html" '@top-right\{content:"6 December 2026"' "the running header has the date"
has "$T/en.html" "break-after:avoid" "no heading alone at a page foot"
has "$T/en.html" "section.summary,section.city\{break-before:page" "each city starts a page"
has "$T/en.html" "size:A4" "A4"
has "$T/en.html" 'Observatoire &lt;municipal&gt; &amp; co' "a title is escaped"
check "no raw title" sh -c "! grep -qF 'Observatoire <municipal>' '$T/en.html'"
has "$T/en.html" '<td class="n" data-value="50000">50,000</td>' "en: thousands separator"
has "$T/en.html" '<td>Ongoing</td>' "words, not codes: a status"
has "$T/en.html" 'Tunisia · Southern Mediterranean' "words, not codes: country and region"
has "$T/en.html" 'Gender Equality' "SDG names"
has "$T/en.html" 'No data yet: this city has sent nothing' "a city with no data is marked"
check "priorities in rank order" python3 -c '
import sys, re
s = open(sys.argv[1]).read()
i, j = s.index("No data on internal migration"), s.index("Housing for newcomers")
assert i < j, (i, j)' "$T/en.html"
check "reviews shown in the city page" grep -q 'data-review="changes_requested" data-out-of-date="1"' "$T/en.html"
has "$T/en.html" "Targeted City Actions: <span dir=\"auto\">Observatoire" "a review names the action by its title"
check "a validated profile section shows it" grep -q 'data-review="validated" data-out-of-date="0"' "$T/en.html"

# Text, CSV and JSON carry the same figures.
run 0 "report json" c2c -C office report --json
check "json: the same figures, reviews counted" python3 - "$T/out" "$T/en.html" <<'PY'
import json, sys, re
d = json.load(open(sys.argv[1])); h = open(sys.argv[2]).read()
t = d["totals"]
assert t["cities_listed"] == 23 and t["cities"] == 2, t
assert t["budget_eur"] == 100000 and t["actions"] == 3, t
assert t["reviews"] == {"validated": 2, "changes_requested": 0, "out_of_date": 1}, t["reviews"]
tun = [c for c in d["cities"] if c["city"] == "tunis"][0]
assert tun["reviews"] == {"validated": 1, "changes_requested": 0, "out_of_date": 1}, tun["reviews"]
assert [p["rank"] for p in tun["priority_list"]] == [1, 2], tun["priority_list"]
assert tun["sdg_targets"] == ["5.1", "10.7", "10.a", "11.1", "16.2", "16.10"], tun["sdg_targets"]
assert [g["goal"] for g in t["budget_by_sdg"]] == [5, 10, 11, 16, 17], t["budget_by_sdg"]
for key in ("budget_eur", "cofunding_eur", "people_reached_female", "people_reached_male"):
    assert 'data-key="%s"><th>' % key in h and ('data-value="%d"' % t[key]) in h, key
assert d["made_at"] == "2026-12-06T12:00:00Z", d["made_at"]
assert [c["city"] for c in d["cities"] if not c["has_data"]].count("tangier") == 1
PY
run 0 "report csv" c2c -C office report --format csv
check "csv: the same totals" python3 -c '
import csv, sys
rows = {r["city"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
assert len(rows) == 24, len(rows)
t = rows["TOTAL"]
assert t["budget_eur"] == "100000" and t["reviews_validated"] == "2" and t["reviews_out_of_date"] == "1", t
assert rows["tangier"]["has_data"] == "0" and rows["tunis"]["has_data"] == "1", rows["tangier"]
assert rows["tunis"]["sdg_targets"] == "5.1,10.7,10.a,11.1,16.2,16.10", rows["tunis"]
' "$T/out"
run 0 "report text" c2c -C office report
has "$T/out" "^  budget_eur +100000$" "text: the budget total"
has "$T/out" "reviews +3 +validated 2, changes requested 0, out of date 1" "text: the reviews"
has "$T/out" "^Tangier, MA \(tangier\): no data yet" "text: a city with no data"
has "$T/out" "^  +budget SDG 10 +100000 +3 actions; 10\.7 80000, 10\.a 20000$" "text: budget by SDG"
has "$T/out" "^  +budget SDG 16 +50000 +2 actions; 16\.2 20000, 16\.6 30000, 16\.10 20000$" "text: targets in numeric order"

# --- languages ------------------------------------------------------------------
run 0 "report html (fr)" c2c -C office report --format html --lang fr -o "$T/fr.html"
check "fr: every figure matches" python3 "$T/check.py" "$T/fr.html" fr
has "$T/fr.html" $'<td class="n" data-value="50000">50\u202f000</td>' "fr: narrow no-break space"
has "$T/fr.html" '<td>En cours</td>' "fr: a status in French"
has "$T/fr.html" 'Rapport au comité de pilotage' "fr: the title"
has "$T/fr.html" '6 décembre 2026' "fr: the date"
has "$T/fr.html" 'Tunisie' "fr: a country"
run 0 "report html (es)" c2c -C office report --format html --lang es -o "$T/es.html"
check "es: every figure matches" python3 "$T/check.py" "$T/es.html" es
has "$T/es.html" '<td class="n" data-value="50000">50.000</td>' "es: thousands separator"
has "$T/es.html" '<td class="n" data-value="1200">1200</td>' "es: no separator in four digits"
has "$T/es.html" '6 de diciembre de 2026' "es: the date"
run 0 "report html (ar)" c2c -C office report --format html --lang ar -o "$T/ar.html"
check "ar: every figure matches" python3 "$T/check.py" "$T/ar.html" ar
has "$T/ar.html" '<html lang="ar" dir="rtl">' "ar: right to left"
has "$T/ar.html" '<td class="n" data-value="50000">٥٠٬٠٠٠</td>' "ar: Arabic digits and separator"
has "$T/ar.html" 'تونس' "ar: a city's name"
check "ar: no left/right in the CSS but the page's margin boxes" sh -c "! grep -E 'margin-left|margin-right|padding-left|padding-right|text-align:(left|right)' '$T/ar.html'"
run 2 "unknown language" c2c -C office report --format html --lang de
has "$T/err" "en, fr, es or ar" "the languages are named"

# --- --city ---------------------------------------------------------------------------
run 0 "report html of one city" c2c -C office report --format html --city tunis -o "$T/tunis.html"
check "one city: one city section" python3 -c '
import sys, re
s = open(sys.argv[1]).read()
assert re.findall(r"<section class=\"city\" id=\"city-([a-z]+)\"", s) == ["tunis"]' "$T/tunis.html"

# --- --at -------------------------------------------------------------------------
run 0 "report --at 2026-03-31" c2c -C office report --json --at 2026-03-31
check "--at 31 March: Tunis's first figures only" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
assert d["at"] == "2026-03-31" and d["head_date"].startswith("2026-03-10"), (d["at"], d["head_date"])
assert t["actions"] == 1 and t["budget_eur"] == 50000 and t["cities"] == 1 and t["events"] == 0, t
assert t["reviews"] == {"validated": 0, "changes_requested": 0, "out_of_date": 0}, t
assert len(d["cities"]) == 23' "$T/out"
run 0 "report --at 2026-06-30" c2c -C office report --json --at 2026-06-30
cp "$T/out" "$T/june.json"
check "--at 30 June: Tunis and Sfax" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
assert d["head"] == sys.argv[2], (d["head"], sys.argv[2])
assert t["actions"] == 2 and t["budget_eur"] == 80000 and t["cities"] == 2 and t["events"] == 1, t
sf = [c for c in d["cities"] if c["city"] == "sfax"][0]
assert sf["last_change"].startswith("2026-05-20"), sf["last_change"]' "$T/june.json" "$JUNE_HEAD"
run 0 "report --at a commit" c2c -C office report --json --at "$JUNE_HEAD"
check "--at the commit gives the figures of that day" python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["cities"] == b["cities"] and a["totals"] == b["totals"] and a["head"] == b["head"]' "$T/out" "$T/june.json"
run 0 "report html --at 2026-06-30" c2c -C office report --format html --at 2026-06-30 -o "$T/june.html"
check "--at: the html's figures are those of 30 June" python3 "$T/check.py" "$T/june.html" en "$T/june"
has "$T/june.html" '<dd id="at" dir="ltr">2026-06-30</dd>' "the cover says as of when"
run 0 "report --at before the office's first commit" c2c -C office report --json --at 2026-02-01
check "--at before any data: every city, no data" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["totals"]["cities"] == 0 and len(d["cities"]) == 23, d["totals"]' "$T/out"
run 1 "report --at before the history" c2c -C office report --at 2014-01-01
has "$T/err" "history starts after 2014-01-01" "--at too early is named"
run 1 "report --at no such commit" c2c -C office report --at deadbeefdeadbeef
has "$T/err" "names no date and no commit" "--at unknown is named"
run 2 "report --at empty" c2c -C office report --at ""
same "--at changes nothing" "$(git -C office/repo.git rev-parse main)" "$NOW_HEAD"

# --- the dashboard fragment ---------------------------------------------------
run 0 "dashboard" c2c -C office report --format html --dashboard --silent-days 100
check "dashboard: every city, the silent ones marked" python3 -c '
import sys, re
s = open(sys.argv[1]).read()
rows = dict(re.findall(r"<tr data-city=\"([a-z]+)\" data-silent=\"([01])\"", s))
assert len(rows) == 23, rows
assert rows["tunis"] == "0" and rows["sfax"] == "1" and rows["tangier"] == "1", rows
assert "<html" not in s and "chart-actions-status" in s
assert re.search(r"data-city=\"sfax\" data-silent=\"1\" class=\"silent\"><th>Sfax <span class=\"silent-mark\">silent</span>", s)
assert not re.search(r"data-city=\"tunis\"[^>]*><th>Tunis <span", s)' "$T/out"
run 2 "dashboard is html only" c2c -C office report --dashboard
# A change dated after the report's time (a node's clock ahead of the
# office's) is recent, not silent, and zero days ago
C2C_REPORT_NOW=1767225600 run 0 "dashboard made on 2026-01-01, before every change" \
	c2c -C office report --format html --dashboard --silent-days 100
check "dashboard: a change dated after now is zero days ago, not silent" python3 -c '
import sys, re
s = open(sys.argv[1]).read()
rows = dict(re.findall(r"<tr data-city=\"([a-z]+)\" data-silent=\"([01])\"", s))
assert rows["tunis"] == "0" and rows["sfax"] == "0" and rows["amman"] == "1", rows
assert re.search(r"data-city=\"tunis\"[^\n]*?<td class=\"n\" data-value=\"0\">", s), "days ago"' "$T/out"

# --- print: a headless Chromium ------------------------------------------------
pdf() {
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --no-pdf-header-footer --user-data-dir="$(mktemp -d "$T/chr.XXXX")" \
		--print-to-pdf="$2" "$1" >"$T/chromium.log" 2>&1
}
if command -v chromium >/dev/null && command -v pdftotext >/dev/null; then
	check "chromium prints the report" pdf "$T/en.html" "$T/en.pdf"
	PAGES=$(pdfinfo "$T/en.pdf" | sed -n 's/^Pages: *//p')
	check "page count: cover, summary, a page per city at least ($PAGES)" test "${PAGES:-0}" -ge 27 -a "${PAGES:-0}" -le 40
	# The first line under the running header of each page.
	for p in $(seq 1 "$PAGES"); do
		pdftotext -layout -f "$p" -l "$p" "$T/en.pdf" - | grep -v '^\s*$' | sed -n 2p | sed 's/^ *//'
	done >"$T/firsts"
	check "each city starts a page, in order" python3 - "$T/firsts" "$T/cities.json" <<'PY'
import json, sys
firsts = open(sys.argv[1]).read().splitlines()
names = sorted(c["name"] for c in json.load(open(sys.argv[2])))
starts = [l.split("  ")[0].split(" ")[0] for l in firsts]
found = [n for n in starts if n in names]
assert found == names, (found, names, firsts)
PY
	has <(pdftotext -f 2 -l 2 "$T/en.pdf" -) "MC2CM steering committee report" "page 2 has the running header"
	has <(pdftotext -f 2 -l 2 "$T/en.pdf" -) "6 December 2026" "the running header has the date"
	check "the cover has no running header" sh -c "! pdftotext -f 1 -l 1 '$T/en.pdf' - | grep -q '1 / '"
	has <(pdftotext -f 1 -l 1 "$T/en.pdf" -) "Steering committee report" "page 1 is the cover"
	check "chromium prints the Arabic report" pdf "$T/ar.html" "$T/ar.pdf"
	has <(pdftotext -f 1 -l 1 "$T/ar.pdf" -) "تقرير لجنة التوجيه" "the Arabic cover"
	if [ -n "${C2C_REPORT_PNG:-}" ]; then # pages to look at
		pdftoppm -r 60 -png "$T/en.pdf" "$C2C_REPORT_PNG/en"
		pdftoppm -r 60 -png "$T/ar.pdf" "$C2C_REPORT_PNG/ar"
	fi
else
	not_ok "chromium and poppler-utils are needed (sh scripts/deps)"
fi

run 0 "office verify at the end" c2c -C office verify

# --- the figures of one city, and the network's, from the grouped queries -------------
# The figures of every city come from one query per figure over every city
# (GROUP BY city), a city's alone (--city, a city's node) from the same
# queries restricted to it: both give the same figures, and the totals are
# the sums of the cities'.
run 0 "the network's json" c2c -C office report --json
cp "$T/out" "$T/net.json"
run 0 "one city's json" c2c -C office report --json --city tunis
cp "$T/out" "$T/one.json"
run 0 "the city's own json" c2c -C tunis report --json
cp "$T/out" "$T/own.json"
check "a city's figures alone are its figures in the network's report; totals are sums" python3 - "$T/net.json" "$T/one.json" "$T/own.json" <<'PY'
import json, sys
net, one, own = (json.load(open(p)) for p in sys.argv[1:4])
tunis = [c for c in net["cities"] if c["city"] == "tunis"][0]
assert one["cities"] == [tunis], "--city tunis differs from the network's tunis"
for k in ("actions", "budget_eur", "cofunding_eur", "people_reached_female", "people_reached_male", "events",
          "priorities", "stakeholders"):
    assert net["totals"][k] == sum(c[k] for c in net["cities"]), k
assert net["totals"]["actions_by_status"] == {s: sum(c["actions_by_status"][s] for c in net["cities"])
                                            for s in net["totals"]["actions_by_status"]}
assert net["totals"]["sdg_targets"] == ["5.1", "10.7", "10.a", "11.1", "16.2", "16.6", "16.10", "17.9"], net["totals"]["sdg_targets"]
own_t = own["cities"][0]
for k in ("actions", "budget_eur", "sdg_targets", "budget_by_sdg", "events"):
    assert own_t[k] == one["cities"][0][k], k
PY
# An open conflict in a city's record counts for that city (through the
# partial index of schema 10, the row carrying one).
cp -a office conflicted
sqlite3 conflicted/c2c.db "UPDATE actions SET _c2c = json_set(_c2c, '$.conflicts', json('{\"status\": [[\"x\", 1, 2, \"completed\"]]}')) WHERE id = '$A2'"
run 0 "report with a conflict" c2c -C conflicted report --json
check "the conflict counts for sfax only" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = {c["city"]: c["conflicts"] for c in d["cities"] if c["conflicts"]}
assert got == {"sfax": 1}, got' "$T/out"
finish
