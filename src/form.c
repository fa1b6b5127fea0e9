/* form.c: the application form (see form.h). A profile owns its strings.
 *
 * How a body is read, line by line (only its first FORM_BODY_MAX bytes):
 * - "Field: value" (or a full-width '：') where Field is 1..40 bytes of letters, spaces, '-'
 *   or '_', at most four words. Field names are matched ignoring case, accents, spaces,
 *   '-' and '_', with a trailing 's' optional ("Language", "partner-sectors",
 *   "Work place", "pais"). Other lines (no colon, or prose before the colon) are ignored:
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
 * cleaned the same way and cut to QUOTE_MAX characters.
 * Languages (words.h): a field's name, a Sector, Partner sector, Partner stage or Digest
 * word, and the unit after Years may be written in any loaded set's words, compared
 * without case or accents; what is stored is the English canonical value. The problem
 * lines are the form.* sentences of the reader's set, and the form is rendered with that
 * set's field names and words and with country and language names in its language, so
 * what a reader gets back parses to the same profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form.h"
#include "iso_codes.h"
#include "util.h"
#include "words.h"

#define FIELD_NAME_MAX 40
#define LABEL_MAX (4 * FIELD_NAME_MAX + 8) /* bytes of a set's field name or value word */
#define VALUE_MAX (16 * 1024)   /* bytes per value, continuations included */
#define UNKNOWN_MAX 10
#define QUOTE_MAX 60

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
	const char *name;       /* its English name, its key in [fields] */
	bool required;
	const char *accepted;   /* its form.accepted.* sentence */
	int max, item_max;      /* the {{max}} and {{item_max}} of that sentence */
} fields[F_COUNT] = {
	[F_NAME] = { "Name", true, "form.accepted.name", FORM_NAME_MAX, 0 },
	[F_COUNTRY] = { "Country", true, "form.accepted.country", 0, 0 },
	[F_SECTOR] = { "Sector", true, "form.accepted.sector", 0, 0 },
	[F_WORKPLACE] = { "Workplace", true, "form.accepted.workplace", FORM_WORKPLACE_MAX, 0 },
	[F_YEARS] = { "Years", true, "form.accepted.years", FORM_YEARS_MAX, 0 },
	[F_INTERESTS] = { "Interests", true, "form.accepted.interests", FORM_INTERESTS_MAX,
			  FORM_INTEREST_MAX },
	[F_LANGUAGES] = { "Languages", false, "form.accepted.languages", FORM_LANGUAGES_MAX, 0 },
	[F_ABOUT] = { "About", false, "form.accepted.about", FORM_ABOUT_MAX, 0 },
	[F_PARTNER_SECTOR] = { "Partner sector", false, "form.accepted.partner_sector", 0, 0 },
	[F_PARTNER_STAGE] = { "Partner stage", false, "form.accepted.partner_stage", 0, 0 },
	[F_NOTES] = { "Notes", false, "form.accepted.notes", FORM_NOTES_MAX, 0 },
	[F_DIGEST] = { "Digest", false, "form.accepted.digest", 0, 0 },
	[F_MAIL_LANGUAGE] = { "Mail language", false, "form.accepted.mail_language", 0, 0 },
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

/* A '|'-list's i-th word (words.h), trimmed, into out; false past the last. */
static bool
list_word(const char *list, size_t i, char *out, size_t outsz)
{
	const char *s = list;
	size_t n;

	for (; s != NULL && i > 0; i--)
		if ((s = strchr(s, '|')) != NULL)
			s++;
	if (s == NULL)
		return false;
	s += strspn(s, " \t");
	n = strcspn(s, "|");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	snprintf(out, outsz, "%.*s", (int)n, s);
	return true;
}

/* What set lang shows for section/key: the first of its words, else fallback. */
static const char *
shown_word(const char *lang, const char *section, const char *key, const char *fallback,
	   char *out, size_t outsz)
{
	if (!list_word(words_get(lang, section, key), 0, out, outsz) || *out == '\0')
		snprintf(out, outsz, "%s", fallback);
	return out;
}

static const char *
label(enum field_id f, const char *lang, char *out, size_t outsz)
{
	return shown_word(lang, "fields", fields[f].name, fields[f].name, out, outsz);
}

const char *
form_value_shown(const char *lang, const char *group, const char *word, char *out,
		 size_t outsz)
{
	char key[64];

	snprintf(key, sizeof(key), "%s%s%s", group ? group : "", group ? "." : "", word);
	return shown_word(lang, "values", key, word, out, outsz);
}

/* The field names in lang, ", "-separated, into b. */
static void
field_names(const char *lang, struct buf *b)
{
	char w[LABEL_MAX];

	for (int f = 0; f < F_COUNT; f++)
		buf_printf(b, "%s%s", f ? ", " : "", label(f, lang, w, sizeof(w)));
}

/* The words of a closed list (profile_sector_names) in lang, ", "-separated, into b. */
static void
value_names(const char *lang, const char *group, const char *const *list, size_t n,
	    struct buf *b)
{
	char w[LABEL_MAX];

	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%s", i ? ", " : "",
			   form_value_shown(lang, group, list[i], w, sizeof(w)));
}

