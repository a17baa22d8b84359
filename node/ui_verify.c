/* ui_verify: the check of this node, as 'c2c verify'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/err.h"
#include "c2c/ui.h"

static void verify_finding(const char *what, const char *detail, void *payload)
{
	ui_req *r = payload;
	ui_printf(r, "<tr><td><bdi><code>%h</code></bdi></td><td lang=\"en\"><bdi>%h</bdi></td></tr>\n", what,
	          detail ? detail : "");
}

/* As 'c2c verify': every row against its record file at the head. It reads
 * the whole node, so it runs when asked (?run=1), not on every visit. */
int ui_page_verify(ui_req *r)
{
	ui_page_begin(r, ui_t(r, "Check this node"));
	ui_printf(r, "<h1>%t</h1>\n<p class=\"hint\">%t</p>\n", "Check this node",
	          "Compares every record in the database with its signed history, as 'c2c verify' does. It reads the "
	          "whole node: on a large node it takes a while.");
	if (ui_get(r, "run")) {
		ui_printf(r, "<table class=\"list\" id=\"verify\"><thead><tr><th>%t</th><th>%t</th></tr></thead><tbody>\n",
		          "Where", "Problem");
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
		int found = node_verify(r->node, verify_finding, r);
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
		ui_lit(r, "</tbody></table>\n");
		if (found < 0)
			return found;
		if (found == 0)
			ui_printf(r, "<p class=\"ok\" role=\"status\" id=\"verify-ok\">%t</p>\n",
			          "All is in order: the database equals the history.");
		else
			ui_printf(r, "<p class=\"error\" role=\"alert\" id=\"verify-bad\">%t</p>\n",
			          "The database and the history disagree. Ask the person who looks after this computer to run "
			          "'c2c verify', then 'c2c repair'.");
	}
	ui_printf(r, "<form method=\"get\" action=\"/verify\"><input type=\"hidden\" name=\"run\" value=\"1\">"
	             "<button type=\"submit\" class=\"primary\">%t</button></form>\n",
	          "Check now");
	ui_page_end(r);
	return 0;
}
