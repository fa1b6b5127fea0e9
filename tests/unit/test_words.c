/* test_words.c: the per-language word tables: lookups fall back to the default set,
 * continuation lines and "\n", values every language gives, {{placeholders}} filled, and
 * check-config's checks (a key the default lacks, placeholders that differ, bad lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"
#include "words.h"

static char dir[] = "/tmp/test_words.XXXXXX";

static void
put(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
setup_dir(void)
{
	char *es;

	assert_non_null(mkdtemp(dir));
	es = xasprintf("%s/es", dir);
	assert_int_equal(mkdir(es, 0755), 0);
	free(es);
	put("words.ini", "# default\n[commands]\nHELP =\n[fields]\nName = Name\nCountry = Country\n"
			 "[messages]\nrequired = {{field}}: missing; it is required\n"
			 "long = one\n  two\\nthree\n");
	put("es/words.ini", "\xef\xbb\xbf[commands]\nHELP = AYUDA\n[fields]\nName = Nombre\n"
			    "[messages]\nrequired = {{field}}: falta; es obligatorio\n");
}

static void
cleanup_dir(void)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
collect(void *ctx, const char *lang, const char *value)
{
	struct buf *b = ctx;

	buf_printf(b, "%s=%s;", lang ? lang : "-", value);
}

static void
test_lookup(void **state)
{
	char err[512], *s;
	struct buf b;
	struct tmpl_var v[] = { { "field", "País" } };

	(void)state;
	assert_int_equal(words_load(dir, err, sizeof(err)), 0);
	assert_string_equal(words_get("es", "fields", "Name"), "Nombre");
	assert_string_equal(words_get("es", "fields", "Country"), "Country");
	assert_string_equal(words_get("fr", "fields", "Name"), "Name");
	assert_string_equal(words_get(NULL, "messages", "long"), "one two\nthree");
	assert_null(words_get("es", "fields", "Colour"));
	assert_string_equal(words_lang_code(0), "es");
	assert_null(words_lang_code(1));
	buf_init(&b, 0);
	words_each("commands", "HELP", collect, &b);
	assert_string_equal(b.data, "-=;es=AYUDA;");
	buf_free(&b);
	s = words_format("es", "required", v, nitems(v));
	assert_string_equal(s, "País: falta; es obligatorio");
	free(s);
	s = words_format("es", "nothing", v, nitems(v));
	assert_string_equal(s, "[nothing]");
	free(s);
	assert_int_equal(words_check(dir, err, sizeof(err)), 0);
	words_free();
}

static void
test_check(void **state)
{
	char err[2048];

	(void)state;
	put("es/words.ini", "[fields]\nColour = Color\n[messages]\nrequired = {{campo}}: falta\n"
			    "oops\n  \n[x\n");
	assert_int_equal(words_check(dir, err, sizeof(err)), 4);
	assert_non_null(strstr(err, "es/words.ini:2: [fields] Colour: not in the default"));
	assert_non_null(strstr(err, "es/words.ini:4: [messages] required: placeholders "
				    "\"{{campo}}\", the default set's are \"{{field}}\""));
	assert_non_null(strstr(err, "es/words.ini:5: not a \"key = value\" line"));
	assert_non_null(strstr(err, "es/words.ini:7: a section line"));
	/* A broken table is refused and the one loaded before is kept. */
	put("es/words.ini", "[fields]\nName = Nombre\n");
	assert_int_equal(words_load(dir, err, sizeof(err)), 0);
	put("es/words.ini", "[fields]\nName = Nombre\nName = Otra\n");
	assert_int_equal(words_load(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "given twice"));
	assert_string_equal(words_get("es", "fields", "Name"), "Nombre");
	/* words.ini and messages.ini are one table: a key in both is given twice. */
	put("es/words.ini", "[fields]\nName = Nombre\n");
	put("es/messages.ini", "[messages]\nrequired = {{field}}: falta\n[fields]\nName = X\n");
	assert_int_equal(words_load(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "es/messages.ini:4: [fields] Name given twice"));
	put("es/messages.ini", "[messages]\nrequired = {{field}}: falta\n");
	assert_int_equal(words_load(dir, err, sizeof(err)), 0);
	{
		char *f = words_format("es", "required", NULL, 0);

		assert_string_equal(f, ": falta");
		free(f);
	}
	words_free();
}

/* Placeholders given more than once, in another order, are the same placeholders; a
 * value longer than the sentence it goes in is kept whole. */
static void
test_repeated_placeholders(void **state)
{
	char err[2048], value[301];
	struct tmpl_var v[] = { { "a", value }, { "b", "B" } };
	char *f;

	(void)state;
	put("es/messages.ini", "");
	put("words.ini", "[messages]\nm = {{b}} and {{a}}, {{b}} again\n");
	put("es/words.ini", "[messages]\nm = {{a}} {{b}} {{b}} {{a}}\n");
	assert_int_equal(words_check(dir, err, sizeof(err)), 0);
	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	assert_int_equal(words_load(dir, err, sizeof(err)), 0);
	f = words_format(NULL, "m", v, nitems(v));
	assert_int_equal(strlen(f), 1 + 5 + 300 + 2 + 1 + 6);
	free(f);
	words_free();
}

/* Hostile files: a NUL byte, invalid UTF-8, CR line ends, a value past WORDS_MAX_VALUE, a file
 * past WORDS_MAX_FILE: each refused with its line named, never half-read. */
static void
test_hostile(void **state)
{
	char err[2048], *big;
	char *path = xasprintf("%s/es/words.ini", dir);
	FILE *f;

	(void)state;
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("[fields]\nName = A\0B\n", 1, 21, f);
	fclose(f);
	assert_int_equal(words_load(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
	put("es/words.ini", "[fields]\r\nName = Nombre\r\nCountry = \xff\xfe\r\n");
	assert_int_equal(words_load(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "es/words.ini:3: not UTF-8"));
	big = xmalloc(WORDS_MAX_VALUE + 64);
	memset(big, 'x', WORDS_MAX_VALUE + 63);
	memcpy(big, "[fields]\nName = ", 16);
	big[WORDS_MAX_VALUE + 63] = '\0';
	put("es/words.ini", big);
	assert_int_equal(words_load(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "es/words.ini:2: value longer than"));
	free(big);
	big = xmalloc(WORDS_MAX_FILE + 2);
	memset(big, '#', WORDS_MAX_FILE + 1);
	big[WORDS_MAX_FILE + 1] = '\0';
	put("es/words.ini", big);
	assert_int_equal(words_load(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
	free(big);
	put("es/words.ini", "[fields]\r\nName = Nombre\r\n");
	assert_int_equal(words_load(dir, err, sizeof(err)), 0);
	assert_string_equal(words_get("es", "fields", "Name"), "Nombre");
	words_free();
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_repeated_placeholders),
	};
	int rc;

	setup_dir();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup_dir();
	return rc;
}
