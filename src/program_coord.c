/* program_coord.c: coordinators by cc (SPEC §2): a message from an authenticated
 * coordinator to the bot that is no command is filed as a note on the participants of
 * its thread (the other addresses in To and Cc, or the people of the report the thread
 * belongs to: found by the bot's own mail it answers, or "[#N]" in the Subject). Body
 * lines act on that report or partnership:
 *   ilnbot: resolve            the report is resolved
 *   ilnbot: dissolve           the partnership ends; both wait for a new partner
 *   ilnbot: rematch <email>    that participant waits for a new partner, matched at once
 *   ilnbot: note <text>        <text> is filed as the note
 * A reply to a matching preview is no note: its pair / unpair / exclude lines adjust the
 * proposal (round_adjust in program_round.c).
 * The bot answers the coordinator alone, threaded, saying what it did; the participants
 * of the thread get nothing from it. An unauthenticated copy gets the token round trip of
 * SPEC §6 (the message is kept in the token's payload), never an effect. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth_results.h"
#include "conf.h"
#include "log.h"
#include "mail_compose.h"
#include "msg.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

#define CC_NOTE_MAX 4000        /* bytes of a note kept */
#define CC_PEOPLE_MAX 20        /* participants a note is filed on */
#define CC_ACTIONS_MAX 20       /* action lines read */

struct cc {
	int64_t people[CC_PEOPLE_MAX];
	char *emails[CC_PEOPLE_MAX];
	int npeople;
	struct report report;   /* id 0: none */
	struct buf done;        /* what was done, one line each, for the answer */
	const char *lang;       /* the answer's language (reply_lang) */
};

/* The [messages] sentence key, filled from v, as a line of cc->done. */
static void
cc_say(struct cc *cc, const char *key, const struct tmpl_var *v, size_t nv)
{
	words_buf_add(&cc->done, cc->lang, key, v, nv);
	buf_adds(&cc->done, "\n");
}

static void
cc_add_person(struct cc *cc, int64_t id, const char *email)
{
	for (int i = 0; i < cc->npeople; i++)
		if (cc->people[i] == id)
			return;
	if (cc->npeople < CC_PEOPLE_MAX && id > 0 && email) {
		cc->people[cc->npeople] = id;
		cc->emails[cc->npeople++] = xstrdup(email);
	}
}

/* "[#N]" in s: N, or 0. */
static int64_t
subject_report(const char *s)
{
	const char *t = s;

	while ((t = strstr(t, "[#")) != NULL) {
		char *end;
		long long n = strtoll(t + 2, &end, 10);

		if (end > t + 2 && *end == ']' && n > 0)
			return n;
		t += 2;
	}
	return 0;
}

/* The thread's participants and report. 0 or -1. */
static int
cc_thread(struct program *p, const struct msg *m, struct cc *cc)
{
	int64_t rid = subject_report(m->subject);
	char *kind = NULL, *key = NULL;
	int found;

	if (rid == 0 && (found = program_answered_mail(p, m, &kind, &key)) > 0) {
		long long n;

		if (sscanf(key, "report:%lld:", &n) == 1)
			rid = n;
	}
	free(kind);
	free(key);
	if (rid > 0 && (found = store_report_get(p->st, rid, &cc->report)) < 0)
		return -1;
	for (size_t i = 0; i < m->n_rcpts; i++) {
		struct participant part = { 0 };

		if (strcasecmp(m->rcpts[i], p->conf->address) == 0 ||
		    conf_is_coordinator(p->conf, m->rcpts[i]))
			continue;
		if ((found = store_participant_get(p->st, m->rcpts[i], &part, NULL)) < 0)
			return -1;
		if (found)
			cc_add_person(cc, part.id, part.email);
		participant_clear(&part);
	}
	if (cc->npeople == 0 && cc->report.id) {
		cc_add_person(cc, cc->report.reporter, cc->report.reporter_email);
		cc_add_person(cc, cc->report.partner, cc->report.partner_email);
	}
	return 0;
}