/* Field f's form.accepted.* sentence in lang. Caller frees. */
static char *
accepted(enum field_id f, const char *lang)
{
	char max[16], item[16];
	struct buf names, sects, stgs;
	char *out;

	buf_init(&names, 0);
	buf_init(&sects, 0);
	buf_init(&stgs, 0);
	field_names(lang, &names);
	value_names(lang, "sector", sectors, PROFILE_NSECTORS, &sects);
	value_names(lang, "stage", stages, PROFILE_NSTAGES, &stgs);
	snprintf(max, sizeof(max), "%d", fields[f].max);
	snprintf(item, sizeof(item), "%d", fields[f].item_max);
	{
		struct tmpl_var v[] = { { "max", max }, { "item_max", item },
					{ "fields", names.data }, { "sectors", sects.data },
					{ "stages", stgs.data } };

		out = words_format(lang, fields[f].accepted, v, nitems(v));
	}
	buf_free(&names);
	buf_free(&sects);
	buf_free(&stgs);
	return out;
}

/* Where problems go: the reader's set, the lines, how many. */
struct report {
	const char *lang;
	struct buf *b;
	int count;
};

/* One problem line "Field: what; accepted: ..." (form.problem). */
static void
report_line(struct report *r, const char *field, const char *what, const char *acc)
{
	struct tmpl_var v[] = { { "field", field }, { "what", what }, { "accepted", acc } };
	char *line = words_format(r->lang, "form.problem", v, nitems(v));

	buf_printf(r->b, "%s\n", line);
	free(line);
	r->count++;
}

/* A problem of field f: the sentence key with {{value}} (value made safe to show, when
 * not NULL), {{max}} and {{count}}; the field's accepted text after it. */
static void
report_field(struct report *r, enum field_id f, const char *key, const char *value, long max,
	     size_t count)
{
	char name[LABEL_MAX], m[24], c[24];
	char *q = value ? clip(value) : NULL, *what, *acc;

	snprintf(m, sizeof(m), "%ld", max);
	snprintf(c, sizeof(c), "%zu", count);
	{
		struct tmpl_var v[] = { { "value", q }, { "max", m }, { "count", c } };

		what = words_format(r->lang, key, v, nitems(v));
	}
	acc = accepted(f, r->lang);
	report_line(r, label(f, r->lang, name, sizeof(name)), what, acc);
	free(what);
	free(acc);
	free(q);
}

/* The comparison key of a field name: folded (utf8_fold), without spaces, '-' and '_',
 * a final 's' dropped; "" when it does not fold. */
static void
name_key(const char *s, size_t n, char *out, size_t outsz)
{
	char folded[4 * FIELD_NAME_MAX + 8];
	size_t o = 0;

	if (!utf8_fold(s, n, folded, sizeof(folded)))
		folded[0] = '\0';
	for (const char *p = folded; *p && o + 1 < outsz; p++)
		if (*p != ' ' && *p != '-' && *p != '_')
			out[o++] = *p;
	if (o > 0 && out[o - 1] == 's')
		o--;
	out[o] = '\0';
}

/* The [values] keys form.c reads. */
static const char *const value_keys[] = {
	"sector.public", "sector.academic", "sector.school", "sector.special",
	"sector.national", "sector.government", "sector.other", "stage.early", "stage.mid",
	"stage.late", "pref.same", "pref.any", "pref.different", "yes", "no", "years", "and",
	"or",
};

/* Every word of every set keyed once per load of the table (words_generation()): the
 * fields' (name_key, with the English names) and the values' (utf8_fold). Kept for the
 * process, rebuilt when the table changes. */
