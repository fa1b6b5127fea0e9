/* program_profile.c: what participants ask about their own record: SHOW (everything
 * held, preferences included, to them only), UPDATE, STATUS, and UNSUBSCRIBE from the
 * digest, which takes effect at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "form.h"
#include "msg.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

static int
profile_not_registered(struct program *p, struct program_in *in, const char *command)
{
	struct tmpl_var v[] = { { "command", command } };

	in->outcome = OUTCOME_REFUSED;
	snprintf(in->detail, sizeof(in->detail), "%s from an unknown address", command);
	return reply_queue(p, in, "not_registered", v, 1, NULL, NULL);
}

/* show_history: what else is held about participant id, as text for SHOW in language
 * lang: partnerships (round, partner, how it went), reports they filed and their state,
 * a place in the waiting pool. Never coordinators' notes. Appended to b; 0 or -1. */
static int
show_history(struct program *p, int64_t id, const char *lang, struct buf *b)
{
	struct partnership *x = NULL;
	struct report *r = NULL;
	struct waiting w;
	int nx, nr = 0, in_pool, rc = -1;
	char d1[32], d2[32];

	if ((nx = store_partnerships_of(p->st, id, &x)) < 0)
		return -1;
	if (nx > 0) {
		words_buf_add(b, lang, "show.partnerships", NULL, 0);
		buf_adds(b, "\n");
	}
	for (int i = 0; i < nx; i++) {
		struct round rd = { 0 };
		int got = store_round_get(p->st, x[i].round_id, &rd);

		if (got < 0)
			goto out;
		time_format_iso(x[i].introduced_at, d1, sizeof(d1));
		d1[10] = '\0';
		{
			struct tmpl_var v[] = {
				{ "round", got ? rd.name : "?" },
				{ "partner", x[i].a == id ? x[i].b_email : x[i].a_email },
				{ "status", state_shown(lang, "partnership",
							partnership_status_name(x[i].status)) },
			};

			buf_adds(b, "- ");
			words_buf_add(b, lang, "show.partnership", v, nitems(v));
		}
		if (x[i].introduced_at) {
			struct tmpl_var v[] = { { "date", d1 } };

			words_buf_add(b, lang, "show.partnership.introduced", v, nitems(v));
		}
		if (x[i].ended_at) {
			struct tmpl_var v[] = {
				{ "date", d2 },
				{ "how", state_shown(lang, "end", partnership_end_name(x[i].end)) },
			};

			time_format_iso(x[i].ended_at, d2, sizeof(d2));
			d2[10] = '\0';
			words_buf_add(b, lang, "show.partnership.ended", v, nitems(v));
		}
		buf_adds(b, "\n");
		round_clear(&rd);
	}
	if ((nr = store_reports_of(p->st, id, false, &r)) < 0)
		goto out;
	if (nr > 0) {
		buf_adds(b, "\n");
		words_buf_add(b, lang, "show.reports", NULL, 0);
		buf_adds(b, "\n");
	}
	for (int i = 0; i < nr; i++) {
		char num[24];
		struct tmpl_var v[] = {
			{ "number", num },
			{ "date", d1 },
			{ "kind", state_shown(lang, "report_kind", report_kind_name(r[i].kind)) },
			{ "status", state_shown(lang, "report", report_status_name(r[i].status)) },
			{ "text", r[i].text ? r[i].text : "" },
		};

		snprintf(num, sizeof(num), "%lld", (long long)r[i].id);
		time_format_iso(r[i].created_at, d1, sizeof(d1));
		d1[10] = '\0';
		buf_adds(b, "- ");
		words_buf_add(b, lang, "show.report", v, nitems(v));
		buf_adds(b, "\n");
	}
	if ((in_pool = store_waiting_get(p->st, id, &w)) < 0)
		goto out;
	if (in_pool) {
		struct tmpl_var v[] = {
			{ "date", d1 },
			{ "reason", state_shown(lang, "waiting", waiting_reason_name(w.reason)) },
		};

		time_format_iso(w.since, d1, sizeof(d1));
		d1[10] = '\0';
		buf_adds(b, nx || nr ? "\n" : "");
		words_buf_add(b, lang, "show.waiting", v, nitems(v));
		buf_adds(b, "\n");
	}
	rc = 0;
out:
	for (int i = 0; i < nx; i++)
		partnership_clear(&x[i]);
	free(x);
	for (int i = 0; i < nr; i++)
		report_clear(&r[i]);
	free(r);
	return rc;
}

