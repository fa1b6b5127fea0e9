/* test_bounce.c: msg_bounce_parse() on the shapes it must tell apart: RFC 3464 reports
 * (several recipients, Original-Recipient before or after Final-Recipient, Action over
 * Status), the VERP token and where it came from, ARF complaints, qmail, Exchange and
 * Gmail text notices, our Message-ID, people's mail that is no bounce, and caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg_bounce.h"
#include "util.h"

#define BA "iln@example.org"
#define DOM "example.org"

static enum bounce_kind
parse(const char *raw, struct bounce *b)
{
	return msg_bounce_parse(raw, strlen(raw), BA, DOM, b);
}

static void
test_verp_token(void **state)
{
	static const struct { const char *addr; const char *tok; } cases[] = {
		{ "iln+0123abcd@example.org", "0123abcd" },
		{ "ILN+ab_c-d@EXAMPLE.org", "ab_c-d" },
		{ "iln@example.org", NULL },
		{ "iln+@example.org", NULL },
		{ "iln+ab@example.net", NULL },
		{ "ilnx+ab@example.org", NULL },
		{ "iln+a b@example.org", NULL },
		{ "iln+a@b@example.org", NULL },
	};
	char tok[BOUNCE_TOKEN_MAX];

	for (size_t i = 0; i < nitems(cases); i++) {
		bool ok = bounce_verp_token(cases[i].addr, strlen(cases[i].addr), BA, tok, sizeof(tok));

		assert_int_equal(ok, cases[i].tok != NULL);
		if (ok)
			assert_string_equal(tok, cases[i].tok);
	}
	assert_false(bounce_verp_token("iln+ab@example.org", 18, NULL, tok, sizeof(tok)));
}

static const char dsn[] =
	"Return-Path: <>\r\n"
	"X-Original-To: iln+00ff00ff00ff00ff@example.org\r\n"
	"Delivered-To: iln+1122334455667788@example.org\r\n"
	"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
	"To: iln+aaaa@example.org\r\n"
	"Subject: Undelivered Mail Returned to Sender\r\n"
	"Content-Type: multipart/report; report-type=delivery-status;\r\n"
	"\tboundary=\"B\"\r\n"
	"\r\n--B\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
	"\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
	"Reporting-MTA: dns; mx.example.net\r\n\r\n"
	"Original-Recipient: rfc822;Alias@Example.net\r\n"
	"Final-Recipient: rfc822; <ana@example.net>\r\n"
	"Action: failed\r\nStatus: 4.0.0\r\n\r\n"
	"Final-Recipient: rfc822; bo@example.net\r\n"
	"Original-Recipient: rfc822; bo.alias@example.net\r\n"
	"Action: delayed\r\nStatus: 4.4.1\r\n\r\n"
	"Final-Recipient: rfc822; cy@example.net\r\n"
	"Action: delivered\r\nStatus: 2.0.0\r\n\r\n"
	"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	"Message-ID: <abc@example.org>\r\nStatus: RO\r\n\r\n--B--\r\n";

static void
test_rfc3464(void **state)
{
	struct bounce b;

	assert_int_equal(parse(dsn, &b), BOUNCE_DSN);
	assert_string_equal(b.shape, "rfc3464");
	assert_string_equal(b.token, "1122334455667788");      /* Delivered-To first */
	assert_string_equal(b.token_from, "Delivered-To");
	assert_string_equal(b.message_id, "<abc@example.org>");
	assert_int_equal(b.nrcpts, 3);
	assert_string_equal(b.rcpts[0].addr, "ana@example.net");
	assert_string_equal(b.rcpts[0].original, "alias@example.net");
	assert_string_equal(b.rcpts[0].status, "4.0.0");
	assert_int_equal(b.rcpts[0].severity, BOUNCE_PERMANENT);   /* Action: failed */
	assert_string_equal(b.rcpts[1].original, "bo.alias@example.net");
	assert_int_equal(b.rcpts[1].severity, BOUNCE_TEMPORARY);
	assert_int_equal(b.rcpts[2].severity, BOUNCE_SUCCESS);
	assert_int_equal(bounce_severity_of(&b), BOUNCE_PERMANENT);
}

static void
test_token_only(void **state)
{
	static const char raw[] =
		"From: someone@example.net\nTo: iln+beef@example.org\nSubject: hi\n\nhello\n";
	struct bounce b;

	assert_int_equal(parse(raw, &b), BOUNCE_DSN);
	assert_string_equal(b.shape, "verp");
	assert_string_equal(b.token, "beef");
	assert_string_equal(b.token_from, "To");
	assert_int_equal(bounce_severity_of(&b), BOUNCE_UNKNOWN);
}

static void
test_arf(void **state)
{
	static const char raw[] =
		"From: fbl@isp.example\nTo: abuse@example.org\n"
		"Content-Type: multipart/report; report-type=feedback-report; boundary=x\n\n"
		"--x\nContent-Type: message/feedback-report\n\n"
		"Feedback-Type: Abuse\nOriginal-Mail-From: <iln+c0ffee@example.org>\n"
		"Original-Rcpt-To: <Reader@Example.com>\n\n"
		"--x\nContent-Type: message/rfc822\n\nFrom: iln@example.org\n\nhi\n--x--\n";
	struct bounce b;

	assert_int_equal(parse(raw, &b), BOUNCE_ARF);
	assert_string_equal(b.feedback_type, "abuse");
	assert_string_equal(b.token, "c0ffee");
	assert_int_equal(b.nrcpts, 1);
	assert_string_equal(b.rcpts[0].addr, "reader@example.com");
}

