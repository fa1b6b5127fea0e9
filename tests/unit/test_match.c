/* test_match.c: the matching engine (src/match.c, src/match_blossom.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "match.h"
#include "match_blossom.h"
#include "util.h"

/* ---- raw graphs against brute force ---- */

struct rawcase {
	const char	*name;
	int		 n, m;
	int		 e[16][3];
	int		 want_pairs;
	int64_t		 want_weight;	/* -1: only compare with brute force */
};

static const struct rawcase rawcases[] = {
	{ "empty", 3, 0, { { 0 } }, 0, 0 },
	{ "single edge", 2, 1, { { 0, 1, 7 } }, 1, 7 },
	{ "triangle", 3, 3, { { 0, 1, 1 }, { 1, 2, 2 }, { 0, 2, 3 } }, 1, 3 },
	/* max weight alone would take the middle edge only (10) */
	{ "cardinality first", 4, 3, { { 0, 1, 1 }, { 1, 2, 10 }, { 2, 3, 1 } }, 2, 2 },
	{ "s-blossom", 4, 4, { { 0, 1, 8 }, { 0, 2, 9 }, { 1, 2, 10 }, { 2, 3, 7 } }, 2, 15 },
	{ "t-blossom", 6, 6, { { 0, 1, 9 }, { 0, 2, 8 }, { 1, 2, 10 }, { 0, 3, 5 },
	    { 3, 4, 4 }, { 0, 5, 3 } }, 3, 17 },
	{ "pentagon with tail", 7, 7, { { 0, 1, 5 }, { 1, 2, 5 }, { 2, 3, 5 }, { 3, 4, 5 },
	    { 4, 0, 5 }, { 4, 5, 1 }, { 5, 6, 9 } }, 3, -1 },
	{ "relabel and expand", 8, 8, { { 0, 1, 23 }, { 0, 4, 22 }, { 0, 5, 15 },
	    { 1, 2, 25 }, { 2, 3, 22 }, { 3, 4, 25 }, { 3, 7, 14 }, { 4, 6, 13 } }, 4, -1 },
	{ "nested blossoms", 10, 13, { { 0, 1, 45 }, { 0, 4, 45 }, { 1, 2, 50 },
	    { 2, 3, 45 }, { 3, 4, 50 }, { 0, 5, 30 }, { 2, 8, 35 }, { 3, 7, 35 },
	    { 4, 6, 26 }, { 8, 9, 5 }, { 5, 6, 1 }, { 6, 7, 2 }, { 1, 9, 3 } }, 5, -1 },
	{ "zero weights", 5, 4, { { 0, 1, 0 }, { 1, 2, 0 }, { 2, 3, 0 }, { 3, 4, 0 } }, 2, 0 },
};

/* Best (pairs, weight) over all matchings, by recursion on the lowest free vertex. */
static void
brute(int n, int m, const int *eu, const int *ev, const int64_t *ew,
    unsigned used, int pairs, int64_t w, int *bp, int64_t *bw)
{
	int v = 0;

	if (pairs > *bp || (pairs == *bp && w > *bw)) {
		*bp = pairs;
		*bw = w;
	}
	while (v < n && (used >> v & 1))
		v++;
	if (v == n)
		return;
	brute(n, m, eu, ev, ew, used | 1u << v, pairs, w, bp, bw);
	for (int i = 0; i < m; i++) {
		int o = eu[i] == v ? ev[i] : ev[i] == v ? eu[i] : -1;

		if (o >= 0 && !(used >> o & 1))
			brute(n, m, eu, ev, ew, used | 1u << v | 1u << o,
			    pairs + 1, w + ew[i], bp, bw);
	}
}

static int64_t
solve_check(int n, int m, const int *eu, const int *ev, const int64_t *ew,
    int *pairs)
{
	int mate[32];
	int64_t w = 0;
	int cnt = 0;

	*pairs = blossom_solve(n, m, eu, ev, ew, mate);
	for (int v = 0; v < n; v++)
		if (mate[v] >= 0) {
			assert_int_equal(mate[mate[v]], v);
			cnt++;
		}
	assert_int_equal(cnt, 2 * *pairs);
	for (int i = 0; i < m; i++)
		if (mate[eu[i]] == ev[i])
			w += ew[i];
	return w;
}