struct keyed {
	char key[4 * FIELD_NAME_MAX + 8];
	int id;                 /* a field_id, or an index in value_keys[] */
};

static struct {
	bool ready;
	unsigned long gen;
	struct keyed *v;
	size_t n, cap;
	size_t nfields;         /* v[0..nfields) are the fields', the rest the values' */
} keys;

/* words_each() context of keys_build. */
struct keys_ctx {
	int id;
	bool field;
};

static void
keys_add(const struct keys_ctx *k, const char *word)
{
	struct keyed *e;

	if (keys.n == keys.cap) {
		keys.cap = keys.cap ? 2 * keys.cap : 128;
		keys.v = xrealloc(keys.v, keys.cap * sizeof(*keys.v));
	}
	e = &keys.v[keys.n];
	if (k->field)
		name_key(word, strlen(word), e->key, sizeof(e->key));
	else if (!utf8_fold(word, strlen(word), e->key, sizeof(e->key)))
		e->key[0] = '\0';
	if (e->key[0] == '\0')
		return;
	e->id = k->id;
	keys.n++;
}

static void
keys_add_list(void *ctx, const char *lang, const char *list)
{
	char w[4 * FIELD_NAME_MAX + 8];

	for (size_t i = 0; list_word(list, i, w, sizeof(w)); i++)
		keys_add(ctx, w);
}

static void
keys_build(void)
{
	struct keys_ctx k;

	if (keys.ready && keys.gen == words_generation())
		return;
	keys.n = 0;
	for (int f = 0; f < F_COUNT; f++) {
		k = (struct keys_ctx){ f, true };
		keys_add(&k, fields[f].name);
		words_each("fields", fields[f].name, keys_add_list, &k);
	}
	keys.nfields = keys.n;
	for (size_t i = 0; i < nitems(value_keys); i++) {
		k = (struct keys_ctx){ (int)i, false };
		words_each("values", value_keys[i], keys_add_list, &k);
	}
	keys.gen = words_generation();
	keys.ready = true;
}

/* The field a normalised name means ("partner sector", "Lugar de trabajo", "pais"), in
 * English or any set's words, or -1. */
static int
field_find(const char *norm)
{
	char a[4 * FIELD_NAME_MAX + 8];

	name_key(norm, strlen(norm), a, sizeof(a));
	if (*a == '\0')
		return -1;
	keys_build();
	for (size_t i = 0; i < keys.nfields; i++)
		if (strcmp(keys.v[i].key, a) == 0)
			return keys.v[i].id;
	return -1;
}

/* The index in list (n English words, the keys "group.word" of [values]) that s is in
 * any set's words, or -1. */
static int
value_find(const char *s, const char *group, const char *const *list, size_t n)
{
	char key[4 * FIELD_NAME_MAX + 8], name[64];

	if (!utf8_fold(s, strlen(s), key, sizeof(key)) || *key == '\0')
		return -1;
	keys_build();
	for (size_t j = keys.nfields; j < keys.n; j++) {
		if (strcmp(keys.v[j].key, key) != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%s%s%s", group ? group : "", group ? "." : "",
				 list[i]);
			if (strcmp(value_keys[keys.v[j].id], name) == 0)
				return (int)i;
		}
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
values_read(const char *body, struct form_values *fv, struct report *r)
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
				struct buf names;
				struct tmpl_var v[1];
				char *what = words_format(r->lang, "form.unknown_field", NULL, 0), *acc;

				buf_init(&names, 0);
				field_names(r->lang, &names);
				v[0] = (struct tmpl_var){ "fields", names.data };
				acc = words_format(r->lang, "form.accepted.fields", v, 1);
				q = clip(raw);
				report_line(r, q, what, acc);
				free(q);
				free(what);
				free(acc);
				buf_free(&names);
			}
			continue;
		}
		fv->any = true;
		if (fv->seen[id]) {
			char name[LABEL_MAX];
			char *what = words_format(r->lang, "form.twice", NULL, 0);
			char *acc = words_format(r->lang, "form.twice.accepted", NULL, 0);

			report_line(r, label(id, r->lang, name, sizeof(name)), what, acc);
			free(what);
			free(acc);
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

/* words_each() context: each of a set's words for "and" and "or", between spaces,
 * becomes ','. */
static void
conjunction_one(void *ctx, const char *lang, const char *list)
{
	char **s = ctx, w[LABEL_MAX], *pat;

	for (size_t i = 0; list_word(list, i, w, sizeof(w)); i++) {
		if (*w == '\0')
			continue;
		pat = xasprintf(" %s ", w);
		set_str(s, str_replace_all(*s, pat, ","));
		free(pat);
	}
}

/* "pública y escolar", "Deutsch und Englisch": every set's "and" and "or" as ','. */
static void
conjunctions_split(char **s)
{
	words_each("values", "and", conjunction_one, s);
	words_each("values", "or", conjunction_one, s);
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
	return value_find(s, list == sectors ? "sector" : "stage", list, n);
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
	if ((idx = value_find(value, "pref", keywords, nkw)) >= 0)
		return xstrdup(keywords[idx]);
	if (strcasecmp(value, "no preference") == 0 || strcasecmp(value, "either") == 0)
		return xstrdup("any");
	copy = str_replace_all(value, " or ", ",");
	set_str(&copy, str_replace_all(copy, " and ", ","));
	conjunctions_split(&copy);
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
	    strcasecmp(end, "yrs") != 0 && strcasecmp(end, "y") != 0 &&
	    value_find(end, NULL, (const char *const[]){ "years" }, 1) < 0)
		return -1;
	return v > FORM_YEARS_MAX ? -1 : (int)v;
}

