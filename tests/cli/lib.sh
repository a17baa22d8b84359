# Shared by the CLI tests: a scratch directory, the c2c under test (under
# valgrind when C2C_VALGRIND=1), and assertions that count. Each test ends
# with `finish`, which prints "N passed, N failed" and sets the status.
set -u
: "${C2C:?set C2C to the c2c binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/c2c-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export C2C_PROGRESS=0
unset C2C_DIR
# Messages in English whatever the tester's locale (t037 sets its own).
unset LANGUAGE LC_ALL
export LC_MESSAGES=C
pass=0
fail=0

c2c() {
	if [ -n "${C2C_VALGRIND:-}" ]; then
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
			--show-leak-kinds=definite,indirect --error-exitcode=99 "$C2C" "$@"
	else
		"$C2C" "$@"
	fi
}

ok() { pass=$((pass + 1)); }
not_ok() {
	fail=$((fail + 1))
	echo "FAIL: $*" >&2
}

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
	d=$1
	shift
	if "$@"; then ok; else not_ok "$d"; fi
}

# run STATUS DESCRIPTION COMMAND...: the command must exit with STATUS;
# its output is left in $T/out and $T/err.
run() {
	want=$1
	d=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok
	else
		not_ok "$d: exit $got, wanted $want"
		sed 's/^/  | /' "$T/err" "$T/out" >&2
	fi
}

# has FILE PATTERN DESCRIPTION: FILE must contain the (grep -E) pattern.
has() {
	if grep -Eq -- "$2" "$1"; then ok; else
		not_ok "$3: '$2' not in $1"
		sed 's/^/  | /' "$1" >&2
	fi
}

# same DESCRIPTION A B: two strings must be equal.
same() {
	if [ "$2" = "$3" ]; then ok; else not_ok "$1: '$2' != '$3'"; fi
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
