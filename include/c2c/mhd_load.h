/* mhd_load: libmicrohttpd, loaded on first use (node/mhd_load.c defines the
 * MHD_* functions the web interface calls, each calling the library's). */
#ifndef C2C_MHD_LOAD_H
#define C2C_MHD_LOAD_H

/* Why libmicrohttpd could not be loaded (the library or one of its
 * functions missing), or NULL: MHD_start_daemon answers NULL then. */
const char *mhd_load_error(void);

#endif
