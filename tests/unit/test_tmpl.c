/* test_tmpl.c: template loading, syntax errors with file:line, and literal rendering. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpl.h"
#include "util.h"

#define NOVAR { NULL, NULL }

static char *
mkdir_tmp(void)
{
	char tmpl[] = "/tmp/test_tmpl.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xstrdup(d);
}

static void
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	free(path);
}

static void
rm_dir(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

static void
write_str(const char *dir, const char *name, const char *text)
{
	write_file(dir, name, text, strlen(text));
}

/* ---- rendering ---- */

static const struct render_case {
	const char *name;
	const char *text;
	struct tmpl_var vars[4];
	const char *subject;
	const char *body;
} render_cases[] = {
	{ "plain", "Subject: Hello\n\nNo placeholders.\n", { NOVAR },
	  "Hello", "No placeholders.\n" },
	{ "vars", "Subject: Hi {{name}}\n\nDear {{ name }},\nround {{round}} ends {{end}}.\n",
	  { { "name", "Ana" }, { "round", "3" }, { "end", "2026-05-01" }, NOVAR },
	  "Hi Ana", "Dear Ana,\nround 3 ends 2026-05-01.\n" },
	{ "unset_is_empty", "Subject: [{{x}}]\n\n<{{y}}>\n", { NOVAR }, "[]", "<>\n" },
	{ "section_set", "Subject: s\n\nA{{#w}} at {{w}}{{/w}}.\n", { { "w", "ACME" }, NOVAR },
	  "s", "A at ACME.\n" },
	{ "section_unset", "Subject: s\n\nA{{#w}} at {{w}}{{/w}}.\n", { NOVAR }, "s", "A.\n" },
	{ "section_empty", "Subject: s\n\nA{{#w}} at {{w}}{{/w}}.\n", { { "w", "" }, NOVAR },
	  "s", "A.\n" },
	{ "standalone_lines_set",
	  "Subject: s\n\nHello\n{{#w}}\nWorkplace: {{w}}\n  {{/w}}  \nBye\n",
	  { { "w", "ACME" }, NOVAR }, "s", "Hello\nWorkplace: ACME\nBye\n" },
	{ "standalone_lines_unset",
	  "Subject: s\n\nHello\n{{#w}}\nWorkplace: {{w}}\n{{/w}}\nBye\n", { NOVAR },
	  "s", "Hello\nBye\n" },
	{ "nested_sections", "Subject: s\n\n{{#a}}A{{#b}}B{{/b}}{{/a}}|\n",
	  { { "a", "1" }, NOVAR }, "s", "A|\n" },
	{ "section_in_subject", "Subject: Hi{{#n}} {{n}}{{/n}}!\n\nx\n",
	  { { "n", "Bo" }, NOVAR }, "Hi Bo!", "x\n" },
	{ "literal_braces", "Subject: {{v}}\n\n{{v}}\n", { { "v", "{{v}} {{#v}}x{{/v}}" }, NOVAR },
	  "{{v}} {{#v}}x{{/v}}", "{{v}} {{#v}}x{{/v}}\n" },
	{ "literal_format", "Subject: {{v}}\n\n{{v}}\n", { { "v", "%n%s%x%p%%" }, NOVAR },
	  "%n%s%x%p%%", "%n%s%x%p%%\n" },
	{ "literal_shell", "Subject: {{v}}\n\n{{v}}\n", { { "v", "${x} $(x) `x` $HOME" }, NOVAR },
	  "${x} $(x) `x` $HOME", "${x} $(x) `x` $HOME\n" },
	{ "value_newlines", "Subject: Re: {{v}}\n\n{{v}}\n", { { "v", "a\r\nBcc: x@y\nz" }, NOVAR },
	  "Re: a  Bcc: x@y z", "a\r\nBcc: x@y\nz\n" },
	{ "bad_utf8_value", "Subject: {{v}}\n\n{{v}}\n", { { "v", "a\xff" "b" }, NOVAR },
	  "a\xef\xbf\xbd" "b", "a\xef\xbf\xbd" "b\n" },
	{ "crlf_template", "Subject: Win\r\n\r\nline1\r\nline2\r\n", { NOVAR }, "Win",
	  "line1\nline2\n" },
	{ "bom", "\xef\xbb\xbfSubject: B\n\nb\n", { NOVAR }, "B", "b\n" },
	{ "utf8_text", "Subject: Grüße {{n}}\n\nさようなら {{n}}\n", { { "n", "Zoë" }, NOVAR },
	  "Grüße Zoë", "さようなら Zoë\n" },
	{ "lone_braces", "Subject: a } b }} c {\n\n{ x } }}\n", { NOVAR }, "a } b }} c {",
	  "{ x } }}\n" },
	{ "empty_body", "Subject: e\n\n", { NOVAR }, "e", "" },
	{ "first_var_wins", "Subject: {{a}}\n\n", { { "a", "1" }, { "a", "2" }, NOVAR }, "1", "" },
};

