/* ui_params: the parameters of a request, as the server collects them and
 * as the pages read them. */
#include "c2c/ui_params.h"

#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/util.h"

int ui_params_add(ui_params *pp, const char *key, const char *val, size_t len, const char *filename)
{
	if (ARRAY_RESERVE(pp, pp->n + 1) < 0)
		return C2C_ENOMEM;
	ui_param *p = &pp->v[pp->n];
	memset(p, 0, sizeof(*p));
	p->key = strdup(key);
	p->val = malloc(len + 1);
	p->filename = filename ? strdup(filename) : NULL;
	if (!p->key || !p->val || (filename && !p->filename)) {
		free(p->key);
		free(p->val);
		free(p->filename);
		return ERR_OOM();
	}
	memcpy(p->val, val, len);
	p->val[len] = '\0';
	p->len = len;
	pp->n++;
	return 0;
}

int ui_params_extend_last(ui_params *pp, const char *data, size_t len)
{
	ui_param *p = &pp->v[pp->n - 1];
	char *nv = realloc(p->val, p->len + len + 1);
	CHECK_ALLOC(nv);
	memcpy(nv + p->len, data, len);
	p->len += len;
	nv[p->len] = '\0';
	p->val = nv;
	return 0;
}

void ui_params_free(ui_params *pp)
{
	for (size_t i = 0; i < pp->n; i++) {
		free(pp->v[i].key);
		free(pp->v[i].val);
		free(pp->v[i].filename);
	}
	ARRAY_FREE(pp);
}

const char *ui_params_find(const ui_param *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return v[i].val;
	return NULL;
}

const char *ui_get(const ui_req *r, const char *key)
{
	return ui_params_find(r->get, r->nget, key);
}

const char *ui_post(const ui_req *r, const char *key)
{
	return ui_params_find(r->post, r->npost, key);
}

const ui_param *ui_post_param(const ui_req *r, const char *key)
{
	for (size_t i = 0; i < r->npost; i++)
		if (!strcmp(r->post[i].key, key))
			return &r->post[i];
	return NULL;
}

char *ui_post_joined(const ui_req *r, const char *key)
{
	ui_buf b = {0};
	int first = 1;
	for (size_t i = 0; i < r->npost; i++) {
		if (strcmp(r->post[i].key, key) || !r->post[i].val[0])
			continue;
		if (!first)
			ui_buf_add(&b, ",", 1);
		ui_buf_add(&b, r->post[i].val, strlen(r->post[i].val));
		first = 0;
	}
	if (!b.p)
		return strdup("");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
