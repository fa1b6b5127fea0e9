/* form.c: the application form (see form.h). A profile owns its strings.
 *
 * How a body is read, line by line (only its first FORM_BODY_MAX bytes):
 * - "Field: value" (or a full-width '：') where Field is 1..40 bytes of letters, spaces, '-'
 *   or '_', at most four words. Field names are matched case-insensitively, ignoring
 *   spaces, '-' and '_', with a trailing 's' optional ("Language", "partner-sectors",
 *   "Work place"). Other lines (no colon, or prose before the colon) are ignored:
 *   people write greetings and thanks.
 * - An unknown field name is a problem ("Colour: unknown field; accepted: <the field
 *   names>"), except: before the first known field (a greeting such as "Dear team: ..."),
 *   a value starting with "//" (a URL: "see https://..."), and mail noise (http, https, mailto, ftp, tel, ps, re, fwd, fw, sent, to, cc, subject,
 *   date). At most UNKNOWN_MAX unknown names are reported.
 * - After a known field, "From:" (also "Von:", "De:", "Van:", "Da:") or a
 *   "-----Original Message-----" line ends the form (an Outlook-style quoted original); so does a signature line "-- ". Lines starting with
 *   '>' are skipped.
 * - An indented line right after a field line continues its value (joined with a space),
 *   unless it is itself a known field. A blank line ends a value.
 * - A field given twice is a problem (the first value is used).
 * Values: valid UTF-8; in Name and Workplace a control, line-separator or bidi-override
 * character is refused; in other fields controls become spaces and invisible format
 * characters are dropped; space runs become one space. A value quoted in a problem line is
 * cleaned the same way and cut to QUOTE_MAX characters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "iso_codes.h"
#include "util.h"

#define FIELD_NAME_MAX 40
#define VALUE_MAX (16 * 1024)   /* bytes per value, continuations included */
#define UNKNOWN_MAX 10
#define QUOTE_MAX 60
#define FIELD_LIST                                                                  \
	"Name, Country, Sector, Workplace, Years, Interests, Languages, About, Partner " \
	"sector, Partner stage, Notes, Digest, Mail language"

enum field_id {
	F_NAME,
	F_COUNTRY,
	F_SECTOR,
	F_WORKPLACE,
	F_YEARS,
	F_INTERESTS,
	F_LANGUAGES,
	F_ABOUT,
	F_PARTNER_SECTOR,
	F_PARTNER_STAGE,
	F_NOTES,
	F_DIGEST,
	F_MAIL_LANGUAGE,
	F_COUNT
};

static const struct {
	const char *name;
	bool required;
	const char *accepted;
} fields[F_COUNT] = {
	[F_NAME] = { "Name", true, "your name, 1 to 100 characters, without @ < >" },
	[F_COUNTRY] = { "Country", true, "a country name or ISO 3166 code, e.g. Brazil or BR" },
	[F_SECTOR] = { "Sector", true,
		       "public, academic, school, special, national, government, other" },
	[F_WORKPLACE] = { "Workplace", true,
			  "the name of your library or institution, 1 to 200 characters" },
	[F_YEARS] = { "Years", true, "years in the profession, a whole number from 0 to " STR(PROFILE_YEARS_MAX) },
	[F_INTERESTS] = { "Interests", true,
			  "1 to 20 interests separated by commas, each up to 60 characters" },
	[F_LANGUAGES] = { "Languages", false,
			  "up to 10 language names or ISO 639 codes separated by commas, "
			  "e.g. Portuguese, English" },
	[F_ABOUT] = { "About", false, "free text up to 2000 characters" },
	[F_PARTNER_SECTOR] = { "Partner sector", false,
			       "same, any, or a list of sectors (public, academic, school, "
			       "special, national, government, other)" },
	[F_PARTNER_STAGE] = { "Partner stage", false,
			      "different, same, any, or a list of early, mid, late" },
	[F_NOTES] = { "Notes", false, "free text up to 2000 characters" },
	[F_DIGEST] = { "Digest", false, "yes or no" },
	[F_MAIL_LANGUAGE] = { "Mail language", false,
			      "the language we write to you in: a language name or ISO 639 code, "
			      "e.g. Spanish or es; empty for the first of your Languages" },
};

