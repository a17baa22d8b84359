/* hub: the bare repository nodes sync through, on a stock OpenSSH server.
 * (being written) */
#ifndef C2C_HUB_H
#define C2C_HUB_H

/* Make a hub repository at PATH: bare, receive.fsckObjects, no deletes, no
 * non-fast-forwards, and the hooks that call c2c. */
int hub_init(const char *path);

#endif
