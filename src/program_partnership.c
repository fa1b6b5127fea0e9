/* program_partnership.c: what partners ask about their partnership (SPEC §2, §5):
 * CONTINUE and CONCLUDE, the answer to the end-of-round reminder, each recorded on the
 * sender's side of the partnership, changeable until the end date and answered with what
 * will happen then. The dispatcher's partnership gate (program.c) has already found the
 * sender registered and partnered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "msg.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

int
program_choice(struct program *p, struct program_in *in, const struct cmd *c)
{
	enum partner_choice choice = c->kind == CMD_CONTINUE ? CHOICE_CONTINUE : CHOICE_CONCLUDE;
	struct participant part = { 0 };
	struct partnership x;
	struct round r;
	char ends[16] = "";
	int rc = -1;

	memset(&x, 0, sizeof(x));
	memset(&r, 0, sizeof(r));
	if (store_participant_get(p->st, in->m->from, &part, NULL) != 1 ||
	    store_partner_of(p->st, part.id, &x) != 1 ||
	    store_round_get(p->st, x.round_id, &r) < 0)
		goto out;
	if (store_partnership_set_choice(p->st, x.id, part.id, choice) < 0)
		goto out;
	time_format_date(r.ends, ends, sizeof(ends));
	{
		struct tmpl_var v[] = {
			{ "choice", cmd_name(c->kind) },
			{ "continue", choice == CHOICE_CONTINUE ? "yes" : "" },
			{ "conclude", choice == CHOICE_CONCLUDE ? "yes" : "" },
			{ "ends", ends },
			{ "round_name", r.name ? r.name : "" },
		};

		snprintf(in->detail, sizeof(in->detail), "%s recorded", cmd_name(c->kind));
		rc = reply_queue(p, in, "choice_done", v, nitems(v), NULL, NULL);
	}
out:
	participant_clear(&part);
	partnership_clear(&x);
	round_clear(&r);
	return rc;
}
