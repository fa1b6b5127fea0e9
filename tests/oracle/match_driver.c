/*
 * match_driver.c: reads a raw graph or a pool on stdin, runs the matching
 * engine and prints the result, for tests/oracle/oracle.py.
 *
 *   graph N M            then M lines "u v w"
 *   pool N K FULLMAX     then N lines:
 *     id CC sector stage smode sset sstated tmode tset tstated
 *        NL langs... NI interests... NF forbidden-ids...
 *
 * Output: "pairs P", "weight W", then "pair a b w" lines and, for pools,
 * "unmatched idx reason nallowed ncand nstage_any nsector_any" lines and
 * "bound B proven 0|1".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "match_blossom.h"
#include "util.h"

#define MAX_N 1000000
#define MAX_M 50000000

static int
read_int(long long *v)
{
	return scanf("%lld", v) == 1 ? 0 : -1;
}

static int
run_graph(void)
{
	long long n, m, w;
	int *eu = NULL, *ev = NULL, *mate = NULL, pairs, rc = 1;
	int64_t *ew = NULL, total = 0;

	if (read_int(&n) || read_int(&m) || n < 0 || n > MAX_N || m < 0 || m > MAX_M)
		goto out;
	eu = xmalloc((m + 1) * sizeof(int));
	ev = xmalloc((m + 1) * sizeof(int));
	ew = xmalloc((m + 1) * sizeof(int64_t));
	mate = xmalloc((n + 1) * sizeof(int));
	for (long long i = 0; i < m; i++) {
		long long a, b;

		if (read_int(&a) || read_int(&b) || read_int(&w) || a < 0 ||
		    b < 0 || a >= n || b >= n || a == b)
			goto out;
		eu[i] = (int)a;
		ev[i] = (int)b;
		ew[i] = w;
	}
	pairs = blossom_solve((int)n, (int)m, eu, ev, ew, mate);
	for (long long i = 0; i < m; i++)
		if (mate[eu[i]] == ev[i])
			total += ew[i];
	printf("pairs %d\nweight %lld\n", pairs, (long long)total);
	for (long long i = 0; i < m; i++)
		if (mate[eu[i]] == ev[i])
			printf("pair %d %d %lld\n", eu[i], ev[i], (long long)ew[i]);
	rc = 0;
out:
	free(eu);
	free(ev);
	free(ew);
	free(mate);
	return rc;
}

static int
read_person(struct match_person *p, int64_t *forb)
{
	long long v[10], k, x;
	char cc[8];

	match_person_init(p);
	if (read_int(&v[0]) || scanf("%7s", cc) != 1 || strlen(cc) != 2)
		return -1;
	for (int i = 2; i < 10; i++)
		if (read_int(&v[i]))
			return -1;
	p->id = v[0];
	memcpy(p->country, cc, 3);
	p->sector = (enum profile_sector)v[2];
	p->stage = (enum profile_stage)v[3];
	p->want_sector.mode = (enum match_pref_mode)v[4];
	p->want_sector.set = (unsigned)v[5];
	p->want_sector.stated = v[6] != 0;
	p->want_stage.mode = (enum match_pref_mode)v[7];
	p->want_stage.set = (unsigned)v[8];
	p->want_stage.stated = v[9] != 0;
	if (read_int(&k) || k < 0 || k > MATCH_MAX_LANGS)
		return -1;
	p->nlangs = (int)k;
	for (int i = 0; i < p->nlangs; i++) {
		if (read_int(&x))
			return -1;
		p->langs[i] = (int)x;
	}
	if (read_int(&k) || k < 0 || k > MATCH_MAX_INTERESTS)
		return -1;
	p->ninterests = (int)k;
	for (int i = 0; i < p->ninterests; i++) {
		if (read_int(&x))
			return -1;
		p->interests[i] = (int)x;
	}
	if (read_int(&k) || k < 0 || k > MATCH_MAX_FORBIDDEN)
		return -1;
	p->nforbidden = (int)k;
	for (int i = 0; i < p->nforbidden; i++) {
		if (read_int(&x))
			return -1;
		forb[i] = x;
	}
	p->forbidden = forb;
	return 0;
}

static int
run_pool(void)
{
	struct match_pool *pool = match_pool_new();
	struct match_result *r = NULL;
	struct match_options o = { 0 };
	int64_t forb[MATCH_MAX_FORBIDDEN];
	long long n, k, fm;
	int rc = 1;

	if (read_int(&n) || read_int(&k) || read_int(&fm) || n < 0 || n > MAX_N)
		goto out;
	for (long long i = 0; i < n; i++) {
		struct match_person p;

		if (read_person(&p, forb) || match_pool_add(pool, &p) != 0)
			goto out;
	}
	o.prune_k = (int)k;
	o.full_max = (int)fm;
	r = match_run_opts(pool, NULL, &o);
	printf("pairs %d\nweight %lld\n", r->totals.pairs,
	    (long long)r->totals.weight);
	for (int i = 0; i < r->npairs; i++)
		printf("pair %d %d %lld\n", r->pairs[i].a, r->pairs[i].b,
		    (long long)r->pairs[i].weight);
	for (int i = 0; i < r->nunmatched; i++) {
		struct match_unmatched *u = &r->unmatched[i];

		printf("unmatched %d %d %d %d %d %d\n", u->idx, (int)u->reason,
		    u->nallowed, u->ncandidates, u->ncand_stage_any,
		    u->ncand_sector_any);
	}
	printf("bound %d proven %d\n", r->totals.card_bound,
	    r->totals.card_proven ? 1 : 0);
	rc = 0;
out:
	match_result_free(r);
	match_pool_free(pool);
	return rc;
}

int
main(void)
{
	char kind[16];
	int rc;

	if (scanf("%15s", kind) != 1)
		return 2;
	if (strcmp(kind, "graph") == 0)
		rc = run_graph();
	else if (strcmp(kind, "pool") == 0)
		rc = run_pool();
	else
		rc = 2;
	if (rc != 0)
		fprintf(stderr, "match_driver: bad input\n");
	return rc;
}
