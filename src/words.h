/* words.h: each template set's table of words and sentences (issue #15 parts 2 and 3), so
 * that a translator edits text files only. DIR/words.ini and DIR/messages.ini belong to
 * the default set, DIR/xx/words.ini and DIR/xx/messages.ini to language set xx (an ISO
 * 639-1 code, as templates/xx/); the two files of a set are one table (words.ini holds by
 * custom [commands], [fields] and [values], messages.ini [messages]). INI-like form:
 * "[section]" lines, then "key = text" lines; '#' starts a comment line; a line starting
 * with white space continues the value before it; "\n" in a value is a line break.
 * Sections:
 *   [commands]  a command's English name = the words for it in this language, '|'
 *               between alternatives, an alternative of up to three words
 *               ("SIGNUP = INSCRIBIR | INSCRIPCIÓN", "SHOW = MOSTRAR | MIS DATOS");
 *               the English words work everywhere (cmd_parse.c).
 *   [fields]    a form field's English name = its names in this language, '|' between
 *               them, the first as the form shows it ("Workplace = Lugar de trabajo |
 *               Institución"; form.c).
 *   [values]    a closed-list value = its words, '|' between them, the first as the form
 *               shows it ("sector.public = pública | público", "yes = sí").
 *   [phrases]   phrases found anywhere in what people write, '|' between them
 *               ("partner.silent = no responde | no contesta": a PROBLEM report saying
 *               the partner does not respond; program_partnership.c).
 *   [messages]  a sentence the C code builds, with {{name}} placeholders (the form's,
 *               form.*, are in words.ini; the others in messages.ini).
 * What people write is compared with every set's words by utf8_fold() keys (capitals
 * and accents ignored); a word naming two commands, fields or values is a check-config
 * error (cmd_check_words, form_check_words).
 * A key a language set lacks is the default set's. The table is process-wide, like
 * iso_codes: words_load() replaces it (at start and on SIGHUP), words_free() frees it.
 * Strings returned by words_get() belong to the table and live until the next load or
 * free; words_format()'s result is the caller's to free(). */
#ifndef ILN_WORDS_H
#define ILN_WORDS_H

#include <stddef.h>

#include "tmpl.h"

#define WORDS_MAX_FILE  (256u * 1024) /* bytes of one words.ini */
#define WORDS_MAX_VALUE 4096          /* bytes of one value */

/* words_load: read DIR's files (a missing one is empty) and every DIR/xx/'s. 0, or -1 with err "file:line: message" (the table loaded before, if
 * any, is kept). */
int words_load(const char *dir, char *err, size_t errsz);
void words_free(void);

/* words_generation: a number that changes whenever the table does (words_load,
 * words_free), for a caller keeping what it derived from the table. */
unsigned long words_generation(void);

/* words_get: section/key in language lang (an ISO 639-1 code, NULL for the default set),
 * else in the default set, else NULL. */
const char *words_get(const char *lang, const char *section, const char *key);

/* words_lang_code: the i-th loaded language set's code (sorted), NULL past the last; the
 * default set is not among them. */
const char *words_lang_code(size_t i);

/* words_each: fn(ctx, lang, value) for the default set's value of section/key (lang NULL)
 * and then each language set's own (not inherited) value, in code order: for accepting
 * what any language calls a thing. */
void words_each(const char *section, const char *key,
		void (*fn)(void *ctx, const char *lang, const char *value), void *ctx);

/* words_format: words_get(lang, "messages", key) with each {{name}} replaced by its value
 * in vars (an unknown name by ""); the key itself in brackets when no set has it, so a
 * missing sentence shows rather than vanishes. Caller frees. */
char *words_format(const char *lang, const char *key, const struct tmpl_var *vars,
		   size_t nvars);

/* words_text: the [messages] sentence key (one without placeholders) in language lang,
 * the key itself when no set has it; the string belongs to the table.
 * words_buf_add: words_format(lang, key, vars, nvars) appended to b. */
struct buf;
const char *words_text(const char *lang, const char *key);
void words_buf_add(struct buf *b, const char *lang, const char *key,
		   const struct tmpl_var *vars, size_t nvars);

/* words_check: every problem of DIR's tables, one "file:line: message" per line of err: an
 * unreadable or malformed file; a key a language set has that the default set lacks; a
 * message whose {{placeholders}} differ from the default set's. Returns the number of
 * problems (0 = all good). */
int words_check(const char *dir, char *err, size_t errsz);

#endif
