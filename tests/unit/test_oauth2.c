/* test_oauth2.c: oauth2.c. The token endpoint's answers (good, refused, garbled, huge),
 * when a token is renewed, the SASL strings and base64, the URL rule; then the refresh
 * itself against a scripted loopback HTTP server (fake_http.h): the POST's fields, the
 * cache, a rotated refresh token written back with mode 600, a refusal, a dead endpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "oauth2.h"
#include "secret.h"
#include "util.h"

#include "fake_http.h"

static enum oauth2_result
parse(long status, const char *body, struct oauth2_answer *a)
{
	char err[512];

	return oauth2_answer_parse(status, body, strlen(body), a, err, sizeof(err));
}

static void
test_answer_good(void **state)
{
	struct oauth2_answer a;

	assert_int_equal(parse(200, "{\"access_token\":\"ya29.a-b_c~d+e/f=\",\"token_type\":"
			       "\"Bearer\",\"expires_in\":3599,\"scope\":\"x\"}", &a), OAUTH2_OK);
	assert_string_equal(a.access_token, "ya29.a-b_c~d+e/f=");
	assert_null(a.refresh_token);
	assert_int_equal(a.expires_in, 3599);
	oauth2_answer_clear(&a);

	/* a quoted expires_in, a lower-case token type, a new refresh token, spaces around */
	assert_int_equal(parse(200, " {\"access_token\":\"t\",\"token_type\":\"bearer\","
			       "\"expires_in\":\"600\",\"refresh_token\":\"r2\"}\n", &a), OAUTH2_OK);
	assert_string_equal(a.refresh_token, "r2");
	assert_int_equal(a.expires_in, 600);
	oauth2_answer_clear(&a);

	/* no expires_in: the default; refresh_token null: none */
	assert_int_equal(parse(200, "{\"access_token\":\"t\",\"refresh_token\":null}", &a),
			 OAUTH2_OK);
	assert_int_equal(a.expires_in, OAUTH2_DEFAULT_EXPIRES);
	assert_null(a.refresh_token);
	oauth2_answer_clear(&a);
}

static void
test_answer_bad(void **state)
{
	static const struct {
		long status;
		const char *body;
		enum oauth2_result want;
		const char *error;      /* a.error, for an error answer */
	} cases[] = {
		{ 400, "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70000\"}",
		  OAUTH2_REFUSED, "invalid_grant" },
		{ 401, "{\"error\":\"invalid_client\"}", OAUTH2_REFUSED, "invalid_client" },
		{ 400, "{\"error\":\"unauthorized_client\"}", OAUTH2_REFUSED, "unauthorized_client" },
		{ 400, "{\"error\":\"invalid_scope\"}", OAUTH2_REFUSED, "invalid_scope" },
		{ 400, "{\"error\":\"unsupported_grant_type\"}", OAUTH2_REFUSED,
		  "unsupported_grant_type" },
		/* not a refusal: unknown codes, other statuses, no code, no JSON */
		{ 400, "{\"error\":\"temporarily_unavailable\"}", OAUTH2_TRANSIENT,
		  "temporarily_unavailable" },
		{ 500, "{\"error\":\"invalid_grant\"}", OAUTH2_TRANSIENT, "invalid_grant" },
		{ 429, "{\"error\":\"slow_down\"}", OAUTH2_TRANSIENT, "slow_down" },
		{ 400, "{\"error\":42}", OAUTH2_TRANSIENT, "" },
		{ 400, "{}", OAUTH2_TRANSIENT, "" },
		{ 503, "<html>Service Unavailable</html>", OAUTH2_TRANSIENT, "" },
		{ 502, "", OAUTH2_TRANSIENT, "" },
		/* 200 but unusable */
		{ 200, "", OAUTH2_TRANSIENT, "" },
		{ 200, "[\"access_token\"]", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"t\"} trailing", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"t\"", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"token_type\":\"Bearer\"}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"\"}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"a b\"}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"a\\u0001b\"}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"a\\r\\nb\"}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":7}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"t\",\"token_type\":\"mac\"}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"t\",\"expires_in\":-5}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"t\",\"expires_in\":\"soon\"}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"t\",\"expires_in\":99999999999}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"t\",\"refresh_token\":\"a b\"}", OAUTH2_TRANSIENT, "" },
		{ 200, "{\"access_token\":\"t\",\"refresh_token\":5}", OAUTH2_TRANSIENT, "" },
		/* nested past the depth the parser allows */
		{ 200, "{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]],\"access_token\":\"t\"}", OAUTH2_TRANSIENT, "" },
	};
	struct oauth2_answer a;

	for (size_t i = 0; i < nitems(cases); i++) {
		enum oauth2_result r = parse(cases[i].status, cases[i].body, &a);

		if (r != cases[i].want || strcmp(a.error, cases[i].error) != 0)
			fail_msg("case %zu (%s): %d, error '%s'", i, cases[i].body, r, a.error);
		assert_null(a.access_token);
		assert_null(a.refresh_token);
		oauth2_answer_clear(&a);
	}
}

