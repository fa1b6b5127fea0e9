/* mail_lang.h: which language a mail is written in (issue #15 part 1), as one pure
 * decision: the recipients' Mail language and Languages, the language the message
 * answered asked for, and which template sets exist are its inputs; nothing here reads
 * the store, the configuration or iso-codes (the caller passes functions for those).
 * Nothing returned is allocated. */
#ifndef ILN_MAIL_LANG_H
#define ILN_MAIL_LANG_H

#include <stdbool.h>
#include <stddef.h>

#define MAIL_LANG_MAX 8         /* bytes of a chosen ISO 639-1 code, its NUL included */

/* One recipient: their Mail language (an ISO 639-3 code, NULL when not chosen) and
 * Languages (ISO 639-3 codes "spa,eng"); languages NULL means not registered. */
struct mail_lang_person {
	const char *mail_language;
	const char *languages;
};

/* What sets there are: alpha2 maps an ISO 639-3 code to its ISO 639-1 code (NULL when it
 * has none); has_set says whether mail may be written in the set of an ISO 639-1 code
 * (loaded and enabled); default_code is the default set's ISO 639-1 code, which always
 * counts as having a set. macro (NULL: none) gives the macrolanguage of an individual
 * language ("zho" for cmn): a language without a set of its own is written in its
 * macrolanguage's, and a language and its macrolanguage count as one when deciding who
 * reads a mail (Mandarin with Chinese; two members of one macrolanguage do not). */
struct mail_lang_sets {
	const char *(*alpha2)(const char *code);
	bool (*has_set)(const void *ctx, const char *a2);
	const void *ctx;
	const char *default_code;
	const char *(*macro)(const char *code);
};

/* mail_lang_choose: the ISO 639-1 code of the set a mail to to[0..nto) is written in,
 * copied into out, or NULL for the default set. A language qualifies when it has a set
 * (its own or its macrolanguage's) and every registered recipient reads it (lists it,
 * chose it as Mail language, or a language it is the macrolanguage or a member of): for an
 * introduction, a language both partners share. In order: the recipients' Mail languages
 * (to[0]'s, then to[1]'s, ...); else to[0]'s Languages in their order, then to[1]'s, ...;
 * else, when to[0] is not registered and is the only recipient, asked (the ISO 639-1 code
 * of the Content-Language or Accept-Language of their message, NULL if none) if it has a
 * set; else NULL. A choice of the default set's language is NULL too. */
const char *mail_lang_choose(const struct mail_lang_person *to, size_t nto, const char *asked,
			     const struct mail_lang_sets *sets, char out[MAIL_LANG_MAX]);

#endif
