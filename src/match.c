/*
 * match.c: the pairing engine (see match.h for the rules and ownership).
 *
 * Allowed pairs are enumerated through language buckets: every person is
 * listed once per language, each bucket sorted by (country, index), so a
 * person's allowed partners are the other-country runs of its buckets; a
 * partner met through several languages is counted at its first shared one.
 * Building the full graph costs O(n + allowed pairs); a pruned build looks at
 * no more than SCAN_CAP(k) partners per person (a rotated window of its
 * buckets) and keeps the best k, so it costs O(n k log k).
 *
 * Pruned graphs: after each solve the solver's final labels (a Gallai-Edmonds
 * proof that the pruned graph has no larger matching) are checked against the
 * FULL allowed graph without listing its edges: people are grouped into types
 * (country, set of languages) and an even person breaks the proof only if
 * some compatible person, not a previous partner, is neither odd nor in its
 * blossom, which per-type counts tell in O(compatible types). If the proof
 * holds, the pruned matching has the full graph's maximum cardinality
 * (card_proven, card_bound = pairs). If not, up to CERT_EDGES of those edges
 * per offending person come back and the graph is re-solved (at most
 * MAX_ADDBACK rounds; card_bound is then the component bound: people with an
 * allowed partner, split into components joined by shared languages across
 * countries, at most half of each and at most those outside its largest
 * country). Unmatched people are explained by a full scan of their buckets
 * (O(n) each).
 *
 * Everything returned is owned by the match_result; match_result_free frees it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "match.h"
#include "match_blossom.h"
#include "util.h"

#define MAX_ADDBACK	8
#define SCAN_CAP(k)	((k) * 8 > 512 ? (k) * 8 : 512)

struct match_pool {
	struct match_person	*v;
	int			 n, cap;
};

struct ctx {
	const struct match_pool		*pool;
	const struct match_weights	*w;
	int				 n;
	int				*cty;		/* country as a small int */
	int				*cty_count;	/* people per country */
	int				 ncty;
	int				 nbuckets;
	int				*b_off;		/* bucket starts, nbuckets + 1 */
	int				*b_idx;		/* person per bucket slot */
	int				*b_cty;		/* country per bucket slot */
	int				*pbucket;	/* n * MATCH_MAX_LANGS */
	int64_t				 scale;		/* edge weight = weight * scale
							   (+ 1 to keep a pair) */
};

struct edges {
	int	*a, *b;
	int64_t	*w;
	int64_t	 n, cap;
};

void
match_person_init(struct match_person *p)
{
	memset(p, 0, sizeof(*p));
	p->want_sector.mode = MATCH_PREF_SAME;
	p->want_stage.mode = MATCH_PREF_DIFFERENT;
}

void
match_weights_default(struct match_weights *w)
{
	w->explicit_met = MATCH_WEIGHT_EXPLICIT;
	w->default_met = MATCH_WEIGHT_DEFAULT;
	w->interest = MATCH_WEIGHT_INTEREST;
	w->max_interests = MATCH_INTERESTS_COUNTED;
}

bool
match_weights_valid(const struct match_weights *w)
{
	if (w->explicit_met < 0 || w->default_met < 0 || w->interest < 0 ||
	    w->max_interests < 0 || w->max_interests > MATCH_MAX_INTERESTS ||
	    w->explicit_met > MATCH_WEIGHT_MAX || w->interest > MATCH_WEIGHT_MAX)
		return false;
	return (int64_t)w->explicit_met >
	    4 * (int64_t)w->default_met + (int64_t)w->interest * w->max_interests;
}

/* ---- pool ---- */

