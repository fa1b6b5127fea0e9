/* program_confirm.c: the double opt-in of SPEC §6. Commands that destroy or change
 * identity (WITHDRAW, DELETE, CHANGE, SUBSCRIBE; SIGNUP in program_signup.c) only send
 * a token; CONFIRM <token> carries the action out when the token is known, unused,
 * unexpired and comes back from the address it was sent to. */
#include <json-c/json.h>
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
#include "words.h"

#define REASON_MAX 4000         /* bytes of a WITHDRAW or DELETE reason kept */

static int
confirm_refuse(struct program *p, struct program_in *in, const char *why_key, const char *what)
{
	char *why = words_format(reply_lang(p, in, "confirm_bad", NULL), why_key, NULL, 0);
	struct tmpl_var v[] = { { "why", why } };
	int rc;

	in->outcome = OUTCOME_REFUSED;
	snprintf(in->detail, sizeof(in->detail), "CONFIRM refused: %s", what);
	rc = reply_queue(p, in, "confirm_bad", v, nitems(v), NULL, NULL);
	free(why);
	return rc;
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

/* Send a token for action to `to` (the sender when NULL) with payload, in template
 * tmpl (confirm_<action> when NULL); *sent tells whether it went (not past the daily
 * share). 0, or -1 on a store error. */
static int
ask_token(struct program *p, struct program_in *in, const char *action, const char *to,
	  const char *payload, const char *tmpl, const struct tmpl_var *vars, size_t nvars,
	  bool *sent)
{
	char tmpl_name[48];
	char *token;
	struct tmpl_var v[8];
	size_t n = 0;
	int made, rc;

	*sent = false;
	if ((made = program_token_new(p, to ? to : in->m->from, action, payload, &token)) <= 0) {
		if (made < 0)
			return -1;
		in->outcome = OUTCOME_IGNORED;
		snprintf(in->detail, sizeof(in->detail), "too many %s requests today", action);
		return 0;
	}
	v[n++] = (struct tmpl_var){ "token", token };
	for (size_t i = 0; i < nvars && n < nitems(v); i++)
		v[n++] = vars[i];
	snprintf(tmpl_name, sizeof(tmpl_name), "confirm_%s", action);
	snprintf(in->detail, sizeof(in->detail), "%s confirmation requested", action);
	rc = reply_queue(p, in, tmpl ? tmpl : tmpl_name, v, n, to, NULL);
	free(token);
	*sent = rc == 0;
	return rc;
}

int
program_ask(struct program *p, struct program_in *in, const struct cmd *c, const char *payload)
{
	char action[32];
	bool sent;

	snprintf(action, sizeof(action), "%s", cmd_name(c->kind));
	str_lower(action);
	return ask_token(p, in, action, NULL, payload, NULL, NULL, 0, &sent);
}

/* The token of c's command, to the sender. */
static int
ask_sender(struct program *p, struct program_in *in, const struct cmd *c)
{
	return program_ask(p, in, c, "");
}

/* The same, carrying the body's words as the reason (for the coordinators only). */
static int
ask_with_reason(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct json_object *o = json_object_new_object();
	char *payload;
	size_t n = strlen(in->m->body);
	int rc;

	json_object_object_add(o, "reason", json_object_new_string_len(in->m->body,
				(int)(n > REASON_MAX ? REASON_MAX : n)));
	payload = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	rc = program_ask(p, in, c, payload);
	free(payload);
	return rc;
}

/* The reason a token's payload carries, or "" (caller frees). */
static char *
payload_reason(const char *payload)
{
	struct json_object *o = json_tokener_parse(payload), *r;
	char *s = xstrdup(o && json_object_is_type(o, json_type_object) &&
			  json_object_object_get_ex(o, "reason", &r) ?
			  json_object_get_string(r) : "");

	json_object_put(o);
	return s;
}

int
program_withdraw(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct sender_facts f;

	if (sender_facts(p, in->m->from, &f) < 0)
		return -1;
	if (!f.found)
		return ask_refuse(p, in, c, "not_registered");
	if (!f.active)
		return ask_refuse(p, in, c, "withdraw_already");
	return ask_with_reason(p, in, c);
}

int
program_delete(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct sender_facts f;

	if (sender_facts(p, in->m->from, &f) < 0)
		return -1;
	if (!f.found && !f.subscribed)
		return ask_refuse(p, in, c, "nothing_held");
	return ask_with_reason(p, in, c);
}

int
program_subscribe(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct sender_facts f;

	if (sender_facts(p, in->m->from, &f) < 0)
		return -1;
	if (f.subscribed)
		return ask_refuse(p, in, c, "subscribe_already");
	return ask_sender(p, in, c);
}

/* CHANGE <new address> (SPEC §2, §6) needs both ends. The old address confirms that
 * it asked (token "change" with payload {"to": new}); then the new one confirms that it
 * receives mail (token "change" with {"from": old}); only then the record moves. A new
 * address that is taken looks to the requester like any other: its owner is told. */
int
program_change(struct program *p, struct program_in *in, const struct cmd *c)
{
	const char *arg = c->arg;
	struct sender_facts f;
	char *newaddr, *payload;
	struct json_object *o;
	bool sent;
	int rc;

	if (sender_facts(p, in->m->from, &f) < 0)
		return -1;
	if (!f.found && !f.subscribed)
		return ask_refuse(p, in, c, "not_registered");
	if (arg == NULL || !mail_addr_strict(arg))
		return ask_refuse(p, in, c, "change_bad");
	if (strcasecmp(arg, in->m->from) == 0 || strcasecmp(arg, p->conf->address) == 0)
		return ask_refuse(p, in, c, "change_bad");
	newaddr = xstrdup(arg);
	str_lower(strrchr(newaddr, '@'));
	o = json_object_new_object();
	json_object_object_add(o, "to", json_object_new_string(newaddr));
	payload = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	{
		struct tmpl_var v[] = { { "new_address", newaddr }, { "old_address", in->m->from } };

		rc = ask_token(p, in, "change", NULL, payload, NULL, v, nitems(v), &sent);
	}
	free(payload);
	free(newaddr);
	return rc;
}

int
program_withdraw_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	char *reason = payload_reason(payload);
	int rc = program_leave_round(p, in->m->from, LEAVE_WITHDRAW, reason);

	free(reason);
	if (rc < 0 || store_waiting_remove_email(p->st, in->m->from) < 0)
		return -1;
	if (store_participant_set_status(p->st, in->m->from, PARTICIPANT_WITHDRAWN, p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "withdrawn");
	return reply_queue(p, in, "withdraw_done", NULL, 0, NULL, NULL);
}

int
program_delete_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	char *reason = payload_reason(payload);
	int rc = program_leave_round(p, in->m->from, LEAVE_DELETE, reason);

	free(reason);
	if (rc < 0)
		return -1;
	if (store_personal_erase(p->st, in->m->from, p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "personal data erased");
	/* the confirmation itself keeps no trace of them once it has left */
	if (reply_queue(p, in, "delete_done", NULL, 0, NULL, NULL) < 0)
		return -1;
	return store_outbox_erase_on_send(p->st, in->m->from);
}

/* The old address confirmed: the new one is asked, or, when it is taken, its owner is
 * told; the requester hears the same either way. */
static int
change_ask_new(struct program *p, struct program_in *in, const char *newaddr)
{
	struct tmpl_var v[] = { { "new_address", newaddr }, { "old_address", in->m->from } };
	char *payload;
	struct json_object *o;
	bool sent = false;
	int taken, rc;

	if ((taken = store_participant_get(p->st, newaddr, NULL, NULL)) < 0)
		return -1;
	if (taken) {
		snprintf(in->detail, sizeof(in->detail), "change to a registered address refused");
		rc = reply_queue(p, in, "change_taken", v, nitems(v), newaddr, NULL);
		sent = true;
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "from", json_object_new_string(in->m->from));
		payload = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		rc = ask_token(p, in, "change", newaddr, payload, "change_verify", v, nitems(v),
			       &sent);
		free(payload);
	}
	if (rc == 0 && sent)
		rc = reply_queue(p, in, "change_pending", v, nitems(v), NULL, NULL);
	return rc;
}

