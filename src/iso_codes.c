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
#include <dirent.h>
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
	char *msgid;            /* countries: iso-codes' "name", the catalogs' other msgid;
				 * languages: the ISO 639-1 code, or NULL */
};

struct iso_slot {
	char *key;
	int item;
	int prio;
	bool ambiguous;
	/* the translations vote, one catalog one vote, so a catalog's slip ("Mexico" for
	 * Malaysia) loses to the others; a tie is ambiguous */
	int votes, rival, rival_votes;
};

struct iso_set {
	bool strip_the;         /* "The Netherlands" = "Netherlands" */
	bool strip_accents;     /* the translations' keys: "espana" = "España" */
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

/* The names in every language iso-codes translates, read from its gettext catalogs on the
 * first lookup the English names cannot answer; keys without accents. Items are the
 * English sets' item numbers (their own items arrays stay empty). */
static struct iso_set countries_intl = { .strip_the = true, .strip_accents = true };
static struct iso_set languages_intl = { .strip_accents = true };
static bool intl_loaded;
static char *locale_dir;        /* NULL: ISO_CODES_LOCALE_DIR */

/* One gettext catalog (.mo) read whole: the GNU format, either byte order. */
struct mo {
	char *data;
	size_t size;
	uint32_t n, orig, trans;
	bool swap;
};

/* A reader's catalog, kept once opened. */
struct mo_cache {
	char lang[16];
	struct mo country, language2, language3;
	struct mo_cache *next;
};
static struct mo_cache *mo_cached;

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
	/* Short names people write in the shipped languages that the catalogs give only in
	 * a long form ("Federación de Rusia", "Vereinigtes Königreich"): es, pt, fr, de, ru. */
	{ "Rusia", "RU" }, { "Россия", "RU" }, { "Corea del Sur", "KR" },
	{ "Corea del Norte", "KP" }, { "EEUU", "US" }, { "EE. UU.", "US" }, { "EE.UU.", "US" },
	{ "EUA", "US" }, { "Inglaterra", "GB" }, { "Gran Bretaña", "GB" },
	{ "Grã-Bretanha", "GB" }, { "Escocia", "GB" }, { "Escócia", "GB" }, { "Gales", "GB" },
	{ "País de Gales", "GB" }, { "Irlanda del Norte", "GB" }, { "Angleterre", "GB" },
	{ "Grande-Bretagne", "GB" }, { "Écosse", "GB" }, { "Pays de Galles", "GB" },
	{ "Großbritannien", "GB" }, { "Schottland", "GB" }, { "Hollande", "NL" },
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

/* The lookup key of a name, into out; false when empty, too long or not UTF-8. */
static bool
key_fold(const char *in, bool strip_the, bool strip_accents, char *out, size_t outsz)
{
	size_t n = strlen(in), o;

	if (n >= KEY_MAX || !utf8_fold_as(in, n, strip_accents, out, outsz))
		return false;
	o = strlen(out);
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

	if (name == NULL || !key_fold(name, s->strip_the, s->strip_accents, key, sizeof(key)))
		return;
	if ((s->used + 1) * 2 > s->nslots)
		set_grow(s);
	sl = set_slot(s, key);
	if (sl->key == NULL) {
		sl->key = xstrdup(key);
		s->used++;
		sl->prio = prio + 1;
	}
	if (prio < sl->prio) {
		sl->item = item;
		sl->prio = prio;
		sl->ambiguous = false;
		sl->votes = 1;
		sl->rival = -1;
		sl->rival_votes = 0;
	} else if (prio == sl->prio && !s->strip_accents) {
		sl->ambiguous |= sl->item != item;
	} else if (prio == sl->prio) {
		if (sl->item == item) {
			sl->votes++;
		} else if (sl->rival == item || sl->rival_votes == 0) {
			sl->rival = item;
			if (++sl->rival_votes > sl->votes) {
				sl->rival = sl->item;
				sl->rival_votes = sl->votes;
				sl->item = item;
				sl->votes = sl->rival_votes + 1;
			}
		}
		sl->ambiguous = sl->votes == sl->rival_votes;
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

/* The item of input, or -1; *known (may be NULL) tells whether the key is there at all
 * (it is, ambiguously, when -1 comes with *known). */
static int
set_find_known(const struct iso_set *s, const char *input, bool *known)
{
	char key[KEY_MAX];
	const struct iso_slot *sl;

	if (known)
		*known = false;
	if (!loaded || s->nslots == 0 || input == NULL ||
	    !key_fold(input, s->strip_the, s->strip_accents, key, sizeof(key)))
		return -1;
	sl = set_slot(s, key);
	if (known)
		*known = sl->key != NULL;
	if (sl->key == NULL || sl->ambiguous)
		return -1;
	return sl->item;
}

static int
set_find(const struct iso_set *s, const char *input)
{
	return set_find_known(s, input, NULL);
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
	s->items[s->nitems].msgid = NULL;
	return (int)s->nitems++;
}

static void
set_free(struct iso_set *s)
{
	for (size_t i = 0; i < s->nitems; i++) {
		free(s->items[i].code);
		free(s->items[i].name);
		free(s->items[i].msgid);
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
	for (size_t i = 0; i < nitems(country_aliases); i++)
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
		if (name != NULL)
			countries.items[item].msgid = xstrdup(name);
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
		if (json_str(o, "alpha_2") != NULL)
			languages.items[item].msgid = xstrdup(json_str(o, "alpha_2"));
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
	for (size_t i = 0; i < nitems(language_aliases); i++)
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

/* ---- gettext catalogs ---- */

#define MO_MAX_SIZE (16u * 1024 * 1024)   /* bytes of one catalog read */

static uint32_t
mo_u32(const struct mo *m, size_t off)
{
	uint32_t v;

	memcpy(&v, m->data + off, 4);
	return m->swap ? __builtin_bswap32(v) : v;
}

/* Reads the catalog at path into *m; -1 when absent or not a catalog. */
static int
mo_open(const char *path, struct mo *m)
{
	FILE *f = fopen(path, "rb");
	long size;
	uint32_t magic;

	memset(m, 0, sizeof(*m));
	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 28 || (size_t)size > MO_MAX_SIZE ||
	    fseek(f, 0, SEEK_SET) < 0)
		goto fail;
	m->size = (size_t)size;
	m->data = xmalloc(m->size);
	if (fread(m->data, 1, m->size, f) != m->size)
		goto fail;
	memcpy(&magic, m->data, 4);
	if (magic == 0x950412deU)
		m->swap = false;
	else if (magic == 0xde120495U)
		m->swap = true;
	else
		goto fail;
	m->n = mo_u32(m, 8);
	m->orig = mo_u32(m, 12);
	m->trans = mo_u32(m, 16);
	if (m->orig > m->size || m->trans > m->size || m->n > (m->size - m->orig) / 8 ||
	    m->n > (m->size - m->trans) / 8)
		goto fail;
	fclose(f);
	return 0;
fail:
	fclose(f);
	free(m->data);
	memset(m, 0, sizeof(*m));
	return -1;
}

static void
mo_close(struct mo *m)
{
	free(m->data);
	memset(m, 0, sizeof(*m));
}

/* The string of table table (m->orig or m->trans) at i, NUL-terminated inside the file;
 * NULL when the file lies. */
static const char *
mo_string(const struct mo *m, uint32_t table, uint32_t i)
{
	uint32_t len = mo_u32(m, table + 8 * (size_t)i), off = mo_u32(m, table + 8 * (size_t)i + 4);

	if (off >= m->size || len >= m->size - off || m->data[off + len] != '\0')
		return NULL;
	return m->data + off;
}

/* The translation of msgid (the originals are sorted, as msgfmt writes them); NULL when
 * there is none or it is empty. */
static const char *
mo_find(const struct mo *m, const char *msgid)
{
	uint32_t lo = 0, hi = m->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const char *id = mo_string(m, m->orig, mid);
		int c;

		if (id == NULL)
			return NULL;
		if ((c = strcmp(msgid, id)) == 0) {
			const char *t = mo_string(m, m->trans, mid);

			return t && *t ? t : NULL;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The catalogs' folder; NULL when set empty (English names only). */
static const char *
intl_dir(void)
{
	if (locale_dir == NULL)
		return ISO_CODES_LOCALE_DIR;
	return locale_dir[0] ? locale_dir : NULL;
}

/* Adds every translation of a catalog to intl, each under the item its msgid names in
 * english (the English set); the header and untranslated entries are skipped. */
static void
intl_add_catalog(struct iso_set *intl, const struct iso_set *english, const char *path)
{
	struct mo m;

	if (mo_open(path, &m) < 0)
		return;
	for (uint32_t i = 0; i < m.n; i++) {
		const char *id = mo_string(&m, m.orig, i), *str = mo_string(&m, m.trans, i);
		int item;

		char first[KEY_MAX], alts[KEY_MAX], *p, *alt;

		if (id == NULL || str == NULL || *id == '\0' || *str == '\0' ||
		    strlen(id) >= sizeof(first) || strlen(str) >= sizeof(alts))
			continue;
		/* "Spanish; Castilian": the item of its first alternative */
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(id, ";"), id);
		if ((item = set_find(english, first)) < 0)
			continue;
		snprintf(alts, sizeof(alts), "%s", str);
		for (p = alts; (alt = strsep(&p, ";")) != NULL;)
			set_add_name(intl, str_trim(alt), item, 0);
	}
	mo_close(&m);
}

/* Every language's names, once: the catalogs under the locale folder. Languages come
 * from iso_639-2 (the 480 languages of ISO 639-2 in about 90 languages); the 7,900 of
 * iso_639-3 keep their English names, as reading them all would cost a second more. */
static void
intl_load(void)
{
	static const char *const lang_domains[] = { "iso_639-2" };
	char path[4096];
	DIR *d;
	struct dirent *e;

	if (intl_loaded)
		return;
	intl_loaded = true;
	/* the English names without accents too ("Cote d'Ivoire", "Aland") */
	for (size_t i = 0; i < countries.nitems; i++)
		set_add_name(&countries_intl, countries.items[i].name, (int)i, 0);
	for (size_t i = 0; i < languages.nitems; i++)
		set_add_name(&languages_intl, languages.items[i].name, (int)i, 0);
	/* and our aliases ("Gran Bretana", "GROSSBRITANNIEN") */
	for (size_t i = 0; i < nitems(country_aliases); i++) {
		int item = set_find_code(&countries, country_aliases[i].code);

		if (item >= 0)
			set_add_key(&countries_intl, country_aliases[i].name, item, PRIO_ALIAS);
	}
	if (intl_dir() == NULL || (d = opendir(intl_dir())) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/iso_3166-1.mo", intl_dir(), e->d_name);
		intl_add_catalog(&countries_intl, &countries, path);
		for (size_t k = 0; k < nitems(lang_domains); k++) {
			snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/%s.mo", intl_dir(), e->d_name,
				 lang_domains[k]);
			intl_add_catalog(&languages_intl, &languages, path);
		}
	}
	closedir(d);
}

/* The item input names: English names first (an ambiguous English name stays so), then
 * (loading them on first need) every translation, accent-insensitively. */
static int
set_find_any(struct iso_set *english, struct iso_set *intl, const char *input)
{
	bool known;
	int i = set_find_known(english, input, &known);

	if (i >= 0 || known || !loaded || input == NULL)
		return i;
	intl_load();
	return intl->nslots ? set_find(intl, input) : -1;
}

/* The catalogs of reader language lang ("de", "pt_BR"), opened once; NULL when iso-codes
 * has none for it. */
static struct mo_cache *
mo_for(const char *lang)
{
	struct mo_cache *c;
	char path[4096];

	if (lang == NULL || intl_dir() == NULL || strlen(lang) >= sizeof(c->lang) ||
	    strchr(lang, '/') || lang[0] == '.')
		return NULL;
	for (c = mo_cached; c; c = c->next)
		if (strcmp(c->lang, lang) == 0)
			return c;
	c = xcalloc(1, sizeof(*c));
	snprintf(c->lang, sizeof(c->lang), "%s", lang);
	snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/iso_3166-1.mo", intl_dir(), lang);
	mo_open(path, &c->country);
	snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/iso_639-2.mo", intl_dir(), lang);
	mo_open(path, &c->language2);
	snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/iso_639-3.mo", intl_dir(), lang);
	mo_open(path, &c->language3);
	c->next = mo_cached;
	mo_cached = c;
	return c;
}

static void
intl_free(void)
{
	set_free(&countries_intl);
	set_free(&languages_intl);
	intl_loaded = false;
	while (mo_cached) {
		struct mo_cache *c = mo_cached;

		mo_cached = c->next;
		mo_close(&c->country);
		mo_close(&c->language2);
		mo_close(&c->language3);
		free(c);
	}
}

void
iso_codes_locale_dir(const char *dir)
{
	intl_free();
	free(locale_dir);
	locale_dir = dir ? xstrdup(dir) : NULL;
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
	intl_free();
	set_free(&countries);
	set_free(&languages);
	loaded = false;
}

const char *
iso_country_lookup(const char *input)
{
	int i = set_find_any(&countries, &countries_intl, input);

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
	int i = set_find_any(&languages, &languages_intl, input);

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

/* The English name's translation in lang's catalog, else NULL. The catalogs' msgids are
 * iso-codes' own names, so the item's name and common name are tried. */
static const char *
translate(const struct mo *m, const char *english)
{
	return m->data && english ? mo_find(m, english) : NULL;
}

const char *
iso_country_name_in(const char *alpha2, const char *lang)
{
	const char *en = iso_country_name(alpha2), *t;
	struct mo_cache *c;

	if (en == NULL || lang == NULL || (c = mo_for(lang)) == NULL)
		return en;
	if ((t = translate(&c->country, en)) == NULL) {
		int i = set_find_code(&countries, alpha2);

		t = translate(&c->country, countries.items[i].msgid);
	}
	return t && iso_country_lookup(t) != NULL &&
	       strcmp(iso_country_lookup(t), alpha2) == 0 ? t : en;
}

const char *
iso_language_name_in(const char *code, const char *lang)
{
	const char *en = iso_language_name(code), *t;
	struct mo_cache *c;

	if (en == NULL || lang == NULL || (c = mo_for(lang)) == NULL)
		return en;
	if ((t = translate(&c->language3, en)) == NULL)
		t = translate(&c->language2, en);
	return t && strcspn(t, ",;/") == strlen(t) && iso_language_lookup(t) != NULL &&
	       strcmp(iso_language_lookup(t), code) == 0 ? t : en;
}

const char *
iso_language_alpha2(const char *code)
{
	int i;

	if (code == NULL || (i = set_find_code(&languages, code)) < 0)
		return NULL;
	return languages.items[i].msgid;
}