static void
test_text_shapes(void **state)
{
	static const struct {
		const char *raw, *shape, *addr;
		enum bounce_severity sev;
	} cases[] = {
		{ "From: MAILER-DAEMON@q.example\nSubject: failure notice\n\n"
		  "Hi. This is the qmail-send program at q.example.\n"
		  "<gone@q.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
		  "qmail", "gone@q.example", BOUNCE_PERMANENT },
		{ "From: postmaster@ex.example\nSubject: Undeliverable: hello\n"
		  "X-MS-Exchange-Message-Is-Ndr:\n\nDelivery has failed to these recipients or groups:\n"
		  "\n<who@ex.example>: the address was not found\n",
		  "exchange", "who@ex.example", BOUNCE_PERMANENT },
		{ "From: Mail Delivery Subsystem <mailer-daemon@g.example>\n"
		  "Subject: Delivery Status Notification (Failure)\n\n"
		  "Delivery to the following recipient failed permanently:\n\n     X@G.example\n\n"
		  "Technical details of permanent failure:\nDNS Error\n",
		  "text", "x@g.example", BOUNCE_PERMANENT },
		{ "From: mailer-daemon@e.example\nX-Failed-Recipients: a@e.example, b@e.example\n"
		  "Subject: Mail delivery failed\n\nThe message is delayed; it will be retried.\n",
		  "text", "a@e.example", BOUNCE_TEMPORARY },
	};

	for (size_t i = 0; i < nitems(cases); i++) {
		struct bounce b;

		assert_int_equal(parse(cases[i].raw, &b), BOUNCE_DSN);
		assert_string_equal(b.shape, cases[i].shape);
		assert_true(b.nrcpts >= 1);
		assert_string_equal(b.rcpts[0].addr, cases[i].addr);
		assert_int_equal(bounce_severity_of(&b), cases[i].sev);
	}
}

static void
test_not_bounces(void **state)
{
	static const char *const raws[] = {
		/* a person quoting our Message-ID and the words of a bounce */
		"From: ana@example.net\nTo: iln@example.org\nSubject: Undeliverable?\n"
		"In-Reply-To: <abc@example.org>\n\nI got: Status: 5.1.1 and Action: \n",
		/* a forward of our mail by a person: our Message-ID but nothing automated */
		"From: ana@example.net\nTo: iln@example.org\nSubject: Fwd: intro\n\n"
		"Message-ID: <abc@example.org>\nFrom: iln@example.org\n",
		/* automated mail threaded to ours (our own reply come back): no bounce */
		"From: iln@example.org\nAuto-Submitted: auto-replied\n"
		"References: <abc@example.org>\nIn-Reply-To: <abc@example.org>\n\nhello\n",
		"",
		"no header at all",
	};
	struct bounce b;

	for (size_t i = 0; i < nitems(raws); i++)
		assert_int_equal(parse(raws[i], &b), BOUNCE_NONE);
}

static void
test_message_id_only(void **state)
{
	static const char raw[] =
		"Return-Path: <>\nFrom: robot@x.example\nTo: iln@example.org\nSubject: oops\n\n"
		"Your mail:\nMessage-ID: <0123@other.example>\nMessage-ID: <abc@example.org>\n";
	struct bounce b;

	assert_int_equal(parse(raw, &b), BOUNCE_DSN);
	assert_string_equal(b.shape, "message-id");
	assert_string_equal(b.message_id, "<abc@example.org>");
	assert_string_equal(b.token, "");
}

static void
test_caps(void **state)
{
	size_t n = BOUNCE_SCAN_MAX + 4096, off = 0;
	char *raw = malloc(n + 1);
	struct bounce b;
	static const char head[] = "Content-Type: multipart/report; report-type=delivery-status\n"
				   "Subject: x\n\n";

	assert_non_null(raw);
	memcpy(raw, head, sizeof(head) - 1);
	off = sizeof(head) - 1;
	/* far more recipients than are kept, and a very long line */
	while (off + 80 < n / 2)
		off += (size_t)snprintf(raw + off, n - off, "Final-Recipient: rfc822; r%zu@x.example\n"
					"Action: failed\n\n", off);
	memset(raw + off, 'A', n - off);
	raw[n] = '\0';
	assert_int_equal(msg_bounce_parse(raw, n, BA, DOM, &b), BOUNCE_DSN);
	assert_true(b.truncated);
	assert_int_equal(b.nrcpts, BOUNCE_MAX_RCPTS);
	/* no bounce address configured: no token looked for */
	assert_int_equal(msg_bounce_parse(dsn, strlen(dsn), "", DOM, &b), BOUNCE_DSN);
	assert_string_equal(b.token, "");
	free(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verp_token),
		cmocka_unit_test(test_rfc3464),
		cmocka_unit_test(test_token_only),
		cmocka_unit_test(test_arf),
		cmocka_unit_test(test_text_shapes),
		cmocka_unit_test(test_not_bounces),
		cmocka_unit_test(test_message_id_only),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
