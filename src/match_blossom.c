/*
 * match_blossom.c: maximum-cardinality maximum-weight matching (see
 * match_blossom.h). Primal-dual blossom algorithm in the Edmonds/Galil form,
 * written for ilnbot:
 *  - every free vertex is always the root of an alternating tree; trees are
 *    kept across augmentations and only the two trees joined by an augmenting
 *    path are taken apart, so work is not repeated for the rest of the forest;
 *  - the dual change is found with three lazy queues (S-unlabelled, S-S,
 *    T-blossom duals) whose keys are stored relative to the total dual change
 *    so far; an entry is checked when it reaches the front and dropped if the
 *    graph moved on. The first two hold one summary per vertex (its least
 *    slack edge of that kind), not one entry per edge: a summary that went
 *    stale is recomputed from the vertex's edges when it reaches the front.
 *    Keys are small integers (few distinct weights), so the queues are bucket
 *    arrays (O(1) push and pop) with a binary heap only for keys beyond the
 *    bucket window;
 *  - the adjacency carries the other end and twice the weight, and each
 *    vertex's label, dual and top blossom sit together, so a scan touches
 *    one cache line per neighbour;
 *  - dual variables are kept lazily per vertex and per blossom (value plus the
 *    total change when its label last changed), so a dual step costs O(1);
 *  - maximum cardinality comes first natively: the "free vertex dual reaches
 *    zero" event is never used, which is the same as adding a huge constant
 *    to every weight.
 * All memory is owned here and freed before returning.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "match_blossom.h"
#include "util.h"

enum { LAB_NONE = 0, LAB_S = 1, LAB_T = 2 };

/*
 * Bucket queue for keys that are small integers (a slack plus a multiple of
 * the total dual change). Every key pushed is at least the queue's floor (the
 * total dual change, or twice it), which never decreases. Keys in the window
 * [base, base + nb) go to bucket key - base, with base <= floor; larger keys
 * go to a binary heap, and move into the buckets when the window, emptied, is
 * moved up to the floor. Entries are checked lazily when they reach the front.
 */
struct heap_ent {
	int64_t	key;
	int	item;
	int	stamp;
};

struct bucket {
	struct heap_ent	*a;
	int		 n, cap;
};

struct heap {
	struct bucket	*b;		/* nb buckets, used as stacks */
	int		 nb;
	size_t		 inb;		/* entries in buckets */
	size_t		 live;		/* entries queued */
	size_t		 kept;		/* live after the last compaction */
	int64_t		 base, cur;	/* no entry in buckets below cur */
	struct bucket	 ov;		/* overflow, a binary heap */
	int		 front;		/* 0: bucket cur, 1: overflow top */
};

/* A non-trivial blossom's cycle: child[i] is joined to child[i+1 mod k] by
 * edge e[i], x[i] lying in child[i] and y[i] in child[i+1]. child[0] holds the
 * base; edge i is matched exactly when i is odd. */
struct cycle {
	int	 k;
	int	*child, *e, *x, *y;
};

/* Per vertex, together: a scan reads all of it for every neighbour. The
 * dual is u0 when unlabelled, else u0 -/+ (D - ut) for S/T. */
struct vx {
	int64_t	u0, ut;
	int	lab, top;
};

struct bs {
	int		 n, m;
	const int	*eu, *ev;
	const int64_t	*ew;
	int		*adj_off, *adj;	/* edge ids around each vertex */
	int		*adj_to;	/* the other end, beside adj */
	int64_t		*adj_w2;	/* twice the weight, beside adj */

	/* per blossom id (vertices 0..n-1, non-trivial blossoms n..2n-1) */
	int		*parent, *base, *label, *root, *stamp, *mark;
	int		*lab_e, *lab_in, *lab_out;	/* labelling edge, inner/outer end */
	int64_t		*z0, *zt;
	struct cycle	*cyc;
	int		*freeb, nfreeb;

	/* per vertex */
	struct vx	*vx;
	int		*mate, *mate_e, *inq, *seen;
	int64_t		*key2;		/* unlabelled: key of its h2 summary */
	int		*ver2, *ver3;	/* version of the current summaries */

	int64_t		 D;		/* total dual change so far */
	struct heap	 h2, h3, h4;
	int		*q, qh, qn;	/* circular queue of S vertices to scan */
	int		 markno, seenno;

	/* vertices labelled in the tree of each root (may hold stale entries) */
	int		**tl, *tln, *tlcap;

	int		*scratch, *scratch2;	/* n each */
};

/* ---- bucket queues ---- */

static void
heap_init(struct heap *h, int nb)
{
	memset(h, 0, sizeof(*h));
	h->nb = nb;
	h->b = xcalloc(nb, sizeof(*h->b));
}

static void
heap_free(struct heap *h)
{
	for (int i = 0; i < h->nb; i++)
		free(h->b[i].a);
	free(h->b);
	free(h->ov.a);
}

