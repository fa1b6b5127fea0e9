/* fuzz_msg_parse.c: libFuzzer harness for msg_parse() alone: the size and depth gate
 * (msg_gate.c), libetpan's MIME parse, the header facts (msg_header.c) and the body
 * extraction (msg_body.c), plus msg_is_automated(), and msg_html_to_text() and
 * msg_strip_quotes() over the raw bytes. Besides never crashing, what msg.h promises
 * must hold for every input: each string valid UTF-8 of its stated shape (a one-line
 * subject, an addr-spec From with one '@' and a lower-case domain, a from_error exactly
 * when From is unusable, "<id>" message ids, a body never NULL and within MSG_MAX_BODY),
 * counts within bounds, the same answer twice, and msg_from_utf8_local() agreeing with
 * the parse's from_utf8. Nothing outlives one input. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* as fuzz_inbound: a smaller quarantine keeps the run under -rss_limit_mb */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=32:detect_leaks=1";
}

/* A broken promise: say which, then abort so libFuzzer keeps the input. */
static void
fail(const char *what, const char *value)
{
	fprintf(stderr, "fuzz_msg_parse: %s: \"%s\"\n", what, value ? value : "(null)");
	abort();
}

static void
check_text(const char *what, const char *s, bool one_line)
{
	if (s == NULL)
		return;
	if (!utf8_valid(s, strlen(s)))
		fail(what, "not valid UTF-8");
	if (one_line && strpbrk(s, "\r\n") != NULL)
		fail(what, s);
}

/* "<...>" with no space, CR or LF inside */
static void
check_id(const char *what, const char *s)
{
	size_t n;

	if (s == NULL)
		return;
	check_text(what, s, true);
	n = strlen(s);
	if (n < 2 || s[0] != '<' || s[n - 1] != '>' || strpbrk(s, " \t") != NULL)
		fail(what, s);
}

static void
check_addr(const char *what, const char *a)
{
	const char *at;

	check_text(what, a, true);
	if (a == NULL)
		fail(what, "NULL address");
	if ((at = strchr(a, '@')) == NULL || at == a || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		fail(what, a);
}

static void
check_msg(const struct msg *m)
{
	const char *why;

	if ((m->from == NULL) == (m->from_error == NULL))
		fail("from/from_error", m->from ? m->from : m->from_error);
	if (m->from != NULL) {
		check_addr("from", m->from);
		for (const char *d = strchr(m->from, '@'); *d; d++)
			if (isupper((unsigned char)*d))
				fail("from domain not lower-cased", m->from);
	}
	check_text("from_name", m->from_name, true);
	check_text("from_error", m->from_error, true);
	if (m->subject == NULL)
		fail("subject", "NULL");
	check_text("subject", m->subject, true);
	check_id("message_id", m->message_id);
	check_id("in_reply_to", m->in_reply_to);
	check_text("references", m->references, true);
	check_text("date", m->date, true);
	if (m->body == NULL)
		fail("body", "NULL");
	check_text("body", m->body, false);
	if (strlen(m->body) > MSG_MAX_BODY)
		fail("body longer than MSG_MAX_BODY", "");
	check_text("auto_submitted", m->auto_submitted, false);
	check_text("precedence", m->precedence, false);
	check_text("return_path", m->return_path, false);
	check_text("x_loop", m->x_loop, false);
	check_text("x_autoreply", m->x_autoreply, false);
	if (m->received_count < 0)
		fail("received_count", "negative");
	if (m->n_auth_results > 0 && m->auth_results == NULL)
		fail("auth_results", "count and array disagree");
	for (size_t i = 0; i < m->n_auth_results; i++)
		check_text("auth_results", m->auth_results[i], false);
	if (m->n_to > m->n_rcpts || (m->n_rcpts > 0 && m->rcpts == NULL))
		fail("rcpts", "counts disagree");
	for (size_t i = 0; i < m->n_rcpts; i++)
		check_text("rcpt", m->rcpts[i], true);
	why = NULL;
	if (msg_is_automated(m, "iln@example.org", &why) && why == NULL)
		fail("msg_is_automated", "no reason");
}

/* The facts that must come out the same on a second parse. */
static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], why2[256], *t;
	struct msg *m, *m2;

	why[0] = why2[0] = '\0';
	m = msg_parse((const char *)data, size, why, sizeof(why));
	if (m == NULL) {
		if (why[0] == '\0')
			fail("refused without a reason", "");
		check_text("why", why, true);
	} else {
		check_msg(m);
		m2 = msg_parse((const char *)data, size, why2, sizeof(why2));
		if (m2 == NULL || !same(m->from, m2->from) || !same(m->subject, m2->subject) ||
		    !same(m->body, m2->body) || !same(m->message_id, m2->message_id) ||
		    m->n_rcpts != m2->n_rcpts || m->n_auth_results != m2->n_auth_results)
			fail("second parse differs", m->subject);
		msg_free(m2);
	}
	/* the From alone (read before a transaction, process.c) says what the parse said */
	if (msg_from_utf8_local((const char *)data, size) != (m != NULL && m->from_utf8 != NULL))
		fail("msg_from_utf8_local and msg_parse disagree", m ? m->from_utf8 : NULL);
	msg_free(m);

	/* the HTML and quote helpers take any text; bounded here as their callers bound it */
	if (size <= MSG_MAX_BODY) {
		t = msg_html_to_text((const char *)data, size);
		if (t == NULL)
			fail("msg_html_to_text", "NULL");
		free(t);
		t = xstrndup((const char *)data, size);
		free(msg_strip_quotes(t));
		free(t);
	}
	return 0;
}
