/* Fuzz target: the checks of an incoming commit (node/incoming.c), on a tree
 * made from the input.
 *
 * The input is a list of entries, each:
 *   1 byte   the mode: 0 tree-of-a-blob (a tree entry naming a blob),
 *            1 plain file, 2 executable, 3 symbolic link, 4 submodule,
 *            anything else a plain file
 *   1 byte   L, the length of the path
 *   L bytes  the path; '/' separates the names of nested trees, and any
 *            other byte (".", "..", ".git", control bytes) goes into a name
 *            as it is
 *   2 bytes  N, the length of the content (big-endian)
 *   N bytes  the file's content
 * Each entry replaces, or adds, its path in the tree at the node's head;
 * the trees are written as raw objects (no name checks on the way in), so
 * the checks see what a hostile peer could send. The tree is committed on
 * top of the head, signed by the node's key and naming the node (as from a
 * node before any office key is known), and incoming_check runs on it: the
 * names, modes, sizes, namespaces and record files of the change. Objects
 * go to an in-memory backend, emptied after each input. */
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_tree.h"
#include "c2c/incoming.h"
#include "fuzz_node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
	const char *path; /* into the input: not NUL-terminated */
	size_t plen;
	unsigned mode;
	git_oid blob;
} fentry;


/* Write a tree: BASE's entries (BASE may be NULL), with the input entries
 * E[0..n) (their paths relative to this tree) put in. */
static int build(git_repository *r, git_odb *odb, const git_tree *base, fentry *e, size_t n, git_oid *out,
                 int depth)
{
	tentry *t = NULL;
	size_t nt = 0, cap = (base ? git_tree_entrycount(base) : 0) + n + 1;
	char *buf = NULL;
	size_t blen = 0;
	int err = -1;
	if (depth > 16 || !(t = calloc(cap, sizeof(*t))))
		goto done;
	for (size_t i = 0; base && i < git_tree_entrycount(base); i++) {
		const git_tree_entry *be = git_tree_entry_byindex(base, i);
		snprintf(t[nt].name, sizeof(t[nt].name), "%s", git_tree_entry_name(be));
		t[nt].mode = git_tree_entry_filemode(be);
		t[nt++].id = *git_tree_entry_id(be);
	}
	for (size_t i = 0; i < n; i++) {
		if (!e[i].path)
			continue; /* taken with an earlier entry of the same subtree */
		const char *slash = memchr(e[i].path, '/', e[i].plen);
		size_t nl = slash ? (size_t)(slash - e[i].path) : e[i].plen;
		char name[256];
		if (nl == 0 || nl >= sizeof(name) || memchr(e[i].path, '\0', nl))
			continue;
		memcpy(name, e[i].path, nl);
		name[nl] = '\0';
		size_t k;
		for (k = 0; k < nt && strcmp(t[k].name, name); k++)
			;
		if (k == nt) {
			memcpy(t[nt].name, name, nl + 1);
			t[nt].mode = 0;
			nt++;
		}
		if (!slash) {
			t[k].mode = e[i].mode;
			t[k].id = e[i].blob;
			continue;
		}
		/* Every entry under NAME/, at once, into the subtree. */
		fentry *sub = calloc(n, sizeof(*sub));
		size_t ns = 0;
		if (!sub)
			goto done;
		for (size_t j = i; j < n; j++) {
			if (!e[j].path || e[j].plen <= nl || memcmp(e[j].path, name, nl) || e[j].path[nl] != '/')
				continue;
			sub[ns] = e[j];
			sub[ns].path += nl + 1;
			sub[ns++].plen -= nl + 1;
			e[j].path = NULL;
		}
		git_tree *sb = NULL;
		if (t[k].mode == 040000)
			git_tree_lookup(&sb, r, &t[k].id);
		err = build(r, odb, sb, sub, ns, &t[k].id, depth + 1);
		git_tree_free(sb);
		free(sub);
		if (err < 0)
			goto done;
		t[k].mode = 040000;
		err = -1;
	}
	qsort(t, nt, sizeof(*t), tentry_cmp);
	if (!(buf = malloc(nt * (8 + 256 + GIT_OID_RAWSZ) + 1)))
		goto done;
	for (size_t i = 0; i < nt; i++) {
		blen += (size_t)sprintf(buf + blen, "%o %s", t[i].mode, t[i].name) + 1;
		memcpy(buf + blen, t[i].id.id, GIT_OID_RAWSZ);
		blen += GIT_OID_RAWSZ;
	}
	err = git_odb_write(out, odb, buf, blen, GIT_OBJECT_TREE);
done:
	free(t);
	free(buf);
	return err;
}