static inline void
bucket_add(struct bucket *b, const struct heap_ent *e)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->a = xrealloc(b->a, (size_t)b->cap * sizeof(*b->a));
	}
	b->a[b->n++] = *e;
}

static int
ov_less(const struct heap_ent *x, const struct heap_ent *y)
{
	if (x->key != y->key)
		return x->key < y->key;
	return x->item < y->item;
}

static void
ov_push(struct bucket *h, const struct heap_ent *e)
{
	int c;

	bucket_add(h, e);
	c = h->n - 1;
	while (c > 0) {
		int p = (c - 1) / 2;
		struct heap_ent t;

		if (!ov_less(&h->a[c], &h->a[p]))
			break;
		t = h->a[c];
		h->a[c] = h->a[p];
		h->a[p] = t;
		c = p;
	}
}

static void
ov_pop(struct bucket *h)
{
	struct heap_ent t = h->a[--h->n];
	int c = 0;

	if (h->n == 0)
		return;
	for (;;) {
		int l = 2 * c + 1;

		if (l >= h->n)
			break;
		if (l + 1 < h->n && ov_less(&h->a[l + 1], &h->a[l]))
			l++;
		if (!ov_less(&h->a[l], &t))
			break;
		h->a[c] = h->a[l];
		c = l;
	}
	h->a[c] = t;
}

static inline void
heap_link(struct heap *h, const struct heap_ent *e)
{
	int64_t key = e->key;

	if (key < h->base)
		key = h->base;	/* cannot happen: keys are >= floor >= base */
	if (key - h->base < h->nb) {
		bucket_add(&h->b[key - h->base], e);
		h->inb++;
		if (key < h->cur)
			h->cur = key;
	} else
		ov_push(&h->ov, e);
}

static inline void
heap_push(struct heap *h, int64_t key, int item, int stamp)
{
	struct heap_ent e = { key, item, stamp };

	h->live++;
	heap_link(h, &e);
}

/* The entry with the smallest key, or NULL; floor as above. */
static struct heap_ent *
heap_front(struct heap *h, int64_t floor)
{
	if (h->inb == 0 && floor > h->base) {
		h->base = h->cur = floor;
		while (h->ov.n > 0 && h->ov.a[0].key - h->base < h->nb) {
			struct heap_ent e = h->ov.a[0];

			ov_pop(&h->ov);
			heap_link(h, &e);
		}
	}
	if (h->inb > 0) {
		for (;;) {
			struct bucket *b = &h->b[h->cur - h->base];

			if (b->n > 0) {
				h->front = 0;
				return &b->a[b->n - 1];
			}
			h->cur++;
		}
	}
	if (h->ov.n > 0) {
		h->front = 1;
		return &h->ov.a[0];
	}
	return NULL;
}

/* Remove the entry heap_front returned. */
static void
heap_pop(struct heap *h)
{
	if (h->front == 0) {
		h->b[h->cur - h->base].n--;
		h->inb--;
	} else
		ov_pop(&h->ov);
	h->live--;
}

/* ---- lazy duals ---- */

static inline int64_t
udual(const struct bs *s, int v)
{
	if (s->vx[v].lab == LAB_S)
		return s->vx[v].u0 - (s->D - s->vx[v].ut);
	if (s->vx[v].lab == LAB_T)
		return s->vx[v].u0 + (s->D - s->vx[v].ut);
	return s->vx[v].u0;
}

static inline void
vset(struct bs *s, int v, int lab)
{
	s->vx[v].u0 = udual(s, v);
	s->vx[v].ut = s->D;
	s->vx[v].lab = lab;
}

static inline int64_t
zdual(const struct bs *s, int b)
{
	if (s->label[b] == LAB_S)
		return s->z0[b] + (s->D - s->zt[b]);
	if (s->label[b] == LAB_T)
		return s->z0[b] - (s->D - s->zt[b]);
	return s->z0[b];
}

static inline void
bset(struct bs *s, int b, int lab)
{
	s->z0[b] = zdual(s, b);
	s->zt[b] = s->D;
	s->label[b] = lab;
	s->stamp[b]++;
}

static inline int64_t
slack(const struct bs *s, int e)
{
	return udual(s, s->eu[e]) + udual(s, s->ev[e]) - 2 * s->ew[e];
}

/* Vertices of blossom b into out[]; returns their number. */
static int
leaves(const struct bs *s, int b, int *out)
{
	int n = 0, sp = 0;
	int *stack = s->scratch2;

	stack[sp++] = b;
	while (sp > 0) {
		int x = stack[--sp];

		if (x < s->n) {
			out[n++] = x;
			continue;
		}
		for (int i = s->cyc[x].k - 1; i >= 0; i--)
			stack[sp++] = s->cyc[x].child[i];
	}
	return n;
}

static void
enqueue(struct bs *s, int v)
{
	if (s->inq[v])
		return;
	s->inq[v] = 1;
	s->q[(s->qh + s->qn++) % s->n] = v;
}

