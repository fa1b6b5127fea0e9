/* tmpl.c: load mail templates from a folder into token lists, and render them with
 * values inserted literally (see tmpl.h). The set owns every string in it;
 * tmpl_render() hands new strings to the caller. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "log.h"
#include "tmpl.h"
#include "util.h"

#define TMPL_MAX_NAME   64  /* bytes of a template or variable name */
#define TMPL_MAX_DEPTH  16  /* open sections at once */

enum tok_kind { TOK_TEXT, TOK_VAR, TOK_OPEN, TOK_CLOSE };

struct tok {
	enum tok_kind kind;
	char *s;            /* text, or the variable name */
	size_t len;
	int line;
	size_t close;       /* TOK_OPEN: index of its TOK_CLOSE */
};

struct toks {
	struct tok *v;
	size_t n, size;
};

struct tmpl {
	char *name;
	char *path;
	struct toks subject;
	struct toks body;
};

struct tmpl_set {
	struct tmpl *t;
	size_t n;
	char lang[TMPL_LANG_MAX + 1];   /* a language set's code; "" for the default set */
	struct tmpl_set **langs;        /* the default set's language sets, by code */
	size_t nlangs;
};

/* Where problems go: the first one only (load) or all of them (check). */
struct errs {
	char *buf;
	size_t size;
	size_t used;
	int count;
};

