/* program_partnership.c: a partnership's life after the introduction (SPEC §1, §2, §5):
 * PROBLEM (also REPORT) opens a numbered report [#N]; one saying the partner does not
 * respond nudges the partner on the reporter's behalf and, when the partner has not
 * written to us within nudge_days, dissolves the partnership; DISSOLVE (after
 * confirmation), WITHDRAW and DELETE end a partnership and put the partner left alone in
 * the waiting pool (program_rematch.c); any mail from a participant is a sign of life
 * that answers the reports waiting for them; CONTINUE and CONCLUDE answer the end-of-round
 * reminder; REPORTS lists the open reports for coordinators.
 * Privacy: a report's text and a leaver's reason reach only the coordinators (and the
 * owner, by SHOW); the partner is never told either. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "conf.h"
#include "log.h"
#include "msg.h"
#include "program.h"
#include "schedule.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

#define REPORT_TEXT_MAX 4000    /* bytes of a report's or reason's text kept */

/* words_each() context of says_silent: the text's key, and whether a phrase is in it. */
struct silent_ctx {
	const char *key;
	bool found;
};

static void
silent_one(void *ctx, const char *lang, const char *value)
{
	struct silent_ctx *c = ctx;
	char k[256];

	(void)lang;
	for (const char *a = value; !c->found && *a; a += *a == '|') {
		size_t n = strcspn(a, "|");

		if (utf8_fold(a, n, k, sizeof(k)) && *k && strstr(c->key, k) != NULL)
			c->found = true;
		a += n;
	}
}

/* Whether s says the partner does not respond: one of the phrases of any set's
 * [phrases] partner.silent in it, capitals and accents ignored. */
static bool
says_silent(const char *s)
{
	size_t n = s ? strlen(s) : 0, ksz = 2 * n + 16;
	char *key;
	struct silent_ctx c = { NULL, false };

	if (n == 0)
		return false;
	key = xmalloc(ksz);
	if (utf8_fold(s, n, key, ksz)) {
		c.key = key;
		words_each("phrases", "partner.silent", silent_one, &c);
	}
	free(key);
	return c.found;
}

