/* test_cmd.c: the Subject command parser: a table of subjects and the command, word and
 * argument each must give; hostile subjects (control characters, invalid UTF-8, 10 KB,
 * the Big List of Naughty Strings when present) must give clean, capped output; speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"
#include "util.h"
#include "words.h"

struct cmd_case {
	const char *name;
	const char *subject;
	enum cmd_kind kind;
	const char *word;
	const char *arg;
};

static const struct cmd_case cases[] = {
	{ "plain", "SIGNUP", CMD_SIGNUP, "SIGNUP", "" },
	{ "lower", "signup", CMD_SIGNUP, "signup", "" },
	{ "mixed", "SignUp please", CMD_SIGNUP, "SignUp", "please" },
	{ "join", "Join", CMD_SIGNUP, "Join", "" },
	{ "apply", "apply - Ana Pereira", CMD_SIGNUP, "apply", "Ana Pereira" },
	{ "word colon", "Signup: Ana", CMD_SIGNUP, "Signup", "Ana" },
	{ "help", "help?", CMD_HELP, "help", "?" },
	{ "mydata", "MYDATA", CMD_SHOW, "MYDATA", "" },
	{ "show", "show", CMD_SHOW, "show", "" },
	{ "report", "Report: partner silent", CMD_PROBLEM, "Report", "partner silent" },
	{ "problem", "PROBLEM", CMD_PROBLEM, "PROBLEM", "" },
	{ "forget", "forget me", CMD_DELETE, "forget", "me" },
	{ "delete", "DELETE", CMD_DELETE, "DELETE", "" },
	{ "update", "UPDATE", CMD_UPDATE, "UPDATE", "" },
	{ "status", "Status", CMD_STATUS, "Status", "" },
	{ "withdraw", "WITHDRAW", CMD_WITHDRAW, "WITHDRAW", "" },
	{ "dissolve", "dissolve", CMD_DISSOLVE, "dissolve", "" },
	{ "continue", "CONTINUE", CMD_CONTINUE, "CONTINUE", "" },
	{ "conclude", "conclude", CMD_CONCLUDE, "conclude", "" },
	{ "subscribe", "SUBSCRIBE", CMD_SUBSCRIBE, "SUBSCRIBE", "" },
	{ "unsubscribe", "Unsubscribe me", CMD_UNSUBSCRIBE, "Unsubscribe", "me" },
	{ "match", "MATCH", CMD_MATCH, "MATCH", "" },
	{ "approve", "approve", CMD_APPROVE, "approve", "" },
	{ "stats", "STATS", CMD_STATS, "STATS", "" },
	{ "export", "EXPORT", CMD_EXPORT, "EXPORT", "" },
	{ "topic", "TOPIC  Open   access in   2026", CMD_TOPIC, "TOPIC", "Open access in 2026" },
	{ "topic colon", "topic: Cataloguing", CMD_TOPIC, "topic", "Cataloguing" },
	{ "round open", "ROUND OPEN 2026 Spring", CMD_ROUND_OPEN, "ROUND OPEN", "2026 Spring" },
	{ "round open lower", "round  open autumn", CMD_ROUND_OPEN, "round open", "autumn" },
	{ "round alone", "ROUND", CMD_UNKNOWN, "ROUND", "" },
	{ "round opening", "ROUND OPENING x", CMD_UNKNOWN, "ROUND", "OPENING x" },
	{ "signups not signup", "SIGNUPS", CMD_UNKNOWN, "SIGNUPS", "" },
	{ "confirm", "CONFIRM 3fa9c2", CMD_CONFIRM, "CONFIRM", "3fa9c2" },
	{ "confirm reply", "Re: CONFIRM 3fa9…c2 — your application", CMD_CONFIRM, "CONFIRM",
	  "3fa9…c2" },
	{ "confirm reply hex", "Re: CONFIRM 3fa9c2 — your application", CMD_CONFIRM, "CONFIRM",
	  "3fa9c2" },
	{ "confirm colon", "confirm: 3fa9c2.", CMD_CONFIRM, "confirm", "3fa9c2" },
	{ "confirm parens", "CONFIRM (3fa9c2)", CMD_CONFIRM, "CONFIRM", "3fa9c2" },
	{ "confirm none", "CONFIRM", CMD_CONFIRM, "CONFIRM", "" },
	{ "change", "CHANGE new@example.org", CMD_CHANGE, "CHANGE", "new@example.org" },
	{ "change angle", "CHANGE <new@example.org>", CMD_CHANGE, "CHANGE", "new@example.org" },
	{ "change words", "change my address to ana@uni.example.", CMD_CHANGE, "change",
	  "ana@uni.example" },
	{ "change none", "CHANGE please", CMD_CHANGE, "CHANGE", "" },
	{ "re", "Re: SIGNUP", CMD_SIGNUP, "SIGNUP", "" },
	{ "RE no space", "RE:SIGNUP", CMD_SIGNUP, "SIGNUP", "" },
	{ "re space colon", "Re : signup", CMD_SIGNUP, "signup", "" },
	{ "fwd", "Fwd: Re: status", CMD_STATUS, "status", "" },
	{ "fw", "FW: status", CMD_STATUS, "status", "" },
	{ "aw wg", "AW: WG: Status", CMD_STATUS, "Status", "" },
	{ "sv vs", "SV: VS: Status", CMD_STATUS, "Status", "" },
	{ "antw", "Antw: status", CMD_STATUS, "status", "" },
	{ "antwort", "Antwort: status", CMD_STATUS, "status", "" },
	{ "odp", "Odp: status", CMD_STATUS, "status", "" },
	{ "res", "RES: status", CMD_STATUS, "status", "" },
	{ "rif", "Rif: status", CMD_STATUS, "status", "" },
	{ "r", "R: status", CMD_STATUS, "status", "" },
	{ "tr", "TR: status", CMD_STATUS, "status", "" },
	{ "enc", "ENC: status", CMD_STATUS, "status", "" },
	{ "ynt", "YNT: status", CMD_STATUS, "status", "" },
	{ "greek", "ΑΠ: ΣΧΕΤ: status", CMD_STATUS, "status", "" },
	{ "greek lower", "απ: status", CMD_STATUS, "status", "" },
	{ "russian", "НА: Ответ: status", CMD_STATUS, "status", "" },
	{ "chinese", "回复：status", CMD_STATUS, "status", "" },
	{ "chinese trad", "回覆: 轉寄: status", CMD_STATUS, "status", "" },
	{ "chinese 2", "答复: 转发: status", CMD_STATUS, "status", "" },
	{ "french", "Réf. : TR : status", CMD_STATUS, "status", "" },
	{ "french 2", "Réf: status", CMD_STATUS, "status", "" },
	{ "rv", "RV: status", CMD_STATUS, "status", "" },
	{ "doorst", "Doorst: status", CMD_STATUS, "status", "" },
	{ "vs lower", "Vs: status", CMD_STATUS, "status", "" },
	{ "ad", "Ad: status", CMD_STATUS, "status", "" },
	{ "count brackets", "Re[2]: status", CMD_STATUS, "status", "" },
	{ "count parens", "Re(3): status", CMD_STATUS, "status", "" },
	{ "count spaced", "RE [12] : status", CMD_STATUS, "status", "" },
	{ "fullwidth colon", "Re：status", CMD_STATUS, "status", "" },
	{ "tag", "[ILN] SIGNUP", CMD_SIGNUP, "SIGNUP", "" },
	{ "tags and prefixes", "Re: [External] Fwd: [ILN] Re: CONFIRM abc123", CMD_CONFIRM,
	  "CONFIRM", "abc123" },
	{ "tag after re", "RE: [ILN] Re: status", CMD_STATUS, "status", "" },
	{ "leading space", "   \t SIGNUP", CMD_SIGNUP, "SIGNUP", "" },
	{ "nbsp", "\xc2\xa0Re:\xc2\xa0SIGNUP", CMD_SIGNUP, "SIGNUP", "" },
	{ "bom", "\xef\xbb\xbfSIGNUP", CMD_SIGNUP, "SIGNUP", "" },
	{ "zero width inside", "SIGN\xe2\x80\x8bUP", CMD_SIGNUP, "SIGNUP", "" },
	{ "external", "EXTERNAL: signup", CMD_SIGNUP, "signup", "" },
	{ "not a prefix", "Regarding signup", CMD_UNKNOWN, "Regarding", "signup" },
	{ "empty", "", CMD_UNKNOWN, "", "" },
	{ "spaces", "   ", CMD_UNKNOWN, "", "" },
	{ "only prefixes", "Re: Re: Fwd:", CMD_UNKNOWN, "", "" },
	{ "only tag", "[ILN]", CMD_UNKNOWN, "", "" },
	{ "punctuation", "!!! help", CMD_UNKNOWN, "!!!", "help" },
	{ "unknown", "Hello there", CMD_UNKNOWN, "Hello", "there" },
	{ "crlf injection", "SIGNUP\r\nBcc: victim@example.org", CMD_SIGNUP, "SIGNUP",
	  "Bcc: victim@example.org" },
	{ "control chars", "TOPIC a\x01\x02\x1b[31mb\x7f", CMD_TOPIC, "TOPIC", "a [31mb" },
	{ "c1 and separators", "TOPIC a\xc2\x85" "b\xe2\x80\xa8" "c", CMD_TOPIC, "TOPIC", "a b c" },
	{ "tab", "TOPIC\tx", CMD_TOPIC, "TOPIC", "x" },
	{ "ideographic space", "SIGNUP\xe3\x80\x80now", CMD_SIGNUP, "SIGNUP", "now" },
	{ "zwnj and zwj kept", "TOPIC \xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb",
	  CMD_TOPIC, "TOPIC",
	  "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb" },
};

static void
test_table(void **state)
{
	struct cmd c;

	for (size_t i = 0; i < nitems(cases); i++) {
		const struct cmd_case *t = &cases[i];

		assert_int_equal(cmd_parse(t->subject, &c), 0);
		if (c.kind != t->kind || strcmp(c.word, t->word) != 0 || strcmp(c.arg, t->arg) != 0)
			fail_msg("%s: got %s \"%s\" \"%s\", want %s \"%s\" \"%s\"", t->name,
				 cmd_name(c.kind), c.word, c.arg, cmd_name(t->kind), t->word,
				 t->arg);
		cmd_free(&c);
	}
}

static void
test_names(void **state)
{
	assert_string_equal(cmd_name(CMD_SIGNUP), "SIGNUP");
	assert_string_equal(cmd_name(CMD_ROUND_OPEN), "ROUND OPEN");
	assert_string_equal(cmd_name(CMD_EXPORT), "EXPORT");
	assert_string_equal(cmd_name(CMD_UNKNOWN), "UNKNOWN");
	assert_string_equal(cmd_name((enum cmd_kind)999), "UNKNOWN");
	for (int k = CMD_UNKNOWN; k <= CMD_EXPORT; k++)
		assert_non_null(cmd_name((enum cmd_kind)k));
}

/* What every parse must give, however hostile the subject. */
static void
check_clean(const char *subject)
{
	struct cmd c;
	int rc = cmd_parse(subject, &c);

	assert_true(rc == 0 || rc == -1);
	assert_non_null(c.word);
	assert_non_null(c.arg);
	if (rc == -1) {
		assert_int_equal(c.kind, CMD_UNKNOWN);
		assert_string_equal(c.word, "");
		assert_string_equal(c.arg, "");
	}
	assert_true(strlen(c.word) <= CMD_WORD_MAX);
	assert_true(strlen(c.arg) <= CMD_ARG_MAX);
	assert_true(utf8_valid(c.word, strlen(c.word)));
	assert_true(utf8_valid(c.arg, strlen(c.arg)));
	for (const unsigned char *p = (const unsigned char *)c.arg; *p; p++)
		assert_true(*p >= 0x20 && *p != 0x7f);
	for (const unsigned char *p = (const unsigned char *)c.word; *p; p++)
		assert_true(*p > 0x20 && *p != 0x7f);
	assert_null(strstr(c.arg, "\xe2\x80\xa8"));
	assert_null(strstr(c.arg, "\xc2\x85"));
	cmd_free(&c);
}

