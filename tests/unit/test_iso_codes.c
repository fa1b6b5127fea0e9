/* test_iso_codes.c: country and language lookups against Debian's iso-codes data: a table
 * of inputs and wanted codes, display names that round-trip for every entry, speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>
#include <json.h>

#include "iso_codes.h"
#include "util.h"

struct lookup_case {
	const char *input;
	const char *want;       /* NULL: unknown or ambiguous */
};

static const struct lookup_case countries[] = {
	{ "Brazil", "BR" }, { "brazil", "BR" }, { "BRAZIL", "BR" }, { "BR", "BR" },
	{ "br", "BR" }, { "BRA", "BR" }, { "  Brazil  ", "BR" },
	{ "Federative Republic of Brazil", "BR" },
	{ "UK", "GB" }, { "U.K.", "GB" }, { "Great Britain", "GB" }, { "England", "GB" },
	{ "Scotland", "GB" }, { "Wales", "GB" }, { "United Kingdom", "GB" }, { "GB", "GB" },
	{ "USA", "US" }, { "U.S.A.", "US" }, { "US", "US" }, { "United States", "US" },
	{ "America", "US" }, { "united states of america", "US" },
	{ "Russia", "RU" }, { "Russian Federation", "RU" }, { "South Korea", "KR" },
	{ "Korea, Republic of", "KR" }, { "Republic of Korea", "KR" }, { "North Korea", "KP" },
	{ "Iran", "IR" }, { "Vietnam", "VN" }, { "Viet Nam", "VN" }, { "Syria", "SY" },
	{ "Laos", "LA" }, { "Bolivia", "BO" }, { "Venezuela", "VE" }, { "Tanzania", "TZ" },
	{ "Taiwan", "TW" }, { "Czechia", "CZ" }, { "Czech Republic", "CZ" },
	{ "Holland", "NL" }, { "The Netherlands", "NL" }, { "netherlands", "NL" },
	{ "the Philippines", "PH" }, { "Côte d'Ivoire", "CI" }, { "CÔTE D’IVOIRE", "CI" },
	{ "Ivory Coast", "CI" }, { "Åland Islands", "AX" }, { "åland islands", "AX" },
	{ "Türkiye", "TR" }, { "Turkey", "TR" }, { "Congo", "CG" },
	{ "Democratic Republic of the Congo", "CD" }, { "Kosovo", "XK" },
	{ "Falkland Islands", "FK" }, { "New\xc2\xa0Zealand", "NZ" }, { "new   zealand", "NZ" },
	{ "Korea", NULL }, { "Virgin Islands", NULL }, { "Narnia", NULL }, { "", NULL },
	{ "   ", NULL }, { "B", NULL }, { "\xff\xfe", NULL }, { "Br\xc3", NULL },
	{ "Cote d Ivoire", NULL },
	/* in the languages iso-codes translates, case- and accent-insensitively */
	{ "Deutschland", "DE" }, { "deutschland", "DE" }, { "España", "ES" }, { "españa", "ES" },
	{ "ESPANA", "ES" }, { "Brasil", "BR" }, { "日本", "JP" }, { "Österreich", "AT" },
	{ "osterreich", "AT" }, { "Allemagne", "DE" }, { "Российская Федерация", "RU" }, { "Suisse", "CH" },
	{ "Schweiz", "CH" }, { "México", "MX" }, { "Mexique", "MX" }, { "Estados Unidos", "US" },
	{ "Reino Unido", "GB" }, { "中国", "CN" }, { "Cote d'Ivoire", "CI" },
	/* short forms the catalogs lack, our aliases, accent-insensitively too */
	{ "Rusia", "RU" }, { "Россия", "RU" }, { "россия", "RU" }, { "EE. UU.", "US" },
	{ "Gran Bretana", "GB" }, { "inglaterra", "GB" }, { "Corea del Sur", "KR" },
	/* ß as ss, as German writers without the letter type it */
	{ "Großbritannien", "GB" }, { "Grossbritannien", "GB" }, { "GROSSBRITANNIEN", "GB" },
};