/* The text of a message as kept for coordinators: the body, else the Subject's words. */
static char *
message_text(const struct msg *m, const char *arg)
{
	const char *s = m->body;
	size_t n;

	while (*s == '\n' || *s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		s = arg;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n > REPORT_TEXT_MAX) {
		n = REPORT_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

/* One mail to the coordinators, keyed. */
static int
to_coordinators(struct program *p, const char *tmpl, const struct tmpl_var *v, size_t nv,
		const char *key)
{
	char **coords = NULL;
	size_t n = program_coordinators(p->conf, &coords);
	struct outmail om;
	int rc = 0;

	if (n > 0) {
		memset(&om, 0, sizeof(om));
		om.tmpl = tmpl;
		om.vars = v;
		om.nvars = nv;
		om.to = (const char *const *)coords;
		om.nto = n;
		om.key = key;
		rc = outmail_queue(p, &om);
	}
	program_strv_free(coords, n);
	return rc;
}

/* The language to_coordinators(p, tmpl, ...) writes in (reply_outmail_language). */
static const char *
coordinators_language(struct program *p, const char *tmpl)
{
	char **coords = NULL;
	size_t n = program_coordinators(p->conf, &coords);
	struct outmail om = { .tmpl = tmpl, .to = (const char *const *)coords, .nto = n };
	const char *lang = n > 0 ? reply_outmail_language(p, &om) : NULL;

	program_strv_free(coords, n);
	return lang;
}

/* One scheduled-like mail to one person, keyed. */
static int
to_one(struct program *p, const char *tmpl, const char *to, const struct tmpl_var *v, size_t nv,
       const char *key)
{
	struct outmail om;

	memset(&om, 0, sizeof(om));
	om.tmpl = tmpl;
	om.vars = v;
	om.nvars = nv;
	om.to = &to;
	om.nto = 1;
	om.key = key;
	return outmail_queue(p, &om);
}

/* The sender's participant record and active partnership (both filled, 1), or 0. */
static int
sender_partnership(struct program *p, const char *from, struct participant *part,
		   struct partnership *x)
{
	int found;

	memset(x, 0, sizeof(*x));
	if ((found = store_participant_get(p->st, from, part, NULL)) <= 0)
		return found;
	return store_partner_of(p->st, part->id, x);
}

int
program_problem(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct participant part = { 0 };
	struct partnership x;
	char *text = NULL, num[24], days[16], key[64];
	enum report_kind kind;
	int64_t id, partner;
	const char *partner_email;
	int rc = -1;

	if (sender_partnership(p, in->m->from, &part, &x) != 1)
		goto out;
	partner = x.a == part.id ? x.b : x.a;
	partner_email = x.a == part.id ? x.b_email : x.a_email;
	text = message_text(in->m, c->arg);
	kind = says_silent(in->m->subject) || says_silent(text) ? REPORT_NO_RESPONSE : REPORT_OTHER;
	if (store_report_add(p->st, x.id, x.round_id, part.id, partner, kind, text, p->now,
			     kind == REPORT_NO_RESPONSE ? schedule_day_start(schedule_day(p->now) +
			     p->conf->nudge_days) : 0, &id) < 0)
		goto out;
	snprintf(num, sizeof(num), "%lld", (long long)id);
	snprintf(days, sizeof(days), "%d", p->conf->nudge_days);
	{
		struct tmpl_var v[] = {
			{ "report", num }, { "partner", partner_email }, { "nudge_days", days },
			{ "no_response", kind == REPORT_NO_RESPONSE ? "yes" : "" },
			{ "other", kind == REPORT_OTHER ? "yes" : "" },
			{ "reporter", in->m->from }, { "text", text },
		};

		snprintf(in->detail, sizeof(in->detail), "report %lld opened (%s)", (long long)id,
			 report_kind_name(kind));
		if (reply_queue(p, in, "report_ack", v, 6, NULL, NULL) < 0)
			goto out;
		snprintf(key, sizeof(key), "report:%lld:coordinators", (long long)id);
		if (to_coordinators(p, "report_coordinators", v, nitems(v), key) < 0)
			goto out;
		if (kind == REPORT_NO_RESPONSE) {
			/* The nudge speaks for the reporter and never carries the report's text. */
			struct tmpl_var nv[] = { { "report", num }, { "partner", in->m->from },
						 { "nudge_days", days } };

			snprintf(key, sizeof(key), "report:%lld:nudge", (long long)id);
			if (to_one(p, "nudge", partner_email, nv, nitems(nv), key) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	participant_clear(&part);
	partnership_clear(&x);
	free(text);
	return rc;
}

/* ---- the end of a partnership before the round's ---- */

int
partnership_leave(struct program *p, const struct partnership *x, int64_t leaver,
		  enum leave_how how, const char *reason, const char *by)
{
	static const char *const how_keys[] = {
		[LEAVE_DISSOLVE] = "coord.left.dissolve", [LEAVE_WITHDRAW] = "coord.left.withdraw",
		[LEAVE_DELETE] = "coord.left.delete", [LEAVE_SILENT] = "coord.left.silent",
		[LEAVE_COORDINATOR] = "coord.left.coordinator",
	};
	const char *leaver_email = leaver == x->a ? x->a_email : leaver == x->b ? x->b_email : "";
	char key[96];
	int rc;

	if (store_partnership_dissolve(p->st, x->id, p->now) < 0)
		return -1;
	for (int side = 0; side < 2; side++) {
		int64_t who = side == 0 ? x->a : x->b;
		const char *email = side == 0 ? x->a_email : x->b_email;
		enum participant_status st = side == 0 ? x->a_status : x->b_status;
		enum waiting_reason wr;
		const char *tmpl = NULL;

		if (st != PARTICIPANT_ACTIVE)
			continue;
		if (who == leaver) {
			if (how == LEAVE_WITHDRAW || how == LEAVE_DELETE)
				continue;       /* out of the round */
			wr = how == LEAVE_SILENT ? WAIT_SILENT : WAIT_DISSOLVED;
			tmpl = how == LEAVE_SILENT ? "dissolved_silent" : NULL;
		} else {
			wr = WAIT_ABANDONED;
			tmpl = how == LEAVE_SILENT ? "dissolved_reporter" : "partner_left";
		}
		if (store_waiting_add(p->st, who, x->round_id, wr, wr == WAIT_ABANDONED ? 1 : 0,
				      p->now) < 0)
			return -1;
		if (how == LEAVE_COORDINATOR)
			tmpl = "partner_left";
		if (tmpl) {
			struct tmpl_var v[] = { { "partner", side == 0 ? x->b_email : x->a_email } };

			snprintf(key, sizeof(key), "left:%lld:%lld", (long long)x->id, (long long)who);
			if (to_one(p, tmpl, email, v, nitems(v), key) < 0)
				return -1;
		}
	}
	{
		struct tmpl_var v[] = {
			{ "a_email", x->a_email }, { "b_email", x->b_email },
			{ "leaver", leaver_email },
			{ "how", words_text(coordinators_language(p, "partnership_ended"),
					    how_keys[how]) },
			{ "reason", reason ? reason : "" }, { "by", by ? by : "" },
		};

		snprintf(key, sizeof(key), "left:%lld:coordinators", (long long)x->id);
		if (to_coordinators(p, "partnership_ended", v, nitems(v), key) < 0)
			return -1;
	}
	rc = program_rematch(p, x->round_id);
	return rc < 0 ? -1 : 0;
}

/* The sender's active partnership ends because they leave the round (WITHDRAW, DELETE):
 * 0 also when they had none. */
int
program_leave_round(struct program *p, const char *from, enum leave_how how, const char *reason)
{
	struct participant part = { 0 };
	struct partnership x;
	int found, rc = 0;

	if ((found = sender_partnership(p, from, &part, &x)) < 0)
		rc = -1;
	else if (found)
		rc = partnership_leave(p, &x, part.id, how, reason, NULL);
	participant_clear(&part);
	partnership_clear(&x);
	return rc;
}

int
program_dissolve(struct program *p, struct program_in *in, const struct cmd *c)
{
	char *reason = message_text(in->m, c->arg), *payload;
	struct json_object *o = json_object_new_object();
	int rc;

	json_object_object_add(o, "reason", json_object_new_string(reason));
	payload = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	rc = program_ask(p, in, c, payload);
	free(payload);
	free(reason);
	return rc;
}

int
program_dissolve_confirmed(struct program *p, struct program_in *in, const char *payload)
{
	struct json_object *o = json_tokener_parse(payload), *r;
	const char *reason = o && json_object_object_get_ex(o, "reason", &r) ?
			     json_object_get_string(r) : "";
	struct participant part = { 0 };
	struct partnership x;
	int found, rc = -1;

	if ((found = sender_partnership(p, in->m->from, &part, &x)) < 0)
		goto out;
	if (!found) {
		struct tmpl_var v[] = { { "command", "DISSOLVE" } };

		in->outcome = OUTCOME_REFUSED;
		snprintf(in->detail, sizeof(in->detail), "DISSOLVE: no partnership any more");
		rc = reply_queue(p, in, "no_partnership", v, nitems(v), NULL, NULL);
		goto out;
	}
	if (partnership_leave(p, &x, part.id, LEAVE_DISSOLVE, reason, NULL) < 0)
		goto out;
	snprintf(in->detail, sizeof(in->detail), "partnership %lld dissolved", (long long)x.id);
	rc = reply_queue(p, in, "dissolve_done", NULL, 0, NULL, NULL);
out:
	participant_clear(&part);
	partnership_clear(&x);
	json_object_put(o);
	return rc;
}

/* ---- signs of life, and nudges that ran out ---- */

int
program_sign_of_life(struct program *p, const char *from)
{
	struct report *r = NULL;
	int64_t id;
	int n, found, rc = -1;

	if ((found = store_participant_seen(p->st, from, p->now, &id)) <= 0)
		return found;
	if ((n = store_reports_awaiting(p->st, id, &r)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char num[24], key[64];
		struct tmpl_var v[] = { { "report", num }, { "partner", from } };

		if (store_report_close(p->st, r[i].id, REPORT_ANSWERED, from, p->now) < 0)
			goto out;
		snprintf(num, sizeof(num), "%lld", (long long)r[i].id);
		snprintf(key, sizeof(key), "report:%lld:answered", (long long)r[i].id);
		if (r[i].reporter_email &&
		    to_one(p, "partner_answered", r[i].reporter_email, v, nitems(v), key) < 0)
			goto out;
		log_info("report %lld: the partner wrote to us; the partnership stays",
			 (long long)r[i].id);
	}
	/* Someone who did not answer a nudge is matched again once they write. */
	if ((found = store_waiting_unsilence(p->st, id)) < 0)
		goto out;
	if (found > 0) {
		struct waiting w;

		if (store_waiting_get(p->st, id, &w) < 0 || program_rematch(p, w.round_id) < 0)
			goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		report_clear(&r[i]);
	free(r);
	return rc;
}

int
program_nudges_due(struct program *p)
{
	struct report *r = NULL;
	int n, done = 0;

	program_tick(p);
	if (store_begin(p->st) < 0)
		return -1;
	if ((n = store_reports_due(p->st, p->now, &r)) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		struct partnership *x = NULL;
		int k = 0, found = 0;

		if (store_report_close(p->st, r[i].id, REPORT_DISSOLVED, "nudge", p->now) < 0)
			goto fail;
		if (r[i].partnership_id &&
		    (k = store_partnerships_list(p->st, r[i].round_id, PARTNERSHIP_ACTIVE, &x)) < 0)
			goto fail;
		for (int j = 0; j < k; j++)
			if (x[j].id == r[i].partnership_id) {
				found = 1;
				if (partnership_leave(p, &x[j], r[i].partner, LEAVE_SILENT,
						      r[i].text, NULL) < 0)
					found = -1;
			}
		for (int j = 0; j < k; j++)
			partnership_clear(&x[j]);
		free(x);
		if (found < 0)
			goto fail;
		done += found;
		log_info("report %lld: no answer within nudge_days; partnership %s",
			 (long long)r[i].id, found ? "dissolved" : "had already ended");
	}
	if (store_commit(p->st) < 0)
		goto fail;
	for (int i = 0; i < n; i++)
		report_clear(&r[i]);
	free(r);
	return done;
fail:
	store_rollback(p->st);
	for (int i = 0; i < (n > 0 ? n : 0); i++)
		report_clear(&r[i]);
	free(r);
	return -1;
}

/* ---- REPORTS, and the end-of-round choice ---- */

int
program_reports(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct report *r = NULL;
	struct buf b;
	int n, rc = -1;
	const char *lang;

	buf_init(&b, 0);
	if ((n = store_reports_open(p->st, &r)) < 0)
		goto out;
	lang = reply_lang(p, in, "reports", NULL);
	for (int i = 0; i < n; i++) {
		char day[16], due[16] = "", num[24], days[24];
		long age = (long)((p->now - r[i].created_at) / 86400);
		struct tmpl_var v[] = {
			{ "number", num },
			{ "kind", words_text(lang, r[i].kind == REPORT_NO_RESPONSE ?
					     "coord.reports.no_response" : "coord.reports.other") },
			{ "status", state_shown(lang, "report", report_status_name(r[i].status)) },
			{ "date", day },
			{ "days", days },
			{ "reporter", r[i].reporter_email ? r[i].reporter_email : "?" },
			{ "partner", r[i].partner_email ? r[i].partner_email : "?" },
			{ "due", due },
		};

		snprintf(num, sizeof(num), "%lld", (long long)r[i].id);
		snprintf(days, sizeof(days), "%ld", age);
		time_format_date(r[i].created_at, day, sizeof(day));
		words_buf_add(&b, lang, age == 1 ? "coord.reports.line.one" :
				"coord.reports.line.many", v, nitems(v));
		buf_adds(&b, "\n  ");
		words_buf_add(&b, lang, "coord.reports.by", v, nitems(v));
		buf_adds(&b, "\n");
		if (r[i].kind == REPORT_NO_RESPONSE && r[i].due_at) {
			time_format_date(r[i].due_at, due, sizeof(due));
			buf_adds(&b, "  ");
			words_buf_add(&b, lang, "coord.reports.due", v, nitems(v));
			buf_adds(&b, "\n");
		}
		buf_printf(&b, "  > %.*s\n", 300, r[i].text);
	}
	if (n == 0) {
		words_buf_add(&b, lang, "coord.reports.none", NULL, 0);
		buf_adds(&b, "\n");
	}
	{
		struct tmpl_var v[] = { { "reports", b.data } };

		snprintf(in->detail, sizeof(in->detail), "%d open reports", n);
		rc = reply_queue(p, in, "reports", v, nitems(v), NULL, NULL);
	}
out:
	for (int i = 0; i < (n > 0 ? n : 0); i++)
		report_clear(&r[i]);
	free(r);
	buf_free(&b);
	return rc;
}

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
	if (sender_partnership(p, in->m->from, &part, &x) != 1 ||
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