static void
test_raw_cases(void **state)
{
	for (size_t c = 0; c < nitems(rawcases); c++) {
		const struct rawcase *rc = &rawcases[c];
		int eu[16], ev[16], pairs, bp = 0;
		int64_t ew[16], w, bw = 0;

		for (int i = 0; i < rc->m; i++) {
			eu[i] = rc->e[i][0];
			ev[i] = rc->e[i][1];
			ew[i] = rc->e[i][2];
		}
		w = solve_check(rc->n, rc->m, eu, ev, ew, &pairs);
		brute(rc->n, rc->m, eu, ev, ew, 0, 0, 0, &bp, &bw);
		if (pairs != rc->want_pairs || pairs != bp || w != bw ||
		    (rc->want_weight >= 0 && w != rc->want_weight))
			fail_msg("%s: got %d/%lld, brute %d/%lld", rc->name, pairs,
			    (long long)w, bp, (long long)bw);
	}
}

static unsigned
lcg(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void
test_raw_random_brute(void **state)
{
	unsigned seed = 42;

	for (int t = 0; t < 400; t++) {
		int n = 1 + lcg(&seed) % 11, m = 0, eu[64], ev[64], pairs, bp = 0;
		int64_t ew[64], w, bw = 0;
		unsigned dens = 1 + lcg(&seed) % 100, wmax = 1 + lcg(&seed) % 20;

		for (int a = 0; a < n; a++)
			for (int b = a + 1; b < n && m < 64; b++)
				if (lcg(&seed) % 100 < dens) {
					eu[m] = a;
					ev[m] = b;
					ew[m++] = lcg(&seed) % wmax;
				}
		w = solve_check(n, m, eu, ev, ew, &pairs);
		brute(n, m, eu, ev, ew, 0, 0, 0, &bp, &bw);
		if (pairs != bp || w != bw)
			fail_msg("random %d: got %d/%lld, brute %d/%lld", t, pairs,
			    (long long)w, bp, (long long)bw);
	}
}

/* ---- pools ---- */

static void
person(struct match_person *p, int64_t id, const char *cc, int sector,
    int stage, int lang)
{
	match_person_init(p);
	p->id = id;
	snprintf(p->country, sizeof(p->country), "%s", cc);
	p->sector = (enum profile_sector)sector;
	p->stage = (enum profile_stage)stage;
	p->nlangs = 1;
	p->langs[0] = lang;
}

static struct match_pool *
random_pool(unsigned seed, int n, int64_t *forb)
{
	struct match_pool *pool = match_pool_new();
	static const char *cc[] = { "AU", "BR", "CA", "DE", "FR", "GH" };

	for (int i = 0; i < n; i++) {
		struct match_person p;

		person(&p, 100 + i, cc[lcg(&seed) % 6], lcg(&seed) % 7,
		    lcg(&seed) % 3, lcg(&seed) % 3);
		if (lcg(&seed) % 3 == 0)
			p.langs[p.nlangs++] = 3;
		if (lcg(&seed) % 7 == 0) {
			p.want_sector.mode = MATCH_PREF_SET;
			p.want_sector.set = 1u << (lcg(&seed) % 7);
			p.want_sector.stated = true;
		}
		if (lcg(&seed) % 7 == 0) {
			p.want_stage.mode = MATCH_PREF_ANY;
			p.want_stage.stated = true;
		}
		p.ninterests = lcg(&seed) % 4;
		for (int k = 0; k < p.ninterests; k++)
			p.interests[k] = lcg(&seed) % 8;
		forb[i] = 100 + (i + 1) % n;	/* previous partner: the next one */
		p.nforbidden = 1;
		p.forbidden = &forb[i];
		assert_int_equal(match_pool_add(pool, &p), 0);
	}
	return pool;
}

static void
test_hard_rules_and_determinism(void **state)
{
	int64_t forb[120];
	struct match_pool *pool = random_pool(7, 120, forb);
	struct match_result *r1 = match_run(pool, NULL, 0);
	struct match_result *r2 = match_run(pool, NULL, 0);

	assert_true(r1->npairs > 40);
	for (int i = 0; i < r1->npairs; i++) {
		const struct match_person *a = match_pool_get(pool, r1->pairs[i].a);
		const struct match_person *b = match_pool_get(pool, r1->pairs[i].b);
		bool forbidden = a->forbidden[0] == b->id || b->forbidden[0] == a->id;

		assert_string_not_equal(a->country, b->country);
		assert_true(r1->pairs[i].nshared_langs > 0);
		assert_false(forbidden);
		assert_int_equal(r1->pairs[i].weight,
		    match_pair_weight(pool, NULL, r1->pairs[i].a, r1->pairs[i].b));
	}
	assert_int_equal(r1->npairs, r2->npairs);
	assert_int_equal(r1->totals.weight, r2->totals.weight);
	assert_memory_equal(r1->pairs, r2->pairs, r1->npairs * sizeof(*r1->pairs));
	assert_int_equal(r1->npairs * 2 + r1->nunmatched, 120);
	assert_true(r1->totals.card_proven);
	match_result_free(r1);
	match_result_free(r2);
	match_pool_free(pool);
}

static void
test_weight_invariant(void **state)
{
	struct match_weights w;
	struct match_pool *pool = match_pool_new();
	struct match_person p;
	int64_t explicit_one, defaults_all;

	match_weights_default(&w);
	assert_true(match_weights_valid(&w));
	w.explicit_met = 4 * w.default_met + w.interest * w.max_interests;
	assert_false(match_weights_valid(&w));
	match_weights_default(&w);

	/* 0-1: every default wish met and 5 shared interests */
	person(&p, 1, "AU", SECTOR_PUBLIC, STAGE_EARLY, 1);
	p.ninterests = 5;
	for (int i = 0; i < 5; i++)
		p.interests[i] = i;
	assert_int_equal(match_pool_add(pool, &p), 0);
	person(&p, 2, "BR", SECTOR_PUBLIC, STAGE_LATE, 1);
	p.ninterests = 5;
	for (int i = 0; i < 5; i++)
		p.interests[i] = i;
	assert_int_equal(match_pool_add(pool, &p), 0);
	/* 2-3: one explicit wish met, nothing else */
	person(&p, 3, "AU", SECTOR_PUBLIC, STAGE_EARLY, 1);
	p.want_sector.mode = MATCH_PREF_SET;
	p.want_sector.set = 1u << SECTOR_SCHOOL;
	p.want_sector.stated = true;
	p.want_stage.mode = MATCH_PREF_SAME;
	assert_int_equal(match_pool_add(pool, &p), 0);
	person(&p, 4, "BR", SECTOR_SCHOOL, STAGE_LATE, 1);
	p.want_stage.mode = MATCH_PREF_SAME;
	assert_int_equal(match_pool_add(pool, &p), 0);

	defaults_all = match_pair_weight(pool, &w, 0, 1);
	explicit_one = match_pair_weight(pool, &w, 2, 3);
	assert_int_equal(defaults_all, 4 * 10 + 5 * 3);
	assert_int_equal(explicit_one, 100);
	assert_true(explicit_one > defaults_all);
	assert_int_equal(match_pair_weight(pool, &w, 0, 2), -1);	/* same country */
	match_pool_free(pool);
}

struct reasoncase {
	const char	*name;
	const char	*cc[3];
	int		 lang[3];
	int		 forbid01;
	int		 who;		/* an unmatched index to check */
	int		 reason;
};

static const struct reasoncase reasoncases[] = {
	{ "one country", { "AU", "AU", NULL }, { 1, 1 }, 0, 0, MATCH_REASON_NO_OTHER_COUNTRY },
	{ "no language", { "AU", "BR", NULL }, { 1, 2 }, 0, 1, MATCH_REASON_NO_SHARED_LANGUAGE },
	{ "previous partner", { "AU", "BR", NULL }, { 1, 1 }, 1, 0, MATCH_REASON_ONLY_PREVIOUS },
	{ "all taken", { "AU", "BR", "BR" }, { 1, 1, 1 }, 0, 2, MATCH_REASON_ALL_TAKEN },
};

static void
test_unmatched_reasons(void **state)
{
	for (size_t c = 0; c < nitems(reasoncases); c++) {
		const struct reasoncase *rc = &reasoncases[c];
		struct match_pool *pool = match_pool_new();
		struct match_result *r;
		struct match_person p;
		int64_t f = 2;
		int found = 0;

		for (int i = 0; i < 3 && rc->cc[i] != NULL; i++) {
			/* person 1 shares the sector of 0; person 2 does not */
			person(&p, i + 1, rc->cc[i], i == 2 ? SECTOR_PUBLIC :
			    SECTOR_ACADEMIC, i == 0 ? STAGE_LATE :
			    STAGE_EARLY, rc->lang[i]);
			if (i == 0 && rc->forbid01) {
				p.nforbidden = 1;
				p.forbidden = &f;
			}
			assert_int_equal(match_pool_add(pool, &p), 0);
		}
		r = match_run(pool, NULL, 0);
		for (int i = 0; i < r->nunmatched; i++)
			if (r->unmatched[i].idx == rc->who) {
				found = 1;
				if ((int)r->unmatched[i].reason != rc->reason)
					fail_msg("%s: reason %d", rc->name,
					    r->unmatched[i].reason);
			}
		if (!found)
			fail_msg("%s: %d not unmatched", rc->name, rc->who);
		if (rc->reason == MATCH_REASON_ALL_TAKEN) {
			/* 2 (public, early, wants public and another stage) vs 0
			 * (academic, late): sector wish unmet, stage wish met */
			const struct match_unmatched *u = &r->unmatched[0];

			assert_int_equal(r->npairs, 1);
			assert_int_equal(r->pairs[0].a, 0);
			assert_int_equal(r->pairs[0].b, 1);
			assert_int_equal(u->nallowed, 1);
			assert_int_equal(u->ncandidates, 0);
			assert_int_equal(u->ncand_stage_any, 0);
			assert_int_equal(u->ncand_sector_any, 1);
			assert_int_equal(r->pairs[0].side[0].sector, MATCH_WISH_MET);
			assert_int_equal(r->pairs[0].side[0].stage, MATCH_WISH_MET);
			assert_false(r->pairs[0].side[0].sector_stated);
			assert_int_equal(r->pairs[0].shared_langs[0], 1);
		}
		match_result_free(r);
		match_pool_free(pool);
	}
}

static void
test_pruned(void **state)
{
	int64_t forb[400];
	struct match_pool *pool = random_pool(99, 400, forb);
	struct match_options o = { .prune_k = 3, .full_max = 50, .compare_full = true };
	struct match_result *full = match_run(pool, NULL, 3);	/* 400 <= 2000: full */
	struct match_result *pr = match_run_opts(pool, NULL, &o);

	assert_false(full->totals.pruned);
	assert_true(pr->totals.pruned);
	assert_true(pr->totals.edges < full->totals.edges);
	assert_true(pr->totals.pairs <= full->totals.pairs);
	assert_true(pr->totals.card_bound >= full->totals.pairs);
	/* the full graph's maximum cardinality is proven, never lost */
	assert_true(pr->totals.card_proven);
	assert_int_equal(pr->totals.pairs, full->totals.pairs);
	assert_int_equal(pr->totals.card_bound, full->totals.pairs);
	if (pr->totals.pairs == full->totals.pairs) {
		assert_int_equal(pr->totals.weight_lost,
		    full->totals.weight - pr->totals.weight);
		assert_true(pr->totals.weight_lost >= 0);
	}
	match_result_free(full);
	match_result_free(pr);
	match_pool_free(pool);
}

static void
test_pool_rejects(void **state)
{
	struct match_pool *pool = match_pool_new();
	struct match_person p;

	person(&p, 1, "AU", 9, 0, 1);
	assert_int_equal(match_pool_add(pool, &p), -1);
	person(&p, 1, "A", 0, 0, 1);
	assert_int_equal(match_pool_add(pool, &p), -1);
	person(&p, 1, "AU", 0, 0, 1);
	p.want_stage.mode = MATCH_PREF_SET;
	p.want_stage.set = 0;
	assert_int_equal(match_pool_add(pool, &p), -1);
	assert_int_equal(match_pool_size(pool), 0);
	assert_int_equal(profile_stage_of(4), STAGE_EARLY);
	assert_int_equal(profile_stage_of(5), STAGE_MID);
	assert_int_equal(profile_stage_of(15), STAGE_LATE);
	match_pool_free(pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_cases),
		cmocka_unit_test(test_raw_random_brute),
		cmocka_unit_test(test_hard_rules_and_determinism),
		cmocka_unit_test(test_weight_invariant),
		cmocka_unit_test(test_unmatched_reasons),
		cmocka_unit_test(test_pruned),
		cmocka_unit_test(test_pool_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
