/* program_round.c: the coordinators' commands (SPEC §2, §4, §6): ROUND OPEN, MATCH,
 * APPROVE, STATS, EXPORT. A coordinator is a configured address whose message carries
 * a passing, aligned result in our own server's Authentication-Results; otherwise the
 * command waits for a confirmation token sent to that address, like any other. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmd.h"
#include "conf.h"
#include "form.h"
#include "profile.h"
#include "iso_codes.h"
#include "log.h"
#include "mail_compose.h"
#include "match_adjust.h"
#include "match_preview.h"
#include "match_report.h"
#include "msg.h"
#include "program.h"
#include "schedule.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

#define ROUND_NAME_MAX 60
#define STATS_SMALL 5           /* counts under it shown as "<5" where forwardable */
#define STATS_BAR_PX 300        /* the longest bar of a chart */

static void
round_weights(const struct conf *c, struct match_weights *w)
{
	w->explicit_met = c->weight_explicit;
	w->default_met = c->weight_default;
	w->interest = c->weight_interest;
	w->max_interests = c->max_interests;
}

size_t
program_coordinators(const struct conf *c, char ***v)
{
	char *copy = xstrdup(c->coordinators), *save = NULL;
	size_t n = 0;

	*v = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = str_trim(t);
		if (*t == '\0')
			continue;
		*v = xrealloc(*v, (n + 1) * sizeof(char *));
		(*v)[n++] = xstrdup(t);
	}
	free(copy);
	return n;
}

void
program_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The round's end: Starts plus its months, on the month's end when that month is shorter. */
static int64_t
round_end(int64_t starts, int months)
{
	return schedule_day_start(schedule_add_months(schedule_day(starts), months));
}

/* "Field: value" of the body, case-insensitive field name; NULL when absent. */
static char *
body_field(const char *body, const char *field)
{
	size_t n = strlen(field);

	for (const char *l = body; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (strncasecmp(l, field, n) == 0 && l[n] == ':') {
			size_t k = strcspn(l + n + 1, "\r\n");
			char *v = xstrndup(l + n + 1, k), *t = str_trim(v), *r = xstrdup(t);

			free(v);
			return r;
		}
	}
	return NULL;
}

/* The problem line of a date field that time_parse refused: a day past the month's end
 * ("2026-02-29") is named as such, anything else gets the accepted form. */