struct match_pool *
match_pool_new(void)
{
	return xcalloc(1, sizeof(struct match_pool));
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Sort and drop duplicates; returns the new count. */
static int
sort_unique(int *v, int n)
{
	int k = 0;

	qsort(v, n, sizeof(int), cmp_int);
	for (int i = 0; i < n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

static bool
pref_ok(const struct match_pref *p, int nvalues)
{
	if (p->mode < MATCH_PREF_SAME || p->mode > MATCH_PREF_SET)
		return false;
	return p->mode != MATCH_PREF_SET ||
	    (p->set != 0 && p->set < (1u << nvalues));
}

int
match_pool_add(struct match_pool *pool, const struct match_person *p)
{
	struct match_person *c;
	int64_t *forb = NULL;
	int nl = 0;

	if (pool->n >= MATCH_MAX_PEOPLE || p->sector < 0 ||
	    p->sector >= PROFILE_NSECTORS || p->stage < 0 ||
	    p->stage >= PROFILE_NSTAGES || !pref_ok(&p->want_sector, PROFILE_NSECTORS) ||
	    !pref_ok(&p->want_stage, PROFILE_NSTAGES) || p->nlangs < 0 ||
	    p->nlangs > MATCH_MAX_LANGS || p->ninterests < 0 ||
	    p->ninterests > MATCH_MAX_INTERESTS || p->nforbidden < 0 ||
	    p->nforbidden > MATCH_MAX_FORBIDDEN ||
	    (p->nforbidden > 0 && p->forbidden == NULL) ||
	    p->country[0] == '\0' || p->country[1] == '\0' || p->country[2] != '\0')
		return -1;
	if (pool->n == pool->cap) {
		pool->cap = pool->cap ? pool->cap * 2 : 64;
		pool->v = xrealloc(pool->v, pool->cap * sizeof(*pool->v));
	}
	c = &pool->v[pool->n];
	*c = *p;
	/* languages keep the caller's order (the first shared one is shown
	 * first); only duplicates are dropped */
	for (int i = 0; i < p->nlangs; i++) {
		int dup = 0;

		for (int j = 0; j < nl; j++)
			dup |= c->langs[j] == p->langs[i];
		if (!dup)
			c->langs[nl++] = p->langs[i];
	}
	c->nlangs = nl;
	c->ninterests = sort_unique(c->interests, c->ninterests);
	if (p->nforbidden > 0) {
		forb = xmalloc(p->nforbidden * sizeof(int64_t));
		memcpy(forb, p->forbidden, p->nforbidden * sizeof(int64_t));
		qsort(forb, p->nforbidden, sizeof(int64_t), cmp_i64);
	}
	c->forbidden = forb;
	pool->n++;
	return 0;
}

void
match_pool_keep(struct match_pool *pool, int idx, int64_t partner_id)
{
	if (idx >= 0 && idx < pool->n)
		pool->v[idx].keep_with = partner_id;
}

int
match_pool_size(const struct match_pool *pool)
{
	return pool->n;
}

const struct match_person *
match_pool_get(const struct match_pool *pool, int idx)
{
	if (idx < 0 || idx >= pool->n)
		return NULL;
	return &pool->v[idx];
}

void
match_pool_free(struct match_pool *pool)
{
	if (pool == NULL)
		return;
	for (int i = 0; i < pool->n; i++)
		free((void *)pool->v[i].forbidden);
	free(pool->v);
	free(pool);
}

/* ---- pair rules ---- */

static bool
wish_met(const struct match_pref *p, int own, int other)
{
	switch (p->mode) {
	case MATCH_PREF_SAME:
		return other == own;
	case MATCH_PREF_DIFFERENT:
		return other != own;
	case MATCH_PREF_SET:
		return (p->set >> other) & 1;
	default:
		return true;
	}
}

static enum match_wish
wish_result(const struct match_pref *p, int own, int other)
{
	if (p->mode == MATCH_PREF_ANY)
		return MATCH_WISH_NONE;
	return wish_met(p, own, other) ? MATCH_WISH_MET : MATCH_WISH_NOT_MET;
}

static bool
forbids(const struct match_person *x, int64_t id)
{
	return x->nforbidden > 0 && bsearch(&id, x->forbidden, x->nforbidden,
	    sizeof(int64_t), cmp_i64) != NULL;
}

static int
shared_interests(const struct match_person *x, const struct match_person *y)
{
	int i = 0, j = 0, k = 0;

	while (i < x->ninterests && j < y->ninterests) {
		if (x->interests[i] < y->interests[j])
			i++;
		else if (x->interests[i] > y->interests[j])
			j++;
		else {
			k++;
			i++;
			j++;
		}
	}
	return k;
}

static int64_t
side_weight(const struct match_weights *w, const struct match_person *x,
    const struct match_person *y)
{
	int64_t s = 0;

	if (x->want_sector.mode != MATCH_PREF_ANY &&
	    wish_met(&x->want_sector, x->sector, y->sector))
		s += x->want_sector.stated ? w->explicit_met : w->default_met;
	if (x->want_stage.mode != MATCH_PREF_ANY &&
	    wish_met(&x->want_stage, x->stage, y->stage))
		s += x->want_stage.stated ? w->explicit_met : w->default_met;
	return s;
}

static int64_t
weight_of(const struct match_weights *w, const struct match_person *x,
    const struct match_person *y)
{
	int si = shared_interests(x, y);

	if (si > w->max_interests)
		si = w->max_interests;
	return side_weight(w, x, y) + side_weight(w, y, x) +
	    (int64_t)si * w->interest +
	    (int64_t)(x->priority + y->priority) * match_priority_weight(w);
}

int64_t
match_priority_weight(const struct match_weights *w)
{
	/* more than a pair can otherwise weigh: one higher-priority person matched outweighs
	 * any preferences met */
	return 4 * (int64_t)w->explicit_met + 4 * (int64_t)w->default_met +
	    (int64_t)w->interest * w->max_interests + 1;
}

/* The weight an edge of the solved graph carries: the pair's weight, scaled when the
 * previous proposal's pairs are kept among equals (match_options.keep_ties), plus 1 for
 * such a pair. The scale exceeds the number of pairs, so the bonuses of a whole
 * matching never outweigh one unit of real weight: the optimum is unchanged. */
static int64_t
edge_weight(const struct ctx *c, int x, int y)
{
	const struct match_person *a = &c->pool->v[x], *b = &c->pool->v[y];
	int64_t w = weight_of(c->w, a, b);

	if (c->scale <= 1)
		return w;
	return w * c->scale + (a->keep_with != 0 && a->keep_with == b->id &&
	    b->keep_with == a->id);
}

static int
nshared_langs(const struct match_person *x, const struct match_person *y,
    int *out)
{
	int k = 0;

	for (int i = 0; i < x->nlangs; i++)
		for (int j = 0; j < y->nlangs; j++)
			if (x->langs[i] == y->langs[j]) {
				if (out != NULL)
					out[k] = x->langs[i];
				k++;
			}
	return k;
}

int64_t
match_pair_weight(const struct match_pool *pool, const struct match_weights *w,
    int i, int j)
{
	const struct match_person *x, *y;
	struct match_weights dw;

	if (i < 0 || j < 0 || i >= pool->n || j >= pool->n || i == j)
		return -1;
	if (w == NULL) {
		match_weights_default(&dw);
		w = &dw;
	}
	x = &pool->v[i];
	y = &pool->v[j];
	if (strcmp(x->country, y->country) == 0 || nshared_langs(x, y, NULL) == 0 ||
	    forbids(x, y->id) || forbids(y, x->id))
		return -1;
	return weight_of(w, x, y);
}

/* ---- context: countries and language buckets ---- */

struct slot {
	int	lang, cty, idx;
};

static int
cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->lang != y->lang)
		return (x->lang > y->lang) - (x->lang < y->lang);
	if (x->cty != y->cty)
		return (x->cty > y->cty) - (x->cty < y->cty);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int
cmp_cty(const void *a, const void *b)
{
	const int *x = a, *y = b;	/* pairs {code, idx} */

	if (x[0] != y[0])
		return (x[0] > y[0]) - (x[0] < y[0]);
	return (x[1] > y[1]) - (x[1] < y[1]);
}

static void
ctx_init(struct ctx *c, const struct match_pool *pool,
    const struct match_weights *w)
{
	int n = pool->n, ns = 0;
	int *pairs = xmalloc(2 * (size_t)(n + 1) * sizeof(int));
	struct slot *sl;

	memset(c, 0, sizeof(*c));
	c->pool = pool;
	c->w = w;
	c->n = n;
	c->cty = xmalloc((n + 1) * sizeof(int));
	for (int i = 0; i < n; i++) {
		const char *cc = pool->v[i].country;

		pairs[2 * i] = ((unsigned char)cc[0] << 8) | (unsigned char)cc[1];
		pairs[2 * i + 1] = i;
	}
	qsort(pairs, n, 2 * sizeof(int), cmp_cty);
	c->cty_count = xcalloc(n + 1, sizeof(int));
	for (int i = 0; i < n; i++) {
		if (i > 0 && pairs[2 * i] != pairs[2 * i - 2])
			c->ncty++;
		c->cty[pairs[2 * i + 1]] = c->ncty;
		c->cty_count[c->ncty]++;
	}
	if (n > 0)
		c->ncty++;
	free(pairs);

	for (int i = 0; i < n; i++)
		ns += pool->v[i].nlangs;
	sl = xmalloc((ns + 1) * sizeof(*sl));
	ns = 0;
	for (int i = 0; i < n; i++)
		for (int l = 0; l < pool->v[i].nlangs; l++) {
			sl[ns].lang = pool->v[i].langs[l];
			sl[ns].cty = c->cty[i];
			sl[ns].idx = i;
			ns++;
		}
	qsort(sl, ns, sizeof(*sl), cmp_slot);
	c->b_off = xmalloc((ns + 2) * sizeof(int));
	c->b_idx = xmalloc((ns + 1) * sizeof(int));
	c->b_cty = xmalloc((ns + 1) * sizeof(int));
	c->pbucket = xmalloc(((size_t)n * MATCH_MAX_LANGS + 1) * sizeof(int));
	for (int s = 0; s < ns; s++) {
		const struct match_person *p = &pool->v[sl[s].idx];

		if (s == 0 || sl[s].lang != sl[s - 1].lang)
			c->b_off[c->nbuckets++] = s;
		c->b_idx[s] = sl[s].idx;
		c->b_cty[s] = sl[s].cty;
		for (int l = 0; l < p->nlangs; l++)
			if (p->langs[l] == sl[s].lang)
				c->pbucket[(size_t)sl[s].idx * MATCH_MAX_LANGS + l] =
				    c->nbuckets - 1;
	}
	c->b_off[c->nbuckets] = ns;
	free(sl);
}

static void
ctx_free(struct ctx *c)
{
	free(c->cty);
	free(c->cty_count);
	free(c->b_off);
	free(c->b_idx);
	free(c->b_cty);
	free(c->pbucket);
}

/* First slot of country cty in bucket b, and one past its last. */
static void
bucket_country(const struct ctx *c, int b, int cty, int *lo, int *hi)
{
	int l = c->b_off[b], h = c->b_off[b + 1];

	while (l < h) {
		int mid = l + (h - l) / 2;

		if (c->b_cty[mid] < cty)
			l = mid + 1;
		else
			h = mid;
	}
	*lo = l;
	h = c->b_off[b + 1];
	while (l < h) {
		int mid = l + (h - l) / 2;

		if (c->b_cty[mid] <= cty)
			l = mid + 1;
		else
			h = mid;
	}
	*hi = l;
}

typedef void (*visit_fn)(const struct ctx *, int x, int y, bool forbidden,
    void *arg);

/*
 * Call fn once for every person abroad sharing a language with x (forbidden
 * tells a previous partner). cap > 0 stops after cap calls, starting at a
 * deterministic rotated offset in each bucket so that capped scans do not all
 * see the same people. Returns the number of calls.
 */
static int
scan_person(const struct ctx *c, int x, int cap, visit_fn fn, void *arg)
{
	const struct match_person *px = &c->pool->v[x];
	int calls = 0;

	for (int li = 0; li < px->nlangs; li++) {
		int b = c->pbucket[(size_t)x * MATCH_MAX_LANGS + li];
		int off = c->b_off[b], len = c->b_off[b + 1] - off, lo, hi;
		int start = 0;

		bucket_country(c, b, c->cty[x], &lo, &hi);
		if (len - (hi - lo) == 0)
			continue;
		if (cap > 0)
			start = (int)(((uint64_t)x * 2654435761u) % (uint64_t)len);
		for (int t = 0; t < len; t++) {
			int s = off + (start + t) % len, y, dup = 0;
			const struct match_person *py;

			if (s >= lo && s < hi)
				continue;
			y = c->b_idx[s];
			py = &c->pool->v[y];
			for (int l2 = 0; l2 < li && !dup; l2++)
				for (int j = 0; j < py->nlangs; j++)
					if (py->langs[j] == px->langs[l2])
						dup = 1;
			if (dup)
				continue;
			fn(c, x, y, forbids(px, py->id) || forbids(py, px->id), arg);
			if (cap > 0 && ++calls >= cap)
				return calls;
			if (cap <= 0)
				calls++;
		}
	}
	return calls;
}

/* ---- edge lists ---- */

static void
edges_add(struct edges *e, int a, int b, int64_t w)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 1024;
		e->a = xrealloc(e->a, e->cap * sizeof(int));
		e->b = xrealloc(e->b, e->cap * sizeof(int));
		e->w = xrealloc(e->w, e->cap * sizeof(int64_t));
	}
	if (a > b) {
		int t = a;

		a = b;
		b = t;
	}
	e->a[e->n] = a;
	e->b[e->n] = b;
	e->w[e->n] = w;
	e->n++;
}

