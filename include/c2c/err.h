/* Errors: one small set of codes, one message set where the error starts.
 *
 * Every function below the CLI returns int: 0 on success, one of the
 * negative C2C_E* codes on failure. The function that detects the failure
 * calls err_set() (or a bridge) once; callers pass the code up unchanged and
 * the CLI prints err_msg() and err_hint() at the top. Nothing below the CLI
 * exits the process. The state is per thread. */
#ifndef C2C_ERR_H
#define C2C_ERR_H

#include <stdarg.h>

enum {
	C2C_OK = 0,
	C2C_EFAIL = -1,     /* generic failure */
	C2C_ENOTFOUND = -2, /* a record, table, field, node or file does not exist */
	C2C_EINVALID = -3,  /* bad input: a value, id, CSV, record */
	C2C_ECONFLICT = -4, /* state disagrees: head moved, row changed behind our back */
	C2C_EAUTH = -5,
	C2C_ETIMEOUT = -6,
	C2C_ECORRUPT = -7, /* stored data is broken */
	C2C_EIO = -8,      /* the file system or a library's I/O failed */
	C2C_ELOCKED = -9,  /* another c2c command holds the node */
	C2C_ENOMEM = -10,
	C2C_EUSAGE = -11, /* wrong command line: exit status 2 */
	C2C_EVERSION = -12 /* data of a newer format than this program */
};

/* Set the message (printf-style) and return code; clears any hint. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_vset(int code, const char *fmt, va_list ap);
/* Set "what to do next" for the current error. Returns the current code. */
int err_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prefix the current message with context ("importing x.csv: "). */
int err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Bridges: turn a dependency's error into ours, with WHAT as context. */
int err_git(int git_rc, const char *what);
struct sqlite3;
int err_sqlite(struct sqlite3 *db, int sqlite_rc, const char *what);
int err_errno(int code, const char *what); /* uses errno */

const char *err_msg(void);  /* never NULL */
const char *err_hint_msg(void); /* NULL when none */
int err_code(void);
void err_clear(void);

/* Out of memory, said one way: return ERR_OOM(); or CHECK_ALLOC(p); */
#define ERR_OOM() err_set(C2C_ENOMEM, "out of memory")
#define CHECK_ALLOC(p)                                                                                       \
	do {                                                                                                     \
		if (!(p))                                                                                            \
			return ERR_OOM();                                                                                \
	} while (0)

/* Keep the current error across a cleanup that may set another (a
 * rollback, an unlock): err_save(&s); ...; return err_restore(&s); gives
 * back the first error and its code. */
typedef struct {
	int code;
	char msg[1024];
	char hint[512];
} err_state;
void err_save(err_state *s);
int err_restore(const err_state *s);

#endif
