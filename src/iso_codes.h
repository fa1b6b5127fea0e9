/* iso_codes.h: country (ISO 3166-1) and language (ISO 639-2/639-3) lookups from Debian's
 * iso-codes JSON files, and their names in every language iso-codes translates (its gettext
 * catalogs, read on the first lookup the English names cannot answer). iso_codes_load()
 * reads the JSON once into hash tables owned by this module; every returned string stays
 * valid until iso_codes_free() (or iso_codes_locale_dir()) and must not be freed.
 * Before a successful load every lookup returns NULL. Not thread-safe (load once at start). */
#ifndef ILN_ISO_CODES_H
#define ILN_ISO_CODES_H

#include <stdbool.h>
#include <stddef.h>

#define ISO_CODES_DIR "/usr/share/iso-codes/json"
#define ISO_CODES_LOCALE_DIR "/usr/share/locale"   /* iso-codes' gettext catalogs */

/* dir NULL = ISO_CODES_DIR. Returns 0, or -1 with a message in err. Loading again replaces
 * the tables. */
int iso_codes_load(const char *dir, char *err, size_t errsz);
void iso_codes_free(void);
/* Where the catalogs are (NULL = ISO_CODES_LOCALE_DIR; "" or a folder without them =
 * English names only); forgets the translations read so far. */
void iso_codes_locale_dir(const char *dir);

/* Country by alpha-2 or alpha-3 code, name, common or official name, or a common short form
 * ("UK", "USA", "Holland"), case-insensitively; a leading "the" is ignored; else by its name
 * in any language iso-codes translates, case- and accent-insensitively ("Deutschland",
 * "espana", "日本"). Returns the alpha-2 code, or NULL when unknown or ambiguous ("Korea",
 * or a translation that names two countries in two languages). */
const char *iso_country_lookup(const char *input);
/* Display name of an alpha-2 code ("South Korea"): common name, else name; NULL if unknown.
 * iso_country_lookup(iso_country_name(c)) == c for every known c. */
const char *iso_country_name(const char *alpha2);
/* The name in reader language lang (a catalog name: "de", "pt_BR"; NULL = English) when
 * iso-codes translates it and the translation looks up to the same code; else the English
 * iso_country_name(). */
const char *iso_country_name_in(const char *alpha2, const char *lang);

/* Language by ISO 639-1, 639-2 (T or B) or 639-3 code, or by name: any ';' alternative of a
 * 639-2 or 639-3 name, with or without its "(qualifier)", inverted names, and a few common
 * forms ("Greek", "Farsi", "Español"); else by its name in any language iso-codes
 * translates ("Englisch", "anglais", "ingles"). Codes win over names. Returns the 639-3 code (639-2
 * for the collective codes that 639-3 lacks), or NULL when unknown or ambiguous. */
const char *iso_language_lookup(const char *input);
/* Display name of a code returned by iso_language_lookup ("Spanish"); never contains ',' ';'
 * or '/', and round-trips through iso_language_lookup. NULL if unknown. */
const char *iso_language_name(const char *code);
/* The ISO 639-1 code of a code iso_language_lookup returned ("es" for spa), or NULL. */
const char *iso_language_alpha2(const char *code);
/* As iso_country_name_in, for languages ("Spanisch" for spa in "de"). */
const char *iso_language_name_in(const char *code, const char *lang);

/* Macrolanguages (iso_macro.c, a table of our own: iso-codes does not list members; these
 * work without iso_codes_load). iso_language_macro: the ISO 639-3 macrolanguage an
 * individual language belongs to ("zho" for cmn), or NULL. iso_language_member: the
 * members of macro one by one: start with *i = 0, NULL after the last.
 * iso_language_related: whether a and b count as one language for sharing it: the same
 * code, or one is the other's macrolanguage (cmn and zho; not cmn and yue). */
const char *iso_language_macro(const char *code);
const char *iso_language_member(const char *macro, size_t *i);
bool iso_language_related(const char *a, const char *b);

#endif