static void
test_render(void **state)
{
	char *dir = mkdir_tmp(), err[256];
	size_t n = nitems(render_cases);
	struct tmpl_set *set;

	for (size_t i = 0; i < n; i++) {
		char *f = xasprintf("%s.txt", render_cases[i].name);

		write_file(dir, f, render_cases[i].text, strlen(render_cases[i].text));
		free(f);
	}
	write_str(dir, "README", "not a template {{");
	write_str(dir, "notes.txt~", "Subject");
	set = tmpl_load(dir, err, sizeof(err));
	if (set == NULL)
		fail_msg("load: %s", err);
	for (size_t i = 0; i < n; i++) {
		const struct render_case *c = &render_cases[i];
		size_t nv = 0;
		char *subj, *body;

		while (nv < 4 && c->vars[nv].name)
			nv++;
		assert_true(tmpl_has(set, c->name));
		if (tmpl_render(set, c->name, c->vars, nv, &subj, &body) != 0)
			fail_msg("%s: render failed", c->name);
		if (strcmp(subj, c->subject) != 0 || strcmp(body, c->body) != 0)
			fail_msg("%s: got subject [%s] body [%s]", c->name, subj, body);
		free(subj);
		free(body);
	}
	assert_false(tmpl_has(set, "README"));
	assert_false(tmpl_has(set, "notes"));
	tmpl_free(set);
	rm_dir(dir);
}

