/* ui_sync: the sync page, and the sync it starts.
 *
 * A sync takes as long as the link makes it: seconds to a minute. The page
 * does not wait for it. POST /sync starts it in a thread of its own, which
 * opens the node as `c2c sync` does (under the node lock, which sync_with
 * lets go while it waits on the network), and answers at once with a
 * redirect to /sync?run=N. That page shows where the sync is; its script
 * (node/ui/app.js) asks /sync/progress?run=N for the same block every
 * moment and puts it in place, and without script the page refreshes
 * itself. Once the sync is over, the block says how it went.
 *
 * One sync at a time per server: a second request while one runs is shown
 * the one that runs. The progress comes from the hook of sync.c and push.c
 * (sync_options), given to the thread's sync and read under a mutex. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/sync.h"
#include "c2c/ui.h"

enum { JOB_NONE, JOB_RUNNING, JOB_DONE, JOB_FAILED };

/* Counters of one kind of transfer. */
typedef struct {
	size_t done, total;
} job_count;

typedef struct {
	int state;
	unsigned run;
	char remote[128];
	long long started, ended; /* seconds since the epoch */
	char phase[40];           /* the last progress label */
	job_count in, out;        /* objects received (or copied), sent */
	job_count records;        /* records checked, then rows written (phase says which) */
	sync_result res;
	err_state fail;   /* of a failure: its message and hint */
	json_t *held;     /* the remote's held branches, once done */
} job_view;

static struct {
	pthread_mutex_t mu;
	pthread_t th;
	int has_thread; /* a thread to join */
	char *dir;
	job_view v;
} job = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void on_progress(void *payload, const char *label, size_t done, size_t total)
{
	(void)payload;
	pthread_mutex_lock(&job.mu);
	int recs = !strcmp(label, "checking records") || !strcmp(label, "writing rows");
	job_count *c = recs ? &job.v.records : !strcmp(label, "sending objects") ? &job.v.out : &job.v.in;
	c->done = done;
	c->total = total;
	snprintf(job.v.phase, sizeof(job.v.phase), "%s", label);
	pthread_mutex_unlock(&job.mu);
}

static void *job_main(void *arg)
{
	c2c_node *n = NULL;
	sync_result res;
	json_t *held = NULL;
	char remote[128];
	const sync_options opts = {.progress = {on_progress, NULL}};
	int err;
	(void)arg;
	pthread_mutex_lock(&job.mu);
	snprintf(remote, sizeof(remote), "%s", job.v.remote);
	pthread_mutex_unlock(&job.mu);
	memset(&res, 0, sizeof(res));
	err_clear();
	if ((err = node_open(&n, job.dir, NODE_WRITE)) == 0 && (err = sync_with(n, remote, &opts, &res)) == 0 &&
	    store_held_list(n->st, remote, &held) < 0)
		err_clear(); /* the sync is done; only its list of held branches is missing */
	err_state fail = {0};
	if (err < 0)
		err_save(&fail); /* shown on the page, after the node is let go */
	node_close(n);
	err_clear();
	pthread_mutex_lock(&job.mu);
	job.v.res = res;
	job.v.fail = fail;
	job.v.held = held;
	job.v.ended = (long long)time(NULL);
	job.v.state = err < 0 ? JOB_FAILED : JOB_DONE;
	pthread_mutex_unlock(&job.mu);
	return NULL;
}

static void view_clear(job_view *v)
{
	json_decref(v->held);
	memset(v, 0, sizeof(*v));
}

int ui_sync_start(ui_req *r, const char *remote, unsigned *run)
{
	int err = 0;
	pthread_mutex_lock(&job.mu);
	if (job.v.state == JOB_RUNNING) {
		*run = job.v.run;
		pthread_mutex_unlock(&job.mu);
		return 1;
	}
	pthread_mutex_unlock(&job.mu);
	/* The thread before has ended (its state says so): join it. */
	if (job.has_thread) {
		pthread_join(job.th, NULL);
		job.has_thread = 0;
	}
	pthread_mutex_lock(&job.mu);
	unsigned next = job.v.run + 1;
	view_clear(&job.v);
	job.v.run = next;
	job.v.state = JOB_RUNNING;
	job.v.started = (long long)time(NULL);
	snprintf(job.v.remote, sizeof(job.v.remote), "%s", remote);
	free(job.dir);
	if (!(job.dir = strdup(r->node_dir))) {
		job.v.state = JOB_NONE;
		err = ERR_OOM();
	}
	pthread_mutex_unlock(&job.mu);
	if (err < 0)
		return err;
	if (pthread_create(&job.th, NULL, job_main, NULL) != 0) {
		pthread_mutex_lock(&job.mu);
		job.v.state = JOB_NONE;
		pthread_mutex_unlock(&job.mu);
		return err_set(C2C_EIO, "%s", ui_t(r, "The sync could not be started."));
	}
	job.has_thread = 1;
	*run = next;
	return 0;
}

