/* match_adjust.c: the adjustments' log replayed, a lock checked against the hard rules,
 * and the matching solved again around the adjustments (see match_adjust.h). Pure. The
 * engine sees only the people neither locked nor excluded; its indices are mapped back
 * to the caller's rows. Everything allocated here is freed by adjust_set_free and
 * adjusted_free. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_adjust.h"
#include "match_report.h"
#include "util.h"

static bool
involves(const struct adjust *x, int64_t id)
{
	return x->a == id || x->b == id;
}

static bool
same_pair(const struct adjust *x, int64_t a, int64_t b)
{
	return (x->a == a && x->b == b) || (x->a == b && x->b == a);
}

/* Drop the entries of v[0..*n) for which drop() holds. */
static void
locks_drop_person(struct adjust *v, int *n, int64_t id)
{
	int k = 0;

	for (int i = 0; i < *n; i++)
		if (!involves(&v[i], id))
			v[k++] = v[i];
	*n = k;
}

static void
pairs_drop_pair(struct adjust *v, int *n, int64_t a, int64_t b)
{
	int k = 0;

	for (int i = 0; i < *n; i++)
		if (!same_pair(&v[i], a, b))
			v[k++] = v[i];
	*n = k;
}

static void
excluded_drop(struct adjust_set *s, int64_t id)
{
	int k = 0;

	for (int i = 0; i < s->nexcluded; i++)
		if (s->excluded[i] != id)
			s->excluded[k++] = s->excluded[i];
	s->nexcluded = k;
}

void
adjust_replay(const struct adjust *log, int n, struct adjust_set *s)
{
	memset(s, 0, sizeof(*s));
	s->locks = xcalloc((size_t)n + 1, sizeof(*s->locks));
	s->unpairs = xcalloc((size_t)n + 1, sizeof(*s->unpairs));
	s->excluded = xcalloc((size_t)n + 1, sizeof(*s->excluded));
	for (int i = 0; i < n; i++) {
		const struct adjust *x = &log[i];

		switch (x->kind) {
		case ADJUST_PAIR:
			if (x->a == x->b || x->a == 0 || x->b == 0)
				break;
			locks_drop_person(s->locks, &s->nlocks, x->a);
			locks_drop_person(s->locks, &s->nlocks, x->b);
			pairs_drop_pair(s->unpairs, &s->nunpairs, x->a, x->b);
			excluded_drop(s, x->a);
			excluded_drop(s, x->b);
			s->locks[s->nlocks++] = *x;
			break;
		case ADJUST_UNPAIR:
			locks_drop_person(s->locks, &s->nlocks, x->a);
			if (x->b != 0) {
				pairs_drop_pair(s->unpairs, &s->nunpairs, x->a, x->b);
				s->unpairs[s->nunpairs++] = *x;
			}
			break;
		case ADJUST_EXCLUDE:
			locks_drop_person(s->locks, &s->nlocks, x->a);
			excluded_drop(s, x->a);
			s->excluded[s->nexcluded++] = x->a;
			break;
		}
	}
}

void
adjust_set_free(struct adjust_set *s)
{
	free(s->locks);
	free(s->unpairs);
	free(s->excluded);
	memset(s, 0, sizeof(*s));
}

bool
adjust_is_excluded(const struct adjust_set *s, int64_t id)
{
	for (int i = 0; i < s->nexcluded; i++)
		if (s->excluded[i] == id)
			return true;
	return false;
}

static bool
row_has_previous(const struct pool_row *r, int64_t id)
{
	for (int i = 0; i < r->nprevious; i++)
		if (r->previous[i] == id)
			return true;
	return false;
}

