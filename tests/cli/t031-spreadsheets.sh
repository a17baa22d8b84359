#!/bin/bash
# Files as Excel and LibreOffice save them in the network's locales: BOM,
# ';' or tab, CRLF, locale numbers and dates, Arabic digits and commas.
# Import is safe to repeat, lists every bad row, and --dry-run writes
# nothing; export --excel round-trips, formula cells included.
. "$(dirname "$0")/lib.sh"

N=$T/tunis
c2c init "$N" --city tunis --user "Amina Ben Ali <amina@tunis.example>" >/dev/null || exit 1
cd "$N"

# ------------------------------------------------ Excel, French locale
# BOM, ';', CRLF, a header in capitals with spaces, "50 000" with a no-break
# space, "50.000,00", dates 06/12/2026 and "2026-12-06 00:00:00", a quoted
# cell over two lines, two empty trailing columns.
{
	printf '\357\273\277'
	printf 'Title ; STATUS;Budget_EUR;start_date;end_date;outcomes;;\r\n'
	printf 'Accueil;ongoing;50\302\240000;06/12/2026;2026-12-06 00:00:00;"premi\303\250re ligne\r\nseconde ligne";;\r\n'
	printf 'Formation;approved;50.000,00;01/02/2027;;;;\r\n'
	printf 'Guichet;proposed;1 234;31/12/2026;;;;\r\n'
} >"$T/fr.csv"
# Without --locale, the file's own cells tell: row 4's 31/12/2026 puts the
# day first, row 3's 50.000,00 makes the comma the decimal one.
C0=$(commits)
run 0 "import the French file, its locale read from its cells" c2c import actions "$T/fr.csv"
has "$T/out" "3 added, 0 changed, 0 unchanged" "three added"
has "$T/err" "fr.csv: dates read as day/month/year \(row 4 has 31/12/2026\)" "says which row showed the date order"
has "$T/err" "fr.csv: numbers read with a decimal comma \(row 3 has 50.000,00\)" "says which row showed the decimal comma"
# Where no cell tells, what is ambiguous is refused, and the message asks for a locale.
printf 'title;start_date\r\nA;06/12/2026\r\nB;01/02/2027\r\n' >"$T/amb.csv"
run 1 "a day/month date without a locale is refused" c2c import actions "$T/amb.csv"
has "$T/err" "amb.csv: row 2, column B \(start_date\): '06/12/2026' is ambiguous" "ambiguous date: row and column"
has "$T/err" "--locale" "ambiguous date: the message asks for a locale"
has "$T/err" "amb.csv: row 3, column B \(start_date\): '01/02/2027' is ambiguous" "every bad row is listed"
has "$T/err" "2 bad rows; nothing was imported" "summary of the bad rows"
run 0 "the same with --locale fr" c2c import actions "$T/amb.csv" --locale fr --dry-run
has "$T/out" "2 would be added" "--locale fr reads them"
# Cells that disagree prove nothing.
printf 'title,start_date\nA,31/12/2026\nB,12/31/2026\nC,06/12/2026\n' >"$T/mixed.csv"
run 1 "dates in both orders" c2c import actions "$T/mixed.csv"
has "$T/err" "mixed.csv: row 4, column B \(start_date\): '06/12/2026' is ambiguous" "mixed orders: the ambiguous row refused"
check "mixed orders: no detection claimed" sh -c "! grep -q 'dates read as' '$T/err'"
run 0 "ls" c2c ls actions --json
tr -d '\n' <"$T/out" | sed 's/}/}\n/g' >"$T/flat"
has "$T/flat" '"budget_eur": 50000,.*"end_date": "2026-12-06".*"start_date": "2026-12-06".*"title": "Accueil"' "50 000 with a no-break space; 06/12/2026 is 6 December in fr; a zero time dropped"
has "$T/flat" '"budget_eur": 50000,.*"start_date": "2027-02-01".*"title": "Formation"' "50.000,00 in fr"
has "$T/flat" '"budget_eur": 1234,.*"start_date": "2026-12-31"' "1 234 and 31/12/2026"
has "$T/out" '"outcomes": "premi.re ligne\\r\\nseconde ligne"' "a quoted cell over two lines keeps its text"

