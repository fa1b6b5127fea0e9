/* test_mail_lang.c: the choice of a mail's language: Mail language first when it has a
 * set, then the first of the Languages with one, then (not registered) the language the
 * message asked for, else the default; an introduction in a language both share, either
 * partner's Mail language first, then the first's Languages, then the second's; a
 * macrolanguage and its members count as one (Mandarin with Chinese). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mail_lang.h"
#include "util.h"

/* A few ISO 639-3 codes and their ISO 639-1 codes (iso-codes stands in the real binary). */
static const char *
alpha2(const char *code)
{
	static const char *const map[][2] = {
		{ "eng", "en" }, { "spa", "es" }, { "fra", "fr" }, { "deu", "de" }, { "por", "pt" },
		{ "zho", "zh" }, { "ara", "ar" },
	};

	for (size_t i = 0; i < nitems(map); i++)
		if (strcmp(map[i][0], code) == 0)
			return map[i][1];
	return NULL;    /* e.g. "tlh": no ISO 639-1 code */
}

/* The sets enabled here: es and fr (German has none; English is the default). */
static bool
has_set(const void *ctx, const char *a2)
{
	(void)ctx;
	return strcmp(a2, "es") == 0 || strcmp(a2, "fr") == 0;
}

static const struct mail_lang_sets sets = { alpha2, has_set, NULL, "en", NULL };

/* The sets of a network that also writes in Chinese and Arabic, with macrolanguages. */
static bool
has_set_zh(const void *ctx, const char *a2)
{
	return has_set(ctx, a2) || strcmp(a2, "zh") == 0 || strcmp(a2, "ar") == 0;
}

static const char *
macro(const char *code)
{
	static const char *const map[][2] = {
		{ "cmn", "zho" }, { "yue", "zho" }, { "wuu", "zho" }, { "arz", "ara" }, { "ary", "ara" },
	};

	for (size_t i = 0; i < nitems(map); i++)
		if (strcmp(map[i][0], code) == 0)
			return map[i][1];
	return NULL;
}

static const struct mail_lang_sets sets_zh = { alpha2, has_set_zh, NULL, "en", macro };

static const char *
one(const char *mail_language, const char *languages, const char *asked)
{
	static char out[MAIL_LANG_MAX];
	struct mail_lang_person p = { mail_language, languages };

	return mail_lang_choose(&p, 1, asked, &sets, out);
}

static void
test_mail_language_first(void **state)
{
	(void)state;
	/* Spanish and English, Mail language English: English (the default, NULL) */
	assert_null(one("eng", "spa,eng", NULL));
	assert_string_equal(one(NULL, "spa,eng", NULL), "es");
	assert_string_equal(one("spa", "eng", NULL), "es");
	assert_string_equal(one("fra", "spa,eng", NULL), "fr");
	/* a Mail language without a set: their Languages decide */
	assert_string_equal(one("deu", "deu,spa", NULL), "es");
	assert_string_equal(one("tlh", "fra", NULL), "fr");
	assert_string_equal(one("", "fra", NULL), "fr");
}

static void
test_languages_then_asked_then_default(void **state)
{
	(void)state;
	assert_string_equal(one(NULL, "deu,fra,spa", NULL), "fr");
	assert_null(one(NULL, "deu,eng,spa", NULL));      /* English comes before Spanish */
	assert_null(one(NULL, "deu", NULL));
	assert_null(one(NULL, "", "es"));                 /* registered: asked is not looked at */
	/* not registered: the Content-Language or Accept-Language asked for, when it has a set */
	assert_string_equal(one(NULL, NULL, "es"), "es");
	assert_null(one(NULL, NULL, "de"));
	assert_null(one(NULL, NULL, NULL));
	assert_null(mail_lang_choose(NULL, 0, "es", &sets, (char[MAIL_LANG_MAX]){ 0 }));
}