static void errs_add(struct errs *e, const char *path, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
errs_add(struct errs *e, const char *path, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	e->count++;
	if (e->buf == NULL || e->size == 0 || e->used + 1 >= e->size)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		n = snprintf(e->buf + e->used, e->size - e->used, "%s%s:%d: %s",
			     e->used ? "\n" : "", path, line, msg);
	else
		n = snprintf(e->buf + e->used, e->size - e->used, "%s%s: %s",
			     e->used ? "\n" : "", path, msg);
	if (n > 0)
		e->used += (size_t)n < e->size - e->used ? (size_t)n : e->size - e->used - 1;
}

static void
toks_push(struct toks *t, enum tok_kind kind, const char *s, size_t len, int line)
{
	if (t->n == t->size) {
		t->size = t->size ? t->size * 2 : 16;
		t->v = xrealloc(t->v, t->size * sizeof(*t->v));
	}
	t->v[t->n].kind = kind;
	t->v[t->n].s = xstrndup(s, len);
	t->v[t->n].len = len;
	t->v[t->n].line = line;
	t->v[t->n].close = 0;
	t->n++;
}

static void
toks_free(struct toks *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].s);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static bool
name_valid(const char *s, size_t n)
{
	if (n == 0 || n > TMPL_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

static bool
all_blank(const char *s, const char *e)
{
	for (; s < e; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/*
 * Tokenise s[0..n) (no CR; LF ends lines) starting at line `line`. In the body a section
 * tag alone on its line takes the line with it, so optional blocks leave no blank lines.
 */
static int
parse_segment(const char *s, size_t n, int line, bool body, struct toks *out,
	      const char *path, struct errs *e)
{
	const char *p = s, *end = s + n, *text = s, *line_start = s;
	size_t stack[TMPL_MAX_DEPTH];
	size_t depth = 0;

	while (p < end) {
		const char *q, *in, *in_end, *after, *cut;
		enum tok_kind kind = TOK_VAR;

		if (*p == '\n') {
			line++;
			line_start = ++p;
			continue;
		}
		if (p[0] != '{' || p + 1 >= end || p[1] != '{') {
			p++;
			continue;
		}
		for (q = p + 2; q + 1 < end && *q != '\n'; q++)
			if (q[0] == '}' && q[1] == '}')
				break;
		if (q + 1 >= end || *q == '\n') {
			errs_add(e, path, line, "unclosed '{{'");
			return -1;
		}
		in = p + 2;
		in_end = q;
		after = q + 2;
		while (in < in_end && (*in == ' ' || *in == '\t'))
			in++;
		while (in_end > in && (in_end[-1] == ' ' || in_end[-1] == '\t'))
			in_end--;
		if (in < in_end && (*in == '#' || *in == '/')) {
			kind = *in == '#' ? TOK_OPEN : TOK_CLOSE;
			in++;
		}
		if (!name_valid(in, (size_t)(in_end - in))) {
			errs_add(e, path, line, "bad placeholder '%.*s'", (int)(after - p), p);
			return -1;
		}
		cut = p;
		if (kind != TOK_VAR && body && all_blank(line_start, p)) {
			const char *r = after;

			while (r < end && (*r == ' ' || *r == '\t'))
				r++;
			if (r == end || *r == '\n') {
				cut = line_start;
				after = r < end ? r + 1 : r;
			}
		}
		if (cut > text)
			toks_push(out, TOK_TEXT, text, (size_t)(cut - text), line);
		if (kind == TOK_OPEN) {
			for (size_t i = 0; i < depth; i++)
				if (out->v[stack[i]].len == (size_t)(in_end - in) &&
				    memcmp(out->v[stack[i]].s, in, out->v[stack[i]].len) == 0) {
					errs_add(e, path, line, "section {{#%.*s}} inside itself",
						 (int)(in_end - in), in);
					return -1;
				}
			if (depth == TMPL_MAX_DEPTH) {
				errs_add(e, path, line, "sections nested too deeply");
				return -1;
			}
			stack[depth++] = out->n;
		} else if (kind == TOK_CLOSE) {
			struct tok *open = depth ? &out->v[stack[depth - 1]] : NULL;

			if (open == NULL || open->len != (size_t)(in_end - in) ||
			    memcmp(open->s, in, open->len) != 0) {
				if (open)
					errs_add(e, path, line, "{{/%.*s}} closes {{#%s}} (line %d)",
						 (int)(in_end - in), in, open->s, open->line);
				else
					errs_add(e, path, line, "{{/%.*s}} without {{#%.*s}}",
						 (int)(in_end - in), in, (int)(in_end - in), in);
				return -1;
			}
			out->v[stack[--depth]].close = out->n;
		}
		toks_push(out, kind, in, (size_t)(in_end - in), line);
		if (after > q + 2 && after[-1] == '\n') {
			line++;
			line_start = after;
		}
		p = text = after;
	}
	if (depth > 0) {
		struct tok *open = &out->v[stack[depth - 1]];

		errs_add(e, path, open->line, "unclosed section {{#%s}}", open->s);
		return -1;
	}
	if (end > text)
		toks_push(out, TOK_TEXT, text, (size_t)(end - text), line);
	return 0;
}

/* Line number (1-based) of offset off in s. */
static int
line_of(const char *s, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* Offset of the first byte that starts no valid UTF-8 sequence. */
static size_t
utf8_bad_offset(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k;

		for (k = 1; k <= 4 && k <= n - i; k++)
			if (utf8_valid(s + i, k))
				break;
		if (k > 4 || k > n - i)
			return i;
		i += k;
	}
	return n;
}

/* Check bytes and turn CRLF into LF in place; returns the new length or -1. */
static long
clean_text(char *s, size_t n, const char *path, struct errs *e)
{
	size_t i, o = 0;

	if (!utf8_valid(s, n)) {
		errs_add(e, path, line_of(s, utf8_bad_offset(s, n)), "invalid UTF-8");
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			errs_add(e, path, line_of(s, i), "control character 0x%02x", c);
			return -1;
		}
		s[o++] = s[i];
	}
	s[o] = '\0';
	return (long)o;
}

static int
tmpl_parse(struct tmpl *t, char *text, size_t n, struct errs *e)
{
	char *s = text, *nl, *subj;
	long len;

	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if ((len = clean_text(s, n, t->path, e)) < 0)
		return -1;
	n = (size_t)len;
	if (!str_has_prefix_ci(s, "Subject:")) {
		errs_add(e, t->path, 1, "first line must be 'Subject: ...'");
		return -1;
	}
	if ((nl = strchr(s, '\n')) == NULL || nl[1] != '\n') {
		errs_add(e, t->path, 2, "expected a blank line after the Subject line");
		return -1;
	}
	subj = s + strlen("Subject:");
	while (subj < nl && (*subj == ' ' || *subj == '\t'))
		subj++;
	while (nl > subj && (nl[-1] == ' ' || nl[-1] == '\t'))
		nl--;
	if (parse_segment(subj, (size_t)(nl - subj), 1, false, &t->subject, t->path, e) < 0)
		return -1;
	nl = strchr(s, '\n') + 2;
	return parse_segment(nl, n - (size_t)(nl - s), 3, true, &t->body, t->path, e);
}

static void
tmpl_clear(struct tmpl *t)
{
	free(t->name);
	free(t->path);
	toks_free(&t->subject);
	toks_free(&t->body);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Template file names: NAME.txt with NAME made of name characters; others are ignored. */
static bool
is_tmpl_file(const char *f)
{
	size_t n = strlen(f);

	return n > 4 && strcmp(f + n - 4, ".txt") == 0 && f[0] != '.' &&
	       name_valid(f, n - 4);
}

/* Load dir; with all set, go on past broken files to report every problem. */
static struct tmpl_set *
set_load(const char *dir, bool all, struct errs *e)
{
	struct tmpl_set *set = xcalloc(1, sizeof(*set));
	char **names = NULL;
	size_t nnames = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		errs_add(e, dir, 0, "cannot open folder: %s", strerror(errno));
		goto out;
	}
	names = xcalloc(TMPL_MAX_FILES, sizeof(*names));
	while ((de = readdir(d)) != NULL) {
		if (!is_tmpl_file(de->d_name))
			continue;
		if (nnames == TMPL_MAX_FILES) {
			errs_add(e, dir, 0, "more than %d templates", TMPL_MAX_FILES);
			break;
		}
		names[nnames++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (e->count && !all)
		goto out;
	qsort(names, nnames, sizeof(*names), cmp_str);
	set->t = xcalloc(nnames ? nnames : 1, sizeof(*set->t));
	for (size_t i = 0; i < nnames; i++) {
		struct tmpl *t = &set->t[set->n];
		char *text = NULL;
		size_t len;
		int rc;

		t->path = xasprintf("%s/%s", dir, names[i]);
		t->name = xstrndup(names[i], strlen(names[i]) - 4);
		rc = file_read(t->path, TMPL_MAX_FILE, &text, &len);
		if (rc == -2)
			errs_add(e, t->path, 0, "larger than %u bytes", TMPL_MAX_FILE);
		else if (rc < 0)
			errs_add(e, t->path, 0, "cannot read: %s", strerror(errno));
		if (rc < 0 || tmpl_parse(t, text, len, e) < 0) {
			free(text);
			tmpl_clear(t);
			memset(t, 0, sizeof(*t));
			if (!all)
				goto out;
			continue;
		}
		free(text);
		set->n++;
	}
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (e->count && !all) {
		tmpl_free(set);
		return NULL;
	}
	return set;
}

static int langs_load(struct tmpl_set *set, const char *dir, bool all, struct errs *e);

struct tmpl_set *
tmpl_load(const char *dir, char *err, size_t errsz)
{
	struct errs e = { err, errsz, 0, 0 };
	struct tmpl_set *set;

	if (err && errsz)
		err[0] = '\0';
	if ((set = set_load(dir, false, &e)) != NULL && langs_load(set, dir, false, &e) < 0) {
		tmpl_free(set);
		set = NULL;
	}
	return set;
}

bool
tmpl_is_lang_dir(const char *dir, const char *name)
{
	char *path;
	struct stat st;
	bool ok;

	if (strlen(name) != 2 || name[0] < 'a' || name[0] > 'z' || name[1] < 'a' || name[1] > 'z')
		return false;
	path = xasprintf("%s/%s", dir, name);
	ok = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	free(path);
	return ok;
}

/* The language sets under dir (templates/es/ ...) into set, sorted by code; 0 or, on the
 * first broken one (unless all), -1. */
static int
langs_load(struct tmpl_set *set, const char *dir, bool all, struct errs *e)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct tmpl_set *ls;
		char *sub;

		if (!tmpl_is_lang_dir(dir, de->d_name) || set->nlangs >= TMPL_MAX_LANGS)
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		ls = set_load(sub, all, e);
		free(sub);
		if (ls == NULL) {
			closedir(d);
			return -1;
		}
		memcpy(ls->lang, de->d_name, 2);        /* two letters: tmpl_is_lang_dir */
		ls->lang[2] = '\0';
		set->langs = xrealloc(set->langs, (set->nlangs + 1) * sizeof(*set->langs));
		set->langs[set->nlangs++] = ls;
	}
	closedir(d);
	for (size_t i = 1; i < set->nlangs; i++)
		for (size_t j = i; j > 0 && strcmp(set->langs[j - 1]->lang, set->langs[j]->lang) > 0;
		     j--) {
			struct tmpl_set *t = set->langs[j];

			set->langs[j] = set->langs[j - 1];
			set->langs[j - 1] = t;
		}
	return 0;
}

struct tmpl_set *
tmpl_load_text(const char *name, const char *text, size_t len, char *err, size_t errsz)
{
	struct errs e = { err, errsz, 0, 0 };
	struct tmpl_set *set = xcalloc(1, sizeof(*set));
	struct tmpl *t;
	char *copy = NULL;

	if (err && errsz)
		err[0] = '\0';
	set->t = t = xcalloc(1, sizeof(*set->t));
	t->name = xstrdup(name);
	t->path = xasprintf("%s.txt", name);
	if (len > TMPL_MAX_FILE) {
		errs_add(&e, t->path, 0, "larger than %u bytes", TMPL_MAX_FILE);
		goto out;
	}
	copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (tmpl_parse(t, copy, len, &e) == 0)
		set->n = 1;
out:
	free(copy);
	if (set->n == 0) {
		tmpl_clear(t);
		tmpl_free(set);
		return NULL;
	}
	return set;
}

int
tmpl_check(const char *dir, char *err, size_t errsz)
{
	struct errs e = { err, errsz, 0, 0 };
	struct tmpl_set *set;

	if (err && errsz)
		err[0] = '\0';
	set = set_load(dir, true, &e);
	if (set)
		langs_load(set, dir, true, &e);
	tmpl_free(set);
	return e.count;
}

void
tmpl_free(struct tmpl_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++)
		tmpl_clear(&set->t[i]);
	for (size_t i = 0; i < set->nlangs; i++)
		tmpl_free(set->langs[i]);
	free(set->langs);
	free(set->t);
	free(set);
}

const struct tmpl_set *
tmpl_lang(const struct tmpl_set *set, const char *code)
{
	for (size_t i = 0; set && code && i < set->nlangs; i++)
		if (strcmp(set->langs[i]->lang, code) == 0)
			return set->langs[i];
	return NULL;
}

const char *
tmpl_lang_code(const struct tmpl_set *set, size_t i)
{
	return set && i < set->nlangs ? set->langs[i]->lang : NULL;
}

const struct tmpl_set *
tmpl_for(const struct tmpl_set *set, const char *code, const char *name)
{
	const struct tmpl_set *ls = tmpl_lang(set, code);

	return ls && tmpl_has(ls, name) ? ls : set;
}

const char *
tmpl_name_at(const struct tmpl_set *set, size_t i)
{
	return set && i < set->n ? set->t[i].name : NULL;
}

const char *
tmpl_set_lang(const struct tmpl_set *set)
{
	return set && set->lang[0] ? set->lang : NULL;
}

static const struct tmpl *
tmpl_find(const struct tmpl_set *set, const char *name)
{
	for (size_t i = 0; set && name && i < set->n; i++)
		if (strcmp(set->t[i].name, name) == 0)
			return &set->t[i];
	return NULL;
}

bool
tmpl_has(const struct tmpl_set *set, const char *name)
{
	return tmpl_find(set, name) != NULL;
}

static const char *
var_value(const struct tmpl_var *vars, size_t nvars, const char *name)
{
	for (size_t i = 0; i < nvars; i++)
		if (vars[i].name && strcmp(vars[i].name, name) == 0)
			return vars[i].value;
	return NULL;
}

static int
render_toks(const struct toks *t, const struct tmpl_var *vars, size_t nvars, struct buf *b)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tok *k = &t->v[i];
		const char *v;

		switch (k->kind) {
		case TOK_TEXT:
			if (buf_add(b, k->s, k->len) < 0)
				return -1;
			break;
		case TOK_VAR:
			if ((v = var_value(vars, nvars, k->s)) == NULL || *v == '\0')
				break;
			if (utf8_valid(v, strlen(v))) {
				if (buf_adds(b, v) < 0)
					return -1;
			} else {
				char *clean = utf8_sanitize(v, strlen(v));
				int rc = buf_adds(b, clean);

				free(clean);
				if (rc < 0)
					return -1;
			}
			break;
		case TOK_OPEN:
			if ((v = var_value(vars, nvars, k->s)) == NULL || *v == '\0')
				i = k->close;
			break;
		case TOK_CLOSE:
			break;
		}
	}
	return 0;
}

