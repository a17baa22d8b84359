#include "c2c/err.h"

#include <errno.h>
#include <git2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static _Thread_local err_state E;

void err_save(err_state *s)
{
	*s = E;
}

int err_restore(const err_state *s)
{
	E = *s;
	return E.code;
}

int err_vset(int code, const char *fmt, va_list ap)
{
	E.code = code;
	vsnprintf(E.msg, sizeof(E.msg), fmt, ap);
	E.hint[0] = '\0';
	return code;
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int err_hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(E.hint, sizeof(E.hint), fmt, ap);
	va_end(ap);
	return E.code;
}

int err_prefix(const char *fmt, ...)
{
	char pre[512], old[sizeof(E.msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, E.msg, sizeof(old));
	size_t a = strlen(pre), b = strlen(old);
	if (a > sizeof(E.msg) - 1)
		a = sizeof(E.msg) - 1;
	if (b > sizeof(E.msg) - 1 - a)
		b = sizeof(E.msg) - 1 - a;
	memcpy(E.msg, pre, a);
	memcpy(E.msg + a, old, b);
	E.msg[a + b] = '\0';
	return E.code;
}

int err_git(int rc, const char *what)
{
	const git_error *g = git_error_last();
	int code = C2C_EFAIL;
	if (rc == GIT_ENOTFOUND)
		code = C2C_ENOTFOUND;
	else if (rc == GIT_EMODIFIED || rc == GIT_ECONFLICT || rc == GIT_ELOCKED)
		code = C2C_ECONFLICT;
	else if (rc == GIT_EAUTH || rc == GIT_ECERTIFICATE)
		code = C2C_EAUTH;
	else if (g && (g->klass == GIT_ERROR_OS || g->klass == GIT_ERROR_FILESYSTEM))
		code = C2C_EIO;
	else if (g && g->klass == GIT_ERROR_NOMEMORY)
		code = C2C_ENOMEM;
	return err_set(code, "%s: %s", what, g && g->message ? g->message : "libgit2 error");
}

int err_sqlite(sqlite3 *db, int rc, const char *what)
{
	int code = C2C_EFAIL;
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		code = C2C_ENOMEM;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = C2C_ELOCKED;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		code = C2C_ECORRUPT;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_FULL:
	case SQLITE_READONLY:
		code = C2C_EIO;
		break;
	case SQLITE_CONSTRAINT:
		code = C2C_EINVALID;
		break;
	}
	return err_set(code, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

int err_errno(int code, const char *what)
{
	return err_set(code, "%s: %s", what, strerror(errno));
}

const char *err_msg(void) { return E.msg[0] ? E.msg : "unknown error"; }
const char *err_hint_msg(void) { return E.hint[0] ? E.hint : NULL; }
int err_code(void) { return E.code; }
void err_clear(void)
{
	E.code = 0;
	E.msg[0] = E.hint[0] = '\0';
}
