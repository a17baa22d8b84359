/* sync_settings: read once from the environment (include/c2c/sync_settings.h). */
#include "c2c/sync_settings.h"

#include <stdlib.h>
#include <string.h>

static long long env_ll(const char *name, long long def)
{
	const char *v = getenv(name);
	return v && *v ? atoll(v) : def;
}

void sync_settings_load(sync_settings *s)
{
	s->connect_timeout_s = env_ll("C2C_SSH_CONNECT_TIMEOUT", 15);
	s->idle_timeout_s = env_ll("C2C_SSH_IDLE_TIMEOUT", 30);
	s->keepalive_s = env_ll("C2C_SSH_KEEPALIVE", 10);
	s->compress = env_ll("C2C_SSH_COMPRESS", 1) != 0;
	s->budget_s = env_ll("C2C_SYNC_BUDGET", 90);
	s->budget_set = getenv("C2C_SYNC_BUDGET") && *getenv("C2C_SYNC_BUDGET");
	s->retry_wait_s = env_ll("C2C_SYNC_RETRY_WAIT", 2);
	s->git_only = getenv("C2C_SYNC_PROTOCOL") && !strcmp(getenv("C2C_SYNC_PROTOCOL"), "git");
}
