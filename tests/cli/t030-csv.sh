#!/bin/bash
# import and export: a spreadsheet round trip. One commit per import, all or
# nothing; bad files name the file and line and change nothing.
. "$(dirname "$0")/lib.sh"

N=$T/tunis
c2c init "$N" --city tunis --user "Amina Ben Ali <amina@tunis.example>" >/dev/null || exit 1
cd "$N"

# A realistic file: commas, quotes, Arabic, sets in quoted cells, a cell
# over two lines, a BOM and CRLF line ends (as spreadsheets save them).
{
	printf '\357\273\277'
	printf '%s\r\n' 'title,status,budget_eur,sdg_targets,themes,partners,start_date,outcomes' \
		'"ACMALS - coordination of local actors, phase 2",ongoing,50000,"10.7,16.6,17.17","civil_society_cooperation,community_participation","Municipality of Tunis,IOM",2021-03-01,' \
		'"The ""Welcome"" desk",approved,12000,10.7,access_to_basic_services,,2022-01-15,"first line
second line"' \
		'تونس مدينة الجميع,proposed,0,"5.1, 10.7",,جمعية الأرض للجميع,,مكتب استقبال المهاجرين' \
		'Plain action,,,,,,,'
} >"$T/actions.csv"
C0=$(commits)
run 0 "import actions" c2c import actions "$T/actions.csv"
has "$T/out" "^imported .*actions.csv into actions: 4 added, 0 changed, 0 unchanged \(commit [0-9a-f]{12}\)$" "import summary"
same "import is one commit" "$(commits)" $((C0 + 1))
same "import commit message" "$(git -C repo.git log -1 --format=%s main)" "import actions from actions.csv: 4 added, 0 changed"
same "four actions" "$(count actions)" 4
run 0 "ls json" c2c ls actions --json
has "$T/out" '"title": "ACMALS - coordination of local actors, phase 2"' "comma in a quoted cell"
has "$T/out" '"title": "The \\"Welcome\\" desk"' "doubled quotes"
has "$T/out" '"title": "تونس مدينة الجميع"' "Arabic text"
has "$T/out" '"sdg_targets": \[$' "sets are arrays"
has "$T/out" '"outcomes": "first line\\nsecond line"' "a cell over two lines"
has "$T/out" '"budget_eur": 50000' "integer budget"
has "$T/out" '"budget_eur": 0' "zero budget"
has "$T/out" '"city": "tunis"' "city defaults to the node's"
same "empty cells are not set" "$(grep -c '"status"' "$T/out")" 3
ID=$(c2c ls actions title="The \"Welcome\" desk" --json | sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p')
check "found the Welcome desk" test -n "$ID"
run 0 "show welcome" c2c show "actions/$ID" --json
tr -d ' \n' <"$T/out" >"$T/flat"
has "$T/flat" '"sdg_targets":\["10.7"\]' "one-element set"
ARAB=$(c2c ls actions status=proposed --json | sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p')
run 0 "show arabic" c2c show "actions/$ARAB" --json
tr -d ' \n' <"$T/out" >"$T/flat"
has "$T/flat" '"sdg_targets":\["10.7","5.1"\]' "set cell trimmed and sorted"
check "git fsck --strict" git -C repo.git fsck --strict --no-progress
run 0 "verify after import" c2c verify

# Export, and import the export: nothing changes, no commit.
run 0 "export to stdout" c2c export actions
cp "$T/out" "$T/stdout.csv"
same "export header: id, then the fields in schema order" "$(head -1 "$T/stdout.csv")" \
	"id,$(sqlite3 c2c.db "SELECT group_concat(name, ',') FROM (SELECT name FROM c2c_fields WHERE tbl = 'actions' ORDER BY pos)")"
has "$T/stdout.csv" '^[0-9a-f]{24},tunis,"ACMALS - coordination of local actors, phase 2",,ongoing,50000,,"IOM,Municipality of Tunis",2021-03-01,,"10.7,16.6,17.17",,"civil_society_cooperation,community_participation",' "export row quoted per RFC 4180"
has "$T/stdout.csv" ',"The ""Welcome"" desk",' "export doubles quotes"
same "export ends lines in LF alone" "$(tr -cd '\r' <"$T/stdout.csv" | wc -c)" 0
run 0 "export to file" c2c export actions "$T/export.csv"
has "$T/out" "exported 4 records of actions to" "export says what it wrote"
check "no temporary file left" test ! -e "$T/export.csv.tmp"
check "file equals stdout" cmp -s "$T/export.csv" "$T/stdout.csv"
same "one line per record plus header" "$(grep -c '^[0-9a-f]\{24\},' "$T/export.csv")" 4
C1=$(commits)
run 0 "import the export" c2c import actions "$T/export.csv"
has "$T/out" "0 added, 0 changed, 4 unchanged \(no commit\)" "round trip changes nothing"
has "$T/err" "nothing to commit" "says there is nothing to commit"
same "round trip makes no commit" "$(commits)" "$C1"
run 0 "re-export" c2c export actions "$T/export2.csv"
check "re-export equals the export" cmp -s "$T/export.csv" "$T/export2.csv"
run 0 "export --json" c2c export actions --json
has "$T/out" '^\[$' "export --json is an array"
has "$T/out" "\"id\": \"$ID\"" "export --json has flat records"
check "export --json has no bookkeeping" sh -c "! grep -q _c2c '$T/out'"

# Edit the export: one status changes, one record is added (no id).
sed "s/^\($ID,tunis,\"The \"\"Welcome\"\" desk\",,\)approved,/\1completed,/" "$T/export.csv" >"$T/edit.csv"
ncols=$(head -1 "$T/export.csv" | tr -cd , | wc -c)
row=",tunis,New from the spreadsheet,first,proposed"
for _ in $(seq 5 "$ncols"); do row="$row,"; done
printf '%s\n' "$row" >>"$T/edit.csv"
run 0 "import edited" c2c import actions "$T/edit.csv" --json
has "$T/out" '"added": 1' "json: one added"
has "$T/out" '"changed": 1' "json: one changed"
has "$T/out" '"unchanged": 3' "json: three unchanged"
has "$T/out" '"commit": "[0-9a-f]{40}"' "json: the commit"
same "edit is one commit" "$(commits)" $((C1 + 1))
same "edit commit message" "$(git -C repo.git log -1 --format=%s main)" "import actions from edit.csv: 1 added, 1 changed"
run 0 "status changed" c2c show "actions/$ID" --json
has "$T/out" '"status": "completed"' "status updated through the id column"
same "five actions" "$(count actions)" 5
# A status change alone, with a short file (id and the required title).
printf 'id,title,status\n%s,"The ""Welcome"" desk",cancelled\n' "$ID" >"$T/status.csv"
run 0 "import status" c2c import actions "$T/status.csv"
has "$T/out" "0 added, 1 changed, 0 unchanged" "one changed"
same "status import is one commit" "$(commits)" $((C1 + 2))
# An empty cell clears the field of an existing record.
printf 'id,title,budget_eur\n%s,"The ""Welcome"" desk",\n' "$ID" >"$T/clear.csv"
run 0 "import clear" c2c import actions "$T/clear.csv"
run 0 "cleared" c2c show "actions/$ID" --json
check "empty cell clears" sh -c "! grep -q budget_eur '$T/out'"
# An id not yet used adds a record with that id.
printf 'id,title\nspreadsheet-1,Given id\n' >"$T/newid.csv"
run 0 "import with new id" c2c import actions "$T/newid.csv"
run 0 "show given id" c2c show actions/spreadsheet-1

# Spaces around column names and non-text values are dropped; text keeps them.
printf 'id , title,budget_eur ,status\nspreadsheet-1 , Given id ,  7 , ongoing\n' >"$T/spaces.csv"
run 0 "import with spaces" c2c import actions "$T/spaces.csv"
run 0 "show spaces" c2c show actions/spreadsheet-1 --json
has "$T/out" '"budget_eur": 7,' "integer with spaces"
has "$T/out" '"status": "ongoing"' "enum with spaces"
has "$T/out" '"title": " Given id "' "text kept exactly"

# Natural keys: profile sections are found by (city, section, lang).
printf 'section,lang,body,status\noverview,en,"Tunis, capital.",draft\noverview,ar,تونس العاصمة,draft\n' >"$T/sec.csv"
run 0 "import sections" c2c import profile_sections "$T/sec.csv"
has "$T/out" "2 added" "sections added"
run 0 "show natural id" c2c show profile_sections/tunis.overview.ar --json
has "$T/out" "تونس العاصمة" "arabic body"
printf 'section,lang,body,status\noverview,en,"Tunis, capital.",submitted\noverview,ar,تونس العاصمة,draft\n' >"$T/sec.csv"
run 0 "re-import sections" c2c import profile_sections "$T/sec.csv"
has "$T/out" "0 added, 1 changed, 1 unchanged" "section found by its key"
run 0 "export sections" c2c export profile_sections "$T/sec-export.csv"
C2=$(commits)
run 0 "import section export" c2c import profile_sections "$T/sec-export.csv"
same "sections round trip makes no commit" "$(commits)" "$C2"
run 0 "help" c2c import --help
has "$T/out" "^usage: c2c import TABLE FILE.csv" "import usage"
has "$T/out" "empty cell" "help explains empty cells"
run 0 "help export" c2c export --help
has "$T/out" "^usage: c2c export TABLE \[FILE.csv\]" "export usage"

# ------------------------------------------------------------ bad files
snapshot >"$T/before"
# bad PATTERN DESCRIPTION (the file is $T/bad.csv)
bad() {
	run 1 "$2" c2c import actions "$T/bad.csv"
	has "$T/err" "$1" "$2: message"
	unchanged "$2"
}
B="bad.csv: row"
printf 'status,budget_eur\nongoing,5\n' >"$T/bad.csv"
bad "$B 1: the header has no column 'title', a required field of actions" "missing required column"
printf 'title,colour\nx,red\n' >"$T/bad.csv"
bad "$B 1: table actions has no column 'colour'" "unknown column"
has "$T/err" "c2c tables actions" "unknown column: hint"
printf 'title,status,title\nx,ongoing,y\n' >"$T/bad.csv"
bad "$B 1: column 'title' appears twice" "duplicate column"
printf 'title,status\nfirst,ongoing\nsecond,ongoing,extra\nthird,ongoing\n' >"$T/bad.csv"
bad "$B 3: 3 cells, the header has 2" "extra cell"
printf 'title,status,budget_eur\nfirst,ongoing,1\nsecond,ongoing\nthird,ongoing,3\n' >"$T/bad.csv"
bad "$B 3: 2 cells, the header has 3" "missing cell"
printf 'title,budget_eur\nfirst,1\nsecond,2\nthird,lots\nfourth,4\n' >"$T/bad.csv"
bad "$B 4, column B \\(budget_eur\\): 'lots' is not a number" "bad value on line 4 of 5"
printf 'title,status\nfirst,ongoing\nsecond,paused\nthird,ongoing\n' >"$T/bad.csv"
bad "$B 3, column B \\(status\\): 'paused' is not an allowed value" "bad value on line 3 of 4"
printf 'title,outcomes\nfirst,"two\nlines"\nsecond,x,y\n' >"$T/bad.csv"
bad "$B 3: 3 cells" "row count after a cell over two lines"
printf 'title,budget_eur\nfirst,1\ncaf\351,2\n' >"$T/bad.csv"
bad "$B 3, column A \\(title\\): the text is not valid UTF-8" "invalid UTF-8"
printf 'title,budget_eur\nfirst,1\n"second,2\nthird,3\n' >"$T/bad.csv"
bad "$B 3: a quoted cell is never closed" "unterminated quote"
printf 'title,budget_eur\nfirst,1\nsec"ond,2\n' >"$T/bad.csv"
bad "$B 3: malformed CSV" "quote inside an unquoted cell"
printf 'title,sdg_targets\nfirst,10.7\nsecond,"10.7,18.1"\n' >"$T/bad.csv"
bad "$B 3, column B \\(sdg_targets\\): '18.1' is not an SDG target" "bad set element"
printf 'id,title\nNOT-AN-ID,x\n' >"$T/bad.csv"
bad "$B 2, column A \\(id\\): 'NOT-AN-ID' is not a valid record id" "malformed id"
printf 'id,title,city\n,x,sfax\n' >"$T/bad.csv"
bad "$B 2: .*writes tunis's records only" "another city's record"
printf 'title,required_but\n' >"$T/bad.csv"
bad "$B 1: table actions has no column 'required_but'" "header only, unknown"
: >"$T/bad.csv"
bad "bad.csv: the file is empty" "empty file"
run 1 "nonexistent file" c2c import actions "$T/nowhere.csv"
has "$T/err" "nowhere.csv: No such file" "nonexistent file: message"
unchanged "nonexistent file"
run 1 "unknown table" c2c import acts "$T/actions.csv"
has "$T/err" "unknown table 'acts'" "unknown table: message"
run 2 "import without file" c2c import actions
run 1 "export into a missing directory" c2c export actions "$T/no/such/dir.csv"
has "$T/err" "no/such/dir.csv" "export error names the file"
printf 'id,section,lang,body\ntunis.overview.fr,overview,en,x\n' >"$T/sec-bad.csv"
run 1 "natural key mismatch" c2c import profile_sections "$T/sec-bad.csv"
has "$T/err" "sec-bad.csv: row 2, column A \\(id\\): id 'tunis.overview.fr' does not match" "natural key mismatch: message"
unchanged "all the bad files"
run 0 "verify after bad files" c2c verify

# ------------------------------------------------------------ a large file
# (smaller under valgrind, still past the 64 records that switch to a pack)
BIG=20000
[ -n "${C2C_VALGRIND:-}" ] && BIG=300
awk -v n="$BIG" 'BEGIN {
	print "title,status,budget_eur,sdg_targets,start_date"
	for (i = 1; i <= n; i++)
		printf "\"Action %d, district %d\",ongoing,%d,\"10.7,16.%d\",2024-01-%02d\n", i, i % 17, i * 10, i % 10 + 1, i % 28 + 1
}' >"$T/big.csv"

# A disk that fills up (a limit on a file's size stands in for it): the
# import keeps its texts in a temporary file until its commit; that file
# cannot grow, and the import says where it is and what to do, and changes
# nothing. No temporary pack is left; the same import then goes through.
LIM=1024
[ -n "${C2C_VALGRIND:-}" ] && LIM=100
snapshot >"$T/before"
run 1 "import with a full disk" sh -c "trap '' XFSZ; ulimit -f $LIM; exec \"\$0\" \"\$@\"" \
	"$C2C" import actions "$T/big.csv"
has "$T/err" "^c2c import: error: writing the record texts to a temporary file in /[^ ]*: File too large$" \
	"full disk: names the temporary file's directory"
has "$T/err" "^hint: nothing was written: make room in /" "full disk: what to do"
unchanged "the import with a full disk"
check "no temporary pack left" sh -c "! ls repo.git/objects/pack | grep -q tmp_"
C3=$(commits)
run 0 "import $BIG rows" c2c import actions "$T/big.csv"
has "$T/out" "$BIG added, 0 changed, 0 unchanged" "$BIG added"
same "large import is one commit" "$(commits)" $((C3 + 1))
same "$BIG more rows" "$(sqlite3 c2c.db 'SELECT count(*) FROM actions')" $((BIG + 6))
git -C repo.git count-objects -v >"$T/objects"
inpack=$(sed -n 's/^in-pack: //p' "$T/objects")
loose=$(sed -n 's/^count: //p' "$T/objects")
check "record files are packed ($inpack in packs)" test "$inpack" -ge "$BIG"
check "few loose objects ($loose)" test "$loose" -lt 1000
check "git fsck --strict after the large import" git -C repo.git fsck --strict --no-progress
run 0 "verify after the large import" c2c verify
finish
