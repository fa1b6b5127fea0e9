/* test_match_macro.c: the shared-language rule of the matching with macrolanguages (issue
 * #15 part 4), through match_pool_from_rows as the program builds its pool: a Mandarin
 * speaker and a Chinese speaker can be paired, a Mandarin and a Cantonese speaker cannot,
 * two Chinese speakers still can, and the report counts the languages as people listed
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "match_report.h"
#include "profile.h"
#include "store.h"
#include "util.h"
#include "words.h"

static void
row_set(struct pool_row *r, int64_t id, const char *country, const char *langs)
{
	char email[64];

	memset(r, 0, sizeof(*r));
	snprintf(email, sizeof(email), "p%lld@example.org", (long long)id);
	r->id = id;
	r->email = xstrdup(email);
	r->prof = xcalloc(1, sizeof(*r->prof));
	profile_init(r->prof);
	r->prof->name = xstrdup(email);
	r->prof->country = xstrdup(country);
	r->prof->sector = xstrdup("academic");
	r->prof->workplace = xstrdup("Library");
	r->prof->years = 3;
	r->prof->interests = xstrdup("");
	r->prof->languages = xstrdup(langs);
	r->prof->partner_sector = xstrdup("any");
	r->prof->partner_stage = xstrdup("any");
}

/* Whether pool indices i and j may be paired, from rows[0..n). */
static bool
allowed(const struct pool_row *rows, int n, int i, int j)
{
	struct match_pool *pool = match_pool_from_rows(rows, n);
	bool ok = match_pair_weight(pool, NULL, i, j) >= 0;

	match_pool_free(pool);
	return ok;
}

static void
test_member_and_macrolanguage_share(void **state)
{
	struct pool_row r[5];

	(void)state;
	row_set(&r[0], 1, "CN", "cmn");         /* Mandarin Chinese */
	row_set(&r[1], 2, "SG", "zho,eng");     /* Chinese */
	row_set(&r[2], 3, "HK", "yue");         /* Cantonese */
	row_set(&r[3], 4, "TW", "zho");         /* Chinese */
	row_set(&r[4], 5, "EG", "arz");         /* Egyptian Arabic */
	assert_true(allowed(r, 5, 0, 1));       /* Mandarin with Chinese */
	assert_true(allowed(r, 5, 1, 0));
	assert_true(allowed(r, 5, 2, 3));       /* Cantonese with Chinese */
	assert_true(allowed(r, 5, 1, 3));       /* Chinese with Chinese */
	assert_false(allowed(r, 5, 0, 2));      /* Mandarin and Cantonese are two languages */
	assert_false(allowed(r, 5, 0, 4));
	/* only the two of them: still allowed (the member is in the pool) */
	assert_true(allowed(r, 2, 0, 1));
	for (int i = 0; i < 5; i++)
		pool_row_clear(&r[i]);
}

static void
test_matching_pairs_mandarin_with_chinese(void **state)
{
	struct pool_row r[4];
	struct match_pool *pool;
	struct match_result *res;
	char *why;

	(void)state;
	row_set(&r[0], 1, "CN", "cmn");
	row_set(&r[1], 2, "SG", "zho");
	row_set(&r[2], 3, "NO", "nob");         /* Norwegian Bokmål */
	row_set(&r[3], 4, "SE", "nor,swe");     /* Norwegian */
	pool = match_pool_from_rows(r, 4);
	res = match_run(pool, NULL, 0);
	assert_int_equal(res->npairs, 2);
	assert_int_equal(res->nunmatched, 0);
	for (int k = 0; k < res->npairs; k++) {
		int64_t a = r[res->pairs[k].a].id, b = r[res->pairs[k].b].id;

		assert_true((a == 1 && b == 2) || (a == 3 && b == 4));
		why = match_pair_why(r, &res->pairs[k], NULL);
		assert_non_null(strstr(why, ", 1 shared language,"));
		free(why);
	}
	match_result_free(res);
	match_pool_free(pool);
	for (int i = 0; i < 4; i++)
		pool_row_clear(&r[i]);
}

static void
test_two_chinese_speakers_count_one_language(void **state)
{
	struct pool_row r[3];
	struct match_pool *pool;
	struct match_result *res;
	char *why;

	(void)state;
	row_set(&r[0], 1, "SG", "zho");
	row_set(&r[1], 2, "TW", "zho");
	row_set(&r[2], 3, "CN", "cmn");         /* gives zho its member cmn in this pool */
	pool = match_pool_from_rows(r, 3);
	res = match_run(pool, NULL, 0);
	assert_int_equal(res->npairs, 1);
	why = match_pair_why(r, &res->pairs[0], NULL);
	assert_non_null(strstr(why, ", 1 shared language,"));
	free(why);
	match_result_free(res);
	match_pool_free(pool);
	for (int i = 0; i < 3; i++)
		pool_row_clear(&r[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_and_macrolanguage_share),
		cmocka_unit_test(test_matching_pairs_mandarin_with_chinese),
		cmocka_unit_test(test_two_chinese_speakers_count_one_language),
	};
	char err[512];
	int rc;

	/* the pair reasons are the default set's sentences (run from the top of the checkout) */
	if (words_load("templates", err, sizeof(err)) < 0) {
		fprintf(stderr, "words_load: %s\n", err);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	words_free();
	return rc;
}