static void
test_answer_odd_bytes(void **state)
{
	struct oauth2_answer a;
	char err[512];
	size_t n = OAUTH2_ANSWER_MAX + 10;
	char *huge = xmalloc(n + 1);
	static const char nul[] = "{\"access_token\":\"t\"}\0{}";
	static const char ctl[] = "{\"error\":\"invalid_grant\",\"error_description\":\"a\\u001b[31mb\"}";

	/* over the cap: refused before parsing */
	memset(huge, ' ', n);
	memcpy(huge, "{\"access_token\":\"", 17);
	memcpy(huge + n - 2, "\"}", 2);
	huge[n] = '\0';
	assert_int_equal(oauth2_answer_parse(200, huge, n, &a, err, sizeof(err)), OAUTH2_TRANSIENT);
	assert_non_null(strstr(err, "bytes"));
	free(huge);
	/* a NUL inside */
	assert_int_equal(oauth2_answer_parse(200, nul, sizeof(nul) - 1, &a, err, sizeof(err)),
			 OAUTH2_TRANSIENT);
	/* the endpoint's description is cleaned for the log */
	assert_int_equal(oauth2_answer_parse(400, ctl, strlen(ctl), &a, err, sizeof(err)),
			 OAUTH2_REFUSED);
	assert_string_equal(err, "HTTP 400, invalid_grant: a?[31mb");
	/* an access token at the limit passes, one over does not */
	for (int over = 0; over <= 1; over++) {
		size_t t = OAUTH2_TOKEN_MAX + (size_t)over;
		char *body = xmalloc(t + 32);

		memcpy(body, "{\"access_token\":\"", 17);
		memset(body + 17, 'A', t);
		memcpy(body + 17 + t, "\"}", 3);
		assert_int_equal(oauth2_answer_parse(200, body, strlen(body), &a, err, sizeof(err)),
				 over ? OAUTH2_TRANSIENT : OAUTH2_OK);
		oauth2_answer_clear(&a);
		free(body);
	}
}

static void
test_needs_refresh(void **state)
{
	assert_false(oauth2_needs_refresh(1000, 3600, 1000));
	assert_false(oauth2_needs_refresh(1000, 3600, 1000 + 3600 - OAUTH2_MARGIN - 1));
	assert_true(oauth2_needs_refresh(1000, 3600, 1000 + 3600 - OAUTH2_MARGIN));
	assert_true(oauth2_needs_refresh(1000, 3600, 1000 + 9999));
	/* a short token: renewed at half its life */
	assert_false(oauth2_needs_refresh(1000, 100, 1049));
	assert_true(oauth2_needs_refresh(1000, 100, 1050));
	assert_true(oauth2_needs_refresh(1000, 0, 1000));
	/* the clock went back: renew */
	assert_true(oauth2_needs_refresh(1000, 3600, 999));
}

static void
test_sasl(void **state)
{
	size_t len;
	char *s = oauth2_sasl_xoauth2("bot@example.org", "tok", &len);
	static const char x[] = "user=bot@example.org\001auth=Bearer tok\001\001";
	static const char b[] = "n,a=a=2Cb=3Dc@example.org,\001host=imap.example.org\001port=993"
				"\001auth=Bearer tok\001\001";

	assert_int_equal(len, sizeof(x) - 1);
	assert_memory_equal(s, x, len);
	free(s);
	s = oauth2_sasl_oauthbearer("a,b=c@example.org", "imap.example.org", 993, "tok", &len);
	assert_int_equal(len, sizeof(b) - 1);
	assert_memory_equal(s, b, len);
	free(s);
}