static void
test_introduction_in_a_shared_language(void **state)
{
	char out[MAIL_LANG_MAX];
	struct mail_lang_person two[2] = { { "fra", "fra,spa" }, { NULL, "spa,deu" } };

	(void)state;
	/* the first's Mail language French is not the second's: the shared Spanish */
	assert_string_equal(mail_lang_choose(two, 2, NULL, &sets, out), "es");
	two[1].mail_language = "fra";   /* the second chose French: both read it */
	assert_string_equal(mail_lang_choose(two, 2, NULL, &sets, out), "fr");
	two[0] = (struct mail_lang_person){ NULL, "fra" };
	two[1] = (struct mail_lang_person){ NULL, "spa" };
	assert_null(mail_lang_choose(two, 2, NULL, &sets, out));      /* none shared */
	two[1] = (struct mail_lang_person){ NULL, NULL };               /* not registered */
	assert_string_equal(mail_lang_choose(two, 2, "es", &sets, out), "fr");
}

static const char *
two(const struct mail_lang_sets *s, const char *ml0, const char *l0, const char *ml1,
    const char *l1)
{
	static char out[MAIL_LANG_MAX];
	struct mail_lang_person p[2] = { { ml0, l0 }, { ml1, l1 } };

	return mail_lang_choose(p, 2, NULL, s, out);
}

static void
test_introduction_symmetric(void **state)
{
	(void)state;
	/* the second's Mail language, read by the first, before the first's Languages */
	assert_string_equal(two(&sets, NULL, "spa,fra", "fra", "spa,fra"), "fr");
	assert_string_equal(two(&sets, NULL, "spa,fra", NULL, "fra,spa"), "es");
	assert_string_equal(two(&sets, NULL, "fra,spa", NULL, "spa,fra"), "fr");
	/* either order of the partners gives the same choice when one chose */
	assert_string_equal(two(&sets, "spa", "eng,spa", NULL, "spa,eng"), "es");
	assert_string_equal(two(&sets, NULL, "spa,eng", "spa", "eng,spa"), "es");
	/* the first's Mail language is not read by the second: the second's is, by both */
	assert_string_equal(two(&sets, "deu", "deu,fra", "fra", "fra"), "fr");
	/* the first's Languages have no set the second reads: the second's order decides */
	assert_string_equal(two(&sets, NULL, "deu,spa,fra", NULL, "fra,spa,deu"), "es");
	assert_null(two(&sets, NULL, "deu", NULL, "deu"));        /* no set: the default */
	/* only Spanish shared, whatever comes first; only French */
	assert_string_equal(two(&sets, NULL, "spa", NULL, "spa"), "es");
	assert_string_equal(two(&sets, "fra", "fra,deu", "deu", "por,fra"), "fr");
	/* English shared beside Spanish, the first lists English first: English (default) */
	assert_null(two(&sets, NULL, "eng,spa", NULL, "spa,eng"));
}

static void
test_macrolanguages(void **state)
{
	(void)state;
	/* a member without a set is written in its macrolanguage's set */
	assert_string_equal(two(&sets_zh, NULL, "cmn", NULL, NULL), "zh");
	assert_string_equal(two(&sets_zh, "arz", "arz,fra", NULL, NULL), "ar");
	/* Mandarin and Chinese share Chinese, either way round */
	assert_string_equal(two(&sets_zh, NULL, "cmn", NULL, "zho"), "zh");
	assert_string_equal(two(&sets_zh, NULL, "zho", NULL, "cmn"), "zh");
	assert_string_equal(two(&sets_zh, "zho", "zho,eng", NULL, "eng,cmn"), "zh");
	/* Mandarin and Cantonese are two languages: a Chinese set is still Chinese, which
	 * both read as its members */
	assert_string_equal(two(&sets_zh, NULL, "cmn", NULL, "yue"), "zh");
	/* without macrolanguage data (or without a Chinese set) nothing is shared */
	assert_null(two(&sets, NULL, "cmn", NULL, "zho"));
	assert_null(two(&sets_zh, NULL, "cmn", NULL, "arz"));
	/* Egyptian and Moroccan Arabic with French: Arabic comes first */
	assert_string_equal(two(&sets_zh, NULL, "arz,fra", NULL, "fra,ary"), "ar");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_language_first),
		cmocka_unit_test(test_languages_then_asked_then_default),
		cmocka_unit_test(test_introduction_in_a_shared_language),
		cmocka_unit_test(test_introduction_symmetric),
		cmocka_unit_test(test_macrolanguages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