static void
date_problem(struct buf *problems, const char *lang, const char *field, const char *value)
{
	int y, m, d;
	char tail, date[32], days[16];
	struct tmpl_var v[] = { { "date", date }, { "days", days } };

	buf_printf(problems, "%s: ", field);
	if (value != NULL && sscanf(value, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
	    m >= 1 && m <= 12 && d > time_month_days(y, m)) {
		snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
		snprintf(days, sizeof(days), "%d", time_month_days(y, m));
		words_buf_add(problems, lang, "round.problem.no_such_day", v, nitems(v));
	} else {
		words_buf_add(problems, lang, "round.problem.not_a_date", NULL, 0);
	}
	buf_adds(problems, "\n");
}

/* The [messages] sentence key, filled from v, as a line of b. */
static void
round_say(struct buf *b, const char *lang, const char *key, const struct tmpl_var *v,
	  size_t nv)
{
	words_buf_add(b, lang, key, v, nv);
	buf_adds(b, "\n");
}

int
round_open(struct program *p, struct program_in *in, const struct cmd *c)
{
	const char *name = c->arg, *body = in->m->body;
	char *closes = body_field(body, "Signup closes"), *starts = body_field(body, "Starts");
	char *length = body_field(body, "Length");
	int64_t tc = 0, ts = 0, id;
	int months = p->conf->round_months, rc = -1, exists;
	struct buf problems;
	struct pool_row *rows = NULL;
	char **subs = NULL;
	int nrows = 0, nsubs = 0, sent = 0;
	const char *lang = reply_lang(p, in, "round_problems", NULL);
	char max[16];
	struct tmpl_var nv[] = { { "max", max }, { "name", name },
				 { "min_months", STR(CONF_ROUND_MONTHS_MIN) },
				 { "max_months", STR(CONF_ROUND_MONTHS_MAX) } };

	buf_init(&problems, 8192);
	snprintf(max, sizeof(max), "%d", ROUND_NAME_MAX);
	if (name == NULL || name[0] == '\0' || strlen(name) > ROUND_NAME_MAX)
		round_say(&problems, lang, "round.problem.name", nv, nitems(nv));
	else if ((exists = store_round_exists(p->st, name)) < 0)
		goto out;
	else if (exists)
		round_say(&problems, lang, "round.problem.name_taken", nv, nitems(nv));
	if (closes == NULL || time_parse(closes, &tc) < 0)
		date_problem(&problems, lang, "Signup closes", closes);
	if (starts == NULL || time_parse(starts, &ts) < 0)
		date_problem(&problems, lang, "Starts", starts);
	if (length) {
		char *end;
		long v = strtol(length, &end, 10);

		while (*end == ' ')
			end++;
		if (end == length || v < CONF_ROUND_MONTHS_MIN || v > CONF_ROUND_MONTHS_MAX ||
		    (*end && strncasecmp(end, "month", 5) != 0))
			round_say(&problems, lang, "round.problem.length", nv, nitems(nv));
		else
			months = (int)v;
	}
	if (problems.len == 0 && tc > ts)
		round_say(&problems, lang, "round.problem.closes_after_starts", nv, nitems(nv));
	if (problems.len > 0) {
		struct tmpl_var v[] = { { "problems", problems.data } };

		in->outcome = OUTCOME_REFUSED;
		snprintf(in->detail, sizeof(in->detail), "ROUND OPEN with problems");
		rc = reply_queue(p, in, "round_problems", v, 1, NULL, NULL);
		goto out;
	}
	if (store_round_add(p->st, name, tc, ts, round_end(ts, months), months, p->now, &id) < 0)
		goto out;
	if ((nrows = store_participants_list(p->st, &rows)) < 0 ||
	    (nsubs = store_subscribers_list(p->st, &subs)) < 0)
		goto out;
	{
		char dc[16], dst[16], de[16], lbuf[MAIL_LIST_BUF];
		struct mail_header hdr[MAIL_LIST_HEADERS];
		size_t nhdr = mail_list_headers(p->conf, "announce", hdr, lbuf);
		struct tmpl_var v[] = { { "round_name", name }, { "signup_closes", dc },
					{ "starts", dst }, { "ends", de } };

		time_format_date(tc, dc, sizeof(dc));
		time_format_date(ts, dst, sizeof(dst));
		time_format_date(round_end(ts, months), de, sizeof(de));
		for (int i = 0; i < nrows + nsubs; i++) {
			const char *to = i < nrows ? rows[i].email : subs[i - nrows];
			char key[400];
			struct outmail om;

			memset(&om, 0, sizeof(om));
			snprintf(key, sizeof(key), "announce:%lld:%s", (long long)id, to);
			om.tmpl = "round_announce";
			om.vars = v;
			om.nvars = 4;
			om.to = &to;
			om.nto = 1;
			om.key = key;
			om.extra = hdr;
			om.nextra = nhdr;
			if (outmail_queue(p, &om) < 0)
				goto out;
			sent++;
		}
		{
			char count[32];
			struct tmpl_var r[] = { { "round_name", name }, { "signup_closes", dc },
						{ "starts", dst }, { "ends", de },
						{ "announced", count } };

			snprintf(count, sizeof(count), "%d", sent);
			snprintf(in->detail, sizeof(in->detail), "round %s opened", name);
			rc = reply_queue(p, in, "round_opened", r, 5, NULL, NULL);
		}
	}
out:
	for (int i = 0; i < nrows; i++)
		pool_row_clear(&rows[i]);
	free(rows);
	program_strv_free(subs, nsubs > 0 ? (size_t)nsubs : 0);
	buf_free(&problems);
	free(closes);
	free(starts);
	free(length);
	return rc;
}

/* The round's matching as it stands: the pool, the adjustments replayed, the stored
 * proposal's pairs kept among equals. 0 (free with round_solve_free) or -1. */
static int
round_solve(struct program *p, const struct round *r, struct pool_row **rows, int *nrows,
	    struct adjusted *adj)
{
	struct match_weights w;
	struct match_options o = { .prune_k = p->conf->prune_k };
	struct adjust_row *log = NULL;
	struct adjust *ax = NULL, *prev = NULL;
	struct partnership *props = NULL;
	struct adjust_set set;
	int nlog = 0, nprops = 0, rc = -1;

	memset(adj, 0, sizeof(*adj));
	memset(&set, 0, sizeof(set));
	*rows = NULL;
	if ((*nrows = store_pool_list(p->st, rows)) < 0 ||
	    (nlog = store_adjust_list(p->st, r->id, &log)) < 0 ||
	    (nprops = store_partnerships_list(p->st, r->id, PARTNERSHIP_PROPOSED, &props)) < 0)
		goto out;
	ax = xcalloc((size_t)nlog + 1, sizeof(*ax));
	for (int i = 0; i < nlog; i++)
		ax[i] = (struct adjust){ (enum adjust_kind)log[i].kind, log[i].a, log[i].b };
	adjust_replay(ax, nlog, &set);
	prev = xcalloc((size_t)nprops + 1, sizeof(*prev));
	for (int i = 0; i < nprops; i++)
		prev[i] = (struct adjust){ ADJUST_PAIR, props[i].a, props[i].b };
	round_weights(p->conf, &w);
	rc = match_run_adjusted(*rows, *nrows, &set, prev, nprops, &w, &o, adj);
out:
	if (nlog > 0)
		store_adjust_rows_free(log, nlog);
	for (int i = 0; i < nprops; i++)
		partnership_clear(&props[i]);
	free(props);
	free(ax);
	free(prev);
	adjust_set_free(&set);
	return rc;
}

static void
round_solve_free(struct pool_row *rows, int nrows, struct adjusted *adj)
{
	for (int i = 0; i < nrows; i++)
		pool_row_clear(&rows[i]);
	free(rows);
	adjusted_free(adj);
}

/* Store the result as the round's proposal, replacing any earlier one. */
static int
round_match_store(struct program *p, const struct round *r, const struct pool_row *rows,
		  const struct adjusted *adj)
{
	const struct match_result *res = adj->r;

	if (store_proposals_clear(p->st, r->id) < 0)
		return -1;
	for (int i = 0; i < res->npairs; i++) {
		const struct match_pair *pp = &res->pairs[i];
		char *why = match_pair_why(rows, pp, NULL);
		int rc = store_partnership_add(p->st, r->id, rows[pp->a].id, rows[pp->b].id,
					       pp->weight, why, p->now, NULL);

		free(why);
		if (rc < 0)
			return -1;
	}
	for (int i = 0; i < res->nunmatched; i++) {
		/* in the language of the mail APPROVE sends it in (round_approve) */
		const char *to = rows[res->unmatched[i].idx].email;
		struct outmail om = { .tmpl = "unmatched_options", .to = &to, .nto = 1 };
		char *why = match_unmatched_why(rows, &res->unmatched[i],
						reply_outmail_language(p, &om));
		int rc = store_unmatched_add(p->st, r->id, rows[res->unmatched[i].idx].id, why);

		free(why);
		if (rc < 0)
			return -1;
	}
	return store_round_set_status(p->st, r->id, ROUND_PREVIEWED);
}

static int
round_no_round(struct program *p, struct program_in *in, const char *what)
{
	struct tmpl_var v[] = { { "command", what } };

	in->outcome = OUTCOME_REFUSED;
	snprintf(in->detail, sizeof(in->detail), "%s without a round to act on", what);
	return reply_queue(p, in, "no_round", v, 1, NULL, NULL);
}

/* The preview, to every coordinator, with the proposal as CSV, threaded to the message
 * that caused it when there is one. */
static int
round_preview_send(struct program *p, struct program_in *in, const struct round *r,
		   int number, const char *report, const char *csv)
{
	char **coords, num[16], key[96], name[64];
	size_t n = program_coordinators(p->conf, &coords);
	struct tmpl_var v[] = { { "round_name", r->name }, { "report", report },
				{ "proposal", num } };
	struct outmail om;
	int rc = 0;

	snprintf(num, sizeof(num), "%d", number);
	snprintf(key, sizeof(key), "preview:%lld:%d", (long long)r->id, number);
	snprintf(name, sizeof(name), "proposal-%d.csv", number);
	if (n > 0) {
		memset(&om, 0, sizeof(om));
		om.tmpl = "match_preview";
		om.vars = v;
		om.nvars = nitems(v);
		om.to = (const char *const *)coords;
		om.nto = n;
		om.key = key;
		om.parent = in ? in->m : NULL;
		om.attach_name = name;
		om.attach_type = "text/csv; charset=UTF-8";
		om.attach_data = csv;
		om.attach_len = strlen(csv);
		rc = outmail_queue(p, &om);
	}
	program_strv_free(coords, n);
	return rc;
}

/* The matching of the current round, as a numbered proposal (see program.h). */
/* The language round_preview_send writes the preview in (reply_outmail_language). */
static const char *
preview_language(struct program *p, struct program_in *in)
{
	char **coords = NULL;
	size_t n = program_coordinators(p->conf, &coords);
	struct outmail om = { .tmpl = "match_preview", .to = (const char *const *)coords,
			      .nto = n, .parent = in ? in->m : NULL };
	const char *lang = n > 0 ? reply_outmail_language(p, &om) : NULL;

	program_strv_free(coords, n);
	return lang;
}

static int
round_propose(struct program *p, struct program_in *in, bool store_it, const char *changes,
	      char **report_out, char **csv_out)
{
	struct round r;
	struct pool_row *rows = NULL;
	struct adjusted adj;
	int nrows = 0, found, number, rc = -1;
	char *report = NULL, *csv = NULL;

	if (report_out)
		*report_out = NULL;
	if (csv_out)
		*csv_out = NULL;
	memset(&r, 0, sizeof(r));
	memset(&adj, 0, sizeof(adj));
	if ((found = store_round_current(p->st, p->now, &r)) < 0)
		goto out;
	if (found == 0) {
		rc = in ? round_no_round(p, in, "MATCH") : 0;
		goto out;
	}
	if (round_solve(p, &r, &rows, &nrows, &adj) < 0)
		goto out;
	number = store_it ? store_round_proposal_next(p->st, r.id) :
			    store_round_proposal(p->st, r.id);
	if (number < 0)
		goto out;
	if (number == 0)
		number = 1;
	{
		struct preview pv = { r.name, number, p->now, rows, nrows, &adj, changes,
				      store_it ? preview_language(p, in) : NULL };

		report = match_preview_text(&pv);
		csv = match_preview_csv(&pv);
	}
	if (store_it) {
		if (round_match_store(p, &r, rows, &adj) < 0 ||
		    round_preview_send(p, in, &r, number, report, csv) < 0)
			goto out;
		if (in)
			snprintf(in->detail, sizeof(in->detail), "proposal %d: %d pairs, %d "
				 "unmatched", number, adj.r->npairs, adj.r->nunmatched);
	}
	if (report_out) {
		*report_out = report;
		report = NULL;
	}
	if (csv_out) {
		*csv_out = csv;
		csv = NULL;
	}
	rc = 1;
out:
	round_clear(&r);
	round_solve_free(rows, nrows, &adj);
	free(report);
	free(csv);
	return rc;
}

int
round_match_preview(struct program *p, struct program_in *in, bool store_it, char **report_out,
		    char **csv_out)
{
	return round_propose(p, in, store_it, NULL, report_out, csv_out);
}

#define ADJUST_LINES_MAX 50         /* adjustment lines read from one reply */

static int
row_by_email(const struct pool_row *rows, int n, const char *email)
{
	for (int i = 0; i < n; i++)
		if (strcasecmp(rows[i].email, email) == 0)
			return i;
	return -1;
}

/* The partner of row i in the stored proposal, or -1. */
static int
proposed_partner(const struct pool_row *rows, int n, const struct partnership *props,
		 int nprops, int i)
{
	for (int k = 0; k < nprops; k++) {
		int64_t other = props[k].a == rows[i].id ? props[k].b :
				props[k].b == rows[i].id ? props[k].a : 0;

		if (other)
			for (int j = 0; j < n; j++)
				if (rows[j].id == other)
					return j;
	}
	return -1;
}

/* Split line into at most 3 words (copies into w, each at most 255 bytes). */
static int
words3(const char *line, size_t len, char w[3][256])
{
	int n = 0;
	size_t i = 0;

	while (i < len && n < 4) {
		size_t k;

		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		if (i >= len)
			break;
		k = i;
		while (k < len && line[k] != ' ' && line[k] != '\t' && line[k] != '\r')
			k++;
		if (n == 3)
			return 4;
		snprintf(w[n], 256, "%.*s", (int)(k - i < 255 ? k - i : 255), line + i);
		n++;
		i = k;
	}
	return n;
}

/* One adjustment line: recorded (1), refused with the reason in done (0), or -1. */
static int
adjust_line(struct program *p, const struct round *r, int number, const char *by,
	    const struct pool_row *rows, int nrows, const struct partnership *props,
	    int nprops, char w[3][256], int nw, const char *lang, struct buf *done)
{
	enum adjust_kind kind;
	int i, j = -1;
	const char *why;
	char *rule, num[16], line[800];
	struct tmpl_var v[] = { { "word", w[0] }, { "line", line }, { "email", NULL },
				{ "a_email", NULL }, { "b_email", NULL }, { "why", NULL },
				{ "number", num }, { "by", by } };

	kind = strcasecmp(w[0], "pair") == 0 ? ADJUST_PAIR :
	       strcasecmp(w[0], "unpair") == 0 ? ADJUST_UNPAIR : ADJUST_EXCLUDE;
	snprintf(num, sizeof(num), "%d", number);
	if (nw != (kind == ADJUST_PAIR ? 3 : 2)) {
		round_say(done, lang, kind == ADJUST_PAIR ? "round.adjust.usage.pair" :
			  kind == ADJUST_UNPAIR ? "round.adjust.usage.unpair" :
			  "round.adjust.usage.exclude", v, nitems(v));
		return 0;
	}
	if ((i = row_by_email(rows, nrows, w[1])) < 0 ||
	    (kind == ADJUST_PAIR && (j = row_by_email(rows, nrows, w[2])) < 0)) {
		snprintf(line, sizeof(line), "%s %s%s%s", w[0], w[1], nw == 3 ? " " : "",
			 nw == 3 ? w[2] : "");
		v[2].value = i < 0 ? w[1] : w[2];
		round_say(done, lang, "round.adjust.not_waiting", v, nitems(v));
		return 0;
	}
	v[2].value = v[3].value = rows[i].email;
	if (kind == ADJUST_PAIR && (why = adjust_pair_refusal(rows, i, j)) != NULL) {
		const char *c = rows[i].prof->country ? rows[i].prof->country : "";
		const char *cn = iso_country_name_in(c, lang);
		struct tmpl_var cv[] = { { "country", cn ? cn : c } };

		rule = words_format(lang, why, cv, nitems(cv));
		v[4].value = rows[j].email;
		v[5].value = rule;
		round_say(done, lang, "round.adjust.pair_refused", v, nitems(v));
		free(rule);
		return 0;
	}
	if (kind == ADJUST_UNPAIR &&
	    (j = proposed_partner(rows, nrows, props, nprops, i)) < 0) {
		round_say(done, lang, "round.adjust.no_partner", v, nitems(v));
		return 0;
	}
	if (store_adjust_add(p->st, r->id, number, (int)kind, rows[i].id,
			     j >= 0 ? rows[j].id : 0, by, p->now) < 0)
		return -1;
	v[4].value = j >= 0 ? rows[j].email : "";
	round_say(done, lang, kind == ADJUST_PAIR ? "round.adjust.locked" :
		  kind == ADJUST_UNPAIR ? "round.adjust.unpaired" : "round.adjust.excluded", v,
		  nitems(v));
	return 1;
}

int
round_adjust(struct program *p, struct program_in *in, const struct msg *m, const char *key)
{
	long long rid;
	int number, current, nrows = 0, nprops = 0, lines = 0, made = 0, rc = -1;
	struct round r;
	struct pool_row *rows = NULL;
	struct partnership *props = NULL;
	struct buf done;
	const char *lang = reply_lang(p, in, "coord_done", NULL);

	memset(&r, 0, sizeof(r));
	buf_init(&done, 0);
	if (sscanf(key, "preview:%lld:%d", &rid, &number) != 2) {
		rid = 0;
		number = 0;
	}
	if (store_round_get(p->st, rid, &r) < 0)
		goto out;
	if (r.id == 0 || r.status != ROUND_PREVIEWED) {
		round_say(&done, lang, "round.adjust.closed", NULL, 0);
		goto answer;
	}
	if ((current = store_round_proposal(p->st, r.id)) < 0 ||
	    (nrows = store_pool_list(p->st, &rows)) < 0 ||
	    (nprops = store_partnerships_list(p->st, r.id, PARTNERSHIP_PROPOSED, &props)) < 0)
		goto out;
	if (number != current) {
		char asked[16], latest[16];
		struct tmpl_var v[] = { { "asked", asked }, { "latest", latest } };

		snprintf(asked, sizeof(asked), "%d", number);
		snprintf(latest, sizeof(latest), "%d", current);
		round_say(&done, lang, "round.adjust.older", v, nitems(v));
	}
	for (const char *l = m->body; *l && lines < ADJUST_LINES_MAX;) {
		size_t n = strcspn(l, "\n");
		char w[3][256];
		int nw = words3(l, n, w), got;

		if (nw >= 2 && l[0] != '>' && (strcasecmp(w[0], "pair") == 0 ||
		    strcasecmp(w[0], "unpair") == 0 || strcasecmp(w[0], "exclude") == 0)) {
			lines++;
			if ((got = adjust_line(p, &r, current, m->from, rows, nrows, props, nprops,
					       w, nw > 3 ? 0 : nw, lang, &done)) < 0)
				goto out;
			made += got;
		}
		l += n;
		if (*l)
			l++;
	}
	if (lines == 0)
		round_say(&done, lang, "round.adjust.none", NULL, 0);
	if (made > 0) {
		snprintf(in->detail, sizeof(in->detail), "proposal %d adjusted: %d change(s)",
			 current, made);
		rc = round_propose(p, in, true, done.data, NULL, NULL) < 0 ? -1 : 0;
		in->outcome = OUTCOME_DONE;
		goto out;
	}
answer:
	{
		struct tmpl_var v[] = { { "done", done.data ? done.data : "" } };

		in->outcome = OUTCOME_REFUSED;
		snprintf(in->detail, sizeof(in->detail), "preview reply: nothing changed");
		rc = reply_queue(p, in, "coord_done", v, nitems(v), NULL, NULL);
	}
out:
	for (int i = 0; i < nrows; i++)
		pool_row_clear(&rows[i]);
	free(rows);
	for (int i = 0; i < nprops; i++)
		partnership_clear(&props[i]);
	free(props);
	round_clear(&r);
	buf_free(&done);
	return rc;
}

/* Introductions: one mail To both partners, Reply-To both, with each partner's
 * shareable fields only (SPEC §1): address, workplace, years, interests, About. */
int
round_introduce(struct program *p, const struct round *r, const struct partnership *x)
{
	struct profile pa, pb;
	char ya[16], yb[16], ends[16], key[64];
	const char *to[2] = { x->a_email, x->b_email };
	struct outmail om;
	int rc = -1;

	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	if (store_participant_get(p->st, x->a_email, NULL, &pa) != 1 ||
	    store_participant_get(p->st, x->b_email, NULL, &pb) != 1)
		goto out;
	snprintf(ya, sizeof(ya), "%d", pa.years);
	snprintf(yb, sizeof(yb), "%d", pb.years);
	time_format_date(r->ends, ends, sizeof(ends));
	{
		struct tmpl_var v[] = {
			{ "round_name", r->name }, { "ends", ends },
			{ "a_email", x->a_email }, { "a_workplace", pa.workplace },
			{ "a_years", ya }, { "a_interests", pa.interests }, { "a_about", pa.about },
			{ "b_email", x->b_email }, { "b_workplace", pb.workplace },
			{ "b_years", yb }, { "b_interests", pb.interests }, { "b_about", pb.about },
		};

		snprintf(key, sizeof(key), "intro:%lld", (long long)x->id);
		memset(&om, 0, sizeof(om));
		om.tmpl = "introduction";
		om.vars = v;
		om.nvars = nitems(v);
		om.to = to;
		om.nto = 2;
		om.reply_to = to;
		om.nreply_to = 2;
		om.key = key;
		rc = outmail_queue(p, &om);
	}
out:
	profile_free(&pa);
	profile_free(&pb);
	return rc;
}

/* The proposal an APPROVE names: a number in its Subject ("APPROVE 3"), else the
 * preview it answers; 0 when it names none (the latest), -1 on a store error. */
static int
approve_number(struct program *p, struct program_in *in, const struct cmd *c, int64_t rid)
{
	char *kind = NULL, *key = NULL;
	long long r;
	int n = 0, found;

	for (const char *s = c->arg; *s; s++)
		if (*s >= '0' && *s <= '9') {
			long v = strtol(s, NULL, 10);

			return v > 0 && v < 1000000 ? (int)v : 0;
		}
	if ((found = program_answered_mail(p, in->m, &kind, &key)) < 0)
		return -1;
	if (found && strcmp(kind, "match_preview") == 0 &&
	    (sscanf(key, "preview:%lld:%d", &r, &n) != 2 || r != rid))
		n = 0;
	if (found && strcmp(kind, "match_preview") != 0)
		n = 0;
	free(kind);
	free(key);
	return n;
}

int
round_approve(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct round r;
	struct partnership *pairs = NULL, *lone = NULL;
	int npairs = 0, nlone = 0, found, introduced = 0, told = 0, rc = -1, current, asked;

	memset(&r, 0, sizeof(r));
	if ((found = store_round_current(p->st, p->now, &r)) < 0)
		goto out;
	if (!found || r.status != ROUND_PREVIEWED) {
		rc = round_no_round(p, in, found ? words_text(reply_lang(p, in, "no_round", NULL),
							      "round.approve.match_first") :
				    "APPROVE");
		goto out;
	}
	if ((current = store_round_proposal(p->st, r.id)) < 0 ||
	    (asked = approve_number(p, in, c, r.id)) < 0)
		goto out;
	if (asked > 0 && asked != current) {
		char a[16], b[16];
		struct tmpl_var v[] = { { "round_name", r.name }, { "asked", a },
					{ "proposal", b } };

		snprintf(a, sizeof(a), "%d", asked);
		snprintf(b, sizeof(b), "%d", current);
		in->outcome = OUTCOME_REFUSED;
		snprintf(in->detail, sizeof(in->detail), "APPROVE of proposal %d refused: the "
			 "latest is %d", asked, current);
		rc = reply_queue(p, in, "approve_stale", v, nitems(v), NULL, NULL);
		goto out;
	}
	if ((npairs = store_partnerships_list(p->st, r.id, PARTNERSHIP_PROPOSED, &pairs)) < 0 ||
	    (nlone = store_unmatched_list(p->st, r.id, &lone)) < 0)
		goto out;
	for (int i = 0; i < npairs; i++) {
		if (store_partnership_set_status(p->st, pairs[i].id, PARTNERSHIP_ACTIVE, p->now) < 0 ||
		    round_introduce(p, &r, &pairs[i]) < 0)
			goto out;
		introduced++;
	}
	/* The unmatched wait for a partner during the round (program_rematch.c). */
	/* They are told their options below: no "next round" mail on top of it. */
	for (int i = 0; i < nlone; i++)
		if (store_waiting_add(p->st, lone[i].a, r.id, WAIT_UNMATCHED, 0, p->now) < 0 ||
		    store_waiting_told(p->st, lone[i].a) < 0)
			goto out;
	for (int i = 0; i < nlone; i++) {
		const char *to = lone[i].a_email;
		char key[400];
		struct tmpl_var v[] = { { "round_name", r.name }, { "why", lone[i].why } };
		struct outmail om;

		snprintf(key, sizeof(key), "unmatched:%lld:%lld", (long long)r.id,
			 (long long)lone[i].a);
		memset(&om, 0, sizeof(om));
		om.tmpl = "unmatched_options";
		om.vars = v;
		om.nvars = 2;
		om.to = &to;
		om.nto = 1;
		om.key = key;
		if (outmail_queue(p, &om) < 0)
			goto out;
		told++;
	}
	if (store_round_set_status(p->st, r.id, ROUND_RUNNING) < 0 ||
	    store_round_approved(p->st, r.id, in->m->from, p->now) < 0)
		goto out;
	{
		char a[16], b[16], num[16];
		struct tmpl_var v[] = { { "round_name", r.name }, { "introduced", a },
					{ "unmatched", b }, { "proposal", num },
					{ "approved_by", in->m->from } };
		char **coords;
		size_t nc = program_coordinators(p->conf, &coords);

		snprintf(a, sizeof(a), "%d", introduced);
		snprintf(b, sizeof(b), "%d", told);
		snprintf(num, sizeof(num), "%d", current);
		snprintf(in->detail, sizeof(in->detail), "approved proposal %d: %d introductions",
			 current, introduced);
		rc = reply_queue(p, in, "approve_done", v, nitems(v), NULL, NULL);
		/* The other coordinators are told who approved. */
		for (size_t i = 0; i < nc && rc >= 0; i++) {
			const char *to = coords[i];
			char key[400];
			struct outmail om;

			if (strcasecmp(to, in->m->from) == 0)
				continue;
			snprintf(key, sizeof(key), "approved:%lld:%s", (long long)r.id, to);
			memset(&om, 0, sizeof(om));
			om.tmpl = "approve_done";
			om.vars = v;
			om.nvars = nitems(v);
			om.to = &to;
			om.nto = 1;
			om.key = key;
			rc = outmail_queue(p, &om);
		}
		program_strv_free(coords, nc);
	}
out:
	for (int i = 0; i < npairs; i++)
		partnership_clear(&pairs[i]);
	for (int i = 0; i < nlone; i++)
		partnership_clear(&lone[i]);
	free(pairs);
	free(lone);
	round_clear(&r);
	return rc;
}

/* A count as it may be forwarded beyond coordinators: under 5 (but 0) as "<5". */
static const char *
stats_small(int n, char *buf, size_t bufsz)
{
	if (n > 0 && n < STATS_SMALL)
		snprintf(buf, bufsz, "<%d", STATS_SMALL);
	else
		snprintf(buf, bufsz, "%d", n);
	return buf;
}

/* Text into b with < > & " escaped for HTML. */
static void
stats_html_text(struct buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '&': buf_adds(b, "&amp;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		default: buf_addc(b, *s); break;
		}
}

struct stat_kv { const char *k; int n; };
#define STATS_NAME_MAX 128      /* bytes of a name STATS counts by (a country's, a sector's) */

/* One bar chart: a table of inline-styled cells (no scripts, no remote images). */
static void
stats_html_chart(struct buf *h, const char *lang, const char *title, const struct stat_kv *c,
		 int nc)
{
	int max = 1;
	char num[16];

	for (int i = 0; i < nc; i++)
		if (c[i].n > max)
			max = c[i].n;
	buf_adds(h, "<h3 style=\"font-family:sans-serif;font-size:15px;margin:16px 0 4px\">");
	stats_html_text(h, title);
	buf_adds(h, "</h3>\n<table style=\"border-collapse:collapse;font-family:sans-serif;"
		 "font-size:13px\">\n");
	for (int i = 0; i < nc; i++) {
		/* a small count gets the bar of the threshold, not its own */
		int shown = c[i].n > 0 && c[i].n < STATS_SMALL ? STATS_SMALL - 1 : c[i].n;
		int w = (int)((int64_t)STATS_BAR_PX * shown / max);

		buf_adds(h, "<tr><td style=\"padding:2px 8px 2px 0\">");
		stats_html_text(h, c[i].k);
		buf_adds(h, "</td><td style=\"padding:2px 8px;text-align:right\">");
		stats_html_text(h, stats_small(c[i].n, num, sizeof(num)));
		buf_printf(h, "</td><td style=\"padding:2px 0\"><table style=\"border-collapse:"
			   "collapse\"><tr><td style=\"background-color:#3b6ea5;width:%dpx;"
			   "height:12px;font-size:1px;line-height:1px\" width=\"%d\">&nbsp;</td>"
			   "</tr></table></td></tr>\n", w > 0 ? w : 1, w > 0 ? w : 1);
	}
	if (nc == 0) {
		buf_adds(h, "<tr><td>");
		stats_html_text(h, words_text(lang, "stats.none"));
		buf_adds(h, "</td></tr>\n");
	}
	buf_adds(h, "</table>\n");
}

/* Counts of a field over the rows, "name n, name n" by descending count, small counts
 * as "<5"; the same as a bar chart into h. */
static void
stats_count(struct buf *out, struct buf *h, const char *lang, const char *title_key,
	    const struct pool_row *rows, int n,
	    const char *(*get)(const struct profile *, const char *lang, char *buf, size_t bufsz))
{
	const char *title = words_text(lang, title_key);
	struct stat_kv c[256];
	char names[256][STATS_NAME_MAX], w[STATS_NAME_MAX];
	int nc = 0;
	char num[16];

	for (int i = 0; i < n; i++) {
		const char *k = get(rows[i].prof, lang, w, sizeof(w));
		int j;

		if (k == NULL)
			k = words_text(lang, "stats.stage.unknown");
		for (j = 0; j < nc && strcmp(c[j].k, k) != 0; j++)
			;
		if (j == nc && nc < 256) {
			snprintf(names[nc], sizeof(names[nc]), "%s", k);
			c[nc] = (struct stat_kv){ names[nc], 0 };
			nc++;
		}
		if (j < nc)
			c[j].n++;
	}
	for (int i = 1; i < nc; i++)
		for (int j = i; j > 0 && (c[j].n > c[j - 1].n ||
		     (c[j].n == c[j - 1].n && strcmp(c[j].k, c[j - 1].k) < 0)); j--) {
			struct stat_kv t = c[j];

			c[j] = c[j - 1];
			c[j - 1] = t;
		}
	buf_printf(out, "%s:", title);
	for (int i = 0; i < nc; i++)
		buf_printf(out, "%s %s %s", i ? "," : "", c[i].k, stats_small(c[i].n, num,
										sizeof(num)));
	if (nc == 0)
		buf_printf(out, " %s", words_text(lang, "stats.none"));
	buf_adds(out, "\n");
	stats_html_chart(h, lang, title, c, nc);
}

/* The counts of one round (or all rounds) as text lines. */
static void
stats_counts_text(struct buf *out, const char *lang, const char *title_key,
		  const struct round_counts *k)
{
	const int n[] = { k->active, k->dissolved, k->continuing, k->concluded, k->unmatched,
			  k->waiting, k->reports, k->digests, k->adjustments };
	static const char *const names[] = { "active", "dissolved", "continuing", "concluded",
					     "unmatched", "waiting", "reports", "digests",
					     "adjustments" };
	char num[nitems(n)][16];
	struct tmpl_var v[nitems(n)];

	for (size_t i = 0; i < nitems(n); i++) {
		snprintf(num[i], sizeof(num[i]), "%d", n[i]);
		v[i] = (struct tmpl_var){ names[i], num[i] };
	}
	round_say(out, lang, title_key, NULL, 0);
	buf_adds(out, "  ");
	round_say(out, lang, "stats.counts.partnerships", v, nitems(v));
	buf_adds(out, "  ");
	round_say(out, lang, "stats.counts.unmatched", v, nitems(v));
	buf_adds(out, "  ");
	round_say(out, lang, "stats.counts.reports", v, nitems(v));
}

/* The table by round, one line per round, from the EXPORT ROUNDS rows. */
struct stats_rounds {
	struct buf *out, *h;
	const char *lang;
	int n;
};

static void
stats_round_row(void *arg, int nc, const char *const *v)
{
	struct stats_rounds *t = arg;

	if (nc < 15)
		return;
	if (t->n++ == 0) {
		static const char *const cols[] = {
			"stats.col.round", "stats.col.state", "stats.col.pairs", "stats.col.active",
			"stats.col.dissolved", "stats.col.ended", "stats.col.unmatched",
		};
		const char *col[nitems(cols)];

		for (size_t i = 0; i < nitems(cols); i++)
			col[i] = words_text(t->lang, cols[i]);
		buf_printf(t->out, "\n%s\n  %-12s %-10s %6s %6s %9s %6s %9s\n",
			   words_text(t->lang, "stats.label.by_round"), col[0], col[1], col[2],
			   col[3], col[4], col[5], col[6]);
		buf_adds(t->h, "<h3 style=\"font-family:sans-serif;font-size:15px;margin:16px 0 "
			 "4px\">");
		stats_html_text(t->h, words_text(t->lang, "stats.label.by_round"));
		buf_adds(t->h, "</h3>\n<table style=\"border-collapse:collapse;"
			 "font-family:sans-serif;font-size:13px\">\n<tr>");
		for (size_t i = 0; i < nitems(cols); i++) {
			buf_adds(t->h, "<th style=\"padding:2px 8px;text-align:left;"
				 "border-bottom:1px solid #999\">");
			stats_html_text(t->h, col[i]);
			buf_adds(t->h, "</th>");
		}
		buf_adds(t->h, "</tr>\n");
	}
	buf_printf(t->out, "  %-12.12s %-10s %6s %6s %9s %6s %9s\n", v[0],
		   state_shown(t->lang, "round", v[1]), v[9], v[10], v[11], v[12], v[13]);
	buf_adds(t->h, "<tr>");
	for (int i = 0; i < 7; i++) {
		buf_adds(t->h, "<td style=\"padding:2px 8px\">");
		stats_html_text(t->h, i == 1 ? state_shown(t->lang, "round", v[1]) :
				v[(const int[]){ 0, 1, 9, 10, 11, 12, 13 }[i]]);
		buf_adds(t->h, "</td>");
	}
	buf_adds(t->h, "</tr>\n");
}

/* stats_count()'s getters: a profile's country, sector or stage as lang names it (buf
 * may hold it); NULL for unknown. */
static const char *
get_country(const struct profile *p, const char *lang, char *buf, size_t bufsz)
{
	const char *name = iso_country_name_in(p->country, lang);

	(void)buf;
	(void)bufsz;
	return name ? name : p->country;
}

static const char *
get_sector(const struct profile *p, const char *lang, char *buf, size_t bufsz)
{
	return p->sector ? form_value_shown(lang, "sector", p->sector, buf, bufsz) : NULL;
}

static const char *
get_stage(const struct profile *p, const char *lang, char *buf, size_t bufsz)
{
	const char *stage = profile_stage(p->years);

	return stage ? form_value_shown(lang, "stage", stage, buf, bufsz) : NULL;
}

/* The round's proposals: the latest number, who approved, every adjustment and who made
 * it. 0 or -1. */
static int
stats_proposals(struct program *p, const struct round *r, const char *lang, struct buf *out)
{
	struct adjust_row *v = NULL;
	int n, number = store_round_proposal(p->st, r->id);
	char *by = NULL, count[16], num[16];
	const char *gone = words_text(lang, "stats.deleted");
	struct buf who;
	struct tmpl_var t[] = { { "count", count }, { "by", NULL }, { "number", num },
				{ "kind", NULL }, { "people", NULL } };

	if (number < 0 || (n = store_adjust_list(p->st, r->id, &v)) < 0)
		return -1;
	if (number == 0)
		return 0;
	snprintf(count, sizeof(count), "%d", number);
	round_say(out, lang, "stats.proposals", t, nitems(t));
	if (store_round_approved_by(p->st, r->id, &by) < 0) {
		store_adjust_rows_free(v, n);
		return -1;
	}
	t[1].value = by;
	if (by && by[0])
		round_say(out, lang, "stats.approved_by", t, nitems(t));
	free(by);
	snprintf(count, sizeof(count), "%d", n);
	round_say(out, lang, "stats.adjustments", t, nitems(t));
	buf_init(&who, 0);
	for (int i = 0; i < n; i++) {
		buf_reset(&who);
		buf_printf(&who, "%s%s%s", v[i].a_email ? v[i].a_email : gone, v[i].b ? " " : "",
			   v[i].b ? (v[i].b_email ? v[i].b_email : gone) : "");
		snprintf(num, sizeof(num), "%d", v[i].proposal);
		t[1].value = v[i].by;
		t[3].value = adjust_kind_name((enum adjust_kind)v[i].kind);
		t[4].value = who.data;
		buf_adds(out, "  ");
		round_say(out, lang, "stats.adjustment", t, nitems(t));
	}
	buf_free(&who);
	store_adjust_rows_free(v, n);
	return 0;
}

/* "Label: n" lines of STATS: the [messages] key with {{count}} n. */
static void
stats_line(struct buf *out, const char *lang, const char *key, int n)
{
	char num[16];
	struct tmpl_var v[] = { { "count", num } };

	snprintf(num, sizeof(num), "%d", n);
	round_say(out, lang, key, v, nitems(v));
}

/* The bounce lines of STATS: bounces by kind of mail and severity, and the addresses
 * whose digests stopped. The kinds are the bot's own names of its mail, as in
 * `ilnbot queue`. */
static int
stats_bounces(struct program *p, const char *lang, struct buf *out)
{
	struct bounce_stats bs;
	struct buf list;
	char num[16];

	if (store_bounce_stats(p->st, &bs) < 0)
		return -1;
	buf_init(&list, 0);
	for (int i = 0; i < bs.ncounts; i++) {
		const struct bounce_count *c = &bs.counts[i];
		struct tmpl_var v[] = { { "kind", NULL }, { "severity", NULL }, { "count", num } };

		v[0].value = c->kind && *c->kind ? c->kind : words_text(lang, "stats.bounce.unknown");
		v[1].value = state_shown(lang, "bounce", c->severity);
		snprintf(num, sizeof(num), "%d", c->count);
		if (i)
			buf_adds(&list, ", ");
		words_buf_add(&list, lang, "stats.bounces.count", v, nitems(v));
	}
	{
		struct tmpl_var v[] = { { "counts", bs.ncounts ? list.data :
					  words_text(lang, "stats.none") } };

		round_say(out, lang, "stats.bounces", v, nitems(v));
	}
	list.len = 0;
	for (int i = 0; i < bs.nstopped; i++) {
		if (i)
			buf_adds(&list, ", ");
		buf_adds(&list, bs.stopped[i]);
	}
	{
		struct tmpl_var v[] = { { "emails", bs.nstopped ? list.data :
					  words_text(lang, "stats.none") } };

		round_say(out, lang, "stats.digests_stopped", v, nitems(v));
	}
	buf_free(&list);
	bounce_stats_clear(&bs);
	return 0;
}

int
round_stats(struct program *p, struct program_in *in, const struct cmd *c)
{
	struct pool_row *rows = NULL;
	struct round r;
	struct buf out, h;
	struct applicant_counts ac;
	struct round_counts rk, all;
	int n, found, failed, rc = -1;
	const char *lang = reply_lang(p, in, "stats", NULL);

	buf_init(&out, 0);
	buf_init(&h, 0);
	memset(&r, 0, sizeof(r));
	if ((n = store_pool_list(p->st, &rows)) < 0 ||
	    (found = store_round_current(p->st, p->now, &r)) < 0 ||
	    (failed = store_outbox_failed_count(p->st)) < 0 ||
	    store_applicant_counts(p->st, p->now, &ac) < 0 ||
	    store_round_counts(p->st, 0, &all) < 0 ||
	    (found && store_round_counts(p->st, r.id, &rk) < 0))
		goto out;
	buf_adds(&h, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>"
		 "<body style=\"font-family:sans-serif\">\n");
	if (found) {
		struct tmpl_var v[] = { { "round", r.name },
					{ "status", state_shown(lang, "round",
								round_status_name(r.status)) } };

		round_say(&out, lang, "stats.round", v, nitems(v));
	} else {
		round_say(&out, lang, "stats.round.none", NULL, 0);
	}
	if (found && stats_proposals(p, &r, lang, &out) < 0)
		goto out;
	{
		char np[16], nc[16], nw[16];
		struct tmpl_var v[] = { { "pending", np }, { "confirmed", nc },
					{ "withdrawn", nw } };

		snprintf(np, sizeof(np), "%d", ac.pending);
		snprintf(nc, sizeof(nc), "%d", ac.confirmed);
		snprintf(nw, sizeof(nw), "%d", ac.withdrawn);
		round_say(&out, lang, "stats.applicants", v, nitems(v));
	}
	stats_line(&out, lang, "stats.waiting", n);
	stats_count(&out, &h, lang, "stats.label.by_country", rows, n, get_country);
	stats_count(&out, &h, lang, "stats.label.by_sector", rows, n, get_sector);
	stats_count(&out, &h, lang, "stats.label.by_stage", rows, n, get_stage);
	{
		struct stat_kv st[] = {
			{ words_text(lang, "stats.state.pending"), ac.pending },
			{ words_text(lang, "stats.state.waiting"), n },
			{ words_text(lang, "stats.state.partnership"), 2 * all.active },
			{ words_text(lang, "stats.state.withdrawn"), ac.withdrawn },
		};

		stats_html_chart(&h, lang, words_text(lang, "stats.label.by_state"), st,
				 (int)nitems(st));
	}
	if (found) {
		buf_adds(&out, "\n");
		stats_counts_text(&out, lang, "stats.label.this_round", &rk);
	}
	stats_counts_text(&out, lang, "stats.label.all_rounds", &all);
	{
		struct stats_rounds t = { &out, &h, lang, 0 };

		if (store_export_each(p->st, STORE_EXPORT_ROUNDS, "", stats_round_row, &t) < 0)
			goto out;
		if (t.n)
			buf_adds(&h, "</table>\n");
		buf_adds(&out, "\n");
	}
	if (found && r.status == ROUND_RUNNING) {
		int answers = store_checkin_answers_count(p->st, r.id);

		if (answers < 0)
			goto out;
		stats_line(&out, lang, "stats.checkin_answers", answers);
	}
	{
		int rc2[REPORT_NSTATUS];

		if (store_report_counts(p->st, rc2) < 0)
			goto out;
		char na[16], nr[16], nd[16];
		struct tmpl_var v[] = { { "answered", na }, { "resolved", nr },
					{ "dissolved", nd } };

		stats_line(&out, lang, "stats.reports.open", rc2[REPORT_OPEN]);
		snprintf(na, sizeof(na), "%d", rc2[REPORT_ANSWERED]);
		snprintf(nr, sizeof(nr), "%d", rc2[REPORT_RESOLVED]);
		snprintf(nd, sizeof(nd), "%d", rc2[REPORT_DISSOLVED]);
		round_say(&out, lang, "stats.reports", v, nitems(v));
	}
	if (found && r.status == ROUND_RUNNING) {
		int waiting = store_waiting_count(p->st, r.id);

		if (waiting < 0)
			goto out;
		stats_line(&out, lang, "stats.waiting_new", waiting);
	}
	stats_line(&out, lang, "stats.failed", failed);
	if (stats_bounces(p, lang, &out) < 0)
		goto out;
	{
		struct tmpl_var v[] = { { "small", STR(STATS_SMALL) } };
		char *small = words_format(lang, "stats.small", v, nitems(v));

		buf_adds(&h, "<p style=\"font-size:12px;color:#555\">");
		stats_html_text(&h, small);
		buf_adds(&h, "</p>\n</body></html>\n");
		free(small);
	}
	{
		struct tmpl_var v[] = { { "stats", out.data } };
		struct outmail om = { .tmpl = "stats", .vars = v, .nvars = 1,
				      .body_html = h.data };

		snprintf(in->detail, sizeof(in->detail), "stats sent");
		rc = reply_queue_mail(p, in, &om);
	}
out:
	for (int i = 0; i < (n > 0 ? n : 0); i++)
		pool_row_clear(&rows[i]);
	free(rows);
	round_clear(&r);
	buf_free(&out);
	buf_free(&h);
	return rc;
}

/* ---- EXPORT: spreadsheets, UTF-8 with a BOM, names and codes in their own columns ---- */

struct export_ctx {
	struct buf *b;
	enum store_export kind;
	const struct program *p;
};

/* Codes "fra,eng" as names "French, English" into b. */
static void
export_lang_names(struct buf *b, const char *codes)
{
	char *copy = xstrdup(codes), *save = NULL;
	struct buf out;

	buf_init(&out, 64);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const char *name;

		t = str_trim(t);
		name = iso_language_name(t);
		buf_printf(&out, "%s%s", out.len ? ", " : "", name ? name : t);
	}
	preview_csv_field(b, out.data ? out.data : "", 0);
	buf_free(&out);
	free(copy);
}

