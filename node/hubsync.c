/* hubsync: the hub's side of the sync exchange (include/c2c/exchange.h).
 * The push goes through stock git receive-pack on this machine (the
 * hub's hooks and checks); the answer's pack is made as a push's is
 * (repo_pack_sparse, pushpack_send). */
#include "c2c/exchange.h"

#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/nodeid.h"
#include "c2c/pktline.h"
#include "c2c/pushpack.h"
#include "c2c/refs.h"
#include "c2c/repo.h"
#include "c2c/sparse.h"

typedef struct {
	int has_since, push, nofetch, end;
	char epoch[17];
	long long since;
	git_oid old, new_;
	oid_list haves;
	ARRAY(char *) asked; /* "ref NAME" */
} request;

static void request_free(request *r)
{
	oid_list_free(&r->haves);
	for (size_t i = 0; i < r->asked.n; i++)
		free(r->asked.v[i]);
	ARRAY_FREE(&r->asked);
	memset(r, 0, sizeof(*r));
}

/* A name under refs/heads/nodes/ whose rest is a node id. */
static int node_ref_valid(const char *name)
{
	return !strncmp(name, REF_NODES, strlen(REF_NODES)) && nodeid_valid(name + strlen(REF_NODES));
}

/* The request's lines up to its flush. 1 at the end of the input (no
 * more requests), 0 read, or C2C_EINVALID naming the line at fault. */
static int read_request(pktline_conn *c, request *r)
{
	char line[512];
	size_t len;
	int flush, err, first = 1;
	for (;;) {
		if ((err = pktline_read(c, line, sizeof(line), &len, &flush)) < 0) {
			if (first && c->len == c->off)
				return 1;
			return err;
		}
		if (flush)
			return first ? err_set(C2C_EINVALID, "an empty request") : 0;
		if (first) {
			if (strcmp(line, EXCHANGE_COMMAND " 1"))
				return err_set(C2C_EINVALID, "not a request of version 1: '%.60s'", line);
			first = 0;
			continue;
		}
		char a[GIT_OID_HEXSZ + 2], b[GIT_OID_HEXSZ + 2];
		git_oid id;
		if (!strncmp(line, "since ", 6)) {
			char tail;
			if (sscanf(line + 6, "%16s %lld%c", r->epoch, &r->since, &tail) != 2 || r->since < 0)
				return err_set(C2C_EINVALID, "a malformed line: '%.60s'", line);
			r->has_since = 1;
		} else if (!strncmp(line, "have ", 5)) {
			if (len != 5 + GIT_OID_HEXSZ || git_oid_fromstrn(&id, line + 5, GIT_OID_HEXSZ) < 0)
				return err_set(C2C_EINVALID, "a malformed line: '%.60s'", line);
			if (r->haves.n >= EXCHANGE_MAX_HAVES)
				return err_set(C2C_EINVALID, "more than %d haves", EXCHANGE_MAX_HAVES);
			if ((err = oid_list_add(&r->haves, &id)) < 0)
				return err;
		} else if (!strncmp(line, "ref ", 4)) {
			char *name;
			if (!node_ref_valid(line + 4))
				return err_set(C2C_EINVALID, "not a node's branch: '%.60s'", line + 4);
			if (r->asked.n >= EXCHANGE_MAX_REFS)
				return err_set(C2C_EINVALID, "more than %d refs asked for", EXCHANGE_MAX_REFS);
			if (!(name = strdup(line + 4)))
				return ERR_OOM();
			if ((err = ARRAY_PUSH(&r->asked, name)) < 0) {
				free(name);
				return err;
			}
		} else if (!strncmp(line, "push ", 5)) {
			if (len != 5 + 2 * GIT_OID_HEXSZ + 1 || sscanf(line + 5, "%41s %41s", a, b) != 2 ||
			    git_oid_fromstrn(&r->old, a, GIT_OID_HEXSZ) < 0 || git_oid_fromstrn(&r->new_, b, GIT_OID_HEXSZ) < 0 ||
			    strlen(a) != GIT_OID_HEXSZ || strlen(b) != GIT_OID_HEXSZ)
				return err_set(C2C_EINVALID, "a malformed line: '%.60s'", line);
			r->push = 1;
		} else if (!strcmp(line, "nofetch")) {
			r->nofetch = 1;
		} else if (!strcmp(line, "end")) {
			r->end = 1;
		} else {
			return err_set(C2C_EINVALID, "an unknown line: '%.60s'", line);
		}
	}
}

