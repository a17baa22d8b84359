#!/bin/bash
# c2c report: a city's overview and the network totals, in text, csv, json
# and html; written to a file whole; read-only; bad options refused; SDG
# targets in numeric order; the office lists every city of the network.
. "$(dirname "$0")/lib.sh"
# The time a report says it was made, so that two reports compare equal.
export C2C_REPORT_NOW=1796558400

N=$T/tangier
run 0 "init" c2c init "$N" --city tangier
cd "$N"
run 0 "section en" c2c add profile_sections section=overview lang=en body="Tangier, a port city." status=validated
run 0 "section ar" c2c add profile_sections section=overview lang=ar body="طنجة، مدينة ساحلية" status=validated
run 0 "section fr" c2c add profile_sections section=overview lang=fr body="Tanger, ville portuaire." status=draft
run 0 "section fr 2" c2c add profile_sections section=governance lang=fr body="Gouvernance." status=submitted
run 0 "stakeholder 1" c2c add stakeholders name="Commune de Tanger" kind=municipal
run 0 "stakeholder 2" c2c add stakeholders name="Association Tanger Accueil" kind=civil_society
run 0 "stakeholder 3" c2c add stakeholders name="MedCities" kind=international
TITLE='TangerAccueil <b>&"'"'"
run 0 "action 1" c2c add actions title="$TITLE" status=ongoing budget_eur=50000 sdg_targets=10.7,16.6 \
	objectives=A,D people_reached_female=150 people_reached_male=150
run 0 "action 2" c2c add actions title="Reception desk" status=completed budget_eur=30000 cofunding_eur=7000 \
	sdg_targets=5.1,10.7 objectives=B
run 0 "event" c2c add event_participation event=event-03 role=host
HEAD=$(git -C repo.git rev-parse main)
COMMITS=$(git -C repo.git rev-list --count main)

# text
run 0 "report text" c2c report
has "$T/out" "^MC2CM report" "text has a title"
has "$T/out" "$HEAD" "text names the head commit"
has "$T/out" "tangier-[0-9a-f]+" "text names the node"
has "$T/out" "^Tangier, MA \(tangier\)" "text has the city block"
has "$T/out" "budget_eur +80000$" "text has the budget total"
has "$T/out" "cofunding_eur +7000$" "text has the co-funding"
has "$T/out" "people reached +300 +female 150, male 150" "text has people reached"
has "$T/out" "SDGs covered +3 of 17 +5, 10, 16" "text has SDGs N of 17"
has "$T/out" "ongoing 1, completed 1" "text has actions by status"
has "$T/out" "^    fr +2 +draft 1, submitted 1, validated 0: overview, governance" "text has sections by language"
has "$T/out" "^Network totals" "text has the totals"
run 0 "text is the default format" c2c report --format text
run 0 "help" c2c report --help
has "$T/out" "^usage: c2c report" "report --help shows usage"

