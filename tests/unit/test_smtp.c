/* test_smtp.c: outbound_smtp_ops against scripted fake SMTP servers on 127.0.0.1
 * (plaintext is allowed there): a normal send and connection reuse, reply classes
 * (4xx, 421, 5xx at RCPT and after DATA), the pipelined dialogue (dot-stuffing, SIZE,
 * recipients partly refused or deferred, a 354 that must not be answered), a silent
 * server timing out, STARTTLS with an injected reply or not offered, hostile replies,
 * invalid addresses or line endings refused before any byte is sent, a UTF-8 local part
 * (RFC 6531) sent with SMTPUTF8 to a server that offers it, refused without a MAIL by one
 * that does not, and smtp_auth = oauth2 (OAUTHBEARER, XOAUTH2, a refused token renewed;
 * tokens from fake_http.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "outbound.h"
#include "secret.h"
#include "oauth2.h"
#include "util.h"
#include "fake_server.h"
#include "fake_http.h"

#define MSG "From: iln@example.org\r\nTo: alice@example.org\r\nSubject: t\r\n\r\nhello\r\n.dot\r\n"

static void
conf_for(struct conf *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->address = "iln@example.org";
	c->smtp_host = "127.0.0.1";
	c->smtp_port = port;
	c->smtp_tls = "none";
	c->smtp_timeout_seconds = 1;
}

static enum outbound_result
send_to(void *h, const char *from, const char *to, const char *msg, char *err, size_t errsz)
{
	const char *rcpts[1] = { to };

	return outbound_smtp_ops.send(h, from, rcpts, 1, msg, strlen(msg), err, errsz);
}

#define GREET   { NULL, "220 fake ESMTP\r\n", 0 }
#define EHLO    { "EHLO example.org", "250-fake\r\n250 8BITMIME\r\n", 0 }

static void
test_send_and_reuse(void **state)
{
	static const struct fake_step steps[] = {
		GREET, EHLO,
		{ "MAIL FROM:<iln@example.org>", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		/* the second message on the same connection: no new EHLO */
		{ "MAIL FROM:<>", "250 ok\r\n", 0 },
		{ "RCPT TO:<bob@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		/* the server hangs up on the kept connection: the next send dials again */
		{ NULL, "421 4.4.2 idle too long\r\n", 0 },
		{ NULL, "<REACCEPT>", 0 },
		GREET, EHLO,
		{ "MAIL FROM:<>", "250 ok\r\n", 0 },
		{ "RCPT TO:<carol@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		{ "QUIT", "221 bye\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	char err[256] = "";
	void *h;

	fake_start(&fs, steps);
	conf_for(&c, fs.port);
	h = outbound_smtp_ops.open(&c, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(send_to(h, "iln@example.org", "alice@example.org", MSG, err, sizeof(err)),
	    OUTBOUND_SENT);
	assert_int_equal(send_to(h, "", "bob@example.org", MSG, err, sizeof(err)), OUTBOUND_SENT);
	poll(NULL, 0, 100);
	assert_int_equal(send_to(h, "", "carol@example.org", MSG, err, sizeof(err)), OUTBOUND_SENT);
	outbound_smtp_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
}

#define EHLO_PIPE { "EHLO example.org", "250-fake\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n", 0 }

/* A body whose lines would end DATA early or vanish if not dot-stuffed. */
#define MSG_DOTS "Subject: t\r\n\r\n.\r\n..\r\n.\r\nend\r\n"

static void
test_pipelined(void **state)
{
	static const struct fake_step steps[] = {
		GREET, EHLO_PIPE,
		{ "MAIL FROM:<iln@example.org> SIZE=", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		/* two recipients, one refused: sent to the other */
		{ "MAIL FROM:<>", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "550 5.1.1 no such user\r\n", 0 },
		{ "RCPT TO:<bob@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		/* one deferred: nothing sent, the session reset and kept */
		{ "MAIL FROM:<>", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "250 ok\r\n", 0 },
		{ "RCPT TO:<bob@example.org>", "451 4.3.0 later\r\n", 0 },
		{ "DATA", "503 5.5.1 no valid recipients\r\n", 0 },
		{ "RSET", "250 ok\r\n", 0 },
		/* every recipient refused: permanent */
		{ "MAIL FROM:<>", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "550 no\r\n", 0 },
		{ "RCPT TO:<bob@example.org>", "550 no\r\n", 0 },
		{ "DATA", "503 5.5.1 no valid recipients\r\n", 0 },
		{ "RSET", "250 ok\r\n", 0 },
		/* a server that says 354 anyway is hung up on, not fed the message */
		{ "MAIL FROM:<>", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "550 no\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	const char *two[2] = { "alice@example.org", "bob@example.org" };
	char big[1100];
	struct fake_server fs;
	struct conf c;
	char err[256] = "";
	void *h;

	fake_start(&fs, steps);
	conf_for(&c, fs.port);
	h = outbound_smtp_ops.open(&c, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(send_to(h, "iln@example.org", "alice@example.org", MSG_DOTS, err,
	    sizeof(err)), OUTBOUND_SENT);
	/* over the announced SIZE: refused without a word to the server */
	memset(big, 'x', sizeof(big));
	memcpy(big, "Subject: t\r\n\r\n", 14);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	assert_int_equal(send_to(h, "", "alice@example.org", big, err, sizeof(err)),
	    OUTBOUND_PERMANENT);
	assert_non_null(strstr(err, "SIZE"));
	assert_int_equal(outbound_smtp_ops.send(h, "", two, 2, MSG, strlen(MSG), err, sizeof(err)),
	    OUTBOUND_SENT);
	/* the refused one named for the outbox, which counts it as a bounce */
	assert_string_equal(err, "refused: alice@example.org 550");
	assert_int_equal(outbound_smtp_ops.send(h, "", two, 2, MSG, strlen(MSG), err, sizeof(err)),
	    OUTBOUND_TRANSIENT);
	assert_non_null(strstr(err, "451"));
	assert_int_equal(outbound_smtp_ops.send(h, "", two, 2, MSG, strlen(MSG), err, sizeof(err)),
	    OUTBOUND_PERMANENT);
	assert_non_null(strstr(err, "550"));
	assert_int_equal(send_to(h, "", "alice@example.org", MSG, err, sizeof(err)),
	    OUTBOUND_PERMANENT);
	outbound_smtp_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
}

struct reply_case {
	const char *name;
	const char *at;         /* the command that gets the bad reply */
	const char *reply;
	enum outbound_result want;
};

static void
test_reply_classes(void **state)
{
	static const struct reply_case cases[] = {
		{ "RCPT 450", "RCPT", "450 4.2.0 mailbox busy\r\n", OUTBOUND_TRANSIENT },
		{ "RCPT 550", "RCPT", "550 5.1.1 no such user\r\n", OUTBOUND_PERMANENT },
		{ "MAIL 421", "MAIL", "421 4.3.2 shutting down\r\n", OUTBOUND_TRANSIENT },
		{ "MAIL 552", "MAIL", "552 5.3.4 too big\r\n", OUTBOUND_PERMANENT },
		{ "DATA 451", "DATA", "451 4.3.0 try later\r\n", OUTBOUND_TRANSIENT },
		{ "end 554", "<DATA>", "554 5.7.1 rejected content\r\n", OUTBOUND_PERMANENT },
		{ "end 421", "<DATA>", "421 4.4.2 timeout\r\n", OUTBOUND_TRANSIENT },
		{ "auth needed 530", "MAIL", "530 5.7.0 authentication required\r\n", OUTBOUND_TRANSIENT },
	};
	size_t i, n;

	for (i = 0; i < nitems(cases); i++) {
		struct fake_step steps[12];
		struct fake_server fs;
		struct conf c;
		char err[256] = "";
		void *h;
		enum outbound_result r;

		n = 0;
		steps[n++] = (struct fake_step)GREET;
		steps[n++] = (struct fake_step)EHLO;
		steps[n++] = (struct fake_step){ "MAIL", "250 ok\r\n", 0 };
		steps[n++] = (struct fake_step){ "RCPT", "250 ok\r\n", 0 };
		steps[n++] = (struct fake_step){ "DATA", "354 go\r\n", 0 };
		steps[n++] = (struct fake_step){ "<DATA>", "250 queued\r\n", 0 };
		for (n = 2; n < 6; n++)
			if (strcmp(steps[n].expect, cases[i].at) == 0) {
				steps[n].reply = cases[i].reply;
				break;
			}
		steps[n + 1] = (struct fake_step){ NULL, NULL, 0 };
		fake_start(&fs, steps);
		conf_for(&c, fs.port);
		h = outbound_smtp_ops.open(&c, err, sizeof(err));
		assert_non_null(h);
		r = send_to(h, "iln@example.org", "alice@example.org", MSG, err, sizeof(err));
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d (%s)", cases[i].name, r, cases[i].want, err);
		outbound_smtp_ops.close(h);
		assert_int_equal(fake_end(&fs), 0);
	}
}

static void
test_silent_server_times_out(void **state)
{
	static const struct fake_step steps[] = {
		{ NULL, "<HANG>", 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	char err[256] = "";
	struct timespec t0, t1;
	void *h;

	fake_start(&fs, steps);
	conf_for(&c, fs.port);
	h = outbound_smtp_ops.open(&c, err, sizeof(err));
	assert_non_null(h);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(send_to(h, "iln@example.org", "alice@example.org", MSG, err, sizeof(err)),
	    OUTBOUND_TRANSIENT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 4);
	outbound_smtp_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
}

/* Hostile replies: not a reply at all, a line far over the limit, too many lines, and
 * a lone CR, escape sequences and invalid UTF-8 in a refusal's text, which reaches the
 * error (and the log) as printable ASCII only. */
static void
test_hostile_replies(void **state)
{
	static char huge[6000], many[8000];
	struct reply_case cases[] = {
		{ "not a reply", "MAIL", "hello there\r\n", OUTBOUND_TRANSIENT },
		{ "no code", "MAIL", "2\r\n", OUTBOUND_TRANSIENT },
		{ "huge line", "MAIL", huge, OUTBOUND_TRANSIENT },
		{ "too many lines", "MAIL", many, OUTBOUND_TRANSIENT },
		{ "junk in text", "<DATA>", "550 no \r \xff\xfe\xc3 \x1b[31m way\r\n",
		  OUTBOUND_PERMANENT },
	};

	memset(huge, 0, sizeof(huge));
	memcpy(huge, "250-", 4);
	memset(huge + 4, 'x', sizeof(huge) - 8);
	memcpy(huge + sizeof(huge) - 4, "\r\n", 2);
	memset(many, 0, sizeof(many));
	for (size_t n = 0; n + 8 < sizeof(many); n += 7)
		memcpy(many + n, "250-ok\n", 7);
	for (size_t i = 0; i < nitems(cases); i++) {
		struct fake_step steps[8];
		struct fake_server fs;
		struct conf c;
		char err[256] = "";
		void *h;
		size_t n = 0;
		enum outbound_result r;

		steps[n++] = (struct fake_step)GREET;
		steps[n++] = (struct fake_step)EHLO;
		steps[n++] = (struct fake_step){ "MAIL", "250 ok\r\n", 0 };
		steps[n++] = (struct fake_step){ "RCPT", "250 ok\r\n", 0 };
		steps[n++] = (struct fake_step){ "DATA", "354 go\r\n", 0 };
		steps[n++] = (struct fake_step){ "<DATA>", "250 queued\r\n", 0 };
		for (n = 2; n < 6; n++)
			if (strcmp(steps[n].expect, cases[i].at) == 0) {
				steps[n].reply = cases[i].reply;
				break;
			}
		steps[n + 1] = (struct fake_step){ NULL, NULL, 0 };
		fake_start(&fs, steps);
		conf_for(&c, fs.port);
		h = outbound_smtp_ops.open(&c, err, sizeof(err));
		assert_non_null(h);
		r = send_to(h, "iln@example.org", "alice@example.org", MSG, err, sizeof(err));
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d (%s)", cases[i].name, r, cases[i].want, err);
		for (const char *e = err; *e; e++)
			assert_true(*e >= ' ' && *e < 0x7f);
		outbound_smtp_ops.close(h);
		assert_int_equal(fake_end(&fs), 0);
	}
}

/* STARTTLS answered with a reply pipelined behind it (CVE-2021-22947's shape): the
 * session ends before any TLS, AUTH or MAIL; and a relay without STARTTLS gets nothing
 * in the clear. */
static void
test_starttls_injection(void **state)
{
	static const struct fake_step injected[] = {
		GREET,
		{ "EHLO example.org", "250-fake\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n", 0 },
		{ "STARTTLS", "220 2.0.0 go ahead\r\n250 2.1.0 injected\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	static const struct fake_step no_tls[] = {
		GREET,
		{ "EHLO example.org", "250-fake\r\n250 AUTH PLAIN\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	const struct fake_step *const scripts[] = { injected, no_tls };

	for (size_t i = 0; i < 2; i++) {
		struct fake_server fs;
		struct conf c;
		char err[256] = "";
		void *h;

		fake_start(&fs, scripts[i]);
		conf_for(&c, fs.port);
		c.smtp_tls = "starttls";
		h = outbound_smtp_ops.open(&c, err, sizeof(err));
		assert_non_null(h);
		assert_int_equal(send_to(h, "iln@example.org", "alice@example.org", MSG, err,
		    sizeof(err)), OUTBOUND_TRANSIENT);
		outbound_smtp_ops.close(h);
		assert_int_equal(fake_end(&fs), 0);     /* nothing after STARTTLS or EHLO */
	}
}

struct bad_case {
	const char *from;
	const char *to;
	const char *msg;
};

static void
test_refused_before_sending(void **state)
{
	static const struct bad_case cases[] = {
		{ "iln@example.org", "alice@example.org>\r\nRCPT TO:<evil@attacker.example", MSG },
		{ "iln@example.org", "alice@example.org\n", MSG },
		{ "iln@example.org", "alice@example.org\r", MSG },
		{ "iln@example.org\r\nRSET", "alice@example.org", MSG },
		{ "iln@example.org", "alice smith@example.org", MSG },
		{ "iln@example.org", "<alice@example.org>", MSG },
		{ "iln@example.org", "alice@@example.org", MSG },
		{ "iln@example.org", "alice", MSG },
		{ "iln@example.org", "", MSG },
		{ "iln@example.org", "al\xc3@example.org", MSG },            /* not UTF-8 */
		{ "iln@example.org", "al\xc2\x85@example.org", MSG },        /* a C1 control */
		{ "iln@example.org", "alice@exa\xc3\xa9mple.org", MSG },     /* a U-label */
		{ "iln@example.org", "alice@example.org", "Subject: x\n\nbare LF\r\n" },
		{ "iln@example.org", "alice@example.org", "Subject: x\r\n\r\nbare CR\r here\r\n" },
		{ "iln@example.org", "alice@example.org", "Subject: x\r\n\r\nno final CRLF" },
		{ "iln@example.org", "alice@example.org", "" },
	};
	struct fake_server fs;
	struct conf c;
	char err[256];
	void *h;
	size_t i;

	fake_start(&fs, NULL);          /* listens, never accepts */
	conf_for(&c, fs.port);
	h = outbound_smtp_ops.open(&c, err, sizeof(err));
	assert_non_null(h);
	for (i = 0; i < nitems(cases); i++) {
		err[0] = '\0';
		if (send_to(h, cases[i].from, cases[i].to, cases[i].msg, err, sizeof(err)) !=
		    OUTBOUND_PERMANENT)
			fail_msg("case %zu was not refused", i);
		assert_true(err[0] != '\0');
	}
	/* a NUL inside the message */
	{
		const char *rcpts[1] = { "alice@example.org" };
		static const char nul[] = "Subject: x\r\n\r\na\0b\r\n";

		assert_int_equal(outbound_smtp_ops.send(h, "", rcpts, 1, nul, sizeof(nul) - 1,
		    err, sizeof(err)), OUTBOUND_PERMANENT);
		assert_int_equal(outbound_smtp_ops.send(h, "", rcpts, 0, MSG, strlen(MSG),
		    err, sizeof(err)), OUTBOUND_PERMANENT);
	}
	outbound_smtp_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);     /* nobody connected */
}

static void
test_smtputf8(void **state)
{
	static const struct fake_step offered[] = {
		GREET,
		{ "EHLO example.org", "250-fake\r\n250-SMTPUTF8\r\n250 8BITMIME\r\n", 0 },
		/* an ASCII envelope: no parameter */
		{ "MAIL FROM:<iln@example.org>\r", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		{ "MAIL FROM:<iln@example.org> SMTPUTF8", "250 ok\r\n", 0 },
		{ "RCPT TO:<j\xc3\xb6rg@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		{ "QUIT", "221 bye\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	static const struct fake_step not_offered[] = {
		GREET, EHLO,
		/* nothing of the UTF-8 message: straight to the ASCII one */
		{ "MAIL FROM:<iln@example.org>", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		{ "QUIT", "221 bye\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	char err[256] = "";
	void *h;

	fake_start(&fs, offered);
	conf_for(&c, fs.port);
	h = outbound_smtp_ops.open(&c, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(outbound_smtp_ops.smtputf8(h, err, sizeof(err)), 1);
	assert_int_equal(send_to(h, "iln@example.org", "alice@example.org", MSG, err, sizeof(err)),
	    OUTBOUND_SENT);
	assert_int_equal(send_to(h, "iln@example.org", "j\xc3\xb6rg@example.org", MSG, err,
	    sizeof(err)), OUTBOUND_SENT);
	outbound_smtp_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);

	fake_start(&fs, not_offered);
	conf_for(&c, fs.port);
	h = outbound_smtp_ops.open(&c, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(outbound_smtp_ops.smtputf8(h, err, sizeof(err)), 0);
	assert_int_equal(send_to(h, "iln@example.org", "j\xc3\xb6rg@example.org", MSG, err,
	    sizeof(err)), OUTBOUND_PERMANENT);
	assert_non_null(strstr(err, "SMTPUTF8"));
	assert_int_equal(send_to(h, "iln@example.org", "alice@example.org", MSG, err, sizeof(err)),
	    OUTBOUND_SENT);
	outbound_smtp_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
}

static void
test_open_refusals(void **state)
{
	struct conf c;
	char err[256], path[] = "/tmp/ilnbot-test-secret-XXXXXX";
	void *h;
	int fd;

	conf_for(&c, 2525);
	c.smtp_host = "192.0.2.1";
	h = outbound_smtp_ops.open(&c, err, sizeof(err));
	assert_null(h);
	assert_non_null(strstr(err, "loopback"));

	conf_for(&c, 2525);
	c.smtp_tls = "maybe";
	assert_null(outbound_smtp_ops.open(&c, err, sizeof(err)));

	conf_for(&c, 2525);
	c.smtp_host = "host/evil?x";
	assert_null(outbound_smtp_ops.open(&c, err, sizeof(err)));

	/* a world-readable password file */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "pw\n", 3), 3);
	close(fd);
	chmod(path, 0644);
	conf_for(&c, 2525);
	c.smtp_user = "iln@example.org";
	c.smtp_password_file = path;
	assert_null(outbound_smtp_ops.open(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "readable"));
	chmod(path, 0600);
	h = outbound_smtp_ops.open(&c, err, sizeof(err));
	assert_non_null(h);
	outbound_smtp_ops.close(h);
	unlink(path);
}

struct secret_case {
	const char *name;
	const char *content;
	size_t len;
	int mode;
	int want_rc;
	const char *want;
};

static void
test_secret_file_read(void **state)
{
	static const struct secret_case cases[] = {
		{ "plain", "s3cret", 6, 0600, 0, "s3cret" },
		{ "LF", "s3cret\n", 7, 0600, 0, "s3cret" },
		{ "CRLF", "s3cret\r\n", 8, 0400, 0, "s3cret" },
		{ "group-readable", "s3cret\n", 7, 0640, -1, NULL },
		{ "world-readable", "s3cret\n", 7, 0604, -1, NULL },
		{ "empty", "\n", 1, 0600, -1, NULL },
		{ "two lines", "a\nb\n", 4, 0600, -1, NULL },
		{ "NUL", "a\0b", 3, 0600, -1, NULL },
	};
	char path[] = "/tmp/ilnbot-test-secret-XXXXXX", err[256], *out;
	size_t i;
	int fd;

	for (i = 0; i < nitems(cases); i++) {
		strcpy(path, "/tmp/ilnbot-test-secret-XXXXXX");
		fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, cases[i].content, cases[i].len), (ssize_t)cases[i].len);
		close(fd);
		chmod(path, cases[i].mode);
		out = NULL;
		if (secret_file_read(path, &out, err, sizeof(err)) != cases[i].want_rc)
			fail_msg("%s: wrong result (%s)", cases[i].name, err);
		if (cases[i].want)
			assert_string_equal(out, cases[i].want);
		else
			assert_null(out);
		secret_free(out);
		unlink(path);
	}
	assert_int_equal(secret_file_read("/nonexistent/x", &out, err, sizeof(err)), -1);
}

/* outbound_open looks the transport up by its ops->name; an unknown one is refused. */
static void
test_transport_by_name(void **state)
{
	struct outbound out;
	struct conf c;
	char err[256] = "";

	conf_for(&c, 2525);
	c.out_transport = "smtp";
	assert_int_equal(outbound_open(&out, &c, err, sizeof(err)), 0);
	assert_ptr_equal(out.ops, &outbound_smtp_ops);
	outbound_close(&out);
	c.out_transport = "pigeon";
	assert_int_equal(outbound_open(&out, &c, err, sizeof(err)), -1);
	assert_null(out.ops);
	assert_null(out.h);
	assert_string_equal(err, "unknown outbound transport \"pigeon\" (known: maildir, smtp)");
	outbound_close(&out);
}

/* smtp_auth = oauth2: curl's AUTH OAUTHBEARER when offered, else XOAUTH2, with tokens
 * from a fake endpoint; a 535 makes the next connection ask for a new token. */
static void
test_oauth2(void **state)
{
	static const struct fake_step bearer[] = {
		GREET,
		{ "EHLO example.org", "250-fake\r\n250-AUTH PLAIN CRAM-MD5 XOAUTH2 OAUTHBEARER\r\n"
		  "250 8BITMIME\r\n", 0 },
		{ "AUTH OAUTHBEARER", "334 \r\n", 0 },
		{ "bixhPWlsbkBleGFtcGxlLm9yZywB", "235 2.7.0 ok\r\n", 0 },
		{ "MAIL FROM:<iln@example.org>", "250 ok\r\n", 0 },
		{ "RCPT TO:<alice@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		{ "QUIT", "221 bye\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	static const struct fake_step refused[] = {
		GREET,
		{ "EHLO example.org", "250-fake\r\n250 AUTH PLAIN XOAUTH2\r\n", 0 },
		{ "AUTH XOAUTH2", "334 \r\n", 0 },
		{ "dXNlcj1pbG5AZXhhbXBsZS5vcmcBYXV0aD1CZWFyZXIgYXQtMQEB",
		  "535 5.7.8 token expired\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	static const struct fake_step xoauth2[] = {
		GREET,
		{ "EHLO example.org", "250-fake\r\n250 AUTH PLAIN XOAUTH2\r\n", 0 },
		{ "AUTH XOAUTH2", "334 \r\n", 0 },
		{ "dXNlcj1pbG5AZXhhbXBsZS5vcmcBYXV0aD1CZWFyZXIgYXQtMgEB", "235 2.7.0 ok\r\n", 0 },
		{ "MAIL FROM:<>", "250 ok\r\n", 0 },
		{ "RCPT TO:<bob@example.org>", "250 ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ "<DATA>", "250 queued\r\n", 0 },
		{ "QUIT", "221 bye\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	char *answers[] = {
		fake_http_response(200, "{\"access_token\":\"at-1\",\"expires_in\":3600}"),
		fake_http_response(200, "{\"access_token\":\"at-2\",\"expires_in\":3600}"),
		NULL,
	};
	char rt[] = "/tmp/ilnbot-test-rt-XXXXXX", url[64], err[256] = "";
	struct fake_server fs;
	struct fake_http fh;
	struct conf c;
	void *h;
	int fd = mkstemp(rt);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "rt\n", 3), 3);
	close(fd);
	oauth2_cleanup();
	fake_http_start(&fh, answers, "/dev/null");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/token", fh.port);
	for (int phase = 0; phase < 3; phase++) {
		fake_start(&fs, phase == 0 ? bearer : phase == 1 ? refused : xoauth2);
		conf_for(&c, fs.port);
		c.path = "test.conf";
		c.smtp_user = "iln@example.org";
		c.smtp_auth = "oauth2";
		c.oauth2_token_url = url;
		c.oauth2_client_id = "cid";
		c.oauth2_client_secret_file = "";
		c.oauth2_refresh_token_file = rt;
		c.oauth2_scope = "";
		h = outbound_smtp_ops.open(&c, err, sizeof(err));
		assert_non_null(h);
		assert_int_equal(send_to(h, phase == 0 ? "iln@example.org" : "",
					 phase == 0 ? "alice@example.org" : "bob@example.org", MSG, err,
					 sizeof(err)), phase == 1 ? OUTBOUND_TRANSIENT : OUTBOUND_SENT);
		assert_null(strstr(err, "at-1"));
		outbound_smtp_ops.close(h);
		assert_int_equal(fake_end(&fs), 0);
	}
	assert_int_equal(fake_http_end(&fh), 0);
	oauth2_cleanup();
	unlink(rt);
	free(answers[0]);
	free(answers[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_send_and_reuse),
		cmocka_unit_test(test_reply_classes),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_silent_server_times_out),
		cmocka_unit_test(test_starttls_injection),
		cmocka_unit_test(test_hostile_replies),
		cmocka_unit_test(test_refused_before_sending),
		cmocka_unit_test(test_smtputf8),
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_transport_by_name),
		cmocka_unit_test(test_secret_file_read),
		cmocka_unit_test(test_oauth2),
	};

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