static void
tree_add(struct bs *s, int r, int v)
{
	if (s->tln[r] == s->tlcap[r]) {
		s->tlcap[r] = s->tlcap[r] ? s->tlcap[r] * 2 : 4;
		s->tl[r] = xrealloc(s->tl[r], s->tlcap[r] * sizeof(int));
	}
	s->tl[r][s->tln[r]++] = v;
}

/* Label top-level blossom b with lab (S or T) in the tree of root r. */
static void
label_blossom(struct bs *s, int b, int lab, int r, int e, int in, int out)
{
	int nv;

	bset(s, b, lab);
	s->root[b] = r;
	s->lab_e[b] = e;
	s->lab_in[b] = in;
	s->lab_out[b] = out;
	if (lab == LAB_T && b >= s->n)
		heap_push(&s->h4, s->z0[b] + s->zt[b], b, s->stamp[b]);
	nv = leaves(s, b, s->scratch);
	for (int i = 0; i < nv; i++) {
		int v = s->scratch[i];

		vset(s, v, lab);
		tree_add(s, r, v);
		if (lab == LAB_S)
			enqueue(s, v);
	}
}

/* Unlabelled blossom b is reached from S vertex out by edge e at vertex in. */
static void
label_t(struct bs *s, int b, int e, int in, int out)
{
	int r = s->root[s->vx[out].top];
	int x, y;

	label_blossom(s, b, LAB_T, r, e, in, out);
	x = s->base[b];
	y = s->mate[x];
	if (y < 0)
		fatalx("blossom: unlabelled blossom with a free base");
	label_blossom(s, s->vx[y].top, LAB_S, r, s->mate_e[x], y, x);
}

/*
 * Summaries: h2 holds at most one current entry per unlabelled vertex w (its
 * least-slack edge to an S vertex), h3 one per scanned S vertex v (its
 * least-slack edge to an S vertex of another blossom). An entry names its
 * vertex by the stamp: version << 1 | (vertex is ev[e]). Every S-unlabelled
 * edge has a key at least its unlabelled end's summary key; every S-S edge
 * between blossoms one at least the summary key of one of its ends (the end
 * scanned later). Edge keys do not change while the labels stay, so when a
 * current summary reaches the front and is no longer tight-and-valid, its
 * vertex's edges are looked at again and a new summary is pushed.
 */
static inline int
stamp_of(const struct bs *s, int e, int v, int ver)
{
	return (int)(((unsigned)ver & 0x3fffffffu) << 1) | (v == s->ev[e]);
}

static inline int
stamp_vertex(const struct bs *s, const struct heap_ent *h)
{
	return (h->stamp & 1) ? s->ev[h->item] : s->eu[h->item];
}

static inline int
stamp_ver(const struct heap_ent *h)
{
	return (int)((unsigned)h->stamp >> 1);
}

static inline void
push2(struct bs *s, int w, int e, int64_t key)
{
	s->ver2[w] = (s->ver2[w] + 1) & 0x3fffffff;
	s->key2[w] = key;
	heap_push(&s->h2, key, e, stamp_of(s, e, w, s->ver2[w]));
}

/* New h2 summary of unlabelled vertex w. */
static void
push_unlabelled(struct bs *s, int w)
{
	int64_t best = INT64_MAX;
	int be = -1;

	int64_t uw = udual(s, w);

	for (int i = s->adj_off[w]; i < s->adj_off[w + 1]; i++) {
		int x = s->adj_to[i];
		int64_t sl;

		if (s->vx[x].lab != LAB_S)
			continue;
		sl = uw + udual(s, x) - s->adj_w2[i];
		if (sl < best) {
			best = sl;
			be = s->adj[i];
			if (sl == 0)	/* no slack is negative */
				break;
		}
	}
	if (be >= 0)
		push2(s, w, be, best + s->D);
	else {
		s->ver2[w] = (s->ver2[w] + 1) & 0x3fffffff;
		s->key2[w] = INT64_MAX;
	}
}

/* New h3 summary of S vertex v. */
static void
push_ss(struct bs *s, int v)
{
	int64_t best = INT64_MAX;
	int be = -1;

	int64_t uv = udual(s, v);
	int tv = s->vx[v].top;

	for (int i = s->adj_off[v]; i < s->adj_off[v + 1]; i++) {
		int x = s->adj_to[i];
		int64_t sl;

		if (s->vx[x].lab != LAB_S || s->vx[x].top == tv)
			continue;
		sl = uv + udual(s, x) - s->adj_w2[i];
		if (sl < best) {
			best = sl;
			be = s->adj[i];
			if (sl == 0)	/* no slack is negative */
				break;
		}
	}
	s->ver3[v] = (s->ver3[v] + 1) & 0x3fffffff;
	if (be >= 0)
		heap_push(&s->h3, best + 2 * s->D, be,
		    stamp_of(s, be, v, s->ver3[v]));
}

static int
newblossom(struct bs *s)
{
	if (s->nfreeb == 0)
		fatalx("blossom: out of blossom ids");
	return s->freeb[--s->nfreeb];
}

