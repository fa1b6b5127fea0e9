/* test_msg_parse.c: msg_parse(), msg_is_automated(), msg_html_to_text() and
 * msg_strip_quotes(), table-driven; then the size/depth gate with generated messages,
 * and every file of the shared corpus (ILNBOT_CORPUS, default ../shared/corpus). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "msg.h"
#include "util.h"

#define OWN "iln@example.org"

/* CPU budget in clock ticks; generous under valgrind, which is 20-50 times slower. */
static clock_t
budget(double seconds)
{
	const char *pre = getenv("LD_PRELOAD");

	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		seconds *= 50;
	return (clock_t)(seconds * CLOCKS_PER_SEC);
}

static struct msg *
parse_str(const char *raw)
{
	char why[128];
	struct msg *m = msg_parse(raw, strlen(raw), why, sizeof(why));

	if (m == NULL)
		print_error("msg_parse refused: %s\n", why);
	return m;
}

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

/* ---- From ---- */

static const struct {
	const char *name, *hdr, *from, *from_name, *err;
} from_cases[] = {
	{ "simple", "From: alice@example.org\r\n", "alice@example.org", NULL, NULL },
	{ "domain lower-cased", "From: Alice@Example.ORG\r\n", "Alice@example.org", NULL, NULL },
	{ "display name", "From: Alice Smith <alice@example.org>\r\n", "alice@example.org",
	  "Alice Smith", NULL },
	{ "quoted display name", "From: \"Smith, Alice\" <alice@example.org>\r\n",
	  "alice@example.org", "Smith, Alice", NULL },
	{ "encoded display name", "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jm@example.de>\r\n",
	  "jm@example.de", "J\xc3\xb6rg M\xc3\xbcller", NULL },
	{ "encoded display name b", "From: =?iso-8859-1?B?SvZyZw==?= <jm@example.de>\r\n",
	  "jm@example.de", "J\xc3\xb6rg", NULL },
	{ "trailing comment", "From: MAILER-DAEMON@example.com (Mail Delivery System)\r\n",
	  "MAILER-DAEMON@example.com", NULL, NULL },
	{ "folded", "From: Alice\r\n <alice@example.org>\r\n", "alice@example.org", "Alice", NULL },
	{ "name equal to address", "From: \"alice@example.org\" <alice@example.org>\r\n",
	  "alice@example.org", "alice@example.org", NULL },
	{ "several mailboxes", "From: a@example.org, b@example.org\r\n", NULL, NULL,
	  "several mailboxes" },
	{ "several From headers", "From: a@example.org\r\nFrom: b@example.org\r\n", NULL, NULL,
	  "several From" },
	{ "group", "From: friends: a@example.org, b@example.org;\r\n", NULL, NULL, "group" },
	{ "empty group", "From: undisclosed-recipients:;\r\n", NULL, NULL, "group" },
	{ "no From", "Sender: a@example.org\r\n", NULL, NULL, "no From" },
	{ "empty From", "From: \r\n", NULL, NULL, "From" },
	{ "at in display name", "From: \"bob@example.com\" <mallory@evil.example>\r\n", NULL, NULL,
	  "display name" },
	{ "lt in display name", "From: \"Bob <bob@example.com>\" <mallory@evil.example>\r\n", NULL,
	  NULL, "display name" },
	{ "encoded at in display name",
	  "From: =?utf-8?q?bob=40example=2Ecom?= <mallory@evil.example>\r\n", NULL, NULL,
	  "display name" },
	{ "space in address", "From: <\"a b\"@example.org>\r\n", NULL, NULL, "address" },
	{ "UTF-8 local part set aside", "From: <j\xc3\xb6rg@example.org>\r\n", NULL, NULL,
	  "UTF-8 local part" },
	{ "IDN domain as A-labels", "From: J\xc3\xb6rg <joerg@M\xc3\xbcnchen.example>\r\n",
	  "joerg@xn--mnchen-3ya.example", "J\xc3\xb6rg", NULL },
	{ "IDN domain japanese", "From: <taro@\xe6\x97\xa5\xe6\x9c\xac.example>\r\n",
	  "taro@xn--wgv71a.example", NULL, NULL },
	{ "IDN domain not IDNA2008", "From: <a@\xe2\x98\x83.example>\r\n", NULL, NULL,
	  "bad From" },
	{ "latin1 bytes in domain", "From: <a@m\xfcnchen.example>\r\n", NULL, NULL, "From" },
	{ "control in address", "From: <a\x01" "b@example.org>\r\n", NULL, NULL, "From" },
	{ "no domain", "From: alice\r\n", NULL, NULL, "From" },
	{ "two at signs", "From: <\"a@b\"@example.org>\r\n", NULL, NULL, "address" },
};

static void
test_from(void **state)
{
	for (size_t i = 0; i < nitems(from_cases); i++) {
		char *raw = xasprintf("%sSubject: hi\r\n\r\nbody\r\n", from_cases[i].hdr);
		struct msg *m = parse_str(raw);

		print_message("from: %s\n", from_cases[i].name);
		assert_non_null(m);
		assert_str_or_null(m->from, from_cases[i].from);
		assert_str_or_null(m->from_name, from_cases[i].from_name);
		if (from_cases[i].err == NULL)
			assert_null(m->from_error);
		else {
			assert_non_null(m->from_error);
			assert_non_null(strstr(m->from_error, from_cases[i].err));
		}
		msg_free(m);
		free(raw);
	}
}

/* ---- Subject ---- */