int ui_sync_running(void)
{
	pthread_mutex_lock(&job.mu);
	int running = job.v.state == JOB_RUNNING;
	pthread_mutex_unlock(&job.mu);
	return running;
}

void ui_sync_stop(void)
{
	char remote[128];
	pthread_mutex_lock(&job.mu);
	int running = job.v.state == JOB_RUNNING;
	snprintf(remote, sizeof(remote), "%s", job.v.remote);
	pthread_mutex_unlock(&job.mu);
	if (running)
		fprintf(stderr, "c2c ui: waiting for the sync with %s to end\n", remote);
	if (job.has_thread)
		pthread_join(job.th, NULL);
	job.has_thread = 0;
	view_clear(&job.v);
	free(job.dir);
	job.dir = NULL;
}

/* A copy of the job's state to make a page from, outside the mutex. */
static void view_get(job_view *out)
{
	pthread_mutex_lock(&job.mu);
	*out = job.v;
	out->held = job.v.held ? json_deep_copy(job.v.held) : NULL;
	pthread_mutex_unlock(&job.mu);
}

/* ------------------------------------------------------------------ page */
static void sync_result_words(ui_req *r, const char *name, const sync_result *s)
{
	ui_printf(r, "<div class=\"ok\" role=\"status\" id=\"sync-result\"><p><strong><bdi>%h</bdi></strong>: ", name);
	if (s->merged)
		ui_printf(r, "%t %Z.", "merged the other nodes' changes; records changed:", s->applied.records);
	else if (s->fast_forward)
		ui_printf(r, "%t %Z.", "received the other nodes' changes; records changed:", s->applied.records);
	else
		ui_printf(r, "%t", "nothing new to receive.");
	ui_lit(r, " ");
	if (s->pushed == 1)
		ui_printf(r, "%t", "Your changes were sent.");
	else if (s->pushed == 0)
		ui_printf(r, "%t", "The hub already had your changes.");
	else
		ui_printf(r, "%t", "Nothing is sent to a peer: it reads from you when it syncs.");
	ui_lit(r, "</p>");
	if (s->applied.conflicts)
		ui_printf(r, "<p>%Z %t <a href=\"/conflicts\">%t</a></p>", s->applied.conflicts,
		          "records now hold an open conflict.", "See the conflicts");
	if (s->held)
		ui_printf(r, "<p class=\"flag\">%t %Z</p>", "Branches held back (nothing of them was merged):", s->held);
	ui_lit(r, "</div>\n");
}

/* The branches held back (SPEC 7): who, which commit, why, and what would
 * release them. ID names the table. */
static void held_table(ui_req *r, const char *id, json_t *held)
{
	size_t hi;
	json_t *h;
	ui_printf(r, "<table class=\"list\" id=\"%a\"><thead><tr><th>%t</th><th>%t</th><th>%t</th><th>%t</th></tr></thead><tbody>\n",
	          id, "Remote", "Node", "Commit", "Why");
	json_array_foreach(held, hi, h)
	{
		const char *city = json_string_value(json_object_get(h, "city"));
		const char *branch = json_string_value(json_object_get(h, "branch"));
		const char *node = json_string_value(json_object_get(h, "node"));
		const char *rule = json_string_value(json_object_get(h, "rule"));
		const char *release = json_string_value(json_object_get(h, "release"));
		ui_printf(r, "<tr data-branch=\"%a\"><td><bdi>%h</bdi></td><td><bdi>%h</bdi> (<bdi>%h</bdi>)</td><td><code>%h</code></td><td>",
		          branch ? branch : "", json_string_value(json_object_get(h, "remote")), node ? node : "?",
		          city ? city : ui_t(r, "not registered"), json_string_value(json_object_get(h, "commit")));
		ui_msg(r, rule ? rule : "");
		ui_lit(r, "<br><small>");
		ui_msg(r, release ? release : "");
		ui_lit(r, "</small></td></tr>\n");
	}
	ui_lit(r, "</tbody></table>\n");
}

static const char *phase_words(ui_req *r, const job_view *v)
{
	if (!strcmp(v->phase, "checking records"))
		return ui_t(r, "Checking the records received…");
	if (!strcmp(v->phase, "writing rows"))
		return ui_t(r, "Writing the records into the database…");
	if (v->out.total || !strcmp(v->phase, "sending objects"))
		return v->out.total && v->out.done >= v->out.total ? ui_t(r, "Sent; finishing.") : ui_t(r, "Sending your changes…");
	if (v->in.total && v->in.done >= v->in.total)
		return ui_t(r, "Received; checking and merging…");
	if (v->phase[0])
		return ui_t(r, "Receiving the other nodes' changes…");
	return ui_t(r, "Connecting…");
}

