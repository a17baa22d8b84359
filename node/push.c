/* push: c2c's own send-pack, for a hub over ssh or by path (include/c2c/push.h). */
#include "c2c/push.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "c2c/err.h"
#include "c2c/keys.h"
#include "c2c/repo.h"
#include "c2c/sync.h"
#include "c2c/transport.h"

#define OBJ_OFS_DELTA 6
#define OBJ_REF_DELTA 7
#define WINDOW 10 /* earlier objects of a kind tried as delta bases */

/* ------------------------------------------------------------- pkt-lines */

typedef struct {
	transport_channel *ch;
	char in[65536];
	size_t off, len;
	/* output: buffered, with the pack's running SHA-1 while it is sent */
	unsigned char out[65536];
	size_t olen;
	EVP_MD_CTX *sha;
	uint64_t packpos; /* bytes of the pack sent so far */
} conn;

static int fill(conn *c, size_t want)
{
	if (c->off && c->len - c->off < want) {
		memmove(c->in, c->in + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	while (c->len - c->off < want) {
		size_t n = 0;
		int err = transport_channel_read(c->ch, c->in + c->len, sizeof(c->in) - c->len, &n);
		if (err < 0)
			return err;
		if (n == 0) /* a cut link looks the same: retried like one */
			return err_set(C2C_EIO, "the connection ended before the hub's receive-pack had answered");
		c->len += n;
	}
	return 0;
}

/* One pkt-line into LINE (NUL-terminated, the final LF dropped); *FLUSH
 * set for "0000". */
static int read_pkt(conn *c, char *line, size_t cap, size_t *len, int *flush)
{
	char hex[5];
	unsigned long n;
	int err;
	if ((err = fill(c, 4)) < 0)
		return err;
	memcpy(hex, c->in + c->off, 4);
	hex[4] = '\0';
	char *end;
	n = strtoul(hex, &end, 16);
	if (*end || (n != 0 && (n < 4 || n - 4 >= cap)))
		return err_set(C2C_EFAIL, "the hub sent a malformed pkt-line ('%.4s')", hex);
	c->off += 4;
	*flush = n == 0;
	*len = 0;
	if (n == 0) {
		line[0] = '\0';
		return 0;
	}
	n -= 4;
	if ((err = fill(c, n)) < 0)
		return err;
	memcpy(line, c->in + c->off, n);
	c->off += n;
	if (n && line[n - 1] == '\n')
		n--;
	line[n] = '\0';
	*len = n;
	return 0;
}

static int flush_out(conn *c)
{
	int err = c->olen ? transport_channel_write(c->ch, c->out, c->olen) : 0;
	c->olen = 0;
	return err;
}

static int put(conn *c, const void *d, size_t n)
{
	const unsigned char *p = d;
	int err;
	if (c->sha) {
		EVP_DigestUpdate(c->sha, p, n);
		c->packpos += n;
	}
	while (n) {
		size_t k = sizeof(c->out) - c->olen < n ? sizeof(c->out) - c->olen : n;
		memcpy(c->out + c->olen, p, k);
		c->olen += k;
		p += k;
		n -= k;
		if (c->olen == sizeof(c->out) && (err = flush_out(c)) < 0)
			return err;
	}
	return 0;
}

static int put_pkt(conn *c, const char *s, size_t n)
{
	char hdr[5];
	snprintf(hdr, sizeof(hdr), "%04zx", n + 4);
	int err = put(c, hdr, 4);
	return err < 0 ? err : put(c, s, n);
}

/* ---------------------------------------------------------------- deltas */

typedef repo_buf buf;

static void buf_swap(buf *a, buf *b)
{
	buf t = *a;
	*a = *b;
	*b = t;
}

static int put_size(buf *b, size_t v)
{
	unsigned char x[10];
	size_t n = 0;
	do {
		x[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			x[n] |= 0x80;
		n++;
	} while (v);
	return repo_buf_put(b, x, n);
}

static int put_copy(buf *b, size_t off, size_t len)
{
	while (len) {
		size_t k = len > 0xffff ? 0xffff : len;
		unsigned char x[8];
		size_t n = 1;
		x[0] = 0x80;
		for (int i = 0; i < 4; i++)
			if ((off >> (8 * i)) & 0xff) {
				x[0] |= (unsigned char)(1 << i);
				x[n++] = (unsigned char)((off >> (8 * i)) & 0xff);
			}
		for (int i = 0; i < 2; i++)
			if ((k >> (8 * i)) & 0xff) {
				x[0] |= (unsigned char)(0x10 << i);
				x[n++] = (unsigned char)((k >> (8 * i)) & 0xff);
			}
		int err = repo_buf_put(b, x, n);
		if (err < 0)
			return err;
		off += k;
		len -= k;
	}
	return 0;
}

static int put_insert(buf *b, const unsigned char *d, size_t len)
{
	while (len) {
		unsigned char k = (unsigned char)(len > 0x7f ? 0x7f : len);
		int err;
		if ((err = repo_buf_put(b, &k, 1)) < 0 || (err = repo_buf_put(b, d, k)) < 0)
			return err;
		d += k;
		len -= k;
	}
	return 0;
}

/* A git delta (gitformat-pack(5)) turning BASE into T. BASE is indexed by
 * its 16-byte blocks; T is scanned for them, each match extended both ways
 * and copied, the rest inserted: a record or bucket against its parent's
 * version, or a new record against a sibling, share most of their lines. */
#define DBLOCK 16

static uint32_t block_hash(const unsigned char *p)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < DBLOCK; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static int make_delta(buf *out, const unsigned char *base, size_t bl, const unsigned char *t, size_t tl)
{
	size_t nb = bl / DBLOCK, cap = 64, ins = 0, j = 0;
	uint32_t *slot = NULL;
	int err;
	while (cap < nb * 2)
		cap *= 2;
	if (!(slot = malloc(cap * sizeof(*slot))))
		return err_set(C2C_ENOMEM, "out of memory");
	memset(slot, 0xff, cap * sizeof(*slot));
	for (size_t b = 0; b < nb; b++) {
		size_t k = block_hash(base + b * DBLOCK) & (cap - 1);
		while (slot[k] != UINT32_MAX)
			k = (k + 1) & (cap - 1);
		slot[k] = (uint32_t)(b * DBLOCK);
	}
	out->len = 0;
	if ((err = put_size(out, bl)) < 0 || (err = put_size(out, tl)) < 0)
		goto done;
	while (j + DBLOCK <= tl) {
		size_t k = block_hash(t + j) & (cap - 1), best = 0, boff = 0, bback = 0;
		for (int probes = 0; slot[k] != UINT32_MAX && probes < 8; k = (k + 1) & (cap - 1), probes++) {
			size_t o = slot[k], len = 0, back = 0;
			while (o + len < bl && j + len < tl && base[o + len] == t[j + len])
				len++;
			if (len < DBLOCK)
				continue;
			while (back < o && back < j - ins && base[o - back - 1] == t[j - back - 1])
				back++;
			if (len + back > best) {
				best = len + back;
				boff = o - back;
				bback = back;
			}
		}
		if (best < DBLOCK) {
			j++;
			continue;
		}
		if ((err = put_insert(out, t + ins, j - bback - ins)) < 0 || (err = put_copy(out, boff, best)) < 0)
			goto done;
		j = j - bback + best;
		ins = j;
	}
	err = put_insert(out, t + ins, tl - ins);
done:
	free(slot);
	return err;
}

int push_make_delta(repo_buf *out, const unsigned char *base, size_t bl, const unsigned char *t, size_t tl)
{
	return make_delta(out, base, bl, t, tl);
}

/* --------------------------------------------------------------- the pack */

typedef struct {
	git_oid id, base; /* base zero: none */
	size_t order;     /* in the walk: siblings next to each other */
} obj;

typedef struct {
	obj *v;
	size_t n, cap;
} objs;

static int add_obj(const git_oid *id, const git_oid *base, void *payload)
{
	objs *o = payload;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		obj *x = realloc(o->v, cap * sizeof(*x));
		if (!x)
			return err_set(C2C_ENOMEM, "out of memory");
		o->v = x;
		o->cap = cap;
	}
	memset(&o->v[o->n], 0, sizeof(obj));
	o->v[o->n].order = o->n;
	git_oid_cpy(&o->v[o->n].id, id);
	if (base)
		git_oid_cpy(&o->v[o->n].base, base);
	o->n++;
	return 0;
}

static int cmp_obj(const void *a, const void *b)
{
	const obj *x = a, *y = b;
	int c = git_oid_cmp(&x->id, &y->id);
	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_order(const void *a, const void *b)
{
	const obj *x = a, *y = b;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Each object once (where it first came: its delta base kept), in the
 * walk's order. */
static void objs_unique(objs *o)
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
static int put_entry(conn *c, buf *z, int type, const unsigned char *data, size_t len, const git_oid *base,
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
			return err_set(C2C_ENOMEM, "out of memory");
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
	if ((err = put(c, hdr, h)) < 0 || (type == OBJ_REF_DELTA && (err = put(c, base->id, GIT_OID_RAWSZ)) < 0) ||
	    (type == OBJ_OFS_DELTA && (err = put(c, oh + ol, sizeof(oh) - ol)) < 0) || (err = put(c, z->p, zlen)) < 0)
		return err;
	return 0;
}

/* An earlier object of the pack, kept as a delta base for the next ones. */
typedef struct {
	git_odb_object *o;
	uint64_t pos; /* where its entry starts in the pack */
	int depth;    /* deltas between it and a whole object */
} recent;

/* Send the pack of O's objects (unique, in the walk's order: siblings
 * together). A tree or record goes as the smallest delta found against
 * its version in the parent (which the hub holds: REF_DELTA, where THIN)
 * or one of the last WINDOW objects of its kind in the pack (OFS_DELTA
 * where the hub reads them, else REF_DELTA), if that is under half its
 * size; else whole. */
static int send_pack(conn *c, git_odb *odb, const objs *o, int thin, int ofs_ok, push_stats *st)
{
	unsigned char hdr[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2}, sum[EVP_MAX_MD_SIZE];
	unsigned int sumlen = 0;
	buf z = {0}, d = {0}, best = {0};
	recent win[2][WINDOW];
	size_t nwin[2] = {0, 0};
	int err = 0, rc;
	memset(win, 0, sizeof(win));
	hdr[8] = (unsigned char)(o->n >> 24);
	hdr[9] = (unsigned char)(o->n >> 16);
	hdr[10] = (unsigned char)(o->n >> 8);
	hdr[11] = (unsigned char)o->n;
	c->packpos = 0;
	if (!(c->sha = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(c->sha, EVP_sha1(), NULL)) {
		err = err_set(C2C_ENOMEM, "starting a pack checksum");
		goto done;
	}
	if ((err = put(c, hdr, sizeof(hdr))) < 0)
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
		    (err = make_delta(&d, git_odb_object_data(base), git_odb_object_size(base), data, len)) == 0 &&
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
			if ((err = make_delta(&d, git_odb_object_data(r->o), git_odb_object_size(r->o), data, len)) == 0 &&
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
			st->deltas++;
		} else if (err == 0 && from >= 0) {
			err = put_entry(c, &z, OBJ_REF_DELTA, best.p, best.len, git_odb_object_id(win[k][from].o), 0);
			st->deltas++;
		} else if (err == 0 && ref_base) {
			err = put_entry(c, &z, OBJ_REF_DELTA, best.p, best.len, ref_base, 0);
			st->deltas++;
		} else if (err == 0) {
			err = put_entry(c, &z, (int)type, data, len, NULL, 0);
		}
		git_odb_object_free(base);
		sync_progress("sending objects", i + 1, o->n);
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
	if (err == 0) {
		EVP_DigestFinal_ex(c->sha, sum, &sumlen);
		EVP_MD_CTX_free(c->sha);
		c->sha = NULL;
		err = put(c, sum, sumlen);
	}
done:
	for (int k = 0; k < 2; k++)
		for (size_t w = 0; w < WINDOW; w++)
			git_odb_object_free(win[k][w].o);
	EVP_MD_CTX_free(c->sha);
	c->sha = NULL;
	free(z.p);
	free(d.p);
	free(best.p);
	return err;
}

/* -------------------------------------------------------------- the push */

/* Append ID to the hub's tips. */
static int tips_add(git_oid **v, size_t *n, const git_oid *id)
{
	git_oid *x = realloc(*v, (*n + 1) * sizeof(**v));
	if (!x)
		return err_set(C2C_ENOMEM, "out of memory");
	*v = x;
	x[(*n)++] = *id;
	return 0;
}

/* The hub's checks refuse a commit whose signer the office has not
 * registered (incoming.c says "which the office has not registered"): a
 * new node's first push, before the office has added it. Only this node
 * knows where its key is: say what to send, and to whom. */
static void unregistered_hint(const c2c_node *n, const char *said)
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

int push_thin(c2c_node *n, const char *url, const char *ref, const git_oid *new_, push_stats *stats)
{
	conn *c = calloc(1, sizeof(*c));
	char line[4096], caps[1024] = "", old_hex[GIT_OID_HEXSZ + 1], new_hex[GIT_OID_HEXSZ + 1];
	git_oid old, *tips = NULL;
	size_t ntips = 0, len = 0, commits = 0;
	objs o = {0};
	git_odb *odb = NULL;
	push_stats st = {0};
	int err, flush = 0, first = 1, unpack_ok = 0, ref_ok = 0;
	char ng[512] = "";
	if (!c)
		return err_set(C2C_ENOMEM, "out of memory");
	git_oid_fromstr(&old, "0000000000000000000000000000000000000000");
	if ((err = transport_channel_open(&c->ch, url, "git-receive-pack", n->node_id)) < 0)
		goto done;
	/* The hub's refs: "<oid> <name>", capabilities after a NUL on the first. */
	for (;;) {
		git_oid id;
		if ((err = read_pkt(c, line, sizeof(line), &len, &flush)) < 0)
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
		if ((err = tips_add(&tips, &ntips, &id)) < 0)
			goto done;
	}
	if (!strstr(caps, "report-status")) {
		err = err_set(C2C_EFAIL, "the hub's receive-pack does not report the status of a push");
		goto done;
	}
	/* What the hub lacks, each object once (a delta base kept). */
	if ((err = git_repository_odb(&odb, n->repo)) < 0) {
		err = err_git(err, "opening the object database");
		goto done;
	}
	if ((err = repo_pack_sparse(n->repo, new_, 1, tips, ntips, NULL, add_obj, &o, &commits)) < 0)
		goto done;
	objs_unique(&o);
	/* The command, then the pack (empty when the hub has every object). */
	git_oid_tostr(old_hex, sizeof(old_hex), &old);
	git_oid_tostr(new_hex, sizeof(new_hex), new_);
	int ofs = strstr(caps, "ofs-delta") != NULL;
	len = (size_t)snprintf(line, sizeof(line), "%s %s %s%c report-status%s agent=c2c\n", old_hex, new_hex, ref, '\0',
	                       ofs ? " ofs-delta" : "");
	if ((err = put_pkt(c, line, len)) < 0 || (err = put(c, "0000", 4)) < 0)
		goto done;
	if ((err = send_pack(c, odb, &o, !strstr(caps, "no-thin"), ofs, &st)) < 0 || (err = flush_out(c)) < 0)
		goto done;
	/* receive-pack's report: "unpack ok", then "ok REF" or "ng REF why". */
	for (;;) {
		if ((err = read_pkt(c, line, sizeof(line), &len, &flush)) < 0)
			goto done;
		if (flush)
			break;
		if (!strcmp(line, "unpack ok"))
			unpack_ok = 1;
		else if (!strncmp(line, "unpack ", 7))
			snprintf(ng, sizeof(ng), "%s: it could not unpack what was sent (%.400s)", ref, line + 7);
		else if (!strncmp(line, "ok ", 3) && !strcmp(line + 3, ref))
			ref_ok = 1;
		else if (!strncmp(line, "ng ", 3) && !ng[0])
			snprintf(ng, sizeof(ng), "%.500s", line + 3);
	}
	if (!unpack_ok || !ref_ok) {
		/* The hooks' messages (stderr) say why. */
		char msg[2048];
		size_t k = transport_channel_stderr(c->ch, msg, sizeof(msg));
		while (k && (msg[k - 1] == '\n' || msg[k - 1] == ' '))
			msg[--k] = '\0';
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		err = err_set(C2C_ECONFLICT, "the hub refused %s%s%s%s", ng[0] ? ng : ref, ng[0] ? "" : ": no report",
		              msg[0] ? "; it said: " : "", msg);
		unregistered_hint(n, msg);
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
	free(o.v);
	free(tips);
	free(c);
	return err;
}

/* ------------------------------------------------------ a hub by path */

/* The same code and the same checks as over ssh: only the channel differs
 * (a git receive-pack child instead of an ssh channel, transport.h). */
int push_local(c2c_node *n, const char *gitdir, const char *ref, const git_oid *new_, push_stats *stats)
{
	return push_thin(n, gitdir, ref, new_, stats);
}