static const char *const *const sectors = profile_sector_names;
static const char *const *const stages = profile_stage_names;

/* After a known field, these begin a quoted original ("From: ..." in Outlook's languages). */
static const char *const stop_names[] = { "from", "von", "de", "van", "da" };
static const char *const noise_names[] = { "http", "https", "mailto", "ftp", "tel", "ps",
					   "p.s", "re", "fwd", "fw", "sent", "to", "cc",
					   "subject", "date" };

static void
set_str(char **dst, char *val)
{
	free(*dst);
	*dst = val;
}

/* Cleaned copy of valid UTF-8 s (utf8_clean_line(), see the top of the file), its length
 * in characters in *nchars; NULL when strict and s holds a character that cleaning would
 * fold or drop (utf8_has_hidden()): Name and Workplace refuse those. */
static char *
text_clean(const char *s, bool strict, size_t *nchars)
{
	size_t n = strlen(s), i = 0, count = 0;
	uint32_t c;
	char *out;

	if (strict && utf8_has_hidden(s, n))
		return NULL;
	out = utf8_clean_line(s, n, SIZE_MAX);
	for (; out[i] != '\0'; count++)
		i += utf8_next(out + i, &c);
	if (nchars)
		*nchars = count;
	return out;
}

/* s made safe to show in a reply: valid UTF-8, cleaned, at most QUOTE_MAX characters. */
static char *
clip(const char *s)
{
	char *u = utf8_sanitize(s, strlen(s)), *c = text_clean(u, false, NULL), *q;
	size_t i = 0, n = 0;
	uint32_t cp;

	while (c[i] && n < QUOTE_MAX) {
		i += utf8_next(c + i, &cp);
		n++;
	}
	q = xasprintf("%.*s%s", (int)i, c, c[i] ? "…" : "");
	free(u);
	free(c);
	return q;
}

static char *
quote(const char *s)
{
	char *c = clip(s), *q = xasprintf("\"%s\"", c);

	free(c);
	return q;
}

static void
problem(struct buf *problems, int *count, const char *field, const char *what,
	const char *accepted)
{
	buf_printf(problems, "%s: %s; accepted: %s\n", field, what, accepted);
	(*count)++;
}

/* problem() with a quoted value: "Country: \"Narnia\" is not a country we know". */
static void
problem_value(struct buf *problems, int *count, enum field_id f, const char *value,
	      const char *what)
{
	char *q = quote(value), *msg = xasprintf("%s %s", q, what);

	problem(problems, count, fields[f].name, msg, fields[f].accepted);
	free(msg);
	free(q);
}

/* The field a normalised name means ("partner sector", "partnersector", "language",
 * "notes"), or -1: spaces are ignored and a final 's' is optional. */
