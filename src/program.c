/* program.c: the command table and the dispatcher. Every email command is one row of
 * commands[]: its words, its argument, its handler (program_*.c), its flags and the
 * templates it sends. The Subject parser (cmd_parse.c), the dispatcher below, the
 * confirmation chain (program_confirm.c), the coordinator gate and check-config all read
 * this one table, so a new command is a row, a handler and its templates. The gates for
 * coordinator and partnership commands and HELP live here too. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth_results.h"
#include "cmd.h"
#include "conf.h"
#include "form.h"
#include "log.h"
#include "msg.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

static int program_help(struct program *p, struct program_in *in, const struct cmd *c);

const struct command commands[] = {
	{ CMD_HELP, "HELP", "", CMD_ARG_TEXT, 0, program_help, NULL, "help help_short" },
	{ CMD_SIGNUP, "SIGNUP", "JOIN APPLY", CMD_ARG_TEXT, CMD_CONFIRMED, program_signup,
	  program_signup_confirmed,
	  "signup_confirm signup_problems signup_already signup_done" },
	{ CMD_CONFIRM, "CONFIRM", "", CMD_ARG_TOKEN, 0, program_confirm, NULL, "confirm_bad" },
	{ CMD_UPDATE, "UPDATE", "", CMD_ARG_TEXT, 0, program_update, NULL,
	  "update_done update_problems not_registered" },
	{ CMD_SHOW, "SHOW", "MYDATA", CMD_ARG_TEXT, 0, program_show, NULL,
	  "show not_registered" },
	{ CMD_STATUS, "STATUS", "", CMD_ARG_TEXT, 0, program_status, NULL,
	  "status not_registered" },
	{ CMD_WITHDRAW, "WITHDRAW", "", CMD_ARG_TEXT, CMD_CONFIRMED, program_withdraw,
	  program_withdraw_confirmed,
	  "confirm_withdraw withdraw_done withdraw_already not_registered partner_left "
	  "partnership_ended" },
	{ CMD_DISSOLVE, "DISSOLVE", "", CMD_ARG_TEXT, CMD_PARTNERSHIP | CMD_CONFIRMED,
	  program_dissolve, program_dissolve_confirmed,
	  "confirm_dissolve dissolve_done partner_left partnership_ended introduction "
	  "rematch_summary next_round no_partnership" },
	{ CMD_PROBLEM, "PROBLEM", "REPORT", CMD_ARG_TEXT, CMD_PARTNERSHIP, program_problem, NULL,
	  "report_ack report_coordinators nudge" },
	{ CMD_CONTINUE, "CONTINUE", "", CMD_ARG_TEXT, CMD_PARTNERSHIP, program_choice, NULL,
	  "choice_done" },
	{ CMD_CONCLUDE, "CONCLUDE", "", CMD_ARG_TEXT, CMD_PARTNERSHIP, program_choice, NULL,
	  "choice_done" },
	{ CMD_DELETE, "DELETE", "FORGET", CMD_ARG_TEXT, CMD_CONFIRMED, program_delete,
	  program_delete_confirmed,
	  "confirm_delete delete_done nothing_held partner_left partnership_ended" },
	{ CMD_CHANGE, "CHANGE", "", CMD_ARG_ADDRESS, CMD_CONFIRMED, program_change,
	  program_change_confirmed,
	  "confirm_change change_verify change_pending change_done change_bad change_taken "
	  "not_registered confirm_bad" },
	{ CMD_SUBSCRIBE, "SUBSCRIBE", "", CMD_ARG_TEXT, CMD_CONFIRMED, program_subscribe,
	  program_subscribe_confirmed, "confirm_subscribe subscribe_done subscribe_already" },
	{ CMD_UNSUBSCRIBE, "UNSUBSCRIBE", "", CMD_ARG_TEXT, 0, program_unsubscribe, NULL,
	  "unsubscribe_done" },
	{ CMD_ROUND_OPEN, "ROUND OPEN", "", CMD_ARG_TEXT, CMD_COORDINATOR, round_open, NULL,
	  "round_opened round_problems round_announce" },
	{ CMD_MATCH, "MATCH", "", CMD_ARG_TEXT, CMD_COORDINATOR, round_match, NULL,
	  "match_preview no_round coord_done" },
	{ CMD_APPROVE, "APPROVE", "", CMD_ARG_TEXT, CMD_COORDINATOR, round_approve, NULL,
	  "approve_done approve_stale no_round introduction unmatched_options" },
	{ CMD_TOPIC, "TOPIC", "", CMD_ARG_TEXT, CMD_COORDINATOR, program_topic, NULL,
	  "topic_queued topic_cancelled topic_problems" },
	{ CMD_TOPICS, "TOPICS", "", CMD_ARG_TEXT, 0, program_topics, NULL, "topics" },
	{ CMD_REPORTS, "REPORTS", "", CMD_ARG_TEXT, CMD_COORDINATOR, program_reports, NULL,
	  "reports" },
	{ CMD_STATS, "STATS", "", CMD_ARG_TEXT, CMD_COORDINATOR, round_stats, NULL, "stats" },
	{ CMD_EXPORT, "EXPORT", "", CMD_ARG_TEXT, CMD_COORDINATOR, round_export, NULL, "export" },
};

const size_t ncommands = nitems(commands);

/* What every command may send besides its own templates: the daily cap's notice, and
 * the gates' answers. */
