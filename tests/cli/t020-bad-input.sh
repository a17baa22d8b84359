#!/bin/bash
# Bad input exits non-zero, names what is at fault, and changes nothing:
# the repository head and the database stay as they were.
. "$(dirname "$0")/lib.sh"

N=$T/sfax
c2c init "$N" --city sfax >/dev/null || exit 1
cd "$N"
ID=$(c2c add actions title=ACMALS budget_eur=1000) || exit 1
snapshot >"$T/before"
# bad STATUS PATTERN DESCRIPTION COMMAND...
bad() {
	st=$1 pat=$2 d=$3
	shift 3
	run "$st" "$d" "$@"
	has "$T/err" "$pat" "$d: message"
	unchanged "$d"
}

bad 1 "unknown table 'acts'" "unknown table" c2c add acts title=x
bad 1 "has no field 'colour'" "unknown field" c2c add actions title=x colour=red
bad 1 "has no field 'colour'" "unknown field in set" c2c set "actions/$ID" colour=red
bad 1 "'lots' is not an integer" "wrong type" c2c set "actions/$ID" budget_eur=lots
bad 1 "'1e5' is not an integer" "exponent" c2c set "actions/$ID" budget_eur=1e5
bad 1 "below the least allowed value 0" "negative budget" c2c set "actions/$ID" budget_eur=-5
bad 1 "'paused' is not an allowed value" "outside the set" c2c set "actions/$ID" status=paused
bad 1 "'E' is not an allowed value" "set element outside its set" c2c set "actions/$ID" objectives=A,E
bad 1 "'10.99' is not an SDG target" "bad SDG target" c2c set "actions/$ID" sdg_targets=10.7,10.99
bad 1 "'18.1' is not an SDG target" "no 18th goal" c2c set "actions/$ID" sdg_targets=18.1
bad 1 "no themes record 'gardening'" "reference to nothing" c2c set "actions/$ID" themes=gardening
bad 1 "'2021-02-30' is not a date" "impossible date" c2c set "actions/$ID" start_date=2021-02-30
bad 1 "is not a valid record id" "malformed id" c2c set "actions/../x" status=ongoing
bad 1 "is not a valid record id" "upper-case id" c2c show actions/ABC
bad 2 "is not TABLE/ID" "no slash" c2c show actions
bad 1 "no record actions/0000000000000000deadbeef" "missing record" c2c set actions/0000000000000000deadbeef status=ongoing
bad 1 "no record actions/0000000000000000deadbeef" "rm missing record" c2c rm actions/0000000000000000deadbeef
bad 1 "not valid UTF-8" "invalid UTF-8" c2c set "actions/$ID" title="$(printf 'caf\351')"
bad 1 "title is required" "required field cleared" c2c set "actions/$ID" title=
bad 1 "field title is required" "required field missing" c2c add actions status=ongoing
bad 1 "cannot change" "identity field" c2c set "actions/$ID" city=tunis
bad 1 "writes sfax's records only" "another city's record" c2c add actions city=tunis title=x
bad 1 "only the office writes" "network table on a city node" c2c add themes --id gardening name=Gardening
bad 2 "is given twice" "field twice" c2c set "actions/$ID" status=ongoing status=approved
bad 2 "is not FIELD=VALUE" "no equals sign" c2c set "actions/$ID" status
bad 2 "unknown option --frob" "unknown option" c2c ls actions --frob
bad 1 "not a c2c node" "no node" c2c -C "$T/nowhere" status
run 1 "init over a node" c2c init "$N" --city sfax
has "$T/err" "already holds a c2c node" "init refuses an existing node"
run 1 "init unknown city" c2c init "$T/atlantis" --city atlantis
has "$T/err" "'atlantis' is not a city of the network" "init names the unknown city"
check "failed init leaves no node" test ! -e "$T/atlantis/c2c.db"
unchanged "everything above"
run 0 "verify after all that" c2c verify
finish
