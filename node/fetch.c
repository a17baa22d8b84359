/* fetch: a remote's commits into the quarantine (include/c2c/fetch.h). */
#include "c2c/fetch.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/refs.h"
#include "c2c/repo.h"
#include "c2c/util.h"

typedef struct {
	transport *t;
	const c2c_progress *progress;
} fetch_ctx;

static int fetch_transport(git_transport **out, git_remote *owner, void *payload)
{
	return transport_git(out, owner, ((fetch_ctx *)payload)->t);
}

static int fetch_progress(const git_indexer_progress *st, void *payload)
{
	progress_report(((fetch_ctx *)payload)->progress, N_("receiving objects"), st->received_objects, st->total_objects);
	return 0;
}

int fetch_remote(c2c_node *n, git_remote *rm, const char *name, int is_hub, int want_key, transport *t,
                 const c2c_progress *progress)
{
	fetch_ctx ctx = {t, progress};
	char spec[512], spec2[512], spec3[512], dst[400];
	char *specs[3];
	size_t ns = 0;
	git_fetch_options fo;
	int rc;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	fo.callbacks.transfer_progress = fetch_progress;
	fo.callbacks.transport = fetch_transport;
	fo.callbacks.payload = &ctx;
	/* A hub given the office's key publishes it (a blob); a node that has
	 * none yet learns it from the first hub it trusts. */
	if ((rc = ref_remote(dst, sizeof(dst), name, "nodes/*")) < 0)
		return rc;
	snprintf(spec, sizeof(spec), "+" REF_NODES "*:%s", dst);
	if ((rc = ref_remote(dst, sizeof(dst), name, "main")) < 0)
		return rc;
	snprintf(spec2, sizeof(spec2), "+" REF_MAIN ":%s", dst);
	if ((rc = ref_remote(dst, sizeof(dst), name, "office-key")) < 0)
		return rc;
	snprintf(spec3, sizeof(spec3), "+" REF_OFFICE_KEY ":%s", dst);
	if (is_hub != 0)
		specs[ns++] = spec;
	if (is_hub <= 0)
		specs[ns++] = spec2;
	if (is_hub != 0 && want_key)
		specs[ns++] = spec3;
	git_strarray refspecs = {specs, ns};
	(void)n;
	err_clear();
	if ((rc = git_remote_fetch(rm, &refspecs, &fo, "c2c sync: fetch")) < 0)
		return err_code() < 0 ? err_code() : err_git(rc, "fetching");
	return 0;
}

/* What fetch_local gathers: the node's object database (what it holds)
 * and the ids of the objects to copy. */
typedef struct {
	git_odb *odb;
	repo_oids ids;
} local_objs;

static int local_have(const git_oid *id, void *payload) { return git_odb_exists(((local_objs *)payload)->odb, id); }

/* Stored whole (repo_pack_copy): no deltas on a local disk. */
static int local_add(const git_oid *id, const git_oid *base, void *payload)
{
	return repo_oids_add(id, base, &((local_objs *)payload)->ids);
}

