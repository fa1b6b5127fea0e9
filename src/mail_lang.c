/* mail_lang.c: the language a mail is written in (see mail_lang.h). Pure: the caller
 * passes what the store, the configuration and iso-codes know. Nothing is allocated;
 * the chosen code is copied into the caller's buffer. */
#include <stdio.h>
#include <string.h>

#include "mail_lang.h"

#define CODE_MAX 16             /* bytes of one ISO 639 code taken from a list, NUL included */

/* Whether a and b count as one language: equal, or one the other's macrolanguage. */
static bool
related(const struct mail_lang_sets *sets, const char *a, const char *b)
{
	const char *m;

	if (strcmp(a, b) == 0)
		return true;
	if (sets->macro == NULL)
		return false;
	return ((m = sets->macro(a)) != NULL && strcmp(m, b) == 0) ||
	       ((m = sets->macro(b)) != NULL && strcmp(m, a) == 0);
}

/* The next item of the ','-list at *s into code (cut to CODE_MAX - 1 bytes); false at
 * the end. */
static bool
list_next(const char **s, char code[CODE_MAX])
{
	size_t n;

	if (*s == NULL || **s == '\0')
		return false;
	n = strcspn(*s, ",");
	snprintf(code, CODE_MAX, "%.*s", (int)n, *s);
	*s += n + ((*s)[n] == ',');
	return true;
}

/* Whether who reads code: their Mail language or one of their Languages is it. */
static bool
reads(const struct mail_lang_sets *sets, const struct mail_lang_person *who, const char *code)
{
	char c[CODE_MAX];

	if (who->mail_language && *who->mail_language && related(sets, who->mail_language, code))
		return true;
	for (const char *s = who->languages; list_next(&s, c);)
		if (related(sets, c, code))
			return true;
	return false;
}

/* The ISO 639-1 code of the set mail in code (ISO 639-3) is written in: its own set, else
 * its macrolanguage's, or the default set's language; NULL when there is none. *lang is
 * the ISO 639-3 code of that set's language. */
static const char *
usable(const struct mail_lang_sets *sets, const char *code, const char **lang)
{
	const char *try[2] = { code, sets->macro ? sets->macro(code) : NULL };

	for (size_t i = 0; i < 2 && try[i]; i++) {
		const char *a2 = sets->alpha2(try[i]);

		if (a2 && (strcmp(a2, sets->default_code) == 0 || sets->has_set(sets->ctx, a2))) {
			*lang = try[i];
			return a2;
		}
	}
	return NULL;
}

/* Whether every registered recipient reads lang. */
static bool
shared(const struct mail_lang_sets *sets, const struct mail_lang_person *to, size_t nto,
       const char *lang)
{
	for (size_t i = 0; i < nto; i++)
		if (to[i].languages != NULL && !reads(sets, &to[i], lang))
			return false;
	return true;
}

/* The set's code when mail in code qualifies (it has a set, everyone reads it), else NULL. */
static const char *
qualifies(const struct mail_lang_sets *sets, const struct mail_lang_person *to, size_t nto,
	  const char *code)
{
	const char *lang, *a2;

	if ((a2 = usable(sets, code, &lang)) == NULL || !shared(sets, to, nto, lang))
		return NULL;
	return a2;
}

/* a2 into out, NULL when a2 is the default set's language. */
static const char *
chosen(const struct mail_lang_sets *sets, const char *a2, char out[MAIL_LANG_MAX])
{
	if (strcmp(a2, sets->default_code) == 0)
		return NULL;
	snprintf(out, MAIL_LANG_MAX, "%s", a2);
	return out;
}

const char *
mail_lang_choose(const struct mail_lang_person *to, size_t nto, const char *asked,
		 const struct mail_lang_sets *sets, char out[MAIL_LANG_MAX])
{
	const char *a2;
	char code[CODE_MAX];

	if (nto == 0)
		return NULL;
	for (size_t i = 0; i < nto; i++)
		if (to[i].mail_language && *to[i].mail_language &&
		    (a2 = qualifies(sets, to, nto, to[i].mail_language)) != NULL)
			return chosen(sets, a2, out);
	for (size_t i = 0; i < nto; i++)
		for (const char *s = to[i].languages; list_next(&s, code);)
			if ((a2 = qualifies(sets, to, nto, code)) != NULL)
				return chosen(sets, a2, out);
	if (to[0].languages == NULL && nto == 1 && asked && *asked &&
	    sets->has_set(sets->ctx, asked))
		return chosen(sets, asked, out);
	return NULL;
}