int
program_show(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct participant part = { 0 };
	struct profile prof;
	char *form = NULL, agreed[32] = "", created[32] = "", bounced[160] = "";
	struct buf history;
	int found, subscribed, perm, temp, rc = -1;
	const char *lang;
	bool stopped;

	memset(&prof, 0, sizeof(prof));
	buf_init(&history, 64 * 1024);
	if ((found = store_participant_get(p->st, in->m->from, &part, &prof)) < 0 ||
	    (subscribed = store_subscriber_has(p->st, in->m->from)) < 0)
		goto out;
	if (!found && !subscribed) {
		rc = profile_not_registered(p, in, "SHOW");
		goto out;
	}
	if (store_bounce_address(p->st, in->m->from, &perm, &temp, &stopped) < 0)
		goto out;
	lang = reply_lang(p, in, "show", NULL);
	if (perm + temp > 0) {
		char np[16], nt[16];
		struct tmpl_var v[] = { { "permanent", np }, { "temporary", nt } };
		char *s, *st = stopped ? words_format(lang, "show.bounced.stopped", NULL, 0) : NULL;

		snprintf(np, sizeof(np), "%d", perm);
		snprintf(nt, sizeof(nt), "%d", temp);
		s = words_format(lang, perm + temp == 1 ? "show.bounced.one" : "show.bounced.many",
				 v, nitems(v));
		snprintf(bounced, sizeof(bounced), "%s%s", s, st ? st : "");
		free(s);
		free(st);
	}
	if (found) {
		form = form_render(&prof, true, reply_lang(p, in, "show", NULL));
		time_format_iso(part.agreed_at, agreed, sizeof(agreed));
		time_format_iso(part.created_at, created, sizeof(created));
		if (show_history(p, part.id, lang, &history) < 0)
			goto out;
	}
	{
		struct tmpl_var v[] = {
			{ "profile", form ? form : "" },
			{ "status", found ? state_shown(lang, "participant",
						       participant_status_name(part.status)) : "" },
			{ "agreed_at", agreed },
			{ "created_at", created },
			{ "subscribed", words_text(lang, subscribed ? "show.subscribed.yes" :
							   "show.subscribed.no") },
			{ "history", history.data ? history.data : "" },
			{ "bounced", bounced },
		};

		snprintf(in->detail, sizeof(in->detail), "record shown");
		rc = reply_queue(p, in, "show", v, nitems(v), NULL, NULL);
	}
out:
	participant_clear(&part);
	profile_free(&prof);
	free(form);
	buf_free(&history);
	return rc;
}

int
program_update(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct profile cur, next;
	struct buf problems;
	char *form = NULL;
	const char *lang;
	int found, n, rc = -1;

	memset(&cur, 0, sizeof(cur));
	memset(&next, 0, sizeof(next));
	buf_init(&problems, 64 * 1024);
	if ((found = store_participant_get(p->st, in->m->from, NULL, &cur)) < 0)
		goto out;
	if (!found) {
		rc = profile_not_registered(p, in, "UPDATE");
		goto out;
	}
	lang = reply_lang(p, in, "update_problems", NULL);
	n = form_parse(in->m->body, false, &cur, p->conf->default_language, lang, &next,
		       &problems);
	if (n > 0) {
		char *orig = form_render(&cur, true, lang);
		struct tmpl_var v[] = { { "problems", problems.data ? problems.data : "" },
					{ "form", orig } };

		in->outcome = OUTCOME_REFUSED;
		snprintf(in->detail, sizeof(in->detail), "update with %d problem(s)", n);
		rc = reply_queue(p, in, "update_problems", v, 2, NULL, NULL);
		free(orig);
		goto out;
	}
	if (store_participant_update(p->st, in->m->from, &next, p->now) < 0)
		goto out;
	if (next.digest > 0 && store_subscriber_add(p->st, in->m->from, p->now) < 0)
		goto out;
	if (next.digest == 0 && cur.digest > 0 && store_subscriber_remove(p->st, in->m->from) < 0)
		goto out;
	/* after the store: a Mail language just changed writes this answer in it */
	form = form_render(&next, true, reply_lang(p, in, "update_done", NULL));
	{
		struct tmpl_var v[] = { { "profile", form } };

		snprintf(in->detail, sizeof(in->detail), "profile updated");
		rc = reply_queue(p, in, "update_done", v, 1, NULL, NULL);
	}
out:
	profile_free(&cur);
	profile_free(&next);
	buf_free(&problems);
	free(form);
	return rc;
}