static int
digest_parse(const char *s)
{
	static const char *const yes[] = { "yes", "y", "true", "1", "on" };
	static const char *const no[] = { "no", "n", "false", "0", "off" };

	for (size_t i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	switch (value_find(s, NULL, (const char *const[]){ "yes", "no" }, 2)) {
	case 0:
		return 1;
	case 1:
		return 0;
	default:
		return -1;
	}
}

/* Language codes for a list value, "por,eng"; NULL with *bad (caller frees) on error:
 * what is not a language, or "" for too many. */
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
			conjunctions_split(&split);
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
	if (ncodes == 0) {      /* only separators: "," names no language */
		*bad = xstrdup(value);
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
interests_parse(const char *value, struct report *r)
{
	char *copy = xstrdup(value), *items[FORM_INTERESTS_MAX + 1], *out = NULL;
	size_t n = list_split(copy, ",;", items, FORM_INTERESTS_MAX), kept = 0, chars;
	struct buf b;

	if (n > FORM_INTERESTS_MAX) {
		report_field(r, F_INTERESTS, "form.interests_many", NULL, FORM_INTERESTS_MAX, 0);
		goto out;
	}
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		free(text_clean(items[i], false, &chars));
		if (chars > FORM_INTEREST_MAX) {
			report_field(r, F_INTERESTS, "form.too_long", items[i], FORM_INTEREST_MAX, 0);
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
		report_field(r, F_INTERESTS, "form.interests_none", NULL, 0, 0);
out:
	free(copy);
	return out;
}

/* Applies one present, non-empty, cleaned value to p; a problem on error. */
static void
field_apply(enum field_id f, const char *raw, struct profile *p, struct report *rep)
{
	char *v = NULL, *r = NULL, *bad = NULL;
	const char *code;
	size_t chars;
	int n;

	switch (f) {
	case F_NAME:
	case F_WORKPLACE:
		if ((v = text_clean(raw, true, &chars)) == NULL) {
			report_field(rep, f, "form.controls", raw, 0, 0);
			break;
		}
		if (chars > (f == F_NAME ? FORM_NAME_MAX : FORM_WORKPLACE_MAX)) {
			report_field(rep, f, "form.too_long", raw, fields[f].max, 0);
			break;
		}
		if (f == F_NAME && strpbrk(v, "@<>") != NULL) {
			report_field(rep, f, "form.at_sign", raw, 0, 0);
			break;
		}
		set_str(f == F_NAME ? &p->name : &p->workplace, v);
		v = NULL;
		break;
	case F_COUNTRY:
		if ((code = iso_country_lookup(raw)) == NULL)
			report_field(rep, f, "form.country_unknown", raw, 0, 0);
		else
			set_str(&p->country, xstrdup(code));
		break;
	case F_SECTOR:
		if ((n = word_index(raw, sectors, PROFILE_NSECTORS)) < 0)
			report_field(rep, f, "form.sector_unknown", raw, 0, 0);
		else
			set_str(&p->sector, xstrdup(sectors[n]));
		break;
	case F_YEARS:
		if ((n = years_parse(raw)) < 0)
			report_field(rep, f, "form.years_bad", raw, PROFILE_YEARS_MAX, 0);
		else
			p->years = n;
		break;
	case F_INTERESTS:
		if ((v = interests_parse(raw, rep)) != NULL)
			set_str(&p->interests, v);
		v = NULL;
		break;
	case F_LANGUAGES:
		if ((r = languages_parse(raw, &bad)) != NULL) {
			set_str(&p->languages, r);
			r = NULL;
		} else if (*bad == '\0') {
			report_field(rep, f, "form.languages_many", NULL, FORM_LANGUAGES_MAX, 0);
		} else {
			report_field(rep, f, "form.language_unknown", bad, 0, 0);
		}
		break;
	case F_ABOUT:
	case F_NOTES:
		v = text_clean(raw, false, &chars);
		if (chars > (f == F_ABOUT ? FORM_ABOUT_MAX : FORM_NOTES_MAX)) {
			report_field(rep, f, "form.text_too_long", NULL, fields[f].max, chars);
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
			report_field(rep, f, "form.choice_unknown", bad, 0, 0);
			break;
		}
		set_str(f == F_PARTNER_SECTOR ? &p->partner_sector : &p->partner_stage, r);
		r = NULL;
		break;
	case F_DIGEST:
		if ((n = digest_parse(raw)) < 0)
			report_field(rep, f, "form.yes_no", raw, 0, 0);
		else
			p->digest = n;
		break;
	case F_MAIL_LANGUAGE:
		if ((code = iso_language_lookup(raw)) == NULL)
			report_field(rep, f, "form.language_unknown", raw, 0, 0);
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
	   const char *lang, struct profile *out, struct buf *problems)
{
	struct form_values fv;
	struct report rep = { lang, problems, 0 };
	bool reported[F_COUNT] = { false };
	int before;
	char *raw, *v;

	profile_init(out);
	if (base != NULL)
		profile_copy(out, base);
	memset(&fv, 0, sizeof(fv));
	for (int f = 0; f < F_COUNT; f++)
		buf_init(&fv.v[f], VALUE_MAX);
	values_read(body ? body : "", &fv, &rep);

	for (int f = 0; f < F_COUNT; f++) {
		if (!fv.seen[f])
			continue;
		raw = fv.v[f].data ? fv.v[f].data : "";
		before = rep.count;
		if (fv.v[f].overflow) {
			report_field(&rep, f, "form.far_too_long", NULL, 0, 0);
			reported[f] = true;
			continue;
		}
		if (!utf8_valid(raw, strlen(raw))) {
			report_field(&rep, f, "form.not_utf8", raw, 0, 0);
			reported[f] = true;
			continue;
		}
		v = text_clean(raw, false, NULL);
		if (*v == '\0') {
			if (fields[f].required && !full)
				report_field(&rep, f, "form.empty", NULL, 0, 0);
			else if (!fields[f].required)
				field_default(f, out, default_language);
		} else {
			/* Name and Workplace refuse what text_clean folded: pass them raw. */
			field_apply(f, (f == F_NAME || f == F_WORKPLACE) ? str_trim(raw) : v, out,
				    &rep);
		}
		free(v);
		reported[f] = rep.count > before;
	}
	if (full) {
		for (int f = 0; f < F_COUNT; f++) {
			if (field_is_set(f, out))
				continue;
			if (fields[f].required) {
				if (!reported[f])
					report_field(&rep, f, "form.missing", NULL, 0, 0);
			} else if (f != F_ABOUT && f != F_NOTES) {
				field_default(f, out, default_language);
			}
		}
	} else if (!fv.any) {
		struct buf names;
		struct tmpl_var nv[1];
		char *field = words_format(lang, "form.no_fields.field", NULL, 0);
		char *what = words_format(lang, "form.no_fields", NULL, 0), *acc;

		buf_init(&names, 0);
		field_names(lang, &names);
		nv[0] = (struct tmpl_var){ "fields", names.data };
		acc = words_format(lang, "form.no_fields.accepted", nv, 1);
		report_line(&rep, field, what, acc);
		free(field);
		free(what);
		free(acc);
		buf_free(&names);
	}
	for (int f = 0; f < F_COUNT; f++)
		buf_free(&fv.v[f]);
	return rep.count;
}

/* Appends s with any control character as a space, so a value is always one line. */
static void
render_value(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

/* What the items of a ','-list render_list shows are: language codes, or English words
 * of [values] (a preference keyword, else a sector or a stage). */
enum item_kind { ITEM_LANGUAGE, ITEM_SECTOR, ITEM_STAGE };

static void
render_list(struct buf *b, const char *list, enum item_kind kind, const char *lang)
{
	char *copy = xstrdup(list ? list : ""), *p = copy, *it, w[64];
	bool first = true;
	const char *n;

	while ((it = strsep(&p, ",")) != NULL) {
		if (*it == '\0')
			continue;
		if (!first)
			buf_adds(b, ", ");
		first = false;
		if (kind == ITEM_LANGUAGE)
			n = iso_language_name_in(it, lang);
		else if (strcmp(it, "same") == 0 || strcmp(it, "any") == 0 ||
			   strcmp(it, "different") == 0)
			n = form_value_shown(lang, "pref", it, w, sizeof(w));
		else
			n = form_value_shown(lang, kind == ITEM_SECTOR ? "sector" : "stage", it, w,
					sizeof(w));
		render_value(b, n ? n : it);
	}
	free(copy);
}

/* The profile's value of field f, as form_render shows it in lang. */
static void
render_field(struct buf *b, enum field_id f, const struct profile *p, const char *lang)
{
	const char *country = p->country ? iso_country_name_in(p->country, lang) : NULL;
	char w[LABEL_MAX];

	switch (f) {
	case F_NAME:
		render_value(b, p->name);
		break;
	case F_COUNTRY:
		render_value(b, country ? country : p->country);
		break;
	case F_SECTOR:
		if (p->sector)
			render_list(b, p->sector, ITEM_SECTOR, lang);
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
		render_list(b, p->languages, ITEM_LANGUAGE, lang);
		break;
	case F_ABOUT:
		render_value(b, p->about);
		break;
	case F_PARTNER_SECTOR:
		render_list(b, p->partner_sector, ITEM_SECTOR, lang);
		break;
	case F_PARTNER_STAGE:
		render_list(b, p->partner_stage, ITEM_STAGE, lang);
		break;
	case F_NOTES:
		render_value(b, p->notes);
		break;
	case F_DIGEST:
		if (p->digest >= 0)
			buf_adds(b, form_value_shown(lang, NULL, p->digest ? "yes" : "no", w,
						     sizeof(w)));
		break;
	case F_MAIL_LANGUAGE:
		render_list(b, p->mail_language, ITEM_LANGUAGE, lang);
		break;
	case F_COUNT:
		break;
	}
}

/* The form in lang with typed (may be NULL) taking the place of the profile's values. */
static char *
render(const struct profile *p, const struct form_values *typed, bool include_private,
       const char *lang)
{
	char name[LABEL_MAX];
	struct buf b;

	buf_init(&b, 0);
	for (int f = 0; f < F_COUNT; f++) {
		if (!include_private && f >= F_PARTNER_SECTOR)
			break;
		buf_printf(&b, "%s: ", label(f, lang, name, sizeof(name)));
		if (typed != NULL && typed->seen[f]) {
			const struct buf *v = &typed->v[f];
			char *u = utf8_sanitize(v->data ? v->data : "", v->len);

			render_value(&b, str_trim(u));
			free(u);
		} else {
			render_field(&b, f, p, lang);
		}
		buf_addc(&b, '\n');
	}
	return buf_steal(&b);
}

char *
form_render(const struct profile *p, bool include_private, const char *lang)
{
	return render(p, NULL, include_private, lang);
}

int
form_field_count(const char *body)
{
	struct form_values fv;
	struct buf scratch;
	struct report rep = { NULL, &scratch, 0 };
	int given = 0;

	memset(&fv, 0, sizeof(fv));
	for (int f = 0; f < F_COUNT; f++)
		buf_init(&fv.v[f], VALUE_MAX);
	buf_init(&scratch, 0);
	values_read(body ? body : "", &fv, &rep);
	for (int f = 0; f < F_COUNT; f++) {
		char *v = fv.v[f].data ? str_trim(fv.v[f].data) : NULL;

		given += fv.seen[f] && v && *v;
		buf_free(&fv.v[f]);
	}
	buf_free(&scratch);
	return given;
}

char *
form_render_typed(const char *body, const struct profile *p, bool include_private,
		  const char *lang)
{
	struct form_values fv;
	struct buf scratch;
	struct report rep = { lang, &scratch, 0 };
	char *out;

	memset(&fv, 0, sizeof(fv));
	for (int f = 0; f < F_COUNT; f++)
		buf_init(&fv.v[f], VALUE_MAX);
	buf_init(&scratch, 0);
	values_read(body ? body : "", &fv, &rep);
	out = render(p, &fv, include_private, lang);
	for (int f = 0; f < F_COUNT; f++)
		buf_free(&fv.v[f]);
	buf_free(&scratch);
	return out;
}

/* form_check_words: what words_each() gives, as (key, thing) pairs to compare. */
struct word_use {
	char key[4 * FIELD_NAME_MAX + 8];
	char word[4 * FIELD_NAME_MAX + 8];
	const char *thing;
	char lang[3];
};

struct word_uses {
	struct word_use *v;
	size_t n, cap;
	const char *thing;
	bool field;
};

static void
word_use_add(struct word_uses *u, const char *lang, const char *word)
{
	struct word_use *w;

	if (u->n == u->cap) {
		u->cap = u->cap ? 2 * u->cap : 64;
		u->v = xrealloc(u->v, u->cap * sizeof(*u->v));
	}
	w = &u->v[u->n];
	if (u->field)
		name_key(word, strlen(word), w->key, sizeof(w->key));
	else if (!utf8_fold(word, strlen(word), w->key, sizeof(w->key)))
		w->key[0] = '\0';
	if (w->key[0] == '\0')
		return;
	snprintf(w->word, sizeof(w->word), "%s", word);
	snprintf(w->lang, sizeof(w->lang), "%s", lang ? lang : "");
	w->thing = u->thing;
	u->n++;
}

static void
word_uses_one(void *ctx, const char *lang, const char *value)
{
	char w[4 * FIELD_NAME_MAX + 8];

	for (size_t i = 0; list_word(value, i, w, sizeof(w)); i++)
		word_use_add(ctx, lang, w);
}

/* Every pair of uses of one key for two things, into problems. */
static int
word_uses_clash(const struct word_uses *u, const char *section, struct buf *problems)
{
	int bad = 0;

	for (size_t i = 0; i < u->n; i++)
		for (size_t j = i + 1; j < u->n; j++)
			if (strcmp(u->v[i].key, u->v[j].key) == 0 &&
			    strcmp(u->v[i].thing, u->v[j].thing) != 0) {
				buf_printf(problems, "words.ini [%s]: \"%s\" (%s) is %s and \"%s\" (%s) "
					   "is %s: a word may name one only\n", section,
					   u->v[i].word, u->v[i].lang[0] ? u->v[i].lang : "default",
					   u->v[i].thing, u->v[j].word,
					   u->v[j].lang[0] ? u->v[j].lang : "default", u->v[j].thing);
				bad++;
			}
	return bad;
}

int
form_check_words(struct buf *problems)
{
	struct word_uses u = { NULL, 0, 0, NULL, true };
	int bad;

	for (int f = 0; f < F_COUNT; f++) {
		u.thing = fields[f].name;
		word_use_add(&u, NULL, fields[f].name);
		words_each("fields", fields[f].name, word_uses_one, &u);
	}
	bad = word_uses_clash(&u, "fields", problems);
	/* each must read back as a field name: "Name: value" as values_read splits it */
	for (size_t i = 0; i < u.n; i++) {
		char line[LABEL_MAX + 8], norm[FIELD_NAME_MAX + 1], raw[FIELD_NAME_MAX + 1];

		snprintf(line, sizeof(line), "%s: x", u.v[i].word);
		if (strlen(u.v[i].word) > FIELD_NAME_MAX || field_split(line, norm, raw) == NULL ||
		    strcmp(raw, u.v[i].word) != 0) {
			buf_printf(problems, "words.ini [fields] %s (%s): \"%s\" is not a field name "
				   "a form can hold: up to %d bytes, four words of letters, spaces and "
				   "'-', no ':'\n", u.v[i].thing, u.v[i].lang[0] ? u.v[i].lang : "default",
				   u.v[i].word, FIELD_NAME_MAX);
			bad++;
		}
	}
	u.n = 0;
	u.field = false;
	for (size_t i = 0; i < nitems(value_keys); i++) {
		u.thing = value_keys[i];
		words_each("values", value_keys[i], word_uses_one, &u);
	}
	bad += word_uses_clash(&u, "values", problems);
	free(u.v);
	return bad;
}