static int
cc_note(struct program *p, struct cc *cc, const char *author, const char *text)
{
	for (int i = 0; i < cc->npeople; i++)
		if (store_note_add(p->st, cc->people[i], cc->report.id, author, text, p->now) < 0)
			return -1;
	if (cc->npeople == 0 && cc->report.id &&
	    store_note_add(p->st, 0, cc->report.id, author, text, p->now) < 0)
		return -1;
	if (cc->npeople == 0 && cc->report.id == 0) {
		cc_say(cc, "coord.cc.nothing_filed", NULL, 0);
		return 0;
	}
	{
		struct buf people, on;
		char num[24];
		char *report;
		struct tmpl_var v[] = { { "number", num }, { "people", NULL }, { "report", NULL },
					{ "on", NULL } };

		buf_init(&people, 0);
		buf_init(&on, 0);
		snprintf(num, sizeof(num), "%lld", (long long)cc->report.id);
		for (int i = 0; i < cc->npeople; i++)
			buf_printf(&people, "%s%s", i ? ", " : "", cc->emails[i]);
		report = cc->report.id ? words_format(cc->lang, "coord.cc.filed.report", v, 1) : NULL;
		v[1].value = people.data ? people.data : "";
		v[2].value = report;
		if (cc->npeople && report)
			words_buf_add(&on, cc->lang, "coord.cc.filed.both", v, nitems(v));
		else
			buf_adds(&on, report ? report : v[1].value);
		v[3].value = on.data ? on.data : "";
		cc_say(cc, "coord.cc.filed", v, nitems(v));
		free(report);
		buf_free(&people);
		buf_free(&on);
	}
	return 0;
}

/* The active partnership the thread is about: the report's, else its one participant's.
 * 1 found, 0 none. */
static int
cc_partnership(struct program *p, struct cc *cc, struct partnership *x)
{
	int64_t who = cc->report.id ? cc->report.reporter : cc->npeople == 1 ? cc->people[0] : 0;

	memset(x, 0, sizeof(*x));
	if (who == 0)
		return 0;
	return store_partner_of(p->st, who, x);
}

static int
cc_dissolve(struct program *p, struct cc *cc, const char *by)
{
	struct partnership x;
	int found = cc_partnership(p, cc, &x), rc = -1;

	if (found < 0)
		return -1;
	if (!found) {
		cc_say(cc, "coord.cc.nothing_dissolved", NULL, 0);
		return 0;
	}
	if (partnership_leave(p, &x, 0, LEAVE_COORDINATOR, NULL, by) < 0)
		goto out;
	if (cc->report.id && cc->report.status == REPORT_OPEN &&
	    store_report_close(p->st, cc->report.id, REPORT_DISSOLVED, by, p->now) < 0)
		goto out;
	{
		struct tmpl_var v[] = { { "a_email", x.a_email }, { "b_email", x.b_email } };

		cc_say(cc, "coord.cc.dissolved", v, nitems(v));
	}
	rc = 0;
out:
	partnership_clear(&x);
	return rc;
}

static int
cc_rematch(struct program *p, struct cc *cc, const char *email)
{
	struct participant part = { 0 };
	struct partnership x;
	struct round *rounds = NULL;
	int found, n = 0, rc = -1;
	char shown[81];
	struct tmpl_var v[] = { { "email", email }, { "partner", "" } };

	memset(&x, 0, sizeof(x));
	if (!mail_addr_strict(email)) {
		snprintf(shown, sizeof(shown), "%s", email);
		v[0].value = shown;
		cc_say(cc, "coord.rematch.not_address", v, 1);
		return 0;
	}
	if ((found = store_participant_get(p->st, email, &part, NULL)) < 0)
		return -1;
	if (!found || part.status != PARTICIPANT_ACTIVE) {
		cc_say(cc, "coord.rematch.not_active", v, 1);
		rc = 0;
		goto out;
	}
	if ((found = store_partner_of(p->st, part.id, &x)) < 0)
		goto out;
	if (found) {
		v[1].value = x.a == part.id ? x.b_email : x.a_email;
		cc_say(cc, "coord.rematch.has_partner", v, nitems(v));
		rc = 0;
		goto out;
	}
	if ((n = store_rounds_running(p->st, &rounds)) < 0)
		goto out;
	if (n == 0) {
		cc_say(cc, "coord.rematch.no_round", v, 1);
		rc = 0;
		goto out;
	}
	if (store_waiting_add(p->st, part.id, rounds[n - 1].id, WAIT_ABANDONED, 1, p->now) < 0 ||
	    program_rematch(p, rounds[n - 1].id) < 0)
		goto out;
	partnership_clear(&x);
	if ((found = store_partner_of(p->st, part.id, &x)) < 0)
		goto out;
	if (found) {
		v[1].value = x.a == part.id ? x.b_email : x.a_email;
		cc_say(cc, "coord.rematch.matched", v, nitems(v));
	} else {
		cc_say(cc, "coord.rematch.waits", v, 1);
	}
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		round_clear(&rounds[i]);
	free(rounds);
	participant_clear(&part);
	partnership_clear(&x);
	return rc;
}