static void
test_hostile(void **state)
{
	static const char *bad[] = {
		"\xff\xfeSIGNUP", "SIGNUP \xc0\xaf", "Re: \xed\xa0\x80", "CONFIRM \xf4\x90\x80\x80",
		"TOPIC \xe2\x82",
	};
	struct cmd c;
	char *big;

	for (size_t i = 0; i < nitems(bad); i++) {
		assert_int_equal(cmd_parse(bad[i], &c), -1);
		assert_int_equal(c.kind, CMD_UNKNOWN);
		cmd_free(&c);
		check_clean(bad[i]);
	}
	assert_int_equal(cmd_parse(NULL, &c), -1);
	cmd_free(&c);

	/* 10 KB: a long topic, a long word, a wall of prefixes, of tags, of multibyte text. */
	big = xmalloc(10241);
	memcpy(big, "TOPIC ", 6);
	memset(big + 6, 'x', 10234);
	big[10240] = '\0';
	assert_int_equal(cmd_parse(big, &c), 0);
	assert_int_equal(c.kind, CMD_TOPIC);
	assert_int_equal(strlen(c.arg), CMD_ARG_MAX);
	cmd_free(&c);
	memset(big, 'a', 10240);
	check_clean(big);
	for (size_t i = 0; i + 4 <= 10240; i += 4)
		memcpy(big + i, "Re: ", 4);
	check_clean(big);
	for (size_t i = 0; i + 5 <= 10240; i += 5)
		memcpy(big + i, "[ab] ", 5);
	check_clean(big);
	memset(big, '[', 10240);
	check_clean(big);
	for (size_t i = 0; i + 3 <= 10240; i += 3)
		memcpy(big + i, "\xe2\x80\x94", 3);
	big[10239] = '\0';
	check_clean(big);
	/* A word of 3-byte characters longer than the cap is cut on a character boundary. */
	memcpy(big, "\xe5\x9b\x9e\xe5\x9b\x9e\xe5\x9b\x9e\xe5\x9b\x9e\xe5\x9b\x9e", 15);
	for (size_t i = 0; i + 3 <= 600; i += 3)
		memcpy(big + i, "\xe5\x9b\x9e", 3);
	big[600] = '\0';
	check_clean(big);
	free(big);

	check_clean("\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x1f");
	check_clean("CHANGE a@b@c@d <x@y> @@@");
	check_clean("CONFIRM \xe2\x80\xae" "abc");
	check_clean("Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:Re:x");
}

