/* program_rematch.c: the waiting pool of a running round matched again (SPEC §1, §5): the
 * unmatched of APPROVE, partners left alone and both sides of a dissolved pair (not one
 * who ignored a nudge, until they write again), with the same engine and hard rules as
 * MATCH (never a previous partner), a partner left alone first. Each new pair is
 * introduced at once and the coordinators get one summary. Re-matching stops on the
 * reminder date; from then on, and for anyone with no candidate at all, one mail (never
 * daily) says they will be matched next round. The pool is read from its own table, so
 * the cost follows the pool, not the round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "match.h"
#include "match_report.h"
#include "program.h"
#include "schedule.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

static void
rematch_weights(const struct conf *c, struct match_weights *w)
{
	w->explicit_met = c->weight_explicit;
	w->default_met = c->weight_default;
	w->interest = c->weight_interest;
	w->max_interests = c->max_interests;
}

/* One mail, once a round, that someone waiting will be matched next round. */
static int
tell_next_round(struct program *p, const struct round *r, const struct pool_row *row,
		bool no_candidate)
{
	const char *to = row->email;
	char key[96];
	struct tmpl_var v[] = {
		{ "round_name", r->name },
		{ "no_candidate", no_candidate ? "yes" : "" },
		{ "too_late", no_candidate ? "" : "yes" },
	};
	struct outmail om;

	snprintf(key, sizeof(key), "nextround:%lld:%lld", (long long)r->id, (long long)row->id);
	memset(&om, 0, sizeof(om));
	om.tmpl = "next_round";
	om.vars = v;
	om.nvars = nitems(v);
	om.to = &to;
	om.nto = 1;
	om.key = key;
	if (outmail_queue(p, &om) < 0 || store_waiting_told(p->st, row->id) < 0)
		return -1;
	return 0;
}

/* After the reminder date: everyone still waiting is told once. */
static int
rematch_closed(struct program *p, const struct round *r)
{
	struct pool_row *rows = NULL;
	int n, rc = 0;

	if ((n = store_waiting_untold(p->st, r->id, &rows)) < 0)
		return -1;
	for (int i = 0; i < n && rc == 0; i++)
		rc = tell_next_round(p, r, &rows[i], false);
	for (int i = 0; i < n; i++)
		pool_row_clear(&rows[i]);
	free(rows);
	return rc;
}

int
program_rematch(struct program *p, int64_t round_id)
{
	struct round r;
	struct pool_row *rows = NULL;
	struct match_result *res = NULL;
	struct match_weights w;
	struct match_pool *pool;
	struct buf summary;
	int n = 0, found, rc = -1;

	memset(&r, 0, sizeof(r));
	buf_init(&summary, 0);
	if ((found = store_round_get(p->st, round_id, &r)) <= 0 || r.status != ROUND_RUNNING) {
		rc = found < 0 ? -1 : 0;
		goto out;
	}
	if (schedule_day(p->now) >= schedule_day(r.ends) - p->conf->reminder_days_before_end) {
		rc = rematch_closed(p, &r);
		goto out;
	}
	if ((n = store_waiting_pool(p->st, round_id, &rows)) < 0)
		goto out;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	rematch_weights(p->conf, &w);
	pool = match_pool_from_rows(rows, n);
	res = match_run(pool, &w, p->conf->prune_k);
	match_pool_free(pool);
	if (res == NULL)
		goto out;
	for (int i = 0; i < res->npairs; i++) {
		const struct match_pair *pp = &res->pairs[i];
		const struct pool_row *a = &rows[pp->a], *b = &rows[pp->b];
		char *why = match_pair_why(rows, pp, NULL);
		struct partnership x;
		int64_t id;

		if (store_partnership_add(p->st, r.id, a->id, b->id, pp->weight, why, p->now,
					  &id) < 0 ||
		    store_partnership_set_status(p->st, id, PARTNERSHIP_ACTIVE, p->now) < 0 ||
		    store_waiting_remove(p->st, a->id) < 0 ||
		    store_waiting_remove(p->st, b->id) < 0) {
			free(why);
			goto out;
		}
		memset(&x, 0, sizeof(x));
		x.id = id;
		x.round_id = r.id;
		x.a = a->id < b->id ? a->id : b->id;
		x.b = a->id < b->id ? b->id : a->id;
		x.a_email = (char *)(a->id < b->id ? a->email : b->email);
		x.b_email = (char *)(a->id < b->id ? b->email : a->email);
		if (round_introduce(p, &r, &x) < 0) {
			free(why);
			goto out;
		}
		buf_printf(&summary, "  %d. %s + %s: %s\n", i + 1, a->email, b->email, why);
		free(why);
	}
	for (int i = 0; i < res->nunmatched; i++) {
		const struct match_unmatched *u = &res->unmatched[i];
		struct waiting wt;

		if (u->nallowed > 0)
			continue;       /* someone might yet fit: they wait */
		if (store_waiting_get(p->st, rows[u->idx].id, &wt) < 0)
			goto out;
		if (!wt.told_next && tell_next_round(p, &r, &rows[u->idx], true) < 0)
			goto out;
	}
	if (res->npairs > 0) {
		char count[16], key[96];
		char **coords = NULL;
		size_t nc = program_coordinators(p->conf, &coords);
		struct tmpl_var v[] = { { "round_name", r.name }, { "pairs", summary.data },
					{ "count", count } };
		struct outmail om;

		snprintf(count, sizeof(count), "%d", res->npairs);
		snprintf(key, sizeof(key), "rematch:%lld:%lld:%lld", (long long)r.id,
			 (long long)rows[res->pairs[0].a].id, (long long)p->now);
		memset(&om, 0, sizeof(om));
		om.tmpl = "rematch_summary";
		om.vars = v;
		om.nvars = nitems(v);
		om.to = (const char *const *)coords;
		om.nto = nc;
		om.key = key;
		if (nc > 0 && outmail_queue(p, &om) < 0) {
			program_strv_free(coords, nc);
			goto out;
		}
		program_strv_free(coords, nc);
		log_info("rematch: round %s: %d new pairs from a pool of %d", r.name, res->npairs, n);
	}
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		pool_row_clear(&rows[i]);
	free(rows);
	match_result_free(res);
	round_clear(&r);
	buf_free(&summary);
	return rc;
}

int
program_rematch_daily(struct program *p)
{
	static const char *const kind[] = { "rematch" };
	struct round *rounds = NULL;
	int n, done = 0;

	program_tick(p);
	if ((n = store_rounds_running(p->st, &rounds)) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int64_t last, today = schedule_day(p->now);

		if (store_begin(p->st) < 0)
			goto fail;
		if (store_schedule_last(p->st, rounds[i].id, kind, 1, &last) < 0)
			goto rollback;
		if (last >= today) {
			store_rollback(p->st);
			continue;
		}
		if (program_rematch(p, rounds[i].id) < 0 ||
		    store_schedule_set(p->st, rounds[i].id, kind[0], today, p->now) < 0 ||
		    store_commit(p->st) < 0)
			goto rollback;
		done++;
	}
	for (int i = 0; i < n; i++)
		round_clear(&rounds[i]);
	free(rounds);
	return done;
rollback:
	store_rollback(p->st);
fail:
	for (int i = 0; i < n; i++)
		round_clear(&rounds[i]);
	free(rounds);
	return -1;
}
