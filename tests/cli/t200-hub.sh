#!/bin/bash
# A hub on a real sshd, reached with stock git and ssh only: `hub init` and
# its hook, `hub allow` and its forced command. A node's key pushes only
# refs/heads/nodes/<its id>, fast-forwards only, deletes nothing, runs
# nothing but git-upload-pack and git-receive-pack, and reaches the hub
# whatever path it asks for; stock git clones and fscks the hub.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sshd-lib.sh"

cd "$T" || exit 1
sshd_start "$T/sshd" || {
	echo "FAIL: could not start a test sshd (as root, with openssh-server: sh scripts/deps)" >&2
	exit 1
}

EXE=$(readlink -f "$C2C")
ZERO=0000000000000000000000000000000000000000

# --- hub init ----------------------------------------------------------------
run 0 "hub init" c2c hub init hub.git
has "$T/out" "Created hub hub.git" "hub init says what it made"
HUB=$(cd hub.git && pwd -P)
same "HEAD names no node's branch" "$(git -C hub.git symbolic-ref HEAD)" refs/heads/nodes
same "c2c.hub" "$(git -C hub.git config --bool c2c.hub)" true
same "receive.fsckObjects" "$(git -C hub.git config --bool receive.fsckObjects)" true
same "receive.denyDeletes" "$(git -C hub.git config --bool receive.denyDeletes)" true
same "receive.denyNonFastForwards" "$(git -C hub.git config --bool receive.denyNonFastForwards)" true
same "core.fsync" "$(git -C hub.git config core.fsync)" all
check "update hook is executable" test -x hub.git/hooks/update
has hub.git/hooks/update "^exec '$EXE' hub hook-update " "the hook runs this c2c by its absolute path"
check "no office key without --office-key" test ! -e hub.git/c2c-office.pub

run 0 "init office" c2c init office --office
run 0 "hub init --office-key" c2c hub init hub2.git --office-key office/keys/id_ed25519.pub
same "the office key is stored" "$(cat hub2.git/c2c-office.pub)" "$(cat office/keys/id_ed25519.pub)"
ssh-keygen -q -t ecdsa -N '' -C ecdsa -f "$T/ecdsa"
run 1 "hub init refuses a non-ed25519 office key" c2c hub init hub3.git --office-key "$T/ecdsa.pub"
has "$T/err" "not ssh-ed25519" "names the key type"
check "nothing made for a bad office key" test ! -e hub3.git
run 2 "hub with no subcommand" c2c hub
run 2 "hub frob" c2c hub frob x
has "$T/err" "'frob' is not a hub command" "unknown hub command named"
run 0 "hub serve --help" c2c hub serve --help
has "$T/out" "hub serve PATH NODE-ID" "help tells of serve"

# --- two city nodes, one allowed ---------------------------------------------
run 0 "init n1" c2c init n1 --city tunis
run 0 "init n2" c2c init n2 --city sfax
N1=$(node_id n1)
N2=$(node_id n2)
K1=$T/n1/keys/id_ed25519
K2=$T/n2/keys/id_ed25519
AK=$SSHD_AUTHORIZED_KEYS
run 0 "hub allow n1" c2c hub allow hub.git "$N1" n1/keys/id_ed25519.pub --authorized-keys "$AK"
has "$T/out" "Allowed node $N1" "allow says what it did"
same "authorized_keys line" "$(cat "$AK")" \
	"restrict,command=\"'$EXE' hub serve '$HUB' $N1\" $(cut -d' ' -f1,2 n1/keys/id_ed25519.pub) c2c-node $N1"
check "authorized_keys stays 0600" test "$(stat -c %a "$AK")" = 600

URL=$(sshd_url /any/path)
run 0 "n1 pushes its main to its branch over ssh" sshd_git "$K1" -C n1/repo.git push "$URL" "main:refs/heads/nodes/$N1"
same "the push lands in the hub, whatever path was asked" "$(refs hub.git)" \
	"refs/heads/nodes/$N1 $(git -C n1/repo.git rev-parse main)"
check "nothing at the path asked" test ! -e /any/path
run 0 "n1 adds a record" c2c -C n1 add actions title="ACMALS" status=ongoing
run 0 "n1 fast-forwards its branch" sshd_git "$K1" -C n1/repo.git push "$URL" "main:refs/heads/nodes/$N1"
H1=$(git -C n1/repo.git rev-parse main)
same "hub at n1's new head" "$(git -C hub.git rev-parse "refs/heads/nodes/$N1")" "$H1"
BEFORE=$(refs hub.git)

# --- what n1's key may not do --------------------------------------------------
run 1 "n1 may not push n2's branch" sshd_git "$K1" -C n1/repo.git push "$URL" "main:refs/heads/nodes/$N2"
has "$T/err" "error: node $N1 may only push refs/heads/nodes/$N1, not refs/heads/nodes/$N2" "refusal names the rule"
run 1 "n1 may not push refs/heads/main" sshd_git "$K1" -C n1/repo.git push "$URL" main:refs/heads/main
has "$T/err" "not refs/heads/main" "refusal names the ref"
run 1 "n1 may not push a tag" sshd_git "$K1" -C n1/repo.git push "$URL" main:refs/tags/v1
same "hub unchanged by refused pushes" "$(refs hub.git)" "$BEFORE"

