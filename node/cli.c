#include "c2c/cli.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c2c/err.h"
#include "c2c/record.h"

static void drop(cli_ctx *ctx, int i, int k)
{
	memmove(&ctx->argv[i], &ctx->argv[i + k], (size_t)(ctx->argc - i - k + 1) * sizeof(char *));
	ctx->argc -= k;
}

int cli_take_opt(cli_ctx *ctx, const char *name, const char **value)
{
	size_t n = strlen(name);
	for (int i = 0; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		if (!strcmp(a, "--"))
			break;
		if (!strncmp(a, name, n) && a[n] == '=') {
			*value = a + n + 1;
			drop(ctx, i, 1);
			return 1;
		}
		if (!strcmp(a, name)) {
			if (i + 1 >= ctx->argc)
				return err_set(C2C_EUSAGE, _("%s needs a value"), name);
			*value = ctx->argv[i + 1];
			drop(ctx, i, 2);
			return 1;
		}
	}
	return 0;
}

int cli_take_flag(cli_ctx *ctx, const char *name)
{
	for (int i = 0; i < ctx->argc; i++) {
		if (!strcmp(ctx->argv[i], "--"))
			break;
		if (!strcmp(ctx->argv[i], name)) {
			drop(ctx, i, 1);
			return 1;
		}
	}
	return 0;
}

int cli_positionals(cli_ctx *ctx, int min, int max)
{
	for (int i = 0; i < ctx->argc; i++) {
		if (!strcmp(ctx->argv[i], "--")) {
			drop(ctx, i, 1);
			break;
		}
		if (ctx->argv[i][0] == '-' && ctx->argv[i][1]) {
			err_set(C2C_EUSAGE, _("%s: unknown option %s"), ctx->cmd->name, ctx->argv[i]);
			return err_hint(_("usage: %s"), _(ctx->cmd->usage));
		}
	}
	if (ctx->argc < min || (max >= 0 && ctx->argc > max)) {
		err_set(C2C_EUSAGE, ctx->argc < min ? _("%s: too few arguments") : _("%s: too many arguments"), ctx->cmd->name);
		return err_hint(_("usage: %s"), _(ctx->cmd->usage));
	}
	return 0;
}

int cli_print_json(json_t *v)
{
	int rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(v);
	fputc('\n', stdout);
	return rc < 0 ? err_set(C2C_EIO, _("writing JSON to standard output")) : 0;
}

int cli_table(c2c_node *n, const char *name, const table_def **t)
{
	if (!(*t = store_table(n->st, name))) {
		err_set(C2C_ENOTFOUND, _("unknown table '%s'"), name);
		return err_hint(_("run 'c2c tables' to see the record types"));
	}
	return 0;
}

int cli_table_id(c2c_node *n, const char *arg, const table_def **t, char **id)
{
	const char *slash = strchr(arg, '/');
	int err;
	*id = NULL;
	if (!slash) {
		err_set(C2C_EUSAGE, _("'%s' is not TABLE/ID"), arg);
		return err_hint(_("for example actions/0193f0a1b2c3d4e5f6a7b8c9 (ids are printed by 'c2c add' and 'c2c ls')"));
	}
	char *name = strndup(arg, (size_t)(slash - arg));
	if (!name)
		return ERR_OOM();
	err = cli_table(n, name, t);
	free(name);
	if (err < 0)
		return err;
	if (!record_id_valid(slash + 1)) {
		err_set(C2C_EINVALID, _("'%s' is not a valid record id"), slash + 1);
		return err_hint(_("ids are lower-case letters, digits, '.', '_' and '-' (see 'c2c ls %s')"), (*t)->name);
	}
	return (*id = strdup(slash + 1)) ? 0 : ERR_OOM();
}

json_t *cli_record_flat(const char *id, const json_t *rec)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;
	json_object_set_new(o, "id", json_string(id));
	json_object_foreach((json_t *)rec, k, v)
	{
		if (strcmp(k, "_c2c"))
			json_object_set(o, k, v);
	}
	return o;
}

/* The settings of cli_progress, read once: C2C_PROGRESS=1 shows progress
 * when stderr is not a terminal; C2C_PROGRESS_AFTER_MS is how long work
 * runs before progress shows (1000), and at most how long between two
 * lines (250: tests set 0 to see every report). */
static pthread_once_t progress_once = PTHREAD_ONCE_INIT;
static int progress_enabled;
static double progress_wait;

static void progress_settings(void)
{
	const char *env = getenv("C2C_PROGRESS"), *after = getenv("C2C_PROGRESS_AFTER_MS");
	progress_enabled = env ? !strcmp(env, "1") : isatty(2);
	progress_wait = after ? atof(after) / 1000.0 : 1.0;
}

