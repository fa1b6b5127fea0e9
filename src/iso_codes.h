/* iso_codes.h: country (ISO 3166-1) and language (ISO 639-2/639-3) lookups from Debian's
 * iso-codes JSON files. iso_codes_load() reads them once into hash tables owned by this
 * module; every returned string stays valid until iso_codes_free() and must not be freed.
 * Before a successful load every lookup returns NULL. Not thread-safe (load once at start). */
#ifndef ILN_ISO_CODES_H
#define ILN_ISO_CODES_H

#include <stddef.h>

#define ISO_CODES_DIR "/usr/share/iso-codes/json"

/* dir NULL = ISO_CODES_DIR. Returns 0, or -1 with a message in err. Loading again replaces
 * the tables. */
int iso_codes_load(const char *dir, char *err, size_t errsz);
void iso_codes_free(void);

/* Country by alpha-2 or alpha-3 code, name, common or official name, or a common short form
 * ("UK", "USA", "Holland"), case-insensitively; a leading "the" is ignored. Returns the
 * alpha-2 code, or NULL when unknown or ambiguous ("Korea"). */
const char *iso_country_lookup(const char *input);
/* Display name of an alpha-2 code ("South Korea"): common name, else name; NULL if unknown.
 * iso_country_lookup(iso_country_name(c)) == c for every known c. */
const char *iso_country_name(const char *alpha2);

/* Language by ISO 639-1, 639-2 (T or B) or 639-3 code, or by name: any ';' alternative of a
 * 639-2 or 639-3 name, with or without its "(qualifier)", inverted names, and a few common
 * forms ("Greek", "Farsi", "Español"). Codes win over names. Returns the 639-3 code (639-2
 * for the collective codes that 639-3 lacks), or NULL when unknown or ambiguous. */
const char *iso_language_lookup(const char *input);
/* Display name of a code returned by iso_language_lookup ("Spanish"); never contains ',' ';'
 * or '/', and round-trips through iso_language_lookup. NULL if unknown. */
const char *iso_language_name(const char *code);

#endif
