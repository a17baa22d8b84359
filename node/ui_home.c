/* ui_home: the home page: the node, its last sync, what waits to be sent,
 * the open conflicts, the profile grid and the tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/i18n.h"
#include "c2c/record.h"
#include "c2c/store_browse.h"
#include "c2c/sync.h"
#include "c2c/ui.h"

/* Commits of the head that no remote has yet (under refs/c2c/remotes/). */
static long long unsent_commits(c2c_node *n, int *known)
{
	git_revwalk *w = NULL;
	long long count = 0;
	git_oid oid;
	*known = 0;
	if (git_revwalk_new(&w, n->repo) < 0)
		return 0;
	if (git_revwalk_push(w, &n->head) == 0 && git_revwalk_hide_glob(w, "refs/c2c/remotes/*") == 0) {
		/* the genesis commit (no parent) is everyone's: not counted */
		while (git_revwalk_next(&oid, w) == 0 && count < 10000) {
			git_commit *c = NULL;
			if (git_commit_lookup(&c, n->repo, &oid) == 0 && git_commit_parentcount(c) > 0)
				count++;
			git_commit_free(c);
		}
		*known = 1;
	}
	git_revwalk_free(w);
	git_error_clear();
	return count;
}

int ui_page_home(ui_req *r)
{
	c2c_node *n = r->node;
	char cityname[128] = "";
	if (n->city) {
		json_t *c = NULL;
		const table_def *ct = store_table(n->st, "cities");
		if (ct && store_row_get(n->st, ct, n->city, &c) == 0 && json_is_string(json_object_get(c, "name")))
			snprintf(cityname, sizeof(cityname), "%s", json_string_value(json_object_get(c, "name")));
		json_decref(c);
		err_clear();
	}
	ui_page_begin(r, ui_t(r, "Home"));
	if (n->city)
		ui_printf(r, "<h1 id=\"city\">%h</h1>\n", cityname[0] ? cityname : n->city);
	else
		ui_printf(r, "<h1 id=\"city\">%t</h1>\n", "Coordination office");
	ui_printf(r, "<dl class=\"facts\"><dt>%t</dt><dd id=\"user\"><bdi>%h &lt;%h&gt;</bdi></dd><dt>%t</dt><dd><code>%h</code></dd>",
	          "You are", n->user_name ? n->user_name : "", n->user_email ? n->user_email : "", "This node", n->node_id);
	/* sync */
	sync_remote *rv = NULL;
	size_t nr = 0;
	sync_remote_list(n, &rv, &nr);
	err_clear();
	ui_printf(r, "<dt>%t</dt><dd id=\"last-sync\">", "Last sync");
	long long last = 0;
	size_t which = 0;
	for (size_t i = 0; i < nr; i++)
		if (rv[i].last_attempt > last)
			last = rv[i].last_attempt, which = i;
	char buf[64];
	if (!nr)
		ui_printf(r, "%t <a href=\"/sync\">%t</a>", "No remote yet.", "Add one");
	else if (!last)
		ui_printf(r, "%t <a href=\"/sync\">%t</a>", "Never.", "Sync now");
	else
	{
		ui_printf(r, "<bdi>%h</bdi> (<bdi>%h</bdi>): <strong>%t</strong> <small class=\"detail\">",
		          ui_when(last, buf, sizeof(buf)), rv[which].name,
		          rv[which].last_ok == rv[which].last_attempt ? "it worked" : "it did not work");
		ui_sync_summary(r, rv[which].last_result ? rv[which].last_result : "");
		ui_printf(r, "</small> <a href=\"/sync\">%t</a>", "Sync now");
	}
	ui_lit(r, "</dd>");
	int known;
	long long unsent = unsent_commits(n, &known);
	ui_printf(r, "<dt>%t</dt><dd id=\"unsent\" data-value=\"%L\">%L</dd>", "Changes not yet sent", unsent, unsent);
	long long conf = node_open_conflicts(n);
	ui_printf(r, "<dt>%t</dt><dd id=\"conflicts\" data-value=\"%L\">", "Open conflicts", conf);
	if (conf)
		ui_printf(r, "<a href=\"/conflicts\">%L</a>", conf);
	else
		ui_printf(r, "%t", "none");
	ui_lit(r, "</dd></dl>\n");
	sync_remote_list_free(rv, nr);

	ui_profile_grid(r);

	/* the tables */
	size_t nt;
	const table_def *t = store_tables(n->st, &nt);
	ui_printf(r, "<h2>%t</h2>\n<ul class=\"tables\">", "Records");
	for (size_t i = 0; i < nt; i++) {
		/* counted up to a bound: the page's cost does not grow with the node */
		long long c = 0;
		if (store_browse_count_upto(n->st, &t[i], 10000, &c) < 0)
			err_clear();
		ui_printf(r, "<li><a href=\"/records/%u\">%h</a> <span class=\"n\">%L%h</span></li>", t[i].name,
		          i18n_table(r->lang, t[i].name), c, c >= 10000 ? "+" : "");
	}
	ui_lit(r, "</ul>\n");
	err_clear();
	ui_page_end(r);
	return 0;
}
