/* fuzz_tmpl.c: libFuzzer harness for the templates (tmpl.c): parsing a template file and
 * rendering it with values. The input is split at NUL bytes: the first piece is the
 * template's text (as a file of the templates folder holds it) or "@NAME", which picks
 * the shipped template NAME (ILNBOT_TOP/templates) instead; each further piece is one
 * variable "name=value" (at most 32). Besides never crashing, what tmpl.h promises must
 * hold: rendering gives 0 or -2 (too large), never -1 for a template that loaded; the
 * subject is one line of valid UTF-8 within TMPL_MAX_SUBJECT, the body valid UTF-8 within
 * TMPL_MAX_BODY; a value is inserted literally, so a value full of placeholders renders to
 * the same mail as the same value with its braces made harmless, brace for brace; and the
 * same answer twice. The shipped set is loaded once and lives for the run; the rest is
 * freed before the input returns. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* as fuzz_inbound: a smaller quarantine keeps the run under -rss_limit_mb */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=32:detect_leaks=1";
}

#define FUZZ_VARS 32

static struct tmpl_set *shipped;
static bool ready;

static void
fail(const char *what, const char *value)
{
	fprintf(stderr, "fuzz_tmpl: %s: \"%s\"\n", what, value ? value : "(null)");
	abort();
}

static void
setup(void)
{
	const char *top = getenv("ILNBOT_TOP");
	char dir[4096], err[1024];

	snprintf(dir, sizeof(dir), "%s/templates", top ? top : ".");
	if ((shipped = tmpl_load(dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_tmpl: %s (set ILNBOT_TOP to the checkout)\n", err);
		abort();
	}
	ready = true;
}

/* a copy of s with every '{' and '}' turned into '(' and ')' */
static char *
defuse(const char *s)
{
	char *c = xstrdup(s);

	for (char *p = c; *p; p++)
		if (*p == '{')
			*p = '(';
		else if (*p == '}')
			*p = ')';
	return c;
}

/* render name; returns its rc, with subject and body checked (and to be freed) */
static int
render(const struct tmpl_set *set, const char *name, const struct tmpl_var *v, size_t n,
       char **subject, char **body)
{
	int rc = tmpl_render(set, name, v, n, subject, body);

	if (rc == -1)
		fail("a loaded template is missing", name);
	if (rc == -2) {
		if (*subject || *body)
			fail("too large but strings set", name);
		return rc;
	}
	if (rc != 0 || *subject == NULL || *body == NULL)
		fail("render result", name);
	if (!utf8_valid(*subject, strlen(*subject)) || strpbrk(*subject, "\r\n") ||
	    strlen(*subject) > TMPL_MAX_SUBJECT)
		fail("subject", *subject);
	if (!utf8_valid(*body, strlen(*body)) || strlen(*body) > TMPL_MAX_BODY)
		fail("body", "not valid UTF-8 or too long");
	return rc;
}

/* Two texts equal once braces are made harmless in both, with the same length: the
 * values' braces came through one for one and nothing else changed. */
static bool
same_defused(const char *a, const char *b)
{
	char *da = defuse(a), *db = defuse(b);
	bool eq = strcmp(da, db) == 0;

	free(da);
	free(db);
	return eq;
}

/* The setup (loading the ISO code tables, the templates) runs before the first input,
 * so that it never counts against libFuzzer's -timeout for one input. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *name = "fuzz";
	char *pieces[FUZZ_VARS + 1], *defused[FUZZ_VARS], *s1, *b1, *s2, *b2, err[512];
	struct tmpl_var vars[FUZZ_VARS], safe[FUZZ_VARS];
	struct tmpl_set *own = NULL;
	const struct tmpl_set *set;
	size_t npieces = 0, nvars = 0;
	int rc;

	if (!ready)
		setup();
	while (npieces < FUZZ_VARS + 1) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t len = z ? (size_t)(z - p) : (size_t)(end - p);

		pieces[npieces++] = xstrndup(p, len);
		if (z == NULL)
			break;
		p = z + 1;
	}
	for (size_t i = 1; i < npieces; i++) {
		char *eq = strchr(pieces[i], '=');

		vars[nvars].name = pieces[i];
		vars[nvars].value = "";
		if (eq) {
			*eq = '\0';
			vars[nvars].value = eq + 1;
		}
		defused[nvars] = defuse(vars[nvars].value);
		safe[nvars].name = vars[nvars].name;
		safe[nvars].value = defused[nvars];
		nvars++;
	}
	if (pieces[0][0] == '@') {
		set = shipped;
		name = pieces[0] + 1;
		if (!tmpl_has(set, name))
			goto out;
	} else {
		/* the template as its file: the first piece, NUL bytes and all cut off there */
		if ((own = tmpl_load_text(name, pieces[0], strlen(pieces[0]), err, sizeof(err))) ==
		    NULL) {
			if (err[0] == '\0' || strchr(err, '\n'))
				fail("refused without a one-line reason", err);
			goto out;
		}
		set = own;
	}
	rc = render(set, name, vars, nvars, &s1, &b1);
	if (rc == 0) {
		if (render(set, name, vars, nvars, &s2, &b2) != 0 || strcmp(s1, s2) != 0 ||
		    strcmp(b1, b2) != 0)
			fail("second render differs", name);
		free(s2);
		free(b2);
		/* literal insertion: the same mail with the values' braces defused */
		if (render(set, name, safe, nvars, &s2, &b2) != 0)
			fail("defused values gave no mail", name);
		if (!same_defused(s1, s2) || !same_defused(b1, b2) || strlen(s1) != strlen(s2) ||
		    strlen(b1) != strlen(b2))
			fail("a value was not inserted literally", b1);
		free(s2);
		free(b2);
		free(s1);
		free(b1);
	}
	(void)tmpl_check_vars(set, name, (const char *const[]){ "name", "token" }, 2, err,
			      sizeof(err));
out:
	tmpl_free(own);
	for (size_t i = 0; i < nvars; i++)
		free(defused[i]);
	for (size_t i = 0; i < npieces; i++)
		free(pieces[i]);
	return 0;
}
