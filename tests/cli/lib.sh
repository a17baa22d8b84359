# Shared by the CLI tests: a scratch directory, the c2c under test (under
# valgrind when C2C_VALGRIND=1), assertions that count, and small readers of
# a node. Each test ends with `finish`, which prints "N passed, N failed" and
# sets the status.
#
# Topic libraries, sourced after this one (as git's t/lib-*.sh):
#   sshd-lib.sh   a throwaway OpenSSH server on loopback
#   lib-hub.sh    an office, city nodes it registers and a hub, in one call
#   lib-proxy.sh  the link to that sshd through scripts/netproxy (cuts,
#                 stalls, a slow link) and its counts
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

# --- reading a node (DIR: a node directory; its repository is DIR/repo.git)

# node_id DIR: the node's id, from status --json (sed, not python3: this runs
# often, and python3 starts slowly on a loaded machine).
node_id() { c2c -C "$1" status --json | sed -n 's/^  "node_id": "\([^"]*\)".*/\1/p'; }

# head_of DIR [SUFFIX]: the commit at the node's main (SUFFIX "^{tree}": its tree).
head_of() { git -C "$1/repo.git" rev-parse "main${2:-}"; }

# refs REPO: every ref of a repository (a hub) with its object id.
refs() { git -C "$1" for-each-ref --format='%(refname) %(objectname)'; }

# fsck_ok REPO: git fsck --strict passes (its notices shown only on failure).
fsck_ok() {
	git -C "$1" fsck --strict --no-progress --no-dangling >"$T/fsck" 2>&1 || {
		sed 's/^/  | /' "$T/fsck" >&2
		return 1
	}
}

# state DIR: the node's head and a digest of its database, but for the
# remotes' bookkeeping, which a sync updates (c2c_remotes, c2c_held, and
# the head at which a sync by path last judged a remote's refs).
state() {
	echo "$(head_of "$1") $(sqlite3 -readonly "$1/c2c.db" .dump |
		grep -v "^INSERT INTO c2c_\(remotes\|held\)\|^INSERT INTO c2c_state VALUES('sync_judged:" | md5sum)"
}

# For the tests that work inside one node's directory:
# commits: how many commits its main holds; count TABLE: how many records ls
# lists; snapshot: its head and database, whole; unchanged DESCRIPTION: the
# snapshot is still the one in $T/before.
commits() { git -C repo.git rev-list --count main; }
count() { c2c ls "$1" --json | grep -c '"id":'; }
snapshot() { printf '%s\n' "$(git -C repo.git rev-parse main)"; sqlite3 c2c.db .dump; }
unchanged() {
	snapshot >"$T/after"
	if cmp -s "$T/before" "$T/after"; then ok; else not_ok "$1 changed the node"; fi
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