# json
run 0 "report json" c2c report --format json
cp "$T/out" "$T/report.json"
check "json parses, with the right figures" python3 - "$T/report.json" "$HEAD" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["head"] == sys.argv[2], d["head"]
assert d["node_id"].startswith("tangier-"), d["node_id"]
assert len(d["cities"]) == 1
c = d["cities"][0]
assert c["city"] == "tangier" and c["name"] == "Tangier" and c["country"] == "MA", c
assert c["budget_eur"] == 80000 and c["cofunding_eur"] == 7000, c
assert c["actions"] == 2, c
assert c["actions_by_status"]["ongoing"] == 1 and c["actions_by_status"]["completed"] == 1, c
assert c["actions_by_status"]["proposed"] == 0, c
assert c["sdg_targets"] == ["5.1", "10.7", "16.6"], c["sdg_targets"]
assert c["budget_by_sdg"] == [
    {"goal": 5, "budget_eur": 30000, "actions": 1, "targets": [{"target": "5.1", "budget_eur": 30000, "actions": 1}]},
    {"goal": 10, "budget_eur": 80000, "actions": 2, "targets": [{"target": "10.7", "budget_eur": 80000, "actions": 2}]},
    {"goal": 16, "budget_eur": 50000, "actions": 1, "targets": [{"target": "16.6", "budget_eur": 50000, "actions": 1}]},
], c["budget_by_sdg"]
assert c["profile_grid"]["overview"] == {"ar": "validated", "en": "validated", "es": "missing", "fr": "draft"}, c
assert c["profile_grid"]["governance"]["fr"] == "submitted" and len(c["profile_grid"]) == 11, c
assert c["reviews"] == {"validated": 0, "changes_requested": 0, "out_of_date": 0}, c
assert c["event_list"][0]["event"] == "event-03" and c["event_list"][0]["role"] == "host", c
assert c["last_change"] and c["has_data"] is True, c
assert d["made_at"] == "2026-12-06T12:00:00Z" and d["head_date"], d
assert c["sdgs"] == [5, 10, 16], c["sdgs"]
assert c["objectives"] == ["A", "B", "D"], c["objectives"]
assert c["people_reached_female"] == 150 and c["people_reached_male"] == 150, c
assert c["stakeholders"] == 3 and c["stakeholders_by_kind"]["municipal"] == 1, c
assert c["events"] == 1 and c["migration_stats"] == 0 and c["priorities"] == 0, c
p = c["profile_sections"]
assert p["en"]["sections"] == ["overview"] and p["en"]["validated"] == 1, p
assert p["ar"]["sections"] == ["overview"], p
assert p["fr"]["sections"] == ["overview", "governance"], p
assert p["fr"]["draft"] == 1 and p["fr"]["submitted"] == 1 and p["fr"]["count"] == 2, p
assert p["es"]["sections"] == [] and p["es"]["count"] == 0, p
t = d["totals"]
assert t["cities"] == 1 and t["actions"] == 2 and t["budget_eur"] == 80000, t
assert t["sdgs_covered"] == 3 and t["sdgs_total"] == 17 and t["sdgs"] == [5, 10, 16], t
assert t["sdg_targets"] == ["5.1", "10.7", "16.6"], t
assert t["budget_by_sdg"] == c["budget_by_sdg"] and t["cities_listed"] == 1, t
assert {k: v["count"] for k, v in t["profile_sections"].items()} == {"ar": 1, "en": 1, "es": 0, "fr": 2}, t
for v in (c["budget_eur"], t["actions"], t["cities"]):
    assert isinstance(v, int)
EOF
run 0 "--json is --format json" c2c report --json
same "--json gives the same json" "$(cat "$T/out")" "$(cat "$T/report.json")"
run 0 "global --json" c2c --json report
same "global --json gives the same json" "$(cat "$T/out")" "$(cat "$T/report.json")"

# csv
run 0 "report csv" c2c report --format csv
cp "$T/out" "$T/report.csv"
same "csv: header, city, TOTAL" "$(wc -l <"$T/report.csv" | tr -d ' ')" 3
check "csv reads with python's csv module" python3 - "$T/report.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert [r["city"] for r in rows] == ["tangier", "TOTAL"], rows
hdr = "city,country,sections_ar,sections_en,sections_es,sections_fr,actions,proposed,approved,ongoing,completed,cancelled,budget_eur,cofunding_eur,people_reached_female,people_reached_male,sdg_targets,stakeholders,events,reviews_validated,reviews_changes_requested,reviews_out_of_date,has_data,last_change"
assert list(rows[0].keys()) == hdr.split(","), list(rows[0].keys())
c, t = rows
assert c["country"] == "MA" and c["budget_eur"] == "80000" and c["cofunding_eur"] == "7000", c
assert c["sdg_targets"] == "5.1,10.7,16.6", c["sdg_targets"]
assert c["has_data"] == "1" and c["reviews_validated"] == "0", c
assert c["sections_fr"] == "2" and c["sections_es"] == "0", c
assert c["ongoing"] == "1" and c["completed"] == "1" and c["actions"] == "2", c
assert c["stakeholders"] == "3" and c["events"] == "1", c
assert t["budget_eur"] == "80000" and t["sdg_targets"] == "5.1,10.7,16.6", t
EOF
has "$T/report.csv" '"5\.1,10\.7,16\.6"' "csv set in one quoted cell"

