/* test_util.c: capped buffers, UTF-8 validation and cleaning, time parsing and formatting,
 * tokens. */
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

	for (size_t i = 0; i < nitems(cases); i++) {
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
		{ "2000-02-29", 1, 951782400 },
		{ "2026-02-30", 0, 0 }, { "2026-13-01", 0, 0 }, { "yesterday", 0, 0 },
		{ "2026-02-29", 0, 0 }, { "1900-02-29", 0, 0 }, { "2026-04-31", 0, 0 },
		{ "2026-00-10", 0, 0 }, { "2026-06-00", 0, 0 },
		{ "2026-03-02T25:00", 0, 0 }, { "2026-03-02x", 0, 0 }, { "", 0, 0 },
	};
	char buf[64];

	for (size_t i = 0; i < nitems(cases); i++) {
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

#define NOCAP ((size_t)-1)

/* utf8_clean_line: one rule for every text a person wrote. */
static void
test_utf8_clean_line(void **state)
{
	static const struct {
		const char *name, *in;
		size_t len;             /* 0: strlen(in) */
		size_t max;
		const char *want;
	} cases[] = {
		{ "plain", "SIGNUP", 0, NOCAP, "SIGNUP" },
		{ "empty", "", 0, NOCAP, "" },
		{ "only spaces", " \t \r\n ", 0, NOCAP, "" },
		{ "space runs, trimmed", "  a   b  ", 0, NOCAP, "a b" },
		{ "C0 controls", "a\tb\nc\rd\x01" "e\x1f" "f", 0, NOCAP, "a b c d e f" },
		{ "DEL", "a\x7f" "b", 0, NOCAP, "a b" },
		{ "NUL inside", "a\0b", 3, NOCAP, "a b" },
		{ "C1 control", "a\xc2\x80" "b\xc2\x9f" "c", 0, NOCAP, "a b c" },
		{ "NEL", "a\xc2\x85" "b", 0, NOCAP, "a b" },
		{ "line and paragraph separators", "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", 0, NOCAP,
		  "a b c" },
		{ "no-break space", "\xc2\xa0" "a\xc2\xa0\xc2\xa0" "b\xc2\xa0", 0, NOCAP, "a b" },
		{ "ideographic space", "\xe3\x80\x80" "a\xe3\x80\x80" "b", 0, NOCAP, "a b" },
		{ "zero-width space dropped", "SIGN\xe2\x80\x8bUP", 0, NOCAP, "SIGNUP" },
		{ "LRM and RLM dropped", "a\xe2\x80\x8e" "b\xe2\x80\x8f" "c", 0, NOCAP, "abc" },
		{ "bidi embeddings and overrides dropped",
		  "\xe2\x80\xaa" "a\xe2\x80\xab" "b\xe2\x80\xac" "c\xe2\x80\xad" "d\xe2\x80\xae" "e",
		  0, NOCAP, "abcde" },
		{ "word joiner, invisible operators, isolates dropped",
		  "a\xe2\x81\xa0" "b\xe2\x81\xa2" "c\xe2\x81\xa6" "d\xe2\x81\xa9" "e", 0, NOCAP,
		  "abcde" },
		{ "BOM dropped", "\xef\xbb\xbfSIGNUP", 0, NOCAP, "SIGNUP" },
		{ "ZWNJ kept (Persian)", "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85",
		  0, NOCAP, "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85" },
		{ "ZWJ kept (emoji)", "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", 0, NOCAP,
		  "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb" },
		{ "dropped between spaces", "a \xe2\x80\x8b b", 0, NOCAP, "a b" },
		{ "dropped before a leading space", "\xe2\x80\x8b a", 0, NOCAP, "a" },
		{ "invalid byte", "a\xff" "b", 0, NOCAP, "a\xef\xbf\xbd" "b" },
		{ "truncated sequence", "a\xe2\x80", 0, NOCAP, "a\xef\xbf\xbd\xef\xbf\xbd" },
		{ "overlong", "\xc0\xaf", 0, NOCAP, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate", "\xed\xa0\x80", 0, NOCAP, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "cut at max", "abc def", 0, 4, "abc" },
		{ "cut at max, space and word fit", "abc def", 0, 5, "abc d" },
		{ "cut on a character boundary", "a\xc3\xa9", 0, 2, "a" },
		{ "cut between 3-byte characters", "\xe2\x82\xac\xe2\x82\xac", 0, 5, "\xe2\x82\xac" },
		{ "cut before a 4-byte character", "\xf0\x9f\x98\x80", 0, 3, "" },
		{ "U+FFFD counts 3 bytes", "\xff", 0, 2, "" },
		{ "dropped characters cost nothing", "\xe2\x80\x8b" "ab\xe2\x80\x8b", 0, 2, "ab" },
		{ "max 0", "abc", 0, 0, "" },
	};

	for (size_t i = 0; i < nitems(cases); i++) {
		size_t n = cases[i].len ? cases[i].len : strlen(cases[i].in);
		char *got = utf8_clean_line(cases[i].in, n, cases[i].max);

		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, got, cases[i].want);
		assert_true(utf8_valid(got, strlen(got)));
		free(got);
	}
}

/* utf8_has_hidden: what fields that refuse rather than clean refuse. */
static void
test_utf8_has_hidden(void **state)
{
	static const struct { const char *name, *in; bool hidden; } cases[] = {
		{ "plain", "Ana Maria", false },
		{ "empty", "", false },
		{ "accents", "S\xc3\xa3o Paulo", false },
		{ "no-break space", "Ana\xc2\xa0Maria", false },
		{ "ideographic space", "\xe5\xb1\xb1\xe7\x94\xb0\xe3\x80\x80\xe8\x8a\xb1\xe5\xad\x90", false },
		{ "ZWNJ", "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae", false },
		{ "ZWJ", "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", false },
		{ "tab", "Ana\tMaria", true },
		{ "NEL", "A\xc2\x85" "B", true },
		{ "line separator", "A\xe2\x80\xa8" "B", true },
		{ "right-to-left override", "Ana \xe2\x80\xae" "arierep", true },
		{ "first strong isolate", "Ana \xe2\x81\xa8", true },
		{ "zero-width space", "An\xe2\x80\x8b" "a", true },
		{ "BOM", "\xef\xbb\xbf" "Ana", true },
		{ "invalid", "Ana\xff", true },
	};

	for (size_t i = 0; i < nitems(cases); i++)
		if (utf8_has_hidden(cases[i].in, strlen(cases[i].in)) != cases[i].hidden)
			fail_msg("%s: want %d", cases[i].name, cases[i].hidden);
}

/* utf8_fold: the comparison key of what people type. */
static void
test_utf8_fold(void **state)
{
	static const struct { const char *in, *key; } cases[] = {
		{ "INSCRIPCI\xc3\x93N", "inscripcion" }, { "  Mis   datos ", "mis datos" },
		{ "Stra\xc3\x9f" "e", "strasse" }, { "GROSSE", "grosse" },
		{ "Gro\xc3\x9f" "britannien", "grossbritannien" }, { "\xc3\x9f", "ss" },
		{ "\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f",
		  "\xd1\x80\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f" },
		{ "doesn\xe2\x80\x99t", "doesn't" }, { "", "" },
	};
	char out[64], small[3];

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		assert_true(utf8_fold(cases[i].in, strlen(cases[i].in), out, sizeof(out)));
		assert_string_equal(out, cases[i].key);
	}
	assert_false(utf8_fold("\xff", 1, out, sizeof(out)));
	assert_false(utf8_fold("\xc3\x9f\xc3\x9f", 4, small, sizeof(small)));
}

/* strv_join_set: sorted, each once, the items freed. */
static void
test_join_set(void **state)
{
	char *v[] = { xstrdup("{{b}}"), xstrdup("{{a}}"), xstrdup("{{b}}"), xstrdup("{{#c}}") };
	char *j = strv_join_set(v, nitems(v));

	(void)state;
	assert_string_equal(j, "{{#c}} {{a}} {{b}}");
	free(j);
	j = strv_join_set(NULL, 0);
	assert_string_equal(j, "");
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_clean_line),
		cmocka_unit_test(test_utf8_has_hidden),
		cmocka_unit_test(test_utf8_fold),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_join_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
