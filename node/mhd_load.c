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

#include "c2c/mhd_load.h"

#define MHD_SONAME "libmicrohttpd.so.12"

/* The library's functions, all resolved at once by the first call (the
 * daemon's start, on the main thread, before libmicrohttpd starts its own):
 * its thread only reads them. */
static struct {
	int tried, ok;
	struct MHD_Daemon *(*start_daemon_va)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
	                                      MHD_AccessHandlerCallback, void *, va_list);
	void (*stop_daemon)(struct MHD_Daemon *);
	enum MHD_Result (*add_response_header)(struct MHD_Response *, const char *, const char *);
	enum MHD_Result (*queue_response)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	const char *(*lookup_connection_value)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
	int (*get_connection_values)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator, void *);
	struct MHD_Response *(*create_response_from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
	void (*destroy_response)(struct MHD_Response *);
	struct MHD_PostProcessor *(*create_post_processor)(struct MHD_Connection *, size_t, MHD_PostDataIterator,
	                                                   void *);
	enum MHD_Result (*post_process)(struct MHD_PostProcessor *, const char *, size_t);
	enum MHD_Result (*destroy_post_processor)(struct MHD_PostProcessor *);
} mhd;

/* Why the library could not be loaded, for mhd_load_error(). */
static char why[512];

const char *mhd_load_error(void)
{
	return why[0] ? why : NULL;
}

/* Whether the library is loaded with every function above; why not is
 * kept for mhd_load_error(). */
static int mhd_load(void)
{
	if (mhd.tried)
		return mhd.ok;
	mhd.tried = 1;
	void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, sizeof(why), "the web interface needs %s (Debian: libmicrohttpd12): %s", MHD_SONAME,
		         dlerror());
		return 0;
	}
	static const char *const names[] = {
	    "MHD_start_daemon_va",         "MHD_stop_daemon",
	    "MHD_add_response_header",     "MHD_queue_response",
	    "MHD_lookup_connection_value", "MHD_get_connection_values",
	    "MHD_create_response_from_buffer", "MHD_destroy_response",
	    "MHD_create_post_processor",   "MHD_post_process",
	    "MHD_destroy_post_processor"};
	void *f[sizeof(names) / sizeof(names[0])];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!(f[i] = dlsym(h, names[i]))) {
			snprintf(why, sizeof(why), "%s has no %s", MHD_SONAME, names[i]);
			dlclose(h);
			return 0;
		}
	/* POSIX: a function pointer converts to and from void * (dlsym). */
	*(void **)&mhd.start_daemon_va = f[0];
	*(void **)&mhd.stop_daemon = f[1];
	*(void **)&mhd.add_response_header = f[2];
	*(void **)&mhd.queue_response = f[3];
	*(void **)&mhd.lookup_connection_value = f[4];
	*(void **)&mhd.get_connection_values = f[5];
	*(void **)&mhd.create_response_from_buffer = f[6];
	*(void **)&mhd.destroy_response = f[7];
	*(void **)&mhd.create_post_processor = f[8];
	*(void **)&mhd.post_process = f[9];
	*(void **)&mhd.destroy_post_processor = f[10];
	return mhd.ok = 1;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                                    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	if (!mhd_load())
		return NULL;
	va_list ap;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = mhd.start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	if (mhd_load())
		mhd.stop_daemon(daemon);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
	return mhd_load() ? mhd.add_response_header(response, header, content) : MHD_NO;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
	return mhd_load() ? mhd.queue_response(connection, status_code, response) : MHD_NO;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	return mhd_load() ? mhd.lookup_connection_value(connection, kind, key) : NULL;
}

int MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                              MHD_KeyValueIterator iterator, void *iterator_cls)
{
	return mhd_load() ? mhd.get_connection_values(connection, kind, iterator, iterator_cls) : -1;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	return mhd_load() ? mhd.create_response_from_buffer(size, buffer, mode) : NULL;
}

void MHD_destroy_response(struct MHD_Response *response)
{
	if (mhd_load())
		mhd.destroy_response(response);
}

struct MHD_PostProcessor *MHD_create_post_processor(struct MHD_Connection *connection, size_t buffer_size,
                                                    MHD_PostDataIterator iter, void *iter_cls)
{
	return mhd_load() ? mhd.create_post_processor(connection, buffer_size, iter, iter_cls) : NULL;
}

enum MHD_Result MHD_post_process(struct MHD_PostProcessor *pp, const char *post_data, size_t post_data_len)
{
	return mhd_load() ? mhd.post_process(pp, post_data, post_data_len) : MHD_NO;
}

enum MHD_Result MHD_destroy_post_processor(struct MHD_PostProcessor *pp)
{
	return mhd_load() ? mhd.destroy_post_processor(pp) : MHD_NO;
}