/* The framed pack that follows a push, to its flush, written to RP (NULL:
 * read and dropped). */
static int relay_pack(pktline_conn *c, pktline_conn *rp)
{
	char *data = malloc(65520);
	size_t len;
	int flush, err = 0;
	if (!data)
		return ERR_OOM();
	for (;;) {
		int e = pktline_read_raw(c, data, 65519, &len, &flush);
		if (e < 0 || flush) {
			free(data);
			return e < 0 ? e : err;
		}
		if (rp && err == 0 && (err = pktline_put(rp, data, len)) < 0)
			rp = NULL; /* keep reading to the flush: the channel stays in step */
	}
}

/* The push through stock git receive-pack on PATH, as NODE_ID: its ref is
 * the node's own branch, whatever the node calls it. *WHY: the refusal
 * (malloc'd) or NULL when taken. */
static int push(pktline_conn *c, const char *path, const char *node_id, const request *r, char **why)
{
	pktline_conn *rp = calloc(1, sizeof(*rp));
	char line[4096], ref[256], old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
	git_oid old;
	size_t len;
	int flush, err;
	*why = NULL;
	if (!rp)
		return ERR_OOM();
	snprintf(ref, sizeof(ref), REF_NODES "%s", node_id);
	git_oid_fromstr(&old, "0000000000000000000000000000000000000000");
	if ((err = transport_channel_open(&rp->ch, NULL, path, "git-receive-pack", node_id)) < 0)
		goto fail;
	/* Its refs: the branch's present tip is the old value (the node's
	 * OLD may be behind; the hook still holds it to a fast-forward). */
	for (;;) {
		if ((err = pktline_read(rp, line, sizeof(line), &len, &flush)) < 0)
			goto fail;
		if (flush)
			break;
		if (len > GIT_OID_HEXSZ + 1 && !strcmp(line + GIT_OID_HEXSZ + 1, ref))
			git_oid_fromstrn(&old, line, GIT_OID_HEXSZ);
	}
	git_oid_tostr(old_hex, sizeof(old_hex), &old);
	git_oid_tostr(new_hex, sizeof(new_hex), &r->new_);
	len = (size_t)snprintf(line, sizeof(line), "%s %s %s%c report-status ofs-delta agent=c2c\n", old_hex, new_hex, ref,
	                       '\0');
	if ((err = pktline_put_line(rp, line, len)) < 0 || (err = pktline_put(rp, "0000", 4)) < 0)
		goto fail;
	/* Its input ends with the pack: one cut short is its error. */
	if ((err = relay_pack(c, rp)) < 0 || (err = pktline_flush_out(rp)) < 0 ||
	    (err = transport_channel_end_input(rp->ch)) < 0)
		goto fail;
	char said[3000];
	int unpack_failed;
	if ((err = pktline_read_report(rp, ref, said, sizeof(said), &unpack_failed)) < 0)
		goto fail;
	/* "unpack ..." first when it could not unpack: the node then pushes
	 * by git's protocol, which finds what this hub has. */
	if (said[0] && !(*why = malloc(strlen(said) + 8)))
		err = ERR_OOM();
	else if (said[0])
		sprintf(*why, "%s%s", unpack_failed ? "unpack " : "", said);
	transport_channel_close(rp->ch);
	free(rp);
	return err;
fail:
	/* What went wrong on this side is the answer's refusal; the rest of
	 * the pack is read all the same. */
	if (rp->ch) {
		transport_channel_close(rp->ch);
		rp->ch = NULL;
	}
	free(rp);
	err_state saved;
	err_save(&saved);
	int e2 = relay_pack(c, NULL);
	err_restore(&saved);
	if (e2 < 0)
		return e2;
	if (!(*why = strdup(err_msg())))
		return ERR_OOM();
	return 0;
}

