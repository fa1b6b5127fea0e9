/* test_profile.c: the domain model: the stage rule at its edges, the sector list, and a
 * profile through its JSON and back (also from text that is not a profile). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile.h"
#include "util.h"

static void
test_stage_rule(void **state)
{
	static const struct { int years; const char *stage; } cases[] = {
		{ -1, NULL }, { 0, "early" }, { PROFILE_MID_YEARS - 1, "early" },
		{ PROFILE_MID_YEARS, "mid" }, { PROFILE_LATE_YEARS - 1, "mid" },
		{ PROFILE_LATE_YEARS, "late" }, { PROFILE_YEARS_MAX, "late" },
	};

	for (size_t i = 0; i < nitems(cases); i++) {
		const char *s = profile_stage(cases[i].years);

		if (cases[i].stage == NULL)
			assert_null(s);
		else
			assert_string_equal(s, cases[i].stage);
	}
	assert_int_equal(PROFILE_MID_YEARS, 5);
	assert_int_equal(PROFILE_LATE_YEARS, 15);
}

static void
test_sectors(void **state)
{
	assert_int_equal(PROFILE_NSECTORS, 7);
	for (int i = 0; i < PROFILE_NSECTORS; i++)
		assert_int_equal(profile_sector_of(profile_sector_names[i]), i);
	assert_int_equal(profile_sector_of("ACADEMIC"), SECTOR_ACADEMIC);
	assert_int_equal(profile_sector_of("university"), -1);
	assert_int_equal(profile_sector_of(NULL), -1);
}

static void
test_json(void **state)
{
	struct profile a, b;
	char *s;

	profile_init(&a);
	a.name = strdup("Ana \"Pê\" Pereira");
	a.country = strdup("BR");
	a.sector = strdup("academic");
	a.workplace = strdup("USP");
	a.years = 3;
	a.interests = strdup("cataloguing, open access");
	a.languages = strdup("por,eng");
	a.partner_sector = strdup("same");
	a.partner_stage = strdup("different");
	a.digest = 1;
	s = profile_to_json(&a);
	assert_int_equal(profile_from_json(s, &b), 0);
	assert_string_equal(b.name, a.name);
	assert_string_equal(b.languages, "por,eng");
	assert_string_equal(b.about, "");
	assert_int_equal(b.years, 3);
	assert_int_equal(b.digest, 1);
	free(s);
	profile_free(&b);
	assert_int_equal(profile_from_json("[1,2]", &b), -1);
	profile_free(&b);
	assert_int_equal(profile_from_json("not json", &b), -1);
	profile_free(&b);
	profile_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_rule),
		cmocka_unit_test(test_sectors),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
