/* mhd_load: libmicrohttpd, loaded when the web interface first needs it.
 *
 * Only `c2c ui` serves HTTP, but a library the executable is linked with is
 * mapped and relocated at every start: libmicrohttpd brings GnuTLS and its
 * nine dependencies, whose loading and constructors cost about half of a
 * short command's start-up (c2c merge-tree, status, a sync by path). So c2c
 * is not linked with it: the functions node/ui.c calls are defined here,
 * with libmicrohttpd's own prototypes, and each calls the library's through
 * a pointer resolved on first use. A web interface that needs a function
 * not listed here fails to link, which names it: add it below. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <microhttpd.h>

#define MHD_SONAME "libmicrohttpd.so.12"

static void *mhd_handle(void)
{
	static void *h;
	if (!h && !(h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL)))
		fprintf(stderr, "c2c: error: the web interface needs %s (Debian: libmicrohttpd12): %s\n", MHD_SONAME,
		        dlerror());
	return h;
}

/* The library's NAME, or NULL (said once on stderr) if it cannot be loaded. */
static void *mhd_sym(const char *name)
{
	void *h = mhd_handle(), *f = h ? dlsym(h, name) : NULL;
	if (h && !f)
		fprintf(stderr, "c2c: error: %s has no %s\n", MHD_SONAME, name);
	return f;
}

/* Declares the pointer P of type T to the library's NAME, resolved once. */
#define MHD_FN(T, p, name)                                                                                             \
	static T p;                                                                                                    \
	if (!p)                                                                                                        \
		*(void **)&p = mhd_sym(name)

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                                    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	typedef struct MHD_Daemon *(*fn_t)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
	                                   MHD_AccessHandlerCallback, void *, va_list);
	MHD_FN(fn_t, f, "MHD_start_daemon_va");
	if (!f)
		return NULL;
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = f(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	typedef void (*fn_t)(struct MHD_Daemon *);
	MHD_FN(fn_t, f, "MHD_stop_daemon");
	if (f)
		f(daemon);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
	typedef enum MHD_Result (*fn_t)(struct MHD_Response *, const char *, const char *);
	MHD_FN(fn_t, f, "MHD_add_response_header");
	return f ? f(response, header, content) : MHD_NO;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
	typedef enum MHD_Result (*fn_t)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	MHD_FN(fn_t, f, "MHD_queue_response");
	return f ? f(connection, status_code, response) : MHD_NO;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	typedef const char *(*fn_t)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
	MHD_FN(fn_t, f, "MHD_lookup_connection_value");
	return f ? f(connection, kind, key) : NULL;
}

int MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                              MHD_KeyValueIterator iterator, void *iterator_cls)
{
	typedef int (*fn_t)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator, void *);
	MHD_FN(fn_t, f, "MHD_get_connection_values");
	return f ? f(connection, kind, iterator, iterator_cls) : -1;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	typedef struct MHD_Response *(*fn_t)(size_t, void *, enum MHD_ResponseMemoryMode);
	MHD_FN(fn_t, f, "MHD_create_response_from_buffer");
	return f ? f(size, buffer, mode) : NULL;
}

void MHD_destroy_response(struct MHD_Response *response)
{
	typedef void (*fn_t)(struct MHD_Response *);
	MHD_FN(fn_t, f, "MHD_destroy_response");
	if (f)
		f(response);
}

struct MHD_PostProcessor *MHD_create_post_processor(struct MHD_Connection *connection, size_t buffer_size,
                                                    MHD_PostDataIterator iter, void *iter_cls)
{
	typedef struct MHD_PostProcessor *(*fn_t)(struct MHD_Connection *, size_t, MHD_PostDataIterator, void *);
	MHD_FN(fn_t, f, "MHD_create_post_processor");
	return f ? f(connection, buffer_size, iter, iter_cls) : NULL;
}

enum MHD_Result MHD_post_process(struct MHD_PostProcessor *pp, const char *post_data, size_t post_data_len)
{
	typedef enum MHD_Result (*fn_t)(struct MHD_PostProcessor *, const char *, size_t);
	MHD_FN(fn_t, f, "MHD_post_process");
	return f ? f(pp, post_data, post_data_len) : MHD_NO;
}

enum MHD_Result MHD_destroy_post_processor(struct MHD_PostProcessor *pp)
{
	typedef enum MHD_Result (*fn_t)(struct MHD_PostProcessor *);
	MHD_FN(fn_t, f, "MHD_destroy_post_processor");
	return f ? f(pp) : MHD_NO;
}
