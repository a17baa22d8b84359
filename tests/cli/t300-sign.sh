#!/bin/bash
# Signed commits and the node registry (SPEC 7): every commit after genesis
# -- writes, imports, merges, resolutions -- carries an SSH signature that
# stock git verifies with the allowed-signers file c2c writes from the
# registry; log shows the signer; verify finds an unsigned or tampered
# commit; only the office registers nodes.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
GENESIS=2e8e231569a755f4e01942e477a9f3b55f75581e

run 0 "init office" c2c init office --office
has "$T/out" "office key SHA256:" "the office prints its root key"
OFFICE_FP=$(ssh-keygen -lf office/keys/id_ed25519.pub | awk '{print $2}')
check "... whose fingerprint is ssh-keygen's" grep -qF "office key $OFFICE_FP" "$T/out"
run 0 "init a city node with the office key" c2c init t1 --city tunis --office-key office/keys/id_ed25519.pub
check "the city node keeps and prints the office's fingerprint" grep -qF "office key $OFFICE_FP" "$T/out"
run 0 "init a second node" c2c init t2 --city tunis --office-key office/keys/id_ed25519.pub
run 0 "--office with --office-key: a further office node of that network" c2c init o2 --office --office-key office/keys/id_ed25519.pub
check "... which trusts the root it was given" grep -qF "office key $OFFICE_FP" "$T/out"
check "... and does not register itself" test "$(git -C o2/repo.git rev-list --count main)" = 1
run 1 "--office-key of a file that is no key" c2c init t3 --city tunis --office-key /etc/hostname
has "$T/err" "/etc/hostname: not an ssh-ed25519 public key" "a bad key file is named"
check "... and no node is made" test ! -e t3/c2c.db

T1=$(node_id t1)
T2=$(node_id t2)
run 0 "office registers t1" c2c -C office node add "$T1" --city tunis t1/keys/id_ed25519.pub
has "$T/out" "registered node $T1 of tunis" "node add says what it did"
run 0 "office registers t2" c2c -C office --json node add "$T2" --city tunis t2/keys/id_ed25519.pub
has "$T/out" "\"fingerprint\": \"SHA256:" "node add --json"
run 1 "a key registered twice" c2c -C office node add other --city tunis t1/keys/id_ed25519.pub
has "$T/err" "already registered, as node $T1" "the second registration of a key is refused"
run 1 "a city node cannot register nodes" c2c -C t1 node add x --city tunis t2/keys/id_ed25519.pub
has "$T/err" "only the office registers nodes" "node add on a city node says who may"
run 1 "an unknown city" c2c -C office node add y --city atlantis t2/keys/id_ed25519.pub
run 0 "node --help" c2c node --help
run 0 "audit --help" c2c audit --help

# Writes, a bulk import, a hub by path, a merge, a conflict and its resolution.
run 0 "hub init" c2c hub init hub.git
for d in office t1 t2; do c2c -C $d remote add hub "$T/hub.git" >/dev/null; done
run 0 "office sync" c2c -C office sync
run 0 "t1 sync" c2c -C t1 sync
run 0 "t2 sync" c2c -C t2 sync
R=$(c2c -C t1 add actions title=Desk status=proposed)
c2c -C t1 sync >/dev/null && c2c -C t2 sync >/dev/null
c2c -C t1 set "actions/$R" title=Desk-1 >/dev/null
c2c -C t2 set "actions/$R" title=Desk-2 >/dev/null
{
	echo "name,kind"
	for i in $(seq 1 70); do echo "s$i,municipal"; done
} >s.csv
run 0 "t2 imports 70 records (one bulk commit)" c2c -C t2 import stakeholders s.csv
run 0 "t1 sync" c2c -C t1 sync
run 0 "t2 sync (merges)" c2c -C t2 sync
run 0 "t1 sync" c2c -C t1 sync
run 0 "t2 resolves" c2c -C t2 resolve "actions/$R" title --keep 1
for d in t2 t1 office t2; do c2c -C $d sync >/dev/null || not_ok "sync $d"; done
same "every node at one head" "$(git -C t1/repo.git rev-parse main)" "$(git -C office/repo.git rev-parse main)"
check "there is a merge commit" test "$(git -C t1/repo.git rev-list --merges --count main)" -ge 1