static const struct lookup_case languages[] = {
	{ "Portuguese", "por" }, { "portuguese", "por" }, { "pt", "por" }, { "por", "por" },
	{ "English", "eng" }, { "en", "eng" }, { "ENG", "eng" },
	{ "Spanish", "spa" }, { "Castilian", "spa" }, { "es", "spa" }, { "Español", "spa" },
	{ "Swahili", "swa" }, { "sw", "swa" }, { "Swahili (individual language)", "swh" },
	{ "Greek", "ell" }, { "Modern Greek", "ell" }, { "Greek, Modern", "ell" },
	{ "Modern Greek (1453-)", "ell" }, { "el", "ell" }, { "gre", "ell" },
	{ "Ancient Greek", "grc" }, { "German", "deu" }, { "ger", "deu" }, { "de", "deu" },
	{ "French", "fra" }, { "fre", "fra" }, { "Dutch", "nld" }, { "Flemish", "nld" },
	{ "Chinese", "zho" }, { "Mandarin", "cmn" }, { "Mandarin Chinese", "cmn" },
	{ "Malay", "msa" }, { "Farsi", "fas" }, { "Persian", "fas" }, { "Bengali", "ben" },
	{ "Bangla", "ben" }, { "Nepali", "nep" }, { "Arabic", "ara" }, { "Tagalog", "tgl" },
	{ "Filipino", "fil" }, { "Romanian", "ron" }, { "Moldavian", "ron" },
	{ "Ελληνικά", "ell" }, { "Afro-Asiatic languages", "afa" },
	{ "Englisch", "eng" }, { "anglais", "eng" }, { "inglés", "eng" }, { "ingles", "eng" },
	{ "Inglês", "eng" }, { "Spanisch", "spa" }, { "espagnol", "spa" }, { "Französisch", "fra" },
	{ "francés", "fra" }, { "alemán", "deu" }, { "allemand", "deu" }, { "Portugiesisch", "por" },
	{ "portugais", "por" }, { "английский", "eng" },
	{ "Klingon", "tlh" }, { "Elvish", NULL }, { "Kota", NULL }, { "", NULL },
	{ "\xc0", NULL },
};

static int
setup(void **state)
{
	char err[256];

	if (iso_codes_load(NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "iso_codes_load: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	iso_codes_free();
	return 0;
}

static void
check_table(const struct lookup_case *t, size_t n, const char *(*lookup)(const char *))
{
	for (size_t i = 0; i < n; i++) {
		const char *got = lookup(t[i].input);

		if ((got == NULL) != (t[i].want == NULL) ||
		    (got != NULL && strcmp(got, t[i].want) != 0))
			fail_msg("\"%s\": got %s, want %s", t[i].input, got ? got : "NULL",
				 t[i].want ? t[i].want : "NULL");
	}
}

static void
test_countries(void **state)
{
	check_table(countries, nitems(countries), iso_country_lookup);
	assert_string_equal(iso_country_name("BR"), "Brazil");
	assert_string_equal(iso_country_name("br"), "Brazil");
	assert_string_equal(iso_country_name("KR"), "South Korea");
	assert_string_equal(iso_country_name("VN"), "Vietnam");
	assert_null(iso_country_name("ZZ"));
	assert_null(iso_country_name("BRA"));
	assert_null(iso_country_name(NULL));
	assert_null(iso_country_lookup(NULL));
}

static void
test_languages(void **state)
{
	check_table(languages, nitems(languages), iso_language_lookup);
	assert_string_equal(iso_language_name("spa"), "Spanish");
	assert_string_equal(iso_language_name("swa"), "Swahili");
	assert_string_equal(iso_language_name("por"), "Portuguese");
	assert_string_equal(iso_language_name("eng"), "English");
	assert_null(iso_language_name("xxx"));
	assert_null(iso_language_name(NULL));
	assert_null(iso_language_lookup(NULL));
}

/* Every code in the data has a display name that looks up to the same code. */
static void
roundtrip_file(const char *file, const char *key, const char *field,
	       const char *(*lookup)(const char *), const char *(*name)(const char *))
{
	char path[512];
	struct json_object *root, *arr, *o, *v;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", ISO_CODES_DIR, file);
	root = json_object_from_file(path);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, key, &arr));
	n = json_object_array_length(arr);
	assert_true(n > 100);
	for (size_t i = 0; i < n; i++) {
		const char *code, *display, *back;

		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, field, &v))
			continue;
		code = json_object_get_string(v);
		if (strlen(code) > 3)   /* "qaa-qtz": a range reserved for local use */
			continue;
		display = name(code);
		if (display == NULL)
			fail_msg("%s: no name", code);
		back = lookup(display);
		if (back == NULL || strcasecmp(back, code) != 0)
			fail_msg("%s -> \"%s\" -> %s", code, display, back ? back : "NULL");
		if (lookup == iso_language_lookup && strpbrk(display, ",;/") != NULL)
			fail_msg("%s: \"%s\" has a list separator", code, display);
	}
	json_object_put(root);
}

