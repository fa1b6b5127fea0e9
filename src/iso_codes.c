/* iso_codes.c: country and language lookups (see iso_codes.h).
 *
 * Each of the two sets is an array of items (code, display name) and one open-addressing
 * hash table from folded keys to items. Every key has a priority; a lower one wins and two
 * different items at the same best priority make the key ambiguous (lookup gives NULL).
 * Priorities: 0 our aliases, 1 codes, 2 names as written, 4 names without "(qualifier)",
 * 6 reordered "Korea, Republic of" -> "Republic of Korea" and inverted names, 8 the part
 * before the comma ("Korea"). For languages, items that are not in ISO 639-2 get +1, so
 * "Swahili" is the macrolanguage (swa), not the individual language (swh).
 * Keys are folded: simple case fold (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic),
 * typographic apostrophes as ', white space collapsed; accents are kept as written.
 * Everything is owned here and freed by iso_codes_free(). */
#include <json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iso_codes.h"
#include "util.h"

#define KEY_MAX 256             /* longer inputs are never a country or language */

enum {
	PRIO_ALIAS = 0,
	PRIO_CODE = 1,
	PRIO_NAME = 2,
	PRIO_STRIPPED = 4,
	PRIO_REORDERED = 6,
	PRIO_FIRST_PART = 8,
};

struct iso_item {
	char *code;
	char *name;
};

struct iso_slot {
	char *key;
	int item;
	int prio;
	bool ambiguous;
};

struct iso_set {
	bool strip_the;         /* "The Netherlands" = "Netherlands" */
	struct iso_item *items;
	size_t nitems, capitems;
	struct iso_slot *slots;
	size_t nslots, used;    /* nslots is a power of two */
};

/* Where a language's names came from, only while loading. */
struct lang_src {
	const char *name3, *name2, *common;
};

struct iso_alias {
	const char *name, *code;
};

static struct iso_set countries = { .strip_the = true };
static struct iso_set languages;
static bool loaded;

static const struct iso_alias country_aliases[] = {
	{ "UK", "GB" }, { "U.K.", "GB" }, { "Great Britain", "GB" }, { "Britain", "GB" },
	{ "England", "GB" }, { "Scotland", "GB" }, { "Wales", "GB" },
	{ "Northern Ireland", "GB" }, { "United Kingdom", "GB" },
	{ "USA", "US" }, { "U.S.A.", "US" }, { "US", "US" }, { "U.S.", "US" },
	{ "United States", "US" }, { "United States of America", "US" }, { "America", "US" },
	{ "Russia", "RU" }, { "South Korea", "KR" }, { "Korea South", "KR" },
	{ "North Korea", "KP" }, { "Korea North", "KP" }, { "Iran", "IR" },
	{ "Vietnam", "VN" }, { "Syria", "SY" }, { "Laos", "LA" }, { "Bolivia", "BO" },
	{ "Venezuela", "VE" }, { "Tanzania", "TZ" }, { "Taiwan", "TW" },
	{ "Czechia", "CZ" }, { "Czech Republic", "CZ" }, { "Holland", "NL" },
	{ "Netherlands", "NL" }, { "Moldova", "MD" }, { "Macedonia", "MK" },
	{ "Swaziland", "SZ" }, { "Burma", "MM" }, { "Ivory Coast", "CI" },
	{ "Cote d'Ivoire", "CI" }, { "Cape Verde", "CV" }, { "East Timor", "TL" },
	{ "Turkey", "TR" }, { "Turkiye", "TR" }, { "Vatican", "VA" }, { "Vatican City", "VA" },
	{ "DRC", "CD" }, { "DR Congo", "CD" }, { "Congo-Kinshasa", "CD" },
	{ "Congo-Brazzaville", "CG" }, { "Brunei", "BN" }, { "UAE", "AE" },
	{ "Emirates", "AE" }, { "Palestine", "PS" }, { "Micronesia", "FM" }, { "Macau", "MO" },
	{ "Curacao", "CW" }, { "Reunion", "RE" }, { "Aland Islands", "AX" },
	{ "Saint Barthelemy", "BL" }, { "Kosovo", "XK" },
};