static void
freeblossom(struct bs *s, int b)
{
	struct cycle *c = &s->cyc[b];

	free(c->child);
	free(c->e);
	free(c->x);
	free(c->y);
	memset(c, 0, sizeof(*c));
	s->parent[b] = -1;
	s->label[b] = LAB_NONE;
	s->stamp[b]++;
	s->freeb[s->nfreeb++] = b;
}

/* Blossom one step up the tree from S blossom b, or -1 at the root. */
static int
tree_up(const struct bs *s, int b)
{
	if (s->lab_e[b] < 0)
		return -1;
	return s->vx[s->lab_out[s->vx[s->lab_out[b]].top]].top;
}

static void
cycle_alloc(struct cycle *c, int k)
{
	c->k = k;
	c->child = xmalloc(k * sizeof(int));
	c->e = xmalloc(k * sizeof(int));
	c->x = xmalloc(k * sizeof(int));
	c->y = xmalloc(k * sizeof(int));
}

/* Tight edge e = (v, w) between two S blossoms of one tree: shrink the odd
 * cycle through their lowest common ancestor into a new S blossom. */
static void
add_blossom(struct bs *s, int e, int v, int w)
{
	int bv = s->vx[v].top, bw = s->vx[w].top, a, b, lca = -1;
	int r, sq, k, nb, nv, i;
	int *pv = s->scratch, *pw;
	struct cycle *c;

	s->markno++;
	a = bv;
	b = bw;
	while (a != -1 || b != -1) {
		if (a != -1) {
			if (s->mark[a] == s->markno) {
				lca = a;
				break;
			}
			s->mark[a] = s->markno;
			a = tree_up(s, a);
		}
		if (b != -1) {
			int t = a;

			a = b;
			b = t;
		}
	}
	if (lca < 0)
		fatalx("blossom: no common ancestor");

	/* paths from bv and bw up to (excluding) the lca */
	r = 0;
	for (a = bv; a != lca; a = tree_up(s, a)) {
		pv[r++] = a;
		pv[r++] = s->vx[s->lab_out[a]].top;
	}
	pw = pv + r;
	sq = 0;
	for (a = bw; a != lca; a = tree_up(s, a)) {
		pw[sq++] = a;
		pw[sq++] = s->vx[s->lab_out[a]].top;
	}
	k = 1 + r + sq;
	nb = newblossom(s);
	c = &s->cyc[nb];
	cycle_alloc(c, k);
	i = 0;
	c->child[0] = lca;
	for (int j = r - 1; j >= 0; j--) {
		int p = pv[j];

		c->e[i] = s->lab_e[p];
		c->x[i] = s->lab_out[p];
		c->y[i] = s->lab_in[p];
		c->child[++i] = p;
	}
	c->e[i] = e;
	c->x[i] = v;
	c->y[i] = w;
	for (int j = 0; j < sq; j++) {
		int p = pw[j];

		c->child[++i] = p;
		c->e[i] = s->lab_e[p];
		c->x[i] = s->lab_in[p];
		c->y[i] = s->lab_out[p];
	}

	for (i = 0; i < k; i++) {
		int ch = c->child[i];

		bset(s, ch, LAB_NONE);
		s->parent[ch] = nb;
	}
	s->parent[nb] = -1;
	s->base[nb] = s->base[lca];
	s->z0[nb] = 0;
	s->zt[nb] = s->D;
	s->label[nb] = LAB_S;
	s->stamp[nb]++;
	s->root[nb] = s->root[lca];
	s->lab_e[nb] = s->lab_e[lca];
	s->lab_in[nb] = s->lab_in[lca];
	s->lab_out[nb] = s->lab_out[lca];
	nv = leaves(s, nb, s->scratch);
	for (i = 0; i < nv; i++) {
		int x = s->scratch[i];

		s->vx[x].top = nb;
		if (s->vx[x].lab == LAB_T) {
			vset(s, x, LAB_S);
			enqueue(s, x);
		}
	}
}

/* Make vertex v the base of blossom b, flipping the matched edges on the
 * even path from v's child to the old base. */
static void
augment_blossom(struct bs *s, int b, int v)
{
	struct cycle *c = &s->cyc[b];
	int t = v, i, idx, dir, k = c->k;
	int *tmp;

	while (s->parent[t] != b)
		t = s->parent[t];
	if (t >= s->n)
		augment_blossom(s, t, v);
	for (i = 0; c->child[i] != t; i++)
		;
	dir = (i & 1) ? 1 : -1;
	idx = i;
	while (idx != 0) {
		int a = (idx + dir + k) % k, cc = (idx + 2 * dir + k) % k;
		int ei = dir > 0 ? a : cc;
		int xa, xc;

		if (dir > 0) {
			xa = c->x[ei];
			xc = c->y[ei];
		} else {
			xa = c->y[ei];
			xc = c->x[ei];
		}
		if (c->child[a] >= s->n)
			augment_blossom(s, c->child[a], xa);
		if (c->child[cc] >= s->n)
			augment_blossom(s, c->child[cc], xc);
		s->mate[xa] = xc;
		s->mate[xc] = xa;
		s->mate_e[xa] = s->mate_e[xc] = c->e[ei];
		idx = cc;
	}
	/* rotate so that child i comes first */
	if (i != 0) {
		int *arrs[4] = { c->child, c->e, c->x, c->y };

		tmp = s->scratch2;
		for (int a = 0; a < 4; a++) {
			for (int j = 0; j < k; j++)
				tmp[j] = arrs[a][(j + i) % k];
			memcpy(arrs[a], tmp, k * sizeof(int));
		}
	}
	s->base[b] = v;
}