/* A copy of what coordinator `by` had done to every other coordinator. 0 or -1. */
static int
cc_tell_others(struct program *p, struct program_in *in, const char *by, const char *done)
{
	char **coords;
	size_t n = program_coordinators(p->conf, &coords);
	struct buf text;
	int rc = 0;

	buf_init(&text, 0);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		const char *to = coords[i];
		struct tmpl_var v[] = { { "done", NULL } }, w[] = { { "by", by } };
		char key[400];
		struct outmail om;

		if (strcasecmp(to, by) == 0)
			continue;
		snprintf(key, sizeof(key), "coordcopy:%lld:%s", (long long)in->inbound_id, to);
		memset(&om, 0, sizeof(om));
		om.tmpl = "coord_done";
		om.to = &to;
		om.nto = 1;
		om.parent = in->m;      /* "Re: " its Subject, on its thread */
		/* the heading in their language; what was done is in the actor's */
		buf_reset(&text);
		words_buf_add(&text, reply_outmail_language(p, &om), "coord.cc.copy", w,
				nitems(w));
		buf_printf(&text, "\n%s", done);
		v[0].value = text.data;
		om.vars = v;
		om.nvars = nitems(v);
		om.key = key;
		rc = outmail_queue(p, &om);
	}
	buf_free(&text);
	program_strv_free(coords, n);
	return rc < 0 ? -1 : 0;
}

/* Carry out an authenticated coordinator's message m. */
static int
cc_act(struct program *p, struct program_in *in, const struct msg *m)
{
	struct cc cc;
	int actions = 0, rc = -1;
	char *kind = NULL, *key = NULL;

	/* A reply to a matching preview adjusts the proposal (program_round.c). */
	if ((rc = program_answered_mail(p, m, &kind, &key)) < 0)
		return -1;
	if (rc > 0 && strcmp(kind, "match_preview") == 0) {
		rc = round_adjust(p, in, m, key);
		free(kind);
		free(key);
		return rc;
	}
	free(kind);
	free(key);
	rc = -1;
	memset(&cc, 0, sizeof(cc));
	buf_init(&cc.done, 0);
	cc.lang = reply_lang(p, in, "coord_done", NULL);
	if (cc_thread(p, m, &cc) < 0)
		goto out;
	for (const char *l = m->body; *l && actions < CC_ACTIONS_MAX;) {
		size_t n = strcspn(l, "\n");
		const char *s = l, *e = l + n;
		char arg[CC_NOTE_MAX + 1];

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if ((size_t)(e - s) > 7 && strncasecmp(s, "ilnbot:", 7) == 0) {
			const char *v = s + 7, *w;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			w = v;
			while (w < e && *w != ' ' && *w != '\t')
				w++;
			snprintf(arg, sizeof(arg), "%.*s", (int)(e - w), w);
			actions++;
			if ((size_t)(w - v) == 7 && strncasecmp(v, "resolve", 7) == 0) {
				int r;

				if (cc.report.id == 0) {
					cc_say(&cc, "coord.resolve.no_report", NULL, 0);
				} else if ((r = store_report_close(p->st, cc.report.id,
						REPORT_RESOLVED, m->from, p->now)) < 0) {
					goto out;
				} else {
					char num[24];
					struct tmpl_var rv[] = { { "number", num } };

					snprintf(num, sizeof(num), "%lld", (long long)cc.report.id);
					cc_say(&cc, r ? "coord.resolve.done" : "coord.resolve.not_open",
					       rv, nitems(rv));
				}
			} else if ((size_t)(w - v) == 8 && strncasecmp(v, "dissolve", 8) == 0) {
				if (cc_dissolve(p, &cc, m->from) < 0)
					goto out;
			} else if ((size_t)(w - v) == 7 && strncasecmp(v, "rematch", 7) == 0) {
				if (cc_rematch(p, &cc, str_trim(arg)) < 0)
					goto out;
			} else if ((size_t)(w - v) == 4 && strncasecmp(v, "note", 4) == 0) {
				if (cc_note(p, &cc, m->from, str_trim(arg)) < 0)
					goto out;
			} else {
				char word[41];
				struct tmpl_var av[] = { { "word", word } };

				snprintf(word, sizeof(word), "%.*s", (int)(w - v > 40 ? 40 : w - v), v);
				cc_say(&cc, "coord.cc.not_action", av, nitems(av));
			}
		}
		l = *e ? e + 1 : e;
	}
	if (actions == 0) {
		size_t n = strlen(m->body);
		char *text = xstrndup(m->body, n > CC_NOTE_MAX ? CC_NOTE_MAX : n);

		rc = cc_note(p, &cc, m->from, str_trim(text));
		free(text);
		if (rc < 0)
			goto out;
	}
	{
		struct tmpl_var v[] = { { "done", cc.done.data ? cc.done.data : "" } };

		in->outcome = OUTCOME_DONE;
		snprintf(in->detail, sizeof(in->detail), "coordinator's cc: %d action(s)", actions);
		rc = reply_queue(p, in, "coord_done", v, nitems(v), NULL, NULL);
	}
	/* What was done is named, with who did it, to the other coordinators. */
	if (rc >= 0 && actions > 0)
		rc = cc_tell_others(p, in, m->from, cc.done.data ? cc.done.data : "");
out:
	for (int i = 0; i < cc.npeople; i++)
		free(cc.emails[i]);
	report_clear(&cc.report);
	buf_free(&cc.done);
	return rc;
}

