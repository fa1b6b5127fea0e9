/*
 * bench_match.c: matching benchmark against LEMON. For each size given on
 * the command line it generates an ILN-like pool with a fixed seed (Zipf over
 * 60 countries, 7 sectors, 3 stages, 1-3 languages, some previous partners,
 * 15% explicit wishes), builds the graph match_run would solve (every allowed
 * pair up to MATCH_FULL_MAX people, else pruned to k=50), times our solver on
 * it, writes it to a file, runs the LEMON program on the same file and prints
 * both side by side. Also times the whole match_run (graph, solve,
 * explanations). Exit status 1 if cardinality or weight differ.
 *
 * usage: bench_match LEMON_BINARY TMPFILE SIZE...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "match.h"
#include "match_blossom.h"
#include "util.h"

#define PRUNE_K 50

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static double
unif(void)
{
	return rnd() / 2147483648.0;
}

/* Index drawn with probability proportional to 1/(i+1)^s. */
static int
zipf(const double *cdf, int n)
{
	double u = unif() * cdf[n - 1];
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct match_pool *
make_pool(int n)
{
	struct match_pool *pool = match_pool_new();
	double ccdf[60], scdf[7];
	int64_t *forb = xcalloc(n, sizeof(int64_t) * 4);
	int *nforb = xcalloc(n, sizeof(int));

	rng_state = 20240601u + (uint64_t)n;
	for (int i = 0; i < 60; i++)
		ccdf[i] = (i ? ccdf[i - 1] : 0) + 1.0 / (i + 1);
	for (int i = 0; i < 7; i++)
		scdf[i] = (i ? scdf[i - 1] : 0) + 1.0 / (i + 1);
	/* previous partners: n/10 random pairs, at most 4 per person */
	for (int i = 0; i < n / 10; i++) {
		int a = rnd() % n, b = rnd() % n;

		if (a == b || nforb[a] == 4 || nforb[b] == 4)
			continue;
		forb[a * 4 + nforb[a]++] = b + 1;
		forb[b * 4 + nforb[b]++] = a + 1;
	}
	for (int i = 0; i < n; i++) {
		struct match_person p;
		int c = zipf(ccdf, 60), nl;

		match_person_init(&p);
		p.id = i + 1;
		p.country[0] = 'A' + c / 26;
		p.country[1] = 'A' + c % 26;
		p.sector = (enum match_sector)zipf(scdf, 7);
		p.stage = (enum match_stage)(rnd() % 3);
		if (unif() < 0.15) {
			p.want_sector.stated = true;
			p.want_sector.mode = (enum match_pref_mode)(rnd() % 2 ?
			    MATCH_PREF_SET : MATCH_PREF_ANY);
			p.want_sector.set = 1u << (rnd() % 7);
		}
		if (unif() < 0.15) {
			p.want_stage.stated = true;
			p.want_stage.mode = (enum match_pref_mode)(rnd() % 4);
			p.want_stage.set = 1u << (rnd() % 3);
		}
		/* home language of the country (15 of them), English often,
		 * sometimes one more */
		nl = 0;
		p.langs[nl++] = 1 + c % 15;
		if (unif() < 0.7)
			p.langs[nl++] = 0;
		if (unif() < 0.2)
			p.langs[nl++] = 1 + rnd() % 15;
		p.nlangs = nl;
		p.ninterests = rnd() % 6;
		for (int k = 0; k < p.ninterests; k++)
			p.interests[k] = rnd() % 40;
		p.nforbidden = nforb[i];
		p.forbidden = &forb[i * 4];
		if (match_pool_add(pool, &p) != 0)
			abort();
	}
	free(forb);
	free(nforb);
	return pool;
}

static long
rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
bench(const char *lemon, const char *tmp, int n)
{
	struct match_pool *pool = make_pool(n);
	struct match_result *r;
	int *eu, *ev, *mate, pairs, rc = 0;
	int64_t *ew, m, weight = 0;
	double t0, t1, t2, t3, t4;
	char cmd[4096], line[512];
	double ls = 0;
	long lrss = 0;
	long long lp = -1, lw = -1;
	FILE *f;

	t0 = now();
	m = match_graph(pool, NULL, PRUNE_K, 0, &eu, &ev, &ew);
	t1 = now();
	mate = xmalloc(n * sizeof(int));
	pairs = getenv("NOSOLVE") ? 0 : blossom_solve(n, (int)m, eu, ev, ew, mate);
	t2 = now();
	for (int64_t i = 0; i < m; i++)
		if (mate[eu[i]] == ev[i])
			weight += ew[i];
	t3 = now();
	r = getenv("NORUN") ? xcalloc(1, sizeof(*r)) : match_run(pool, NULL, PRUNE_K);
	t4 = now();

	f = fopen(tmp, "w");
	if (f == NULL)
		return 1;
	fprintf(f, "%d %lld\n", n, (long long)m);
	for (int64_t i = 0; i < m; i++)
		fprintf(f, "%d %d %lld\n", eu[i], ev[i], (long long)ew[i]);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s %s", lemon, tmp);
	f = popen(cmd, "r");
	if (f == NULL || fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "lemon seconds %lf rss_kb %ld pairs %lld weight %lld",
	    &ls, &lrss, &lp, &lw) != 4)
		rc = 1;
	if (f != NULL)
		pclose(f);
	if (getenv("KEEP") == NULL) remove(tmp);
	printf("n=%-7d m=%-9lld %s build %.3fs | ilnbot solve %.3fs rss %ldMB pairs %d weight %lld"
	    " | lemon solve %.3fs rss %ldMB pairs %lld weight %lld | lemon/ilnbot %.2fx %s\n",
	    n, (long long)m, n > MATCH_FULL_MAX ? "pruned k=50" : "full",
	    t1 - t0, t2 - t1, rss_kb() / 1024, pairs, (long long)weight,
	    ls, lrss / 1024, lp, lw, t2 > t1 ? ls / (t2 - t1) : 0.0,
	    pairs == lp && weight == lw ? "SAME" : "DIFFERENT");
	printf("          match_run total %.3fs: %d pairs, %d unmatched, weight %lld,"
	    " edges %lld, bound %d, proven %d, add-back rounds %d, wishes met %.1f%%\n",
	    t4 - t3, r->totals.pairs, r->totals.unmatched,
	    (long long)r->totals.weight, (long long)r->totals.edges,
	    r->totals.card_bound, r->totals.card_proven, r->totals.addback_rounds,
	    100 * r->totals.wish_share);
	fflush(stdout);
	if (pairs != lp || weight != lw)
		rc = 1;
	match_result_free(r);
	free(eu);
	free(ev);
	free(ew);
	free(mate);
	match_pool_free(pool);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_match LEMON TMPFILE SIZE...\n");
		return 2;
	}
	for (int i = 3; i < argc; i++)
		rc |= bench(argv[1], argv[2], atoi(argv[i]));
	return rc;
}
