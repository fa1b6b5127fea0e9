/* words.c: the per-language tables of words and sentences (see words.h).
 *
 * The file format is INI-like but read here, not by libinih: translations are long
 * lines and use ';' freely, and libinih cuts a line at 200 bytes and a value at " ;".
 * A line is "[section]", "key = value", a comment starting with '#', blank, or (starting
 * with white space) the continuation of the previous value, joined with one space. In a
 * value "\n" is a line break. Keys may hold spaces ("ROUND OPEN", "Partner sector").
 * A set is its folder's words.ini and messages.ini, read as one table.
 * Every string is owned by the table; words_free() frees it all. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include "util.h"
#include "words.h"

#define WORDS_MAX_SETS  64
#define WORDS_MAX_ITEMS 4096 /* entries per file */
#define WORDS_KEY_MAX   200

/* The files of a set's folder, read in this order into one table: words.ini for what
 * people type and read ([commands], [fields], [values]), messages.ini for sentences. */
static const char *const files[] = { "words.ini", "messages.ini" };

struct word {
	char *section;
	char *key;
	char *value;
	int line;
	unsigned file;          /* index in files[] */
};

struct wset {
	char code[3];           /* "" for the default set */
	char *paths[nitems(files)];
	struct word *w;         /* sorted by (section, key) once loaded */
	size_t n, cap;
};

static struct wset *sets;     /* sets[0] is the default set */
static size_t nsets;
static unsigned long generation; /* bumped whenever the table changes */

/* Problems of a load or a check, one line each. */
struct errs {
	char *buf;
	size_t size, len;
	int count;
};

static void __attribute__((format(printf, 4, 5)))
err_add(struct errs *e, const char *path, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	e->count++;
	if (e->buf == NULL || e->len + 1 >= e->size)
		return;
	n = snprintf(e->buf + e->len, e->size - e->len, "%s%s:%d: ", e->len ? "\n" : "",
		     path, line);
	if (n < 0 || (size_t)n >= e->size - e->len) {
		e->len = e->size - 1;
		return;
	}
	e->len += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->len, e->size - e->len, fmt, ap);
	va_end(ap);
	e->len = n < 0 || (size_t)n >= e->size - e->len ? e->size - 1 : e->len + (size_t)n;
}

static int
word_cmp(const void *a, const void *b)
{
	const struct word *x = a, *y = b;
	int c = strcmp(x->section, y->section);

	return c ? c : strcmp(x->key, y->key);
}

static void
wset_clear(struct wset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->w[i].section);
		free(s->w[i].key);
		free(s->w[i].value);
	}
	free(s->w);
	for (size_t i = 0; i < nitems(files); i++)
		free(s->paths[i]);
	memset(s, 0, sizeof(*s));
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* "\n" in a value becomes a line break, in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Parse text (NUL-terminated), the file files[file], into s; problems into e. */
static void
wset_parse(struct wset *s, unsigned file, char *text, struct errs *e)
{
	const char *path = s->paths[file];
	char *section = NULL, *line, *next;
	struct word *last = NULL;
	int lineno = 0;

	for (line = text; line != NULL; line = next) {
		char *eq, *t;

		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
			line += 3;
		if (!utf8_valid(line, strlen(line))) {
			err_add(e, path, lineno, "not UTF-8");
			last = NULL;
			continue;
		}
		if ((line[0] == ' ' || line[0] == '\t') && *(t = trim(line)) != '\0' &&
		    *t != '#') {
			size_t have;

			if (last == NULL) {
				err_add(e, path, lineno, "a continuation line with no value before it");
				continue;
			}
			have = strlen(last->value);
			if (have + 1 + strlen(t) > WORDS_MAX_VALUE) {
				err_add(e, path, lineno, "value longer than %u bytes",
					WORDS_MAX_VALUE);
				continue;
			}
			last->value = xrealloc(last->value, have + strlen(t) + 2);
			last->value[have] = ' ';
			memcpy(last->value + have + 1, t, strlen(t) + 1);
			unescape(last->value + have + 1);
			continue;
		}
		t = trim(line);
		last = NULL;
		if (*t == '\0' || *t == '#')
			continue;
		if (*t == '[') {
			char *close = strchr(t, ']');

			if (close == NULL || close[1] != '\0' || close == t + 1) {
				err_add(e, path, lineno, "a section line is \"[name]\"");
				continue;
			}
			*close = '\0';
			section = t + 1;
			continue;
		}
		if ((eq = strchr(t, '=')) == NULL) {
			err_add(e, path, lineno, "not a \"key = value\" line or [section]");
			continue;
		}
		*eq = '\0';
		if (section == NULL) {
			err_add(e, path, lineno, "a key before the first [section]");
			continue;
		}
		if (*trim(t) == '\0' || strlen(trim(t)) > WORDS_KEY_MAX) {
			err_add(e, path, lineno, "a key is 1 to %d bytes", WORDS_KEY_MAX);
			continue;
		}
		if (strlen(eq + 1) > WORDS_MAX_VALUE) {
			err_add(e, path, lineno, "value longer than %u bytes", WORDS_MAX_VALUE);
			continue;
		}
		if (s->n >= WORDS_MAX_ITEMS) {
			err_add(e, path, lineno, "more than %d entries", WORDS_MAX_ITEMS);
			break;
		}
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 64;
			s->w = xrealloc(s->w, s->cap * sizeof(*s->w));
		}
		last = &s->w[s->n++];
		last->section = xstrdup(section);
		last->key = xstrdup(trim(t));
		last->value = xstrdup(trim(eq + 1));
		last->line = lineno;
		last->file = file;
		unescape(last->value);
	}
}