static void
test_base64(void **state)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
		{ "\001\377\376", "Af/+" },
	};

	for (size_t i = 0; i < nitems(v); i++) {
		char *s = oauth2_base64(v[i][0], strlen(v[i][0]));

		assert_string_equal(s, v[i][1]);
		free(s);
	}
}

static void
test_url(void **state)
{
	static const struct {
		const char *url;
		int want;
	} cases[] = {
		{ "https://login.microsoftonline.com/common/oauth2/v2.0/token", 0 },
		{ "https://oauth2.googleapis.com/token", 0 },
		{ "http://127.0.0.1:8080/token", 0 },
		{ "http://localhost/token", 0 },
		{ "http://[::1]:8080/token", 0 },
		{ "http://oauth2.googleapis.com/token", -1 },
		{ "http://10.0.0.1/token", -1 },
		{ "ftp://127.0.0.1/token", -1 },
		{ "oauth2.googleapis.com/token", -1 },
		{ "", -1 },
	};
	char err[256];

	for (size_t i = 0; i < nitems(cases); i++)
		if (oauth2_url_check(cases[i].url, err, sizeof(err)) != cases[i].want)
			fail_msg("%s: want %d (%s)", cases[i].url, cases[i].want, err);
}

/* --- the refresh, against fake_http.h ------------------------------------------------ */

static char dir[64], rtfile[96], secretfile[96], logfile[96], url[96];

static void
put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static char *
slurp(const char *path)
{
	char *s = NULL;
	size_t n;

	if (file_read(path, 1 << 20, &s, &n) < 0)
		return xstrdup("");
	return s;
}

static void
conf_for(struct conf *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->path = "test.conf";
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/token", port);
	c->oauth2_token_url = url;
	c->oauth2_client_id = "client 1";
	c->oauth2_client_secret_file = secretfile;
	c->oauth2_refresh_token_file = rtfile;
	c->oauth2_scope = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access";
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ilnbot-oauth2-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(rtfile, sizeof(rtfile), "%s/refresh", dir);
	snprintf(secretfile, sizeof(secretfile), "%s/secret", dir);
	snprintf(logfile, sizeof(logfile), "%s/requests", dir);
	put(secretfile, "s3cr&t\n", 0600);
	put(rtfile, "rt-1\n", 0600);
	unlink(logfile);
	oauth2_cleanup();
	return 0;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	oauth2_cleanup();
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return 0;
}

