#include "c2c/autosync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/refs.h"
#include "c2c/remote.h"
#include "c2c/repo.h"
#include "c2c/sync.h"
#include "c2c/util.h"

void autosync_options_init(autosync_options *o)
{
	o->interval = 300;
	o->after_write = 5;
	o->retry = 30;
	o->max_backoff = 3600;
	o->log = NULL;
	o->log_payload = NULL;
}

typedef struct {
	char *name;
	long long failures, next_try;
	int seen; /* still a remote at the last look */
} slot;

typedef ARRAY(slot) slots;

static void slots_free(slots *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	ARRAY_FREE(s);
}

/* Make S follow the node's remotes: new ones are due at once, removed ones
 * are dropped. */
static int slots_reconcile(slots *s, c2c_node *n, long long now)
{
	sync_remote *rv = NULL;
	size_t nr = 0;
	int err = sync_remote_list(n, &rv, &nr);
	if (err < 0)
		return err;
	for (size_t i = 0; i < s->n; i++)
		s->v[i].seen = 0;
	for (size_t j = 0; j < nr; j++) {
		size_t i = 0;
		while (i < s->n && strcmp(s->v[i].name, rv[j].name))
			i++;
		if (i == s->n) {
			slot x = {strdup(rv[j].name), 0, now, 0};
			if (!x.name || ARRAY_PUSH(s, x) < 0) {
				free(x.name);
				sync_remote_list_free(rv, nr);
				return ERR_OOM();
			}
		}
		s->v[i].seen = 1;
	}
	sync_remote_list_free(rv, nr);
	for (size_t i = 0; i < s->n;) {
		if (s->v[i].seen) {
			i++;
			continue;
		}
		free(s->v[i].name);
		s->v[i] = s->v[--s->n];
	}
	return 0;
}

int autosync_state_get(c2c_node *n, const char *name, autosync_state *out)
{
	return remote_autosync_get(n, name, &out->failures, &out->next_try);
}

static void say(const autosync_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const autosync_options *o, const char *fmt, ...)
{
	if (!o->log)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->log(o->log_payload, line);
}

static long long backoff(const autosync_options *o, long long failures)
{
	long long w = o->retry > 0 ? o->retry : 1;
	for (long long i = 1; i < failures && w < o->max_backoff; i++)
		w *= 2;
	return w < o->max_backoff ? w : o->max_backoff;
}

/* Sleep up to MS milliseconds, less if *STOP is set meanwhile. */
static void nap(long long ms, volatile sig_atomic_t *stop)
{
	while (ms > 0 && !*stop) {
		long long step = ms > 100 ? 100 : ms;
		struct timespec ts = {0, step * 1000000L};
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* One round: open the node, sync every remote that is due (all that are
 * not backing off, when WROTE), note the next tries, close it. */
static int round_once(const char *dir, const autosync_options *o, const sync_options *sopts, slots *s, int wrote,
                      git_oid *head_after, volatile sig_atomic_t *stop)
{
	c2c_node *n = NULL;
	long long now = (long long)time(NULL);
	int err = node_open(&n, dir, NODE_WRITE);
	if (err < 0)
		return err;
	if ((err = slots_reconcile(s, n, now)) < 0)
		goto done;
	for (size_t i = 0; i < s->n && !*stop; i++) {
		slot *x = &s->v[i];
		if (!(x->next_try <= now || (wrote && x->failures == 0)))
			continue;
		sync_result r;
		sync_remote info;
		int rc = sync_with(n, x->name, sopts, &r);
		now = (long long)time(NULL);
		if (rc == 0) {
			x->failures = 0;
			x->next_try = now + o->interval;
		} else {
			x->failures++;
			x->next_try = now + backoff(o, x->failures);
		}
		memset(&info, 0, sizeof(info));
		sync_remote_get(n, x->name, &info);
		if (rc == 0)
			say(o, "%s: ok: %s; next sync in %lld s", x->name, info.last_result ? info.last_result : "synced",
			    o->interval);
		else
			say(o, "%s: failed (%lld in a row): %s; retry in %lld s", x->name, x->failures,
			    info.last_result ? info.last_result : err_msg(), x->next_try - now);
		sync_remote_dispose(&info);
		remote_autosync_set_next_try(n, x->name, x->next_try);
	}
	*head_after = n->head;
done:
	node_close(n);
	return err;
}

static void clear_next_tries(const char *dir, const slots *s)
{
	c2c_node *n = NULL;
	if (node_open(&n, dir, NODE_WRITE) < 0)
		return;
	for (size_t i = 0; i < s->n; i++)
		remote_autosync_set_next_try(n, s->v[i].name, 0);
	node_close(n);
}

int autosync_run(const char *dir, const autosync_options *o, volatile sig_atomic_t *stop)
{
	slots s = {0};
	git_repository *watch = NULL;
	git_oid base, cur;
	long long write_due = 0, idle_check = 0;
	char gitdir[4096];
	int err, rc;
	/* autosync backs off by itself: each sync tries once, without the
	 * command's own retries (unless the environment asks for them). */
	sync_settings set;
	sync_settings_load(&set);
	if (!set.budget_set)
		set.budget_s = 0;
	const sync_options sopts = {.settings = &set};
	/* The first round syncs every remote, and says if the node is unusable. */
	if ((err = round_once(dir, o, &sopts, &s, 0, &base, stop)) < 0)
		return err;
	if (s.n == 0)
		say(o, "no remotes yet ('c2c remote add NAME URL'); looking again every %lld s", o->interval);
	snprintf(gitdir, sizeof(gitdir), "%s/repo.git", dir);
	if ((err = repo_open(&watch, gitdir)) < 0)
		goto done;
	idle_check = (long long)time(NULL) + o->interval;
	while (!*stop) {
		long long now = (long long)time(NULL);
		int due = 0, wrote = 0;
		/* A local write moves main: send it soon. */
		if ((rc = git_reference_name_to_id(&cur, watch, REF_MAIN)) == 0 && !git_oid_equal(&cur, &base) &&
		    !write_due)
			write_due = now + o->after_write;
		if (write_due && now >= write_due)
			due = wrote = 1;
		for (size_t i = 0; i < s.n; i++)
			if (s.v[i].next_try <= now)
				due = 1;
		if (s.n == 0 && now >= idle_check) {
			due = 1;
			idle_check = now + o->interval;
		}
		if (due) {
			if ((err = round_once(dir, o, &sopts, &s, wrote, &base, stop)) < 0) {
				/* The node is busy or broken for a moment: say so, go on. */
				say(o, "cannot open the node: %s; trying again in %lld s", err_msg(), o->retry);
				for (size_t i = 0; i < s.n; i++)
					if (s.v[i].next_try < now + o->retry)
						s.v[i].next_try = now + o->retry;
				err = 0;
			}
			write_due = 0;
			continue;
		}
		nap(1000, stop);
	}
	say(o, "stopping");
	clear_next_tries(dir, &s);
done:
	git_repository_free(watch);
	slots_free(&s);
	return err;
}