void cli_progress(const char *label, size_t done, size_t total)
{
	static struct timespec start, last;
	static int shown;
	struct timespec now;
	pthread_once(&progress_once, progress_settings);
	if (!progress_enabled)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done == 0 || !start.tv_sec) {
		start = now;
		last = now;
		shown = 0;
	}
	double since_start = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
	double since_last = (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9;
	int end = total && done >= total;
	if (since_start < progress_wait || (since_last < (progress_wait < 0.25 ? progress_wait : 0.25) && !end)) {
		if (!end || !shown)
			return;
	}
	last = now;
	shown = 1;
	if (total)
		fprintf(stderr, "\r%s: %zu/%zu (%zu%%)%s", _(label), done, total, done * 100 / total, end ? "\n" : "");
	else
		fprintf(stderr, "\r%s: %zu", _(label), done);
	if (end)
		start.tv_sec = 0, shown = 0;
}

void cli_node_notices(c2c_node *n)
{
	if (!n)
		return;
	if (n->finished_write)
		fprintf(stderr, "c2c: finished a write that was interrupted (refs/heads/main -> %.12s)\n",
		        git_oid_tostr_s(&n->finished_head));
	if (n->dropped_fetch)
		fprintf(stderr, "c2c: dropped what an interrupted sync had fetched but not checked\n");
	if (n->learnt_office_key)
		fprintf(stderr, "c2c: learnt the office's key %s, and kept it\n", n->learnt_office_key);
	n->finished_write = n->dropped_fetch = 0;
	free(n->learnt_office_key);
	n->learnt_office_key = NULL;
}

/* Length of the valid UTF-8 sequence at S (1 to 4), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned int c;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return n;
}

char *cli_safe(const char *s, int keep_nl)
{
	size_t l = strlen(s);
	char *o = malloc(l * 4 + 1), *p = o;
	if (!o)
		return NULL;
	for (const unsigned char *u = (const unsigned char *)s; *u;) {
		size_t n = utf8_len(u);
		if (*u == '\n' && keep_nl) {
			*p++ = '\n', u++;
		} else if (*u == '\n' || *u == '\r' || *u == '\t') {
			*p++ = '\\', *p++ = *u == '\n' ? 'n' : *u == '\r' ? 'r' : 't', u++;
		} else if (n == 0 || *u < 0x20 || *u == 0x7F) {
			p += sprintf(p, "\\x%02x", *u), u++;
		} else if (n == 2 && u[0] == 0xC2 && u[1] < 0xA0) {
			/* C1 controls (U+0080..U+009F): CSI is one of them */
			p += sprintf(p, "\\x%02x", u[1]), u += 2;
		} else {
			memcpy(p, u, n), p += n, u += n;
		}
	}
	*p = '\0';
	return o;
}

void cli_put_safe(FILE *f, const char *s)
{
	char *t = cli_safe(s ? s : "", 0);
	fputs(t ? t : "?", f);
	free(t);
}

static json_t *error_details;

void cli_error_details(json_t *details)
{
	json_decref(error_details);
	error_details = details;
}

json_t *cli_error_details_get(void)
{
	return error_details;
}

/* The branches of NAME the sync held: on stderr (they are a problem to
 * act on), or into the JSON result O. */
int cli_print_held(c2c_node *n, const char *name, json_t *o)
{
	json_t *held = NULL, *h;
	size_t i;
	int err = store_held_list(n->st, name, &held);
	if (err < 0)
		return err;
	if (o) {
		json_object_set_new(o, "held", held);
		return 0;
	}
	json_array_foreach(held, i, h)
	{
		/* the rule and the way out are the library's words, as it wrote them */
		const char *node = json_string_value(json_object_get(h, "node")),
		           *city = json_string_value(json_object_get(h, "city")),
		           *branch = json_string_value(json_object_get(h, "branch")),
		           *rule = json_string_value(json_object_get(h, "rule")),
		           *release = json_string_value(json_object_get(h, "release"));
		char *srule = cli_safe(rule ? rule : "", 0), *sbranch = cli_safe(branch ? branch : _("(unnamed)"), 0),
		     *snode = cli_safe(node ? node : _("unknown"), 0), *scity = cli_safe(city ? city : "", 0),
		     *srelease = cli_safe(release ? release : "", 0);
		if (srule && sbranch && snode && scity && srelease) {
			fprintf(stderr, _("c2c: %s: commit %s refused: %s\n"), name,
			        json_string_value(json_object_get(h, "commit")), srule);
			if (city)
				fprintf(stderr, _("held: %s's branch %s (node %s, city %s): nothing of it was merged; %s\n"), name,
				        sbranch, snode, scity, srelease);
			else
				fprintf(stderr, _("held: %s's branch %s (node %s, not registered): nothing of it was merged; %s\n"),
				        name, sbranch, snode, srelease);
		}
		free(srule), free(sbranch), free(snode), free(scity), free(srelease);
	}
	json_decref(held);
	return 0;
}