int
program_status(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct participant part = { 0 };
	struct partnership x;
	struct round r;
	struct report *reps = NULL;
	struct waiting w;
	struct buf rb;
	char ends[16] = "", starts[16] = "", since[16] = "";
	int found, partnered = 0, has_round = 0, waiting = 0, nreps = 0, rc = -1;
	const char *lang;

	memset(&x, 0, sizeof(x));
	memset(&r, 0, sizeof(r));
	buf_init(&rb, 0);
	if ((found = store_participant_get(p->st, in->m->from, &part, NULL)) < 0)
		goto out;
	if (!found) {
		rc = profile_not_registered(p, in, "STATUS");
		goto out;
	}
	if ((partnered = store_partner_of(p->st, part.id, &x)) < 0 ||
	    (waiting = store_waiting_get(p->st, part.id, &w)) < 0 ||
	    (nreps = store_reports_of(p->st, part.id, true, &reps)) < 0)
		goto out;
	/* the round of the partnership, or of the wait, else the current one */
	if (partnered)
		has_round = store_round_get(p->st, x.round_id, &r);
	else if (waiting)
		has_round = store_round_get(p->st, w.round_id, &r);
	else
		has_round = store_round_current(p->st, p->now, &r);
	if (has_round < 0)
		goto out;
	if (waiting)
		time_format_date(w.since, since, sizeof(since));
	lang = reply_lang(p, in, "status", NULL);
	for (int i = 0; i < nreps; i++) {
		char day[16], num[24];
		struct tmpl_var v[] = {
			{ "number", num },
			{ "what", words_text(lang, reps[i].kind == REPORT_NO_RESPONSE ?
					     "status.report.no_response" :
					     "status.report.other") },
			{ "date", day },
		};

		snprintf(num, sizeof(num), "%lld", (long long)reps[i].id);
		time_format_date(reps[i].created_at, day, sizeof(day));
		buf_adds(&rb, "  ");
		words_buf_add(&rb, lang, "status.report", v, nitems(v));
		buf_adds(&rb, "\n");
	}
	if (has_round) {
		time_format_date(r.starts, starts, sizeof(starts));
		time_format_date(r.ends, ends, sizeof(ends));
	}
	{
		bool active = part.status == PARTICIPANT_ACTIVE;
		const char *partner = partnered ? (x.a == part.id ? x.b_email : x.a_email) : "";
		enum partner_choice ch = !partnered ? CHOICE_NONE :
		    x.a == part.id ? x.a_choice : x.b_choice;
		struct tmpl_var v[] = {
			{ "status", state_shown(lang, "participant",
						participant_status_name(part.status)) },
			{ "waiting", active && !partnered ? "yes" : "" },
			{ "withdrawn", active ? "" : "yes" },
			{ "partner", active ? partner : "" },
			{ "round_name", has_round ? r.name : "" },
			{ "starts", starts },
			{ "ends", ends },
			{ "choice", ch == CHOICE_CONTINUE ? "CONTINUE" :
				    ch == CHOICE_CONCLUDE ? "CONCLUDE" : "" },
			{ "waiting_since", active && !partnered && waiting ? since : "" },
			{ "waiting_next", active && !partnered && !waiting ? "yes" : "" },
			{ "reports", rb.data ? rb.data : "" },
		};

		snprintf(in->detail, sizeof(in->detail), "status sent");
		rc = reply_queue(p, in, "status", v, nitems(v), NULL, NULL);
	}
out:
	participant_clear(&part);
	partnership_clear(&x);
	round_clear(&r);
	for (int i = 0; i < nreps; i++)
		report_clear(&reps[i]);
	free(reps);
	buf_free(&rb);
	return rc;
}

int
program_unsubscribe(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct profile prof;
	int removed, found, rc = -1;

	memset(&prof, 0, sizeof(prof));
	if ((removed = store_subscriber_remove(p->st, in->m->from)) < 0 ||
	    (found = store_participant_get(p->st, in->m->from, NULL, &prof)) < 0)
		goto out;
	if (found && prof.digest > 0) {
		prof.digest = 0;
		if (store_participant_update(p->st, in->m->from, &prof, p->now) < 0)
			goto out;
		removed = 1;
	}
	{
		struct tmpl_var v[] = { { "was_subscribed", removed ? "yes" : "" },
					{ "was_not_subscribed", removed ? "" : "yes" } };

		snprintf(in->detail, sizeof(in->detail), removed ? "unsubscribed" : "not subscribed");
		rc = reply_queue(p, in, "unsubscribe_done", v, 2, NULL, NULL);
	}
out:
	profile_free(&prof);
	return rc;
}