const char program_gate_templates[] =
	"rate_limited coordinators_only confirm_coordinator not_registered no_partnership "
	"context_note checkin_ack coord_done partner_answered";

const struct command *
command_of(enum cmd_kind k)
{
	for (size_t i = 0; i < ncommands; i++)
		if (commands[i].kind == k)
			return &commands[i];
	return NULL;
}

const struct command *
command_by_name(const char *name)
{
	for (size_t i = 0; i < ncommands; i++)
		if (strcasecmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int64_t
program_tick(struct program *p)
{
	if (!p->fixed_now)
		p->now = (int64_t)time(NULL);
	return p->now;
}

static int
program_help(struct program *p, struct program_in *in, const struct cmd *c)
{
	const struct msg *m = in->m;
	const char *why;
	bool coord = conf_is_coordinator(p->conf, m->from) &&
		     auth_results_pass(m->auth_results, m->n_auth_results,
				       p->conf->trusted_authserv_id, m->from, &why);
	struct tmpl_var v[] = { { "unknown", c->kind == CMD_UNKNOWN ? c->word : "" },
				{ "coordinator", coord ? "yes" : "" } };

	in->outcome = c->kind == CMD_HELP ? OUTCOME_DONE : OUTCOME_UNKNOWN;
	/* a word we do not know gets the short help in the sender's language, which points
	 * to HELP for everything */
	if (c->kind != CMD_HELP) {
		snprintf(in->detail, sizeof(in->detail), "short help sent");
		return reply_queue(p, in, "help_short", v, 1, NULL, NULL);
	}
	snprintf(in->detail, sizeof(in->detail), "help sent");
	return reply_queue(p, in, "help", v, nitems(v), NULL, NULL);
}

/* CMD_PARTNERSHIP: 1 when the sender has an active partnership; else the refusal is
 * queued and 0 returned (-1 on a store error). */
static int
gate_partnership(struct program *p, struct program_in *in, const struct cmd *c)
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
	if (found && partnered)
		return 1;
	tmpl = !found ? "not_registered" : "no_partnership";
	in->outcome = OUTCOME_REFUSED;
	snprintf(in->detail, sizeof(in->detail), "%s: %s", cmd_name(c->kind), tmpl);
	return reply_queue(p, in, tmpl, v, nitems(v), NULL, NULL) < 0 ? -1 : 0;
}

/* What a confirmation will carry out, for the coordinator to read before confirming:
 * the command with its argument, then the body's first lines (its Field: lines, a
 * topic's text), each quoted and cut. Caller frees. */
#define DETAILS_LINES 12
#define ANNOUNCE_FORM_FIELDS 3   /* fields that make a reply to the announcement a form */
#define DETAILS_LINE_MAX 200

static char *
command_details(const struct cmd *c, const char *body)
{
	struct buf b;
	int lines = 0;

	buf_init(&b, 0);
	buf_printf(&b, "  %s%s%s\n", cmd_name(c->kind), c->arg[0] ? " " : "", c->arg);
	for (const char *l = body; l && *l && lines < DETAILS_LINES;) {
		size_t n = strcspn(l, "\n"), k = n;

		while (k > 0 && (l[k - 1] == ' ' || l[k - 1] == '\t' || l[k - 1] == '\r'))
			k--;
		if (k > 0) {
			size_t cut = k > DETAILS_LINE_MAX ? DETAILS_LINE_MAX : k;

			while (cut < k && cut > 0 && ((unsigned char)l[cut] & 0xc0) == 0x80)
				cut--;          /* not inside a UTF-8 character */
			buf_printf(&b, "  | %.*s%s\n", (int)cut, l, cut < k ? " ..." : "");
			lines++;
		}
		l += n;
		if (*l == '\n')
			l++;
		if (lines == DETAILS_LINES && *l)
			buf_adds(&b, "  | ...\n");
	}
	return buf_steal(&b);
}

/* CMD_COORDINATOR: 1 when the sender is a configured coordinator and authenticated by
 * our own server's Authentication-Results. Otherwise 0: a stranger is refused, and an
 * unauthenticated coordinator is sent a token whose confirmation carries the command
 * out (program_coordinator_confirmed). -1 on a store error. */
static int
gate_coordinator(struct program *p, struct program_in *in, const struct cmd *c)
{
	const struct msg *m = in->m;
	struct tmpl_var v[] = { { "command", cmd_name(c->kind) }, { "token", "" },
				{ "details", "" } };
	const char *why;
	char *payload, *token, *details;
	struct json_object *o;
	int made, rc;

	if (!conf_is_coordinator(p->conf, m->from)) {
		in->outcome = OUTCOME_REFUSED;
		snprintf(in->detail, sizeof(in->detail), "%s from a non-coordinator",
			 cmd_name(c->kind));
		return reply_queue(p, in, "coordinators_only", v, 1, NULL, NULL) < 0 ? -1 : 0;
	}
	if (auth_results_pass(m->auth_results, m->n_auth_results, p->conf->trusted_authserv_id,
			      m->from, &why))
		return 1;
	o = json_object_new_object();
	json_object_object_add(o, "subject", json_object_new_string(m->subject));
	json_object_object_add(o, "body", json_object_new_string(m->body));
	payload = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	made = program_token_new(p, m->from, "coordinator", payload, &token);
	free(payload);
	if (made <= 0) {
		if (made < 0)
			return -1;
		in->outcome = OUTCOME_IGNORED;
		snprintf(in->detail, sizeof(in->detail), "too many coordinator confirmations today");
		return 0;
	}
	v[1].value = token;
	v[2].value = details = command_details(c, m->body);
	snprintf(in->detail, sizeof(in->detail), "%s awaits confirmation (%s)",
		 cmd_name(c->kind), why);
	rc = reply_queue(p, in, "confirm_coordinator", v, nitems(v), NULL, NULL);
	free(details);
	free(token);
	return rc < 0 ? -1 : 0;
}

/* A confirmed coordinator command: the stored Subject's command, run with the stored
 * body, threaded to the confirming message. */
int
program_coordinator_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	struct json_object *o = json_tokener_parse(payload), *s, *b;
	const struct command *row = NULL;
	struct cmd c = { 0 };
	int rc = 0;

	if (o && json_object_object_get_ex(o, "cc", &s) && conf_is_coordinator(p->conf, in->m->from)) {
		rc = program_coord_cc_confirmed(p, in, o);
		json_object_put(o);
		return rc;
	}
	if (o && json_object_object_get_ex(o, "subject", &s) &&
	    json_object_object_get_ex(o, "body", &b) && conf_is_coordinator(p->conf, in->m->from)) {
		cmd_parse(json_object_get_string(s), &c);
		row = command_of(c.kind);
	}
	if (row && (row->flags & CMD_COORDINATOR)) {
		struct msg m = *in->m;
		const struct msg *orig = in->m;

		m.body = (char *)json_object_get_string(b);
		in->m = &m;
		rc = row->handle(p, in, &c);
		in->m = orig;
	} else {
		log_errorx("confirm: unusable coordinator payload");
		in->outcome = OUTCOME_REFUSED;
	}
	cmd_free(&c);
	json_object_put(o);
	return rc;
}