static const struct {
	const char *name, *raw, *want;
} subject_cases[] = {
	{ "plain", "SIGNUP", "SIGNUP" },
	{ "trimmed", "   Re: SIGNUP   ", "Re: SIGNUP" },
	{ "b word", "=?UTF-8?B?w6TDtsO8?=", "\xc3\xa4\xc3\xb6\xc3\xbc" },
	{ "latin1 word read as windows-1252", "=?iso-8859-1?q?=93Caf=E9=94_=96_ok?=",
	  "\xe2\x80\x9c" "Caf\xc3\xa9\xe2\x80\x9d \xe2\x80\x93 ok" },
	{ "koi8-r word", "=?koi8-r?b?8s/T08nR?=", "\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f" },
	{ "raw 8-bit not utf-8", "Caf\xe9 \x96 ok", "Caf\xc3\xa9 \xe2\x80\x93 ok" },
	{ "q word", "=?iso-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=", "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln" },
	{ "several words", "=?utf-8?q?CONFIRM?= =?utf-8?q?_abc?=", "CONFIRM abc" },
	{ "mixed text and word", "Re: =?utf-8?q?caf=C3=A9?= time", "Re: caf\xc3\xa9 time" },
	{ "folded", "long\r\n subject", "long subject" },
	{ "unknown charset", "=?x-nonsense?q?abc?=", NULL },
	{ "invalid utf-8 raw", "caf\xe9", "caf\xc3\xa9" },
	{ "invalid utf-8 in word", "=?utf-8?b?/w==?=", NULL },
	{ "encoded crlf", "a=?utf-8?b?DQo=?=b", NULL },
	{ "encoded crlf alone", "=?utf-8?b?DQo=?=", "" },
	{ "tab and controls", "a\tb\x01" "c", "a b c" },
	{ "unicode line separator", "a\xe2\x80\xa8" "b", "a b" },
	{ "format characters dropped", "SIGN\xe2\x80\x8bUP \xe2\x80\xae" "abc\xef\xbb\xbf", "SIGNUP abc" },
	{ "ideographic space and nbsp", "a\xe3\x80\x80" "b\xc2\xa0" "c", "a b c" },
	{ "zwnj kept", "=?utf-8?b?2YXbjOKAjNiu?=", "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae" },
	{ "empty", "", "" },
};

static void
test_subject(void **state)
{
	for (size_t i = 0; i < nitems(subject_cases); i++) {
		char *raw = xasprintf("From: a@example.org\r\nSubject: %s\r\n\r\nbody\r\n",
		    subject_cases[i].raw);
		struct msg *m = parse_str(raw);

		print_message("subject: %s\n", subject_cases[i].name);
		assert_non_null(m);
		assert_non_null(m->subject);
		assert_true(utf8_valid(m->subject, strlen(m->subject)));
		assert_null(strpbrk(m->subject, "\r\n\t"));
		if (subject_cases[i].want != NULL)
			assert_string_equal(m->subject, subject_cases[i].want);
		msg_free(m);
		free(raw);
	}
}

static void
test_subject_cap(void **state)
{
	struct buf b;
	struct msg *m;

	buf_init(&b, 0);
	buf_adds(&b, "From: a@example.org\r\nSubject: ");
	for (int i = 0; i < 700; i++)
		buf_adds(&b, "\xc3\xa9");  /* 1400 bytes of two-byte characters */
	buf_adds(&b, "\r\n\r\nx\r\n");
	m = parse_str(b.data);
	assert_non_null(m);
	assert_true(strlen(m->subject) <= 998);
	assert_true(strlen(m->subject) >= 990);
	assert_true(utf8_valid(m->subject, strlen(m->subject)));
	msg_free(m);
	buf_free(&b);
}

static void
test_no_subject(void **state)
{
	struct msg *m = parse_str("From: a@example.org\r\n\r\nbody\r\n");

	assert_non_null(m);
	assert_string_equal(m->subject, "");
	msg_free(m);
}

/* ---- ids and other headers ---- */

static void
test_headers(void **state)
{
	const char *raw =
	    "Return-Path: < >\r\n"
	    "Received: from a by b\r\n"
	    "Received: from c\r\n by d\r\n"
	    "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\r\n"
	    "Authentication-Results: evil.example; dkim=pass\r\n"
	    "From: a@example.org\r\n"
	    "To: Bob <Bob@Example.ORG>, team: c@example.org, d@example.org;\r\n"
	    "Cc: e@example.org, bob@example.org\r\n"
	    "Message-ID: <abc.123@example.org>\r\n"
	    "In-Reply-To: <p1@example.org> <p2@example.org>\r\n"
	    "References: <r1@example.org>\r\n <bad id@x> <r2@example.org>\r\n"
	    "Date: Fri, 27 Nov 2026 11:23:38 +0000\r\n"
	    "X-Loop: list@example.net\r\n"
	    "X-Loop: iln@example.org\r\n"
	    "\r\nbody\r\n";
	struct msg *m = parse_str(raw);

	assert_non_null(m);
	assert_string_equal(m->message_id, "<abc.123@example.org>");
	assert_string_equal(m->in_reply_to, "<p1@example.org>");
	assert_string_equal(m->references, "<r1@example.org> <r2@example.org>");
	assert_string_equal(m->date, "Fri, 27 Nov 2026 11:23:38 +0000");
	assert_string_equal(m->return_path, "<>");
	assert_int_equal(m->received_count, 2);
	assert_int_equal(m->n_auth_results, 2);
	assert_string_equal(m->auth_results[0], "mx.example.org; dkim=pass header.d=example.org");
	assert_string_equal(m->auth_results[1], "evil.example; dkim=pass");
	assert_int_equal(m->n_rcpts, 4);
	assert_string_equal(m->rcpts[0], "Bob@example.org");
	assert_string_equal(m->rcpts[1], "c@example.org");
	assert_string_equal(m->rcpts[2], "d@example.org");
	assert_string_equal(m->rcpts[3], "e@example.org");
	assert_string_equal(m->x_loop, "list@example.net, iln@example.org");
	assert_false(m->has_list_headers);
	assert_false(m->is_report);
	msg_free(m);
}