# ------------------------------------------------ safe to repeat
C1=$(commits)
run 0 "import the same file again" c2c import actions "$T/fr.csv" --locale fr
has "$T/out" "0 added, 0 changed, 3 unchanged \(no commit\)" "the same file twice changes nothing"
same "no second commit" "$(commits)" "$C1"
same "still three actions" "$(count actions)" 3
# One value edited in the file: matched on (city, title), one changed.
sed 's/Guichet;proposed/Guichet;ongoing/' "$T/fr.csv" >"$T/fr2.csv"
run 0 "dry run" c2c import actions "$T/fr2.csv" --locale fr --dry-run
has "$T/out" "^row 4: change actions/[0-9a-f]{24}: status$" "dry run names the row, the record and the field"
has "$T/out" "^row 2: unchanged actions/" "dry run: unchanged rows"
has "$T/out" "0 would be added, 1 changed, 2 left unchanged; nothing written" "dry run summary"
same "dry run writes nothing" "$(commits)" "$C1"
run 0 "dry run --json" c2c import actions "$T/fr2.csv" --locale fr --dry-run --json
has "$T/out" '"dry_run": true' "json: dry_run"
has "$T/out" '"action": "change"' "json: rows"
run 0 "import the edit" c2c import actions "$T/fr2.csv" --locale fr
has "$T/out" "0 added, 1 changed, 2 unchanged" "edit found by its key"
run 0 "tables shows the import key" c2c tables actions
has "$T/out" "import finds a record without an id by: city, title" "tables: import key"

# The same record twice in one file: an error naming both rows.
printf 'title;budget_eur\r\nNouveau;1\r\nAutre;2\r\nNouveau;3\r\n' >"$T/dup.csv"
snapshot >"$T/before"
run 1 "a record twice in one file" c2c import actions "$T/dup.csv"
has "$T/err" "dup.csv: row 4: row 2 and row 4 are the same actions record" "duplicate key: both rows"
snapshot >"$T/after"
check "duplicate key: nothing written" cmp -s "$T/before" "$T/after"
printf 'id,title\nx-1,A\nx-1,B\n' >"$T/dupid.csv"
run 1 "an id twice in one file" c2c import actions "$T/dupid.csv"
has "$T/err" "row 3: row 2 and row 3 are the same actions record x-1" "duplicate id: both rows"
# profile sections: their natural key
printf 'section,lang,body\noverview,ar,a\noverview,ar,b\n' >"$T/dupsec.csv"
run 1 "a section twice" c2c import profile_sections "$T/dupsec.csv"
has "$T/err" "row 2 and row 3 are the same profile_sections record tunis.overview.ar" "duplicate natural key"

# ------------------------------------------------ Spanish, tab-separated, LibreOffice
printf 'title\tbudget_eur\tcofunding_eur\tstart_date\nMercado\t12.500\t1.000.000\t6/12/2026\n' >"$T/es.tsv"
run 1 "12.500 without a locale is ambiguous" c2c import actions "$T/es.tsv"
has "$T/err" "es.tsv: row 2, column B \(budget_eur\): '12.500' is ambiguous" "ambiguous thousands"
run 0 "tab-separated, es" c2c import actions "$T/es.tsv" --locale es
run 0 "show Mercado" c2c ls actions title=Mercado --json
has "$T/out" '"budget_eur": 12500' "12.500 in es"
has "$T/out" '"cofunding_eur": 1000000' "1.000.000"
has "$T/out" '"start_date": "2026-12-06"' "6/12/2026 in es"
# The same in US English: month first, '.' is the decimal point.
printf 'title,budget_eur,start_date\nMarket,"12,500",6/12/2026\nStall,50000.00,2026/12/24\n' >"$T/en.csv"
run 0 "en" c2c import actions "$T/en.csv" --locale en
run 0 "show Market" c2c ls actions title=Market --json
has "$T/out" '"budget_eur": 12500' "12,500 in en"
has "$T/out" '"start_date": "2026-06-12"' "6/12/2026 in en is June 12"
run 0 "show Stall" c2c ls actions title=Stall --json
has "$T/out" '"budget_eur": 50000' "50000.00"
has "$T/out" '"start_date": "2026-12-24"' "YYYY/MM/DD"