run 1 "delete refused" sshd_git "$K1" -C n1/repo.git push "$URL" ":refs/heads/nodes/$N1"
has "$T/err" "deletion prohibited" "git refuses the delete"
G=$(git -C n1/repo.git rev-parse main~1)
run 1 "rewind refused" sshd_git "$K1" -C n1/repo.git push "$URL" "+$G:refs/heads/nodes/$N1"
has "$T/err" "non-fast-forward" "git refuses the rewind"
SIDE=$(GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example \
	git -C n1/repo.git commit-tree -p "$G" -m side "$G^{tree}")
run 1 "diverging commit refused" sshd_git "$K1" -C n1/repo.git push "$URL" "+$SIDE:refs/heads/nodes/$N1"
same "hub unchanged by delete and non-fast-forwards" "$(refs hub.git)" "$BEFORE"

# The hook holds the same line where git's own settings are off.
git -C hub.git config receive.denyDeletes false
git -C hub.git config receive.denyNonFastForwards false
run 1 "hook refuses a delete" sshd_git "$K1" -C n1/repo.git push "$URL" ":refs/heads/nodes/$N1"
has "$T/err" "deleting refs/heads/nodes/$N1 is refused" "hook names the delete"
run 1 "hook refuses a non-fast-forward" sshd_git "$K1" -C n1/repo.git push "$URL" "+$SIDE:refs/heads/nodes/$N1"
has "$T/err" "is not a fast-forward of" "hook names the non-fast-forward"
git -C hub.git config receive.denyDeletes true
git -C hub.git config receive.denyNonFastForwards true
same "hub unchanged by the hook's refusals" "$(refs hub.git)" "$BEFORE"

run 1 "no shell command" sshd_ssh "$K1" ls /
has "$T/err" "refused command 'ls /'" "the refused command is named"
nologin() { sshd_ssh "$K1" </dev/null; }
run 1 "no interactive login" nologin
has "$T/err" "no shell here" "interactive login refused"
run 1 "no look-alike command" sshd_ssh "$K1" "git-upload-packer '/x'"
# A flush packet ends the conversation after the advertisement.
spelled() { printf 0000 | sshd_ssh "$K1" "git upload-pack '/elsewhere'"; }
run 0 "'git upload-pack' spelling served" spelled
has "$T/out" "refs/heads/nodes/$N1" "upload-pack advertises the hub's refs"

ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T/stranger"
run 128 "a key not in authorized_keys is refused" sshd_git "$T/stranger" ls-remote "$URL"
has "$T/err" "Permission denied" "ssh says so"
run 128 "n2's key is not allowed yet" sshd_git "$K2" ls-remote "$URL"

# --- reading the hub with stock git --------------------------------------------
run 0 "git clone of the hub over ssh" sshd_git "$K1" clone --mirror "$(sshd_url /whatever.git)" clone.git
same "the clone has n1's branch" "$(refs clone.git)" "$BEFORE"
run 0 "git clone with a work tree" sshd_git "$K1" clone "$URL" clone
same "remote branches" "$(git -C clone branch -r | tr -d ' ')" "origin/nodes/$N1"

# --- a second node --------------------------------------------------------------
run 0 "hub allow n2 --json" c2c hub allow "$HUB" "$N2" "$K2.pub" --authorized-keys "$AK" --json
has "$T/out" "\"node_id\": \"$N2\"" "allow --json names the node"
same "two lines" "$(wc -l <"$AK" | tr -d ' ')" 2
run 0 "n2 fetches n1's branch" sshd_git "$K2" -C n2/repo.git fetch "$URL" "refs/heads/nodes/$N1:refs/c2c/n1"
same "n2 has n1's head" "$(git -C n2/repo.git rev-parse refs/c2c/n1)" "$H1"
run 0 "n2 pushes its branch" sshd_git "$K2" -C n2/repo.git push "$URL" "main:refs/heads/nodes/$N2"
ON1=$(GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example \
	git -C n2/repo.git commit-tree -p "$H1" -m "on n1's" "$H1^{tree}")
run 1 "n2 may not push n1's branch" sshd_git "$K2" -C n2/repo.git push "$URL" "$ON1:refs/heads/nodes/$N1"
has "$T/err" "error: node $N2 may only push refs/heads/nodes/$N2, not refs/heads/nodes/$N1" "n2 refused n1's branch"
same "hub: two branches" "$(refs hub.git | wc -l | tr -d ' ')" 2
# (HEAD names a branch that never exists: fsck notices it, and that is all.)
git -C hub.git fsck --strict --no-progress --no-dangling >fsck.out 2>&1
check "git fsck --strict on the hub" test $? -eq 0
run 1 "fsck says nothing but the unborn HEAD" grep -v '^notice: HEAD points to an unborn branch' fsck.out