static const struct iso_alias language_aliases[] = {
	{ "Greek", "ell" }, { "Farsi", "fas" }, { "Mandarin", "cmn" }, { "Cantonese", "yue" },
	{ "Kiswahili", "swa" }, { "Bahasa Indonesia", "ind" }, { "Bahasa Melayu", "msa" },
	{ "Brazilian Portuguese", "por" }, { "Español", "spa" }, { "Castellano", "spa" },
	{ "Português", "por" }, { "Deutsch", "deu" }, { "Français", "fra" },
	{ "Italiano", "ita" }, { "Nederlands", "nld" }, { "Русский", "rus" }, { "中文", "zho" },
	{ "日本語", "jpn" }, { "한국어", "kor" }, { "Polski", "pol" }, { "Svenska", "swe" },
	{ "Norsk", "nor" }, { "Dansk", "dan" }, { "Suomi", "fin" }, { "Türkçe", "tur" },
	{ "Tiếng Việt", "vie" }, { "العربية", "ara" }, { "Ελληνικά", "ell" }, { "עברית", "heb" },
	{ "हिन्दी", "hin" }, { "Čeština", "ces" }, { "Magyar", "hun" }, { "Română", "ron" },
	{ "Українська", "ukr" }, { "Català", "cat" }, { "Euskara", "eus" }, { "Galego", "glg" },
	{ "Hrvatski", "hrv" }, { "Srpski", "srp" }, { "Slovenčina", "slk" },
	{ "Slovenščina", "slv" }, { "isiZulu", "zul" }, { "Te reo Māori", "mri" },
};

static size_t
utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static bool
cp_is_space(uint32_t c)
{
	return c <= 0x20 || c == 0x7f || (c >= 0x80 && c <= 0xa0) || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200b) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000 || c == 0xfeff;
}

static uint32_t
cp_fold(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xff;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c == 0x2018 || c == 0x2019 || c == 0x2bc || c == 0x60 || c == 0xb4)
		return '\'';
	return c;
}

/* The lookup key of a name, into out; false when empty, too long or not UTF-8. */
static bool
key_fold(const char *in, bool strip_the, char *out, size_t outsz)
{
	size_t n = strlen(in), i = 0, o = 0;
	bool space = false;
	uint32_t c;

	if (n >= KEY_MAX || !utf8_valid(in, n))
		return false;
	while (i < n) {
		i += utf8_next(in + i, &c);
		if (cp_is_space(c)) {
			space = o > 0;
			continue;
		}
		if (o + 6 > outsz)
			return false;
		if (space) {
			out[o++] = ' ';
			space = false;
		}
		o += utf8_encode(cp_fold(c), out + o);
	}
	out[o] = '\0';
	if (strip_the && strncmp(out, "the ", 4) == 0) {
		memmove(out, out + 4, o - 3);
		o -= 4;
	}
	return o > 0;
}

static uint64_t
key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct iso_slot *
set_slot(const struct iso_set *s, const char *key)
{
	size_t mask = s->nslots - 1, i = (size_t)key_hash(key) & mask;

	while (s->slots[i].key != NULL && strcmp(s->slots[i].key, key) != 0)
		i = (i + 1) & mask;
	return &s->slots[i];
}

static void
set_grow(struct iso_set *s)
{
	struct iso_slot *old = s->slots;
	size_t oldn = s->nslots;

	s->nslots = oldn ? oldn * 2 : 1024;
	s->slots = xcalloc(s->nslots, sizeof(*s->slots));
	for (size_t i = 0; i < oldn; i++)
		if (old[i].key != NULL)
			*set_slot(s, old[i].key) = old[i];
	free(old);
}

static void
set_add_key(struct iso_set *s, const char *name, int item, int prio)
{
	char key[KEY_MAX];
	struct iso_slot *sl;

	if (name == NULL || !key_fold(name, s->strip_the, key, sizeof(key)))
		return;
	if ((s->used + 1) * 2 > s->nslots)
		set_grow(s);
	sl = set_slot(s, key);
	if (sl->key == NULL) {
		sl->key = xstrdup(key);
		sl->item = item;
		sl->prio = prio;
		sl->ambiguous = false;
		s->used++;
	} else if (prio < sl->prio) {
		sl->item = item;
		sl->prio = prio;
		sl->ambiguous = false;
	} else if (prio == sl->prio && sl->item != item) {
		sl->ambiguous = true;
	}
}

