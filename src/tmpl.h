/* tmpl.h: mail templates, one UTF-8 file per kind of mail (DIR/NAME.txt).
 * A file is "Subject: ..." on its first line, one blank line, then the body.
 * {{name}} inserts a value literally (never re-expanded); {{#name}}...{{/name}} keeps the
 * enclosed text only when name is set and non-empty. A section tag alone on its line
 * removes that whole line. tmpl_load() parses every file once; tmpl_free() frees the set.
 * Strings returned by tmpl_render() are the caller's to free(). */
#ifndef ILN_TMPL_H
#define ILN_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#define TMPL_MAX_FILE   (64u * 1024)   /* bytes per template file */
#define TMPL_MAX_FILES  200            /* template files per folder */
#define TMPL_MAX_SUBJECT (4u * 1024)   /* bytes of a rendered subject */
#define TMPL_MAX_BODY   (1024u * 1024) /* bytes of a rendered body */
#define TMPL_LANG_MAX   2              /* a language set's code: ISO 639-1 */
#define TMPL_MAX_LANGS  64             /* language sets */

struct tmpl_var { const char *name; const char *value; };
struct tmpl_set;

/* tmpl_load: DIR/NAME.txt is the default set; each DIR/xx/ (an ISO 639-1 code, e.g.
 * templates/es/) a language set, whose files replace the default's one by one (a file it
 * lacks is the default's). NULL on the first error, with err "file:line: message". */
struct tmpl_set *tmpl_load(const char *dir, char *err, size_t errsz);
/* tmpl_load_text: a set of one template, name, read from text[0..len) as tmpl_load()
 * reads a file (for the tests and the fuzzer); NULL with err as tmpl_load(). */
struct tmpl_set *tmpl_load_text(const char *name, const char *text, size_t len, char *err,
				size_t errsz);
void tmpl_free(struct tmpl_set *set);
bool tmpl_has(const struct tmpl_set *set, const char *name);
/* tmpl_lang: the language set code of the default set, or NULL. tmpl_lang_code: the code
 * of the i-th language set (sorted), NULL past the last. tmpl_for: the set to render name
 * in language code: its language set when that has the file, else the default set.
 * tmpl_set_lang: a set's code, NULL for the default set. */
const struct tmpl_set *tmpl_lang(const struct tmpl_set *set, const char *code);
const char *tmpl_lang_code(const struct tmpl_set *set, size_t i);
const struct tmpl_set *tmpl_for(const struct tmpl_set *set, const char *code, const char *name);
const char *tmpl_set_lang(const struct tmpl_set *set);
/* tmpl_is_lang_dir: whether dir/name is a language set's folder: a directory named by an
 * ISO 639-1 code, two lower-case letters (the templates' and words.h's tables' alike). */
bool tmpl_is_lang_dir(const char *dir, const char *name);
/* tmpl_name_at: the name of a set's i-th template (sorted), NULL past the last. */
const char *tmpl_name_at(const struct tmpl_set *set, size_t i);

/* tmpl_render: 0 with *subject and *body set (new strings, valid UTF-8); -1 if there is no
 * such template; -2 if the output would pass TMPL_MAX_SUBJECT or TMPL_MAX_BODY.
 * Unset variables render as "". Invalid UTF-8 in a value becomes U+FFFD. CR and LF
 * that a value brings into the subject are folded to spaces. */
int tmpl_render(const struct tmpl_set *set, const char *name, const struct tmpl_var *vars,
		size_t nvars, char **subject, char **body);

/* tmpl_check: parse every template of dir and report every problem, one
 * "file:line: message" per line of err. Returns the number of problems (0 = all good). */
int tmpl_check(const char *dir, char *err, size_t errsz);

/* tmpl_check_vars: for a caller that knows the variables a template gets: -1 (err
 * "file:line: unknown placeholder {{x}}") when the template uses a name not in known[],
 * or when there is no such template; 0 otherwise. */
int tmpl_check_vars(const struct tmpl_set *set, const char *name, const char *const *known,
		    size_t nknown, char *err, size_t errsz);

/* tmpl_placeholders: the placeholders and sections template name uses, sorted, each once,
 * space-separated ("{{#history}} {{name}} {{profile}}"); NULL when there is no such
 * template. Caller frees. */
char *tmpl_placeholders(const struct tmpl_set *set, const char *name);

#endif
