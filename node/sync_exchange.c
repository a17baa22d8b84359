/* sync_exchange: the node's side of the sync exchange with a c2c hub
 * (include/c2c/exchange.h). */
#include "c2c/exchange.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/oidlist.h"
#include "c2c/pktline.h"
#include "c2c/push.h"
#include "c2c/pushpack.h"
#include "c2c/refs.h"
#include "c2c/remote.h"
#include "c2c/repo.h"
#include "c2c/sparse.h"
#include "c2c/store.h"

int exchange_prepare(c2c_node *n, exchange_state *x)
{
	char key[300], glob[300], own[300], rest[200];
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	json_t *held = NULL;
	int rc, err;
	x->head = n->head;
	memset(&x->old, 0, sizeof(x->old));
	if ((err = remote_state_key(key, sizeof(key), REMOTE_KEY_SINCE, x->name)) < 0)
		return err;
	if ((err = store_state_get(n->st, key, &x->since)) < 0 && err != C2C_ENOTFOUND)
		return err;
	err_clear();
	snprintf(rest, sizeof(rest), "nodes/%s", n->node_id);
	if ((err = ref_remote(own, sizeof(own), x->name, rest)) < 0 || (err = ref_remote(glob, sizeof(glob), x->name, "*")) < 0)
		return err;
	if (git_reference_name_to_id(&x->old, n->repo, own) < 0)
		memset(&x->old, 0, sizeof(x->old));
	/* What the hub held at the last sync: it never loses a branch's commits
	 * (no deletes, no non-fast-forwards), so the push leaves them out. */
	if ((rc = git_reference_iterator_glob_new(&it, n->repo, glob)) < 0)
		return err_git(rc, "listing the fetched refs");
	while (err == 0 && (rc = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref);
		if (id && strcmp(git_reference_name(ref) + strlen(glob) - 1, "office-key"))
			err = oid_list_add_unique(&x->seen, id);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_error_clear();
	if (err < 0)
		return err;
	/* A held branch is tried again at every sync: asked for by name. */
	if ((err = store_held_list(n->st, x->name, &held)) < 0)
		return err;
	if (json_array_size(held) && !(x->held = calloc(json_array_size(held), sizeof(*x->held))))
		err = ERR_OOM();
	for (size_t i = 0; err == 0 && i < json_array_size(held); i++) {
		const char *b = json_string_value(json_object_get(json_array_get(held, i), "branch"));
		size_t l;
		if (!b || strncmp(b, "nodes/", 6))
			continue;
		l = strlen("refs/heads/") + strlen(b) + 1;
		if (!(x->held[x->nheld] = malloc(l)))
			err = ERR_OOM();
		else
			snprintf(x->held[x->nheld++], l, "refs/heads/%s", b);
	}
	json_decref(held);
	return err;
}

/* The push line and its pack: main beyond what the hub holds. */
static int put_push(c2c_node *n, exchange_state *x, pktline_conn *c, const git_oid *old, const git_oid *new_)
{
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	pushpack_objs o = {0};
	git_odb *odb = NULL;
	size_t commits = 0;
	int rc, err;
	if ((err = pktline_put_text(c, "push %s %s", git_oid_tostr(a, sizeof(a), old), git_oid_tostr(b, sizeof(b), new_))) < 0 ||
	    (err = pktline_put(c, "0000", 4)) < 0)
		return err;
	if ((rc = git_repository_odb(&odb, n->repo)) < 0)
		return err_git(rc, "opening the object database");
	err = pushpack_walk(n->repo, new_, &x->seen, &o, &commits);
	/* A pack even when empty: receive-pack waits for one after a command
	 * that is not a deletion. */
	if (err == 0) {
		pushpack_unique(&o);
		if ((err = pktline_frame(c, 1)) == 0 &&
		    (err = pushpack_send(c, odb, &o, 1, 1, x->progress, &x->pushed_deltas)) == 0)
			err = pktline_frame(c, 0);
		x->pushed_objects = o.n;
	}
	if (err == 0)
		err = pktline_put(c, "0000", 4);
	ARRAY_FREE(&o);
	git_odb_free(odb);
	return err;
}

static int indexer_progress(const git_indexer_progress *st, void *payload)
{
	progress_report(payload, N_("receiving objects"), st->received_objects, st->total_objects);
	return 0;
}

/* The answer's pack, to its flush, into the quarantine (the first backend
 * of the object database: quarantine.h). */
static int take_pack(c2c_node *n, exchange_state *x, pktline_conn *c)
{
	char *data = malloc(65520);
	git_odb *odb = NULL;
	git_odb_writepack *wp = NULL;
	git_indexer_progress st = {0};
	size_t len;
	int rc, err = 0, flush;
	if (!data)
		return ERR_OOM();
	for (;;) {
		if ((err = pktline_read_raw(c, data, 65519, &len, &flush)) < 0)
			break;
		if (flush) {
			if (wp && (rc = wp->commit(wp, &st)) < 0)
				err = err_git(rc, "the pack the hub sent");
			break;
		}
		if (!wp && ((rc = git_repository_odb(&odb, n->repo)) < 0 ||
		            (rc = git_odb_write_pack(&wp, odb, indexer_progress, (void *)x->progress)) < 0)) {
			err = err_git(rc, "storing what the hub sent");
			break;
		}
		if ((rc = wp->append(wp, data, len, &st)) < 0) {
			err = err_git(rc, "the pack the hub sent");
			break;
		}
	}
	if (wp)
		wp->free(wp);
	git_odb_free(odb);
	free(data);
	return err;
}

/* The answer's lines to their flush. */
static int take_answer(exchange_state *x, pktline_conn *c, int first_request)
{
	char line[4200];
	size_t len;
	int flush, err, first = 1;
	for (;;) {
		if ((err = pktline_read(c, line, sizeof(line), &len, &flush)) < 0) {
			/* A server that does not know the command ends at once,
			 * having said nothing: sync by git's protocols. */
			char said[256];
			if (first && first_request && c->len == c->off && err == C2C_EIO &&
			    transport_channel_stderr(c->ch, said, sizeof(said)) > 0) {
				err_clear();
				x->unsupported = 1;
				return 0;
			}
			return err;
		}
		if (flush)
			return first ? err_set(C2C_EFAIL, "%s: the hub's answer was empty", x->name) : 0;
		if (first) {
			if (!strncmp(line, "error ", 6))
				return err_set(C2C_EFAIL, "%s: the hub could not sync: %s", x->name, line + 6);
			if (strcmp(line, EXCHANGE_COMMAND " 1")) {
				if (first_request) {
					x->unsupported = 1;
					return 0;
				}
				return err_set(C2C_EFAIL, "%s: the hub's answer is not c2c's: '%.60s'", x->name, line);
			}
			first = 0;
			continue;
		}
		if (!strcmp(line, "push ok")) {
			x->pushed = 1;
		} else if (!strncmp(line, "push ng ", 8)) {
			x->pushed = -1;
			x->unpack_failed = !strncmp(line + 8, "unpack ", 7);
			free(x->refused);
			if (!(x->refused = strdup(line + 8 + (x->unpack_failed ? 7 : 0))))
				return ERR_OOM();
		} else if (!strncmp(line, "since ", 6)) {
			if (len - 6 >= sizeof(x->new_since))
				return err_set(C2C_EFAIL, "%s: the hub sent a malformed line", x->name);
			memcpy(x->new_since, line + 6, len - 6 + 1);
		} else if (!strncmp(line, "ref ", 4)) {
			exchange_ref e = {{{0}}, NULL};
			const char *name = line + 4 + GIT_OID_HEXSZ + 1;
			if (len < 4 + GIT_OID_HEXSZ + 2 || line[4 + GIT_OID_HEXSZ] != ' ' ||
			    git_oid_fromstrn(&e.id, line + 4, GIT_OID_HEXSZ) < 0 ||
			    (strncmp(name, REF_NODES, strlen(REF_NODES)) && strcmp(name, REF_OFFICE_KEY)) ||
			    !git_reference_is_valid_name(name))
				return err_set(C2C_EFAIL, "%s: the hub sent a malformed ref line: '%.80s'", x->name, line);
			if (!(e.name = strdup(name)) || ARRAY_PUSH(&x->refs, e) < 0) {
				free(e.name);
				return ERR_OOM();
			}
		} else if (!strcmp(line, "end")) {
			x->ended = 1; /* the hub closes the channel after this answer */
		} /* other lines: a later version's, ignored */
	}
}

/* The first request: what the node has, and its push. */
static int put_request(c2c_node *n, exchange_state *x, pktline_conn *c)
{
	char hex[GIT_OID_HEXSZ + 1];
	int err;
	x->pushed_objects = x->pushed_deltas = 0;
	if ((err = pktline_put_text(c, EXCHANGE_COMMAND " 1")) < 0 || (x->since && (err = pktline_put_text(c, "since %s", x->since)) < 0) ||
	    (err = pktline_put_text(c, "end")) < 0 || (err = pktline_put_text(c, "have %s", git_oid_tostr(hex, sizeof(hex), &x->head))) < 0 ||
	    (!git_oid_is_zero(&x->old) && (err = pktline_put_text(c, "have %s", git_oid_tostr(hex, sizeof(hex), &x->old))) < 0))
		return err;
	for (size_t i = 0; i < x->nheld; i++)
		if ((err = pktline_put_text(c, "ref %s", x->held[i])) < 0)
			return err;
	if (git_oid_equal(&x->head, &x->old))
		err = pktline_put(c, "0000", 4);
	else
		err = put_push(n, x, c, &x->old, &x->head);
	return err < 0 ? err : pktline_flush_out(c);
}

/* The first request as the command's argument (exchange.h) in *ARG, or
 * NULL when it is too large to go there. */
static int request_arg(c2c_node *n, exchange_state *x, pktline_conn *c, char **arg)
{
	const c2c_progress *progress = x->progress;
	size_t pre = strlen(EXCHANGE_REQUEST_ARG);
	int err;
	*arg = NULL;
	if ((err = pktline_hold(c, EXCHANGE_INLINE_MAX)) < 0)
		return err;
	x->progress = NULL; /* in memory, at most a moment; sent again if too large */
	err = put_request(n, x, c);
	x->progress = progress;
	if (err < 0 && c->held_over) {
		err_clear();
		err = 0;
	} else if (err == 0) {
		if (!(*arg = malloc(pre + (c->nheld + 2) / 3 * 4 + 1)))
			err = ERR_OOM();
		else {
			memcpy(*arg, EXCHANGE_REQUEST_ARG, pre);
			EVP_EncodeBlock((unsigned char *)*arg + pre, c->held, (int)c->nheld);
		}
	}
	pktline_unhold(c);
	return err;
}

int exchange_run(c2c_node *n, exchange_state *x)
{
	pktline_conn *c = calloc(1, sizeof(*c));
	char *arg = NULL;
	int err, given;
	if (!c)
		return ERR_OOM();
	x->conn = c;
	x->pushed = 0;
	/* Over ssh, a small request rides with the command: a round trip less. */
	if (!strncmp(x->url, "ssh://", 6) && (err = request_arg(n, x, c, &arg)) < 0)
		return err;
	err = transport_channel_open_arg(&c->ch, x->t, x->url, EXCHANGE_COMMAND, arg, n->node_id);
	given = arg != NULL;
	free(arg);
	/* sent with the command: told as a pack sent on the input is */
	if (err == 0 && given && x->pushed_objects)
		progress_report(x->progress, N_("sending objects"), x->pushed_objects, x->pushed_objects);
	if (err < 0 || (!given && (err = put_request(n, x, c)) < 0) || (err = take_answer(x, c, 1)) < 0 || x->unsupported ||
	    (err = take_pack(n, x, c)) < 0)
		return err;
	/* No tip the head lacks: no merge, so no second push. Ending the
	 * request now lets the hub close the channel while this node checks
	 * and applies the answer (a round trip less). */
	int more = x->ended;
	if (!more) {
		oid_list tips = {0};
		unsigned char *isnew = calloc(x->refs.n + 1, 1);
		int e = isnew ? 0 : ERR_OOM();
		for (size_t i = 0; i < x->refs.n && e == 0; i++)
			if (strcmp(x->refs.v[i].name, REF_OFFICE_KEY))
				e = oid_list_add(&tips, &x->refs.v[i].id);
		if (e == 0)
			repo_tips_new(n->repo, &x->head, tips.v, tips.n, isnew);
		more = e < 0; /* the channel stays open, at the cost of a round trip */
		for (size_t i = 0; i < tips.n && !more; i++)
			more = isnew[i];
		oid_list_free(&tips);
		free(isnew);
		err_clear();
	}
	git_error_clear();
	if (!more && (err = transport_channel_end_input(c->ch)) == 0)
		x->ended = 1;
	return err;
}

int exchange_apply(c2c_node *n, exchange_state *x, oid_list *arrived)
{
	char dst[400];
	int rc, err = 0;
	for (size_t i = 0; i < x->refs.n && err == 0; i++) {
		git_reference *r = NULL;
		const char *name = x->refs.v[i].name;
		int key = !strcmp(name, REF_OFFICE_KEY);
		if (key && !x->want_key)
			continue;
		if ((err = ref_remote(dst, sizeof(dst), x->name, key ? "office-key" : name + strlen("refs/heads/"))) < 0)
			break;
		/* Only what arrived: a ref to an object the node lacks would
		 * break its repository. */
		git_odb *odb = NULL;
		int have = git_repository_odb(&odb, n->repo) == 0 && git_odb_exists(odb, &x->refs.v[i].id);
		git_odb_free(odb);
		if (!have) {
			err = err_set(C2C_EFAIL, "%s: the hub named %s at %s but did not send it", x->name, name,
			              git_oid_tostr_s(&x->refs.v[i].id));
			break;
		}
		if ((rc = git_reference_create(&r, n->repo, dst, &x->refs.v[i].id, 1, "c2c sync: exchange")) < 0)
			err = err_git(rc, dst);
		git_reference_free(r);
		if (err == 0 && !key && (err = oid_list_add_unique(arrived, &x->refs.v[i].id)) == 0)
			err = oid_list_add_unique(&x->seen, &x->refs.v[i].id); /* the hub has it: a later push leaves it out */
	}
	if (err == 0 && x->pushed == 1)
		err = oid_list_add_unique(&x->seen, &x->head);
	return err;
}

int exchange_push(c2c_node *n, exchange_state *x)
{
	pktline_conn *c = x->conn;
	int err;
	git_oid old = x->pushed == 1 ? x->head : x->old;
	if (!c || !c->ch)
		return err_set(C2C_EFAIL, "%s: no channel to push on", x->name);
	free(x->refused);
	x->refused = NULL;
	x->pushed = 0;
	x->head = n->head;
	if (x->ended)
		return err_set(C2C_EFAIL, "%s: the exchange is over", x->name);
	/* The last request: its EOF goes with it. */
	if ((err = pktline_put_text(c, EXCHANGE_COMMAND " 1")) < 0 || (err = pktline_put_text(c, "nofetch")) < 0 ||
	    (err = put_push(n, x, c, &old, &n->head)) < 0 || (err = pktline_flush_out(c)) < 0 ||
	    (err = transport_channel_end_input(c->ch)) < 0 || (x->ended = 1, err = take_answer(x, c, 0)) < 0)
		return err;
	if (x->pushed == 1)
		oid_list_add_unique(&x->seen, &x->head);
	if (x->pushed != 1) {
		err = err_set(C2C_ECONFLICT, "the hub refused %s", x->refused ? x->refused : "the push: no report");
		if (x->refused)
			push_refusal_hint(n, x->refused);
	}
	/* the answer ends with the (empty) pack's flush */
	return err < 0 ? err : take_pack(n, x, c);
}

void exchange_close(exchange_state *x)
{
	pktline_conn *c = x->conn;
	if (c)
		transport_channel_close(c->ch);
	free(c);
	x->conn = NULL;
	free(x->since);
	for (size_t i = 0; i < x->nheld; i++)
		free(x->held[i]);
	free(x->held);
	free(x->refused);
	oid_list_free(&x->seen);
	exchange_refs_free(&x->refs);
	x->since = x->refused = NULL;
	x->held = NULL;
	x->nheld = 0;
}
