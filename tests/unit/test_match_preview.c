/* test_match_preview.c: the coordinators' preview and its adjustments, apart from mail
 * (src/match_adjust.c, src/match_preview.c): the adjustments' log replayed, the hard
 * rules of a lock, the matching solved around locks, unpairs and exclusions keeping the
 * untouched pairs, the unmatched grouped with the change that would help, words in
 * place of weights, lines of at most 78 characters, and the CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iso_codes.h"
#include "match_adjust.h"
#include "match_preview.h"
#include "profile.h"
#include "store.h"
#include "util.h"
#include "words.h"

/* A row: id, country, sector, years, languages, partner sector, partner stage. */
static void
row_set(struct pool_row *r, int64_t id, const char *country, const char *sector, int years,
	const char *langs, const char *psec, const char *pstage)
{
	char email[64], name[64];

	memset(r, 0, sizeof(*r));
	snprintf(email, sizeof(email), "p%lld@example.org", (long long)id);
	snprintf(name, sizeof(name), "Person %lld", (long long)id);
	r->id = id;
	r->email = xstrdup(email);
	r->prof = xcalloc(1, sizeof(*r->prof));
	profile_init(r->prof);
	r->prof->name = xstrdup(name);
	r->prof->country = xstrdup(country);
	r->prof->sector = xstrdup(sector);
	r->prof->workplace = xstrdup("Library");
	r->prof->years = years;
	r->prof->interests = xstrdup("cataloguing, outreach");
	r->prof->languages = xstrdup(langs);
	r->prof->about = xstrdup("");
	r->prof->partner_sector = xstrdup(psec);
	r->prof->partner_stage = xstrdup(pstage);
	r->prof->notes = xstrdup("");
}

static void
rows_free(struct pool_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		pool_row_clear(&rows[i]);
}

static bool
has_pair(const struct adjusted *a, const struct pool_row *rows, int64_t x, int64_t y)
{
	for (int k = 0; k < a->r->npairs; k++) {
		int64_t p = rows[a->r->pairs[k].a].id, q = rows[a->r->pairs[k].b].id;

		if ((p == x && q == y) || (p == y && q == x))
			return true;
	}
	return false;
}

static void
test_replay(void **state)
{
	const struct adjust log[] = {
		{ ADJUST_PAIR, 1, 2 },
		{ ADJUST_EXCLUDE, 3, 0 },
		{ ADJUST_PAIR, 2, 4 },          /* replaces the lock of 1 and 2 */
		{ ADJUST_UNPAIR, 5, 6 },
		{ ADJUST_PAIR, 3, 7 },          /* undoes the exclusion of 3 */
		{ ADJUST_UNPAIR, 7, 3 },        /* undoes the lock of 3 and 7 */
		{ ADJUST_PAIR, 5, 6 },          /* undoes the unpair of 5 and 6 */
		{ ADJUST_EXCLUDE, 4, 0 },       /* undoes the lock of 2 and 4 */
		{ ADJUST_PAIR, 8, 8 },          /* ignored */
	};
	struct adjust_set s;

	(void)state;
	adjust_replay(log, (int)nitems(log), &s);
	assert_int_equal(s.nlocks, 1);
	assert_true(s.locks[0].a == 5 && s.locks[0].b == 6);
	assert_int_equal(s.nunpairs, 1);
	assert_true(s.unpairs[0].a == 7 && s.unpairs[0].b == 3);
	assert_int_equal(s.nexcluded, 1);
	assert_true(adjust_is_excluded(&s, 4));
	assert_false(adjust_is_excluded(&s, 3));
	assert_string_equal(adjust_kind_name(ADJUST_UNPAIR), "unpair");
	adjust_set_free(&s);
}

static void
test_refusal(void **state)
{
	struct pool_row rows[4];
	int64_t prev = 4;

	(void)state;
	row_set(&rows[0], 1, "FR", "public", 3, "fra,eng", "same", "different");
	row_set(&rows[1], 2, "FR", "public", 20, "fra", "same", "different");
	row_set(&rows[2], 3, "DE", "public", 20, "deu,fra", "same", "different");
	row_set(&rows[3], 4, "JP", "public", 20, "eng", "same", "different");
	rows[0].previous = xmalloc(sizeof(int64_t));
	rows[0].previous[0] = prev;
	rows[0].nprevious = 1;
	assert_string_equal(adjust_pair_refusal(rows, 0, 0), "round.adjust.refused.self");
	assert_string_equal(adjust_pair_refusal(rows, 0, 1), "round.adjust.refused.same_country");
	assert_string_equal(adjust_pair_refusal(rows, 1, 3), "round.adjust.refused.no_language");
	assert_string_equal(adjust_pair_refusal(rows, 0, 3), "round.adjust.refused.previous");
	assert_null(adjust_pair_refusal(rows, 1, 2));
	assert_null(adjust_pair_refusal(rows, 0, 2));
	rows_free(rows, 4);
}