static int
field_find(const char *norm)
{
	char a[FIELD_NAME_MAX + 2], b[FIELD_NAME_MAX + 2];
	size_t n = 0, m;

	for (const char *p = norm; *p && n < FIELD_NAME_MAX; p++)
		if (*p != ' ')
			a[n++] = *p;
	if (n > 0 && a[n - 1] == 's')
		n--;
	a[n] = '\0';
	for (int i = 0; i < F_COUNT; i++) {
		m = 0;
		for (const char *p = fields[i].name; *p; p++)
			if (*p != ' ')
				b[m++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		if (m > 0 && b[m - 1] == 's')
			m--;
		b[m] = '\0';
		if (strcmp(a, b) == 0)
			return i;
	}
	return -1;
}

/* If line (trimmed) looks like "Field: value", the normalised field name into norm, the
 * name as written into raw, and a pointer to the value; else NULL. */
static const char *
field_split(const char *line, char *norm, char *raw)
{
	const char *colon = strchr(line, ':'), *wide = strstr(line, "\xef\xbc\x9a"), *value;
	size_t n, o = 0, words = 1;

	if (wide != NULL && (colon == NULL || wide < colon)) {
		colon = wide;
		value = wide + 3;
	} else if (colon != NULL) {
		value = colon + 1;
	} else {
		return NULL;
	}
	n = (size_t)(colon - line);
	if (n == 0 || n > FIELD_NAME_MAX)
		return NULL;
	memcpy(raw, line, n);
	raw[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ' ' || c == '\t' || c == '-' || c == '_') {
			if (o > 0 && norm[o - 1] != ' ')
				norm[o++] = ' ';
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80 ||
			   (c == '.' && o > 0)) {
			norm[o++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
		} else {
			return NULL;
		}
	}
	if (o > 0 && norm[o - 1] == ' ')
		o--;
	norm[o] = '\0';
	if (o == 0 || !((norm[0] >= 'a' && norm[0] <= 'z') || (unsigned char)norm[0] >= 0x80))
		return NULL;
	for (size_t i = 0; i < o; i++)
		if (norm[i] == ' ')
			words++;
	return words <= 4 ? value : NULL;
}

static bool
name_in(const char *norm, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(norm, list[i]) == 0)
			return true;
	return false;
}

/* The raw values of a body, one per field (NULL when absent). */
struct form_values {
	struct buf v[F_COUNT];
	bool seen[F_COUNT];
	bool any;
};

static void
values_read(const char *body, struct form_values *fv, struct buf *problems, int *count)
{
	char norm[FIELD_NAME_MAX + 1], raw[FIELD_NAME_MAX + 1];
	const char *p = body, *end, *value;
	size_t len, used = 0;
	int prev = -1, id, unknown = 0;
	char *line = xmalloc(FORM_BODY_MAX + 1), *t, *q;
	bool indented;

	while (*p && used < FORM_BODY_MAX) {
		end = strchr(p, '\n');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len > FORM_BODY_MAX - used)
			len = FORM_BODY_MAX - used;
		used += len + 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = end ? end + 1 : p + len;
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strcmp(line, "-- ") == 0 || strcmp(line, "--") == 0)
			break;
		indented = line[0] == ' ' || line[0] == '\t';
		t = str_trim(line);
		if (*t == '>')
			continue;
		if (*t == '\0') {
			prev = -1;
			continue;
		}
		if (fv->any && strncmp(t, "-----", 5) == 0 && strcasestr(t, "original message"))
			break;
		value = field_split(t, norm, raw);
		id = value ? field_find(norm) : -1;
		if (id < 0 && indented && prev >= 0) {
			buf_addc(&fv->v[prev], ' ');
			buf_adds(&fv->v[prev], t);
			continue;
		}
		prev = -1;
		if (value == NULL)
			continue;
		while (*value == ' ' || *value == '\t')
			value++;
		if (id < 0) {
			if (fv->any && name_in(norm, stop_names, nitems(stop_names)))
				break;
			if (!fv->any || strncmp(value, "//", 2) == 0 ||
			    name_in(norm, noise_names, nitems(noise_names)))
				continue;
			if (unknown++ < UNKNOWN_MAX) {
				q = clip(raw);
				problem(problems, count, q, "unknown field", FIELD_LIST);
				free(q);
			}
			continue;
		}
		fv->any = true;
		if (fv->seen[id]) {
			problem(problems, count, fields[id].name, "given more than once",
				"one line per field");
			continue;
		}
		fv->seen[id] = true;
		buf_adds(&fv->v[id], value);
		prev = id;
	}
	free(line);
}

/* Splits s at any of seps into trimmed, non-empty items (s is modified); max + 1 when
 * there are more than max. */
static size_t
list_split(char *s, const char *seps, char **items, size_t max)
{
	size_t n = 0;
	char *it;

	while ((it = strsep(&s, seps)) != NULL) {
		it = str_trim(it);
		if (*it == '\0')
			continue;
		if (n == max)
			return max + 1;
		items[n++] = it;
	}
	return n;
}

