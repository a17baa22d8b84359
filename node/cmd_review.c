/* review: the coordination office judges a city's record (review.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2c/cli.h"
#include "c2c/err.h"
#include "c2c/review.h"

static int cmd_review_fn(cli_ctx *ctx, c2c_node *n)
{
	const char *status = NULL, *comment = NULL;
	const table_def *t = NULL;
	char *id = NULL, *rid = NULL;
	int err;
	if ((err = cli_take_opt(ctx, "--status", &status)) < 0 || (err = cli_take_opt(ctx, "--comment", &comment)) < 0 ||
	    (err = cli_positionals(ctx, 1, 1)) < 0)
		return err;
	if (!status) {
		err_set(C2C_EUSAGE, _("review needs --status"));
		return err_hint(_("give --status validated or --status changes_requested"));
	}
	if (strcmp(status, "validated") && strcmp(status, "changes_requested")) {
		err_set(C2C_EUSAGE, _("unknown review status '%s'"), status);
		return err_hint(_("give --status validated or --status changes_requested"));
	}
	if (n->city) {
		err_set(C2C_EINVALID, _("only the coordination office reviews records; this is %s's node"), n->city);
		return err_hint(_("a city sees the office's reviews with 'c2c show TABLE/ID' and 'c2c status'"));
	}
	if ((err = cli_table_id(n, ctx->argv[0], &t, &id)) < 0)
		return err;
	if ((err = review_write(n, t, id, status, comment, &rid)) < 0)
		goto done;
	if (ctx->json) {
		json_t *rev = NULL;
		if ((err = review_of(n->st, t->name, id, &rev)) < 0)
			goto done;
		if (rev)
			json_object_set_new(rev, "id", json_string(rid));
		err = cli_print_json(rev ? rev : json_null());
	} else {
		printf("reviews/%s\n", rid);
	}
done:
	free(id);
	free(rid);
	return err;
}

const cli_command cmd_review = {
    "review", cmd_review_fn, CLI_WRITE, N_("(office) review a city's record"),
    N_("c2c review TABLE/ID --status validated|changes_requested [--comment TEXT]"),
    N_("The coordination office's judgement of a city's record (a profile\n"
    "section, an action, ...), written as a network record, reviews/TABLE.ID,\n"
    "in one signed commit that syncs like any other: the office never writes\n"
    "into the city's namespace. The review names the version of the record it\n"
    "judged (the blob id of its file), so that when the city edits the record\n"
    "afterwards the review shows as out of date. A new review of the same\n"
    "record replaces the last (the history keeps it). The city sees the review\n"
    "with 'c2c show TABLE/ID'; 'c2c status' lists the reviews asking for\n"
    "changes; 'c2c report' counts them. Prints the review's id. Refused on a\n"
    "city node.\n\n"
    "  --status validated          the record is accepted as it stands\n"
    "  --status changes_requested  the city should change it (say what in --comment)\n"
    "  --comment TEXT              a note for the city; an empty one clears it\n\n"
    "  c2c review profile_sections/tunis.overview.fr --status validated\n"
    "  c2c review actions/0193f0a1b2c3d4e5f6a7b8c9 --status changes_requested --comment \"Budget lacks co-funding\"\n")};