static void
edges_free(struct edges *e)
{
	free(e->a);
	free(e->b);
	free(e->w);
	memset(e, 0, sizeof(*e));
}

struct epair {
	int	a, b;
	int64_t	w;
};

static int
cmp_epair(const void *x, const void *y)
{
	const struct epair *p = x, *q = y;

	if (p->a != q->a)
		return (p->a > q->a) - (p->a < q->a);
	return (p->b > q->b) - (p->b < q->b);
}

/* Sort by (a, b) and drop duplicate pairs, so the graph does not depend on
 * the order edges were found in. */
static void
edges_unique(struct edges *e)
{
	struct epair *t = xmalloc((e->n + 1) * sizeof(*t));
	int64_t k = 0;

	for (int64_t i = 0; i < e->n; i++) {
		t[i].a = e->a[i];
		t[i].b = e->b[i];
		t[i].w = e->w[i];
	}
	qsort(t, e->n, sizeof(*t), cmp_epair);
	for (int64_t i = 0; i < e->n; i++) {
		if (k > 0 && t[i].a == e->a[k - 1] && t[i].b == e->b[k - 1])
			continue;
		e->a[k] = t[i].a;
		e->b[k] = t[i].b;
		e->w[k] = t[i].w;
		k++;
	}
	e->n = k;
	free(t);
}

