/* pushpack: the pack of a push, written onto the connection (include/c2c/pushpack.h). */
#include "c2c/i18n.h"
#include "c2c/pushpack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "c2c/delta.h"
#include "c2c/err.h"
#include "c2c/repo.h"

#define OBJ_OFS_DELTA 6
#define OBJ_REF_DELTA 7
#define WINDOW 10 /* earlier objects of a kind tried as delta bases */

typedef repo_buf buf;

static void buf_swap(buf *a, buf *b)
{
	buf t = *a;
	*a = *b;
	*b = t;
}

int pushpack_add(const git_oid *id, const git_oid *base, void *payload)
{
	pushpack_objs *o = payload;
	pushpack_obj x;
	memset(&x, 0, sizeof(x));
	x.order = o->n;
	git_oid_cpy(&x.id, id);
	if (base)
		git_oid_cpy(&x.base, base);
	return ARRAY_PUSH(o, x);
}

static int cmp_obj(const void *a, const void *b)
{
	const pushpack_obj *x = a, *y = b;
	int c = git_oid_cmp(&x->id, &y->id);
	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_order(const void *a, const void *b)
{
	const pushpack_obj *x = a, *y = b;
	return x->order < y->order ? -1 : x->order > y->order;
}

void pushpack_unique(pushpack_objs *o)
{
	size_t u = 0;
	if (!o->n)
		return;
	qsort(o->v, o->n, sizeof(*o->v), cmp_obj);
	for (size_t i = 0; i < o->n; i++)
		if (u == 0 || !git_oid_equal(&o->v[i].id, &o->v[u - 1].id))
			o->v[u++] = o->v[i];
	o->n = u;
	qsort(o->v, o->n, sizeof(*o->v), cmp_order);
}

/* One pack entry: TYPE (an object's, or a delta's with BASE, an object
 * the hub holds, or with OFS, how far back in this pack its base starts). */
static int put_entry(pktline_conn *c, buf *z, int type, const unsigned char *data, size_t len, const git_oid *base,
                     uint64_t ofs)
{
	unsigned char hdr[16], oh[16];
	size_t h = 0, sz = len, ol = sizeof(oh);
	z_stream zs;
	int err;
	h = repo_pack_header(hdr, type, sz);
	if (type == OBJ_OFS_DELTA) { /* gitformat-pack(5): big-endian, +1 per continued byte */
		oh[--ol] = (unsigned char)(ofs & 127);
		while (ofs >>= 7)
			oh[--ol] = (unsigned char)(128 | (--ofs & 127));
	}
	memset(&zs, 0, sizeof(zs));
	if (deflateInit(&zs, Z_DEFAULT_COMPRESSION) != Z_OK)
		return err_set(C2C_ENOMEM, "starting zlib");
	uLong bound = deflateBound(&zs, (uLong)len);
	z->len = 0;
	if (bound > z->cap) {
		unsigned char *x = realloc(z->p, bound);
		if (!x) {
			deflateEnd(&zs);
			return ERR_OOM();
		}
		z->p = x;
		z->cap = bound;
	}
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = z->p;
	zs.avail_out = (uInt)z->cap;
	int zrc = deflate(&zs, Z_FINISH);
	size_t zlen = zs.total_out;
	deflateEnd(&zs);
	if (zrc != Z_STREAM_END)
		return err_set(C2C_EFAIL, "compressing an object failed");
	if ((err = pktline_put(c, hdr, h)) < 0 || (type == OBJ_REF_DELTA && (err = pktline_put(c, base->id, GIT_OID_RAWSZ)) < 0) ||
	    (type == OBJ_OFS_DELTA && (err = pktline_put(c, oh + ol, sizeof(oh) - ol)) < 0) || (err = pktline_put(c, z->p, zlen)) < 0)
		return err;
	return 0;
}

/* An earlier object of the pack, kept as a delta base for the next ones. */
typedef struct {
	git_odb_object *o;
	uint64_t pos; /* where its entry starts in the pack */
	int depth;    /* deltas between it and a whole object */
} recent;

/* Siblings are together in the walk's order: one of the last WINDOW
 * objects of a kind is tried as the base of the next. */
int pushpack_send(pktline_conn *c, git_odb *odb, const pushpack_objs *o, int thin, int ofs_ok,
                  const c2c_progress *progress, size_t *deltas)
{
	unsigned char hdr[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
	buf z = {0}, d = {0}, best = {0};
	recent win[2][WINDOW];
	size_t nwin[2] = {0, 0};
	int err = 0, rc;
	memset(win, 0, sizeof(win));
	hdr[8] = (unsigned char)(o->n >> 24);
	hdr[9] = (unsigned char)(o->n >> 16);
	hdr[10] = (unsigned char)(o->n >> 8);
	hdr[11] = (unsigned char)o->n;
	*deltas = 0;
	if ((err = pktline_pack_begin(c)) < 0 || (err = pktline_put(c, hdr, sizeof(hdr))) < 0)
		goto done;
	for (size_t i = 0; i < o->n && err == 0; i++) {
		git_odb_object *obj_ = NULL, *base = NULL;
		if ((rc = git_odb_read(&obj_, odb, &o->v[i].id)) < 0) {
			err = err_git(rc, "reading an object to push");
			break;
		}
		const unsigned char *data = git_odb_object_data(obj_);
		size_t len = git_odb_object_size(obj_), limit = len / 2;
		git_object_t type = git_odb_object_type(obj_);
		int k = type == GIT_OBJECT_BLOB ? 0 : type == GIT_OBJECT_TREE ? 1 : -1, depth = 0, from = -1;
		uint64_t pos = c->packpos;
		const git_oid *ref_base = NULL;
		if (k >= 0 && thin && !git_oid_is_zero(&o->v[i].base) && git_odb_read(&base, odb, &o->v[i].base) == 0 &&
		    git_odb_object_type(base) == type &&
		    (err = delta_make(&d, git_odb_object_data(base), git_odb_object_size(base), data, len)) == 0 &&
		    d.len + GIT_OID_RAWSZ < limit) {
			limit = d.len + GIT_OID_RAWSZ;
			ref_base = &o->v[i].base;
			buf_swap(&d, &best);
		}
		/* Big objects (a bucket tree of a large node) try one sibling. */
		for (size_t w = 0; err == 0 && k >= 0 && w < nwin[k] && w < WINDOW && (w == 0 || len < 16384); w++) {
			recent *r = &win[k][(nwin[k] - 1 - w) % WINDOW];
			if (r->depth >= 32)
				continue;
			if ((err = delta_make(&d, git_odb_object_data(r->o), git_odb_object_size(r->o), data, len)) == 0 &&
			    d.len + 4 < limit) {
				limit = d.len + 4;
				from = (int)((nwin[k] - 1 - w) % WINDOW);
				ref_base = NULL;
				depth = r->depth + 1;
				buf_swap(&d, &best);
			}
		}
		git_error_clear();
		if (err == 0 && from >= 0 && ofs_ok) {
			err = put_entry(c, &z, OBJ_OFS_DELTA, best.p, best.len, NULL, pos - win[k][from].pos);
			(*deltas)++;
		} else if (err == 0 && from >= 0) {
			err = put_entry(c, &z, OBJ_REF_DELTA, best.p, best.len, git_odb_object_id(win[k][from].o), 0);
			(*deltas)++;
		} else if (err == 0 && ref_base) {
			err = put_entry(c, &z, OBJ_REF_DELTA, best.p, best.len, ref_base, 0);
			(*deltas)++;
		} else if (err == 0) {
			err = put_entry(c, &z, (int)type, data, len, NULL, 0);
		}
		git_odb_object_free(base);
		progress_report(progress, N_("sending objects"), i + 1, o->n);
		if (k >= 0) {
			recent *r = &win[k][nwin[k] % WINDOW];
			git_odb_object_free(r->o);
			r->o = obj_;
			r->pos = pos;
			r->depth = depth;
			nwin[k]++;
		} else {
			git_odb_object_free(obj_);
		}
	}
	if (err == 0)
		err = pktline_pack_end(c, 1);
done:
	for (int k = 0; k < 2; k++)
		for (size_t w = 0; w < WINDOW; w++)
			git_odb_object_free(win[k][w].o);
	pktline_pack_end(c, 0);
	free(z.p);
	free(d.p);
	free(best.p);
	return err;
}

typedef struct {
	pushpack_objs *o;
	const oid_list *hub;
} walk_ctx;

static int hub_has(const git_oid *commit, void *payload) { return oid_list_has(((walk_ctx *)payload)->hub, commit); }

static int walk_add(const git_oid *id, const git_oid *base, void *payload)
{
	return pushpack_add(id, base, ((walk_ctx *)payload)->o);
}

int pushpack_walk(git_repository *r, const git_oid *new_, oid_list *hub, pushpack_objs *o, size_t *commits)
{
	walk_ctx w = {o, hub};
	oid_list_sort(hub);
	return repo_pack_sparse(r, new_, 1, NULL, 0, hub_has, walk_add, &w, commits);
}