static void count_line(ui_req *r, const char *id, const char *label, const job_count *c)
{
	ui_printf(r, "<p class=\"count\" id=\"%a\" data-done=\"%Z\" data-total=\"%Z\">%t ", id, c->done, c->total, label);
	if (c->total)
		ui_printf(r, "%Z / %Z <progress max=\"%Z\" value=\"%Z\"></progress>", c->done, c->total, c->total, c->done);
	else
		ui_printf(r, "%Z", c->done);
	ui_lit(r, "</p>");
}

/* The block that says where the sync is, or how it went: the same on the
 * page and at /sync/progress. */
static void progress_block(ui_req *r, const job_view *v)
{
	static const char *const states[] = {"none", "running", "done", "failed"};
	long long now = v->state == JOB_RUNNING ? (long long)time(NULL) : v->ended;
	ui_printf(r,
	          "<div id=\"sync-progress\" class=\"progress %a\" data-state=\"%a\" data-run=\"%d\" data-remote=\"%a\" "
	          "data-received=\"%Z\" data-sent=\"%Z\" aria-live=\"polite\">",
	          states[v->state], states[v->state], (int)v->run, v->remote, v->in.done, v->out.done);
	if (v->state == JOB_RUNNING) {
		ui_printf(r, "<p><strong>%t <bdi>%h</bdi></strong> · <span class=\"phase\">%h</span> · <span class=\"secs\">%L %t</span></p>",
		          "Syncing with", v->remote, phase_words(r, v), now - v->started, "s (seconds)");
		count_line(r, "sync-in", "Objects received:", &v->in);
		if (v->records.done)
			count_line(r, "sync-records", !strcmp(v->phase, "writing rows") ? "Records written:" : "Records checked:",
			           &v->records);
		if (v->out.total || v->out.done)
			count_line(r, "sync-out", "Objects sent:", &v->out);
		ui_printf(r, "<p class=\"help\">%t</p>", "You can use the other pages meanwhile; this one follows the sync.");
	} else if (v->state == JOB_DONE) {
		sync_result_words(r, v->remote, &v->res);
		ui_printf(r, "<p class=\"help\">%t %Z · %t %Z · %L %t</p>", "Objects received:", v->in.done, "Objects sent:",
		          v->out.done, now - v->started, "s (seconds)");
		if (json_array_size(v->held)) {
			ui_printf(r, "<p>%t</p>", "Held back: nothing of these branches was merged; every sync tries them again.");
			held_table(r, "sync-held", v->held);
		}
	} else if (v->state == JOB_FAILED) {
		ui_printf(r, "<div class=\"error\" role=\"alert\" id=\"sync-error\"><p><strong><bdi>%h</bdi></strong>: %t ",
		          v->remote, "It did not work:");
		ui_msg(r, v->fail.msg);
		ui_lit(r, "</p>");
		if (v->fail.hint[0]) {
			ui_lit(r, "<p>");
			ui_msg(r, v->fail.hint);
			ui_lit(r, "</p>");
		}
		ui_lit(r, "</div>");
	}
	ui_lit(r, "</div>\n");
}

/* GET /sync/progress?run=N: the block alone, for the page's script. No node
 * is opened: it answers while the sync holds the node. */
int ui_page_sync_progress(ui_req *r)
{
	job_view v;
	view_get(&v);
	const char *run = ui_get(r, "run");
	if (v.state == JOB_NONE || (run && strtoul(run, NULL, 10) != v.run)) {
		view_clear(&v);
		return err_set(C2C_ENOTFOUND, "%s", ui_t(r, "There is no such sync."));
	}
	progress_block(r, &v);
	view_clear(&v);
	return 0;
}