static bool
langs_shared(const char *a, const char *b)
{
	char *ca = xstrdup(a ? a : ""), *sa = NULL;
	bool shared = false;

	for (char *t = strtok_r(ca, ",", &sa); t && !shared; t = strtok_r(NULL, ",", &sa)) {
		char *cb = xstrdup(b ? b : ""), *sb = NULL;

		t = str_trim(t);
		for (char *u = strtok_r(cb, ",", &sb); u; u = strtok_r(NULL, ",", &sb))
			if (*t && strcmp(t, str_trim(u)) == 0) {
				shared = true;
				break;
			}
		free(cb);
	}
	free(ca);
	return shared;
}

const char *
adjust_pair_refusal(const struct pool_row *rows, int i, int j)
{
	const struct profile *a = rows[i].prof, *b = rows[j].prof;

	if (i == j)
		return "round.adjust.refused.self";
	if (a->country && b->country && strcmp(a->country, b->country) == 0)
		return "round.adjust.refused.same_country";
	if (!langs_shared(a->languages, b->languages))
		return "round.adjust.refused.no_language";
	if (row_has_previous(&rows[i], rows[j].id) || row_has_previous(&rows[j], rows[i].id))
		return "round.adjust.refused.previous";
	return NULL;
}

static int
row_of(const struct pool_row *rows, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (rows[i].id == id)
			return i;
	return -1;
}

static int
cmp_pair_a(const void *x, const void *y)
{
	const struct match_pair *p = x, *q = y;

	return (p->a > q->a) - (p->a < q->a);
}

/* The explanation of the locked pair rows[i], rows[j]: the engine on a pool of two.
 * 0 with *pp filled, -1 when the pair is not allowed (any more). */
static int
lock_explain(const struct pool_row *rows, int i, int j, const struct match_weights *w,
	     struct match_pair *pp)
{
	struct pool_row two[2] = { rows[i < j ? i : j], rows[i < j ? j : i] };
	struct match_pool *pool = match_pool_from_rows(two, 2);
	struct match_result *r = match_run(pool, w, 0);
	int rc = -1;

	if (r && r->npairs == 1) {
		*pp = r->pairs[0];
		pp->a = i < j ? i : j;
		pp->b = i < j ? j : i;
		rc = 0;
	}
	match_result_free(r);
	match_pool_free(pool);
	return rc;
}