/* The answer's objects: what REFS reach beyond the haves the hub holds
 * (*COMMITS of them commits). */
static int pack_objects(git_repository *repo, const exchange_refs *refs, const request *r, pushpack_objs *o,
                        size_t *commits)
{
	oid_list tips = {0}, hide = {0};
	git_odb *odb = NULL;
	int rc, err = 0;
	*commits = 0;
	if ((rc = git_repository_odb(&odb, repo)) < 0)
		return err_git(rc, "opening the hub's objects");
	for (size_t i = 0; i < r->haves.n && err == 0; i++) {
		git_odb_object *obj = NULL;
		if (git_odb_read(&obj, odb, &r->haves.v[i]) == 0 && git_odb_object_type(obj) == GIT_OBJECT_COMMIT)
			err = oid_list_add(&hide, &r->haves.v[i]);
		git_odb_object_free(obj);
	}
	git_error_clear();
	for (size_t i = 0; i < refs->n && err == 0; i++) {
		if (!strcmp(refs->v[i].name, REF_OFFICE_KEY))
			err = pushpack_add(&refs->v[i].id, NULL, o); /* a blob */
		else
			err = oid_list_add_unique(&tips, &refs->v[i].id);
	}
	if (err == 0 && tips.n)
		err = repo_pack_sparse(repo, tips.v, tips.n, hide.v, hide.n, NULL, pushpack_add, o, commits);
	if (err == 0)
		pushpack_unique(o);
	oid_list_free(&tips);
	oid_list_free(&hide);
	git_odb_free(odb);
	return err;
}

static int send_pack(pktline_conn *c, git_repository *repo, const pushpack_objs *o)
{
	git_odb *odb = NULL;
	size_t deltas = 0;
	int rc, err;
	if (!o->n)
		return 0;
	if ((rc = git_repository_odb(&odb, repo)) < 0)
		return err_git(rc, "opening the hub's objects");
	if ((err = pktline_frame(c, 1)) == 0 && (err = pushpack_send(c, odb, o, 1, 1, NULL, &deltas)) == 0)
		err = pktline_frame(c, 0);
	git_odb_free(odb);
	return err;
}

/* One request's answer. */
static int answer(pktline_conn *c, const char *path, const char *node_id, request *r, int *last)
{
	git_repository *repo = NULL;
	exchange_refs refs = {0};
	pushpack_objs o = {0};
	size_t commits = 0;
	char epoch[17] = "", *why = NULL;
	long long seq = 0;
	int rc, err = 0;
	if (r->push && (err = push(c, path, node_id, r, &why)) < 0)
		return err;
	/* Opened after the push: the refs it moved are read afresh. */
	if (!r->nofetch && (rc = git_repository_open_bare(&repo, path)) < 0)
		err = err_git(rc, path);
	if (!r->nofetch && err == 0)
		err = hubtips_changed(repo, path, r->has_since ? r->epoch : NULL, r->since, &refs, epoch, &seq);
	for (size_t i = 0; !r->nofetch && i < r->asked.n && err == 0; i++) {
		git_oid id;
		int known = 0;
		for (size_t j = 0; j < refs.n && !known; j++)
			known = !strcmp(refs.v[j].name, r->asked.v[i]);
		if (!known && git_reference_name_to_id(&id, repo, r->asked.v[i]) == 0) {
			exchange_ref e = {id, strdup(r->asked.v[i])};
			if (!e.name || ARRAY_PUSH(&refs, e) < 0) {
				free(e.name);
				err = ERR_OOM();
			}
		}
	}
	git_error_clear();
	if (!r->nofetch && err == 0)
		err = pack_objects(repo, &refs, r, &o, &commits);
	/* Nothing for the node to merge: nothing more will come from it. */
	*last = r->end && !r->nofetch && commits == 0;
	if (err < 0 || (err = pktline_put_text(c, EXCHANGE_COMMAND " 1")) < 0)
		goto done;
	if (r->push && (err = why ? pktline_put_text(c, "push ng %s", why) : pktline_put_text(c, "push ok")) < 0)
		goto done;
	if (!r->nofetch) {
		if ((err = pktline_put_text(c, "since %s %lld", epoch, seq)) < 0)
			goto done;
		for (size_t i = 0; i < refs.n && err == 0; i++) {
			char hex[GIT_OID_HEXSZ + 1];
			err = pktline_put_text(c, "ref %s %s", git_oid_tostr(hex, sizeof(hex), &refs.v[i].id), refs.v[i].name);
		}
	}
	if (err == 0 && *last)
		err = pktline_put_text(c, "end");
	if (err < 0 || (err = pktline_put(c, "0000", 4)) < 0)
		goto done;
	if (!r->nofetch && (err = send_pack(c, repo, &o)) < 0)
		goto done;
	if ((err = pktline_put(c, "0000", 4)) == 0)
		err = pktline_flush_out(c);
done:
	free(why);
	ARRAY_FREE(&o);
	exchange_refs_free(&refs);
	git_repository_free(repo);
	return err;
}