/* The in-memory backend, with what it reads NUL-terminated as the loose and
 * pack backends give it (libgit2 1.5.1's git_commit_extract_signature runs
 * strlen over the raw commit). */
typedef struct {
	git_odb_backend parent;
	git_odb_backend *mem;
} nul_backend;

static int nul_read(void **out, size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	git_odb_backend *mem = ((nul_backend *)b)->mem;
	void *raw = NULL;
	int rc = mem->read(&raw, len, type, mem, id);
	if (rc < 0)
		return rc;
	char *copy = git_odb_backend_data_alloc(b, *len + 1);
	if (!copy) {
		git_odb_backend_data_free(mem, raw);
		return -1;
	}
	memcpy(copy, raw, *len);
	copy[*len] = '\0';
	git_odb_backend_data_free(mem, raw);
	*out = copy;
	return 0;
}

static int nul_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	git_odb_backend *mem = ((nul_backend *)b)->mem;
	return mem->read_header(len, type, mem, id);
}

static int nul_write(git_odb_backend *b, const git_oid *id, const void *data, size_t len, git_object_t type)
{
	git_odb_backend *mem = ((nul_backend *)b)->mem;
	return mem->write(mem, id, data, len, type);
}

static int nul_exists(git_odb_backend *b, const git_oid *id)
{
	git_odb_backend *mem = ((nul_backend *)b)->mem;
	return mem->exists(mem, id);
}

static void nul_free(git_odb_backend *b)
{
	git_odb_backend *mem = ((nul_backend *)b)->mem;
	mem->free(mem);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static git_odb_backend *mem;
	static const unsigned modes[] = {040000, 0100644, 0100755, 0120000, 0160000};
	c2c_node *n = fuzz_node();
	git_odb *odb = NULL;
	git_commit *head = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	const keys_signer *signer = NULL;
	fentry *e = NULL;
	size_t ne = 0;
	git_oid root, commit;
	char msg[256];
	if (git_repository_odb(&odb, n->repo) < 0)
		abort();
	if (!mem) {
		nul_backend *nb = calloc(1, sizeof(*nb));
		if (!nb || git_mempack_new(&mem) < 0)
			abort();
		nb->parent.version = GIT_ODB_BACKEND_VERSION;
		nb->parent.read = nul_read;
		nb->parent.read_header = nul_header;
		nb->parent.write = nul_write;
		nb->parent.exists = nul_exists;
		nb->parent.free = nul_free;
		nb->mem = mem;
		mem->odb = odb;
		if (git_odb_add_backend(odb, &nb->parent, 1000) < 0)
			abort();
	}
	if (!(e = calloc(size / 4 + 1, sizeof(*e))))
		goto done;
	for (size_t i = 0; i + 4 <= size;) {
		unsigned mode = data[i] < 5 ? modes[data[i]] : 0100644;
		size_t pl = data[i + 1];
		if (i + 2 + pl + 2 > size)
			break;
		const char *p = (const char *)data + i + 2;
		size_t cl = (size_t)data[i + 2 + pl] << 8 | data[i + 3 + pl];
		size_t at = i + 4 + pl;
		if (at + cl > size)
			cl = size - at;
		e[ne].path = p;
		e[ne].plen = pl;
		e[ne].mode = mode;
		if (git_odb_write(&e[ne].blob, odb, data + at, cl, GIT_OBJECT_BLOB) < 0)
			goto done;
		ne++;
		i = at + cl;
	}
	if (git_commit_lookup(&head, n->repo, &n->head) < 0 || git_commit_tree(&base, head) < 0 ||
	    build(n->repo, odb, base, e, ne, &root, 0) < 0 || git_tree_lookup(&tree, n->repo, &root) < 0)
		goto done;
	snprintf(msg, sizeof(msg), "fuzz\n\nC2C-Node: %s\n", n->node_id);
	if (node_signer(n, &signer) < 0 || git_signature_new(&sig, "fuzz", "fuzz@c2c.invalid", 1700000000, 0) < 0 ||
	    repo_commit_write(n->repo, signer, sig, sig, msg, tree, 1, (const git_commit **)&head, &commit) < 0)
		goto done;
	int rc = incoming_check(n, NULL, "fuzz", &commit);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "incoming_check: %d %s\n", rc, rc ? err_msg() : "");
done:
	err_clear();
	git_error_clear();
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(head);
	git_odb_free(odb);
	free(e);
	git_mempack_reset(mem);
	return 0;
}