int
match_run_adjusted(const struct pool_row *rows, int n, const struct adjust_set *s,
		   const struct adjust *prev, int nprev, const struct match_weights *w,
		   const struct match_options *o, struct adjusted *out)
{
	int *role = xcalloc((size_t)n + 1, sizeof(int));	/* 0 free, 1 locked, 2 excluded */
	int *sub_of = xcalloc((size_t)n + 1, sizeof(int)), nsub = 0;
	struct pool_row *sub = xcalloc((size_t)n + 1, sizeof(*sub));
	int64_t **extra = xcalloc((size_t)n + 1, sizeof(int64_t *));
	struct match_pair *locked = xcalloc((size_t)s->nlocks + 1, sizeof(*locked));
	int nlocked = 0;
	struct match_options opt = *o;
	struct match_pool *pool;
	struct match_result *r, *all;

	memset(out, 0, sizeof(*out));
	out->excluded = xcalloc((size_t)n + 1, sizeof(int));
	for (int i = 0; i < n; i++)
		if (adjust_is_excluded(s, rows[i].id)) {
			role[i] = 2;
			out->excluded[out->nexcluded++] = i;
		}
	for (int k = 0; k < s->nlocks; k++) {
		int i = row_of(rows, n, s->locks[k].a), j = row_of(rows, n, s->locks[k].b);

		if (i < 0 || j < 0 || role[i] || role[j] || adjust_pair_refusal(rows, i, j) ||
		    lock_explain(rows, i, j, w, &locked[nlocked]) < 0)
			continue;
		role[i] = role[j] = 1;
		nlocked++;
	}
	for (int i = 0; i < n; i++) {
		if (role[i])
			continue;
		sub[nsub] = rows[i];
		for (int k = 0; k < s->nunpairs; k++) {
			int64_t other = s->unpairs[k].a == rows[i].id ? s->unpairs[k].b :
					s->unpairs[k].b == rows[i].id ? s->unpairs[k].a : 0;
			struct pool_row *sr = &sub[nsub];

			if (other == 0 || sr->nprevious >= MATCH_MAX_FORBIDDEN)
				continue;
			if (extra[nsub] == NULL) {
				extra[nsub] = xcalloc((size_t)sr->nprevious + s->nunpairs + 1,
						      sizeof(int64_t));
				if (sr->nprevious > 0)
					memcpy(extra[nsub], sr->previous,
					       (size_t)sr->nprevious * sizeof(int64_t));
				sr->previous = extra[nsub];
			}
			extra[nsub][sr->nprevious++] = other;
		}
		sub_of[nsub++] = i;
	}
	pool = match_pool_from_rows(sub, nsub);
	for (int k = 0; k < nprev; k++) {
		int i = row_of(sub, nsub, prev[k].a), j = row_of(sub, nsub, prev[k].b);

		if (i >= 0 && j >= 0) {
			match_pool_keep(pool, i, prev[k].b);
			match_pool_keep(pool, j, prev[k].a);
			opt.keep_ties = true;
		}
	}
	r = match_run_opts(pool, w, &opt);
	match_pool_free(pool);

	/* The engine's result, in the caller's indices, with the locked pairs added. */
	all = xcalloc(1, sizeof(*all));
	all->totals = r->totals;
	all->pairs = xcalloc((size_t)r->npairs + nlocked + 1, sizeof(*all->pairs));
	all->unmatched = xcalloc((size_t)r->nunmatched + 1, sizeof(*all->unmatched));
	for (int k = 0; k < r->npairs; k++) {
		struct match_pair pp = r->pairs[k];
		int a = sub_of[pp.a], b = sub_of[pp.b];

		pp.a = a;
		pp.b = b;
		all->pairs[all->npairs++] = pp;
	}
	for (int k = 0; k < nlocked; k++) {
		const struct match_pair *pp = &locked[k];

		all->pairs[all->npairs++] = *pp;
		all->totals.weight += pp->weight;
		for (int sd = 0; sd < 2; sd++) {
			all->totals.wishes += (pp->side[sd].sector != MATCH_WISH_NONE) +
					      (pp->side[sd].stage != MATCH_WISH_NONE);
			all->totals.wishes_met += (pp->side[sd].sector == MATCH_WISH_MET) +
						  (pp->side[sd].stage == MATCH_WISH_MET);
		}
	}
	qsort(all->pairs, (size_t)all->npairs, sizeof(*all->pairs), cmp_pair_a);
	for (int k = 0; k < r->nunmatched; k++) {
		all->unmatched[k] = r->unmatched[k];
		all->unmatched[k].idx = sub_of[r->unmatched[k].idx];
	}
	all->nunmatched = r->nunmatched;
	all->totals.people = nsub + 2 * nlocked;
	all->totals.pairs = all->npairs;
	all->totals.unmatched = all->nunmatched;
	all->totals.wish_share = all->totals.wishes ?
				 (double)all->totals.wishes_met / all->totals.wishes : 1.0;
	out->r = all;
	out->nlocked = nlocked;
	out->locked = xcalloc((size_t)all->npairs + 1, sizeof(bool));
	for (int k = 0; k < all->npairs; k++)
		out->locked[k] = role[all->pairs[k].a] == 1;
	match_result_free(r);
	for (int i = 0; i < nsub; i++)
		free(extra[i]);
	free(extra);
	free(sub);
	free(sub_of);
	free(role);
	free(locked);
	return 0;
}

void
adjusted_free(struct adjusted *a)
{
	match_result_free(a->r);
	free(a->locked);
	free(a->excluded);
	memset(a, 0, sizeof(*a));
}

const char *
adjust_kind_name(enum adjust_kind k)
{
	static const char *const names[] = { "pair", "unpair", "exclude" };

	return (size_t)k < nitems(names) ? names[k] : "?";
}