/* The first request, when COMMAND carries it (exchange.h), into C's
 * input, ahead of what comes on the channel. */
static int take_inline(pktline_conn *c, const char *command)
{
	const char *q = strrchr(command, '\''), *arg = strrchr(command, ' ');
	size_t n, pad = 0;
	int got;
	/* the last word, after the quoted path */
	if (!arg || (q && arg < q) || strncmp(arg + 1, EXCHANGE_REQUEST_ARG, strlen(EXCHANGE_REQUEST_ARG)))
		return 0;
	arg += 1 + strlen(EXCHANGE_REQUEST_ARG);
	n = strlen(arg);
	if (n == 0 || n % 4 || n / 4 * 3 > EXCHANGE_INLINE_TAKE || n / 4 * 3 > sizeof(c->in))
		return err_set(C2C_EINVALID, "the request on the command line is %s",
		               n / 4 * 3 > EXCHANGE_INLINE_TAKE ? "too long" : "not base64");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)arg[i];
		int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
		         ch == '/' || (ch == '=' && i >= n - 2 && (i == n - 1 || arg[n - 1] == '='));
		if (!ok)
			return err_set(C2C_EINVALID, "the request on the command line is not base64");
		pad += ch == '=';
	}
	if ((got = EVP_DecodeBlock((unsigned char *)c->in, (const unsigned char *)arg, (int)n)) < 0 || (size_t)got < pad)
		return err_set(C2C_EINVALID, "the request on the command line is not base64");
	c->off = 0;
	c->len = (size_t)got - pad;
	return 0;
}

int hubsync_serve(const char *path, const char *node_id, const char *command, int in_fd, int out_fd)
{
	pktline_conn *c = calloc(1, sizeof(*c));
	int err = 0;
	if (!c)
		return ERR_OOM();
	if ((err = repo_global_init()) < 0) {
		free(c);
		return err;
	}
	/* A node that goes away is an error on the write, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((err = transport_channel_fds(&c->ch, in_fd, out_fd)) < 0)
		goto done;
	int given = command ? take_inline(c, command) : 0;
	for (;;) {
		request r = {0};
		int got = given < 0 ? given : read_request(c, &r);
		given = 0;
		if (got == 1) {
			err = 0;
			request_free(&r);
			break;
		}
		int last = 0;
		err = got < 0 ? got : answer(c, path, node_id, &r, &last);
		request_free(&r);
		if (err == 0 && last)
			break;
		if (err < 0) {
			/* Say why, then end: the node reports it. */
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s", err_msg());
			c->olen = 0;
			c->framed = 0;
			if (pktline_put_text(c, "error %s", msg) == 0 && pktline_put(c, "0000", 4) == 0)
				pktline_flush_out(c);
			break;
		}
	}
done:
	transport_channel_close(c->ch);
	free(c);
	return err;
}