static void
augment_side(struct bs *s, int x, int p, int e)
{
	for (;;) {
		int bx = s->vx[x].top, t, bt, x2, j;

		if (bx >= s->n)
			augment_blossom(s, bx, x);
		s->mate[x] = p;
		s->mate_e[x] = e;
		if (s->lab_e[bx] < 0)
			break;
		t = s->lab_out[bx];
		bt = s->vx[t].top;
		x2 = s->lab_out[bt];
		j = s->lab_in[bt];
		if (bt >= s->n)
			augment_blossom(s, bt, j);
		s->mate[j] = x2;
		s->mate_e[j] = s->lab_e[bt];
		e = s->lab_e[bt];
		p = j;
		x = x2;
	}
}

/* Expand an unlabelled top-level blossom of zero dual (and such children). */
static void
expand_free(struct bs *s, int b)
{
	struct cycle *c = &s->cyc[b];
	int k = c->k;

	for (int i = 0; i < k; i++) {
		int ch = c->child[i];
		int nv;

		s->parent[ch] = -1;
		s->label[ch] = LAB_NONE;
		s->stamp[ch]++;
		nv = leaves(s, ch, s->scratch);
		for (int j = 0; j < nv; j++)
			s->vx[s->scratch[j]].top = ch;
	}
	for (int i = 0; i < k; i++) {
		int ch = c->child[i];

		if (ch >= s->n && s->z0[ch] == 0)
			expand_free(s, ch);
	}
	freeblossom(s, b);
}

/* Take apart the trees of roots r1 and r2 after an augmentation. */
static void
dissolve(struct bs *s, int r1, int r2)
{
	int *list = NULL, nl = 0, cap = 0;
	int roots[2] = { r1, r2 };

	s->seenno++;
	for (int ri = 0; ri < 2; ri++) {
		int r = roots[ri];

		for (int i = 0; i < s->tln[r]; i++) {
			int v = s->tl[r][i], b = s->vx[v].top;

			if (s->seen[v] == s->seenno || s->vx[v].lab == LAB_NONE ||
			    s->root[b] != r)
				continue;
			s->seen[v] = s->seenno;
			if (nl == cap) {
				cap = cap ? cap * 2 : 64;
				list = xrealloc(list, cap * sizeof(int));
			}
			list[nl++] = v;
		}
		free(s->tl[r]);
		s->tl[r] = NULL;
		s->tln[r] = s->tlcap[r] = 0;
	}
	for (int i = 0; i < nl; i++) {
		int b = s->vx[list[i]].top;

		if (s->label[b] != LAB_NONE)
			bset(s, b, LAB_NONE);
	}
	for (int i = 0; i < nl; i++)
		vset(s, list[i], LAB_NONE);
	for (int i = 0; i < nl; i++) {
		int b = s->vx[list[i]].top;

		if (b >= s->n && s->parent[b] < 0 && s->z0[b] == 0)
			expand_free(s, b);
	}
	for (int i = 0; i < nl; i++)
		push_unlabelled(s, list[i]);
	free(list);
}

static void
augment(struct bs *s, int e, int v, int w)
{
	int r1 = s->root[s->vx[v].top], r2 = s->root[s->vx[w].top];

	augment_side(s, v, w, e);
	augment_side(s, w, v, e);
	dissolve(s, r1, r2);
}