static const struct {
	const char *name, *hdr, *mid, *irt;
} id_cases[] = {
	{ "bare message-id", "Message-ID: abc@example.org\r\n", "<abc@example.org>", NULL },
	{ "id with space dropped", "Message-ID: <a b@example.org>\r\n", NULL, NULL },
	{ "id with crlf dropped", "Message-ID: <a\r\n b@example.org>\r\n", NULL, NULL },
	{ "id with 8-bit dropped", "Message-ID: <caf\xc3\xa9@example.org>\r\n", NULL, NULL },
	{ "in-reply-to after junk", "In-Reply-To: Bob's message of <x@y>\r\n", NULL, "<x@y>" },
	{ "absent", "", NULL, NULL },
};

static void
test_ids(void **state)
{
	for (size_t i = 0; i < nitems(id_cases); i++) {
		char *raw = xasprintf("From: a@example.org\r\n%s\r\nbody\r\n", id_cases[i].hdr);
		struct msg *m = parse_str(raw);

		print_message("ids: %s\n", id_cases[i].name);
		assert_non_null(m);
		assert_str_or_null(m->message_id, id_cases[i].mid);
		assert_str_or_null(m->in_reply_to, id_cases[i].irt);
		msg_free(m);
		free(raw);
	}
}

static void
test_references_cap(void **state)
{
	struct buf b;
	struct msg *m;
	char *want;

	buf_init(&b, 0);
	buf_adds(&b, "From: a@example.org\r\nReferences:");
	for (int i = 0; i < 100; i++)
		buf_printf(&b, " <r%d@x>\r\n", i);
	buf_adds(&b, "\r\nbody\r\n");
	m = parse_str(b.data);
	assert_non_null(m);
	assert_true(strncmp(m->references, "<r0@x> <r71@x> ", 15) == 0);
	want = strstr(m->references, "<r99@x>");
	assert_non_null(want);
	assert_string_equal(want, "<r99@x>");
	msg_free(m);
	buf_free(&b);
}

/* ---- body ---- */

