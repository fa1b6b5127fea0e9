/* program_schedule.c: the round's calendar carried out (SPEC §5): for every running
 * round, the jobs schedule.c says are due today, each in a transaction of its own that
 * records its due day with every mail it queues, so a crash, a repeated pass or a second
 * process sends nothing twice. Like mlmmj's maintenance run, it is a fixed, ordered list
 * of jobs, each logged before it runs:
 *   digest    the queued topics to subscribers and the round's participants, one copy
 *             per address, text and HTML, with the List-* headers; none when no topic;
 *             its frame in each recipient's language, the topics as their authors
 *             wrote them (one shared body per language set used)
 *   check-in  to each partner of an active partnership
 *   reminder  to each partner: the end date, CONTINUE or CONCLUDE
 *   close     the round closes, its partnerships end (continuing or concluded), and each
 *             partner gets one closing mail inviting them to the next round
 * Every scheduled mail has a unique key: kind, round, due day, recipient. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "mail_compose.h"
#include "program.h"
#include "schedule.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

#define DIGEST_TOPICS_MAX 20    /* topics in one digest; the rest wait for the next */
#define TOPICS_MARK "\x01topics\x01"

static void
sched_conf(const struct conf *c, struct sched_conf *sc)
{
	sc->digest_days = c->digest_days;
	sc->checkin_days = c->checkin_days;
	sc->reminder_days = c->reminder_days_before_end;
}

/* ---- the digest ---- */

/* Append s[0..n) to b with &, <, > and quotes escaped for HTML. */
static void
html_text_plain(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, s[i]); break;
		}
	}
}

/* Append s[0..n) to b escaped for HTML, with http(s) URLs made links. */
static void
html_text(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if ((n - i > 7 && strncmp(s + i, "http://", 7) == 0) ||
		    (n - i > 8 && strncmp(s + i, "https://", 8) == 0)) {
			size_t k = i;

			while (k < n && (unsigned char)s[k] > ' ' && strchr("<>\"'", s[k]) == NULL)
				k++;
			while (k > i && strchr(".,;:!?)]", s[k - 1]) != NULL)
				k--;
			buf_adds(b, "<a href=\"");
			html_text_plain(b, s + i, k - i);
			buf_adds(b, "\">");
			html_text_plain(b, s + i, k - i);
			buf_adds(b, "</a>");
			i = k;
			continue;
		}
		html_text_plain(b, s + i, 1);
		i++;
	}
}

/* Text as HTML paragraphs: blank lines part paragraphs, line ends become <br>. */
static void
html_paragraphs(struct buf *b, const char *text)
{
	bool open = false;

	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");

		if (n == 0) {
			if (open)
				buf_adds(b, "</p>\n");
			open = false;
		} else {
			buf_adds(b, open ? "<br>\n" : "<p>");
			open = true;
			html_text(b, l, n);
		}
		l += n;
		if (*l == '\n')
			l++;
	}
	if (open)
		buf_adds(b, "</p>\n");
}

/* The digest of topics t[0..n) in the template set set, rendered once for all its
 * readers: its subject, text and HTML (the frame's text as paragraphs, the topics as
 * headings and paragraphs). */