int
tmpl_render(const struct tmpl_set *set, const char *name, const struct tmpl_var *vars,
	    size_t nvars, char **subject, char **body)
{
	const struct tmpl *t = tmpl_find(set, name);
	struct buf sb, bb;
	int rc = -2;

	*subject = *body = NULL;
	if (t == NULL)
		return -1;
	buf_init(&sb, TMPL_MAX_SUBJECT);
	buf_init(&bb, TMPL_MAX_BODY);
	if (render_toks(&t->subject, vars, nvars, &sb) < 0 ||
	    render_toks(&t->body, vars, nvars, &bb) < 0) {
		log_warnx("template %s: rendered mail too large", t->name);
		goto out;
	}
	for (size_t i = 0; i < sb.len; i++)
		if (sb.data[i] == '\r' || sb.data[i] == '\n')
			sb.data[i] = ' ';
	*subject = buf_steal(&sb);
	*body = buf_steal(&bb);
	rc = 0;
out:
	buf_free(&sb);
	buf_free(&bb);
	return rc;
}

static int
check_toks(const struct tmpl *t, const struct toks *k, const char *const *known,
	   size_t nknown, char *err, size_t errsz)
{
	for (size_t i = 0; i < k->n; i++) {
		bool found = false;

		if (k->v[i].kind == TOK_TEXT)
			continue;
		for (size_t j = 0; j < nknown && !found; j++)
			found = strcmp(known[j], k->v[i].s) == 0;
		if (!found) {
			if (err && errsz)
				snprintf(err, errsz, "%s:%d: unknown placeholder {{%s}}", t->path,
					 k->v[i].line, k->v[i].s);
			return -1;
		}
	}
	return 0;
}