static void
test_blns(void **state)
{
	static const char *paths[] = { "tests/corpus/strings/blns.txt",
				       "../shared/corpus/strings/blns.txt" };
	const char *env = getenv("ILNBOT_BLNS");
	char *data = NULL, *line, *p;
	size_t len, n = 0;
	char prefixed[4096];

	if (env == NULL || file_read(env, 1 << 20, &data, &len) != 0)
		for (size_t i = 0; i < nitems(paths) && data == NULL; i++)
			if (file_read(paths[i], 1 << 20, &data, &len) != 0)
				data = NULL;
	if (data == NULL)
		skip();
	for (p = data; (line = strsep(&p, "\n")) != NULL; n++) {
		check_clean(line);
		snprintf(prefixed, sizeof(prefixed), "Re: TOPIC %s", line);
		check_clean(prefixed);
		snprintf(prefixed, sizeof(prefixed), "CONFIRM %s", line);
		check_clean(prefixed);
		snprintf(prefixed, sizeof(prefixed), "CHANGE %s", line);
		check_clean(prefixed);
	}
	assert_true(n > 100);
	free(data);
}

static void
test_volume(void **state)
{
	static const char *subjects[] = {
		"Re: CONFIRM 3fa9c2d1e0 — your application", "AW: WG: [ILN] Re: SIGNUP",
		"Hello, I would like to join the network", "TOPIC Open access and the future",
	};
	struct timespec a, b;
	struct cmd c;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 10000; i++) {
		cmd_parse(subjects[i % 4], &c);
		cmd_free(&c);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	/* A figure, not a limit: speed is measured by the benchmarks (tests/bench). */
	print_message("10,000 Subjects: %.3f s\n", secs);
}

