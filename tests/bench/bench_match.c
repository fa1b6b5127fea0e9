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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "match.h"
#include "match_blossom.h"
#include "match_report.h"
#include "store.h"
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
		p.sector = (enum profile_sector)zipf(scdf, 7);
		p.stage = (enum profile_stage)(rnd() % 3);
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

/* Run argv with stdout to out (or /dev/null); wall seconds, peak RSS in kB. */
static int
run_child(char *const argv[], const char *out, double *secs, long *rss_kb)
{
	struct rusage ru;
	double t0 = now();
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (freopen(out ? out : "/dev/null", "w", stdout) == NULL)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0)
		return -1;
	*secs = now() - t0;
	*rss_kb = ru.ru_maxrss;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int
write_graph(const char *path, int n, int64_t m, const int *eu, const int *ev,
    const int64_t *ew)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "%d %lld\n", n, (long long)m);
	for (int64_t i = 0; i < m; i++)
		fprintf(f, "%d %d %lld\n", eu[i], ev[i], (long long)ew[i]);
	return fclose(f);
}

/* Run one solver program on the graph file; parses its one line. */
static int
run_solver(const char *prog, const char *graph, const char *out, double *secs,
    long *rss, long long *pairs, long long *weight)
{
	char *argv[] = { (char *)prog, (char *)graph, NULL, NULL };
	char line[512], name[32];
	double wall;
	FILE *f;
	int rc = -1;

	if (strstr(prog, "bench_match") != NULL) {	/* ourselves: --solve */
		argv[1] = "--solve";
		argv[2] = (char *)graph;
	}
	if (run_child(argv, out, &wall, rss) < 0 || (f = fopen(out, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL &&
	    sscanf(line, "%31s seconds %lf rss_kb %*d pairs %lld weight %lld",
	    name, secs, pairs, weight) == 4)
		rc = 0;
	fclose(f);
	return rc;
}

static int
bench(const char *self, const char *lemon, const char *tmp, int n)
{
	struct match_pool *pool = make_pool(n);
	struct match_result *r;
	int *eu, *ev, rc = 0;
	int64_t *ew, m;
	double t0, t1, t3, t4, os = 0, ls = 0;
	char out[4096];
	long orss = 0, lrss = 0;
	long long op = -1, ow = -1, lp = -1, lw = -2;

	t0 = now();
	m = match_graph(pool, NULL, PRUNE_K, 0, &eu, &ev, &ew);
	t1 = now();
	snprintf(out, sizeof(out), "%s.out", tmp);
	if (write_graph(tmp, n, m, eu, ev, ew) != 0 ||
	    run_solver(self, tmp, out, &os, &orss, &op, &ow) != 0 ||
	    run_solver(lemon, tmp, out, &ls, &lrss, &lp, &lw) != 0)
		rc = 1;
	if (getenv("KEEP") == NULL)
		remove(tmp);
	remove(out);
	printf("n=%-7d m=%-9lld %s (graph built in %.2fs)\n", n, (long long)m,
	    n > MATCH_FULL_MAX ? "pruned k=50" : "every allowed pair", t1 - t0);
	printf("  solve   ilnbot %8.3fs %5ldMB  pairs %lld weight %lld\n",
	    os, orss / 1024, op, ow);
	printf("  solve   LEMON  %8.3fs %5ldMB  pairs %lld weight %lld\n",
	    ls, lrss / 1024, lp, lw);
	printf("  LEMON/ilnbot time %.2fx memory %.2fx  %s\n",
	    os > 0 ? ls / os : 0.0, orss > 0 ? (double)lrss / orss : 0.0,
	    op == lp && ow == lw ? "SAME" : "DIFFERENT");
	fflush(stdout);
	t3 = now();
	r = match_run(pool, NULL, PRUNE_K);
	t4 = now();
	printf("  match_run total %.3fs: %d pairs, %d unmatched, weight %lld,"
	    " edges %lld, proven %s, add-back rounds %d, wishes met %.1f%%\n",
	    t4 - t3, r->totals.pairs, r->totals.unmatched,
	    (long long)r->totals.weight, (long long)r->totals.edges,
	    r->totals.card_proven ? "yes" : "no", r->totals.addback_rounds,
	    100 * r->totals.wish_share);
	fflush(stdout);
	if (op != lp || ow != lw)
		rc = 1;
	match_result_free(r);
	free(eu);
	free(ev);
	free(ew);
	match_pool_free(pool);
	return rc;
}

/* --solve FILE: read a graph like lemon_match does, solve, print one line. */
static int
solve_file(const char *path)
{
	FILE *f = fopen(path, "r");
	long long n, m, a, b, w, total = 0;
	int *eu, *ev, *mate, pairs;
	int64_t *ew;
	double t0, t1;

	if (f == NULL || fscanf(f, "%lld %lld", &n, &m) != 2 || n < 0 ||
	    n > MATCH_MAX_PEOPLE || m < 0 || m > INT32_MAX)
		return 1;
	eu = xmalloc((m + 1) * sizeof(int));
	ev = xmalloc((m + 1) * sizeof(int));
	ew = xmalloc((m + 1) * sizeof(int64_t));
	mate = xmalloc((n + 1) * sizeof(int));
	for (long long i = 0; i < m; i++) {
		if (fscanf(f, "%lld %lld %lld", &a, &b, &w) != 3)
			return 1;
		eu[i] = (int)a;
		ev[i] = (int)b;
		ew[i] = w;
	}
	fclose(f);
	t0 = now();
	pairs = blossom_solve((int)n, (int)m, eu, ev, ew, mate);
	t1 = now();
	for (long long i = 0; i < m; i++)
		if (mate[eu[i]] == ev[i])
			total += ew[i];
	printf("ilnbot seconds %.3f rss_kb %ld pairs %d weight %lld\n", t1 - t0,
	    rss_kb(), pairs, total);
	free(eu);
	free(ev);
	free(ew);
	free(mate);
	return 0;
}

static const char *const sectors[] = { "public", "academic", "school",
	"special", "national", "government", "other" };
static const char *const stages[] = { "early", "mid", "late" };

/* Fill the store at db (schema made by ilnbot) with make_pool(n) as text,
 * and an open round; then write the graph ilnbot will solve to graph. */
static int
fill_store(const char *db, const char *graph, int n, int64_t t)
{
	struct match_pool *pool = make_pool(n);
	sqlite3 *s = NULL;
	sqlite3_stmt *st = NULL;
	struct store *sto;
	struct pool_row *rows = NULL;
	struct match_pool *p2;
	char err[256];
	int rc = -1, nrows, *eu, *ev;
	int64_t *ew, m;

	if (sqlite3_open(db, &s) != SQLITE_OK ||
	    sqlite3_exec(s, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s, "INSERT INTO participants (email, name, country, "
	    "sector, workplace, years, interests, languages, about, partner_sector, "
	    "partner_stage, notes, agreed_at, created_at, updated_at) VALUES "
	    "(?, ?, ?, ?, 'Library', ?, ?, ?, '', ?, ?, '', ?, ?, ?)", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	for (int i = 0; i < n; i++) {
		const struct match_person *p = match_pool_get(pool, i);
		char email[64], name[64], ints[512] = "", langs[256] = "";
		char ps[32] = "", pt[32] = "";
		static const int years[] = { 2, 10, 20 };

		snprintf(email, sizeof(email), "p%d@example.org", i);
		snprintf(name, sizeof(name), "Person %d", i);
		for (int k = 0; k < p->ninterests; k++)
			snprintf(ints + strlen(ints), sizeof(ints) - strlen(ints),
			    "%si%d", k ? ", " : "", p->interests[k]);
		for (int k = 0; k < p->nlangs; k++)
			snprintf(langs + strlen(langs), sizeof(langs) - strlen(langs),
			    "%sL%d", k ? ", " : "", p->langs[k]);
		if (p->want_sector.mode == MATCH_PREF_ANY)
			snprintf(ps, sizeof(ps), "any");
		else if (p->want_sector.mode == MATCH_PREF_SET)
			snprintf(ps, sizeof(ps), "%s",
			    sectors[__builtin_ctz(p->want_sector.set)]);
		if (p->want_stage.mode == MATCH_PREF_ANY)
			snprintf(pt, sizeof(pt), "any");
		else if (p->want_stage.mode == MATCH_PREF_SAME)
			snprintf(pt, sizeof(pt), "same");
		else if (p->want_stage.mode == MATCH_PREF_SET)
			snprintf(pt, sizeof(pt), "%s",
			    stages[__builtin_ctz(p->want_stage.set)]);
		sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, p->country, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, sectors[p->sector], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, years[p->stage]);
		sqlite3_bind_text(st, 6, ints, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 7, langs, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 8, ps, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 9, pt, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 10, t - 86400 * 10);
		sqlite3_bind_int64(st, 11, t - 86400 * 10);
		sqlite3_bind_int64(st, 12, t - 86400 * 10);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		sqlite3_reset(st);
	}
	{
		char *sql = xasprintf("INSERT INTO rounds (name, signup_closes, starts,"
		    " ends, months, created_at) VALUES ('bench', %lld, %lld, %lld, 4,"
		    " %lld)", (long long)t + 86400, (long long)t + 86400 * 5,
		    (long long)t + 86400 * 125, (long long)t - 86400);
		int ok = sqlite3_exec(s, sql, NULL, NULL, NULL) == SQLITE_OK;

		free(sql);
		if (!ok || sqlite3_exec(s, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			goto out;
	}
	/* the graph ilnbot will build from these rows */
	if ((sto = store_open(db, err, sizeof(err))) == NULL)
		goto out;
	nrows = store_pool_list(sto, &rows);
	if (nrows == n) {
		p2 = match_pool_from_rows(rows, nrows);
		m = match_graph(p2, NULL, PRUNE_K, 0, &eu, &ev, &ew);
		rc = write_graph(graph, n, m, eu, ev, ew);
		free(eu);
		free(ev);
		free(ew);
		match_pool_free(p2);
	}
	for (int i = 0; i < nrows; i++)
		pool_row_clear(&rows[i]);
	free(rows);
	store_close(sto);
out:
	sqlite3_finalize(st);
	sqlite3_close(s);
	match_pool_free(pool);
	return rc;
}

/* The whole ilnbot match --dry-run process on a store of n people against
 * the whole LEMON process reading the same graph from a file. */
static int
bench_process(const char *self, const char *ilnbot, const char *lemon,
    const char *tmp, int n)
{
	char dir[4096], conf[4200], db[4200], graph[4200], out[4200], cwd[2048];
	char *targv[] = { (char *)ilnbot, "match", "--dry-run", "-c", conf,
	    "--now", "2026-03-11T09:00:00Z", NULL };
	double is = 0, ls = 0, lsolve = 0;
	long irss = 0, lrss = 0;
	long long lp = -1, lw = -1;
	int rc = 1, ip = -1, iu = -1;
	FILE *f;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s.d", tmp);
	snprintf(conf, sizeof(conf), "%s/ilnbot.conf", dir);
	snprintf(db, sizeof(db), "%s/var/ilnbot.db", dir);
	snprintf(graph, sizeof(graph), "%s/graph.txt", dir);
	snprintf(out, sizeof(out), "%s/out.txt", dir);
	mkdir(dir, 0700);
	snprintf(db, sizeof(db), "%s/var", dir);
	mkdir(db, 0700);
	snprintf(db, sizeof(db), "%s/var/ilnbot.db", dir);
	remove(db);
	if ((f = fopen(conf, "w")) == NULL)
		return 1;
	fprintf(f, "[network]\nname = Bench Network\naddress = bot@example.org\n"
	    "coordinators = coord@example.org\ntrusted_authserv_id = mx.example.org\n"
	    "default_language = English\n\n[store]\npath = var/ilnbot.db\n\n"
	    "[inbound]\ntransport = maildir\nmaildir = var/inbox\n\n"
	    "[outbound]\ntransport = maildir\nmaildir = var/outbox\n\n"
	    "[program]\ntemplates = %s/templates\n", cwd);
	fclose(f);
	/* the first run makes the schema (and fails: no round yet) */
	run_child(targv, out, &is, &irss);
	if (fill_store(db, graph, n, 1773219600) != 0) {
		fprintf(stderr, "bench: could not fill %s\n", db);
		return 1;
	}
	if (run_child(targv, out, &is, &irss) == 0 && (f = fopen(out, "r")) != NULL) {
		char line[8192];

		while (fgets(line, sizeof(line), f) != NULL)
			sscanf(line, "pairs: %d unmatched: %d", &ip, &iu);
		fclose(f);
	}
	{
		char *largv[] = { (char *)lemon, graph, NULL };

		if (run_child(largv, out, &ls, &lrss) == 0 &&
		    (f = fopen(out, "r")) != NULL) {
			if (fscanf(f, "lemon seconds %lf rss_kb %*d pairs %lld weight %lld",
			    &lsolve, &lp, &lw) == 3)
				rc = 0;
			fclose(f);
		}
	}
	(void)self;
	printf("whole process, n=%d: ilnbot match --dry-run %.3fs %ldMB (%d pairs,"
	    " %d unmatched) | LEMON process %.3fs %ldMB (solve %.3fs, %lld pairs)"
	    " | LEMON/ilnbot time %.2fx %s\n", n, is, irss / 1024, ip, iu, ls,
	    lrss / 1024, lsolve, lp, is > 0 ? ls / is : 0.0,
	    ip == lp ? "SAME" : "DIFFERENT");
	if (ip != lp)
		rc = 1;
	if (getenv("KEEP") == NULL) {
		remove(graph);
		remove(out);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	int rc = 0;

	if (argc == 3 && strcmp(argv[1], "--solve") == 0)
		return solve_file(argv[2]);
	if (argc >= 6 && strcmp(argv[1], "--process") == 0)
		return bench_process(argv[0], argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc < 4) {
		fprintf(stderr, "usage: bench_match LEMON TMPFILE SIZE...\n"
		    "       bench_match --process ILNBOT LEMON TMPFILE SIZE\n"
		    "       bench_match --solve GRAPHFILE\n");
		return 2;
	}
	for (int i = 3; i < argc; i++)
		rc |= bench(argv[0], argv[1], argv[2], atoi(argv[i]));
	return rc;
}
