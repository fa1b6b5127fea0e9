/* test_imap.c: inbound_imap_ops against scripted fake IMAP servers on 127.0.0.1
 * (imap_tls = none is allowed there): a full session with UID gaps, unordered SEARCH
 * results, unsolicited FETCH responses, a UIDVALIDITY change, an oversized message, MOVE
 * and the UIDPLUS fallback; IDLE woken by buffered bytes and by the stop flag; STARTTLS
 * with an injected response; a server that never answers; imap_auth = oauth2:
 * OAUTHBEARER with SASL-IR, without it and refused (the ^A answer, the token forgotten),
 * XOAUTH2 when only that is offered, with tokens from a fake token endpoint
 * (fake_http.h). store_state_* are faked here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "inbound.h"
#include "oauth2.h"
#include "store.h"
#include "util.h"
#include "fake_server.h"
#include "fake_http.h"

#define FAKE_KEYS 8
static char *fake_key[FAKE_KEYS], *fake_val[FAKE_KEYS];

int
store_state_get(struct store *st, const char *key, char **val)
{
	int i;

	*val = NULL;
	for (i = 0; i < FAKE_KEYS; i++)
		if (fake_key[i] && strcmp(fake_key[i], key) == 0)
			*val = xstrdup(fake_val[i]);
	return 0;
}

int
store_state_set(struct store *st, const char *key, const char *val)
{
	int i;

	for (i = 0; i < FAKE_KEYS; i++)
		if (fake_key[i] && strcmp(fake_key[i], key) == 0) {
			free(fake_val[i]);
			fake_val[i] = xstrdup(val);
			return 0;
		}
	for (i = 0; i < FAKE_KEYS; i++)
		if (fake_key[i] == NULL) {
			fake_key[i] = xstrdup(key);
			fake_val[i] = xstrdup(val);
			return 0;
		}
	return -1;
}

static const char *
fake_state(const char *key)
{
	int i;

	for (i = 0; i < FAKE_KEYS; i++)
		if (fake_key[i] && strcmp(fake_key[i], key) == 0)
			return fake_val[i];
	return NULL;
}

/* Not inbound_item_clear(): that lives in the lead's inbound.c. */
static void
item_free(struct inbound_item *it)
{
	free(it->id);
	free(it->raw);
	memset(it, 0, sizeof(*it));
}

static char pwfile[64];

static int
setup(void **state)
{
	int fd;

	strcpy(pwfile, "/tmp/ilnbot-test-pw-XXXXXX");
	fd = mkstemp(pwfile);
	if (fd < 0 || write(fd, "pw\n", 3) != 3)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	int i;

	unlink(pwfile);
	for (i = 0; i < FAKE_KEYS; i++) {
		free(fake_key[i]);
		free(fake_val[i]);
		fake_key[i] = fake_val[i] = NULL;
	}
	return 0;
}

static void
conf_for(struct conf *c, int port, const char *tls)
{
	memset(c, 0, sizeof(*c));
	c->imap_host = "127.0.0.1";
	c->imap_port = port;
	c->imap_tls = (char *)tls;
	c->imap_user = "bot@example.org";
	c->imap_password_file = pwfile;
	c->imap_mailbox = "INBOX";
	c->imap_done_mailbox = "Processed";
	c->imap_rejects_mailbox = "Rejected";
	c->imap_timeout_seconds = 2;
	c->imap_batch = 50;
}

#define GREET(caps) { NULL, "* OK [CAPABILITY IMAP4rev1 " caps "] fake ready\r\n", 0 }
#define CAPS(caps)  { "CAPABILITY", "* CAPABILITY IMAP4rev1 " caps "\r\n%T OK done\r\n", 0 }
#define LOGIN       { "LOGIN", "%T OK logged in\r\n", 0 }
#define LISTS       { "LIST  Processed", "* LIST () \"/\" Processed\r\n%T OK done\r\n", 0 }, \
		    { "LIST  Rejected", "%T OK done\r\n", 0 }, \
		    { "CREATE Rejected", "%T NO [ALREADYEXISTS] exists\r\n", 0 }, \
		    { "LIST  Rejected", "* LIST () \"/\" Rejected\r\n%T OK done\r\n", 0 }