/* T blossom b reached zero dual: split it into its children. */
static void
expand_t(struct bs *s, int b)
{
	struct cycle *c = &s->cyc[b];
	int k = c->k, j, dir, idx, r = s->root[b];
	int in = s->lab_in[b], out = s->lab_out[b], e = s->lab_e[b];
	int *onpath, nu = 0;
	int *unl;

	for (int i = 0; i < k; i++) {
		int ch = c->child[i];
		int nv;

		s->parent[ch] = -1;
		s->label[ch] = LAB_NONE;
		s->stamp[ch]++;
		nv = leaves(s, ch, s->scratch);
		for (int t = 0; t < nv; t++)
			s->vx[s->scratch[t]].top = ch;
	}
	onpath = xcalloc(k, sizeof(int));
	for (j = 0; c->child[j] != s->vx[in].top; j++)
		;
	dir = (j & 1) ? 1 : -1;
	idx = j;
	label_blossom(s, c->child[idx], LAB_T, r, e, in, out);
	onpath[idx] = 1;
	while (idx != 0) {
		int a = (idx + dir + k) % k, cc = (idx + 2 * dir + k) % k;
		int ei = dir > 0 ? a : cc, xb = s->base[c->child[a]];
		int tin, tout;

		label_blossom(s, c->child[a], LAB_S, r, s->mate_e[xb], xb,
		    s->mate[xb]);
		if (dir > 0) {
			tin = c->y[ei];
			tout = c->x[ei];
		} else {
			tin = c->x[ei];
			tout = c->y[ei];
		}
		label_blossom(s, c->child[cc], LAB_T, r, c->e[ei], tin, tout);
		onpath[a] = onpath[cc] = 1;
		idx = cc;
	}
	unl = xmalloc(64 * sizeof(int));
	{
		int cap = 64;

		for (int i = 0; i < k; i++) {
			int nv;

			if (onpath[i])
				continue;
			nv = leaves(s, c->child[i], s->scratch);
			for (int t = 0; t < nv; t++) {
				if (nu == cap) {
					cap *= 2;
					unl = xrealloc(unl, cap * sizeof(int));
				}
				unl[nu++] = s->scratch[t];
				vset(s, s->scratch[t], LAB_NONE);
			}
		}
	}
	for (int i = 0; i < nu; i++)
		push_unlabelled(s, unl[i]);
	free(unl);
	free(onpath);
	freeblossom(s, b);
}

static void
tight_ss(struct bs *s, int e, int v, int w)
{
	if (s->root[s->vx[v].top] != s->root[s->vx[w].top])
		augment(s, e, v, w);
	else
		add_blossom(s, e, v, w);
}

/* S vertex v: label what is tight, improve the h2 summaries of its
 * unlabelled neighbours, push its own h3 summary. */
static void
scan(struct bs *s, int v)
{
	int64_t best = INT64_MAX;
	int be = -1;

	int64_t uv = udual(s, v);	/* D does not move during a scan */

	for (int i = s->adj_off[v]; i < s->adj_off[v + 1]; i++) {
		int w = s->adj_to[i], e;
		int64_t sl;

		if (s->vx[v].lab != LAB_S)
			return;
		if (s->vx[v].top == s->vx[w].top || s->vx[w].lab == LAB_T)
			continue;
		sl = uv + udual(s, w) - s->adj_w2[i];
		e = s->adj[i];
		if (s->vx[w].lab == LAB_NONE) {
			if (sl == 0)
				label_t(s, s->vx[w].top, e, w, v);
			else if (sl + s->D < s->key2[w])
				push2(s, w, e, sl + s->D);
		} else {
			if (sl == 0)
				tight_ss(s, e, v, w);
			else if (sl < best) {
				best = sl;
				be = e;
			}
		}
	}
	if (s->vx[v].lab != LAB_S)
		return;
	if (be >= 0 && (s->vx[s->eu[be] ^ s->ev[be] ^ v].lab != LAB_S ||
	    s->vx[s->eu[be] ^ s->ev[be] ^ v].top == s->vx[v].top ||
	    slack(s, be) != best))
		be = -1;	/* the structure changed during the scan */
	if (be < 0) {
		push_ss(s, v);
		return;
	}
	s->ver3[v] = (s->ver3[v] + 1) & 0x3fffffff;
	heap_push(&s->h3, best + 2 * s->D, be, stamp_of(s, be, v, s->ver3[v]));
}

/* Current summary of a vertex that still needs one (kept by compaction). */
static int
h2_current(const struct bs *s, const struct heap_ent *h)
{
	int w = stamp_vertex(s, h);

	return s->vx[w].lab == LAB_NONE && stamp_ver(h) == s->ver2[w];
}

static int
h3_current(const struct bs *s, const struct heap_ent *h)
{
	int v = stamp_vertex(s, h);

	return s->vx[v].lab == LAB_S && stamp_ver(h) == s->ver3[v];
}

static int
h2_valid(const struct bs *s, const struct heap_ent *h)
{
	int w = stamp_vertex(s, h), x = s->eu[h->item] ^ s->ev[h->item] ^ w;

	return h2_current(s, h) && s->vx[x].lab == LAB_S &&
	    slack(s, h->item) == h->key - s->D;
}

static int
h3_valid(const struct bs *s, const struct heap_ent *h)
{
	int v = stamp_vertex(s, h), x = s->eu[h->item] ^ s->ev[h->item] ^ v;

	return h3_current(s, h) && s->vx[x].lab == LAB_S &&
	    s->vx[x].top != s->vx[v].top && slack(s, h->item) == h->key - 2 * s->D;
}

static int
h4_valid(const struct bs *s, const struct heap_ent *h)
{
	int b = h->item;

	return s->stamp[b] == h->stamp && s->label[b] == LAB_T &&
	    s->parent[b] < 0;
}

typedef int (*valid_fn)(const struct bs *, const struct heap_ent *);