/* The kind and key of the mail of ours that m answers (In-Reply-To, else the newest of
 * its References that is ours): 1 found (strings the caller's), 0 none, -1 error. */
int
program_answered_mail(struct program *p, const struct msg *m, char **kind, char **key)
{
	char id[256];
	int found;

	*kind = *key = NULL;
	if (m->in_reply_to && (found = store_outbox_lookup(p->st, m->in_reply_to, kind, key)) != 0)
		return found;
	for (const char *e = m->references ? m->references + strlen(m->references) : NULL;
	     e && e > m->references;) {
		const char *s = e;
		size_t n;

		while (s > m->references && s[-1] != ' ')
			s--;
		n = (size_t)(e - s);
		if (n > 0 && n < sizeof(id)) {
			memcpy(id, s, n);
			id[n] = '\0';
			if ((found = store_outbox_lookup(p->st, id, kind, key)) != 0)
				return found;
		}
		e = s > m->references ? s - 1 : s;
	}
	return 0;
}

/* The command that the first word of the body's first line is, or CMD_UNKNOWN. */
static enum cmd_kind
first_line_command(const char *body)
{
	char line[128];
	struct cmd c;
	enum cmd_kind k;
	size_t n;

	while (*body == '\n' || *body == ' ' || *body == '\t')
		body++;
	n = strcspn(body, "\n");
	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), body);
	cmd_parse(line, &c);
	k = c.kind;
	cmd_free(&c);
	return k;
}