#define SELECT(v)   { "SELECT INBOX", "* 3 EXISTS\r\n* OK [UIDVALIDITY " v "] ok\r\n" \
		      "* OK [UIDNEXT 50] ok\r\n%T OK [READ-WRITE] selected\r\n", 0 }

#define M5  "Subject: five\r\n\r\nbody 5\r\n"
#define M12 "Subject: twelve\r\n\r\nbody 12\r\n"
#define M40 "Subject: forty\r\n\r\nbody 40\r\n"

static void
test_session(void **state)
{
	static const struct fake_step steps[] = {
		GREET("STARTTLS LOGINDISABLED"),
		CAPS("IDLE UIDPLUS"),
		LOGIN,
		CAPS("IDLE UIDPLUS MOVE"),
		LISTS,
		SELECT("7"),
		/* stored UIDVALIDITY was 6: start over from UID 1 */
		{ "UID SEARCH UID 1:*", "* SEARCH 40 5 12 12\r\n%T OK done\r\n", 0 },
		{ "RFC822.SIZE", "* 2 FETCH (UID 12 RFC822.SIZE 28)\r\n"
		  "* 1 FETCH (FLAGS (\\Seen))\r\n"
		  "* 1 FETCH (UID 5 RFC822.SIZE 25)\r\n"
		  "* 3 FETCH (UID 40 RFC822.SIZE 27)\r\n%T OK done\r\n", 0 },
		{ "BODY.PEEK[]", "* 1 FETCH (UID 5 BODY[] {25}\r\n" M5 ")\r\n"
		  "* 9 FETCH (UID 99 BODY[] {3}\r\nxyz)\r\n"
		  "* 3 FETCH (UID 40 BODY[] {27}\r\n" M40 ")\r\n"
		  "* 2 FETCH (UID 12 FLAGS (\\Seen) BODY[] {28}\r\n" M12 ")\r\n%T OK done\r\n", 0 },
		{ "UID STORE 5 +FLAGS.SILENT (\\Seen)", "%T OK done\r\n", 0 },
		{ "UID MOVE 5 Processed", "* 1 EXPUNGE\r\n%T OK moved\r\n", 0 },
		{ "UID STORE 12 +FLAGS.SILENT (\\Seen)", "%T OK done\r\n", 0 },
		{ "UID MOVE 12 Rejected", "* 1 EXPUNGE\r\n%T OK moved\r\n", 0 },
		{ "UID SEARCH UID 41:*", "* SEARCH 40\r\n%T OK done\r\n", 0 },
		{ "LOGOUT", "* BYE\r\n%T OK done\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	struct inbound_item it;
	char err[256] = "";
	void *h;

	store_state_set(NULL, "imap.uidvalidity", "6");
	store_state_set(NULL, "imap.last_uid", "99");
	fake_start(&fs, steps);
	conf_for(&c, fs.port, "none");
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	if (h == NULL)
		fail_msg("open: %s", err);
	assert_string_equal(fake_state("imap.uidvalidity"), "7");
	assert_string_equal(fake_state("imap.last_uid"), "0");

	if (inbound_imap_ops.next(h, &it, err, sizeof(err)) != 1)
		fail_msg("next: %s", err);
	assert_string_equal(it.id, "7/5");
	assert_int_equal(it.len, strlen(M5));
	assert_memory_equal(it.raw, M5, it.len);
	assert_false(it.too_big);
	assert_int_equal(inbound_imap_ops.done(h, &it, false, err, sizeof(err)), 0);
	assert_string_equal(fake_state("imap.last_uid"), "5");
	item_free(&it);

	assert_int_equal(inbound_imap_ops.next(h, &it, err, sizeof(err)), 1);
	assert_string_equal(it.id, "7/12");
	assert_memory_equal(it.raw, M12, it.len);
	assert_int_equal(inbound_imap_ops.done(h, &it, true, err, sizeof(err)), 0);
	assert_string_equal(fake_state("imap.last_uid"), "12");
	item_free(&it);

	assert_int_equal(inbound_imap_ops.next(h, &it, err, sizeof(err)), 1);
	assert_string_equal(it.id, "7/40");
	assert_memory_equal(it.raw, M40, it.len);
	item_free(&it);        /* not done: the caller failed on it */

	/* "41:*" matches 40 again: nothing new */
	assert_int_equal(inbound_imap_ops.next(h, &it, err, sizeof(err)), 0);
	inbound_imap_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
	assert_string_equal(fake_state("imap.last_uid"), "12");
}

static void
test_too_big_and_copy_fallback(void **state)
{
	static const struct fake_step steps[] = {
		GREET("AUTH=PLAIN"),
		CAPS(""),
		LOGIN,
		CAPS("UIDPLUS"),
		LISTS,
		SELECT("7"),
		{ "UID SEARCH UID 13:*", "* SEARCH 14 15\r\n%T OK done\r\n", 0 },
		{ "RFC822.SIZE", "* 1 FETCH (UID 14 RFC822.SIZE 20000000)\r\n%T OK done\r\n", 0 },
		/* 15 vanished between SEARCH and FETCH */
		{ "BODY.PEEK[]<0.65536>", "* 1 FETCH (UID 14 BODY[]<0> {7}\r\nSubject)\r\n%T OK done\r\n", 0 },
		{ "UID STORE 14 +FLAGS.SILENT (\\Seen)", "%T OK done\r\n", 0 },
		{ "UID COPY 14 Rejected", "%T OK copied\r\n", 0 },
		{ "UID STORE 14 +FLAGS.SILENT (\\Deleted)", "%T OK done\r\n", 0 },
		{ "UID EXPUNGE 14", "* 1 EXPUNGE\r\n%T OK done\r\n", 0 },
		{ "UID SEARCH UID 16:*", "%T OK done\r\n", 0 },
		{ "LOGOUT", "* BYE\r\n%T OK done\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	struct inbound_item it;
	char err[256] = "";
	void *h;

	store_state_set(NULL, "imap.uidvalidity", "7");
	store_state_set(NULL, "imap.last_uid", "12");
	fake_start(&fs, steps);
	conf_for(&c, fs.port, "none");
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	if (h == NULL)
		fail_msg("open: %s", err);
	assert_int_equal(inbound_imap_ops.next(h, &it, err, sizeof(err)), 1);
	assert_string_equal(it.id, "7/14");
	assert_true(it.too_big);
	assert_int_equal(it.len, 7);
	assert_int_equal(inbound_imap_ops.done(h, &it, true, err, sizeof(err)), 0);
	item_free(&it);
	assert_int_equal(inbound_imap_ops.next(h, &it, err, sizeof(err)), 0);
	assert_string_equal(fake_state("imap.last_uid"), "14");
	inbound_imap_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
}

static volatile int stop_flag;

static void
on_alarm(int sig)
{
	stop_flag = 1;
}

static void
test_idle(void **state)
{
	static const struct fake_step steps[] = {
		GREET(""),
		CAPS("IDLE"),
		LOGIN,
		CAPS("IDLE"),
		LISTS,
		SELECT("7"),
		/* EXISTS in the same packet as the continuation: buffered by libetpan */
		{ "IDLE", "+ idling\r\n* 4 EXISTS\r\n", 0 },
		{ "DONE", "%T OK idle done\r\n", 0 },
		{ "IDLE", "+ idling\r\n", 0 },
		{ "DONE", "%T OK idle done\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	char err[256] = "";
	struct timespec t0, t1;
	struct itimerval iv = { { 0, 0 }, { 0, 300000 } };
	void *h;

	fake_start(&fs, steps);
	conf_for(&c, fs.port, "none");
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	if (h == NULL)
		fail_msg("open: %s", err);
	stop_flag = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(inbound_imap_ops.wait(h, 5000, &stop_flag), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 1);

	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &iv, NULL);
	assert_int_equal(inbound_imap_ops.wait(h, 20000, &stop_flag), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_true(t0.tv_sec - t1.tv_sec < 2);
	assert_true(stop_flag);
	inbound_imap_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
}

static void
test_starttls_injection(void **state)
{
	static const struct fake_step steps[] = {
		GREET("STARTTLS LOGINDISABLED"),
		{ "STARTTLS", "%T OK Begin TLS negotiation now\r\n"
		  "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	char err[256] = "";
	void *h;

	fake_start(&fs, steps);
	conf_for(&c, fs.port, "starttls");
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	assert_null(h);
	assert_non_null(strstr(err, "STARTTLS"));
	assert_int_equal(fake_end(&fs), 0);    /* hung up: no LOGIN, no plaintext */
}

static void
test_starttls_refused(void **state)
{
	static const struct fake_step steps[] = {
		GREET(""),
		{ "STARTTLS", "%T BAD no TLS here\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	char err[256] = "";

	fake_start(&fs, steps);
	conf_for(&c, fs.port, "starttls");
	assert_null(inbound_imap_ops.open(&c, NULL, err, sizeof(err)));
	assert_int_equal(fake_end(&fs), 0);
}

static void
test_silent_server(void **state)
{
	static const struct fake_step steps[] = {
		{ NULL, "<HANG>", 0 },
		{ NULL, NULL, 0 },
	};
	struct fake_server fs;
	struct conf c;
	char err[256] = "";
	struct timespec t0, t1;

	fake_start(&fs, steps);
	conf_for(&c, fs.port, "none");
	c.imap_timeout_seconds = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_null(inbound_imap_ops.open(&c, NULL, err, sizeof(err)));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 4);
	assert_int_equal(fake_end(&fs), 0);
}

static void
test_open_refusals(void **state)
{
	struct conf c;
	char err[256] = "";

	conf_for(&c, 143, "none");
	c.imap_host = "192.0.2.1";
	assert_null(inbound_imap_ops.open(&c, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "loopback"));
	conf_for(&c, 143, "sometimes");
	assert_null(inbound_imap_ops.open(&c, NULL, err, sizeof(err)));
	conf_for(&c, 143, "none");
	c.imap_done_mailbox = "Done\r\nA LOGOUT";
	assert_null(inbound_imap_ops.open(&c, NULL, err, sizeof(err)));
	conf_for(&c, 143, "none");
	chmod(pwfile, 0644);
	assert_null(inbound_imap_ops.open(&c, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "readable"));
	chmod(pwfile, 0600);
}

static char token_url[64];

/* oauth2_conf: imap_auth = oauth2 against the fake token endpoint on http_port. */
static void
oauth2_conf(struct conf *c, int port, int http_port)
{
	conf_for(c, port, "none");
	c->path = "test.conf";
	c->imap_auth = "oauth2";
	c->imap_password_file = "";
	snprintf(token_url, sizeof(token_url), "http://127.0.0.1:%d/token", http_port);
	c->oauth2_token_url = token_url;
	c->oauth2_client_id = "cid";
	c->oauth2_client_secret_file = "";
	c->oauth2_refresh_token_file = pwfile;
	c->oauth2_scope = "";
}

#define OAUTHBEARER_START "bixhPWJvdEBleGFtcGxlLm9yZywB"  /* "n,a=bot@example.org,^A" */

static void
test_oauthbearer(void **state)
{
	static const struct fake_step steps[] = {
		GREET("SASL-IR AUTH=PLAIN AUTH=OAUTHBEARER AUTH=XOAUTH2"),
		CAPS("SASL-IR AUTH=PLAIN AUTH=OAUTHBEARER AUTH=XOAUTH2"),
		{ "ilnauth AUTHENTICATE OAUTHBEARER " OAUTHBEARER_START,
		  "* CAPABILITY IMAP4rev1 IDLE\r\nilnauth OK [CAPABILITY IMAP4rev1 IDLE] in\r\n", 0 },
		CAPS("IDLE UIDPLUS MOVE"),
		LISTS,
		SELECT("7"),
		{ "LOGOUT", "* BYE\r\n%T OK done\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	char *answers[] = {
		fake_http_response(200, "{\"access_token\":\"at-A\",\"expires_in\":3600}"), NULL,
	};
	struct fake_server fs;
	struct fake_http fh;
	struct conf c;
	char err[256] = "";
	void *h;

	oauth2_cleanup();
	fake_http_start(&fh, answers, "/dev/null");
	fake_start(&fs, steps);
	oauth2_conf(&c, fs.port, fh.port);
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	if (h == NULL)
		fail_msg("open: %s", err);
	inbound_imap_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
	assert_int_equal(fake_http_end(&fh), 0);
	oauth2_cleanup();
	free(answers[0]);
}

static void
test_oauthbearer_refused_then_xoauth2(void **state)
{
	static const struct fake_step refused[] = {
		GREET("AUTH=OAUTHBEARER"),
		CAPS("AUTH=OAUTHBEARER"),
		{ "ilnauth AUTHENTICATE OAUTHBEARER", "+ \r\n", 0 },
		{ OAUTHBEARER_START, "+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=\r\n", 0 },
		{ "AQ==", "ilnauth NO [AUTHENTICATIONFAILED] token expired\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	static const struct fake_step xoauth2[] = {
		GREET("SASL-IR AUTH=XOAUTH2"),
		CAPS("SASL-IR AUTH=XOAUTH2"),
		/* the new token, at-C: the refused one was forgotten */
		{ "AUTHENTICATE XOAUTH2 dXNlcj1ib3RAZXhhbXBsZS5vcmcBYXV0aD1CZWFyZXIgYXQtQwEB",
		  "%T OK in\r\n", 0 },
		CAPS("IDLE UIDPLUS MOVE"),
		LISTS,
		SELECT("7"),
		{ "LOGOUT", "* BYE\r\n%T OK done\r\n", 0 },
		{ "<EOF>", NULL, 0 },
		{ NULL, NULL, 0 },
	};
	char *answers[] = {
		fake_http_response(200, "{\"access_token\":\"at-B\",\"expires_in\":3600}"),
		fake_http_response(200, "{\"access_token\":\"at-C\",\"expires_in\":3600}"),
		NULL,
	};
	struct fake_server fs;
	struct fake_http fh;
	struct conf c;
	char err[256] = "";
	void *h;

	oauth2_cleanup();
	fake_http_start(&fh, answers, "/dev/null");
	fake_start(&fs, refused);
	oauth2_conf(&c, fs.port, fh.port);
	assert_null(inbound_imap_ops.open(&c, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "OAUTHBEARER refused"));
	assert_null(strstr(err, "at-B"));
	assert_int_equal(fake_end(&fs), 0);
	fake_start(&fs, xoauth2);
	oauth2_conf(&c, fs.port, fh.port);
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	if (h == NULL)
		fail_msg("open: %s", err);
	inbound_imap_ops.close(h);
	assert_int_equal(fake_end(&fs), 0);
	assert_int_equal(fake_http_end(&fh), 0);
	/* a server with neither mechanism: nothing is asked of the endpoint */
	{
		static const struct fake_step neither[] = {
			GREET("AUTH=PLAIN"), CAPS("AUTH=PLAIN"), { NULL, NULL, 0 },
		};

		fake_start(&fs, neither);
		oauth2_conf(&c, fs.port, fh.port);
		assert_null(inbound_imap_ops.open(&c, NULL, err, sizeof(err)));
		assert_non_null(strstr(err, "neither"));
		assert_int_equal(fake_end(&fs), 0);
	}
	oauth2_cleanup();
	free(answers[0]);
	free(answers[1]);
}

/* inbound_open looks the transport up by its ops->name; an unknown one is refused. */
static void
test_transport_by_name(void **state)
{
	struct inbound in;
	struct conf c;
	char err[256] = "";

	conf_for(&c, 143, "none");
	c.in_transport = "imap";
	c.imap_host = "192.0.2.1";
	assert_int_equal(inbound_open(&in, &c, NULL, err, sizeof(err)), -1);
	assert_ptr_equal(in.ops, &inbound_imap_ops);
	assert_non_null(strstr(err, "loopback"));
	c.in_transport = "pigeon";
	assert_int_equal(inbound_open(&in, &c, NULL, err, sizeof(err)), -1);
	assert_null(in.ops);
	assert_null(in.h);
	assert_string_equal(err, "unknown inbound transport \"pigeon\" (known: maildir, imap)");
	inbound_close(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big_and_copy_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starttls_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starttls_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transport_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oauthbearer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oauthbearer_refused_then_xoauth2, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