static const struct {
	const char *name, *raw, *want;
} body_cases[] = {
	{ "plain", "From: a@x.org\r\n\r\nName: Ann\r\nRole: mentor\r\n", "Name: Ann\nRole: mentor" },
	{ "alternative prefers plain",
	  "From: a@x.org\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
	  "--b1\r\nContent-Type: text/html\r\n\r\n<p>HTML</p>\r\n"
	  "--b1\r\nContent-Type: text/plain\r\n\r\nPLAIN\r\n--b1--\r\n", "PLAIN" },
	{ "html only",
	  "From: a@x.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
	  "<html><head><style>p{}</style></head><body><p>Name: Ann</p>"
	  "<div>Role:&nbsp;mentor &amp; more</div></body></html>\r\n",
	  "Name: Ann\n\nRole: mentor & more" },
	{ "latin1", "From: a@x.org\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
	  "K\xf6ln\r\n", "K\xc3\xb6ln" },
	{ "windows-1252", "From: a@x.org\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\n"
	  "\x93quoted\x94\r\n", "\xe2\x80\x9cquoted\xe2\x80\x9d" },
	{ "latin1 label read as windows-1252",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\r\n"
	  "\x93Mar\xed" "a\x94 \x96 caf\xe9\r\n",
	  "\xe2\x80\x9cMar\xc3\xad" "a\xe2\x80\x9d \xe2\x80\x93 caf\xc3\xa9" },
	{ "us-ascii label with 8-bit read as windows-1252",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
	  "it\x92s\r\n", "it\xe2\x80\x99s" },
	{ "undeclared 8-bit not utf-8 read as windows-1252",
	  "From: a@x.org\r\n\r\n\x84Gr\xfc\xdf" "e\x93\r\n",
	  "\xe2\x80\x9eGr\xc3\xbc\xc3\x9f" "e\xe2\x80\x9c" },
	{ "iso-8859-15 euro",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=iso-8859-15\r\n\r\n"
	  "\xa4 5\r\n", "\xe2\x82\xac 5" },
	{ "koi8-r",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n"
	  "\xf2\xcf\xd3\xd3\xc9\xd1\r\n",
	  "\xd0\xa0\xd0\xbe\xd1\x81\xd1\x81\xd0\xb8\xd1\x8f" },
	{ "shift_jis",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\n"
	  "\x93\xfa\x96\x7b\r\n", "\xe6\x97\xa5\xe6\x9c\xac" },
	{ "gb2312 label read as gb18030",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n"
	  "\xd6\xd0\xce\xc4\r\n", "\xe4\xb8\xad\xe6\x96\x87" },
	{ "big5",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=big5\r\n\r\n"
	  "\xa4\xa4\xa4\xe5\r\n", "\xe4\xb8\xad\xe6\x96\x87" },
	{ "html only with named entities",
	  "From: a@x.org\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n"
	  "<p>Name: Mar&iacute;a Jos&eacute; M&uuml;ller&hellip; &ndash; &euro;</p>\r\n",
	  "Name: Mar\xc3\xad" "a Jos\xc3\xa9 M\xc3\xbcller\xe2\x80\xa6 \xe2\x80\x93 \xe2\x82\xac" },
	{ "unknown charset as latin1",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=x-bogus\r\n\r\nK\xf6ln\r\n",
	  "K\xc3\xb6ln" },
	{ "undeclared 8-bit utf-8",
	  "From: a@x.org\r\n\r\nK\xc3\xb6ln\r\n", "K\xc3\xb6ln" },
	{ "declared utf-8 invalid",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nK\xf6ln\r\n",
	  "K\xef\xbf\xbdln" },
	{ "base64",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nTmFtZTogQW5uCg==\r\n", "Name: Ann" },
	{ "quoted-printable",
	  "From: a@x.org\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\nK=C3=B6ln is a long=\r\n line\r\n",
	  "K\xc3\xb6ln is a long line" },
	{ "attachment skipped",
	  "From: a@x.org\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n"
	  "--b2\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n"
	  "ATTACHED\r\n--b2\r\nContent-Type: text/plain\r\n\r\nBODY\r\n--b2--\r\n", "BODY" },
	{ "only attachments",
	  "From: a@x.org\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n"
	  "--b2\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\n"
	  "ATTACHED\r\n--b2\r\nContent-Type: image/png\r\n\r\nxxxx\r\n--b2--\r\n", "" },
	{ "nested alternative in mixed",
	  "From: a@x.org\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n"
	  "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
	  "--i\r\nContent-Type: text/plain\r\n\r\nINNER\r\n--i\r\nContent-Type: text/html\r\n\r\n"
	  "<b>x</b>\r\n--i--\r\n--o\r\nContent-Type: application/pdf\r\n\r\nPDF\r\n--o--\r\n",
	  "INNER" },
	{ "forwarded message not used",
	  "From: a@x.org\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n"
	  "--o\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@x.org\r\n\r\nFORWARDED\r\n--o--\r\n",
	  "" },
	{ "quotes stripped",
	  "From: a@x.org\r\n\r\nYes please.\r\n\r\nOn Mon, 1 Jan 2026, Bot <iln@x.org> wrote:\r\n"
	  "> CONFIRM abc\r\n", "Yes please." },
	{ "NUL removed", "From: a@x.org\r\n\r\nab\0cd\r\n", "ab cd" },
	{ "NUL in base64 removed",
	  "From: a@x.org\r\nContent-Transfer-Encoding: base64\r\n\r\nYQBi\r\n", "ab" },
	{ "LF only", "From: a@x.org\nSubject: s\n\nline1\nline2\n", "line1\nline2" },
	{ "CR only", "From: a@x.org\rSubject: s\r\rline1\rline2\r", "line1\nline2" },
	{ "no body", "From: a@x.org\r\n", "" },
};

static void
test_body(void **state)
{
	for (size_t i = 0; i < nitems(body_cases); i++) {
		const char *raw = body_cases[i].raw;
		size_t len = strlen(raw);
		char why[128];
		struct msg *m;

		/* the NUL case carries its NUL inside the literal */
		if (strcmp(body_cases[i].name, "NUL removed") == 0)
			len = sizeof("From: a@x.org\r\n\r\nab\0cd\r\n") - 1;
		print_message("body: %s\n", body_cases[i].name);
		m = msg_parse(raw, len, why, sizeof(why));
		assert_non_null(m);
		assert_non_null(m->body);
		assert_true(utf8_valid(m->body, strlen(m->body)));
		assert_string_equal(m->body, body_cases[i].want);
		msg_free(m);
	}
}

static void
test_body_cap(void **state)
{
	struct buf b;
	struct msg *m;

	buf_init(&b, 0);
	buf_adds(&b, "From: a@x.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	for (int i = 0; i < 30000; i++)
		buf_adds(&b, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac.\r\n");  /* 12 bytes of text a line */
	m = parse_str(b.data);
	assert_non_null(m);
	assert_true(strlen(m->body) <= MSG_MAX_BODY);
	assert_true(strlen(m->body) > MSG_MAX_BODY - 16);
	assert_true(utf8_valid(m->body, strlen(m->body)));
	msg_free(m);
	buf_free(&b);
}

/* ---- quote stripping ---- */

static const struct {
	const char *name, *in, *want;
} quote_cases[] = {
	{ "nothing to strip", "Name: Ann\nRole: mentor\n", "Name: Ann\nRole: mentor" },
	{ "quoted lines", "Yes\n> old\n  >> older\nNo\n", "Yes\nNo" },
	{ "on wrote", "Fine.\nOn Tue, 3 Mar 2026 at 10:00, Bot <b@x> wrote:\n> hi\nmore\n", "Fine." },
	{ "on wrote two lines", "Fine.\nOn Tue, 3 Mar 2026 at 10:00, Bot\n<b@x> wrote:\n> hi\n",
	  "Fine." },
	{ "german", "Ja.\nAm 03.03.2026 um 10:00 schrieb Bot <b@x>:\n> hi\n", "Ja." },
	{ "french", "Oui.\nLe mar. 3 mars 2026 \xc3\xa0 10:00, Bot <b@x> a \xc3\xa9" "crit :\n> hi\n",
	  "Oui." },
	{ "spanish", "S\xc3\xad.\nEl mar, 3 mar 2026 a las 10:00, Bot (<b@x>) escribi\xc3\xb3:\n> hi\n",
	  "S\xc3\xad." },
	{ "italian", "S\xc3\xac.\nIl giorno mar 3 mar 2026, Bot <b@x> ha scritto:\n> hi\n",
	  "S\xc3\xac." },
	{ "dutch", "Ja.\nOp di 3 mrt 2026 om 10:00 schreef Bot <b@x>:\n> hi\n", "Ja." },
	{ "addr wrote", "Sure.\nBot Name <bot@example.org> wrote:\nold text\n", "Sure." },
	{ "outlook underscores", "Ok\n\n________________________________\nFrom: Bot\nSent: today\n",
	  "Ok" },
	{ "outlook from sent", "Ok\nFrom: Bot <b@x>\nSent: Tuesday\nTo: me\nSubject: x\n\nold\n",
	  "Ok" },
	{ "outlook bold", "Ok\n*From:* Bot\n*Sent:* Tuesday\n", "Ok" },
	{ "german outlook", "Ok\nVon: Bot\nGesendet: Dienstag\n", "Ok" },
	{ "original message", "Ok\n-----Original Message-----\nFrom: x\n", "Ok" },
	{ "from without sent kept", "From: Berlin\nTo: Paris\n", "From: Berlin\nTo: Paris" },
	{ "signature", "Name: Ann\n-- \nAnn, Acme Corp\n", "Name: Ann" },
	{ "signature no space", "Name: Ann\n--\nAnn\n", "Name: Ann" },
	{ "crlf signature", "Name: Ann\r\n-- \r\nAnn\r\n", "Name: Ann" },
	{ "dashes in text kept", "a -- b\n---\nc\n", "a -- b\n---\nc" },
	{ "trailing blanks", "Hello\n\n\n  \n", "Hello" },
	{ "empty", "", "" },
	{ "on without wrote kept", "On Monday I can meet.\nSee you.\n", "On Monday I can meet.\nSee you." },
};

static void
test_strip_quotes(void **state)
{
	for (size_t i = 0; i < nitems(quote_cases); i++) {
		char *out = msg_strip_quotes(quote_cases[i].in);

		print_message("quotes: %s\n", quote_cases[i].name);
		assert_string_equal(out, quote_cases[i].want);
		free(out);
	}
}

/* ---- HTML ---- */

static const struct {
	const char *name, *in, *want;
} html_cases[] = {
	{ "tags dropped", "<b>bold</b> and <i>it</i>", "bold and it" },
	{ "br", "a<br>b<br/>c", "a\nb\nc" },
	{ "paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo" },
	{ "divs", "<div>Name: Ann</div><div>Role: mentor</div>", "Name: Ann\nRole: mentor" },
	{ "list", "<ul><li>a</li><li>b</li></ul>", "a\nb" },
	{ "table rows", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
	  "a b\nc" },
	{ "script and style", "x<script>alert('<b>')</script>y<style>p{}</style>z", "xyz" },
	{ "comment", "a<!-- <p>hidden</p> -->b", "ab" },
	{ "entities", "&amp;&lt;&gt;&quot;&apos;&nbsp;x", "&<>\"' x" },
	{ "numeric entities", "&#233;&#xE9;&#X20AC;&#128512;", "\xc3\xa9\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
	{ "bad numeric entities", "&#0;&#xD800;&#x110000;&#;", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd&#;" },
	{ "unknown entity", "&bogus; & x", "&bogus; & x" },
	{ "html5 named entities", "&iacute;&Ntilde;&hellip;&mdash;&rarr;&NotEqualTilde;&fjlig;",
	  "\xc3\xad\xc3\x91\xe2\x80\xa6\xe2\x80\x94\xe2\x86\x92\xe2\x89\x82\xcc\xb8" "fj" },
	{ "entities are case-sensitive", "&Eacute;&eacute;&EACUTE;",
	  "\xc3\x89\xc3\xa9&EACUTE;" },
	{ "legacy entity without semicolon", "&copy2026 &eacutex &notit; &notin;",
	  "\xc2\xa9" "2026 \xc3\xa9x \xc2\xac" "it; \xe2\x88\x89" },
	{ "longest entity name", "&CounterClockwiseContourIntegral;", "\xe2\x88\xb3" },
	{ "numeric c1 as windows-1252", "&#150;&#x93;&#129;", "\xe2\x80\x93\xe2\x80\x9c\xef\xbf\xbd" },
	{ "whitespace collapsed", "a\n   b\r\n\tc", "a b c" },
	{ "pre keeps line breaks", "<pre>a\n  b</pre>", "a\nb" },
	{ "blank lines collapsed", "a<br><br><br><br>b", "a\n\nb" },
	{ "lone lt", "a < b", "a < b" },
	{ "quoted gt in attribute", "<a title=\"x>y\">link</a>", "link" },
	{ "unclosed tag", "text<a href=", "text" },
	{ "unclosed script", "a<script>never closed", "a" },
	{ "empty", "", "" },
};

static void
test_html(void **state)
{
	for (size_t i = 0; i < nitems(html_cases); i++) {
		char *out = msg_html_to_text(html_cases[i].in, strlen(html_cases[i].in));

		print_message("html: %s\n", html_cases[i].name);
		assert_string_equal(out, html_cases[i].want);
		free(out);
	}
}

static void
test_html_linear(void **state)
{
	size_t n = 4u << 20;
	char *in = xmalloc(n + 1);
	clock_t t0;
	char *out;

	/* adversarial: many openers that never close */
	for (size_t i = 0; i < n; i += 2) {
		in[i] = '<';
		in[i + 1] = (i / 2) % 3 == 0 ? '!' : 'a';
	}
	in[n] = '\0';
	t0 = clock();
	out = msg_html_to_text(in, n);
	free(out);
	memset(in, '&', n);
	out = msg_html_to_text(in, n);
	assert_true(strlen(out) <= 1024u * 1024);
	free(out);
	assert_true(clock() - t0 < budget(1));
	free(in);
}

/* ---- loop safety ---- */

static const struct {
	const char *name, *hdr, *why;  /* why NULL: not automated */
} auto_cases[] = {
	{ "person", "From: ann@example.com\r\n", NULL },
	{ "auto-submitted no", "From: ann@example.com\r\nAuto-Submitted: no\r\n", NULL },
	{ "auto-submitted no comment", "From: ann@example.com\r\nAuto-Submitted: No (x)\r\n", NULL },
	{ "auto-replied", "From: ann@example.com\r\nAuto-Submitted: auto-replied\r\n", "Auto-Submitted" },
	{ "auto-generated", "From: ann@example.com\r\nAuto-Submitted: auto-generated\r\n",
	  "Auto-Submitted" },
	{ "precedence bulk", "From: ann@example.com\r\nPrecedence: bulk\r\n", "Precedence" },
	{ "precedence junk", "From: ann@example.com\r\nPrecedence: JUNK\r\n", "Precedence" },
	{ "precedence list", "From: ann@example.com\r\nPrecedence: list\r\n", "Precedence" },
	{ "precedence auto_reply", "From: ann@example.com\r\nPrecedence: auto_reply\r\n",
	  "Precedence" },
	{ "precedence first-class", "From: ann@example.com\r\nPrecedence: first-class\r\n", NULL },
	{ "null return path", "Return-Path: <>\r\nFrom: ann@example.com\r\n", "Return-Path" },
	{ "return path", "Return-Path: <ann@example.com>\r\nFrom: ann@example.com\r\n", NULL },
	{ "list-id", "From: ann@example.com\r\nList-Id: <l.example.com>\r\n", "List" },
	{ "list-unsubscribe", "From: ann@example.com\r\nList-Unsubscribe: <mailto:u@x>\r\n", "List" },
	{ "list-post", "From: ann@example.com\r\nList-Post: <mailto:l@x>\r\n", "List" },
	{ "report", "From: ann@example.com\r\nContent-Type: multipart/report; "
	  "report-type=delivery-status; boundary=x\r\n", "report" },
	{ "mailer-daemon", "From: MAILER-DAEMON@example.com\r\n", "robot" },
	{ "postmaster", "From: postmaster@example.com\r\n", "robot" },
	{ "noreply", "From: noreply@example.com\r\n", "robot" },
	{ "no-reply", "From: No-Reply@example.com\r\n", "robot" },
	{ "do-not-reply", "From: do-not-reply@example.com\r\n", "robot" },
	{ "listserv", "From: LISTSERV@example.com\r\n", "robot" },
	{ "majordomo", "From: majordomo@example.com\r\n", "robot" },
	{ "mailman", "From: mailman@example.com\r\n", "robot" },
	{ "request", "From: list-request@example.com\r\n", "robot" },
	{ "owner", "From: owner-list@example.com\r\n", "robot" },
	{ "bounces", "From: list-bounces@example.com\r\n", "robot" },
	{ "bounces verp", "From: list-bounces+ann=example.com@example.com\r\n", "robot" },
	{ "x-loop ours", "From: ann@example.com\r\nX-Loop: ILN@example.org\r\n", "X-Loop" },
	{ "x-loop ours bracketed", "From: ann@example.com\r\nX-Loop: list@x\r\nX-Loop: <iln@example.org>\r\n",
	  "X-Loop" },
	{ "x-loop other", "From: ann@example.com\r\nX-Loop: other@example.org\r\n", NULL },
	{ "from ourselves", "From: Bot <iln@EXAMPLE.org>\r\n", "ourselves" },
	{ "x-autoreply", "From: ann@example.com\r\nX-Autoreply: yes\r\n", "X-Autoreply" },
	{ "x-autorespond", "From: ann@example.com\r\nX-Autorespond: on vacation\r\n", "X-Autoreply" },
};

static void
test_automated(void **state)
{
	for (size_t i = 0; i < nitems(auto_cases); i++) {
		char *raw = xasprintf("%sSubject: x\r\n\r\nbody\r\n", auto_cases[i].hdr);
		struct msg *m = parse_str(raw);
		const char *why = "unset";
		bool a;

		print_message("auto: %s\n", auto_cases[i].name);
		assert_non_null(m);
		a = msg_is_automated(m, OWN, &why);
		if (auto_cases[i].why == NULL) {
			assert_false(a);
			assert_null(why);
		} else {
			assert_true(a);
			assert_non_null(why);
			assert_non_null(strstr(why, auto_cases[i].why));
		}
		msg_free(m);
		free(raw);
	}
}

static void
test_automated_received(void **state)
{
	struct buf b;
	struct msg *m;
	const char *why;

	for (int n = 49; n <= 50; n++) {
		buf_init(&b, 0);
		for (int i = 0; i < n; i++)
			buf_printf(&b, "Received: from h%d\r\n", i);
		buf_adds(&b, "From: ann@example.com\r\n\r\nx\r\n");
		m = parse_str(b.data);
		assert_non_null(m);
		assert_int_equal(m->received_count, n);
		assert_int_equal(msg_is_automated(m, OWN, &why), n >= 50);
		msg_free(m);
		buf_free(&b);
	}
}

/* ---- the gate ---- */

static char *
nested(int levels, bool rfc822, size_t *len)
{
	struct buf b;

	buf_init(&b, 0);
	buf_adds(&b, "From: a@x.org\r\nSubject: deep\r\n");
	for (int i = 0; i < levels; i++) {
		if (rfc822)
			buf_adds(&b, "Content-Type: message/rfc822\r\n\r\nFrom: a@x.org\r\n");
		else
			buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n"
			    "--b%d\r\n", i, i);
	}
	buf_adds(&b, "Content-Type: text/plain\r\n\r\nDEEP\r\n");
	if (!rfc822)
		for (int i = levels - 1; i >= 0; i--)
			buf_printf(&b, "--b%d--\r\n", i);
	*len = b.len;
	return buf_steal(&b);
}

static void
test_gate_depth(void **state)
{
	static const struct { int levels; bool rfc822; bool ok; } cases[] = {
		{ 1, false, true }, { MSG_MAX_DEPTH - 1, false, true }, { MSG_MAX_DEPTH, false, true },
		{ MSG_MAX_DEPTH + 1, false, false }, { 10000, false, false },
		{ MSG_MAX_DEPTH, true, true }, { MSG_MAX_DEPTH + 1, true, false },
		{ 10000, true, false }, { 40000, true, false },
	};

	for (size_t i = 0; i < nitems(cases); i++) {
		size_t len;
		char *raw = nested(cases[i].levels, cases[i].rfc822, &len), why[128];
		clock_t t0 = clock();
		struct msg *m = msg_parse(raw, len, why, sizeof(why));

		print_message("depth %d %s\n", cases[i].levels, cases[i].rfc822 ? "rfc822" : "multipart");
		assert_true(clock() - t0 < budget(0.5));
		if (cases[i].ok) {
			assert_non_null(m);
			assert_string_equal(m->body, cases[i].rfc822 ? "" : "DEEP");
		} else {
			assert_null(m);
			assert_true(strstr(why, "deep") != NULL || strstr(why, "parts") != NULL);
		}
		msg_free(m);
		free(raw);
	}
}

static void
test_gate_parts(void **state)
{
	for (int n = MSG_MAX_PARTS - 10; n <= MSG_MAX_PARTS * 3; n += MSG_MAX_PARTS * 2 + 10) {
		struct buf b;
		char why[128];
		struct msg *m;

		buf_init(&b, 0);
		buf_adds(&b, "From: a@x.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
		for (int i = 0; i < n; i++)
			buf_adds(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart\r\n");
		buf_adds(&b, "--b--\r\n");
		m = msg_parse(b.data, b.len, why, sizeof(why));
		if (n < MSG_MAX_PARTS) {
			assert_non_null(m);
			assert_string_equal(m->body, "part");
		} else {
			assert_null(m);
			assert_non_null(strstr(why, "parts"));
		}
		msg_free(m);
		buf_free(&b);
	}
}

static void
test_gate_misc(void **state)
{
	char why[128];
	struct msg *m;
	struct buf b;
	char *big;
	size_t n;

	/* oversize */
	n = MSG_MAX_SIZE + 1;
	big = xmalloc(n);
	memset(big, 'a', n);
	memcpy(big, "From: a@x.org\r\n\r\n", 17);
	assert_null(msg_parse(big, n, why, sizeof(why)));
	assert_non_null(strstr(why, "large"));
	/* exactly the limit is accepted, and parsed fast */
	for (size_t i = 100; i + 2 < MSG_MAX_SIZE; i += 100)
		big[i] = '\n';
	m = msg_parse(big, MSG_MAX_SIZE, why, sizeof(why));
	assert_non_null(m);
	msg_free(m);
	free(big);

	/* huge header */
	buf_init(&b, 0);
	buf_adds(&b, "From: a@x.org\r\nX-Big: ");
	for (int i = 0; i < 300 * 1024; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\r\n\r\nbody\r\n");
	assert_null(msg_parse(b.data, b.len, why, sizeof(why)));
	assert_non_null(strstr(why, "header"));
	buf_free(&b);

	/* nested comments, which make libetpan recurse */
	buf_init(&b, 0);
	buf_adds(&b, "From: a@x.org ");
	for (int i = 0; i < 200 * 1024; i++)
		buf_addc(&b, '(');
	buf_adds(&b, "\r\n\r\nbody\r\n");
	assert_null(msg_parse(b.data, b.len, why, sizeof(why)));
	buf_free(&b);

	/* not a message */
	assert_null(msg_parse("", 0, why, sizeof(why)));
	assert_null(msg_parse("just text\r\n", 11, why, sizeof(why)));
	assert_null(msg_parse("\0\0\0", 3, why, sizeof(why)));
}

static void
test_gate_nul(void **state)
{
	static const char raw[] = "From: a@x.org\0evil@y.org\r\nSubject: a\0b\r\n\r\nx\0y\r\n";
	char why[128];
	struct msg *m = msg_parse(raw, sizeof(raw) - 1, why, sizeof(why));

	assert_non_null(m);
	assert_null(m->from);  /* "a@x.org evil@y.org" is not one mailbox */
	assert_string_equal(m->subject, "a b");
	assert_string_equal(m->body, "x y");
	msg_free(m);
}

static void
test_line_endings(void **state)
{
	static const char *const raws[] = {
		"From: Ann <ann@x.org>\nSubject: SIGNUP\nMessage-ID: <i@x>\n\nName: Ann\n",
		"From: Ann <ann@x.org>\rSubject: SIGNUP\rMessage-ID: <i@x>\r\rName: Ann\r",
		"From: Ann <ann@x.org>\r\nSubject: SIGNUP\nMessage-ID: <i@x>\r\r\nName: Ann\n\r",
	};

	for (size_t i = 0; i < nitems(raws); i++) {
		struct msg *m = parse_str(raws[i]);

		assert_non_null(m);
		assert_string_equal(m->from, "ann@x.org");
		assert_string_equal(m->subject, "SIGNUP");
		assert_string_equal(m->message_id, "<i@x>");
		assert_string_equal(m->body, "Name: Ann");
		msg_free(m);
	}
}

/* ---- the corpus ---- */

static int corpus_files;

static void
corpus_walk(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *path, *raw, why[128];
		struct stat st;
		size_t len;
		clock_t t0;
		struct msg *m;
		const char *reason;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			corpus_walk(path);
		} else if (file_read(path, 64u << 20, &raw, &len) == 0) {
			t0 = clock();
			m = msg_parse(raw, len, why, sizeof(why));
			(void)msg_is_automated(m, OWN, &reason);
			if (m != NULL) {
				assert_non_null(m->body);
				assert_non_null(m->subject);
				assert_true(utf8_valid(m->body, strlen(m->body)));
				assert_true(utf8_valid(m->subject, strlen(m->subject)));
				assert_true(m->from != NULL || m->from_error != NULL);
			}
			msg_free(m);
			if (clock() - t0 >= budget(1))
				fail_msg("%s took over 1 s", path);
			free(raw);
			corpus_files++;
		}
		free(path);
	}
	closedir(d);
}

static void
test_corpus(void **state)
{
	const char *dir = getenv("ILNBOT_CORPUS");
	struct stat st;

	if (dir == NULL)
		dir = "../shared/corpus";
	if (stat(dir, &st) != 0) {
		print_message("corpus %s absent, skipped\n", dir);
		skip();
	}
	corpus_walk(dir);
	print_message("corpus: %d files\n", corpus_files);
	assert_true(corpus_files > 0);
}

/* A UTF-8 local part: not From, but kept aside as from_utf8 for an SMTPUTF8 relay, its
 * domain in A-labels and its display name read. */
static void
test_utf8_local_part_kept_aside(void **state)
{
	static const char raw[] = "From: J\xc3\xb6rg <j\xc3\xb6rg@M\xc3\xbcnchen.example>\r\n"
				  "Subject: HELP\r\n\r\nhi\r\n";
	static const char bad[] = "From: <j\xc3\xb6\xc2\x85rg@example.org>\r\n\r\nhi\r\n";
	char why[128];
	struct msg *m = msg_parse(raw, strlen(raw), why, sizeof(why));

	(void)state;
	assert_non_null(m);
	assert_null(m->from);
	assert_string_equal(m->from_utf8, "j\xc3\xb6rg@xn--mnchen-3ya.example");
	assert_string_equal(m->from_name, "J\xc3\xb6rg");
	assert_non_null(strstr(m->from_error, "UTF-8 local part"));
	msg_free(m);
	m = msg_parse(bad, strlen(bad), why, sizeof(why));     /* a C1 control: unusable */
	assert_non_null(m);
	assert_null(m->from);
	assert_null(m->from_utf8);
	msg_free(m);
}

/* msg_from_utf8_local: what msg_parse would say of the From, on any input. */
static void
test_from_utf8_local(void **state)
{
	static const struct { const char *name, *raw; size_t len; bool utf8; } cases[] = {
		{ "UTF-8 local part", "From: <j\xc3\xb6rg@example.org>\r\n\r\nhi\r\n", 0, true },
		{ "LF line ends", "From: j\xc3\xb6rg@example.org\nSubject: x\n\nhi\n", 0, true },
		{ "folded", "Subject: x\r\nFrom: J\xc3\xb6rg\r\n <j\xc3\xb6rg@example.org>\r\n\r\n", 0,
		  true },
		{ "8-bit display name only", "From: J\xc3\xb6rg <jorg@example.org>\r\n\r\nhi\r\n", 0,
		  false },
		{ "ASCII", "From: ana@example.org\r\n\r\nhi\r\n", 0, false },
		{ "in the body only", "From: ana@example.org\r\n\r\nFrom: j\xc3\xb6rg@example.org\r\n",
		  0, false },
		{ "two From fields", "From: j\xc3\xb6rg@example.org\r\nFrom: ana@example.org\r\n\r\n",
		  0, false },
		{ "invalid UTF-8", "From: <j\xff\xferg@example.org>\r\n\r\nhi\r\n", 0, false },
		{ "C1 control", "From: <j\xc3\xb6\xc2\x85rg@example.org>\r\n\r\nhi\r\n", 0, false },
		/* the gate makes a NUL a space, and the parse reads "j\xc3\xb6 rg" as one word */
		{ "NUL in the local part", "From: <j\xc3\xb6\0rg@example.org>\r\n\r\nhi\r\n",
		  sizeof("From: <j\xc3\xb6\0rg@example.org>\r\n\r\nhi\r\n") - 1, true },
		{ "bare CR", "From: <j\xc3\xb6rg@example.org>\rSubject: x\r\r", 0, true },
		{ "leading blank lines", "\r\n\nFrom: <j\xc3\xb6rg@example.org>\r\n\r\nhi", 0, true },
		{ "mbox From line", "From j\xc3\xb6rg@example.org Mon Jan  1 00:00:00 2026\n"
		  "From: <j\xc3\xb6rg@example.org>\n\nhi\n", 0, true },
		{ "no header", "\r\n\r\nhi", 0, false },
		{ "empty", "", 0, false },
	};
	static const char head[] = "From: <j\xc3\xb6rg@example.org>\r\n\r\n";
	size_t huge = MSG_MAX_SIZE + 16;
	char *big = xmalloc(huge);
	char why[128];

	(void)state;
	for (size_t i = 0; i < nitems(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].raw);
		struct msg *m = msg_parse(cases[i].raw, len, why, sizeof(why));

		if (msg_from_utf8_local(cases[i].raw, len) != cases[i].utf8)
			fail_msg("%s: want %d", cases[i].name, cases[i].utf8);
		/* the same answer as the whole parse */
		if (cases[i].utf8 != (m != NULL && m->from_utf8 != NULL))
			fail_msg("%s: msg_parse disagrees", cases[i].name);
		msg_free(m);
	}
	/* past the size cap: refused by the gate, as msg_parse refuses it */
	memset(big, 'x', huge);
	memcpy(big, head, sizeof(head) - 1);
	assert_false(msg_from_utf8_local(big, huge));
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from),
		cmocka_unit_test(test_utf8_local_part_kept_aside),
		cmocka_unit_test(test_from_utf8_local),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_subject_cap),
		cmocka_unit_test(test_no_subject),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_references_cap),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_strip_quotes),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_linear),
		cmocka_unit_test(test_automated),
		cmocka_unit_test(test_automated_received),
		cmocka_unit_test(test_gate_depth),
		cmocka_unit_test(test_gate_parts),
		cmocka_unit_test(test_gate_misc),
		cmocka_unit_test(test_gate_nul),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