int fetch_local(c2c_node *n, const char *gitdir, const char *name, int is_hub, int want_key, oid_list *arrived,
                oid_list *changed, const c2c_progress *progress)
{
	git_repository *src = NULL;
	git_odb *sodb = NULL;
	local_objs objs = {0};
	repo_refs theirs = {0}, mine = {0};
	oid_list ids = {0}, walk = {0};
	unsigned char *same = NULL;
	char dst[PATH_MAX], pack[PATH_MAX], spacks[PATH_MAX];
	git_oid key;
	size_t commits = 0;
	int rc, err = 0, has_key = 0;
	if ((rc = git_repository_open_bare(&src, gitdir)) < 0)
		return err_git(rc, gitdir);
	if ((rc = git_repository_odb(&objs.odb, n->repo)) < 0 || (rc = git_repository_odb(&sodb, src)) < 0)
		goto fail;
	if (is_hub) { /* (unknown yet: a hub, as only a hub has these) */
		if ((err = repo_refs_under(src, REF_NODES, &theirs)) < 0)
			goto done;
	} else {
		repo_ref e = {NULL, {{0}}};
		if ((rc = git_reference_name_to_id(&e.id, src, REF_MAIN)) < 0 && rc != GIT_ENOTFOUND)
			goto fail;
		if (rc == 0 && (!(e.name = strdup(REF_MAIN)) ||
		                util_grow((void **)&theirs.v, &theirs.cap, 1, sizeof(*theirs.v)) < 0)) {
			free(e.name);
			err = ERR_OOM();
			goto done;
		}
		if (rc == 0)
			theirs.v[theirs.n++] = e;
		git_error_clear();
	}
	for (size_t i = 0; i < theirs.n; i++)
		if ((err = oid_list_add(&ids, &theirs.v[i].id)) < 0)
			goto done;
	/* a thousand branches: one at a time, the check for a duplicate was a
	 * thousand scans of the list */
	if ((err = oid_list_add_unique_all(arrived, &ids)) < 0)
		goto done;
	/* What the node holds of the remote's refs, read at once, sorted by
	 * name: a lookup by name for each of a thousand branches checked the
	 * loose file and packed-refs a thousand times. A branch whose tip the
	 * node's ref names already is not walked: the node holds that tip (a
	 * sync keeps only the refs its head reaches, and a killed one's are
	 * dropped when the quarantine is next opened: quarantine.h). */
	if ((err = ref_remote(dst, sizeof(dst), name, "")) < 0 || (err = repo_refs_under(n->repo, dst, &mine)) < 0)
		goto done;
	if (theirs.n && !(same = calloc(theirs.n, 1))) {
		err = ERR_OOM();
		goto done;
	}
	for (size_t i = 0; i < theirs.n; i++) {
		if ((err = ref_remote(dst, sizeof(dst), name, theirs.v[i].name + strlen("refs/heads/"))) < 0)
			goto done;
		const repo_ref *cur = repo_refs_find(&mine, dst);
		same[i] = cur && git_oid_equal(&cur->id, &theirs.v[i].id);
		if (!same[i] && (err = oid_list_add(&walk, &theirs.v[i].id)) < 0)
			goto done;
	}
	if ((err = repo_pack_sparse(src, walk.v, walk.n, NULL, 0, local_have, local_add, &objs, &commits)) < 0) {
		if (err != C2C_ENOMEM) {
			err_prefix("%s: ", gitdir);
			err_hint("its repository may be damaged: run 'git fsck' there");
		}
		goto done;
	}
	has_key = is_hub && want_key && git_reference_name_to_id(&key, src, REF_OFFICE_KEY) == 0;
	if (has_key && !git_odb_exists(objs.odb, &key) && (err = local_add(&key, NULL, &objs)) < 0)
		goto done;
	git_error_clear();
	/* Each object once, stored whole: copied as the remote's pack holds
	 * it when it is whole there (a peer node's packs, what a hub received
	 * without a delta), else read and compressed again (packsrc.h). */
	snprintf(pack, sizeof(pack), "%s/objects/c2c-incoming/pack", n->gitdir);
	snprintf(spacks, sizeof(spacks), "%s/objects/pack", gitdir);
	err = repo_pack_copy(n->repo, pack, sodb, spacks, gitdir, &objs.ids, progress, N_("copying objects"));
	if (err < 0)
		goto done;
	for (size_t i = 0; i <= theirs.n; i++) {
		git_reference *r = NULL;
		if (i < theirs.n ? same[i] : !has_key)
			continue; /* unchanged: no write (a thousand branches, one of them new) */
		if ((err = ref_remote(dst, sizeof(dst), name,
		                      i == theirs.n ? "office-key" : theirs.v[i].name + strlen("refs/heads/"))) < 0)
			goto done;
		const git_oid *to = i == theirs.n ? &key : &theirs.v[i].id;
		const repo_ref *cur = i == theirs.n ? repo_refs_find(&mine, dst) : NULL;
		if (cur && git_oid_equal(&cur->id, to))
			continue; /* the office's key, unchanged */
		if (changed && i < theirs.n && (err = oid_list_add_unique(changed, to)) < 0)
			goto done;
		rc = git_reference_create(&r, n->repo, dst, to, 1, "c2c sync: fetch");
		git_reference_free(r);
		if (rc < 0)
			goto fail;
	}
	goto done;
fail:
	err = err_git(rc, gitdir);
done:
	repo_refs_free(&mine);
	repo_refs_free(&theirs);
	oid_list_free(&ids);
	oid_list_free(&walk);
	free(same);
	free(objs.ids.v);
	git_odb_free(sodb);
	git_odb_free(objs.odb);
	git_repository_free(src);
	return err;
}

