/* ui: the office's dashboard page (issue: the coordination office's view),
 * the fragment node/office_render.c makes for `c2c report --dashboard`. */
#include <stdlib.h>
#include <time.h>

#include "c2c/err.h"
#include "c2c/office.h"
#include "c2c/ui.h"

int ui_page_dashboard(ui_req *r)
{
	char *html = NULL;
	size_t len = 0;
	const char *d = ui_get(r, "days");
	int days = d ? atoi(d) : 30, err;
	if (r->node->city)
		return ui_error_page(r, 404, ui_t(r, "The dashboard of the network is on the office's node."), NULL);
	if (days < 1 || days > 3650)
		days = 30;
	if ((err = office_dashboard_html(r->node, r->lang, days, (long long)time(NULL), &html, &len)) < 0)
		return err;
	r->loose_style = 1; /* the charts' SVG carries its own style attributes */
	ui_page_begin(r, ui_t(r, "Dashboard"));
	ui_printf(r, "<h1>%t</h1>\n", "Dashboard");
	ui_printf(r, "<form method=\"get\" action=\"/dashboard\" class=\"inline\"><label>%t <input type=\"number\" "
	             "name=\"days\" min=\"1\" max=\"3650\" value=\"%d\"></label> <button>%t</button></form>\n",
	          "Cities that sent nothing for this many days stand out:", days, "Show");
	ui_buf_add(&r->out, html, len); /* markup made by office_render.c, every value escaped there */
	ui_page_end(r);
	free(html);
	return 0;
}