static void
test_roundtrip(void **state)
{
	roundtrip_file("iso_3166-1.json", "3166-1", "alpha_2", iso_country_lookup,
		       iso_country_name);
	roundtrip_file("iso_639-3.json", "639-3", "alpha_3", iso_language_lookup,
		       iso_language_name);
	roundtrip_file("iso_639-2.json", "639-2", "alpha_3", iso_language_lookup,
		       iso_language_name);
}

static void
test_reload_and_unloaded(void **state)
{
	char err[256];

	iso_codes_free();
	assert_null(iso_country_lookup("Brazil"));
	assert_null(iso_language_name("eng"));
	assert_int_equal(iso_codes_load("/nonexistent", err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
	assert_null(iso_country_lookup("Brazil"));
	assert_int_equal(iso_codes_load(NULL, err, sizeof(err)), 0);
	assert_int_equal(iso_codes_load(NULL, err, sizeof(err)), 0);
	assert_string_equal(iso_country_lookup("Brazil"), "BR");
}

static void
test_names_in(void **state)
{
	assert_string_equal(iso_country_name_in("DE", "de"), "Deutschland");
	assert_string_equal(iso_country_name_in("ES", "es"), "España");
	assert_string_equal(iso_country_name_in("DE", "fr"), "Allemagne");
	assert_string_equal(iso_country_name_in("BR", "pt"), "Brasil");
	assert_string_equal(iso_country_name_in("DE", NULL), "Germany");
	assert_string_equal(iso_country_name_in("DE", "xx"), "Germany");
	assert_string_equal(iso_country_name_in("DE", "../de"), "Germany");
	assert_string_equal(iso_language_name_in("eng", "de"), "Englisch");
	assert_string_equal(iso_language_name_in("spa", "fr"), "espagnol");
	assert_string_equal(iso_language_name_in("eng", "es"), "Inglés");
	assert_string_equal(iso_country_name_in("RU", "ru"), "Российская Федерация");
	assert_null(iso_country_name_in("ZZ", "de"));
	/* a folder without catalogs: English names only */
	iso_codes_locale_dir("/nonexistent");
	assert_null(iso_country_lookup("Deutschland"));
	assert_string_equal(iso_country_lookup("Germany"), "DE");
	assert_string_equal(iso_country_name_in("DE", "de"), "Germany");
	iso_codes_locale_dir(NULL);
	assert_string_equal(iso_country_lookup("Deutschland"), "DE");
}

static void
test_volume(void **state)
{
	static const char *inputs[] = { "Brazil", "United Kingdom", "Narnia", "Portuguese",
					"Swahili", "xx", "Modern Greek", "Côte d'Ivoire" };
	struct timespec a, b;
	double secs;
	size_t hits = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 100000; i++) {
		hits += iso_country_lookup(inputs[i % 8]) != NULL;
		hits += iso_language_lookup(inputs[i % 8]) != NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_true(hits > 0);
	print_message("200,000 lookups: %.3f s\n", secs);
}

/* The scope ("M", "I") iso_639-3.json gives code, or NULL. */
static const char *
json_scope(struct json_object *items, const char *code)
{
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i), *v;

		if (json_object_object_get_ex(it, "alpha_3", &v) &&
		    strcmp(json_object_get_string(v), code) == 0)
			return json_object_object_get_ex(it, "scope", &v) ? json_object_get_string(v)
									 : NULL;
	}
	return NULL;
}