int
program_coord_cc(struct program *p, struct program_in *in)
{
	const struct msg *m = in->m;
	struct json_object *o, *rcpts;
	char *payload, *token, details[1024];
	const char *why;
	int made, rc;

	if (!conf_is_coordinator(p->conf, m->from))
		return 0;
	if (auth_results_pass(m->auth_results, m->n_auth_results, p->conf->trusted_authserv_id,
			      m->from, &why))
		return cc_act(p, in, m) < 0 ? -1 : 1;
	o = json_object_new_object();
	rcpts = json_object_new_array();
	for (size_t i = 0; i < m->n_rcpts; i++)
		json_object_array_add(rcpts, json_object_new_string(m->rcpts[i]));
	json_object_object_add(o, "cc", json_object_new_boolean(1));
	json_object_object_add(o, "subject", json_object_new_string(m->subject));
	json_object_object_add(o, "body", json_object_new_string(m->body));
	json_object_object_add(o, "rcpts", rcpts);
	if (m->in_reply_to)
		json_object_object_add(o, "in_reply_to", json_object_new_string(m->in_reply_to));
	if (m->references)
		json_object_object_add(o, "references", json_object_new_string(m->references));
	payload = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	made = program_token_new(p, m->from, "coordinator", payload, &token);
	free(payload);
	if (made <= 0)
		return made < 0 ? -1 : 1;
	{
		const char *lang = reply_lang(p, in, "confirm_coordinator", NULL);
		char subject[201], *what;
		struct tmpl_var sv[] = { { "subject", subject } };
		struct tmpl_var v[] = { { "command", words_text(lang, "coord.cc.confirm.command") },
					{ "token", token }, { "details", details } };

		snprintf(subject, sizeof(subject), "%s", m->subject);
		what = words_format(lang, "coord.cc.confirm.details", sv, nitems(sv));
		snprintf(details, sizeof(details), "  %s", what);
		free(what);

		snprintf(in->detail, sizeof(in->detail), "coordinator's cc awaits confirmation (%s)",
			 why);
		rc = reply_queue(p, in, "confirm_coordinator", v, nitems(v), NULL, NULL);
	}
	free(token);
	return rc < 0 ? -1 : 1;
}

int
program_coord_cc_confirmed(struct program *p, struct program_in *in, struct json_object *o)
{
	struct json_object *v, *a;
	struct msg m = *in->m;
	char *rcpts[64];
	size_t n = 0;
	int rc;

	m.subject = (char *)(json_object_object_get_ex(o, "subject", &v) ?
			     json_object_get_string(v) : "");
	m.body = (char *)(json_object_object_get_ex(o, "body", &v) ? json_object_get_string(v) : "");
	m.in_reply_to = json_object_object_get_ex(o, "in_reply_to", &v) ?
			(char *)json_object_get_string(v) : NULL;
	m.references = json_object_object_get_ex(o, "references", &v) ?
		       (char *)json_object_get_string(v) : NULL;
	if (json_object_object_get_ex(o, "rcpts", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a) && n < nitems(rcpts); i++)
			rcpts[n++] = (char *)json_object_get_string(json_object_array_get_idx(a, i));
	m.rcpts = rcpts;
	m.n_rcpts = n;
	/* Threading of the answer stays with the confirming message. */
	rc = cc_act(p, in, &m);
	return rc;
}