static void
export_country(struct buf *b, const char *code)
{
	const char *name = iso_country_name(code);

	preview_csv_field(b, name ? name : code, 0);
	preview_csv_field(b, code, 0);
}

static void
export_row(void *arg, int n, const char *const *v)
{
	struct export_ctx *x = arg;
	struct buf *b = x->b;

	if (x->kind == STORE_EXPORT_PARTICIPANTS && n >= 22) {
		const char *stage = profile_stage(atoi(v[5]));

		preview_csv_field(b, v[0], 0);
		preview_csv_field(b, v[1], 0);
		export_country(b, v[2]);
		for (int i = 3; i <= 5; i++)
			preview_csv_field(b, v[i], 0);
		preview_csv_field(b, stage ? stage : "", 0);
		preview_csv_field(b, v[6], 0);
		export_lang_names(b, v[7]);
		preview_csv_field(b, v[7], 0);
		for (int i = 8; i <= 20; i++)
			preview_csv_field(b, v[i], 0);
		/* mail_language: the language their mail is written in */
		preview_csv_field(b, reply_person_language(x->p, *v[21] ? v[21] : NULL, v[7]), 1);
	} else if (x->kind == STORE_EXPORT_PAIRS && n >= 15) {
		for (int i = 0; i < n; i++) {
			if (i == 3 || i == 6)
				export_country(b, v[i]);
			else
				preview_csv_field(b, v[i], i == n - 1);
		}
	} else {
		for (int i = 0; i < n; i++)
			preview_csv_field(b, v[i], i == n - 1);
	}
}