int ui_page_sync(ui_req *r)
{
	c2c_node *n = r->node;
	sync_remote *rv = NULL;
	size_t nr = 0;
	int err, failed = 0;
	err_state fail = {0}; /* a remote that could not be added: shown with the page */
	job_view v = {0};
	if (!strcmp(r->method, "POST")) {
		const char *add = ui_post(r, "add_name"), *url = ui_post(r, "add_url"), *name = ui_post(r, "remote");
		if (add && url) {
			if ((err = sync_remote_add(n, add, url)) < 0) {
				failed = 1;
				err_save(&fail);
				err_clear();
			} else {
				return ui_redirect(r, "/sync?added=1");
			}
		} else if (name) {
			sync_remote one;
			unsigned run = 0;
			if ((err = sync_remote_get(n, name, &one)) < 0)
				return err;
			sync_remote_dispose(&one);
			if ((err = ui_sync_start(r, name, &run)) < 0)
				return err;
			return ui_redirect(r, "/sync?run=%u", run);
		}
	}
	/* The sync of this page (?run=N), or one that runs now. */
	view_get(&v);
	const char *run = ui_get(r, "run");
	int show = v.state == JOB_RUNNING || (v.state != JOB_NONE && run && strtoul(run, NULL, 10) == v.run);
	if ((err = sync_remote_list(n, &rv, &nr)) < 0)
		goto done;
	if (show && v.state == JOB_RUNNING)
		r->refresh = 2; /* without script, the page follows the sync by itself */
	ui_page_begin(r, ui_t(r, "Sync"));
	ui_printf(r, "<h1>%t</h1>\n", "Sync");
	ui_printf(r, "<p class=\"hint\">%t</p>\n",
	          "A sync sends your changes and receives the other nodes' ones. It works whenever the network is "
	          "there; nothing is lost when it is not.");
	if (show)
		progress_block(r, &v);
	if (failed) {
		ui_printf(r, "<div class=\"error\" role=\"alert\" id=\"sync-error\"><p>%t ", "It did not work:");
		ui_msg(r, fail.msg);
		ui_lit(r, "</p>");
		if (fail.hint[0]) {
			ui_lit(r, "<p>");
			ui_msg(r, fail.hint);
			ui_lit(r, "</p>");
		}
		ui_lit(r, "</div>\n");
	}
	if (ui_get(r, "added"))
		ui_printf(r, "<p class=\"ok\" role=\"status\">%t</p>\n", "Remote added.");
	if (!nr)
		ui_printf(r, "<p>%t</p>\n", "This node has no remote yet.");
	else {
		ui_printf(r, "<table class=\"list\" id=\"remotes\"><thead><tr><th>%t</th><th>%t</th><th>%t</th><th>%t</th><th></th></tr></thead><tbody>\n",
		          "Remote", "Address", "Last sync", "Result");
		for (size_t i = 0; i < nr; i++) {
			char a[64];
			const char *w = ui_when(rv[i].last_attempt, a, sizeof(a));
			int ok = rv[i].last_attempt && rv[i].last_ok == rv[i].last_attempt;
			int busy = v.state == JOB_RUNNING && !strcmp(v.remote, rv[i].name);
			ui_printf(r, "<tr data-remote=\"%a\"><td><bdi>%h</bdi></td><td><bdi dir=\"ltr\"><code>%h</code></bdi></td><td><bdi>%h</bdi></td><td class=\"%a\">",
			          rv[i].name, rv[i].name, rv[i].url, w ? w : ui_t(r, "never"), ok ? "good" : "bad");
			if (rv[i].last_attempt)
				ui_printf(r, "<strong>%t</strong> ", ok ? "it worked" : "it did not work");
			ui_lit(r, "<small class=\"detail\">");
			ui_sync_summary(r, rv[i].last_result ? rv[i].last_result : "");
			ui_lit(r, "</small></td><td>");
			ui_printf(r, "<form method=\"post\" action=\"/sync\" class=\"inline sync\">");
			ui_csrf_field(r);
			ui_printf(r, "<input type=\"hidden\" name=\"remote\" value=\"%a\"><button type=\"submit\" class=\"primary\"%h>%t</button></form></td></tr>\n",
			          rv[i].name, v.state == JOB_RUNNING ? " disabled" : "", busy ? "Syncing…" : "Sync now");
		}
		ui_lit(r, "</tbody></table>\n");
	}
	json_t *held = NULL;
	if (store_held_list(r->node->st, NULL, &held) == 0 && json_array_size(held)) {
		ui_printf(r, "<h2>%t</h2>\n<p class=\"hint\">%t</p>\n", "Held back",
		          "Nothing of these branches was merged; every sync tries them again.");
		held_table(r, "held", held);
	}
	err_clear();
	json_decref(held);
	ui_printf(r, "<details class=\"add\"><summary>%t</summary><form method=\"post\" action=\"/sync\">", "Add a remote");
	ui_csrf_field(r);
	ui_printf(r,
	          "<label>%t <input name=\"add_name\" type=\"text\" pattern=\"[a-z0-9][a-z0-9._-]*\"></label> "
	          "<label>%t <input name=\"add_url\" type=\"text\" dir=\"ltr\"></label> <button type=\"submit\">%t</button></form>"
	          "<p class=\"help\">%t</p></details>\n",
	          "Name", "Address (ssh://... or a folder)", "Add", "The hub's address is given by the network's office.");
	ui_page_end(r);
done:
	view_clear(&v);
	sync_remote_list_free(rv, nr);
	return err;
}