run 0 "audit signers" c2c -C office audit signers signers
same "one line per registered node" "$(wc -l <signers | tr -d ' ')" 3
has signers "^$T1 namespaces=\"git\" ssh-ed25519 " "allowed-signers lines: principal, namespaces, key"
bad=0 n=0
for c in $(git -C t1/repo.git rev-list main); do
	[ "$c" = "$GENESIS" ] && continue
	n=$((n + 1))
	git -C t1/repo.git -c gpg.ssh.allowedSignersFile="$T/signers" verify-commit "$c" 2>/dev/null || {
		bad=$((bad + 1))
		echo "  | not verified: $(git -C t1/repo.git log -1 --format='%h %s' "$c")" >&2
	}
done
same "stock git verify-commit accepts all $n commits after genesis" "$bad" 0
git -C t1/repo.git -c gpg.ssh.allowedSignersFile="$T/signers" log --show-signature main >log.txt 2>&1
has log.txt "Good \"git\" signature for $T2 with ED25519 key" "git log --show-signature names the node"
check "git fsck --strict on a node" git -C t1/repo.git fsck --strict --no-progress

# ssh-keygen checks a signature c2c made, over the commit without its gpgsig.
H=$(git -C t1/repo.git rev-parse main)
git -C t1/repo.git cat-file commit "$H" >commit.txt
awk '/^gpgsig /{s=1; sub(/^gpgsig /,""); print; next} s&&/^ /{sub(/^ /,""); print; next} {s=0}' commit.txt >sig.txt
awk '/^gpgsig /{s=1; next} s&&/^ /{next} {s=0; print}' commit.txt >payload.txt
run 0 "ssh-keygen -Y verify" ssh-keygen -Y verify -f signers -I "$(git -C t1/repo.git log -1 --format=%b "$H" | sed -n 's/^C2C-Node: //p')" \
	-n git -s sig.txt <payload.txt

run 0 "log" c2c -C t1 log
has "$T/out" "^${H:0:12} G " "log marks a good signature by a registered node G"
has "$T/out" "^${GENESIS:0:12} N " "genesis is unsigned: N"
run 0 "log --json" c2c -C t1 --json log -n 1
has "$T/out" "\"signature\": \"good\"" "log --json: signature"
has "$T/out" "\"signer\": \"($T1|$T2)\"" "log --json: signer"
run 0 "verify" c2c -C t1 verify
run 0 "blame" c2c -C t1 blame "actions/$R"
has "$T/out" "^title +Desk-[12] +($T1|$T2) +[0-9a-f]{12} G  " "blame marks the signature of the commit that wrote a value"
run 0 "blame --json" c2c -C t1 --json blame "actions/$R"
has "$T/out" "\"signer\": \"($T1|$T2)\"" "blame --json names the signer"

# A commit not signed (made with stock git on top of the head, then taken
# in by repair) and a tampered one: verify finds both, log marks them.
cp -a t1 t1x
TREE=$(git -C t1x/repo.git rev-parse 'main^{tree}')
U=$(git -C t1x/repo.git commit-tree "$TREE" -p main -m "unsigned")
git -C t1x/repo.git update-ref refs/heads/main "$U"
c2c -C t1x repair >/dev/null 2>&1
run 1 "verify finds an unsigned commit" c2c -C t1x verify
has "$T/out" "${U}.*not signed" "verify names the unsigned commit"
run 0 "log marks it N" c2c -C t1x log -n 1
has "$T/out" "^${U:0:12} N " "log: N"
# Tamper: the same signed commit with its message changed.
git -C t1/repo.git cat-file commit "$H" | sed 's/^resolve /resolvX /; s/^sync with /sync witX /' >"$T/tampered.txt"
X=$(git -C t1x/repo.git hash-object -t commit -w --literally "$T/tampered.txt")
git -C t1x/repo.git update-ref refs/heads/main "$X"
c2c -C t1x repair >/dev/null 2>&1
run 1 "verify finds a tampered commit" c2c -C t1x verify
has "$T/out" "${X}.*signature does not check" "verify names the tampered commit"
run 0 "log marks it B" c2c -C t1x --json log -n 1
has "$T/out" "\"signature\": \"bad\"" "log --json: bad"

# The auditor's kit.
run 0 "audit export" c2c -C office audit export kit
check "kit: allowed signers" cmp kit/allowed_signers signers
has kit/README.md "git verify-commit" "kit: the guide names the stock git commands"

finish