/* Read the file files[file] of s's folder into s; a missing file is empty. */
static void
wfile_read(struct wset *s, unsigned file, struct errs *e)
{
	const char *path = s->paths[file];
	FILE *f;
	char *text = NULL;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		if (errno != ENOENT)
			err_add(e, path, 0, "%s", strerror(errno));
		return;
	}
	text = xmalloc(WORDS_MAX_FILE + 2);
	n = fread(text, 1, WORDS_MAX_FILE + 1, f);
	if (ferror(f))
		err_add(e, path, 0, "%s", strerror(errno));
	else if (n > WORDS_MAX_FILE)
		err_add(e, path, 0, "longer than %u bytes", WORDS_MAX_FILE);
	else if (memchr(text, '\0', n) != NULL)
		err_add(e, path, 0, "holds a NUL byte");
	else {
		text[n] = '\0';
		wset_parse(s, file, text, e);
	}
	fclose(f);
	free(text);
}

/* Read the set in folder dir into s, sorted; a key given twice is a problem. */
static void
wset_read(struct wset *s, const char *dir, struct errs *e)
{
	for (unsigned i = 0; i < nitems(files); i++) {
		s->paths[i] = xasprintf("%s/%s", dir, files[i]);
		wfile_read(s, i, e);
	}
	if (s->n > 0)
		qsort(s->w, s->n, sizeof(*s->w), word_cmp);
	for (size_t i = 1; i < s->n; i++)
		if (word_cmp(&s->w[i - 1], &s->w[i]) == 0) {
			const struct word *later = s->w[i].file > s->w[i - 1].file ||
				(s->w[i].file == s->w[i - 1].file &&
				 s->w[i].line > s->w[i - 1].line) ? &s->w[i] : &s->w[i - 1];

			err_add(e, s->paths[later->file], later->line, "[%s] %s given twice",
				later->section, later->key);
		}
}

static const struct word *
wset_find(const struct wset *s, const char *section, const char *key)
{
	struct word k = { (char *)section, (char *)key, NULL, 0, 0 };

	return s->n ? bsearch(&k, s->w, s->n, sizeof(*s->w), word_cmp) : NULL;
}

static int
code_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wset *)a)->code, ((const struct wset *)b)->code);
}

/* Read dir's tables into *out (*nout sets, the default first). */
static void
tables_read(const char *dir, struct wset **out, size_t *nout, struct errs *e)
{
	struct wset *v = xcalloc(WORDS_MAX_SETS, sizeof(*v));
	size_t n = 1;
	struct dirent *de;
	char *path;
	DIR *d;

	wset_read(&v[0], dir, e);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (n < WORDS_MAX_SETS && tmpl_is_lang_dir(dir, de->d_name)) {
				memcpy(v[n].code, de->d_name, 2); /* two letters */
				path = xasprintf("%s/%s", dir, de->d_name);
				wset_read(&v[n++], path, e);
				free(path);
			}
		closedir(d);
	}
	qsort(v + 1, n - 1, sizeof(*v), code_cmp);
	*out = v;
	*nout = n;
}

static void
tables_free(struct wset *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		wset_clear(&v[i]);
	free(v);
}

void
words_free(void)
{
	tables_free(sets, nsets);
	sets = NULL;
	nsets = 0;
	generation++;
}

unsigned long
words_generation(void)
{
	return generation;
}