/* The new address confirmed: the record of the old one moves to it. */
static int
change_move(struct program *p, struct program_in *in, const char *old_addr)
{
	struct tmpl_var v[] = { { "new_address", in->m->from }, { "old_address", old_addr } };
	int found = store_participant_get(p->st, in->m->from, NULL, NULL);

	if (found < 0)
		return -1;
	if (found)
		return confirm_refuse(p, in, "refuse.confirm.taken", "taken");
	if (store_participant_set_email(p->st, old_addr, in->m->from, p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "address changed");
	return reply_queue(p, in, "change_done", v, nitems(v), NULL, old_addr);
}

int
program_change_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	struct json_object *o = json_tokener_parse(payload), *v;
	int rc;

	if (o && json_object_object_get_ex(o, "to", &v))
		rc = change_ask_new(p, in, json_object_get_string(v));
	else if (o && json_object_object_get_ex(o, "from", &v))
		rc = change_move(p, in, json_object_get_string(v));
	else
		rc = change_move(p, in, payload);       /* a token of an older ilnbot */
	json_object_put(o);
	return rc;
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
		return confirm_refuse(p, in, "refuse.confirm.no_token", "no token");
	if ((found = store_token_get(p->st, token, &t)) < 0)
		return -1;
	row = found ? command_by_name(t.action) : NULL;
	coordinator = found && strcmp(t.action, "coordinator") == 0;
	if (!found) {
		rc = confirm_refuse(p, in, "refuse.confirm.not_ours", "unknown");
	} else if (strcasecmp(t.email, in->m->from) != 0) {
		/* Never say whose it is: only the address it was sent to can use it. */
		rc = confirm_refuse(p, in, "refuse.confirm.not_ours", "wrong address");
	} else if (t.superseded_at != 0 && t.used_at == 0) {
		rc = confirm_refuse(p, in, "refuse.confirm.superseded", "superseded");
	} else if (t.used_at != 0) {
		rc = confirm_refuse(p, in, "refuse.confirm.used", "used");
	} else if (t.expires_at <= p->now) {
		rc = confirm_refuse(p, in, "refuse.confirm.expired", "expired");
	} else if (!coordinator && (row == NULL || !(row->flags & CMD_CONFIRMED))) {
		log_errorx("confirm: token with unknown action %s", t.action);
		rc = confirm_refuse(p, in, "refuse.confirm.not_ours", "bad action");
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
