/* ui_session: the session table of the web interface's server, and the
 * secrets it is made of. */
#include "c2c/ui_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "c2c/err.h"

int ui_random_hex(char *out, size_t nbytes)
{
	unsigned char b[32];
	size_t got = 0;
	if (nbytes > sizeof(b))
		nbytes = sizeof(b);
	while (got < nbytes) {
		ssize_t k = getrandom(b + got, nbytes - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return err_errno(C2C_EIO, "getrandom");
		}
		got += (size_t)k;
	}
	for (size_t i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	return 0;
}

int ui_secret_eq(const char *a, const char *b)
{
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	unsigned char d = la != lb || !la;
	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

ui_session *ui_session_find(ui_sessions *t, const char *id)
{
	if (!id)
		return NULL;
	for (int i = 0; i < UI_MAX_SESSIONS; i++)
		if (t->v[i].used && ui_secret_eq(t->v[i].id, id))
			return &t->v[i];
	return NULL;
}

ui_session *ui_session_new(ui_sessions *t)
{
	ui_session *x = NULL;
	for (int i = 0; i < UI_MAX_SESSIONS && !x; i++)
		if (!t->v[i].used)
			x = &t->v[i];
	if (!x)
		x = &t->v[t->next++ % UI_MAX_SESSIONS];
	free(x->upload);
	memset(x, 0, sizeof(*x));
	if (ui_random_hex(x->id, 32) < 0 || ui_random_hex(x->csrf, 32) < 0)
		return NULL;
	x->used = 1;
	return x;
}

void ui_sessions_free(ui_sessions *t)
{
	for (int i = 0; i < UI_MAX_SESSIONS; i++) {
		free(t->v[i].upload);
		t->v[i].upload = NULL;
	}
}

/* ------------------------------------------- the upload of an import */
int ui_session_keep_upload(ui_req *r, const char *table, const char *data, size_t len)
{
	ui_session *x = r->session;
	char *copy = malloc(len + 1);
	CHECK_ALLOC(copy);
	memcpy(copy, data, len);
	copy[len] = '\0';
	free(x->upload);
	x->upload = copy;
	x->upload_len = len;
	snprintf(x->upload_table, sizeof(x->upload_table), "%s", table);
	return 0;
}

const char *ui_session_upload(ui_req *r, const char *table, size_t *len)
{
	ui_session *x = r->session;
	if (!x->upload || strcmp(x->upload_table, table))
		return NULL;
	*len = x->upload_len;
	return x->upload;
}

void ui_session_drop_upload(ui_req *r)
{
	free(r->session->upload);
	r->session->upload = NULL;
	r->session->upload_len = 0;
	r->session->upload_table[0] = '\0';
}