/* Eight people of four countries, all speaking English. */
static int
pool8(struct pool_row *rows)
{
	static const char *const cty[] = { "FR", "DE", "JP", "KE", "FR", "DE", "JP", "KE" };

	for (int i = 0; i < 8; i++)
		row_set(&rows[i], i + 1, cty[i], "public", i < 4 ? 2 : 20, "eng", "same",
			"different");
	return 8;
}

static void
test_adjusted_run(void **state)
{
	struct pool_row rows[8];
	int n = pool8(rows);
	struct match_options o = { 0 };
	struct adjust_set none = { 0 }, s;
	struct adjusted plain, adj;
	struct adjust log[3];
	struct adjust prev[8];
	int nprev = 0;

	(void)state;
	assert_int_equal(match_run_adjusted(rows, n, &none, NULL, 0, NULL, &o, &plain), 0);
	assert_int_equal(plain.r->npairs, 4);
	for (int k = 0; k < plain.r->npairs; k++)
		prev[nprev++] = (struct adjust){ ADJUST_PAIR, rows[plain.r->pairs[k].a].id,
						 rows[plain.r->pairs[k].b].id };
	/* lock 1 (FR early) with 2 (DE early): a worse pair, kept as asked; exclude 8 */
	log[0] = (struct adjust){ ADJUST_PAIR, 1, 2 };
	log[1] = (struct adjust){ ADJUST_EXCLUDE, 8, 0 };
	adjust_replay(log, 2, &s);
	assert_int_equal(match_run_adjusted(rows, n, &s, prev, nprev, NULL, &o, &adj), 0);
	assert_true(has_pair(&adj, rows, 1, 2));
	assert_int_equal(adj.nlocked, 1);
	assert_int_equal(adj.nexcluded, 1);
	assert_int_equal(rows[adj.excluded[0]].id, 8);
	assert_int_equal(adj.r->npairs + adj.r->nunmatched, 3 + 1);
	assert_int_equal(adj.r->totals.people, 7);
	for (int k = 0; k < adj.r->npairs; k++) {
		assert_true(rows[adj.r->pairs[k].a].id != 8 && rows[adj.r->pairs[k].b].id != 8);
		assert_int_equal(adj.locked[k], rows[adj.r->pairs[k].a].id == 1 &&
				 rows[adj.r->pairs[k].b].id == 2);
	}
	adjusted_free(&adj);
	adjust_set_free(&s);

	/* unpair a pair of the plain proposal: never proposed again, the others kept */
	log[0] = (struct adjust){ ADJUST_UNPAIR, prev[0].a, prev[0].b };
	adjust_replay(log, 1, &s);
	assert_int_equal(match_run_adjusted(rows, n, &s, prev, nprev, NULL, &o, &adj), 0);
	assert_false(has_pair(&adj, rows, prev[0].a, prev[0].b));
	assert_int_equal(adj.r->npairs, 4);
	adjusted_free(&adj);
	adjust_set_free(&s);
	adjusted_free(&plain);
	rows_free(rows, n);
}

/* Among equally good matchings the previous proposal's pairs stay. */
static void
test_keep_ties(void **state)
{
	struct pool_row rows[4];
	struct match_options o = { 0 };
	struct adjust_set none = { 0 };
	struct adjusted a;
	struct adjust prev[2];

	(void)state;
	/* FR, DE, JP, KE all alike: three perfect matchings of equal weight */
	row_set(&rows[0], 1, "FR", "public", 2, "eng", "any", "any");
	row_set(&rows[1], 2, "DE", "public", 2, "eng", "any", "any");
	row_set(&rows[2], 3, "JP", "public", 2, "eng", "any", "any");
	row_set(&rows[3], 4, "KE", "public", 2, "eng", "any", "any");
	for (int t = 0; t < 3; t++) {
		int64_t x = t == 0 ? 2 : t == 1 ? 3 : 4;

		prev[0] = (struct adjust){ ADJUST_PAIR, 1, x };
		prev[1] = (struct adjust){ ADJUST_PAIR, x == 2 ? 3 : 2, x == 4 ? 3 : 4 };
		assert_int_equal(match_run_adjusted(rows, 4, &none, prev, 2, NULL, &o, &a), 0);
		assert_true(has_pair(&a, rows, 1, x));
		assert_true(has_pair(&a, rows, prev[1].a, prev[1].b));
		adjusted_free(&a);
	}
	rows_free(rows, 4);
}

static void
test_wrap(void **state)
{
	struct buf b;
	const char *text = "Ñame Ñame Ñame Ñame Ñame Ñame Ñame Ñame Ñame Ñame Ñame Ñame Ñame "
			   "Ñame Ñame averyveryveryveryveryveryveryveryveryveryveryveryveryvery"
			   "veryveryveryverylongword@example.org end";
	int lines = 0;

	(void)state;
	buf_init(&b, 0);
	preview_wrap(&b, text, 2, 4, PREVIEW_WIDTH);
	for (const char *l = b.data; *l;) {
		size_t n = strcspn(l, "\n");
		int chars = 0;

		for (size_t i = 0; i < n; i++)
			chars += ((unsigned char)l[i] & 0xc0) != 0x80;
		assert_true(chars <= PREVIEW_WIDTH);
		assert_true(n > 0);
		lines++;
		l += n + (l[n] == '\n');
	}
	assert_true(lines >= 3);
	assert_non_null(strstr(b.data, "  Ñame"));
	buf_free(&b);
}