static char *
str_replace_all(const char *s, const char *what, const char *with)
{
	struct buf b;
	const char *hit;
	size_t wl = strlen(what);

	buf_init(&b, 0);
	while ((hit = strcasestr(s, what)) != NULL) {
		buf_add(&b, s, (size_t)(hit - s));
		buf_adds(&b, with);
		s = hit + wl;
	}
	buf_adds(&b, s);
	return buf_steal(&b);
}

/* One word of a closed list ("academic"), in its canonical index, or -1. */
static int
word_index(const char *s, const char *const *list, size_t n)
{
	/* "public library", "academic libraries", "early career", "mid-career" */
	static const char *const tails[] = { " libraries", " library", " sector", " career",
					     "-career" };
	char w[64];
	size_t len;

	snprintf(w, sizeof(w), "%s", s);
	str_lower(w);
	len = strlen(w);
	for (size_t i = 0; i < nitems(tails); i++) {
		size_t tl = strlen(tails[i]);

		if (len > tl && strcmp(w + len - tl, tails[i]) == 0) {
			w[len - tl] = '\0';
			break;
		}
	}
	if (list == sectors && (strcmp(w, "university") == 0 || strcmp(w, "college") == 0 ||
				strcmp(w, "higher education") == 0))
		return 1;
	if (list == sectors && strcmp(w, "gov") == 0)
		return 5;
	for (size_t i = 0; i < n; i++)
		if (strcmp(w, list[i]) == 0)
			return (int)i;
	return -1;
}

/* A partner preference: one of the keywords, or a list of words of list, joined with ','
 * in canonical order. NULL with *bad set to the offending item on error (caller frees). */
static char *
preference_parse(const char *value, const char *const *keywords, size_t nkw,
		 const char *const *list, size_t n, char **bad)
{
	char *items[16], *copy, *out = NULL;
	bool want[16] = { false };
	size_t count;
	struct buf b;
	int idx;

	*bad = NULL;
	for (size_t i = 0; i < nkw; i++)
		if (strcasecmp(value, keywords[i]) == 0)
			return xstrdup(keywords[i]);
	if (strcasecmp(value, "no preference") == 0 || strcasecmp(value, "either") == 0)
		return xstrdup("any");
	copy = str_replace_all(value, " or ", ",");
	set_str(&copy, str_replace_all(copy, " and ", ","));
	count = list_split(copy, ",;/", items, 16);
	if (count == 0 || count > 16) {
		*bad = xstrdup(value);
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		if ((idx = word_index(items[i], list, n)) < 0) {
			*bad = xstrdup(items[i]);
			goto out;
		}
		want[idx] = true;
	}
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		if (want[i])
			buf_printf(&b, "%s%s", b.len ? "," : "", list[i]);
	out = buf_steal(&b);
out:
	free(copy);
	return out;
}

static int
years_parse(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	while (*end == ' ')
		end++;
	if (*end && strcasecmp(end, "years") != 0 && strcasecmp(end, "year") != 0 &&
	    strcasecmp(end, "yrs") != 0 && strcasecmp(end, "y") != 0)
		return -1;
	return v > FORM_YEARS_MAX ? -1 : (int)v;
}