/* Drop every stale entry (when the queue has grown large). */
static void
heap_compact(const struct bs *s, struct heap *h, valid_fn ok)
{
	struct bucket old = h->ov;

	h->inb = h->live = 0;
	for (int i = 0; i < h->nb; i++) {
		struct bucket *b = &h->b[i];
		int k = 0;

		for (int j = 0; j < b->n; j++)
			if (ok(s, &b->a[j]))
				b->a[k++] = b->a[j];
		b->n = k;
		h->inb += k;
	}
	h->live = h->inb;
	memset(&h->ov, 0, sizeof(h->ov));
	for (int j = 0; j < old.n; j++)
		if (ok(s, &old.a[j])) {
			ov_push(&h->ov, &old.a[j]);
			h->live++;
		}
	free(old.a);
	h->kept = h->live;
}

static const struct heap_ent *
heap_top_valid(const struct bs *s, struct heap *h, valid_fn ok, size_t limit,
    int64_t floor)
{
	struct heap_ent *e;

	if (h->live > limit && h->live > 2 * h->kept)
		heap_compact(s, h, ok);
	while ((e = heap_front(h, floor)) != NULL && !ok(s, e))
		heap_pop(h);
	return e;
}

/* Front of h2 or h3 that is tight-and-valid at its key; a current summary
 * that is not is replaced by a fresh one (which may come to the front). */
static const struct heap_ent *
summary_top(struct bs *s, struct heap *h, int which, size_t limit)
{
	struct heap_ent *e;
	valid_fn cur = which == 2 ? h2_current : h3_current;
	valid_fn ok = which == 2 ? h2_valid : h3_valid;
	int64_t floor = which == 2 ? s->D : 2 * s->D;

	if (h->live > limit && h->live > 2 * h->kept)
		heap_compact(s, h, cur);
	while ((e = heap_front(h, floor)) != NULL && !ok(s, e)) {
		int refresh = cur(s, e), v = stamp_vertex(s, e);

		heap_pop(h);
		if (!refresh)
			continue;
		if (which == 2)
			push_unlabelled(s, v);
		else
			push_ss(s, v);
	}
	return e;
}

static void
solve(struct bs *s)
{
	size_t limit = (size_t)s->m + (size_t)s->n + 4096;

	for (;;) {
		const struct heap_ent *t2, *t3, *t4;
		int64_t d = INT64_MAX;
		int type = 0;

		while (s->qn > 0) {
			int v = s->q[s->qh];

			s->qh = (s->qh + 1) % s->n;
			s->qn--;
			s->inq[v] = 0;
			if (s->vx[v].lab == LAB_S)
				scan(s, v);
		}
		t2 = summary_top(s, &s->h2, 2, limit);
		t3 = summary_top(s, &s->h3, 3, limit);
		t4 = heap_top_valid(s, &s->h4, h4_valid, limit, s->D);
		if (t2 != NULL) {
			d = t2->key - s->D;
			type = 2;
		}
		if (t3 != NULL && (t3->key - 2 * s->D) / 2 < d) {
			if ((t3->key - 2 * s->D) & 1)
				fatalx("blossom: odd S-S slack");
			d = (t3->key - 2 * s->D) / 2;
			type = 3;
		}
		if (t4 != NULL && t4->key - s->D < d) {
			d = t4->key - s->D;
			type = 4;
		}
		if (type == 0)
			break;
		if (d < 0)
			fatalx("blossom: negative dual step");
		s->D += d;
		if (type == 2) {
			int e = t2->item, a = s->eu[e], b = s->ev[e];

			heap_pop(&s->h2);
			if (s->vx[a].lab == LAB_S)
				label_t(s, s->vx[b].top, e, b, a);
			else
				label_t(s, s->vx[a].top, e, a, b);
		} else if (type == 3) {
			int e = t3->item, v = stamp_vertex(s, t3);

			heap_pop(&s->h3);
			tight_ss(s, e, s->eu[e], s->ev[e]);
			if (s->vx[v].lab == LAB_S && !s->inq[v])
				push_ss(s, v);
		} else {
			int b = t4->item;

			heap_pop(&s->h4);
			expand_t(s, b);
		}
	}
}

int
blossom_solve(int n, int m, const int *eu, const int *ev, const int64_t *ew,
    int *mate)
{
	return blossom_solve_cert(n, m, eu, ev, ew, mate, NULL, NULL);
}

