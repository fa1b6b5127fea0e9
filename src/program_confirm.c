/* program_confirm.c: the double opt-in of SPEC §6. Commands that destroy or change
 * identity (WITHDRAW, DELETE, CHANGE, SUBSCRIBE; SIGNUP in program_signup.c) only send
 * a token; CONFIRM <token> carries the action out when the token is known, unused,
 * unexpired and comes back from the address it was sent to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "form.h"
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

	in->outcome = "refused";
	snprintf(in->detail, sizeof(in->detail), "CONFIRM refused: %s", what);
	return reply_queue(p, in, "confirm_bad", v, 1, NULL, NULL);
}

/* What each confirmable action needs of the sender before a token is sent. */
static int
ask_check(struct program *p, struct program_in *in, const char *action, const char *arg,
	  const char **refuse_tmpl)
{
	struct participant part = { 0 };
	int found = store_participant_get(p->st, in->m->from, &part, NULL);
	int subscribed = store_subscriber_has(p->st, in->m->from);
	bool active = found > 0 && strcmp(part.status, "active") == 0;

	participant_clear(&part);
	if (found < 0 || subscribed < 0)
		return -1;
	*refuse_tmpl = NULL;
	if (strcmp(action, "withdraw") == 0) {
		if (!found)
			*refuse_tmpl = "not_registered";
		else if (!active)
			*refuse_tmpl = "withdraw_already";
	} else if (strcmp(action, "delete") == 0) {
		if (!found && !subscribed)
			*refuse_tmpl = "nothing_held";
	} else if (strcmp(action, "change") == 0) {
		if (!found && !subscribed)
			*refuse_tmpl = "not_registered";
		else if (arg == NULL || !mail_addr_valid(arg))
			*refuse_tmpl = "change_bad";
		else if (strcasecmp(arg, in->m->from) == 0 ||
			 store_participant_get(p->st, arg, NULL, NULL) != 0 ||
			 strcasecmp(arg, p->conf->address) == 0)
			*refuse_tmpl = "change_taken";
	} else if (strcmp(action, "subscribe") == 0) {
		if (subscribed)
			*refuse_tmpl = "subscribe_already";
	}
	return 0;
}

int
program_ask_confirmation(struct program *p, struct program_in *in, const char *action,
			 const char *arg)
{
	const char *refuse = NULL, *to = in->m->from;
	char *tmpl_name = NULL, *token = NULL, *newaddr = NULL;
	int rc = -1;

	if (ask_check(p, in, action, arg, &refuse) < 0)
		goto out;
	if (refuse) {
		struct tmpl_var v[] = { { "new_address", "" }, { "command", action } };

		in->outcome = "refused";
		snprintf(in->detail, sizeof(in->detail), "%s refused: %s", action, refuse);
		rc = reply_queue(p, in, refuse, v, 2, NULL, NULL);
		goto out;
	}
	if (strcmp(action, "change") == 0) {
		/* The token goes to the new address and carries the old one. */
		newaddr = xstrdup(arg);
		str_lower(strrchr(newaddr, '@'));
		to = newaddr;
	}
	if ((token = program_token_new(p, to, action, newaddr ? in->m->from : "")) == NULL) {
		in->outcome = "ignored";
		snprintf(in->detail, sizeof(in->detail), "too many %s requests today", action);
		rc = 0;
		goto out;
	}
	tmpl_name = xasprintf("confirm_%s", action);
	{
		struct tmpl_var v[] = { { "token", token }, { "new_address", newaddr ? newaddr : "" },
					{ "old_address", in->m->from } };

		snprintf(in->detail, sizeof(in->detail), "%s confirmation requested", action);
		rc = reply_queue(p, in, tmpl_name, v, 3, to, NULL);
		if (rc == 0 && newaddr)
			rc = reply_queue(p, in, "change_pending", v, 3, NULL, NULL);
	}
out:
	free(tmpl_name);
	free(token);
	free(newaddr);
	return rc;
}

static int
confirm_withdraw(struct program *p, struct program_in *in)
{
	if (store_participant_set_status(p->st, in->m->from, "withdrawn", p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "withdrawn");
	return reply_queue(p, in, "withdraw_done", NULL, 0, NULL, NULL);
}

static int
confirm_delete(struct program *p, struct program_in *in)
{
	if (store_personal_erase(p->st, in->m->from) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "personal data erased");
	return reply_queue(p, in, "delete_done", NULL, 0, NULL, NULL);
}

static int
confirm_change(struct program *p, struct program_in *in, const char *old_addr)
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

static int
confirm_subscribe(struct program *p, struct program_in *in)
{
	if (store_subscriber_add(p->st, in->m->from, p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "subscribed");
	return reply_queue(p, in, "subscribe_done", NULL, 0, NULL, NULL);
}

int
program_confirm(struct program *p, struct program_in *in, const char *token)
{
	struct token t;
	int found, rc = -1;

	if (token == NULL || token[0] == '\0')
		return confirm_refuse(p, in, "the Subject has no token after CONFIRM", "no token");
	if ((found = store_token_get(p->st, token, &t)) < 0)
		return -1;
	if (!found) {
		rc = confirm_refuse(p, in, "this confirmation code is not one we sent", "unknown");
	} else if (strcasecmp(t.email, in->m->from) != 0) {
		/* Never say whose it is: only the address it was sent to can use it. */
		rc = confirm_refuse(p, in, "this confirmation code is not one we sent", "wrong address");
	} else if (t.used_at != 0) {
		rc = confirm_refuse(p, in, "this confirmation code has already been used", "used");
	} else if (t.expires_at <= p->now) {
		rc = confirm_refuse(p, in, "this confirmation code has expired", "expired");
	} else if (store_token_use(p->st, token, p->now) < 0) {
		rc = -1;
	} else if (strcmp(t.action, "signup") == 0) {
		rc = program_signup_confirmed(p, in, t.payload);
	} else if (strcmp(t.action, "withdraw") == 0) {
		rc = confirm_withdraw(p, in);
	} else if (strcmp(t.action, "delete") == 0) {
		rc = confirm_delete(p, in);
	} else if (strcmp(t.action, "change") == 0) {
		rc = confirm_change(p, in, t.payload);
	} else if (strcmp(t.action, "subscribe") == 0) {
		rc = confirm_subscribe(p, in);
	} else if (strcmp(t.action, "coordinator") == 0) {
		rc = program_coordinator_confirmed(p, in, t.payload);
	} else {
		log_errorx("confirm: token with unknown action %s", t.action);
		rc = confirm_refuse(p, in, "this confirmation code is not one we sent", "bad action");
	}
	if (found)
		token_clear(&t);
	return rc;
}