/* Adds name, name without "(...)" groups, and for "A, B": "B A" and "A". */
static void
set_add_name(struct iso_set *s, const char *name, int item, int bump)
{
	char stripped[KEY_MAX], reordered[KEY_MAX];
	const char *comma;
	size_t o = 0;
	int depth = 0;

	if (name == NULL || strlen(name) >= KEY_MAX)
		return;
	set_add_key(s, name, item, PRIO_NAME + bump);
	for (const char *p = name; *p; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			stripped[o++] = *p;
	}
	stripped[o] = '\0';
	set_add_key(s, stripped, item, PRIO_STRIPPED + bump);
	if ((comma = strchr(stripped, ',')) == NULL)
		return;
	snprintf(reordered, sizeof(reordered), "%s %.*s", comma + 1, (int)(comma - stripped),
		 stripped);
	set_add_key(s, reordered, item, PRIO_REORDERED + bump);
	stripped[comma - stripped] = '\0';
	set_add_key(s, stripped, item, PRIO_FIRST_PART + bump);
}

static int
set_find(const struct iso_set *s, const char *input)
{
	char key[KEY_MAX];
	const struct iso_slot *sl;

	if (!loaded || s->nslots == 0 || input == NULL || !key_fold(input, s->strip_the, key, sizeof(key)))
		return -1;
	sl = set_slot(s, key);
	if (sl->key == NULL || sl->ambiguous)
		return -1;
	return sl->item;
}

/* The item whose code is exactly code (case-insensitive), or -1. */
static int
set_find_code(const struct iso_set *s, const char *code)
{
	int i = set_find(s, code);

	if (i < 0 || strcasecmp(s->items[i].code, code) != 0)
		return -1;
	return i;
}

static int
set_add_item(struct iso_set *s, const char *code)
{
	if (s->nitems == s->capitems) {
		s->capitems = s->capitems ? s->capitems * 2 : 256;
		s->items = xrealloc(s->items, s->capitems * sizeof(*s->items));
	}
	s->items[s->nitems].code = xstrdup(code);
	s->items[s->nitems].name = NULL;
	return (int)s->nitems++;
}

static void
set_free(struct iso_set *s)
{
	for (size_t i = 0; i < s->nitems; i++) {
		free(s->items[i].code);
		free(s->items[i].name);
	}
	for (size_t i = 0; i < s->nslots; i++)
		free(s->slots[i].key);
	free(s->items);
	free(s->slots);
	s->items = NULL;
	s->slots = NULL;
	s->nitems = s->capitems = s->nslots = s->used = 0;
}

/* The first candidate that is a clean single name and looks up to item. */
static void
set_pick_name(struct iso_set *s, int item, const char **cands, size_t ncands)
{
	char buf[KEY_MAX];

	for (size_t i = 0; i < ncands; i++) {
		if (cands[i] == NULL || strlen(cands[i]) >= sizeof(buf))
			continue;
		snprintf(buf, sizeof(buf), "%s", cands[i]);
		if (s == &languages && strcspn(buf, ",;/") != strlen(buf))
			continue;
		if (set_find(s, buf) == item) {
			s->items[item].name = xstrdup(str_trim(buf));
			return;
		}
	}
	s->items[item].name = xstrdup(s->items[item].code);
}