static int
teardown(void **state)
{
	cmd_cleanup();
	return 0;
}

/* The language sets' words (templates/<code>/words.ini): every set's, in any capitals,
 * with or without accents, phrases too; the English names still win everywhere. */
static void
test_languages(void **state)
{
	static const struct cmd_case lcases[] = {
		{ "spanish", "AYUDA", CMD_HELP, "AYUDA", "" },
		{ "accent", "Inscripción por favor", CMD_SIGNUP, "Inscripción", "por favor" },
		{ "no accent", "INSCRIPCION", CMD_SIGNUP, "INSCRIPCION", "" },
		{ "capital accent", "INSCRIPCIÓN", CMD_SIGNUP, "INSCRIPCIÓN", "" },
		{ "phrase", "Re: mis datos", CMD_SHOW, "mis datos", "" },
		{ "phrase accents", "mes DONNEES", CMD_SHOW, "mes DONNEES", "" },
		{ "french", "désabonnement", CMD_UNSUBSCRIBE, "désabonnement", "" },
		{ "portuguese", "AW: inscrição", CMD_SIGNUP, "inscrição", "" },
		{ "german umlaut", "ÄNDERN", CMD_UPDATE, "ÄNDERN", "" },
		{ "german eszett", "abschließen", CMD_CONCLUDE, "abschließen", "" },
		{ "two words", "cancelar assinatura agora", CMD_UNSUBSCRIBE, "cancelar assinatura",
		  "agora" },
		{ "round phrase", "ABRIR RONDA 2026A", CMD_ROUND_OPEN, "ABRIR RONDA", "2026A" },
		{ "confirm token", "Confirmar abc123", CMD_CONFIRM, "Confirmar", "abc123" },
		{ "english", "SHOW", CMD_SHOW, "SHOW", "" },
		{ "not a word", "Hola", CMD_UNKNOWN, "Hola", "" },
	};
	char err[1024];
	struct buf problems;
	struct cmd c;

	if (words_load("templates", err, sizeof(err)) < 0)
		fail_msg("words_load: %s", err);
	for (size_t i = 0; i < nitems(lcases); i++) {
		const struct cmd_case *t = &lcases[i];

		cmd_parse(t->subject, &c);
		if (c.kind != t->kind || strcmp(c.word, t->word) != 0 || strcmp(c.arg, t->arg) != 0)
			fail_msg("%s: \"%s\" gave %s \"%s\" \"%s\"", t->name, t->subject,
				 cmd_name(c.kind), c.word, c.arg);
		cmd_free(&c);
	}
	buf_init(&problems, 0);
	assert_int_equal(cmd_check_words(&problems), 0);
	buf_free(&problems);
	words_free();
}

/* A word naming two commands (in two sets, or one set), and a phrase too long to match,
 * are named by cmd_check_words. */
static void
test_clash(void **state)
{
	char dir[] = "/tmp/test_cmd.XXXXXX", path[64], err[1024];
	struct buf problems;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/words.ini", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("[commands]\nHELP = MOSTRAR\nSHOW = Mostrar | uno dos tres cuatro\n"
	      "STATUS = show\nSIGNUP = INSCREVER-ME\n", f);
	fclose(f);
	if (words_load(dir, err, sizeof(err)) < 0)
		fail_msg("words_load: %s", err);
	buf_init(&problems, 0);
	assert_int_equal(cmd_check_words(&problems), 4);
	assert_non_null(strstr(problems.data, "\"mostrar\" names HELP"));
	assert_non_null(strstr(problems.data, "\"show\" names SHOW (English) and STATUS"));
	assert_non_null(strstr(problems.data, "is more than 3 words"));
	assert_non_null(strstr(problems.data, "\"INSCREVER-ME\" holds '-'"));
	buf_free(&problems);
	words_free();
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_clash),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_blns),
		cmocka_unit_test(test_volume),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