int
blossom_solve_cert(int n, int m, const int *eu, const int *ev,
    const int64_t *ew, int *mate, int *lab, int *blos)
{
	struct bs s;
	int64_t maxw = 0;
	int pairs = 0;

	if (n <= 0)
		return 0;
	memset(&s, 0, sizeof(s));
	s.n = n;
	s.m = m;
	s.eu = eu;
	s.ev = ev;
	s.ew = ew;
	s.adj_off = xcalloc(n + 1, sizeof(int));
	s.adj = xmalloc((2 * (size_t)m + 1) * sizeof(int));
	s.adj_to = xmalloc((2 * (size_t)m + 1) * sizeof(int));
	s.adj_w2 = xmalloc((2 * (size_t)m + 1) * sizeof(int64_t));
	for (int e = 0; e < m; e++) {
		if (eu[e] == ev[e] || eu[e] < 0 || ev[e] < 0 || eu[e] >= n ||
		    ev[e] >= n)
			fatalx("blossom: bad edge %d", e);
		s.adj_off[eu[e] + 1]++;
		s.adj_off[ev[e] + 1]++;
		if (ew[e] > maxw)
			maxw = ew[e];
	}
	for (int v = 0; v < n; v++)
		s.adj_off[v + 1] += s.adj_off[v];
	{
		int *fill = xmalloc((n + 1) * sizeof(int));

		memcpy(fill, s.adj_off, (n + 1) * sizeof(int));
		for (int e = 0; e < m; e++) {
			int i = fill[eu[e]]++, j = fill[ev[e]]++;

			s.adj[i] = s.adj[j] = e;
			s.adj_to[i] = ev[e];
			s.adj_to[j] = eu[e];
			s.adj_w2[i] = s.adj_w2[j] = 2 * ew[e];
		}
		free(fill);
	}

	s.parent = xmalloc(2 * n * sizeof(int));
	s.base = xmalloc(2 * n * sizeof(int));
	s.label = xcalloc(2 * n, sizeof(int));
	s.root = xmalloc(2 * n * sizeof(int));
	s.stamp = xcalloc(2 * n, sizeof(int));
	s.mark = xcalloc(2 * n, sizeof(int));
	s.lab_e = xmalloc(2 * n * sizeof(int));
	s.lab_in = xmalloc(2 * n * sizeof(int));
	s.lab_out = xmalloc(2 * n * sizeof(int));
	s.z0 = xcalloc(2 * n, sizeof(int64_t));
	s.zt = xcalloc(2 * n, sizeof(int64_t));
	s.cyc = xcalloc(2 * n, sizeof(struct cycle));
	s.freeb = xmalloc(n * sizeof(int));
	s.vx = xcalloc(n, sizeof(*s.vx));
	s.mate_e = xmalloc(n * sizeof(int));
	s.mate = mate;
	s.inq = xcalloc(n, sizeof(int));
	s.seen = xcalloc(n, sizeof(int));
	s.key2 = xmalloc(n * sizeof(int64_t));
	s.ver2 = xcalloc(n, sizeof(int));
	s.ver3 = xcalloc(n, sizeof(int));
	s.q = xmalloc(n * sizeof(int));
	s.tl = xcalloc(n, sizeof(int *));
	s.tln = xcalloc(n, sizeof(int));
	s.tlcap = xcalloc(n, sizeof(int));
	s.scratch = xmalloc(n * sizeof(int));
	s.scratch2 = xmalloc(2 * n * sizeof(int));

	{
		int nb = 1024;

		while (nb < (1 << 20) && nb < 8 * maxw + 64)
			nb *= 2;
		heap_init(&s.h2, nb);
		heap_init(&s.h3, nb);
		heap_init(&s.h4, nb);
	}
	for (int b = 2 * n - 1; b >= n; b--)
		s.freeb[s.nfreeb++] = b;
	for (int b = 0; b < 2 * n; b++) {
		s.parent[b] = -1;
		s.base[b] = b < n ? b : -1;
		s.lab_e[b] = s.lab_in[b] = s.lab_out[b] = -1;
		s.root[b] = -1;
	}
	for (int v = 0; v < n; v++) {
		mate[v] = -1;
		s.mate_e[v] = -1;
		s.key2[v] = INT64_MAX;
		s.vx[v].top = v;
		s.vx[v].u0 = maxw;
		label_blossom(&s, v, LAB_S, v, -1, -1, -1);
	}
	solve(&s);
	for (int v = 0; v < n; v++) {
		if (mate[v] > v)
			pairs++;
		if (lab != NULL)
			lab[v] = s.vx[v].lab == LAB_S ? BLOSSOM_EVEN :
			    s.vx[v].lab == LAB_T ? BLOSSOM_ODD : BLOSSOM_OUT;
		if (blos != NULL)
			blos[v] = s.vx[v].top;
	}

	for (int b = n; b < 2 * n; b++)
		if (s.cyc[b].k)
			freeblossom(&s, b);
	for (int v = 0; v < n; v++)
		free(s.tl[v]);
	heap_free(&s.h2);
	heap_free(&s.h3);
	heap_free(&s.h4);
	free(s.adj_off);
	free(s.adj);
	free(s.adj_to);
	free(s.adj_w2);
	free(s.parent);
	free(s.base);
	free(s.label);
	free(s.root);
	free(s.stamp);
	free(s.mark);
	free(s.lab_e);
	free(s.lab_in);
	free(s.lab_out);
	free(s.z0);
	free(s.zt);
	free(s.cyc);
	free(s.freeb);
	free(s.vx);
	free(s.mate_e);
	free(s.inq);
	free(s.seen);
	free(s.key2);
	free(s.ver2);
	free(s.ver3);
	free(s.q);
	free(s.tl);
	free(s.tln);
	free(s.tlcap);
	free(s.scratch);
	free(s.scratch2);
	return pairs;
}
