/* fuzz_form.c: libFuzzer harness for the application form (form.c) with the profile
 * rules (profile.c). The input is a mail body, read twice: as a SIGNUP form (full) and as
 * an UPDATE of a fixed valid profile. Besides never crashing, these must hold:
 * - the number returned is the number of problem lines, and a form without problems
 *   gives a valid profile: every required field set, each value of its stated shape
 *   (a known country code, a sector, years from 0 to 70, known language codes, the
 *   preference words, digest yes/no), clean one-line UTF-8 within its length cap;
 * - a valid profile survives its own rendering in the default set and in every language
 *   set: form_parse(form_render(p, lang)) has no problem and gives p back, and so does
 *   the JSON a pending application waits in.
 * The base profile is set up once and lives for the run; everything else is freed before
 * the input returns. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "iso_codes.h"
#include "profile.h"
#include "util.h"
#include "words.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* as fuzz_inbound: a smaller quarantine keeps the run under -rss_limit_mb */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=32:detect_leaks=1";
}

#define DEFAULT_LANGUAGE "eng"

static struct profile base;
static bool ready;

static void
fail(const char *what, const char *value)
{
	fprintf(stderr, "fuzz_form: %s: \"%s\"\n", what, value ? value : "(null)");
	abort();
}

static void
setup(void)
{
	char err[256];
	struct buf problems;

	if (iso_codes_load(NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_form: %s\n", err);
		abort();
	}
	{
		const char *top = getenv("ILNBOT_TOP");
		char *dir = xasprintf("%s/templates", top ? top : ".");

		if (words_load(dir, err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_form: %s\n", err);
			abort();
		}
		free(dir);
	}
	/* the names in every language are read on the first that is not English: now, so
	 * that it never counts against -timeout */
	(void)iso_country_lookup("Deutschland");
	(void)iso_language_lookup("Englisch");
	buf_init(&problems, 0);
	if (form_parse("Name: Ana Souza\nCountry: Brazil\nSector: public\nWorkplace: "
		       "Biblioteca Municipal\nYears: 3\nInterests: cataloguing, outreach\n",
		       true, NULL, DEFAULT_LANGUAGE, NULL, &base, &problems) != 0)
		fail("the base form has problems", problems.data);
	buf_free(&problems);
	ready = true;
}

/* Clean text: valid UTF-8, one line, no control character, at most max code points. */
static void
check_clean(const char *what, const char *s, size_t max, bool required)
{
	size_t chars = 0;
	uint32_t cp;

	if (s == NULL) {
		if (required)
			fail(what, "required but unset");
		return;
	}
	if (!utf8_valid(s, strlen(s)))
		fail(what, "not valid UTF-8");
	for (const char *p = s; *p; chars++) {
		p += utf8_next(p, &cp);
		if (cp < 0x20 || cp == 0x7f)
			fail(what, s);
	}
	if (max && chars > max)
		fail(what, "too long");
}

/* s is a ','-list of items of list[0..n) in that order, or one of the words. */
static void
check_choice(const char *what, const char *s, const char *const *words, size_t nwords,
	     const char *const *list, size_t n)
{
	char *copy, *p, *it;
	size_t at = 0;

	if (s == NULL)
		fail(what, "unset after defaults");
	for (size_t i = 0; i < nwords; i++)
		if (strcmp(s, words[i]) == 0)
			return;
	copy = p = xstrdup(s);
	while ((it = strsep(&p, ",")) != NULL) {
		while (at < n && strcmp(it, list[at]) != 0)
			at++;
		if (at++ >= n)
			fail(what, s);
	}
	free(copy);
}

static void
check_profile(const struct profile *p)
{
	char *copy, *c, *it;
	size_t n = 0;

	check_clean("name", p->name, FORM_NAME_MAX, true);
	if (strpbrk(p->name, "@<>") != NULL)
		fail("name", p->name);
	if (p->country == NULL || iso_country_name(p->country) == NULL)
		fail("country", p->country);
	if (p->sector == NULL || profile_sector_of(p->sector) < 0)
		fail("sector", p->sector);
	check_clean("workplace", p->workplace, FORM_WORKPLACE_MAX, true);
	if (p->years < 0 || p->years > FORM_YEARS_MAX)
		fail("years", "out of range");
	check_clean("interests", p->interests, 0, true);
	check_clean("about", p->about, FORM_ABOUT_MAX, false);
	check_clean("notes", p->notes, FORM_NOTES_MAX, false);
	if (p->languages != NULL) {
		copy = c = xstrdup(p->languages);
		while ((it = strsep(&c, ",")) != NULL)
			if (++n > FORM_LANGUAGES_MAX || iso_language_name(it) == NULL)
				fail("languages", p->languages);
		free(copy);
	}
	check_choice("partner_sector", p->partner_sector, (const char *const[]){ "same", "any" },
		     2, profile_sector_names, PROFILE_NSECTORS);
	check_choice("partner_stage", p->partner_stage,
		     (const char *const[]){ "different", "same", "any" }, 3, profile_stage_names,
		     PROFILE_NSTAGES);
	if (p->digest != 0 && p->digest != 1)
		fail("digest", "neither yes nor no");
}

static bool json_mode;  /* the JSON writes an unset string as "" */

static bool
same_str(const char *a, const char *b)
{
	if (json_mode)
		return strcmp(a ? a : "", b ? b : "") == 0;
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static const char *
profile_diff(const struct profile *a, const struct profile *b)
{
	if (!same_str(a->name, b->name))
		return "name";
	if (!same_str(a->country, b->country))
		return "country";
	if (!same_str(a->sector, b->sector))
		return "sector";
	if (!same_str(a->workplace, b->workplace))
		return "workplace";
	if (a->years != b->years)
		return "years";
	if (!same_str(a->interests, b->interests))
		return "interests";
	if (!same_str(a->languages, b->languages))
		return "languages";
	/* form_render writes an unset About or Notes as an empty line, which reads as unset */
	if (!same_str(a->about, b->about))
		return "about";
	if (!same_str(a->partner_sector, b->partner_sector))
		return "partner_sector";
	if (!same_str(a->partner_stage, b->partner_stage))
		return "partner_stage";
	if (!same_str(a->notes, b->notes))
		return "notes";
	if (a->digest != b->digest)
		return "digest";
	return NULL;
}

/* p is valid: it must come back unchanged from its form, rendered in the default set
 * and in each language set, and from its JSON. */
static void
check_round_trip(const struct profile *p)
{
	struct profile q;
	struct buf problems;
	char *form, *json;
	const char *d, *lang = NULL;

	check_profile(p);
	for (size_t l = 0; l == 0 || (lang = words_lang_code(l - 1)) != NULL; l++) {
		form = form_render(p, true, lang);
		buf_init(&problems, 0);
		if (form_parse(form, true, NULL, DEFAULT_LANGUAGE, lang, &q, &problems) != 0) {
			fprintf(stderr, "form (%s):\n%s\nproblems:\n%s\n", lang ? lang : "default",
				form, problems.data);
			fail("the rendered form has problems", "");
		}
		if ((d = profile_diff(p, &q)) != NULL) {
			fprintf(stderr, "form (%s):\n%s\n", lang ? lang : "default", form);
			fail("the rendered form reads back different", d);
		}
		profile_free(&q);
		buf_free(&problems);
		free(form);
	}

	json = profile_to_json(p);
	if (profile_from_json(json, &q) < 0)
		fail("profile_from_json refused", json);
	json_mode = true;
	d = profile_diff(p, &q);
	json_mode = false;
	if (d != NULL)
		fail("the JSON reads back different", d);
	profile_free(&q);
	free(json);
}

/* One parse: the count matches the lines, and no problem means a valid profile. */
static void
parse_one(const char *body, bool full)
{
	struct profile out;
	struct buf problems;
	int n, lines = 0;

	buf_init(&problems, 0);
	n = form_parse(body, full, full ? NULL : &base, DEFAULT_LANGUAGE, NULL, &out, &problems);
	for (size_t i = 0; problems.data && i < problems.len; i++)
		lines += problems.data[i] == '\n';
	if (n != lines)
		fail("problem count and problem lines disagree", problems.data);
	if (problems.data && !utf8_valid(problems.data, problems.len))
		fail("problem text", "not valid UTF-8");
	if (n == 0)
		check_round_trip(&out);
	free(form_render(&out, true, NULL));  /* what a form with problems is answered with */
	profile_free(&out);
	buf_free(&problems);
}

/* The setup (loading the ISO code tables, the templates) runs before the first input,
 * so that it never counts against libFuzzer's -timeout for one input. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body;

	if (!ready)
		setup();
	if (size > FORM_BODY_MAX + 1024)
		return 0;
	body = xstrndup((const char *)data, size);
	parse_one(body, true);
	parse_one(body, false);
	free(body);
	return 0;
}
