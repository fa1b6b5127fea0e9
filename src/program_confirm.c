/* program_confirm.c: the double opt-in of SPEC §6. Commands that destroy or change
 * identity (WITHDRAW, DELETE, CHANGE, SUBSCRIBE; SIGNUP in program_signup.c) only send
 * a token; CONFIRM <token> carries the action out when the token is known, unused,
 * unexpired and comes back from the address it was sent to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "conf.h"
#include "log.h"
#include "mail_compose.h"
#include "msg.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

static int
confirm_refuse(struct program *p, struct program_in *in, const char *why, const char *what)
{
	struct tmpl_var v[] = { { "why", why } };

	in->outcome = OUTCOME_REFUSED;
	snprintf(in->detail, sizeof(in->detail), "CONFIRM refused: %s", what);
	return reply_queue(p, in, "confirm_bad", v, nitems(v), NULL, NULL);
}

/* What the sender is: registered (and active), subscribed. */
struct sender_facts {
	bool found, active, subscribed;
};

static int
sender_facts(struct program *p, const char *from, struct sender_facts *f)
{
	struct participant part = { 0 };
	int found = store_participant_get(p->st, from, &part, NULL);
	int subscribed = store_subscriber_has(p->st, from);

	f->found = found > 0;
	f->active = found > 0 && part.status == PARTICIPANT_ACTIVE;
	f->subscribed = subscribed > 0;
	participant_clear(&part);
	return found < 0 || subscribed < 0 ? -1 : 0;
}

static int
ask_refuse(struct program *p, struct program_in *in, const struct cmd *c, const char *tmpl)
{
	struct tmpl_var v[] = { { "command", cmd_name(c->kind) } };

	in->outcome = OUTCOME_REFUSED;
	snprintf(in->detail, sizeof(in->detail), "%s refused: %s", cmd_name(c->kind), tmpl);
	return reply_queue(p, in, tmpl, v, nitems(v), NULL, NULL);
}

/* Send the token for c's command to `to` (the sender when NULL) with payload, in the
 * template confirm_<command>; *sent tells whether it went (not past the daily share). */
static int
ask_token(struct program *p, struct program_in *in, const struct cmd *c, const char *to,
	  const char *payload, const struct tmpl_var *vars, size_t nvars, bool *sent)
{
	char action[32], tmpl_name[48];
	char *token;
	struct tmpl_var v[8];
	size_t n = 0;
	int rc;

	*sent = false;
	snprintf(action, sizeof(action), "%s", cmd_name(c->kind));
	str_lower(action);
	if ((token = program_token_new(p, to ? to : in->m->from, action, payload)) == NULL) {
		in->outcome = OUTCOME_IGNORED;
		snprintf(in->detail, sizeof(in->detail), "too many %s requests today", action);
		return 0;
	}
	v[n++] = (struct tmpl_var){ "token", token };
	for (size_t i = 0; i < nvars && n < nitems(v); i++)
		v[n++] = vars[i];
	snprintf(tmpl_name, sizeof(tmpl_name), "confirm_%s", action);
	snprintf(in->detail, sizeof(in->detail), "%s confirmation requested", action);
	rc = reply_queue(p, in, tmpl_name, v, n, to, NULL);
	free(token);
	*sent = rc == 0;
	return rc;
}

int
program_withdraw(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct sender_facts f;
	bool sent;

	if (sender_facts(p, in->m->from, &f) < 0)
		return -1;
	if (!f.found)
		return ask_refuse(p, in, c, "not_registered");
	if (!f.active)
		return ask_refuse(p, in, c, "withdraw_already");
	return ask_token(p, in, c, NULL, "", NULL, 0, &sent);
}

int
program_delete(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct sender_facts f;
	bool sent;

	if (sender_facts(p, in->m->from, &f) < 0)
		return -1;
	if (!f.found && !f.subscribed)
		return ask_refuse(p, in, c, "nothing_held");
	return ask_token(p, in, c, NULL, "", NULL, 0, &sent);
}

int
program_subscribe(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct sender_facts f;
	bool sent;

	if (sender_facts(p, in->m->from, &f) < 0)
		return -1;
	if (f.subscribed)
		return ask_refuse(p, in, c, "subscribe_already");
	return ask_token(p, in, c, NULL, "", NULL, 0, &sent);
}

