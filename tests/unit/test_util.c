/* test_util.c: capped buffers, UTF-8 validation, time parsing and formatting, tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void
test_buf_cap(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "1234"), 0);
	assert_int_equal(buf_adds(&b, "5678"), 0);
	assert_int_equal(buf_addc(&b, '9'), -1);
	assert_true(b.overflow);
	assert_string_equal(b.data, "12345678");
	buf_free(&b);
}

static void
test_utf8(void **state)
{
	static const struct { const char *s; int valid; } cases[] = {
		{ "plain", 1 }, { "S\xc3\xa3o Paulo", 1 }, { "\xe2\x9c\x93", 1 },
		{ "\xf0\x9f\x98\x80", 1 }, { "\xc3", 0 }, { "\xc0\xaf", 0 },
		{ "\xed\xa0\x80", 0 }, { "\xf4\x90\x80\x80", 0 }, { "\xff", 0 },
		{ "\xe0\x80\xaf", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = utf8_sanitize(cases[i].s, strlen(cases[i].s));

		assert_int_equal(utf8_valid(cases[i].s, strlen(cases[i].s)), cases[i].valid);
		assert_true(utf8_valid(s, strlen(s)));
		free(s);
	}
}

static void
test_time(void **state)
{
	static const struct { const char *in; int ok; int64_t want; } cases[] = {
		{ "1970-01-01", 1, 0 },
		{ "2026-03-02T10:00:00Z", 1, 1772445600 },
		{ "2026-03-02T10:00Z", 1, 1772445600 },
		{ "2026-03-02T12:00:00+02:00", 1, 1772445600 },
		{ "2024-02-29", 1, 1709164800 },
		{ "@1772445600", 1, 1772445600 },
		{ "2026-02-30", 0, 0 }, { "2026-13-01", 0, 0 }, { "yesterday", 0, 0 },
		{ "2026-03-02T25:00", 0, 0 }, { "2026-03-02x", 0, 0 }, { "", 0, 0 },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;

		assert_int_equal(time_parse(cases[i].in, &t) == 0, cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(t, cases[i].want);
	}
	time_format_iso(1772445600, buf, sizeof(buf));
	assert_string_equal(buf, "2026-03-02T10:00:00Z");
	time_format_rfc5322(1772445600, buf, sizeof(buf));
	assert_string_equal(buf, "Mon, 02 Mar 2026 10:00:00 +0000");
}

static void
test_token(void **state)
{
	char *a = random_token(16), *b = random_token(16);

	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b);
	assert_int_equal(strspn(a, "0123456789abcdef"), 32);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
