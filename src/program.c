/* program.c: dispatches one parsed command message to its handler (program_*.c) and
 * answers what has no handler of its own: HELP, unknown commands, commands for
 * partnerships that do not exist yet, and coordinator commands from others. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "msg.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"

static int
program_help(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct tmpl_var v[] = { { "unknown", c->kind == CMD_UNKNOWN ? c->word : "" } };

	in->outcome = c->kind == CMD_HELP ? "done" : "unknown";
	snprintf(in->detail, sizeof(in->detail), "help sent");
	return reply_queue(p, in, "help", v, 1, NULL, NULL);
}

/* Commands about a partnership: answered "no partnership" to those without one; the
 * partnership's life (reports, dissolving, the end of a round) is not built yet. */
static int
program_no_partnership(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct tmpl_var v[] = { { "command", cmd_name(c->kind) } };
	struct participant part = { 0 };
	struct partnership x;
	int found, partnered = 0;
	const char *tmpl;

	memset(&x, 0, sizeof(x));
	if ((found = store_participant_get(p->st, in->m->from, &part, NULL)) < 0 ||
	    (found && (partnered = store_partner_of(p->st, part.id, &x)) < 0)) {
		participant_clear(&part);
		return -1;
	}
	participant_clear(&part);
	partnership_clear(&x);
	tmpl = !found ? "not_registered" : partnered ? "not_available" : "no_partnership";
	in->outcome = "refused";
	snprintf(in->detail, sizeof(in->detail), "%s: %s", cmd_name(c->kind), tmpl);
	return reply_queue(p, in, tmpl, v, 1, NULL, NULL);
}

int
program_handle(struct program *p, struct program_in *in)
{
	struct cmd c;
	int rc;

	cmd_parse(in->m->subject, &c);
	in->outcome = "done";
	switch (c.kind) {
	case CMD_SIGNUP:
		rc = program_signup(p, in);
		break;
	case CMD_CONFIRM:
		rc = program_confirm(p, in, c.arg);
		break;
	case CMD_SHOW:
		rc = program_show(p, in);
		break;
	case CMD_UPDATE:
		rc = program_update(p, in);
		break;
	case CMD_STATUS:
		rc = program_status(p, in);
		break;
	case CMD_WITHDRAW:
		rc = program_ask_confirmation(p, in, "withdraw", NULL);
		break;
	case CMD_DELETE:
		rc = program_ask_confirmation(p, in, "delete", NULL);
		break;
	case CMD_CHANGE:
		rc = program_ask_confirmation(p, in, "change", c.arg);
		break;
	case CMD_SUBSCRIBE:
		rc = program_ask_confirmation(p, in, "subscribe", NULL);
		break;
	case CMD_UNSUBSCRIBE:
		rc = program_unsubscribe(p, in);
		break;
	case CMD_DISSOLVE:
	case CMD_PROBLEM:
	case CMD_CONTINUE:
	case CMD_CONCLUDE:
		rc = program_no_partnership(p, in, &c);
		break;
	case CMD_ROUND_OPEN:
	case CMD_MATCH:
	case CMD_APPROVE:
	case CMD_TOPIC:
	case CMD_STATS:
	case CMD_EXPORT:
		rc = program_coordinator(p, in, &c);
		break;
	case CMD_HELP:
	case CMD_UNKNOWN:
	default:
		rc = program_help(p, in, &c);
		break;
	}
	cmd_free(&c);
	return rc;
}