/* CHANGE: the token goes to the new address and carries the old one. */
int
program_change(struct program *p, struct program_in *in, const struct cmd *c)
{
	const char *arg = c->arg;
	struct sender_facts f;
	char *newaddr;
	bool sent;
	int taken, rc;

	if (sender_facts(p, in->m->from, &f) < 0)
		return -1;
	if (!f.found && !f.subscribed)
		return ask_refuse(p, in, c, "not_registered");
	if (arg == NULL || !mail_addr_valid(arg))
		return ask_refuse(p, in, c, "change_bad");
	if ((taken = store_participant_get(p->st, arg, NULL, NULL)) < 0)
		return -1;
	if (taken || strcasecmp(arg, in->m->from) == 0 || strcasecmp(arg, p->conf->address) == 0)
		return ask_refuse(p, in, c, "change_taken");
	newaddr = xstrdup(arg);
	str_lower(strrchr(newaddr, '@'));
	{
		struct tmpl_var v[] = { { "new_address", newaddr }, { "old_address", in->m->from } };

		rc = ask_token(p, in, c, newaddr, in->m->from, v, nitems(v), &sent);
		if (rc == 0 && sent)
			rc = reply_queue(p, in, "change_pending", v, nitems(v), NULL, NULL);
	}
	free(newaddr);
	return rc;
}

int
program_withdraw_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	if (store_participant_set_status(p->st, in->m->from, PARTICIPANT_WITHDRAWN, p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "withdrawn");
	return reply_queue(p, in, "withdraw_done", NULL, 0, NULL, NULL);
}

int
program_delete_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	if (store_personal_erase(p->st, in->m->from) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "personal data erased");
	return reply_queue(p, in, "delete_done", NULL, 0, NULL, NULL);
}

int
program_change_confirmed(struct program *p, struct program_in *in, const char *old_addr)
{
	struct tmpl_var v[] = { { "new_address", in->m->from }, { "old_address", old_addr } };
	int found = store_participant_get(p->st, in->m->from, NULL, NULL);

	if (found < 0)
		return -1;
	if (found)
		return confirm_refuse(p, in, "the new address is already registered", "taken");
	if (store_participant_set_email(p->st, old_addr, in->m->from, p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "address changed");
	return reply_queue(p, in, "change_done", v, 2, NULL, old_addr);
}

int
program_subscribe_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	if (store_subscriber_add(p->st, in->m->from, p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "subscribed");
	return reply_queue(p, in, "subscribe_done", NULL, 0, NULL, NULL);
}

/* CONFIRM <token>: the action of a known, unused, unexpired token that comes back from
 * the address it was sent to, carried out by its command's row (or, for "coordinator",
 * the stored coordinator command). */
int
program_confirm(struct program *p, struct program_in *in, const struct cmd *c)
{
	const char *token = c->arg;
	const struct command *row;
	struct token t;
	bool coordinator;
	int found, rc = -1;

	if (token == NULL || token[0] == '\0')
		return confirm_refuse(p, in, "the Subject has no token after CONFIRM", "no token");
	if ((found = store_token_get(p->st, token, &t)) < 0)
		return -1;
	row = found ? command_by_name(t.action) : NULL;
	coordinator = found && strcmp(t.action, "coordinator") == 0;
	if (!found) {
		rc = confirm_refuse(p, in, "this confirmation code is not one we sent", "unknown");
	} else if (strcasecmp(t.email, in->m->from) != 0) {
		/* Never say whose it is: only the address it was sent to can use it. */
		rc = confirm_refuse(p, in, "this confirmation code is not one we sent", "wrong address");
	} else if (t.used_at != 0) {
		rc = confirm_refuse(p, in, "this confirmation code has already been used", "used");
	} else if (t.expires_at <= p->now) {
		rc = confirm_refuse(p, in, "this confirmation code has expired", "expired");
	} else if (!coordinator && (row == NULL || !(row->flags & CMD_CONFIRMED))) {
		log_errorx("confirm: token with unknown action %s", t.action);
		rc = confirm_refuse(p, in, "this confirmation code is not one we sent", "bad action");
	} else if (store_token_use(p->st, token, p->now) < 0) {
		rc = -1;
	} else if (coordinator) {
		rc = program_coordinator_confirmed(p, in, t.payload);
	} else {
		rc = row->confirmed(p, in, t.payload);
	}
	if (found)
		token_clear(&t);
	return rc;
}