static const char *const export_headers[] = {
	"email,name,country,country_code,sector,workplace,years,stage,interests,languages,"
	"language_codes,about,partner_sector,partner_stage,notes,digest,state,round,"
	"partner_name,partner_email,applied,confirmed,introduced,ended,mail_language\r\n",
	"round,a_name,a_email,a_country,a_country_code,b_name,b_email,b_country,"
	"b_country_code,status,end,a_choice,b_choice,proposed,introduced,ended,score\r\n",
	"round,status,signup_closes,starts,ends,months,proposals,approved_by,approved,"
	"partnerships,active,dissolved,ended,unmatched,adjustments\r\n",
};

static char *
export_csv(const struct program *p, enum store_export kind, const char *arg)
{
	struct buf b;
	struct export_ctx x = { &b, kind, p };

	buf_init(&b, 0);
	buf_adds(&b, "\xEF\xBB\xBF");
	buf_adds(&b, export_headers[kind]);
	if (store_export_each(p->st, kind, arg, export_row, &x) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

char *
round_export_csv(struct program *p)
{
	return export_csv(p, STORE_EXPORT_PARTICIPANTS, "");
}

int
round_export(struct program *p, struct program_in *in, const struct cmd *c)
{
	enum store_export kind = STORE_EXPORT_PARTICIPANTS;
	const char *arg = c->arg, *name = "participants.csv";
	char *csv;
	const char *what = "export.participants";
	struct tmpl_var v[1];
	struct outmail om = { .tmpl = "export", .attach_type = "text/csv; charset=UTF-8" };
	int rc;

	while (*arg == ' ')
		arg++;
	if (strncasecmp(arg, "PAIRS", 5) == 0 && (arg[5] == '\0' || arg[5] == ' ')) {
		kind = STORE_EXPORT_PAIRS;
		name = "pairs.csv";
		what = "export.pairs";
		arg += 5;
	} else if (strncasecmp(arg, "ROUNDS", 6) == 0 && (arg[6] == '\0' || arg[6] == ' ')) {
		kind = STORE_EXPORT_ROUNDS;
		name = "rounds.csv";
		what = "export.rounds";
		arg += 6;
	}
	while (*arg == ' ')
		arg++;
	if ((csv = export_csv(p, kind, arg)) == NULL)
		return -1;
	v[0] = (struct tmpl_var){ "what",
				  words_text(reply_lang(p, in, "export", NULL), what) };
	om.vars = v;
	om.nvars = 1;
	om.attach_name = name;
	om.attach_data = csv;
	om.attach_len = strlen(csv);
	snprintf(in->detail, sizeof(in->detail), "export sent: %s", name);
	rc = reply_queue_mail(p, in, &om);
	free(csv);
	return rc;
}

int
round_match(struct program *p, struct program_in *in, const struct cmd *c)
{
	return round_match_preview(p, in, true, NULL, NULL) < 0 ? -1 : 0;
}