/* Every macrolanguage of iso-codes has members in iso_macro.c, every member is an
 * individual language of iso-codes, and each belongs to one macrolanguage only. */
static void
test_macrolanguages_against_iso_codes(void **state)
{
	struct json_object *root = json_object_from_file(ISO_CODES_DIR "/iso_639-3.json"), *items;
	size_t nmacro = 0, nmember = 0;

	(void)state;
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "639-3", &items));
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i), *v, *c;
		size_t k = 0, members = 0;
		const char *m;

		if (!json_object_object_get_ex(it, "scope", &v) ||
		    strcmp(json_object_get_string(v), "M") != 0)
			continue;
		assert_true(json_object_object_get_ex(it, "alpha_3", &c));
		nmacro++;
		while ((m = iso_language_member(json_object_get_string(c), &k)) != NULL) {
			const char *scope = json_scope(items, m);

			if (scope == NULL || strcmp(scope, "I") != 0)
				fail_msg("%s, a member of %s, is not an individual language", m,
					 json_object_get_string(c));
			assert_string_equal(iso_language_macro(m), json_object_get_string(c));
			members++;
		}
		if (members == 0)
			fail_msg("macrolanguage %s has no members", json_object_get_string(c));
		nmember += members;
	}
	assert_int_equal(nmacro, 62);
	assert_true(nmember > 400);
	json_object_put(root);
}

static void
test_macrolanguages_related(void **state)
{
	static const struct { const char *a, *b; bool want; } t[] = {
		{ "cmn", "zho", true }, { "zho", "cmn", true }, { "yue", "zho", true },
		{ "cmn", "yue", false }, { "zho", "zho", true }, { "arz", "ara", true },
		{ "arz", "ary", false }, { "zsm", "msa", true }, { "ind", "msa", true },
		{ "pes", "fas", true }, { "prs", "fas", true }, { "swh", "swa", true },
		{ "nob", "nor", true }, { "nob", "nno", false }, { "hrv", "hbs", true },
		{ "hrv", "srp", false }, { "spa", "por", false }, { "spa", "spa", true },
		{ "ekk", "est", true }, { "khk", "mon", true }, { "ckb", "kur", true },
		{ "cmn", NULL, false },
	};
	size_t k = 0;

	(void)state;
	for (size_t i = 0; i < nitems(t); i++)
		if (iso_language_related(t[i].a, t[i].b) != t[i].want)
			fail_msg("%s and %s", t[i].a, t[i].b);
	assert_null(iso_language_macro("spa"));
	assert_null(iso_language_macro("zho"));
	assert_null(iso_language_macro(""));
	assert_null(iso_language_member("spa", &k));
	/* names reach the codes: "Mandarin Chinese" is cmn, "Chinese" zho */
	assert_string_equal(iso_language_macro(iso_language_lookup("Mandarin Chinese")), "zho");
	assert_string_equal(iso_language_lookup("Chinese"), "zho");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_countries),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_names_in),
		cmocka_unit_test(test_reload_and_unloaded),
		cmocka_unit_test(test_volume),
		cmocka_unit_test(test_macrolanguages_against_iso_codes),
		cmocka_unit_test(test_macrolanguages_related),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