char *
tmpl_placeholders(const struct tmpl_set *set, const char *name)
{
	const struct tmpl *t = tmpl_find(set, name);
	const struct toks *parts[2];
	char **v = NULL, *joined;
	size_t n = 0;

	if (t == NULL)
		return NULL;
	parts[0] = &t->subject;
	parts[1] = &t->body;
	for (size_t p = 0; p < nitems(parts); p++)
		for (size_t i = 0; i < parts[p]->n; i++) {
			const struct tok *k = &parts[p]->v[i];

			if (k->kind != TOK_VAR && k->kind != TOK_OPEN)
				continue;
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = xasprintf("{{%s%s}}", k->kind == TOK_OPEN ? "#" : "", k->s);
		}
	joined = strv_join_set(v, n);
	free(v);
	return joined;
}

int
tmpl_check_vars(const struct tmpl_set *set, const char *name, const char *const *known,
		size_t nknown, char *err, size_t errsz)
{
	const struct tmpl *t = tmpl_find(set, name);

	if (t == NULL) {
		if (err && errsz)
			snprintf(err, errsz, "no template '%s'", name ? name : "(null)");
		return -1;
	}
	if (check_toks(t, &t->subject, known, nknown, err, errsz) < 0 ||
	    check_toks(t, &t->body, known, nknown, err, errsz) < 0)
		return -1;
	return 0;
}