static int
digest_render(const struct tmpl_set *set, const struct round *r, const struct topic *t,
	      int n, char **subject, char **body, char **html)
{
	struct buf text, titles, h;
	char *frame = NULL, *mark;
	struct tmpl_var v[3];
	int rc = -1;

	buf_init(&text, 0);
	buf_init(&titles, 0);
	buf_init(&h, 0);
	*subject = *body = *html = NULL;
	for (int i = 0; i < n; i++) {
		buf_printf(&titles, "%s%s", i ? "; " : "", t[i].title);
		buf_printf(&text, "%s%d. %s\n\n%s\n", i ? "\n\n" : "", i + 1, t[i].title,
			   t[i].body);
	}
	v[0] = (struct tmpl_var){ "round_name", r->name };
	v[1] = (struct tmpl_var){ "titles", titles.data ? titles.data : "" };
	v[2] = (struct tmpl_var){ "topics", text.data ? text.data : "" };
	if (tmpl_render(set, "digest", v, nitems(v), subject, body) != 0)
		goto out;
	v[2].value = TOPICS_MARK;
	if (tmpl_render(set, "digest", v, nitems(v), &mark, &frame) != 0)
		goto out;
	free(mark);
	buf_adds(&h, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n");
	if ((mark = strstr(frame, TOPICS_MARK)) != NULL) {
		*mark = '\0';
		html_paragraphs(&h, frame);
		for (int i = 0; i < n; i++) {
			buf_adds(&h, "<h2>");
			html_text(&h, t[i].title, strlen(t[i].title));
			buf_adds(&h, "</h2>\n");
			html_paragraphs(&h, t[i].body);
		}
		html_paragraphs(&h, mark + strlen(TOPICS_MARK));
	} else {
		html_paragraphs(&h, frame);
	}
	buf_adds(&h, "</body></html>\n");
	*html = buf_steal(&h);
	rc = 0;
out:
	free(frame);
	buf_free(&text);
	buf_free(&titles);
	buf_free(&h);
	return rc;
}

#define DIGEST_LANGS 32    /* language sets one digest is rendered in; more go by default */

/* The digest in one language set: rendered and stored the first time a reader of it
 * comes up. */
struct digest_copy {
	const struct tmpl_set *set;
	struct outmail_bulk bulk;
};

struct digest_fanout {
	struct program *p;
	const struct round *r;
	const struct topic *t;
	int n;
	int64_t day;
	struct mail_header hdr[MAIL_LIST_HEADERS];
	size_t nhdr;
	struct digest_copy copy[DIGEST_LANGS];
	int ncopies;
	int queued;
};

/* The copy of f's digest in set, rendered and stored on first use; NULL on error. */
static struct digest_copy *
digest_copy_for(struct digest_fanout *f, const struct tmpl_set *set)
{
	char *subject = NULL, *body = NULL, *html = NULL;
	struct digest_copy *c = NULL;
	struct outmail om;

	for (int i = 0; i < f->ncopies; i++)
		if (f->copy[i].set == set)
			return &f->copy[i];
	/* the default set always finds a slot: the others take at most all but one */
	if (f->ncopies >= DIGEST_LANGS - 1 && set != f->p->tmpl)
		return digest_copy_for(f, f->p->tmpl);
	if (digest_render(set, f->r, f->t, f->n, &subject, &body, &html) < 0) {
		log_errorx("schedule: the digest template cannot be rendered (%s)",
			   tmpl_set_lang(set) ? tmpl_set_lang(set) : "default set");
		goto out;
	}
	memset(&om, 0, sizeof(om));
	om.tmpl = "digest";
	om.subject = subject;
	om.body = body;
	om.body_html = html;
	om.lang = tmpl_set_lang(set);
	om.extra = f->hdr;
	om.nextra = f->nhdr;
	c = &f->copy[f->ncopies];
	if (outmail_bulk_begin(f->p, &om, &c->bulk) < 0) {
		c = NULL;
		goto out;
	}
	c->set = set;
	f->ncopies++;
out:
	free(subject);
	free(body);
	free(html);
	return c;
}

static int
digest_one(void *arg, const char *email, const char *mail_language, const char *languages)
{
	struct digest_fanout *f = arg;
	const struct tmpl_set *set;
	struct digest_copy *c;
	char key[400];
	int rc;

	/* a subscriber who is not a participant has no language of record: the default */
	set = tmpl_for(f->p->tmpl, reply_person_language(f->p, mail_language && *mail_language
							 ? mail_language : NULL, languages),
		       "digest");
	if ((c = digest_copy_for(f, set)) == NULL)
		return -1;
	snprintf(key, sizeof(key), "digest:%lld:%lld:%s", (long long)f->r->id,
		 (long long)f->day, email);
	if ((rc = outmail_bulk_add(&c->bulk, email, key)) > 0)
		f->queued++;
	return rc < 0 ? -1 : 0;
}

static int
job_digest(struct program *p, const struct round *r, int64_t day, int *queued)
{
	struct topic *t = NULL;
	char lbuf[MAIL_LIST_BUF];
	struct digest_fanout *f = NULL;
	int n, rc = -1;

	if ((n = store_topics_list(p->st, TOPIC_QUEUED, false, DIGEST_TOPICS_MAX, &t)) < 0)
		return -1;
	if (n == 0) {
		log_info("schedule: round %s: digest of %lld: no topic queued, no digest", r->name,
			 (long long)day);
		rc = 0;
		goto out;
	}
	f = xcalloc(1, sizeof(*f));
	f->p = p;
	f->r = r;
	f->t = t;
	f->n = n;
	f->day = day;
	f->nhdr = mail_list_headers(p->conf, "topics", f->hdr, lbuf);
	if (store_digest_recipients(p->st, r->id, digest_one, f) < 0)
		goto out;
	for (int i = 0; i < n; i++)
		if (store_topic_sent(p->st, t[i].id, r->id, p->now) < 0)
			goto out;
	*queued = f->queued;
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		topic_clear(&t[i]);
	free(t);
	free(f);
	return rc;
}

/* ---- mail to each partner ---- */

/* One scheduled mail to one partner of x about the other, keyed kind:round:day:person. */
static int
partner_mail(struct program *p, const struct round *r, int64_t day, const char *kind,
	     const struct partnership *x, bool side_a, const struct tmpl_var *extra,
	     size_t nextra, bool list)
{
	const char *to = side_a ? x->a_email : x->b_email;
	const char *partner = side_a ? x->b_email : x->a_email;
	char ends[16], key[128], lbuf[MAIL_LIST_BUF];
	struct mail_header hdr[MAIL_LIST_HEADERS];
	struct tmpl_var v[8];
	struct outmail om;
	size_t n = 0;

	time_format_date(r->ends, ends, sizeof(ends));
	v[n++] = (struct tmpl_var){ "round_name", r->name };
	v[n++] = (struct tmpl_var){ "ends", ends };
	v[n++] = (struct tmpl_var){ "partner", partner };
	for (size_t i = 0; i < nextra && n < nitems(v); i++)
		v[n++] = extra[i];
	snprintf(key, sizeof(key), "%s:%lld:%lld:%lld", kind, (long long)r->id, (long long)day,
		 (long long)(side_a ? x->a : x->b));
	memset(&om, 0, sizeof(om));
	om.tmpl = kind;
	om.vars = v;
	om.nvars = n;
	om.to = &to;
	om.nto = 1;
	om.key = key;
	if (list) {
		om.extra = hdr;
		om.nextra = mail_list_headers(p->conf, "partners", hdr, lbuf);
	}
	return outmail_queue(p, &om);
}

/* fn for each partner of each active partnership of the round who is still active. */
static int
each_partner(struct program *p, const struct round *r, int64_t day,
	     int (*fn)(struct program *, const struct round *, int64_t,
		       const struct partnership *, bool, void *),
	     void *ctx, int *queued)
{
	struct partnership *x = NULL;
	int n, rc = -1;

	if ((n = store_partnerships_list(p->st, r->id, PARTNERSHIP_ACTIVE, &x)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (x[i].a_status == PARTICIPANT_ACTIVE) {
			if (fn(p, r, day, &x[i], true, ctx) < 0)
				goto out;
			(*queued)++;
		}
		if (x[i].b_status == PARTICIPANT_ACTIVE) {
			if (fn(p, r, day, &x[i], false, ctx) < 0)
				goto out;
			(*queued)++;
		}
	}
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		partnership_clear(&x[i]);
	free(x);
	return rc;
}

static int
checkin_one(struct program *p, const struct round *r, int64_t day, const struct partnership *x,
	    bool a, void *ctx)
{
	return partner_mail(p, r, day, "checkin", x, a, NULL, 0, false);
}

static int
reminder_one(struct program *p, const struct round *r, int64_t day, const struct partnership *x,
	     bool a, void *ctx)
{
	enum partner_choice c = a ? x->a_choice : x->b_choice;
	struct tmpl_var v[] = {
		{ "chose_continue", c == CHOICE_CONTINUE ? "yes" : "" },
		{ "chose_conclude", c == CHOICE_CONCLUDE ? "yes" : "" },
	};

	return partner_mail(p, r, day, "reminder", x, a, v, nitems(v), true);
}

/* How a partnership ends: continuing when one of them said CONTINUE and neither
 * CONCLUDE, else concluded. */
static enum partnership_end
partnership_outcome(const struct partnership *x)
{
	if (x->a_choice == CHOICE_CONCLUDE || x->b_choice == CHOICE_CONCLUDE)
		return END_CONCLUDED;
	if (x->a_choice == CHOICE_CONTINUE || x->b_choice == CHOICE_CONTINUE)
		return END_CONTINUING;
	return END_CONCLUDED;
}

/* The next round, which the closing mail invites to. */
struct close_ctx {
	const struct round *next;
	char next_closes[16], next_starts[16];
};

static int
close_one(struct program *p, const struct round *r, int64_t day, const struct partnership *x,
	  bool a, void *ctx)
{
	const struct close_ctx *cc = ctx;
	enum partnership_end e = partnership_outcome(x);
	const struct round *next = cc->next;
	struct tmpl_var v[] = {
		{ "continuing", e == END_CONTINUING ? "yes" : "" },
		{ "concluded", e == END_CONCLUDED ? "yes" : "" },
		{ "next_round", next ? next->name : "" },
		{ "next_signup_closes", next ? cc->next_closes : "" },
		{ "next_starts", next ? cc->next_starts : "" },
		{ "no_next_round", next ? "" : "yes" },
	};

	return partner_mail(p, r, day, "round_closed", x, a, v, nitems(v), false);
}

static int
job_close(struct program *p, const struct round *r, int64_t day, int *queued)
{
	struct partnership *x = NULL;
	struct close_ctx cc = { 0 };
	struct round next;
	int n = 0, found, rc = -1;

	if ((found = store_round_next_open(p->st, r->id, p->now, &next)) < 0)
		return -1;
	if (found) {
		cc.next = &next;
		time_format_date(next.signup_closes, cc.next_closes, sizeof(cc.next_closes));
		time_format_date(next.starts, cc.next_starts, sizeof(cc.next_starts));
	}
	if (each_partner(p, r, day, close_one, &cc, queued) < 0)
		goto out;
	if ((n = store_partnerships_list(p->st, r->id, PARTNERSHIP_ACTIVE, &x)) < 0) {
		n = 0;
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (store_partnership_end(p->st, x[i].id, partnership_outcome(&x[i]), p->now) < 0)
			goto out;
	if (store_waiting_clear_round(p->st, r->id) < 0 ||
	    store_round_set_status(p->st, r->id, ROUND_CLOSED) < 0)
		goto out;
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		partnership_clear(&x[i]);
	free(x);
	if (found)
		round_clear(&next);
	return rc;
}

static int
job_checkin(struct program *p, const struct round *r, int64_t day, int *queued)
{
	return each_partner(p, r, day, checkin_one, NULL, queued);
}

static int
job_reminder(struct program *p, const struct round *r, int64_t day, int *queued)
{
	return each_partner(p, r, day, reminder_one, NULL, queued);
}

/* The jobs, in the order they run, by kind. */
static int (*const jobs_run[SCHED_NKINDS])(struct program *, const struct round *, int64_t,
					   int *) = {
	[SCHED_DIGEST] = job_digest,
	[SCHED_CHECKIN] = job_checkin,
	[SCHED_REMINDER] = job_reminder,
	[SCHED_CLOSE] = job_close,
};

/* The due jobs of one round, each in its own transaction. Returns how many ran or -1. */
static int
schedule_round(struct program *p, int64_t round_id, const struct sched_conf *sc)
{
	const char *names[SCHED_NKINDS];
	int ran = 0;

	for (int k = 0; k < SCHED_NKINDS; k++)
		names[k] = schedule_kind_name((enum sched_kind)k);
	for (;;) {
		struct sched_job jobs[SCHED_NKINDS];
		int64_t last[SCHED_NKINDS];
		struct round r;
		int found, n, queued = 0;
		char day[16];

		/* Read inside the transaction: a second process finds the job done. */
		if (store_begin(p->st) < 0)
			return -1;
		memset(&r, 0, sizeof(r));
		if ((found = store_round_get(p->st, round_id, &r)) <= 0 || r.status != ROUND_RUNNING ||
		    store_schedule_last(p->st, round_id, names, SCHED_NKINDS, last) < 0) {
			store_rollback(p->st);
			round_clear(&r);
			return found < 0 ? -1 : ran;
		}
		n = schedule_due(schedule_day(r.starts), schedule_day(r.ends), sc, last,
				 schedule_day(p->now), jobs);
		if (n == 0) {
			store_rollback(p->st);
			round_clear(&r);
			return ran;
		}
		time_format_date(schedule_day_start(jobs[0].day), day, sizeof(day));
		log_info("schedule: round %s: %s of %s", r.name, names[jobs[0].kind], day);
		if (jobs_run[jobs[0].kind](p, &r, jobs[0].day, &queued) < 0 ||
		    store_schedule_set(p->st, round_id, names[jobs[0].kind], jobs[0].day,
				       p->now) < 0 ||
		    store_commit(p->st) < 0) {
			store_rollback(p->st);
			log_errorx("schedule: round %s: %s of %s failed; it is tried again at the "
				   "next pass", r.name, names[jobs[0].kind], day);
			round_clear(&r);
			return -1;
		}
		log_info("schedule: round %s: %s of %s: %d mail%s queued", r.name,
			 names[jobs[0].kind], day, queued, queued == 1 ? "" : "s");
		round_clear(&r);
		ran++;
	}
}

int
program_schedule_run(struct program *p)
{
	struct sched_conf sc;
	struct round *rounds = NULL;
	int n, ran = 0, k, j, rc = -1;

	sched_conf(p->conf, &sc);
	program_tick(p);
	/* refusals at sending time since the last pass, told first */
	if (program_bounce_pending(p) < 0 || (n = store_rounds_running(p->st, &rounds)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int r = schedule_round(p, rounds[i].id, &sc);

		if (r < 0)
			goto out;
		ran += r;
	}
	/* Nudges that ran out dissolve their partnerships; then the waiting pools are
	 * matched again, once a day (and whenever someone joins them). */
	if ((k = program_nudges_due(p)) < 0 || (j = program_rematch_daily(p)) < 0)
		goto out;
	rc = ran + k + j;
out:
	for (int i = 0; i < n; i++)
		round_clear(&rounds[i]);
	free(rounds);
	return rc;
}