# ------------------------------------------------ Arabic
# Arabic-Indic digits (٥٠٠٠٠, ٢٠٢٦/١٢/٠٦ as 06/12/2026), the Arabic comma
# between set elements, an Arabic title.
printf 'title;budget_eur;start_date;sdg_targets;partners\r\n\330\252\331\210\331\206\330\263;\331\245\331\240\331\240\331\240\331\240;\331\240\331\246/\331\241\331\242/\331\242\331\240\331\242\331\246;10.7\330\214 16.6;\330\243\330\214\330\250\r\n' >"$T/ar.csv"
run 0 "Arabic file" c2c import actions "$T/ar.csv" --locale ar
run 0 "show Arabic" c2c ls actions title=تونس --json
tr -d ' \n' <"$T/out" >"$T/flat"
has "$T/flat" '"budget_eur":50000' "Arabic-Indic digits"
has "$T/flat" '"start_date":"2026-12-06"' "Arabic-Indic date, day first"
has "$T/flat" '"sdg_targets":\["10.7","16.6"\]' "Arabic comma between SDG targets"
has "$T/flat" '"partners":\["أ","ب"\]' "Arabic comma between text elements"

# ------------------------------------------------ columns
# Headers by the field's label, in any of the four languages.
printf 'T\303\215TULO;Presupuesto (EUR);Estado\r\nCasa abierta;1.500;ongoing\r\n' >"$T/labels-es.csv"
run 0 "Spanish labels as headers" c2c import actions "$T/labels-es.csv" --locale es
run 0 "show Casa abierta" c2c ls actions "title=Casa abierta" --json
has "$T/out" '"budget_eur": 1500' "Presupuesto (EUR) is budget_eur"
has "$T/out" '"status": "ongoing"' "Estado is status"
printf '\330\247\331\204\330\271\331\206\331\210\330\247\331\206,Budget (EUR)\nبيت,7\n' >"$T/labels-ar.csv"
run 0 "Arabic and English labels as headers" c2c import actions "$T/labels-ar.csv"
run 0 "show بيت" c2c ls actions title=بيت --json
has "$T/out" '"budget_eur": 7' "an Arabic title column and an English label"
printf 'title,Remarques,budget_eur,Notes\nA column too many,voir,5,x\n' >"$T/unknown.csv"
run 1 "unknown columns" c2c import actions "$T/unknown.csv"
has "$T/err" "unknown.csv: row 1: table actions has no columns 'remarques', 'notes'" "unknown columns named"
has "$T/err" "its columns are id, city, title, call, status" "known columns listed"
has "$T/err" "--ignore-unknown" "hint names --ignore-unknown"
run 0 "--ignore-unknown" c2c import actions "$T/unknown.csv" --ignore-unknown
has "$T/out" "1 added" "unknown columns skipped"
printf 'title,budget_eur,,\nNo name,5,,x\n' >"$T/noname.csv"
run 1 "a value in a column without a name" c2c import actions "$T/noname.csv"
has "$T/err" "row 2, column D: the cell holds 'x' but its column has no name" "unnamed column with a value"
printf 'title,budget_eur,,\nShort row,5\n' >"$T/short.csv"
run 0 "a row without the empty trailing columns" c2c import actions "$T/short.csv"

# ------------------------------------------------ several bad rows
# Row numbers are the spreadsheet's: a quoted line break does not start a row.
printf 'title,budget_eur,status,outcomes\nok,1,ongoing,"one\ntwo\nthree"\nbad1,lots,ongoing,\nbad2,5,paused,\n,7,ongoing,\nok2,8,ongoing,\nbad3,-1,stopped,\n' >"$T/many.csv"
snapshot >"$T/before"
run 1 "a file with several bad rows" c2c import actions "$T/many.csv"
has "$T/err" "many.csv: row 3, column B \(budget_eur\): 'lots' is not a number" "bad row 3"
has "$T/err" "many.csv: row 4, column C \(status\): 'paused' is not an allowed value" "bad row 4"
has "$T/err" "allowed: proposed, approved, ongoing, completed, cancelled" "the hint lists every allowed value"
has "$T/err" "many.csv: row 5, column A \(title\): .*required" "bad row 5"
has "$T/err" "many.csv: row 7, column B \(budget_eur\): -1 is below" "bad row 7, first cell"
has "$T/err" "many.csv: row 7, column C \(status\): 'stopped'" "bad row 7, second cell"
has "$T/err" "5 bad rows; nothing was imported" "count of bad rows"
snapshot >"$T/after"
check "several bad rows: nothing written" cmp -s "$T/before" "$T/after"
# Past 50 bad rows, the first 50 are listed and all are counted.
awk 'BEGIN { print "title,budget_eur"; for (i = 1; i <= 60; i++) print "t" i ",x" i }' >"$T/sixty.csv"
run 1 "sixty bad rows" c2c import actions "$T/sixty.csv"
has "$T/err" "60 bad rows \(the first 50 listed above\)" "sixty bad rows: counted"
same "fifty listed" "$(grep -c 'is not a number' "$T/err")" 50
has "$T/err" "row 51, column B" "the 50th bad row is row 51"
run 1 "bad rows under --json" c2c import actions "$T/many.csv" --json
tr -d '\n' <"$T/out" >"$T/flat"
has "$T/flat" '"error": \{.*"code": "invalid"' "json error object with a code"
has "$T/flat" '"details": \[.*"column": "budget_eur".*"row": 3' "json error details: column and row"