static void
visit_full(const struct ctx *c, int x, int y, bool forbidden, void *arg)
{
	if (y > x && !forbidden)
		edges_add(arg, x, y, edge_weight(c, x, y));
}

static void
build_full(const struct ctx *c, struct edges *e)
{
	for (int x = 0; x < c->n; x++)
		scan_person(c, x, 0, visit_full, e);
}

/* Best k partners of one person: a min-heap on (weight, tie). Ties are broken
 * by a hash of the pair, not by index: with few distinct weights an index
 * order would send everyone's edges to the same few people and leave the
 * pruned graph without a large matching. */
struct topk {
	int	 k, n, by_hash;
	int	*y;
	int64_t	*w;
	uint64_t *tie;
};

static uint64_t
pair_hash(int x, int y)
{
	uint64_t z = ((uint64_t)(unsigned)x << 32 | (unsigned)y) +
	    0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool
topk_less(const struct topk *t, int i, int j)
{
	if (t->w[i] != t->w[j])
		return t->w[i] < t->w[j];
	return t->tie[i] < t->tie[j];
}

static void
topk_swap(struct topk *t, int i, int j)
{
	int y = t->y[i];
	int64_t w = t->w[i];
	uint64_t h = t->tie[i];

	t->y[i] = t->y[j];
	t->w[i] = t->w[j];
	t->tie[i] = t->tie[j];
	t->y[j] = y;
	t->w[j] = w;
	t->tie[j] = h;
}

static void
topk_sift(struct topk *t, int i)
{
	for (;;) {
		int l = 2 * i + 1, m = i;

		if (l < t->n && topk_less(t, l, m))
			m = l;
		if (l + 1 < t->n && topk_less(t, l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		topk_swap(t, i, m);
		i = m;
	}
}

static void
visit_topk(const struct ctx *c, int x, int y, bool forbidden, void *arg)
{
	struct topk *t = arg;
	uint64_t h;
	int64_t w;
	int i;

	if (forbidden)
		return;
	w = t->by_hash ? 0 : edge_weight(c, x, y);
	h = pair_hash(x < y ? x : y, x < y ? y : x);
	if (t->n < t->k) {
		i = t->n++;
		t->y[i] = y;
		t->w[i] = w;
		t->tie[i] = h;
		while (i > 0 && topk_less(t, i, (i - 1) / 2)) {
			topk_swap(t, i, (i - 1) / 2);
			i = (i - 1) / 2;
		}
		return;
	}
	if (w < t->w[0] || (w == t->w[0] && h <= t->tie[0]))
		return;
	t->y[0] = y;
	t->w[0] = w;
	t->tie[0] = h;
	topk_sift(t, 0);
}

struct topk2 {
	struct topk	best, rnd;
};

static void
visit_topk2(const struct ctx *c, int x, int y, bool forbidden, void *arg)
{
	struct topk2 *t = arg;

	visit_topk(c, x, y, forbidden, &t->best);
	if (t->rnd.k > 0)
		visit_topk(c, x, y, forbidden, &t->rnd);
}

static void
topk_alloc(struct topk *t, int k, int by_hash)
{
	t->k = k;
	t->n = 0;
	t->by_hash = by_hash;
	t->y = xmalloc((k + 1) * sizeof(int));
	t->w = xmalloc((k + 1) * sizeof(int64_t));
	t->tie = xmalloc((k + 1) * sizeof(uint64_t));
}

static void
topk_free(struct topk *t)
{
	free(t->y);
	free(t->w);
	free(t->tie);
}

/*
 * Each person keeps its k - k/4 best partners plus k/4 partners picked by a
 * hash of the pair. The best-only rule concentrates every list on the few
 * people whose explicit wishes many meet, and then the pruned graph has no
 * large matching; the hashed quarter makes it a random-like graph that does.
 */
static void
build_pruned(const struct ctx *c, int k, struct edges *e)
{
	struct topk2 t;

	topk_alloc(&t.best, k - k / 4, 0);
	topk_alloc(&t.rnd, k / 4, 1);
	for (int x = 0; x < c->n; x++) {
		t.best.n = t.rnd.n = 0;
		scan_person(c, x, SCAN_CAP(k), visit_topk2, &t);
		for (int i = 0; i < t.best.n; i++)
			edges_add(e, x, t.best.y[i], t.best.w[i]);
		for (int i = 0; i < t.rnd.n; i++)
			edges_add(e, x, t.rnd.y[i], edge_weight(c, x,
			    t.rnd.y[i]));
	}
	topk_free(&t.best);
	topk_free(&t.rnd);
	edges_unique(e);
}

/* ---- cardinality bound for pruned graphs ---- */

static int
uf_find(int *p, int x)
{
	while (p[x] != x) {
		p[x] = p[p[x]];
		x = p[x];
	}
	return x;
}

static int
card_bound(const struct ctx *c)
{
	int n = c->n, bound = 0;
	int *p = xmalloc((n + 1) * sizeof(int));
	int *key = xmalloc(2 * (size_t)(n + 1) * sizeof(int));

	for (int i = 0; i < n; i++)
		p[i] = i;
	for (int b = 0; b < c->nbuckets; b++) {
		int lo = c->b_off[b], hi = c->b_off[b + 1];

		if (c->b_cty[lo] == c->b_cty[hi - 1])
			continue;
		for (int s = lo + 1; s < hi; s++) {
			int r1 = uf_find(p, c->b_idx[lo]), r2 = uf_find(p, c->b_idx[s]);

			if (r1 != r2)
				p[r2] = r1;
		}
	}
	for (int i = 0; i < n; i++) {
		key[2 * i] = uf_find(p, i);
		key[2 * i + 1] = c->cty[i];
	}
	qsort(key, n, 2 * sizeof(int), cmp_cty);
	for (int i = 0; i < n;) {
		int j = i, size = 0, maxc = 0;

		while (j < n && key[2 * j] == key[2 * i]) {
			int k = j, cnt = 0;

			while (k < n && key[2 * k] == key[2 * j] &&
			    key[2 * k + 1] == key[2 * j + 1]) {
				cnt++;
				k++;
			}
			size += cnt;
			if (cnt > maxc)
				maxc = cnt;
			j = k;
		}
		bound += size / 2 < size - maxc ? size / 2 : size - maxc;
		i = j;
	}
	free(p);
	free(key);
	return bound;
}

/* ---- proof of maximum cardinality on the full graph ---- */

/*
 * People with the same country and the same set of languages form a type; two
 * people are allowed partners exactly when their types are compatible
 * (different countries, a shared language) and neither lists the other as a
 * previous partner. The solver's final labels are checked against the full
 * graph through per-type counts, without listing its edges.
 */
#define CERT_MAX_COMPAT	40000000	/* compatible type pairs kept */
#define CERT_EDGES	16		/* edges added per offending person */

struct cert {
	int	 ntypes;
	int	*type;			/* per person */
	int	*tcty;			/* per type: country */
	int	*tlang;			/* per type: MATCH_MAX_LANGS sorted, -1 pad */
	int	*c_off, *c_list;	/* compatible types */
	int	*m_off, *m_list;	/* members of each type */
	int	*f_off, *f_list;	/* previous partners, both directions */
};

struct tkey {
	int	cty, nl, idx;
	int	l[MATCH_MAX_LANGS];
};

static int
cmp_tkey(const void *a, const void *b)
{
	const struct tkey *x = a, *y = b;

	if (x->cty != y->cty)
		return (x->cty > y->cty) - (x->cty < y->cty);
	if (x->nl != y->nl)
		return (x->nl > y->nl) - (x->nl < y->nl);
	for (int i = 0; i < x->nl; i++)
		if (x->l[i] != y->l[i])
			return (x->l[i] > y->l[i]) - (x->l[i] < y->l[i]);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static bool
tkey_same(const struct tkey *x, const struct tkey *y)
{
	if (x->cty != y->cty || x->nl != y->nl)
		return false;
	for (int i = 0; i < x->nl; i++)
		if (x->l[i] != y->l[i])
			return false;
	return true;
}

static bool
types_compat(const struct cert *ce, int a, int b)
{
	const int *x = &ce->tlang[(size_t)a * MATCH_MAX_LANGS];
	const int *y = &ce->tlang[(size_t)b * MATCH_MAX_LANGS];
	int i = 0, j = 0;

	if (ce->tcty[a] == ce->tcty[b])
		return false;
	while (i < MATCH_MAX_LANGS && j < MATCH_MAX_LANGS && x[i] >= 0 &&
	    y[j] >= 0) {
		if (x[i] == y[j])
			return true;
		if (x[i] < y[j])
			i++;
		else
			j++;
	}
	return false;
}

static void
cert_free(struct cert *ce)
{
	free(ce->type);
	free(ce->tcty);
	free(ce->tlang);
	free(ce->c_off);
	free(ce->c_list);
	free(ce->m_off);
	free(ce->m_list);
	free(ce->f_off);
	free(ce->f_list);
	memset(ce, 0, sizeof(*ce));
}

static int
cmp_int2(const void *a, const void *b)
{
	const int *x = a, *y = b;

	if (x[0] != y[0])
		return (x[0] > y[0]) - (x[0] < y[0]);
	return (x[1] > y[1]) - (x[1] < y[1]);
}

struct idpos {
	int64_t	id;
	int	idx;
};

static int
cmp_idpos(const void *a, const void *b)
{
	const struct idpos *x = a, *y = b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Returns false (ce empty) when the type graph is too large to keep. */
static bool
cert_init(struct cert *ce, const struct ctx *c)
{
	int n = c->n, nt = 0, nlang = 0, nf = 0;
	struct tkey *k = xmalloc((n + 1) * sizeof(*k));
	int *lt_off, *lt, *mark, *fp;
	size_t nc = 0, ccap = 1024;
	struct idpos *ids;

	memset(ce, 0, sizeof(*ce));
	for (int i = 0; i < n; i++) {
		const struct match_person *p = &c->pool->v[i];

		memset(&k[i], 0, sizeof(k[i]));
		k[i].cty = c->cty[i];
		k[i].idx = i;
		k[i].nl = p->nlangs;
		memcpy(k[i].l, p->langs, p->nlangs * sizeof(int));
		qsort(k[i].l, p->nlangs, sizeof(int), cmp_int);
	}
	qsort(k, n, sizeof(*k), cmp_tkey);
	ce->type = xmalloc((n + 1) * sizeof(int));
	ce->m_off = xmalloc((n + 2) * sizeof(int));
	ce->m_list = xmalloc((n + 1) * sizeof(int));
	ce->tcty = xmalloc((n + 1) * sizeof(int));
	ce->tlang = xmalloc(((size_t)n + 1) * MATCH_MAX_LANGS * sizeof(int));
	for (int i = 0; i < n; i++) {
		if (i == 0 || !tkey_same(&k[i], &k[i - 1])) {
			ce->m_off[nt] = i;
			ce->tcty[nt] = k[i].cty;
			for (int l = 0; l < MATCH_MAX_LANGS; l++)
				ce->tlang[(size_t)nt * MATCH_MAX_LANGS + l] =
				    l < k[i].nl ? k[i].l[l] : -1;
			nt++;
		}
		ce->type[k[i].idx] = nt - 1;
		ce->m_list[i] = k[i].idx;
	}
	ce->m_off[nt] = n;
	ce->ntypes = nt;
	free(k);

	/* the types in each language bucket (one bucket per language) */
	nlang = c->nbuckets;
	lt_off = xcalloc(nlang + 2, sizeof(int));
	lt = xmalloc(((size_t)c->b_off[nlang] + 1) * sizeof(int));
	mark = xmalloc((nt + 1) * sizeof(int));
	for (int t = 0; t < nt; t++)
		mark[t] = -1;
	{
		int pos = 0;

		for (int b = 0; b < nlang; b++) {
			lt_off[b] = pos;
			for (int sl = c->b_off[b]; sl < c->b_off[b + 1]; sl++) {
				int t = ce->type[c->b_idx[sl]];

				if (mark[t] != b) {
					mark[t] = b;
					lt[pos++] = t;
				}
			}
		}
		lt_off[nlang] = pos;
	}
	for (int t = 0; t < nt; t++)
		mark[t] = -1;
	ce->c_off = xmalloc((nt + 1) * sizeof(int));
	ce->c_list = xmalloc(ccap * sizeof(int));
	for (int t = 0; t < nt; t++) {
		int p0 = ce->m_list[ce->m_off[t]];

		ce->c_off[t] = (int)nc;
		for (int li = 0; li < c->pool->v[p0].nlangs; li++) {
			int b = c->pbucket[(size_t)p0 * MATCH_MAX_LANGS + li];

			for (int j = lt_off[b]; j < lt_off[b + 1]; j++) {
				int u = lt[j];

				if (mark[u] == t || ce->tcty[u] == ce->tcty[t])
					continue;
				mark[u] = t;
				if (nc == ccap) {
					if (ccap >= CERT_MAX_COMPAT) {
						free(lt_off);
						free(lt);
						free(mark);
						cert_free(ce);
						return false;
					}
					ccap *= 2;
					ce->c_list = xrealloc(ce->c_list,
					    ccap * sizeof(int));
				}
				ce->c_list[nc++] = u;
			}
		}
	}
	ce->c_off[nt] = (int)nc;
	free(lt_off);
	free(lt);
	free(mark);

	/* previous partners as index pairs, both directions, no duplicates */
	ids = xmalloc((n + 1) * sizeof(*ids));
	for (int i = 0; i < n; i++) {
		ids[i].id = c->pool->v[i].id;
		ids[i].idx = i;
		nf += c->pool->v[i].nforbidden;
	}
	qsort(ids, n, sizeof(*ids), cmp_idpos);
	fp = xmalloc(4 * ((size_t)nf + 1) * sizeof(int));
	nf = 0;
	for (int i = 0; i < n; i++) {
		const struct match_person *p = &c->pool->v[i];

		for (int j = 0; j < p->nforbidden; j++) {
			int lo = 0, hi = n;

			while (lo < hi) {
				int mid = lo + (hi - lo) / 2;

				if (ids[mid].id < p->forbidden[j])
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < n && ids[lo].id == p->forbidden[j]; lo++) {
				int y = ids[lo].idx;

				if (y == i)
					continue;
				fp[2 * nf] = i;
				fp[2 * nf + 1] = y;
				nf++;
				fp[2 * nf] = y;
				fp[2 * nf + 1] = i;
				nf++;
			}
		}
	}
	free(ids);
	qsort(fp, nf, 2 * sizeof(int), cmp_int2);
	ce->f_off = xcalloc(n + 2, sizeof(int));
	ce->f_list = xmalloc(((size_t)nf + 1) * sizeof(int));
	{
		int k2 = 0;

		for (int i = 0; i < nf; i++) {
			if (i > 0 && fp[2 * i] == fp[2 * i - 2] &&
			    fp[2 * i + 1] == fp[2 * i - 1])
				continue;
			ce->f_off[fp[2 * i] + 1]++;
			ce->f_list[k2++] = fp[2 * i + 1];
		}
		for (int i = 0; i < n; i++)
			ce->f_off[i + 1] += ce->f_off[i];
	}
	free(fp);
	return true;
}

static bool
cert_forbidden(const struct cert *ce, int x, int y)
{
	for (int i = ce->f_off[x]; i < ce->f_off[x + 1]; i++)
		if (ce->f_list[i] == y)
			return true;
	return false;
}

/* y could break the proof at even vertex x: neither odd nor in x's blossom */
static inline bool
cert_open(const int *lab, const int *blos, int x, int y)
{
	return lab[y] != BLOSSOM_ODD &&
	    !(lab[y] == BLOSSOM_EVEN && blos[y] == blos[x]);
}

/*
 * Check the solver's labels against the full graph. Returns the number of
 * even people with an allowed partner that is neither odd nor in the same
 * blossom (0: the matching is maximum in the full graph); when e is not
 * NULL, up to CERT_EDGES such edges of each are added to e.
 */
static int
cert_check(const struct ctx *c, const struct cert *ce, const int *lab,
    const int *blos, struct edges *e)
{
	int n = c->n, nt = ce->ntypes, bad = 0;
	int64_t *open_t = xcalloc(nt + 1, sizeof(int64_t));
	int64_t *sum_t = xcalloc(nt + 1, sizeof(int64_t));
	int64_t *inb = xcalloc(n + 1, sizeof(int64_t));
	int *ev = xmalloc(2 * ((size_t)n + 1) * sizeof(int)), nev = 0;
	int *tcnt = xcalloc(nt + 1, sizeof(int));
	int *tdist = xmalloc((nt + 1) * sizeof(int));
	int64_t *tin = xcalloc(nt + 1, sizeof(int64_t));

	for (int x = 0; x < n; x++)
		if (lab[x] != BLOSSOM_ODD)
			open_t[ce->type[x]]++;
	for (int t = 0; t < nt; t++)
		for (int j = ce->c_off[t]; j < ce->c_off[t + 1]; j++)
			sum_t[t] += open_t[ce->c_list[j]];
	/* compatible people inside one's own blossom: by (blossom, type) */
	for (int x = 0; x < n; x++)
		if (lab[x] == BLOSSOM_EVEN) {
			ev[2 * nev] = blos[x];
			ev[2 * nev + 1] = x;
			nev++;
		}
	qsort(ev, nev, 2 * sizeof(int), cmp_int2);
	for (int i = 0; i < nev;) {
		int j = i;

		while (j < nev && ev[2 * j] == ev[2 * i])
			j++;
		if (j - i > 1) {
			int nd = 0;

			for (int a = i; a < j; a++) {
				int t = ce->type[ev[2 * a + 1]];

				if (tcnt[t]++ == 0)
					tdist[nd++] = t;
			}
			for (int a = 0; a < nd; a++) {
				tin[tdist[a]] = 0;
				for (int b = 0; b < nd; b++)
					if (types_compat(ce, tdist[a], tdist[b]))
						tin[tdist[a]] += tcnt[tdist[b]];
			}
			for (int a = i; a < j; a++)
				inb[ev[2 * a + 1]] = tin[ce->type[ev[2 * a + 1]]];
			for (int a = 0; a < nd; a++)
				tcnt[tdist[a]] = 0;
		}
		i = j;
	}
	for (int i = 0; i < nev; i++) {
		int x = ev[2 * i + 1], tx = ce->type[x];
		int64_t open = sum_t[tx] - inb[x];

		for (int j = ce->f_off[x]; j < ce->f_off[x + 1]; j++) {
			int y = ce->f_list[j];

			if (types_compat(ce, tx, ce->type[y]) &&
			    cert_open(lab, blos, x, y))
				open--;
		}
		if (open <= 0)
			continue;
		bad++;
		if (e == NULL)
			continue;
		/* even partners first (they give a path or a blossom) */
		for (int pass = 0, got = 0; pass < 2 && got < CERT_EDGES; pass++) {
			int nc = ce->c_off[tx + 1] - ce->c_off[tx];
			int start = nc ? (int)(((uint64_t)x * 2654435761u) % nc) : 0;

			for (int jj = 0; jj < nc && got < CERT_EDGES; jj++) {
				int t = ce->c_list[ce->c_off[tx] + (start + jj) % nc];

				for (int mi = ce->m_off[t]; mi < ce->m_off[t + 1] &&
				    got < CERT_EDGES; mi++) {
					int y = ce->m_list[mi];

					if ((lab[y] == BLOSSOM_EVEN) != (pass == 0) ||
					    !cert_open(lab, blos, x, y) ||
					    cert_forbidden(ce, x, y))
						continue;
					edges_add(e, x, y, edge_weight(c, x,
					    y));
					got++;
				}
			}
		}
	}
	free(open_t);
	free(sum_t);
	free(inb);
	free(ev);
	free(tcnt);
	free(tdist);
	free(tin);
	return bad;
}

/* ---- explanations ---- */

struct ucount {
	int	shared;		/* abroad and sharing a language */
	struct match_unmatched *u;
};

static void
visit_count(const struct ctx *c, int x, int y, bool forbidden, void *arg)
{
	struct ucount *uc = arg;
	const struct match_person *px = &c->pool->v[x], *py = &c->pool->v[y];
	bool sec, stg;

	uc->shared++;
	if (forbidden)
		return;
	sec = wish_met(&px->want_sector, px->sector, py->sector);
	stg = wish_met(&px->want_stage, px->stage, py->stage);
	uc->u->nallowed++;
	uc->u->ncandidates += sec && stg;
	uc->u->ncand_stage_any += sec;
	uc->u->ncand_sector_any += stg;
}

static void
explain_unmatched(const struct ctx *c, int x, struct match_unmatched *u)
{
	struct ucount uc;

	memset(u, 0, sizeof(*u));
	u->idx = x;
	uc.shared = 0;
	uc.u = u;
	scan_person(c, x, 0, visit_count, &uc);
	if (c->cty_count[c->cty[x]] == c->n)
		u->reason = MATCH_REASON_NO_OTHER_COUNTRY;
	else if (uc.shared == 0)
		u->reason = MATCH_REASON_NO_SHARED_LANGUAGE;
	else if (u->nallowed == 0)
		u->reason = MATCH_REASON_ONLY_PREVIOUS;
	else
		u->reason = MATCH_REASON_ALL_TAKEN;
}

static void
explain_side(const struct match_person *x, const struct match_person *y,
    struct match_side *s)
{
	s->sector = wish_result(&x->want_sector, x->sector, y->sector);
	s->stage = wish_result(&x->want_stage, x->stage, y->stage);
	s->sector_stated = x->want_sector.stated;
	s->stage_stated = x->want_stage.stated;
}

static void
explain_pair(const struct ctx *c, int a, int b, struct match_pair *p)
{
	const struct match_person *x = &c->pool->v[a], *y = &c->pool->v[b];

	memset(p, 0, sizeof(*p));
	p->a = a;
	p->b = b;
	p->weight = weight_of(c->w, x, y);
	explain_side(x, y, &p->side[0]);
	explain_side(y, x, &p->side[1]);
	p->nshared_langs = nshared_langs(x, y, p->shared_langs);
	p->nshared_interests = shared_interests(x, y);
}

/* ---- solving ---- */

static int
solve_edges(const struct ctx *c, const struct edges *e, int *mate,
    int64_t *weight, int *lab, int *blos)
{
	int pairs;
	int64_t w = 0;

	if (e->n > INT32_MAX)
		fatalx("match: too many edges");
	pairs = blossom_solve_cert(c->n, (int)e->n, e->a, e->b, e->w, mate, lab,
	    blos);
	for (int64_t i = 0; i < e->n; i++)
		if (mate[e->a[i]] == e->b[i])
			w += e->w[i];
	*weight = w;
	return pairs;
}

static bool
use_full(const struct ctx *c, const struct match_options *o)
{
	int full_max = o->full_max > 0 ? o->full_max : MATCH_FULL_MAX;

	return o->prune_k <= 0 || c->n <= full_max;
}

int64_t
match_graph(const struct match_pool *pool, const struct match_weights *w,
    int prune_k, int full_max, int **eu, int **ev, int64_t **ew)
{
	struct match_options o = { .prune_k = prune_k, .full_max = full_max };
	struct match_weights dw;
	struct edges e = { 0 };
	struct ctx c;

	if (w == NULL) {
		match_weights_default(&dw);
		w = &dw;
	}
	ctx_init(&c, pool, w);
	if (use_full(&c, &o))
		build_full(&c, &e);
	else
		build_pruned(&c, prune_k, &e);
	ctx_free(&c);
	*eu = e.a;
	*ev = e.b;
	*ew = e.w;
	return e.n;
}

struct match_result *
match_run(const struct match_pool *pool, const struct match_weights *w,
    int prune_k)
{
	struct match_options o = { .prune_k = prune_k };

	return match_run_opts(pool, w, &o);
}

struct match_result *
match_run_opts(const struct match_pool *pool, const struct match_weights *w,
    const struct match_options *opt)
{
	struct match_result *r = xcalloc(1, sizeof(*r));
	struct match_totals *t = &r->totals;
	struct match_weights dw;
	struct edges e = { 0 };
	struct ctx c;
	int n = pool->n, *mate, *lab = NULL, *blos = NULL;
	int64_t weight = 0;
	struct cert ce;
	bool have_cert, proven = false;

	if (w == NULL) {
		match_weights_default(&dw);
		w = &dw;
	}
	ctx_init(&c, pool, w);
	c.scale = opt->keep_ties ? (int64_t)n / 2 + 1 : 1;
	mate = xmalloc((n + 1) * sizeof(int));
	t->people = n;
	t->weight_lost = -1;
	if (use_full(&c, opt)) {
		build_full(&c, &e);
		t->pairs = solve_edges(&c, &e, mate, &weight, NULL, NULL);
		t->card_bound = t->pairs;
		t->card_proven = true;
	} else {
		t->pruned = true;
		t->prune_k = opt->prune_k;
		t->card_bound = card_bound(&c);
		build_pruned(&c, opt->prune_k, &e);
		have_cert = cert_init(&ce, &c);
		lab = xmalloc((n + 1) * sizeof(int));
		blos = xmalloc((n + 1) * sizeof(int));
		for (;;) {
			int64_t ne = e.n;
			bool more = t->addback_rounds < MAX_ADDBACK;

			t->pairs = solve_edges(&c, &e, mate, &weight, lab, blos);
			if (!have_cert)
				break;
			if (cert_check(&c, &ce, lab, blos, more ? &e : NULL) == 0) {
				proven = true;
				t->card_bound = t->pairs;
				break;
			}
			if (!more)
				break;
			edges_unique(&e);
			if (e.n == ne)
				break;
			t->addback_rounds++;
		}
		t->card_proven = proven || t->pairs == t->card_bound;
		if (have_cert)
			cert_free(&ce);
		free(lab);
		free(blos);
		if (opt->compare_full) {
			struct edges f = { 0 };
			int *fm = xmalloc((n + 1) * sizeof(int));
			int64_t fw;

			build_full(&c, &f);
			if (solve_edges(&c, &f, fm, &fw, NULL, NULL) == t->pairs)
				t->weight_lost = fw / c.scale - weight / c.scale;
			else
				t->card_proven = false;
			edges_free(&f);
			free(fm);
		}
	}
	t->edges = e.n;
	t->weight = weight / c.scale;
	edges_free(&e);

	r->pairs = xcalloc(t->pairs + 1, sizeof(*r->pairs));
	r->unmatched = xcalloc(n - 2 * t->pairs + 1, sizeof(*r->unmatched));
	for (int x = 0; x < n; x++) {
		if (mate[x] > x) {
			struct match_pair *p = &r->pairs[r->npairs++];

			explain_pair(&c, x, mate[x], p);
			for (int s = 0; s < 2; s++) {
				t->wishes += (p->side[s].sector != MATCH_WISH_NONE) +
				    (p->side[s].stage != MATCH_WISH_NONE);
				t->wishes_met += (p->side[s].sector == MATCH_WISH_MET) +
				    (p->side[s].stage == MATCH_WISH_MET);
			}
		} else if (mate[x] < 0)
			explain_unmatched(&c, x, &r->unmatched[r->nunmatched++]);
	}
	t->unmatched = r->nunmatched;
	t->wish_share = t->wishes ? (double)t->wishes_met / t->wishes : 1.0;
	free(mate);
	ctx_free(&c);
	return r;
}

void
match_result_free(struct match_result *r)
{
	if (r == NULL)
		return;
	free(r->pairs);
	free(r->unmatched);
	free(r);
}
