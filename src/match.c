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
 * Pruned graphs: the pairing can be no larger than card_bound (people with an
 * allowed partner, split into components joined by shared languages across
 * countries; a component pairs at most half its people and at most the people
 * outside its largest country). While the pruned solution has fewer pairs,
 * every allowed edge of the unmatched is added back and the graph re-solved
 * (at most MAX_ADDBACK rounds). Unmatched people are then explained by a full
 * scan of their buckets (O(n) each).
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

#define MAX_ADDBACK	3
#define SCAN_CAP(k)	((k) * 32 > 2048 ? (k) * 32 : 2048)
#define ADDBACK_CAP(k)	(4 * SCAN_CAP(k))

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

enum match_stage
match_stage_from_years(int years)
{
	if (years < 5)
		return MATCH_STAGE_EARLY;
	if (years < 15)
		return MATCH_STAGE_MID;
	return MATCH_STAGE_LATE;
}

void
match_weights_default(struct match_weights *w)
{
	w->explicit_met = 100;
	w->default_met = 10;
	w->interest = 3;
	w->max_interests = 5;
}

bool
match_weights_valid(const struct match_weights *w)
{
	if (w->explicit_met < 0 || w->default_met < 0 || w->interest < 0 ||
	    w->max_interests < 0 || w->max_interests > MATCH_MAX_INTERESTS ||
	    w->explicit_met > 1000000 || w->interest > 1000000)
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
	    p->sector >= MATCH_NSECTORS || p->stage < 0 ||
	    p->stage >= MATCH_NSTAGES || !pref_ok(&p->want_sector, MATCH_NSECTORS) ||
	    !pref_ok(&p->want_stage, MATCH_NSTAGES) || p->nlangs < 0 ||
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
	    (int64_t)si * w->interest;
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
		edges_add(arg, x, y, weight_of(c->w, &c->pool->v[x],
		    &c->pool->v[y]));
}

static void
visit_all(const struct ctx *c, int x, int y, bool forbidden, void *arg)
{
	if (!forbidden)
		edges_add(arg, x, y, weight_of(c->w, &c->pool->v[x],
		    &c->pool->v[y]));
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
	w = t->by_hash ? 0 : weight_of(c->w, &c->pool->v[x], &c->pool->v[y]);
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
			edges_add(e, x, t.rnd.y[i], weight_of(c->w,
			    &c->pool->v[x], &c->pool->v[t.rnd.y[i]]));
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
    int64_t *weight)
{
	int pairs;
	int64_t w = 0;

	if (e->n > INT32_MAX)
		fatalx("match: too many edges");
	pairs = blossom_solve(c->n, (int)e->n, e->a, e->b, e->w, mate);
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
	int n = pool->n, *mate;
	int64_t weight = 0;

	if (w == NULL) {
		match_weights_default(&dw);
		w = &dw;
	}
	ctx_init(&c, pool, w);
	mate = xmalloc((n + 1) * sizeof(int));
	t->people = n;
	t->weight_lost = -1;
	if (use_full(&c, opt)) {
		build_full(&c, &e);
		t->pairs = solve_edges(&c, &e, mate, &weight);
		t->card_bound = t->pairs;
		t->card_proven = true;
	} else {
		t->pruned = true;
		t->prune_k = opt->prune_k;
		t->card_bound = card_bound(&c);
		build_pruned(&c, opt->prune_k, &e);
		t->pairs = solve_edges(&c, &e, mate, &weight);
		while (t->pairs < t->card_bound && t->addback_rounds < MAX_ADDBACK) {
			int before = t->pairs;
			int64_t ne = e.n;

			for (int x = 0; x < n; x++)
				if (mate[x] < 0)
					scan_person(&c, x, ADDBACK_CAP(opt->prune_k),
					    visit_all, &e);
			edges_unique(&e);
			if (e.n == ne)
				break;
			t->addback_rounds++;
			t->pairs = solve_edges(&c, &e, mate, &weight);
			if (t->pairs == before)
				break;
		}
		t->card_proven = t->pairs == t->card_bound;
		if (opt->compare_full) {
			struct edges f = { 0 };
			int *fm = xmalloc((n + 1) * sizeof(int));
			int64_t fw;

			build_full(&c, &f);
			if (solve_edges(&c, &f, fm, &fw) == t->pairs)
				t->weight_lost = fw - weight;
			else
				t->card_proven = false;
			edges_free(&f);
			free(fm);
		}
	}
	t->edges = e.n;
	t->weight = weight;
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