/* Language sets: templates/es/ replaces the default's files one by one. */
static void
test_language_sets(void **state)
{
	char *dir = mkdir_tmp(), err[512], *s, *b, *sub;
	struct tmpl_set *set;
	const struct tmpl_set *es, *t;

	write_str(dir, "hello.txt", "Subject: Hello\n\nHello {{name}}\n");
	write_str(dir, "bye.txt", "Subject: Bye\n\nBye\n");
	sub = xasprintf("%s/es", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_str(sub, "hello.txt", "Subject: Hola\n\nHola, {{name}}\n");
	free(sub);
	sub = xasprintf("%s/notalang", dir);     /* not a two-letter code: ignored */
	assert_int_equal(mkdir(sub, 0700), 0);
	free(sub);
	set = tmpl_load(dir, err, sizeof(err));
	assert_non_null(set);
	assert_string_equal(tmpl_lang_code(set, 0), "es");
	assert_null(tmpl_lang_code(set, 1));
	assert_null(tmpl_lang(set, "fr"));
	es = tmpl_lang(set, "es");
	assert_non_null(es);
	assert_string_equal(tmpl_set_lang(es), "es");
	assert_null(tmpl_set_lang(set));
	t = tmpl_for(set, "es", "hello");
	assert_ptr_equal(t, es);
	assert_int_equal(tmpl_render(t, "hello", (struct tmpl_var[]){ { "name", "Ana" } }, 1, &s, &b),
			 0);
	assert_string_equal(s, "Hola");
	assert_string_equal(b, "Hola, Ana\n");
	free(s);
	free(b);
	/* a file the set lacks falls back to the default's; so does an unknown language */
	assert_ptr_equal(tmpl_for(set, "es", "bye"), set);
	assert_ptr_equal(tmpl_for(set, "fr", "hello"), set);
	assert_ptr_equal(tmpl_for(set, NULL, "hello"), set);
	assert_string_equal(tmpl_name_at(es, 0), "hello");
	assert_null(tmpl_name_at(es, 1));
	tmpl_free(set);
	/* a broken file in a set fails the load, and check reports it */
	write_str(dir, "es/bye.txt", "no subject line\n");
	assert_null(tmpl_load(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "/es/bye.txt"));
	assert_int_equal(tmpl_check(dir, err, sizeof(err)), 1);
	rm_dir(dir);
}

static void
test_missing_template(void **state)
{
	char *dir = mkdir_tmp(), err[128], *s = (char *)1, *b = (char *)1;
	struct tmpl_set *set;

	write_str(dir, "a.txt", "Subject: a\n\nb\n");
	set = tmpl_load(dir, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(tmpl_render(set, "nope", NULL, 0, &s, &b), -1);
	assert_null(s);
	assert_null(b);
	assert_false(tmpl_has(set, "nope"));
	assert_false(tmpl_has(set, NULL));
	tmpl_free(set);
	rm_dir(dir);

	assert_null(tmpl_load("/nonexistent/ilnbot-templates", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/ilnbot-templates"));
}

static void
test_render_too_large(void **state)
{
	char *dir = mkdir_tmp(), err[128], *s, *b;
	char *big = xmalloc(300 * 1024);
	struct tmpl_set *set;
	struct tmpl_var v[1] = { { "v", big } };

	memset(big, 'x', 300 * 1024 - 1);
	big[300 * 1024 - 1] = '\0';
	write_str(dir, "a.txt", "Subject: a\n\n{{v}}{{v}}{{v}}{{v}}\n");
	write_str(dir, "s.txt", "Subject: {{v}}\n\nb\n");
	set = tmpl_load(dir, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(tmpl_render(set, "a", v, 1, &s, &b), -2);
	assert_int_equal(tmpl_render(set, "s", v, 1, &s, &b), -2);
	big[1000] = '\0';
	assert_int_equal(tmpl_render(set, "a", v, 1, &s, &b), 0);
	assert_int_equal(strlen(b), 4001);
	free(s);
	free(b);
	tmpl_free(set);
	free(big);
	rm_dir(dir);
}

/* ---- malformed templates: the error names file and line ---- */

static const struct bad_case {
	const char *name;
	const char *text;
	size_t len;          /* 0 = strlen */
	const char *want;    /* expected after "DIR/" */
} bad_cases[] = {
	{ "no_subject", "Hello\n\nbody\n", 0, "no_subject.txt:1: first line must be" },
	{ "no_blank", "Subject: x\nbody\n", 0, "no_blank.txt:2: expected a blank line" },
	{ "only_subject", "Subject: x", 0, "only_subject.txt:2: expected a blank line" },
	{ "unclosed_var", "Subject: x\n\nline\nDear {{name,\n", 0,
	  "unclosed_var.txt:4: unclosed '{{'" },
	{ "unclosed_subject", "Subject: x {{y\n\nb\n", 0, "unclosed_subject.txt:1: unclosed" },
	{ "bad_name", "Subject: x\n\n\n{{na me}}\n", 0, "bad_name.txt:4: bad placeholder" },
	{ "empty_name", "Subject: x\n\n{{}}\n", 0, "empty_name.txt:3: bad placeholder" },
	{ "triple", "Subject: x\n\n{{{x}}}\n", 0, "triple.txt:3: bad placeholder" },
	{ "unclosed_section", "Subject: x\n\na\n{{#s}}\nb\n", 0,
	  "unclosed_section.txt:4: unclosed section {{#s}}" },
	{ "stray_close", "Subject: x\n\na\nb {{/s}}\n", 0, "stray_close.txt:4: {{/s}} without" },
	{ "crossed", "Subject: x\n\n{{#a}}{{#b}}\n{{/a}}{{/b}}\n", 0,
	  "crossed.txt:4: {{/a}} closes {{#b}}" },
	{ "self_nested", "Subject: x\n\n{{#a}}\n{{#a}}\n{{/a}}\n{{/a}}\n", 0,
	  "self_nested.txt:4: section {{#a}} inside itself" },
	{ "section_across", "Subject: {{#a}}x\n\n{{/a}}\n", 0,
	  "section_across.txt:1: unclosed section" },
	{ "bad_utf8", "Subject: x\n\nok\nbad \xc3\x28 here\n", 0, "bad_utf8.txt:4: invalid UTF-8" },
	{ "overlong", "Subject: \xc0\xaf\n\nb\n", 0, "overlong.txt:1: invalid UTF-8" },
	{ "surrogate", "Subject: x\n\n\xed\xa0\x80\n", 0, "surrogate.txt:3: invalid UTF-8" },
	{ "nul", "Subject: x\n\na\0b\n", 16, "nul.txt:3: control character 0x00" },
	{ "lone_cr", "Subject: x\n\na\rb\n", 0, "lone_cr.txt:3: control character 0x0d" },
};

static void
test_malformed(void **state)
{
	for (size_t i = 0; i < nitems(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *dir = mkdir_tmp(), err[512], *f = xasprintf("%s.txt", c->name);
		char *want = xasprintf("%s/%s", dir, c->want);
		struct tmpl_set *set;

		write_file(dir, f, c->text, c->len ? c->len : strlen(c->text));
		set = tmpl_load(dir, err, sizeof(err));
		if (set != NULL)
			fail_msg("%s: loaded", c->name);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("%s: err [%s], want [%s...]", c->name, err, want);
		assert_int_equal(tmpl_check(dir, err, sizeof(err)), 1);
		assert_int_equal(strncmp(err, want, strlen(want)), 0);
		free(f);
		free(want);
		rm_dir(dir);
	}
}

static void
test_check_reports_all(void **state)
{
	char *dir = mkdir_tmp(), err[2048];
	struct tmpl_set *set;

	write_str(dir, "a_good.txt", "Subject: ok\n\nfine {{x}}\n");
	write_str(dir, "b_bad.txt", "Subject: x\n\n{{#s}}\n");
	write_str(dir, "c_bad.txt", "nope\n");
	assert_int_equal(tmpl_check(dir, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "b_bad.txt:3: unclosed section"));
	assert_non_null(strstr(err, "c_bad.txt:1: first line"));
	assert_null(strstr(err, "a_good"));
	assert_non_null(strchr(err, '\n'));
	/* a tiny err buffer is truncated, never overrun */
	assert_int_equal(tmpl_check(dir, err, 8), 2);
	assert_true(strlen(err) < 8);
	set = tmpl_load(dir, err, sizeof(err));
	assert_null(set);
	rm_dir(dir);

	dir = mkdir_tmp();
	assert_int_equal(tmpl_check(dir, err, sizeof(err)), 0);
	rm_dir(dir);
}

static void
test_check_vars(void **state)
{
	char *dir = mkdir_tmp(), err[256];
	const char *known[] = { "name", "round" };
	struct tmpl_set *set;

	write_str(dir, "ok.txt", "Subject: {{name}}\n\n{{#round}}{{round}}{{/round}}\n");
	write_str(dir, "typo.txt", "Subject: {{name}}\n\nfine\n{{nmae}}\n");
	set = tmpl_load(dir, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(tmpl_check_vars(set, "ok", known, 2, err, sizeof(err)), 0);
	assert_int_equal(tmpl_check_vars(set, "typo", known, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "typo.txt:4: unknown placeholder {{nmae}}"));
	assert_int_equal(tmpl_check_vars(set, "none", known, 2, err, sizeof(err)), -1);
	tmpl_free(set);
	rm_dir(dir);
}

static void
test_caps(void **state)
{
	char *dir = mkdir_tmp(), err[256], *big;
	struct tmpl_set *set;

	/* exactly 64 KiB loads, one byte more does not */
	big = xmalloc(TMPL_MAX_FILE + 2);
	memcpy(big, "Subject: s\n\n", 12);
	memset(big + 12, 'a', TMPL_MAX_FILE - 12);
	write_file(dir, "big.txt", big, TMPL_MAX_FILE);
	set = tmpl_load(dir, err, sizeof(err));
	assert_non_null(set);
	tmpl_free(set);
	big[TMPL_MAX_FILE] = 'a';
	write_file(dir, "big.txt", big, TMPL_MAX_FILE + 1);
	assert_null(tmpl_load(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "big.txt: larger than"));
	free(big);
	rm_dir(dir);

	/* 200 files load, 201 do not */
	dir = mkdir_tmp();
	for (int i = 0; i < TMPL_MAX_FILES; i++) {
		char name[32];

		snprintf(name, sizeof(name), "t%03d.txt", i);
		write_file(dir, name, "Subject: s\n\nb\n", 14);
	}
	set = tmpl_load(dir, err, sizeof(err));
	assert_non_null(set);
	assert_true(tmpl_has(set, "t000") && tmpl_has(set, "t199"));
	tmpl_free(set);
	write_str(dir, "t200.txt", "Subject: s\n\nb\n");
	assert_null(tmpl_load(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "more than 200 templates"));
	rm_dir(dir);
}

/* tmpl_load_text: one template from memory, read as its file would be. */
static void
test_load_text(void **state)
{
	static const char good[] = "Subject: Hi {{n}}\r\n\r\nDear {{n}}.\n";
	char err[256], *subject, *body;
	struct tmpl_set *set;

	(void)state;
	set = tmpl_load_text("hello", good, strlen(good), err, sizeof(err));
	assert_non_null(set);
	assert_true(tmpl_has(set, "hello"));
	assert_int_equal(tmpl_render(set, "hello", (struct tmpl_var[]){ { "n", "Ana" } }, 1,
				     &subject, &body), 0);
	assert_string_equal(subject, "Hi Ana");
	assert_string_equal(body, "Dear Ana.\n");
	free(subject);
	free(body);
	tmpl_free(set);
	/* a NUL byte is a control character, and the file's errors name hello.txt */
	assert_null(tmpl_load_text("hello", "Subject: a\0\n\nb\n", 15, err, sizeof(err)));
	assert_string_equal(err, "hello.txt:1: control character 0x00");
	assert_null(tmpl_load_text("hello", "Subject: a\n\n{{#x}}\n", 19, err, sizeof(err)));
	assert_non_null(strstr(err, "unclosed section"));
}

/* tmpl_placeholders: each placeholder and section once, sorted, subject and body alike
 * (check-config compares a language set's file with the default's by it). */
static void
test_placeholders(void **state)
{
	const char text[] = "Subject: Re {{name}}\n\n{{#history}}{{history}} {{name}}{{/history}}"
			    " {{b}} {{a}} {{b}}\n";
	char err[256], *p;
	struct tmpl_set *set;

	(void)state;
	set = tmpl_load_text("t", text, strlen(text), err, sizeof(err));
	assert_non_null(set);
	p = tmpl_placeholders(set, "t");
	assert_string_equal(p, "{{#history}} {{a}} {{b}} {{history}} {{name}}");
	free(p);
	assert_null(tmpl_placeholders(set, "nope"));
	tmpl_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_missing_template),
		cmocka_unit_test(test_language_sets),
		cmocka_unit_test(test_render_too_large),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_check_reports_all),
		cmocka_unit_test(test_check_vars),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_load_text),
		cmocka_unit_test(test_placeholders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