int
words_load(const char *dir, char *err, size_t errsz)
{
	struct errs e = { err, errsz, 0, 0 };
	struct wset *v;
	size_t n;

	if (err && errsz)
		err[0] = '\0';
	tables_read(dir, &v, &n, &e);
	if (e.count) {
		tables_free(v, n);
		return -1;
	}
	words_free();
	sets = v;
	nsets = n;
	return 0;
}

static const struct wset *
set_of(const char *lang)
{
	for (size_t i = 1; lang && i < nsets; i++)
		if (strcmp(sets[i].code, lang) == 0)
			return &sets[i];
	return NULL;
}

const char *
words_get(const char *lang, const char *section, const char *key)
{
	const struct wset *s = set_of(lang);
	const struct word *w = s ? wset_find(s, section, key) : NULL;

	if (w == NULL && nsets > 0)
		w = wset_find(&sets[0], section, key);
	return w ? w->value : NULL;
}

const char *
words_lang_code(size_t i)
{
	return i + 1 < nsets ? sets[i + 1].code : NULL;
}

void
words_each(const char *section, const char *key,
	   void (*fn)(void *ctx, const char *lang, const char *value), void *ctx)
{
	for (size_t i = 0; i < nsets; i++) {
		const struct word *w = wset_find(&sets[i], section, key);

		if (w != NULL)
			fn(ctx, i ? sets[i].code : NULL, w->value);
	}
}

char *
words_format(const char *lang, const char *key, const struct tmpl_var *vars, size_t nvars)
{
	const char *t = words_get(lang, "messages", key);
	struct buf b;

	if (t == NULL)
		return xasprintf("[%s]", key);
	buf_init(&b, 0); /* a cap, not a size hint: the values may be long */
	while (*t) {
		const char *open = strstr(t, "{{"), *close;

		if (open == NULL || (close = strstr(open + 2, "}}")) == NULL) {
			buf_adds(&b, t);
			break;
		}
		buf_add(&b, t, (size_t)(open - t));
		for (size_t i = 0; i < nvars; i++)
			if (strlen(vars[i].name) == (size_t)(close - open - 2) &&
			    strncmp(vars[i].name, open + 2, (size_t)(close - open - 2)) == 0) {
				if (vars[i].value)
					buf_adds(&b, vars[i].value);
				break;
			}
		t = close + 2;
	}
	return buf_steal(&b);
}

const char *
words_text(const char *lang, const char *key)
{
	const char *s = words_get(lang, "messages", key);

	return s ? s : key;
}

void
words_buf_add(struct buf *b, const char *lang, const char *key, const struct tmpl_var *vars,
	      size_t nvars)
{
	char *s = words_format(lang, key, vars, nvars);

	buf_adds(b, s);
	free(s);
}

/* The {{placeholders}} of s, sorted, each once, joined with ' ', into out. */
static void
placeholders(const char *s, struct buf *out)
{
	char *names[64], *joined;
	size_t n = 0;

	while ((s = strstr(s, "{{")) != NULL && n < nitems(names)) {
		const char *close = strstr(s + 2, "}}");

		if (close == NULL)
			break;
		names[n++] = xasprintf("{{%.*s}}", (int)(close - s - 2), s + 2);
		s = close + 2;
	}
	joined = strv_join_set(names, n);
	buf_reset(out);
	buf_adds(out, joined);
	buf_addc(out, '\0');
	out->len--;
	free(joined);
}

int
words_check(const char *dir, char *err, size_t errsz)
{
	struct errs e = { err, errsz, 0, 0 };
	struct wset *v;
	struct buf pa, pb;
	size_t n;

	if (err && errsz)
		err[0] = '\0';
	tables_read(dir, &v, &n, &e);
	buf_init(&pa, 0);
	buf_init(&pb, 0);
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < v[i].n; j++) {
			const struct word *w = &v[i].w[j];
			const struct word *d = wset_find(&v[0], w->section, w->key);

			if (d == NULL) {
				err_add(&e, v[i].paths[w->file], w->line,
					"[%s] %s: not in the default set's words.ini", w->section,
					w->key);
				continue;
			}
			placeholders(w->value, &pa);
			placeholders(d->value, &pb);
			if (strcmp(pa.data, pb.data) != 0)
				err_add(&e, v[i].paths[w->file], w->line,
					"[%s] %s: placeholders \"%s\", the default set's are \"%s\"",
					w->section, w->key, pa.data, pb.data);
		}
	buf_free(&pa);
	buf_free(&pb);
	tables_free(v, n);
	return e.count;
}
