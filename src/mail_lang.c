/* mail_lang.c: the language a mail is written in (see mail_lang.h). Pure: the caller
 * passes what the store, the configuration and iso-codes know. Nothing is allocated;
 * the chosen code is copied into the caller's buffer. */
#include <stdio.h>
#include <string.h>

#include "mail_lang.h"

/* Whether the ','-list list holds code. */
static bool
list_has(const char *list, const char *code)
{
	size_t n = strlen(code);

	for (const char *s = list; s && *s; s += strcspn(s, ","), s += *s == ',')
		if (strncmp(s, code, n) == 0 && (s[n] == ',' || s[n] == '\0'))
			return true;
	return false;
}

/* The ISO 639-1 code of code (ISO 639-3) when mail may be written in it (its set, or the
 * default set's language), else NULL. */
static const char *
usable(const struct mail_lang_sets *sets, const char *code)
{
	const char *a2 = sets->alpha2(code);

	if (a2 == NULL)
		return NULL;
	if (strcmp(a2, sets->default_code) == 0 || sets->has_set(sets->ctx, a2))
		return a2;
	return NULL;
}

/* Whether every registered recipient after the first reads code (lists it or chose it). */
static bool
shared(const struct mail_lang_person *to, size_t nto, const char *code)
{
	for (size_t i = 1; i < nto; i++) {
		if (to[i].languages == NULL)
			continue;
		if (!list_has(to[i].languages, code) &&
		    (to[i].mail_language == NULL || strcmp(to[i].mail_language, code) != 0))
			return false;
	}
	return true;
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

	if (nto == 0)
		return NULL;
	if (to[0].mail_language && *to[0].mail_language &&
	    (a2 = usable(sets, to[0].mail_language)) != NULL && shared(to, nto, to[0].mail_language))
		return chosen(sets, a2, out);
	for (const char *s = to[0].languages; s && *s; s += strcspn(s, ","), s += *s == ',') {
		char code[16];

		snprintf(code, sizeof(code), "%.*s", (int)strcspn(s, ","), s);
		if ((a2 = usable(sets, code)) != NULL && shared(to, nto, code))
			return chosen(sets, a2, out);
	}
	if (to[0].languages == NULL && nto == 1 && asked && *asked &&
	    sets->has_set(sets->ctx, asked))
		return chosen(sets, asked, out);
	return NULL;
}