/* A reply to a check-in that is no command is the partner's answer: recorded (the
 * key is checkin:ROUND:DAY:PARTICIPANT) and acknowledged. */
static int
checkin_answer(struct program *p, struct program_in *in, const char *key)
{
	struct participant part = { 0 };
	long long round_id, day, pid;
	int found;

	if (sscanf(key, "checkin:%lld:%lld:%lld", &round_id, &day, &pid) != 3)
		return 0;
	if ((found = store_participant_get(p->st, in->m->from, &part, NULL)) < 0)
		return -1;
	if (!found || part.id != pid) {
		participant_clear(&part);
		return 0;
	}
	participant_clear(&part);
	if (store_checkin_answer(p->st, pid, round_id, day, p->now) < 0)
		return -1;
	snprintf(in->detail, sizeof(in->detail), "check-in answered");
	return reply_queue(p, in, "checkin_ack", NULL, 0, NULL, NULL) < 0 ? -1 : 1;
}

/* Threads carry context: a reply to our mail that is no command means something by the
 * mail it answers, never the whole HELP. 1 handled (and *kind set when the body's first
 * line is the command to run instead), 0 not a reply to ours, -1 a store error. */
static int
context_reply(struct program *p, struct program_in *in, enum cmd_kind *run)
{
	char *kind = NULL, *key = NULL;
	enum cmd_kind first;
	int found, rc = 1;

	*run = CMD_UNKNOWN;
	if ((found = program_answered_mail(p, in->m, &kind, &key)) <= 0)
		return found;
	first = first_line_command(in->m->body);
	if (strcmp(kind, "checkin") == 0 && first == CMD_PROBLEM) {
		*run = CMD_PROBLEM;
	} else if (strcmp(kind, "reminder") == 0 &&
		   (first == CMD_CONTINUE || first == CMD_CONCLUDE)) {
		*run = first;
	} else if (strcmp(kind, "round_announce") == 0 &&
		   form_field_count(in->m->body) >= ANNOUNCE_FORM_FIELDS) {
		/* the announcement answered with the form filled in, whatever the Subject */
		*run = CMD_SIGNUP;
	} else if (strcmp(kind, "checkin") == 0 && (rc = checkin_answer(p, in, key)) != 0) {
		;
	} else {
		struct tmpl_var v[] = { { "about", "" } };

		in->outcome = OUTCOME_UNKNOWN;
		snprintf(in->detail, sizeof(in->detail), "a reply to our %s: note sent", kind);
		rc = reply_queue(p, in, "context_note", v, nitems(v), NULL, NULL) < 0 ? -1 : 1;
	}
	free(kind);
	free(key);
	return rc;
}

/* The bot's address is in Cc and not in To. */
static bool
only_in_cc(struct program *p, const struct msg *m)
{
	bool cc = false;

	for (size_t i = 0; i < m->n_rcpts; i++)
		if (strcasecmp(m->rcpts[i], p->conf->address) == 0) {
			if (i < m->n_to)
				return false;
			cc = true;
		}
	return cc;
}

int
program_handle(struct program *p, struct program_in *in)
{
	const struct command *row;
	struct cmd c;
	int rc = 1;

	cmd_parse(in->m->subject, &c);
	in->outcome = OUTCOME_DONE;
	/* Any mail from a participant is a sign of life (a nudge answered). */
	if ((rc = program_sign_of_life(p, in->m->from)) < 0)
		goto out;
	rc = 1;
	if (c.kind == CMD_UNKNOWN) {
		enum cmd_kind run;

		if ((rc = program_coord_cc(p, in)) != 0) {
			rc = rc < 0 ? -1 : 0;
			goto out;
		}
		if ((rc = context_reply(p, in, &run)) < 0)
			goto out;
		if (rc > 0 && run == CMD_UNKNOWN) {
			rc = 0;
			goto out;
		}
		if (rc > 0)
			c.kind = run;
		else if (only_in_cc(p, in->m)) {
			/* copied on a thread between people: never answered with HELP */
			in->outcome = OUTCOME_IGNORED;
			snprintf(in->detail, sizeof(in->detail), "a copy (the bot only in Cc)");
			rc = 0;
			goto out;
		}
		rc = 1;
	}
	if ((row = command_of(c.kind)) == NULL)
		row = command_of(CMD_HELP);
	if (row->flags & CMD_COORDINATOR)
		rc = gate_coordinator(p, in, &c);
	else if (row->flags & CMD_PARTNERSHIP)
		rc = gate_partnership(p, in, &c);
	if (rc > 0)
		rc = row->handle(p, in, &c);
out:
	cmd_free(&c);
	return rc < 0 ? -1 : 0;
}

