/* fuzz_subject.c: libFuzzer harness for the Subject command parser cmd_parse()
 * (cmd_parse.c, over the table commands[] of program.c). The input is a subject line (cut
 * at its first NUL). Besides never crashing, what cmd.h promises must hold: 0 exactly for
 * valid UTF-8; word and arg never NULL, valid UTF-8 without control characters or space
 * runs, within CMD_WORD_MAX and CMD_ARG_MAX bytes; a known kind names a row of the table;
 * an address argument is "" or holds an '@'; the same answer twice; a reply prefix
 * ("Re: ", "AW: ") or a [tag] put in front changes neither kind nor argument; and a
 * command written back canonically ("NAME arg") parses to the same kind and argument
 * (for CONFIRM, when the token starts with a letter or digit, as ilnbot's hex ones do).
 * The shipped sets' command words are loaded, so "INSCRIPCIÓN x" must write back as
 * "SIGNUP x". The compiled patterns and the words live for the run; each input's strings
 * are freed before it returns. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"
#include "words.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* as fuzz_inbound: a smaller quarantine keeps the run under -rss_limit_mb */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=32:detect_leaks=1";
}

/* past this, a prefix in front could push the command out of the parsed first 2048 bytes */
#define PREFIX_CHECK_MAX 1900

static void
fail(const char *what, const char *subject, const char *value)
{
	fprintf(stderr, "fuzz_subject: %s: \"%s\" from \"%s\"\n", what, value ? value : "(null)",
		subject);
	abort();
}

static void
check_clean(const char *what, const char *subject, const char *s, size_t max)
{
	uint32_t cp;

	if (s == NULL)
		fail(what, subject, "NULL");
	if (strlen(s) > max || !utf8_valid(s, strlen(s)))
		fail(what, subject, s);
	if (s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ') || strstr(s, "  ") != NULL)
		fail(what, subject, s);
	for (const char *p = s; *p;) {
		p += utf8_next(p, &cp);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			fail(what, subject, s);
	}
}

/* Parsed with prefix in front, subject must give the same kind and argument. */
static void
check_prefixed(const char *prefix, const char *subject, const struct cmd *c)
{
	char *s = xasprintf("%s%s", prefix, subject);
	struct cmd p;

	if (cmd_parse(s, &p) != 0)
		fail("a prefix made it invalid", s, prefix);
	if (p.kind != c->kind || (c->kind != CMD_UNKNOWN && strcmp(p.arg, c->arg) != 0)) {
		fprintf(stderr, "alone: %s \"%s\"; with \"%s\": %s \"%s\"\n", cmd_name(c->kind),
			c->arg, prefix, cmd_name(p.kind), p.arg);
		fail("a prefix changed the command", s, prefix);
	}
	cmd_free(&p);
	free(s);
}

/* "NAME arg" from the table's name must give c back. */
static void
check_canonical(const char *subject, const struct cmd *c)
{
	char *s = xasprintf("%s %s", cmd_name(c->kind), c->arg);
	struct cmd p;

	cmd_parse(s, &p);
	if (p.kind != c->kind || strcmp(p.arg, c->arg) != 0) {
		fprintf(stderr, "canonical \"%s\": %s \"%s\"\n", s, cmd_name(p.kind), p.arg);
		fail("the canonical form parses differently", subject, c->arg);
	}
	cmd_free(&p);
	free(s);
}

/* The language sets' command words (templates/<code>/words.ini under ILNBOT_TOP, else
 * the current folder), read once before the first input. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *top = getenv("ILNBOT_TOP");
	char *dir = xasprintf("%s/templates", top ? top : "."), err[1024];

	(void)argc;
	(void)argv;
	if (words_load(dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_subject: %s\n", err);
		abort();
	}
	free(dir);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *subject = xstrndup((const char *)data, size);
	bool valid = utf8_valid(subject, strlen(subject));
	struct cmd c, again;
	const struct command *row;
	int rc;

	rc = cmd_parse(subject, &c);
	if (rc != (valid ? 0 : -1))
		fail("return value", subject, valid ? "-1 for valid UTF-8" : "0 for invalid");
	check_clean("word", subject, c.word, CMD_WORD_MAX);
	check_clean("arg", subject, c.arg, CMD_ARG_MAX);
	if (c.kind != CMD_UNKNOWN) {
		if ((row = command_of(c.kind)) == NULL || row->kind != c.kind)
			fail("kind without its row", subject, cmd_name(c.kind));
		if (row->arg == CMD_ARG_ADDRESS && c.arg[0] && strchr(c.arg, '@') == NULL)
			fail("address argument", subject, c.arg);
		if (row->arg == CMD_ARG_TOKEN && strchr(c.arg, ' ') != NULL)
			fail("token argument", subject, c.arg);
		if (c.word[0] == '\0')
			fail("a command without its word", subject, "");
		/* a token keeps what follows its wrapping punctuation ("#=abc" -> "=abc"), which
		 * a second reading would strip as a lead; tokens are hex, so only those count */
		if (row->arg != CMD_ARG_TOKEN || isalnum((unsigned char)c.arg[0]))
			check_canonical(subject, &c);
	}
	if (!valid && (c.kind != CMD_UNKNOWN || c.word[0] || c.arg[0]))
		fail("invalid UTF-8 gave a command", subject, c.word);
	cmd_parse(subject, &again);
	if (again.kind != c.kind || strcmp(again.word, c.word) != 0 ||
	    strcmp(again.arg, c.arg) != 0)
		fail("second parse differs", subject, again.word);
	cmd_free(&again);
	if (valid && strlen(subject) <= PREFIX_CHECK_MAX) {
		check_prefixed("Re: ", subject, &c);
		check_prefixed("AW: Fwd: ", subject, &c);
		check_prefixed("[ilnbot] ", subject, &c);
	}
	cmd_free(&c);
	free(subject);
	return 0;
}
