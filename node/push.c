/* push: c2c's own send-pack, for a hub over ssh or by path (include/c2c/push.h).
 * The pkt-lines are pktline.c's, the pack pushpack.c's: this is the
 * protocol. */
#include "c2c/push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/keys.h"
#include "c2c/oidlist.h"
#include "c2c/pktline.h"
#include "c2c/pushpack.h"
#include "c2c/repo.h"

/* The hub's checks refuse a commit whose signer the office has not
 * registered (incoming.c says "which the office has not registered"): a
 * new node's first push, before the office has added it. Only this node
 * knows where its key is: say what to send, and to whom. */
void push_refusal_hint(const c2c_node *n, const char *said)
{
	char *fp = NULL, *abs = NULL;
	if (!strstr(said, "which the office has not registered"))
		return;
	if (keys_fingerprint(n->dir, &fp) == 0 && fp && strstr(said, fp)) {
		abs = realpath(n->dir, NULL);
		err_hint("the office has not registered this node yet: send its node id (%s) and its public key "
		         "(%s/keys/id_ed25519.pub) to the office, which runs 'c2c node add %s --city %s KEY-FILE' "
		         "and syncs with the hub; then sync again",
		         n->node_id, abs ? abs : n->dir, n->node_id, n->city ? n->city : "SLUG");
	} else {
		err_hint("a commit to push is signed by a node the office has not registered: that node must send its "
		         "node id and its public key (keys/id_ed25519.pub) to the office, which runs 'c2c node add'; "
		         "sync again once the office has synced with the hub");
	}
	free(abs);
	free(fp);
}

int push_thin(c2c_node *n, const char *url, const char *ref, const git_oid *new_, const push_options *opts,
              push_stats *stats)
{
	pktline_conn *c = calloc(1, sizeof(*c));
	char line[4096], caps[1024] = "", old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
	git_oid old;
	oid_list tips = {0};
	size_t len = 0, commits = 0;
	pushpack_objs o = {0};
	git_odb *odb = NULL;
	push_stats st = {0};
	int err, flush = 0, first = 1;
	if (!c)
		return ERR_OOM();
	git_oid_fromstr(&old, "0000000000000000000000000000000000000000");
	if ((err = transport_channel_open(&c->ch, opts ? opts->transport : NULL, url, "git-receive-pack", n->node_id)) < 0)
		goto done;
	/* The hub's refs: "<oid> <name>", capabilities after a NUL on the first. */
	for (;;) {
		git_oid id;
		if ((err = pktline_read(c, line, sizeof(line), &len, &flush)) < 0)
			goto done;
		if (flush)
			break;
		if (first && strlen(line) < len)
			snprintf(caps, sizeof(caps), "%s", line + strlen(line) + 1);
		first = 0;
		if (len < GIT_OID_HEXSZ + 2 || line[GIT_OID_HEXSZ] != ' ' || git_oid_fromstrn(&id, line, GIT_OID_HEXSZ) < 0) {
			err = err_set(C2C_EFAIL, "the hub advertised a malformed ref line");
			goto done;
		}
		if (!strcmp(line + GIT_OID_HEXSZ + 1, ref))
			old = id;
		if (git_oid_is_zero(&id))
			continue;
		if ((err = oid_list_add(&tips, &id)) < 0)
			goto done;
	}
	for (size_t i = 0; opts && opts->haves && i < opts->haves->n && err == 0; i++)
		err = oid_list_add(&tips, &opts->haves->v[i]);
	if (err < 0)
		goto done;
	if (!strstr(caps, "report-status")) {
		err = err_set(C2C_EFAIL, "the hub's receive-pack does not report the status of a push");
		goto done;
	}
	/* What the hub lacks, each object once (a delta base kept). */
	if ((err = git_repository_odb(&odb, n->repo)) < 0) {
		err = err_git(err, "opening the object database");
		goto done;
	}
	if ((err = pushpack_walk(n->repo, new_, &tips, &o, &commits)) < 0)
		goto done;
	pushpack_unique(&o);
	/* The command, then the pack (empty when the hub has every object). */
	git_oid_tostr(old_hex, sizeof(old_hex), &old);
	git_oid_tostr(new_hex, sizeof(new_hex), new_);
	int ofs = strstr(caps, "ofs-delta") != NULL;
	len = (size_t)snprintf(line, sizeof(line), "%s %s %s%c report-status%s agent=c2c\n", old_hex, new_hex, ref, '\0',
	                       ofs ? " ofs-delta" : "");
	if ((err = pktline_put_line(c, line, len)) < 0 || (err = pktline_put(c, "0000", 4)) < 0)
		goto done;
	if ((err = pushpack_send(c, odb, &o, !strstr(caps, "no-thin"), ofs, opts ? &opts->progress : NULL,
	                         &st.deltas)) < 0 ||
	    (err = pktline_flush_out(c)) < 0)
		goto done;
	/* receive-pack's report, and its hooks' messages when it refused. */
	char why[3000];
	int unpack_failed;
	if ((err = pktline_read_report(c, ref, why, sizeof(why), &unpack_failed)) < 0)
		goto done;
	if (why[0]) {
		err = err_set(C2C_ECONFLICT, "the hub refused %s", why);
		push_refusal_hint(n, why);
		goto done;
	}
	st.commits = commits;
	st.objects = o.n;
done:
	if (stats)
		*stats = st;
	if (c)
		transport_channel_close(c->ch);
	git_odb_free(odb);
	ARRAY_FREE(&o);
	oid_list_free(&tips);
	free(c);
	return err;
}

/* ------------------------------------------------------ a hub by path */

/* The same code and the same checks as over ssh: only the channel differs
 * (a git receive-pack child instead of an ssh channel, transport.h). */
int push_local(c2c_node *n, const char *gitdir, const char *ref, const git_oid *new_, const push_options *opts,
               push_stats *stats)
{
	return push_thin(n, gitdir, ref, new_, opts, stats);
}
