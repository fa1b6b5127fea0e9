/* form.h: the application form (SPEC §3): parsing "Field: value" lines into a struct
 * profile (profile.h) with every problem named, and rendering it back as a form to fill
 * in. form_render's result is the caller's to free(). Country and language lookups need
 * iso_codes_load() first, and the field names, value words and problem sentences of
 * every language words_load() (words.h). lang is the reader's set, an ISO 639-1 code as
 * words_get() takes it (NULL for the default set): the field names and words of every set
 * are read whatever lang is; lang chooses the language of the problems and of the form. */
#ifndef ILN_FORM_H
#define ILN_FORM_H

#include <stdbool.h>

#include "profile.h"
#include "util.h"

#define FORM_NAME_MAX 100       /* characters (code points) */
#define FORM_WORKPLACE_MAX 200
#define FORM_INTERESTS_MAX 20   /* items */
#define FORM_INTEREST_MAX 60    /* characters per item */
#define FORM_ABOUT_MAX 2000
#define FORM_NOTES_MAX 2000
#define FORM_YEARS_MAX PROFILE_YEARS_MAX
#define FORM_LANGUAGES_MAX 10
#define FORM_BODY_MAX (64 * 1024) /* bytes of body read; the rest is ignored */

/* form_parse: read the "Field: value" lines of body into *out, starting from a copy of *base
 * (NULL for a new application). *out is overwritten, not freed first; the caller
 * profile_free()s it whatever the result. full = true for SIGNUP (required: Name, Country,
 * Sector, Workplace, Years, Interests; defaults: Languages = default_language (any form
 * iso_language_lookup accepts, a ','-list allowed; NULL = none), Partner sector = same,
 * Partner stage = different, Digest = no) and false for UPDATE (only the fields present
 * change; an empty optional value resets it to its default; at least one field needed).
 * Every problem is appended to *problems as one line "Field: what is wrong; accepted: ..."
 * (form.problem of lang's [messages]).
 * Returns the number of problem lines (0 = *out is valid). With problems, *out holds the
 * valid fields only, the others as in base or unset, for form_render. */
int form_parse(const char *body, bool full, const struct profile *base,
	       const char *default_language, const char *lang, struct profile *out,
	       struct buf *problems);

/* form_render: "Name: ...\nCountry: Brazil\n...", names rather than codes, every field line
 * present (empty value when unset), one line each; include_private adds Partner sector,
 * Partner stage, Notes and Digest. In lang: its field names and value words, countries
 * and languages named in it ("Nombre: ...\nPaís: Brasil\n"); form_parse reads it back
 * to the same profile. Caller frees. */
char *form_render(const struct profile *p, bool include_private, const char *lang);
/* form_field_count: how many of the form's fields body gives with a value. */
int form_field_count(const char *body);
/* form_render_typed: the correction form sent back with problems: every field the body
 * gave shows exactly what was typed there (valid or not, never a default in its place),
 * the others p's values. Caller frees. */
char *form_render_typed(const char *body, const struct profile *p, bool include_private,
			const char *lang);

/* form_value_shown: the word lang's form shows for a closed-list value (the first of its
 * set's words, else the English word): group "sector", "stage" or "pref" and the English
 * word ("sector", "public" gives "pública" in es); "yes" and "no" with group NULL. Into
 * out (outsz bytes), which is returned. */
const char *form_value_shown(const char *lang, const char *group, const char *word, char *out,
			     size_t outsz);

/* form_check_words: every word of the loaded sets' [fields] (and the English names) or
 * [values] that names two different fields or values, one line each into problems (for
 * check-config). Returns how many. */
int form_check_words(struct buf *problems);

#endif