# --- hub allow refuses ------------------------------------------------------------
AKBEFORE=$(cat "$AK")
run 1 "bad node id" c2c hub allow hub.git "Tunis/x" "$K1.pub" --authorized-keys "$AK"
has "$T/err" "not a node id" "bad node id named"
run 1 "node id with a quote" c2c hub allow hub.git "tunis'x" "$K1.pub" --authorized-keys "$AK"
run 1 "non-ed25519 key" c2c hub allow hub.git n3 "$T/ecdsa.pub" --authorized-keys "$AK"
has "$T/err" "not ssh-ed25519" "key type named"
cat "$K1.pub" "$T/stranger.pub" >two.pub
run 1 "two keys in one file" c2c hub allow hub.git n3 two.pub --authorized-keys "$AK"
has "$T/err" "more than one" "two keys named"
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBifUXDT c2c\n' >short.pub
run 1 "malformed key" c2c hub allow hub.git n3 short.pub --authorized-keys "$AK"
has "$T/err" "not a well-formed" "malformed key named"
run 1 "missing key file" c2c hub allow hub.git n3 nowhere.pub --authorized-keys "$AK"
run 1 "a node's repository is not a hub" c2c hub allow n1/repo.git n3 "$T/stranger.pub" --authorized-keys "$AK"
has "$T/err" "not a c2c hub" "not a hub named"
run 1 "no repository is not a hub" c2c hub allow "$T" n3 "$T/stranger.pub" --authorized-keys "$AK"
run 1 "missing path" c2c hub allow nowhere.git n3 "$T/stranger.pub" --authorized-keys "$AK"
run 1 "duplicate key" c2c hub allow hub.git n3 "$K1.pub" --authorized-keys "$AK"
has "$T/err" "already in .*line 1" "the line of the duplicate named"
run 0 "hub init in a quoted path" c2c hub init "q'hub.git"
run 1 "a hub path with a quote" c2c hub allow "q'hub.git" n3 "$T/stranger.pub" --authorized-keys "$AK"
has "$T/err" "has a quote" "quote refused"
same "authorized_keys unchanged by refusals" "$(cat "$AK")" "$AKBEFORE"
run 0 "allow creates a missing file 0600 in a new 0700 dir" \
	c2c hub allow hub.git n3 "$T/stranger.pub" --authorized-keys "$T/newssh/authorized_keys"
check "new file 0600" test "$(stat -c %a "$T/newssh/authorized_keys")" = 600
check "new dir 0700" test "$(stat -c %a "$T/newssh")" = 700
run 2 "allow with too few arguments" c2c hub allow hub.git n3

# --- the hook, for a push by path on the server (no C2C_HUB_NODE) ------------------
run 1 "local push to refs/heads/main refused by the hook" git -C n1/repo.git push "$HUB" main:refs/heads/main
has "$T/err" "only refs/heads/nodes/<node-id> may be pushed to a hub, not refs/heads/main" "hook names the rule"
run 0 "n2 adds a record" c2c -C n2 add stakeholders name="Municipality of Sfax" kind=municipal
run 0 "local push to a node's branch allowed" git -C n2/repo.git push "$HUB" "main:refs/heads/nodes/$N2"
same "hub at n2's new head" "$(git -C hub.git rev-parse "refs/heads/nodes/$N2")" "$(git -C n2/repo.git rev-parse main)"

# The hook directly: ids, deletes, ancestry.
hook_as() {
	_n=$1
	shift
	C2C_HUB_NODE=$_n c2c hub hook-update "$HUB" "$@"
}
run 1 "hook: C2C_HUB_NODE elsewhere" hook_as "$N2" "refs/heads/nodes/$N1" "$G" "$H1"
run 0 "hook: a fast-forward" hook_as "$N1" "refs/heads/nodes/$N1" "$G" "$H1"
run 0 "hook: a new branch" hook_as "$N1" "refs/heads/nodes/$N1" "$ZERO" "$H1"
run 1 "hook: a rewind" hook_as "$N1" "refs/heads/nodes/$N1" "$H1" "$G"
run 1 "hook: a delete" hook_as "$N1" "refs/heads/nodes/$N1" "$H1" "$ZERO"
run 1 "hook: a bad node id in the ref" c2c hub hook-update "$HUB" "refs/heads/nodes/../x" "$ZERO" "$H1"
run 1 "hook: not an object id" c2c hub hook-update "$HUB" "refs/heads/nodes/$N1" "$ZERO" nothex
TREE=$(git -C hub.git rev-parse "$H1^{tree}")
run 1 "hook: a tree is not a commit" c2c hub hook-update "$HUB" "refs/heads/nodes/$N1" "$ZERO" "$TREE"
has "$T/err" "is not a commit" "non-commit named"

finish
