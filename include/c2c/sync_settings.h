/* sync_settings: the settings of a sync and its ssh transport, read from
 * the environment once, in one place, and passed down (sync.c,
 * transport.c). An unset or empty variable gives the default. */
#ifndef C2C_SYNC_SETTINGS_H
#define C2C_SYNC_SETTINGS_H

typedef struct {
	long long connect_timeout_s; /* C2C_SSH_CONNECT_TIMEOUT (15) */
	long long idle_timeout_s;    /* C2C_SSH_IDLE_TIMEOUT (30): silence that means a dead link */
	long long keepalive_s;       /* C2C_SSH_KEEPALIVE (10) */
	int compress;                /* C2C_SSH_COMPRESS (1; 0 off) */
	long long budget_s;          /* C2C_SYNC_BUDGET (90): all retries of one sync within it */
	int budget_set;              /* C2C_SYNC_BUDGET was given */
	long long retry_wait_s;      /* C2C_SYNC_RETRY_WAIT (2): the first wait before a retry, then doubled */
	int git_only;                /* C2C_SYNC_PROTOCOL=git: git's protocols even with a c2c hub (exchange.h) */
} sync_settings;

/* Fill S from the environment. */
void sync_settings_load(sync_settings *s);

#endif