# ------------------------------------------------ export for Excel
# Formula-looking text, an apostrophe, Arabic: the round trip is exact.
c2c add actions title='=HYPERLINK("http://x","y")' outcomes="+33 1 23" >/dev/null
c2c add actions title="-minus" outcomes="@@SUM(A1)" >/dev/null
c2c add actions title="'quoted" outcomes="'=still text" >/dev/null
run 0 "export --excel --locale fr" c2c export actions "$T/xl.csv" --excel --locale fr
check "the file starts with a BOM" sh -c "head -c3 '$T/xl.csv' | od -An -tx1 | grep -q 'ef bb bf'"
has "$T/xl.csv" "^.?.?.?id;city;title;call;status" "';' in fr"
same "lines end in CRLF" "$(grep -c $'\r$' "$T/xl.csv")" "$(wc -l <"$T/xl.csv")"
has "$T/xl.csv" ";\"'=HYPERLINK\(\"\"http://x\"\",\"\"y\"\"\)\";" "a formula is inert"
has "$T/xl.csv" ";'-minus;" "a leading minus is inert"
has "$T/xl.csv" ";'@SUM\(A1\)" "a leading @ is inert"
has "$T/xl.csv" ";''quoted;" "a leading apostrophe is doubled"
check "no cell starts with =" sh -c "! grep -q '[;,]=' '$T/xl.csv'"
has "$T/xl.csv" "تونس" "Arabic intact"
C2=$(commits)
run 0 "import the Excel export" c2c import actions "$T/xl.csv"
has "$T/out" "0 added, 0 changed, [0-9]+ unchanged \(no commit\)" "Excel round trip changes nothing"
same "round trip makes no commit" "$(commits)" "$C2"
run 0 "plain export" c2c export actions "$T/plain.csv"
has "$T/plain.csv" ",'-minus," "plain export is inert too"
run 0 "import the plain export" c2c import actions "$T/plain.csv"
has "$T/out" "0 added, 0 changed" "plain round trip changes nothing"
run 0 "show the apostrophe" c2c ls actions "title='quoted" --json
has "$T/out" '"outcomes": "'"'"'=still text"' "apostrophes come back exactly"
run 0 "export --excel --locale en" c2c export actions --excel --locale en
has "$T/out" "^.?.?.?id,city,title" "',' in en"
run 2 "unknown locale" c2c import actions "$T/fr.csv" --locale xx
has "$T/err" "unknown locale 'xx'" "unknown locale: message"
run 2 "bad --sep" c2c import actions "$T/fr.csv" --sep '|'
run 0 "help lists the options" c2c import --help
has "$T/out" "--dry-run" "help: --dry-run"
has "$T/out" "--ignore-unknown" "help: --ignore-unknown"
has "$T/out" "--locale" "help: --locale"
run 0 "export help" c2c export --help
has "$T/out" "--excel" "help: --excel"
# The README's example file: it imports, and again changes nothing.
EX=$(cd "$(dirname "$0")/../../scripts/examples" && pwd)/stats.csv
run 0 "the README's stats.csv" c2c import migration_stats "$EX"
has "$T/out" "5 added" "stats.csv: five figures"
run 0 "the README's stats.csv again" c2c import migration_stats "$EX"
has "$T/out" "0 added, 0 changed, 5 unchanged" "stats.csv twice changes nothing"
run 0 "population" c2c ls migration_stats indicator=population --json
has "$T/out" '"value": 1275428' "1 275 428"
run 0 "verify" c2c verify
finish