static const char *
json_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *
json_load_array(const char *dir, const char *file, const char *key, struct json_object **root,
		char *err, size_t errsz)
{
	char path[4096];
	struct json_object *arr;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((*root = json_object_from_file(path)) == NULL) {
		snprintf(err, errsz, "%s: %s", path, json_util_get_last_err());
		return NULL;
	}
	if (!json_object_object_get_ex(*root, key, &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		snprintf(err, errsz, "%s: no \"%s\" array", path, key);
		return NULL;
	}
	return arr;
}

static int
load_countries(const char *dir, char *err, size_t errsz)
{
	struct json_object *root = NULL, *arr, *o;
	const char *a2, *a3, *name, *common, *official;
	size_t n;
	int rc = -1, item;

	if ((arr = json_load_array(dir, "iso_3166-1.json", "3166-1", &root, err, errsz)) == NULL)
		goto out;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		if ((a2 = json_str(o, "alpha_2")) == NULL || strlen(a2) != 2)
			continue;
		item = set_add_item(&countries, a2);
		set_add_key(&countries, a2, item, PRIO_CODE);
		set_add_key(&countries, json_str(o, "alpha_3"), item, PRIO_CODE);
	}
	/* Kosovo has no ISO 3166-1 code; XK is the one everyone uses. */
	if (set_find_code(&countries, "XK") < 0) {
		item = set_add_item(&countries, "XK");
		set_add_key(&countries, "XK", item, PRIO_CODE);
		set_add_key(&countries, "XKX", item, PRIO_CODE);
	}
	for (size_t i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		if ((a2 = json_str(o, "alpha_2")) == NULL || (item = set_find_code(&countries, a2)) < 0)
			continue;
		set_add_name(&countries, json_str(o, "name"), item, 0);
		set_add_name(&countries, json_str(o, "common_name"), item, 0);
		set_add_name(&countries, json_str(o, "official_name"), item, 0);
	}
	for (size_t i = 0; i < sizeof(country_aliases) / sizeof(country_aliases[0]); i++)
		if ((item = set_find_code(&countries, country_aliases[i].code)) >= 0)
			set_add_key(&countries, country_aliases[i].name, item, PRIO_ALIAS);
	for (size_t i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		if ((a2 = json_str(o, "alpha_2")) == NULL || (item = set_find_code(&countries, a2)) < 0)
			continue;
		name = json_str(o, "name");
		common = json_str(o, "common_name");
		official = json_str(o, "official_name");
		a3 = json_str(o, "alpha_3");
		set_pick_name(&countries, item,
			      (const char *[]){ common, name, official, a3 }, 4);
	}
	if ((item = set_find_code(&countries, "XK")) >= 0 && countries.items[item].name == NULL)
		set_pick_name(&countries, item, (const char *[]){ "Kosovo" }, 1);
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

static int
load_languages(const char *dir, char *err, size_t errsz)
{
	struct json_object *root3 = NULL, *root2 = NULL, *arr3, *arr2, *o;
	struct lang_src *src = NULL;
	bool *in2 = NULL;
	const char *code, *name;
	size_t n3, n2, nitems;
	int rc = -1, item;

	if ((arr3 = json_load_array(dir, "iso_639-3.json", "639-3", &root3, err, errsz)) == NULL ||
	    (arr2 = json_load_array(dir, "iso_639-2.json", "639-2", &root2, err, errsz)) == NULL)
		goto out;
	n3 = json_object_array_length(arr3);
	n2 = json_object_array_length(arr2);

	/* Items and codes first: 639-3, then the 639-2 codes it lacks (collectives). */
	for (size_t i = 0; i < n3; i++) {
		o = json_object_array_get_idx(arr3, i);
		if ((code = json_str(o, "alpha_3")) == NULL || strlen(code) != 3)
			continue;
		item = set_add_item(&languages, code);
		set_add_key(&languages, code, item, PRIO_CODE);
		set_add_key(&languages, json_str(o, "alpha_2"), item, PRIO_CODE);
	}
	for (size_t i = 0; i < n2; i++) {
		o = json_object_array_get_idx(arr2, i);
		if ((code = json_str(o, "alpha_3")) == NULL || strlen(code) != 3)
			continue;
		if ((item = set_find_code(&languages, code)) < 0)
			item = set_add_item(&languages, code);
		set_add_key(&languages, code, item, PRIO_CODE);
		set_add_key(&languages, json_str(o, "alpha_2"), item, PRIO_CODE);
		set_add_key(&languages, json_str(o, "bibliographic"), item, PRIO_CODE);
	}
	nitems = languages.nitems;
	src = xcalloc(nitems, sizeof(*src));
	in2 = xcalloc(nitems, sizeof(*in2));
	for (size_t i = 0; i < n2; i++) {
		o = json_object_array_get_idx(arr2, i);
		if ((code = json_str(o, "alpha_3")) == NULL ||
		    (item = set_find_code(&languages, code)) < 0)
			continue;
		in2[item] = true;
		src[item].name2 = json_str(o, "name");
		if (json_str(o, "common_name") != NULL)
			src[item].common = json_str(o, "common_name");
	}

	for (size_t i = 0; i < n3; i++) {
		o = json_object_array_get_idx(arr3, i);
		if ((code = json_str(o, "alpha_3")) == NULL ||
		    (item = set_find_code(&languages, code)) < 0)
			continue;
		src[item].name3 = json_str(o, "name");
		if (json_str(o, "common_name") != NULL)
			src[item].common = json_str(o, "common_name");
		set_add_name(&languages, src[item].name3, item, in2[item] ? 0 : 1);
		set_add_name(&languages, src[item].common, item, in2[item] ? 0 : 1);
		if ((name = json_str(o, "inverted_name")) != NULL) {
			set_add_name(&languages, name, item, PRIO_REORDERED - PRIO_NAME +
				     (in2[item] ? 0 : 1));
		}
	}
	for (size_t i = 0; i < nitems; i++) {
		char alts[KEY_MAX], *p, *alt;

		if (src[i].name2 == NULL || strlen(src[i].name2) >= sizeof(alts))
			continue;
		snprintf(alts, sizeof(alts), "%s", src[i].name2);
		for (p = alts; (alt = strsep(&p, ";")) != NULL;)
			set_add_name(&languages, alt, (int)i, 0);
	}
	for (size_t i = 0; i < sizeof(language_aliases) / sizeof(language_aliases[0]); i++)
		if ((item = set_find_code(&languages, language_aliases[i].code)) >= 0)
			set_add_key(&languages, language_aliases[i].name, item, PRIO_ALIAS);

	for (size_t i = 0; i < nitems; i++) {
		char first2[KEY_MAX] = "", stripped2[KEY_MAX] = "", stripped3[KEY_MAX] = "";

		if (src[i].name2 != NULL) {
			snprintf(first2, sizeof(first2), "%.*s", (int)strcspn(src[i].name2, ";"),
				 src[i].name2);
			snprintf(stripped2, sizeof(stripped2), "%.*s", (int)strcspn(first2, "("),
				 first2);
		}
		if (src[i].name3 != NULL)
			snprintf(stripped3, sizeof(stripped3), "%.*s",
				 (int)strcspn(src[i].name3, "("), src[i].name3);
		set_pick_name(&languages, (int)i,
			      (const char *[]){ src[i].common, stripped2, stripped3, src[i].name3,
						first2, src[i].name2 }, 6);
	}
	rc = 0;
out:
	free(src);
	free(in2);
	json_object_put(root3);
	json_object_put(root2);
	return rc;
}

int
iso_codes_load(const char *dir, char *err, size_t errsz)
{
	int rc = -1;

	iso_codes_free();
	if (dir == NULL)
		dir = ISO_CODES_DIR;
	/* set_find() refuses to answer until loaded; the loaders need it while building. */
	loaded = true;
	if (load_countries(dir, err, errsz) < 0 || load_languages(dir, err, errsz) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		iso_codes_free();
	return rc;
}

void
iso_codes_free(void)
{
	set_free(&countries);
	set_free(&languages);
	loaded = false;
}

const char *
iso_country_lookup(const char *input)
{
	int i = set_find(&countries, input);

	return i < 0 ? NULL : countries.items[i].code;
}

const char *
iso_country_name(const char *alpha2)
{
	int i;

	if (alpha2 == NULL || strlen(alpha2) != 2 || (i = set_find_code(&countries, alpha2)) < 0)
		return NULL;
	return countries.items[i].name;
}

const char *
iso_language_lookup(const char *input)
{
	int i = set_find(&languages, input);

	return i < 0 ? NULL : languages.items[i].code;
}

const char *
iso_language_name(const char *code)
{
	int i;

	if (code == NULL || (i = set_find_code(&languages, code)) < 0)
		return NULL;
	return languages.items[i].name;
}