# html
run 0 "report html" c2c report --format html -o "$T/report.html"
same "-o writes nothing on stdout" "$(cat "$T/out")" ""
check "-o leaves no temporary file" test ! -e "$T/report.html.tmp"
has "$T/report.html" "^<!DOCTYPE html>" "html is a page"
has "$T/report.html" '<meta charset="utf-8">' "html declares UTF-8"
has "$T/report.html" 'TangerAccueil &lt;b&gt;&amp;&quot;&#39;' "html escapes the title"
check "html has no raw title" sh -c "! grep -qF '<b>&' '$T/report.html'"
check "html has no script" sh -c "! grep -qi '<script' '$T/report.html'"
has "$T/report.html" 'dir="auto"' "html text cells are dir=auto"
has "$T/report.html" "$HEAD" "html names the head"
check "html parses" python3 -c '
import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []
    def handle_starttag(s, t, a):
        if t not in ("meta", "br", "link"): s.stack.append(t)
    def handle_endtag(s, t):
        assert s.stack and s.stack.pop() == t, t
p = P(); p.feed(open(sys.argv[1]).read()); p.close(); assert p.stack == [], p.stack
' "$T/report.html"

# -o replaces a file whole; text to a file
echo old >"$T/report.txt"
run 0 "text to a file" c2c report -o "$T/report.txt"
has "$T/report.txt" "budget_eur +80000$" "-o wrote the text report"
check "-o replaced the old file" sh -c "! grep -qx old '$T/report.txt'"
run 1 "-o into a missing directory" c2c report -o "$T/no/such/dir/r.txt"
has "$T/err" "cannot write" "unwritable -o is named"

# --city
run 0 "--city tangier" c2c report --city tangier --json
same "--city tangier is the same report" "$(cat "$T/out")" "$(cat "$T/report.json")"
run 0 "--city of another city" c2c report --city sfax --json
check "another city with no data" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [c["city"] for c in d["cities"]] == ["sfax"] and d["cities"][0]["has_data"] is False, d
assert d["cities"][0]["name"] == "Sfax" and d["totals"]["cities"] == 0 and d["totals"]["actions"] == 0, d
' "$T/out"
run 1 "unknown --city" c2c report --city atlantis
has "$T/err" "atlantis" "unknown city named"

# usage errors
run 2 "bad --format" c2c report --format xml
has "$T/err" "unknown format 'xml'" "bad format named"
has "$T/err" "text, csv, json or html" "bad format: the formats listed"
run 2 "--json with --format csv" c2c report --json --format csv
run 2 "stray argument" c2c report extra
run 2 "unknown option" c2c report --frobnicate

# read-only
same "report makes no commit" "$(git -C repo.git rev-list --count main)" "$COMMITS"
run 0 "verify after report" c2c verify

# An office node with no city data: every city of the network listed, none
# with data, no failure.
cd "$T"
run 0 "init office" c2c init "$T/office" --office
run 0 "office report" c2c -C "$T/office" report
has "$T/out" "No city has data yet" "office text says no data"
has "$T/out" "cities with data +0 +of 23$" "office text totals zero of 23"
has "$T/out" "^Amman, JO \(amman\): no data yet" "office text lists a city with no data"
run 0 "office json" c2c -C "$T/office" report --json
check "office json: zero cities" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["cities"]) == 23 and not any(c["has_data"] for c in d["cities"]), d
assert [c["name"] for c in d["cities"]] == sorted(c["name"] for c in d["cities"]), "by name"
assert d["totals"]["cities"] == 0 and d["totals"]["cities_listed"] == 23 and d["totals"]["budget_eur"] == 0, d
assert d["totals"]["sdgs_covered"] == 0 and d["totals"]["sdgs_total"] == 17, d
' "$T/out"
run 0 "office csv" c2c -C "$T/office" report --format csv
same "office csv: header, 23 cities and TOTAL" "$(wc -l <"$T/out" | tr -d ' ')" 25
has "$T/out" "^amman,JO,0,0,0,0,0,0,0,0,0,0,0,0,0,0,\"\",0,0,0,0,0,0," "office csv: a city with no data"
run 0 "office html" c2c -C "$T/office" report --format html
has "$T/out" "</html>" "office html complete"
run 0 "office --city" c2c -C "$T/office" report --city tangier --json
finish