static void
test_refresh_rotates(void **state)
{
	char *answers[] = {
		fake_http_response(200, "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\","
				   "\"expires_in\":3600,\"refresh_token\":\"rt-2\"}"),
		fake_http_response(200, "{\"access_token\":\"at-2\",\"expires_in\":3600}"),
		NULL,
	};
	struct fake_http fh;
	struct conf c;
	struct stat sb;
	char err[512], *tok = NULL, *log, *rt;

	fake_http_start(&fh, answers, logfile);
	conf_for(&c, fh.port);
	assert_int_equal(oauth2_token(&c, 5, &tok, err, sizeof(err)), OAUTH2_OK);
	assert_string_equal(tok, "at-1");
	secret_free(tok);
	/* the new refresh token replaced the old, mode 600 */
	rt = slurp(rtfile);
	assert_string_equal(rt, "rt-2\n");
	free(rt);
	assert_int_equal(stat(rtfile, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* cached: no request */
	assert_int_equal(oauth2_token(&c, 5, &tok, err, sizeof(err)), OAUTH2_OK);
	assert_string_equal(tok, "at-1");
	/* refused by the server: the next call asks again, with the new refresh token */
	oauth2_forget(tok);
	secret_free(tok);
	assert_int_equal(oauth2_token(&c, 5, &tok, err, sizeof(err)), OAUTH2_OK);
	assert_string_equal(tok, "at-2");
	secret_free(tok);
	assert_int_equal(fake_http_end(&fh), 0);
	log = slurp(logfile);
	assert_string_equal(log,
		"grant_type=refresh_token&client_id=client%201&client_secret=s3cr%26t"
		"&refresh_token=rt-1&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All"
		"%20offline_access\n"
		"grant_type=refresh_token&client_id=client%201&client_secret=s3cr%26t"
		"&refresh_token=rt-2&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All"
		"%20offline_access\n");
	free(log);
	assert_false(oauth2_refused());
	free(answers[0]);
	free(answers[1]);
}

static void
test_refresh_public_client_unsaved(void **state)
{
	char *answers[] = {
		fake_http_response(200, "{\"access_token\":\"at-1\",\"expires_in\":0,"
				   "\"refresh_token\":\"rt-9\"}"),
		fake_http_response(200, "{\"access_token\":\"at-2\",\"expires_in\":3600}"),
		NULL,
	};
	struct fake_http fh;
	struct conf c;
	char err[512], *tok = NULL, *log, *rt, longname[252], longpath[400];

	fake_http_start(&fh, answers, logfile);
	conf_for(&c, fh.port);
	c.oauth2_client_secret_file = "";
	c.oauth2_scope = "";
	/* a file name that leaves no room for the temporary one beside it (which root
	 * cannot get round either): the new refresh token is kept in memory, used next */
	memset(longname, 'r', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	snprintf(longpath, sizeof(longpath), "%s/%s", dir, longname);
	put(longpath, "rt-1\n", 0600);
	c.oauth2_refresh_token_file = longpath;
	assert_int_equal(oauth2_token(&c, 5, &tok, err, sizeof(err)), OAUTH2_OK);
	assert_string_equal(tok, "at-1");
	secret_free(tok);
	/* expires_in 0: renewed at once */
	assert_int_equal(oauth2_token(&c, 5, &tok, err, sizeof(err)), OAUTH2_OK);
	assert_string_equal(tok, "at-2");
	secret_free(tok);
	assert_int_equal(fake_http_end(&fh), 0);
	rt = slurp(longpath);
	assert_string_equal(rt, "rt-1\n");
	free(rt);
	log = slurp(logfile);
	assert_string_equal(log, "grant_type=refresh_token&client_id=client%201&refresh_token=rt-1\n"
			    "grant_type=refresh_token&client_id=client%201&refresh_token=rt-9\n");
	free(log);
	free(answers[0]);
	free(answers[1]);
}

static void
test_refresh_trouble(void **state)
{
	char *answers[] = {
		fake_http_response(503, "{\"error\":\"temporarily_unavailable\"}"),
		fake_http_response(400, "{\"error\":\"invalid_grant\",\"error_description\":"
				   "\"the refresh token is not valid\"}"),
		NULL,
	};
	struct fake_http fh;
	struct conf c;
	char err[512], *tok = NULL;
	int port;

	fake_http_start(&fh, answers, logfile);
	conf_for(&c, fh.port);
	assert_int_equal(oauth2_token(&c, 5, &tok, err, sizeof(err)), OAUTH2_TRANSIENT);
	assert_null(tok);
	assert_non_null(strstr(err, "HTTP 503"));
	assert_false(oauth2_refused());
	assert_int_equal(oauth2_token(&c, 5, &tok, err, sizeof(err)), OAUTH2_REFUSED);
	assert_null(tok);
	assert_non_null(strstr(err, "invalid_grant"));
	assert_null(strstr(err, "rt-1"));
	assert_true(oauth2_refused());
	port = fh.port;
	assert_int_equal(fake_http_end(&fh), 0);
	/* nobody listens any more */
	conf_for(&c, port);
	assert_int_equal(oauth2_token(&c, 2, &tok, err, sizeof(err)), OAUTH2_TRANSIENT);
	/* an unreadable or loose refresh token file */
	chmod(rtfile, 0644);
	assert_int_equal(oauth2_token(&c, 2, &tok, err, sizeof(err)), OAUTH2_TRANSIENT);
	assert_non_null(strstr(err, "group or others"));
	/* http:// to another host never leaves */
	c.oauth2_token_url = "http://192.0.2.1/token";
	assert_int_equal(oauth2_token(&c, 2, &tok, err, sizeof(err)), OAUTH2_TRANSIENT);
	assert_non_null(strstr(err, "loopback"));
	free(answers[0]);
	free(answers[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_good),
		cmocka_unit_test(test_answer_bad),
		cmocka_unit_test(test_answer_odd_bytes),
		cmocka_unit_test(test_needs_refresh),
		cmocka_unit_test(test_sasl),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_url),
		cmocka_unit_test_setup_teardown(test_refresh_rotates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_public_client_unsaved, setup, teardown),
		/* last: a refusal is for good */
		cmocka_unit_test_setup_teardown(test_refresh_trouble, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