static int
digest_parse(const char *s)
{
	static const char *const yes[] = { "yes", "y", "true", "1", "on" };
	static const char *const no[] = { "no", "n", "false", "0", "off" };

	for (size_t i = 0; i < 5; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Language codes for a list value, "por,eng"; NULL with *bad (caller frees) on error. */
static char *
languages_parse(const char *value, char **bad)
{
	char *copy = xstrdup(value), *items[FORM_LANGUAGES_MAX + 1], *out = NULL;
	const char *codes[FORM_LANGUAGES_MAX];
	size_t n, ncodes = 0;
	struct buf b;

	*bad = NULL;
	n = list_split(copy, ",;/", items, FORM_LANGUAGES_MAX);
	for (size_t i = 0; i < n && i < FORM_LANGUAGES_MAX && *bad == NULL; i++) {
		const char *code = iso_language_lookup(items[i]);
		char *parts[FORM_LANGUAGES_MAX + 1], *split = NULL;
		size_t np = 0;

		if (code != NULL) {
			parts[0] = items[i];
			np = 1;
		} else {
			/* "Portuguese and English": split further only when the whole is not a
			 * name ("Antigua and Barbuda Creole English" is). */
			split = str_replace_all(items[i], " and ", ",");
			set_str(&split, str_replace_all(split, " & ", ","));
			np = list_split(split, ",", parts, FORM_LANGUAGES_MAX);
			if (np < 2)
				np = 0;
		}
		if (np == 0)
			*bad = xstrdup(items[i]);
		for (size_t j = 0; j < np && j < FORM_LANGUAGES_MAX && *bad == NULL; j++) {
			bool dup = false;

			if ((code = iso_language_lookup(parts[j])) == NULL) {
				*bad = xstrdup(parts[j]);
				break;
			}
			for (size_t k = 0; k < ncodes; k++)
				dup = dup || strcmp(codes[k], code) == 0;
			if (dup)
				continue;
			if (ncodes == FORM_LANGUAGES_MAX) {
				n = FORM_LANGUAGES_MAX + 1;
				break;
			}
			codes[ncodes++] = code;
		}
		free(split);
	}
	if (*bad != NULL)
		goto out;
	if (n > FORM_LANGUAGES_MAX) {
		*bad = xstrdup("");
		goto out;
	}
	buf_init(&b, 0);
	for (size_t i = 0; i < ncodes; i++)
		buf_printf(&b, "%s%s", i ? "," : "", codes[i]);
	out = buf_steal(&b);
out:
	free(copy);
	return out;
}

/* Interests as "a, b, c": NULL with a problem on error. */
static char *
interests_parse(const char *value, struct buf *problems, int *count)
{
	char *copy = xstrdup(value), *items[FORM_INTERESTS_MAX + 1], *out = NULL, *msg;
	size_t n = list_split(copy, ",;", items, FORM_INTERESTS_MAX), kept = 0, chars;
	struct buf b;

	if (n > FORM_INTERESTS_MAX) {
		problem(problems, count, "Interests", "more than 20 interests",
			fields[F_INTERESTS].accepted);
		goto out;
	}
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		free(text_clean(items[i], false, &chars));
		if (chars > FORM_INTEREST_MAX) {
			msg = xasprintf("is longer than %d characters", FORM_INTEREST_MAX);
			problem_value(problems, count, F_INTERESTS, items[i], msg);
			free(msg);
			buf_free(&b);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			dup = dup || strcasecmp(items[i], items[j]) == 0;
		if (dup)
			continue;
		buf_printf(&b, "%s%s", kept++ ? ", " : "", items[i]);
	}
	out = kept ? buf_steal(&b) : NULL;
	buf_free(&b);
	if (out == NULL)
		problem(problems, count, "Interests", "no interest given",
			fields[F_INTERESTS].accepted);
out:
	free(copy);
	return out;
}

/* Applies one present, non-empty, cleaned value to p; a problem on error. */
static void
field_apply(enum field_id f, const char *raw, struct profile *p, struct buf *problems,
	    int *count)
{
	char *v = NULL, *r = NULL, *bad = NULL, *msg;
	const char *code;
	size_t chars;
	int n;

	switch (f) {
	case F_NAME:
	case F_WORKPLACE:
		if ((v = text_clean(raw, true, &chars)) == NULL) {
			problem_value(problems, count, f, raw, "contains control characters");
			break;
		}
		if (chars > (f == F_NAME ? FORM_NAME_MAX : FORM_WORKPLACE_MAX)) {
			msg = xasprintf("is longer than %d characters",
					f == F_NAME ? FORM_NAME_MAX : FORM_WORKPLACE_MAX);
			problem_value(problems, count, f, raw, msg);
			free(msg);
			break;
		}
		if (f == F_NAME && strpbrk(v, "@<>") != NULL) {
			problem_value(problems, count, f, raw, "contains @, < or >");
			break;
		}
		set_str(f == F_NAME ? &p->name : &p->workplace, v);
		v = NULL;
		break;
	case F_COUNTRY:
		if ((code = iso_country_lookup(raw)) == NULL)
			problem_value(problems, count, f, raw, "is not a country we know");
		else
			set_str(&p->country, xstrdup(code));
		break;
	case F_SECTOR:
		if ((n = word_index(raw, sectors, PROFILE_NSECTORS)) < 0)
			problem_value(problems, count, f, raw, "is not a sector we know");
		else
			set_str(&p->sector, xstrdup(sectors[n]));
		break;
	case F_YEARS:
		if ((n = years_parse(raw)) < 0)
			problem_value(problems, count, f, raw, "is not a number from 0 to " STR(PROFILE_YEARS_MAX));
		else
			p->years = n;
		break;
	case F_INTERESTS:
		if ((v = interests_parse(raw, problems, count)) != NULL)
			set_str(&p->interests, v);
		v = NULL;
		break;
	case F_LANGUAGES:
		if ((r = languages_parse(raw, &bad)) != NULL) {
			set_str(&p->languages, r);
			r = NULL;
		} else if (*bad == '\0') {
			problem(problems, count, "Languages", "more than 10 languages",
				fields[f].accepted);
		} else {
			problem_value(problems, count, f, bad, "is not a language we know");
		}
		break;
	case F_ABOUT:
	case F_NOTES:
		v = text_clean(raw, false, &chars);
		if (chars > (f == F_ABOUT ? FORM_ABOUT_MAX : FORM_NOTES_MAX)) {
			msg = xasprintf("is %zu characters long, more than 2000", chars);
			problem(problems, count, fields[f].name, msg, fields[f].accepted);
			free(msg);
			break;
		}
		set_str(f == F_ABOUT ? &p->about : &p->notes, v);
		v = NULL;
		break;
	case F_PARTNER_SECTOR:
	case F_PARTNER_STAGE:
		if (f == F_PARTNER_SECTOR)
			r = preference_parse(raw, (const char *const[]){ "same", "any" }, 2,
					     sectors, PROFILE_NSECTORS, &bad);
		else
			r = preference_parse(raw, (const char *const[]){ "different", "same", "any" },
					     3, stages, PROFILE_NSTAGES, &bad);
		if (r == NULL) {
			problem_value(problems, count, f, bad, "is not a choice we know");
			break;
		}
		set_str(f == F_PARTNER_SECTOR ? &p->partner_sector : &p->partner_stage, r);
		r = NULL;
		break;
	case F_DIGEST:
		if ((n = digest_parse(raw)) < 0)
			problem_value(problems, count, f, raw, "is not yes or no");
		else
			p->digest = n;
		break;
	case F_MAIL_LANGUAGE:
		if ((code = iso_language_lookup(raw)) == NULL)
			problem_value(problems, count, f, raw, "is not a language we know");
		else
			set_str(&p->mail_language, xstrdup(code));
		break;
	case F_COUNT:
		break;
	}
	free(v);
	free(r);
	free(bad);
}

/* The default languages: each item of def that is a language, as codes; NULL if none. */
static char *
languages_default(const char *def)
{
	char *bad = NULL, *r;

	if (def == NULL)
		return NULL;
	r = languages_parse(def, &bad);
	free(bad);
	return r;
}

/* Resets an optional field that was given empty (UPDATE) or is unset (SIGNUP). */
static void
field_default(enum field_id f, struct profile *p, const char *default_language)
{
	switch (f) {
	case F_LANGUAGES:
		set_str(&p->languages, languages_default(default_language));
		break;
	case F_ABOUT:
		set_str(&p->about, NULL);
		break;
	case F_NOTES:
		set_str(&p->notes, NULL);
		break;
	case F_PARTNER_SECTOR:
		set_str(&p->partner_sector, xstrdup("same"));
		break;
	case F_PARTNER_STAGE:
		set_str(&p->partner_stage, xstrdup("different"));
		break;
	case F_DIGEST:
		p->digest = 0;
		break;
	case F_MAIL_LANGUAGE:
		set_str(&p->mail_language, NULL);
		break;
	default:
		break;
	}
}

static bool
field_is_set(enum field_id f, const struct profile *p)
{
	switch (f) {
	case F_NAME:
		return p->name != NULL;
	case F_COUNTRY:
		return p->country != NULL;
	case F_SECTOR:
		return p->sector != NULL;
	case F_WORKPLACE:
		return p->workplace != NULL;
	case F_YEARS:
		return p->years >= 0;
	case F_INTERESTS:
		return p->interests != NULL;
	case F_LANGUAGES:
		return p->languages != NULL;
	case F_ABOUT:
		return p->about != NULL;
	case F_PARTNER_SECTOR:
		return p->partner_sector != NULL;
	case F_PARTNER_STAGE:
		return p->partner_stage != NULL;
	case F_NOTES:
		return p->notes != NULL;
	case F_DIGEST:
		return p->digest >= 0;
	case F_MAIL_LANGUAGE:
		return p->mail_language != NULL;
	default:
		return false;
	}
}

int
form_parse(const char *body, bool full, const struct profile *base, const char *default_language,
	   struct profile *out, struct buf *problems)
{
	struct form_values fv;
	bool reported[F_COUNT] = { false };
	int count = 0, before;
	char *raw, *v;

	profile_init(out);
	if (base != NULL)
		profile_copy(out, base);
	memset(&fv, 0, sizeof(fv));
	for (int f = 0; f < F_COUNT; f++)
		buf_init(&fv.v[f], VALUE_MAX);
	values_read(body ? body : "", &fv, problems, &count);

	for (int f = 0; f < F_COUNT; f++) {
		if (!fv.seen[f])
			continue;
		raw = fv.v[f].data ? fv.v[f].data : "";
		before = count;
		if (fv.v[f].overflow) {
			problem(problems, &count, fields[f].name, "is far too long",
				fields[f].accepted);
			reported[f] = true;
			continue;
		}
		if (!utf8_valid(raw, strlen(raw))) {
			problem_value(problems, &count, f, raw, "is not valid UTF-8 text");
			reported[f] = true;
			continue;
		}
		v = text_clean(raw, false, NULL);
		if (*v == '\0') {
			if (fields[f].required && !full)
				problem(problems, &count, fields[f].name, "is empty",
					fields[f].accepted);
			else if (!fields[f].required)
				field_default(f, out, default_language);
		} else {
			/* Name and Workplace refuse what text_clean folded: pass them raw. */
			field_apply(f, (f == F_NAME || f == F_WORKPLACE) ? str_trim(raw) : v, out,
				    problems, &count);
		}
		free(v);
		reported[f] = count > before;
	}
	if (full) {
		for (int f = 0; f < F_COUNT; f++) {
			if (field_is_set(f, out))
				continue;
			if (fields[f].required) {
				if (!reported[f])
					problem(problems, &count, fields[f].name, "is missing",
						fields[f].accepted);
			} else if (f != F_ABOUT && f != F_NOTES) {
				field_default(f, out, default_language);
			}
		}
	} else if (!fv.any) {
		problem(problems, &count, "Form", "no fields found",
			"lines such as \"Country: Brazil\" with the fields " FIELD_LIST);
	}
	for (int f = 0; f < F_COUNT; f++)
		buf_free(&fv.v[f]);
	return count;
}

/* Appends s with any control character as a space, so a value is always one line. */
static void
render_value(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static void
render_list(struct buf *b, const char *list, const char *(*name)(const char *))
{
	char *copy = xstrdup(list ? list : ""), *p = copy, *it;
	bool first = true;
	const char *n;

	while ((it = strsep(&p, ",")) != NULL) {
		if (*it == '\0')
			continue;
		if (!first)
			buf_adds(b, ", ");
		first = false;
		n = name ? name(it) : NULL;
		render_value(b, n ? n : it);
	}
	free(copy);
}

/* The profile's value of field f, as form_render shows it. */
static void
render_field(struct buf *b, enum field_id f, const struct profile *p)
{
	const char *country = p->country ? iso_country_name(p->country) : NULL;

	switch (f) {
	case F_NAME:
		render_value(b, p->name);
		break;
	case F_COUNTRY:
		render_value(b, country ? country : p->country);
		break;
	case F_SECTOR:
		render_value(b, p->sector);
		break;
	case F_WORKPLACE:
		render_value(b, p->workplace);
		break;
	case F_YEARS:
		if (p->years >= 0)
			buf_printf(b, "%d", p->years);
		break;
	case F_INTERESTS:
		render_value(b, p->interests);
		break;
	case F_LANGUAGES:
		render_list(b, p->languages, iso_language_name);
		break;
	case F_ABOUT:
		render_value(b, p->about);
		break;
	case F_PARTNER_SECTOR:
		render_list(b, p->partner_sector, NULL);
		break;
	case F_PARTNER_STAGE:
		render_list(b, p->partner_stage, NULL);
		break;
	case F_NOTES:
		render_value(b, p->notes);
		break;
	case F_DIGEST:
		buf_adds(b, p->digest < 0 ? "" : p->digest ? "yes" : "no");
		break;
	case F_MAIL_LANGUAGE:
		render_list(b, p->mail_language, iso_language_name);
		break;
	case F_COUNT:
		break;
	}
}

/* The form with typed (may be NULL) taking the place of the profile's values. */
static char *
render(const struct profile *p, const struct form_values *typed, bool include_private)
{
	struct buf b;

	buf_init(&b, 0);
	for (int f = 0; f < F_COUNT; f++) {
		if (!include_private && f >= F_PARTNER_SECTOR)
			break;
		buf_printf(&b, "%s: ", fields[f].name);
		if (typed != NULL && typed->seen[f]) {
			const struct buf *v = &typed->v[f];
			char *u = utf8_sanitize(v->data ? v->data : "", v->len);

			render_value(&b, str_trim(u));
			free(u);
		} else {
			render_field(&b, f, p);
		}
		buf_addc(&b, '\n');
	}
	return buf_steal(&b);
}

char *
form_render(const struct profile *p, bool include_private)
{
	return render(p, NULL, include_private);
}

int
form_field_count(const char *body)
{
	struct form_values fv;
	struct buf scratch;
	int count = 0, given = 0;

	memset(&fv, 0, sizeof(fv));
	for (int f = 0; f < F_COUNT; f++)
		buf_init(&fv.v[f], VALUE_MAX);
	buf_init(&scratch, 0);
	values_read(body ? body : "", &fv, &scratch, &count);
	for (int f = 0; f < F_COUNT; f++) {
		char *v = fv.v[f].data ? str_trim(fv.v[f].data) : NULL;

		given += fv.seen[f] && v && *v;
		buf_free(&fv.v[f]);
	}
	buf_free(&scratch);
	return given;
}

char *
form_render_typed(const char *body, const struct profile *p, bool include_private)
{
	struct form_values fv;
	struct buf scratch;
	int count = 0;
	char *out;

	memset(&fv, 0, sizeof(fv));
	for (int f = 0; f < F_COUNT; f++)
		buf_init(&fv.v[f], VALUE_MAX);
	buf_init(&scratch, 0);
	values_read(body ? body : "", &fv, &scratch, &count);
	out = render(p, &fv, include_private);
	for (int f = 0; f < F_COUNT; f++)
		buf_free(&fv.v[f]);
	buf_free(&scratch);
	return out;
}