/* A template name of a list that check_templates checks once. */
static void
check_one(const struct tmpl_set *set, const char *dir, const char *name, struct buf *problems,
	  int *bad)
{
	const struct mail_kind *k = mail_kind_find(name);
	const char *known[REPLY_MAX_KNOWN];
	char words[1024], err[512];
	size_t n = 0;

	if (k == NULL) {
		buf_printf(problems, "%s: named by the command table, not in mail_kinds[]\n", name);
		(*bad)++;
		return;
	}
	if (!tmpl_has(set, name)) {
		buf_printf(problems, "%s/%s.txt is missing\n", dir, name);
		(*bad)++;
		return;
	}
	snprintf(words, sizeof(words), "%s %s", mail_common_vars, k->vars);
	for (char *s = words, *save = NULL, *w; n < nitems(known) &&
	     (w = strtok_r(s, " ", &save)) != NULL; s = NULL)
		known[n++] = w;
	if (tmpl_check_vars(set, name, known, n, err, sizeof(err)) < 0) {
		buf_printf(problems, "%s (it gets: %s %s)\n", err, mail_common_vars, k->vars);
		(*bad)++;
	}
}

/* Every name of a space-separated template list. */
static void
check_list(const struct tmpl_set *set, const char *dir, const char *list, struct buf *problems,
	   int *bad)
{
	for (const char *s = list; *s; s += strspn(s, " ")) {
		char name[64];
		size_t k = strcspn(s, " ");

		snprintf(name, sizeof(name), "%.*s", (int)(k < sizeof(name) ? k : sizeof(name) - 1),
			 s);
		check_one(set, dir, name, problems, bad);
		s += k;
	}
}

/* A language set's file uses the same placeholders and sections as the default's: one
 * that leaves out {{#history}} hides that part of the mail from its readers. */
static void
place_same(const struct tmpl_set *set, const struct tmpl_set *ls, const char *dir,
	   const char *sub, const char *name, struct buf *problems, int *bad)
{
	char *want = tmpl_placeholders(set, name), *have = tmpl_placeholders(ls, name);

	if (want && have && strcmp(want, have) != 0) {
		buf_printf(problems, "%s/%s.txt: placeholders \"%s\"; %s/%s.txt has \"%s\"\n", sub,
			   name, have, dir, name, want);
		(*bad)++;
	}
	free(want);
	free(have);
}

int
program_check_templates(const struct tmpl_set *set, const char *dir, struct buf *problems)
{
	int bad = 0;

	for (size_t i = 0; i < ncommands; i++)
		check_list(set, dir, commands[i].templates, problems, &bad);
	check_list(set, dir, program_gate_templates, problems, &bad);
	for (size_t i = 0; i < nmail_kinds; i++)
		check_one(set, dir, mail_kinds[i].tmpl, problems, &bad);
	/* each language set: its files are mail kinds of the default set, with the same
	 * placeholders; a file it lacks is the default's */
	for (size_t l = 0; tmpl_lang_code(set, l) != NULL; l++) {
		const char *code = tmpl_lang_code(set, l);
		const struct tmpl_set *ls = tmpl_lang(set, code);
		char *sub = xasprintf("%s/%s", dir, code);
		const char *name;

		for (size_t i = 0; (name = tmpl_name_at(ls, i)) != NULL; i++) {
			if (!tmpl_has(set, name)) {
				buf_printf(problems, "%s/%s.txt: no %s/%s.txt in the default set\n", sub,
					   name, dir, name);
				bad++;
				continue;
			}
			check_one(ls, sub, name, problems, &bad);
			place_same(set, ls, dir, sub, name, problems, &bad);
		}
		free(sub);
	}
	return bad;
}