/* 5 French-only, 2 French-and-English (one matched with the Japanese), 1 Quechua. */
static void
test_groups_and_text(void **state)
{
	struct pool_row rows[10];
	struct match_options o = { 0 };
	struct adjust_set none = { 0 };
	struct adjusted a;
	struct preview_group *g;
	char *adv, *text, *csv, *words;
	int ng, n = 0;

	(void)state;
	for (int i = 0; i < 5; i++, n++)
		row_set(&rows[n], n + 1, i < 4 ? "FR" : "BE", "public", 3, "fra", "same",
			"different");
	row_set(&rows[n], n + 1, "FR", "public", 3, "fra,eng", "academic", "different"), n++;
	row_set(&rows[n], n + 1, "JP", "public", 20, "eng,jpn", "same", "different"), n++;
	row_set(&rows[n], n + 1, "PE", "special", 3, "que", "same", "different"), n++;
	assert_int_equal(match_run_adjusted(rows, n, &none, NULL, 0, NULL, &o, &a), 0);
	{
		struct preview pv = { "2026A", 3, 0, rows, n, &a, "coord@example.org locked "
				      "p1@example.org and p2@example.org together", NULL };

		ng = match_preview_groups(&pv, &g);
		assert_int_equal(ng, 2);
		/* the Belgian French speaker shares French with the French: all taken */
		assert_int_equal(g[0].count, 3);
		assert_int_equal(g[0].reason, MATCH_REASON_ALL_TAKEN);
		assert_string_equal(g[0].langs, "fra");
		assert_int_equal(g[0].speakers_matched, 3);
		adv = preview_group_advice(&g[0], NULL);
		assert_string_equal(adv, "3 speak French and every possible partner got someone "
				    "else: 3 French speakers are already matched; recruiting "
				    "more French speakers would help");
		free(adv);
		assert_int_equal(g[1].count, 1);
		assert_int_equal(g[1].reason, MATCH_REASON_NO_SHARED_LANGUAGE);
		assert_string_equal(g[1].countries[0].code, "PE");
		adv = preview_group_advice(&g[1], NULL);
		assert_string_equal(adv, "1 speaks only Quechua: 0 Quechua speakers are already "
				    "matched; recruiting Quechua speakers or asking them to add "
				    "a language would help");
		free(adv);
		preview_groups_free(g, ng);

		text = match_preview_text(&pv);
		assert_non_null(strstr(text, "Proposal 3 for round 2026A"));
		assert_non_null(strstr(text, "Changes since the last proposal"));
		assert_non_null(strstr(text, "explicit wish not met (Partner sector: academic)"));
		assert_null(strstr(text, "weight"));
		assert_true(strstr(text, "Totals") < strstr(text, "Unmatched ("));
		for (const char *l = text; *l;) {
			size_t k = strcspn(l, "\n");
			int chars = 0;

			for (size_t i = 0; i < k; i++)
				chars += ((unsigned char)l[i] & 0xc0) != 0x80;
			assert_true(chars <= PREVIEW_WIDTH);
			l += k + (l[k] == '\n');
		}
		free(text);
		words = preview_pair_words(rows, &a.r->pairs[0], NULL);
		assert_non_null(strstr(words, "shared interest"));
		free(words);

		csv = match_preview_csv(&pv);
		assert_memory_equal(csv, "\xEF\xBB\xBF" "proposal,kind,", 17);
		assert_non_null(strstr(csv, "\"3\",\"pair\",\"Person 6\",\"p6@example.org\","
				       "\"France\",\"public\",\"early\",\"Person 7\","
				       "\"p7@example.org\",\"Japan\",\"public\",\"late\","
				       "\"English\""));
		assert_non_null(strstr(csv, "\"unmatched\",\"Person 8\""));
		free(csv);
	}
	adjusted_free(&a);
	rows_free(rows, n);
}

static void
test_csv_field(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	preview_csv_field(&b, "=cmd()", 0);
	preview_csv_field(&b, "say \"hi\"", 1);
	assert_string_equal(b.data, "\"'=cmd()\",\"say \"\"hi\"\"\"\r\n");
	buf_free(&b);
}

int
main(void)
{
	char err[256];
	int rc;

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_adjusted_run),
		cmocka_unit_test(test_keep_ties),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_groups_and_text),
		cmocka_unit_test(test_csv_field),
	};

	if (iso_codes_load(NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "iso_codes_load: %s\n", err);
		return 1;
	}
	/* the sentences are the default set's (run from the top of the checkout) */
	if (words_load("templates", err, sizeof(err)) < 0) {
		fprintf(stderr, "words_load: %s\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	words_free();
	iso_codes_free();
	return rc;
}
