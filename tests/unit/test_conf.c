/* test_conf.c: the configuration file: defaults, the keys outside tests rely on,
 * relative paths, and every error naming file:line; conf_validate's count of what
 * would fail at start, and conf_where naming a key's line or its default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

static char path[64];

static int
conf_write(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/ilnbot-conf-%d.conf", (int)getpid());
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return 0;
}

static void
test_minimal(void **state)
{
	struct conf c;
	char err[512];

	assert_int_equal(conf_write(
		"[network]\nname = Example Librarians Network\naddress = iln@example.org\n"
		"coordinators = coord@example.org, Other@Example.org\ntrusted_authserv_id = mx.example.org\n"
		"default_language = English\n[store]\npath = var/ilnbot.db\n[inbound]\n"
		"transport = maildir\nmaildir = var/inbox\n[outbound]\ntransport = maildir\n"
		"maildir = var/outbox\n[program]\ntemplates = ../templates        ; the folder\n"
		"token_days = 7\nreplies_per_sender_per_day = 10\n"), 0);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_string_equal(c.address, "iln@example.org");
	assert_string_equal(c.store_path, "/tmp/var/ilnbot.db");
	assert_string_equal(c.templates, "/tmp/../templates");
	assert_int_equal(c.token_days, 7);
	assert_int_equal(c.round_months, 4);
	assert_int_equal(c.prune_k, 50);
	assert_true(conf_is_coordinator(&c, "coord@example.org"));
	assert_true(conf_is_coordinator(&c, "other@example.org"));
	assert_false(conf_is_coordinator(&c, "coord@example.or"));
	assert_false(conf_is_coordinator(&c, "ana@example.org"));
	conf_free(&c);
	unlink(path);
}

static void
test_errors(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "[network]\nname = x\nbogus = 1\n", ":3: unknown key bogus in [network]" },
		{ "[program]\ntoken_days = seven\n", ":2: bad value for token_days" },
		{ "[program]\n\ntoken_days = 0\n", ":3: bad value for token_days" },
		{ "[inbound]\ntransport = pigeon\n", ":2: bad value for transport" },
		{ "[network]\naddress = a b@x\n", ":2: bad value for address" },
		{ "stray = 1\n", ":1: key stray outside any [section]" },
		{ "[network]\nthis line has no equals\n", ":2: not a key = value line" },
		{ "[inbound]\ntransport = imap\n", "transport = imap needs imap_user" },
	};

	for (size_t i = 0; i < nitems(cases); i++) {
		struct conf c;
		char err[512] = "";

		assert_int_equal(conf_write(cases[i].text), 0);
		assert_int_equal(conf_load(path, &c, err, sizeof(err)), -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
		conf_free(&c);
	}
	unlink(path);
}

#define OK_PASS "/tmp/ilnbot-conf-ok.pass"
#define IMAP_OAUTH2 "[inbound]\ntransport = imap\nimap_user = bot\nimap_auth = oauth2\n"
#define OAUTH2(url, rt) "[oauth2]\noauth2_token_url = " url "\noauth2_client_id = c\n" \
			"oauth2_refresh_token_file = " rt "\n"

static void
test_validate(void **state)
{
	static const struct { const char *text; int errors, warnings; } cases[] = {
		{ "[network]\ncoordinators = c@example.org\ntrusted_authserv_id = mx\n", 0, 0 },
		{ "[network]\n", 0, 2 },
		/* a user without a password file, and the reverse */
		{ "[inbound]\ntransport = imap\nimap_user = bot\n", 1, 2 },
		{ "[outbound]\ntransport = smtp\nsmtp_password_file = /nonexistent\n", 1, 2 },
		/* the password file missing; readable by others (made below) */
		{ "[outbound]\ntransport = smtp\nsmtp_user = u\nsmtp_password_file = /nonexistent\n",
		  1, 2 },
		{ "[outbound]\ntransport = smtp\nsmtp_user = u\nsmtp_password_file = "
		  "/tmp/ilnbot-conf-open.pass\n", 1, 2 },
		/* plaintext to a host that is not loopback; to loopback */
		{ "[outbound]\ntransport = smtp\nsmtp_tls = none\nsmtp_host = 192.0.2.1\n", 1, 2 },
		{ "[outbound]\ntransport = smtp\nsmtp_tls = none\nsmtp_host = 127.0.0.1\n", 0, 2 },
		/* the transport not used: its settings are not checked */
		{ "[outbound]\nsmtp_tls = none\nsmtp_host = 192.0.2.1\n", 0, 2 },
		/* the store's folder under a regular file */
		{ "[store]\npath = /tmp/ilnbot-conf-open.pass/x/ilnbot.db\n", 1, 2 },
		/* imap_auth = oauth2: the [oauth2] keys */
		{ IMAP_OAUTH2 OAUTH2("https://login.example/token", OK_PASS), 0, 2 },
		{ IMAP_OAUTH2 OAUTH2("https://login.example/token", OK_PASS)
		  "oauth2_client_secret_file = " OK_PASS "\noauth2_scope = a b\n", 0, 2 },
		{ IMAP_OAUTH2 "imap_password_file = " OK_PASS "\n"
		  OAUTH2("https://login.example/token", OK_PASS), 0, 3 },
		{ IMAP_OAUTH2, 3, 2 },
		{ IMAP_OAUTH2 OAUTH2("http://login.example/token", OK_PASS), 1, 2 },
		{ IMAP_OAUTH2 OAUTH2("http://127.0.0.1:8080/token", OK_PASS), 0, 2 },
		{ IMAP_OAUTH2 OAUTH2("login.example/token", OK_PASS), 1, 2 },
		{ IMAP_OAUTH2 OAUTH2("https://login.example/token", OK_PASS)
		  "oauth2_client_secret_file = /tmp/ilnbot-conf-open.pass\n", 1, 2 },
		{ IMAP_OAUTH2 OAUTH2("https://login.example/token", "/nonexistent"), 1, 2 },
		{ IMAP_OAUTH2 OAUTH2("https://login.example/token", "/tmp/ilnbot-conf-open.pass"),
		  1, 2 },
		/* smtp_auth = oauth2: the user is needed; both with different users: a warning */
		{ "[outbound]\ntransport = smtp\nsmtp_auth = oauth2\n"
		  OAUTH2("https://login.example/token", OK_PASS), 1, 2 },
		{ IMAP_OAUTH2 "[outbound]\ntransport = smtp\nsmtp_auth = oauth2\nsmtp_user = other\n"
		  OAUTH2("https://login.example/token", OK_PASS), 0, 3 },
		/* not used: not checked */
		{ "[inbound]\nimap_auth = oauth2\n", 0, 2 },
	};
	FILE *f = fopen("/tmp/ilnbot-conf-open.pass", "w");

	assert_non_null(f);
	fputs("secret\n", f);
	fclose(f);
	chmod("/tmp/ilnbot-conf-open.pass", 0644);
	assert_non_null(f = fopen(OK_PASS, "w"));
	fputs("secret\n", f);
	fclose(f);
	chmod(OK_PASS, 0600);
	for (size_t i = 0; i < nitems(cases); i++) {
		struct conf c;
		char err[512] = "";
		int warnings = -1, errors;

		assert_int_equal(conf_write(cases[i].text), 0);
		assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
		errors = conf_validate(&c, &warnings);
		if (errors != cases[i].errors || warnings != cases[i].warnings)
			fail_msg("case %zu: %d errors, %d warnings; want %d, %d", i, errors, warnings,
				 cases[i].errors, cases[i].warnings);
		conf_free(&c);
	}
	unlink("/tmp/ilnbot-conf-open.pass");
	unlink(OK_PASS);
	unlink(path);
}

static void
test_where(void **state)
{
	struct conf c;
	char err[512], where[256];

	assert_int_equal(conf_write("[network]\n\naddress = a@example.org\n"), 0);
	assert_int_equal(conf_load(path, &c, err, sizeof(err)), 0);
	assert_non_null(strstr(conf_where(&c, "network", "address", where, sizeof(where)),
			       ".conf:3: [network] address"));
	assert_non_null(strstr(conf_where(&c, "store", "path", where, sizeof(where)),
			       ".conf: [store] path (the default)"));
	conf_free(&c);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_where),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
