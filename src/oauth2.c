/* oauth2.c: OAuth2 access tokens (see oauth2.h). The pure part reads the token
 * endpoint's JSON answer (json-c), decides when a token is due for renewal and builds
 * the SASL strings; the I/O part POSTs the refresh with libcurl and keeps one cache,
 * behind a mutex, for the IMAP and SMTP threads. The cache owns its tokens and wipes
 * them when it lets them go; oauth2_cleanup() frees it. Tokens, secrets and the POST
 * body are never logged. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "conf.h"
#include "log.h"
#include "net.h"
#include "oauth2.h"
#include "secret.h"
#include "util.h"

/* The codes of RFC 6749 section 5.2: the endpoint understood and said no. */
static const char *const refusals[] = {
	"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope",
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *key;              /* token URL, client id and refresh file the token is for */
	char *access;
	int64_t obtained;
	long expires_in;
	char *refresh_unsaved;  /* a rotated refresh token its file could not take */
} cache;
static atomic_bool refused;

/* clean_text: printable ASCII of s (a JSON string from the endpoint), cut, for a log. */
static void
clean_text(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	for (; s && *s && n + 1 < outsz && n < 200; s++)
		out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[n] = '\0';
}

static bool
visible_ascii(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* json_long: a number, or a string of digits (some endpoints quote expires_in). */
static bool
json_long(struct json_object *v, long *out)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		if (x < 0 || x > OAUTH2_EXPIRES_MAX)
			return false;
		*out = (long)x;
		return true;
	}
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		char *end;

		errno = 0;
		*out = strtol(s, &end, 10);
		return s[0] >= '0' && s[0] <= '9' && *end == '\0' && errno == 0 && *out >= 0 &&
		       *out <= OAUTH2_EXPIRES_MAX;
	}
	return false;
}

enum oauth2_result
oauth2_answer_parse(long status, const char *body, size_t len, struct oauth2_answer *a,
		    char *err, size_t errsz)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL, *v;
	enum oauth2_result rc = OAUTH2_TRANSIENT;
	char desc[256] = "";

	memset(a, 0, sizeof(*a));
	if (len > OAUTH2_ANSWER_MAX) {
		snprintf(err, errsz, "HTTP %ld, an answer over %d bytes", status, OAUTH2_ANSWER_MAX);
		goto out;
	}
	if (len > 0 && memchr(body, '\0', len) == NULL) {
		tok = json_tokener_new_ex(8);
		o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
		if (o && (json_tokener_get_error(tok) != json_tokener_success ||
			  json_tokener_get_parse_end(tok) < len ||
			  !json_object_is_type(o, json_type_object))) {
			json_object_put(o);
			o = NULL;
		}
	}
	if (o == NULL) {
		snprintf(err, errsz, "HTTP %ld, and the answer is no JSON object", status);
		goto out;
	}
	if (json_object_object_get_ex(o, "error_description", &v) &&
	    json_object_is_type(v, json_type_string))
		clean_text(json_object_get_string(v), desc, sizeof(desc));
	if (status != 200) {
		if (!json_object_object_get_ex(o, "error", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			snprintf(err, errsz, "HTTP %ld without an error code", status);
			goto out;
		}
		clean_text(json_object_get_string(v), a->error, sizeof(a->error));
		snprintf(err, errsz, "HTTP %ld, %s%s%s", status, a->error, desc[0] ? ": " : "",
			 desc);
		if (status == 400 || status == 401)
			for (size_t i = 0; i < nitems(refusals); i++)
				if (strcmp(a->error, refusals[i]) == 0)
					rc = OAUTH2_REFUSED;
		goto out;
	}
	if (!json_object_object_get_ex(o, "access_token", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !visible_ascii(json_object_get_string(v), OAUTH2_TOKEN_MAX)) {
		snprintf(err, errsz, "the answer holds no usable access_token");
		goto out;
	}
	a->access_token = xstrdup(json_object_get_string(v));
	if (json_object_object_get_ex(o, "token_type", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     strcasecmp(json_object_get_string(v), "bearer") != 0)) {
		snprintf(err, errsz, "the token_type is not Bearer");
		goto out;
	}
	a->expires_in = OAUTH2_DEFAULT_EXPIRES;
	if (json_object_object_get_ex(o, "expires_in", &v) && !json_long(v, &a->expires_in)) {
		snprintf(err, errsz, "expires_in is no number of seconds");
		goto out;
	}
	if (json_object_object_get_ex(o, "refresh_token", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_string) ||
		    !visible_ascii(json_object_get_string(v), OAUTH2_REFRESH_MAX)) {
			snprintf(err, errsz, "the answer's refresh_token is not usable");
			goto out;
		}
		a->refresh_token = xstrdup(json_object_get_string(v));
	}
	rc = OAUTH2_OK;
out:
	if (rc != OAUTH2_OK) {
		secret_free(a->access_token);
		secret_free(a->refresh_token);
		a->access_token = a->refresh_token = NULL;
	}
	json_object_put(o);
	if (tok)
		json_tokener_free(tok);
	return rc;
}

void
oauth2_answer_clear(struct oauth2_answer *a)
{
	secret_free(a->access_token);
	secret_free(a->refresh_token);
	memset(a, 0, sizeof(*a));
}

bool
oauth2_needs_refresh(int64_t obtained, long expires_in, int64_t now)
{
	long margin = expires_in >= 2 * OAUTH2_MARGIN ? OAUTH2_MARGIN : expires_in / 2;

	return now < obtained || now >= obtained + expires_in - margin;
}

char *
oauth2_sasl_xoauth2(const char *user, const char *token, size_t *len)
{
	char *s = xasprintf("user=%s\001auth=Bearer %s\001\001", user, token);

	*len = strlen(s);
	return s;
}

char *
oauth2_sasl_oauthbearer(const char *user, const char *host, int port, const char *token,
			size_t *len)
{
	struct buf b;

	buf_init(&b, 0);
	buf_adds(&b, "n,a=");
	for (const char *p = user; *p; p++)
		buf_adds(&b, *p == ',' ? "=2C" : *p == '=' ? "=3D" : (char[]){ *p, '\0' });
	buf_printf(&b, ",\001host=%s\001port=%d\001auth=Bearer %s\001\001", host, port, token);
	*len = b.len;
	return buf_steal(&b);
}

char *
oauth2_base64(const char *s, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = abc[(v >> 18) & 63];
		*o++ = abc[(v >> 12) & 63];
		*o++ = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

int
oauth2_url_check(const char *url, char *err, size_t errsz)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	if (u == NULL || url == NULL || url[0] == '\0' ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errsz, "not a URL");
		goto out;
	}
	if (strcmp(scheme, "https") == 0) {
		rc = 0;
	} else if (strcmp(scheme, "http") == 0) {
		size_t n = strlen(host);

		/* curl gives an IPv6 host in brackets */
		if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
			memmove(host, host + 1, n - 2);
			host[n - 2] = '\0';
		}
		if (net_host_loopback(host))
			rc = 0;
		else
			snprintf(err, errsz, "http:// is only allowed to a loopback address; "
				 "a token endpoint takes https://");
	} else {
		snprintf(err, errsz, "a token endpoint takes https://");
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* --- the refresh ------------------------------------------------------------------- */

static size_t
answer_write(char *data, size_t size, size_t nmemb, void *arg)
{
	return buf_add(arg, data, size * nmemb) < 0 ? 0 : size * nmemb;
}

/* loopback_socket: for an http:// endpoint, only a loopback address gets a socket. */
static curl_socket_t
loopback_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	if (purpose != CURLSOCKTYPE_IPCXN || !net_addr_loopback(&a->addr))
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* form_add: "&name=value", value percent-encoded. */
static void
form_add(struct buf *b, const char *name, const char *value)
{
	char *v = curl_easy_escape(NULL, value, 0);

	buf_printf(b, "%s%s=%s", b->len ? "&" : "", name, v ? v : "");
	if (v) {
		explicit_bzero(v, strlen(v));
		curl_free(v);
	}
}

/* token_post: the POST; *status and the answer in *answer. 0, or -1 with err set. */
static int
token_post(const char *url, const char *form, long timeout, long *status, struct buf *answer,
	   char *err, size_t errsz)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	bool http = strncasecmp(url, "http:", 5) == 0;
	CURL *c = NULL;
	CURLcode r = CURLE_OK;
	int rc = -1;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsz, "cannot set up libcurl");
		return -1;
	}
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "cannot set up libcurl");
		goto out;
	}
#define SET(opt, val) do { if (r == CURLE_OK) r = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, http ? "http" : "https");
	if (http)
		SET(CURLOPT_OPENSOCKETFUNCTION, loopback_socket);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_POSTFIELDS, form);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT, timeout);
	SET(CURLOPT_TIMEOUT, timeout);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "ilnbot");
	SET(CURLOPT_WRITEFUNCTION, answer_write);
	SET(CURLOPT_WRITEDATA, answer);
	SET(CURLOPT_ERRORBUFFER, errbuf);
#undef SET
	if (r != CURLE_OK) {
		snprintf(err, errsz, "cannot set up libcurl: %s", curl_easy_strerror(r));
		goto out;
	}
	if ((r = curl_easy_perform(c)) != CURLE_OK) {
		if (r == CURLE_WRITE_ERROR)
			snprintf(err, errsz, "an answer over %d bytes", OAUTH2_ANSWER_MAX);
		else
			snprintf(err, errsz, "%s", errbuf[0] ? errbuf : curl_easy_strerror(r));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	rc = 0;
out:
	if (c)
		curl_easy_cleanup(c);
	curl_global_cleanup();
	return rc;
}

/* refresh_save: the rotated refresh token replaces its file: a new file of mode 600
 * beside it, synced, renamed over it, the folder synced. 0, or -1 with err set. */
static int
refresh_save(const char *path, const char *token, char *err, size_t errsz)
{
	char *tmp = xasprintf("%s.XXXXXX", path), *dir = xstrdup(path), *slash;
	size_t len = strlen(token), off = 0;
	int fd, dfd, rc = -1;

	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) == -1)
		goto fail;
	while (off < len) {
		ssize_t n = write(fd, token + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
	goto out;
fail:
	snprintf(err, errsz, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}

/* refused_log: the error an operator acts on: which key and file to fix. */
static void
refused_log(const struct conf *c, const char *code, const char *why)
{
	char w1[700], w2[700];

	if (strcmp(code, "invalid_client") == 0)
		log_errorx("oauth2: the token endpoint refused the client (%s): check %s and "
			   "the secret in %s (%s)", why,
			   conf_where(c, "oauth2", "oauth2_client_id", w1, sizeof(w1)),
			   c->oauth2_client_secret_file[0] ? c->oauth2_client_secret_file : "(none)",
			   conf_where(c, "oauth2", "oauth2_client_secret_file", w2, sizeof(w2)));
	else if (strcmp(code, "invalid_scope") == 0)
		log_errorx("oauth2: the token endpoint refused the scope (%s): check %s", why,
			   conf_where(c, "oauth2", "oauth2_scope", w1, sizeof(w1)));
	else
		log_errorx("oauth2: the token endpoint refused the grant (%s): the refresh token "
			   "in %s (%s) is expired, revoked or was issued to another client "
			   "than %s; get a new one "
			   "(ilnbot-setup(7), OAuth2)", why, c->oauth2_refresh_token_file,
			   conf_where(c, "oauth2", "oauth2_refresh_token_file", w1, sizeof(w1)),
			   conf_where(c, "oauth2", "oauth2_client_id", w2, sizeof(w2)));
}

static void
cache_drop_access(void)
{
	secret_free(cache.access);
	cache.access = NULL;
}

/* refresh: a new access token into the cache; the caller holds the lock. */
static enum oauth2_result
refresh(const struct conf *c, long timeout, char *err, size_t errsz)
{
	char *secret = NULL, *rt = NULL, why[600];
	struct oauth2_answer a;
	struct buf form, answer;
	enum oauth2_result rc = OAUTH2_TRANSIENT;
	long status = 0;

	buf_init(&form, 0);
	buf_init(&answer, OAUTH2_ANSWER_MAX);
	memset(&a, 0, sizeof(a));
	if (oauth2_url_check(c->oauth2_token_url, why, sizeof(why)) < 0) {
		snprintf(err, errsz, "oauth2_token_url %s: %s", c->oauth2_token_url, why);
		goto out;
	}
	if (c->oauth2_client_secret_file[0] &&
	    secret_file_read(c->oauth2_client_secret_file, &secret, err, errsz) < 0)
		goto out;
	if (cache.refresh_unsaved)
		rt = xstrdup(cache.refresh_unsaved);
	else if (secret_file_read_cap(c->oauth2_refresh_token_file, OAUTH2_REFRESH_MAX, &rt, err,
				      errsz) < 0)
		goto out;
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "client_id", c->oauth2_client_id);
	if (secret)
		form_add(&form, "client_secret", secret);
	form_add(&form, "refresh_token", rt);
	if (c->oauth2_scope[0])
		form_add(&form, "scope", c->oauth2_scope);
	if (token_post(c->oauth2_token_url, form.data, timeout, &status, &answer, why,
		       sizeof(why)) < 0) {
		snprintf(err, errsz, "oauth2: token endpoint %s: %s", c->oauth2_token_url, why);
		goto out;
	}
	rc = oauth2_answer_parse(status, answer.data ? answer.data : "", answer.len, &a, why,
				 sizeof(why));
	if (rc == OAUTH2_REFUSED) {
		refused = true;
		refused_log(c, a.error, why);
		snprintf(err, errsz, "oauth2: the token endpoint refused the refresh (%s); a "
			 "configuration error", why);
		goto out;
	}
	if (rc != OAUTH2_OK) {
		snprintf(err, errsz, "oauth2: token endpoint %s: %s", c->oauth2_token_url, why);
		goto out;
	}
	cache_drop_access();
	cache.access = a.access_token;
	a.access_token = NULL;
	cache.obtained = time(NULL);
	cache.expires_in = a.expires_in;
	if (a.refresh_token && strcmp(a.refresh_token, rt) != 0) {
		secret_free(cache.refresh_unsaved);
		cache.refresh_unsaved = NULL;
		if (refresh_save(c->oauth2_refresh_token_file, a.refresh_token, why,
				 sizeof(why)) < 0) {
			log_warnx("oauth2: the endpoint gave a new refresh token and it could not "
				  "be saved (%s): it is kept in memory only, so write a fresh one to "
				  "the file before the next start", why);
			cache.refresh_unsaved = a.refresh_token;
			a.refresh_token = NULL;
		} else {
			log_info("oauth2: new refresh token saved to %s",
				 c->oauth2_refresh_token_file);
		}
	}
	log_info("oauth2: new access token, valid %ld s", cache.expires_in);
out:
	oauth2_answer_clear(&a);
	secret_free(secret);
	secret_free(rt);
	if (form.data)
		explicit_bzero(form.data, form.len);
	buf_free(&form);
	if (answer.data)
		explicit_bzero(answer.data, answer.len);
	buf_free(&answer);
	return rc;
}

enum oauth2_result
oauth2_token(const struct conf *c, long timeout, char **token, char *err, size_t errsz)
{
	char *key = xasprintf("%s\n%s\n%s", c->oauth2_token_url, c->oauth2_client_id,
			      c->oauth2_refresh_token_file);
	enum oauth2_result rc = OAUTH2_OK;

	*token = NULL;
	pthread_mutex_lock(&cache_lock);
	if (cache.key == NULL || strcmp(cache.key, key) != 0) {
		cache_drop_access();
		secret_free(cache.refresh_unsaved);
		cache.refresh_unsaved = NULL;
		free(cache.key);
		cache.key = key;
		key = NULL;
	}
	if (cache.access == NULL ||
	    oauth2_needs_refresh(cache.obtained, cache.expires_in, time(NULL)))
		rc = refresh(c, timeout, err, errsz);
	if (rc == OAUTH2_OK)
		*token = xstrdup(cache.access);
	pthread_mutex_unlock(&cache_lock);
	free(key);
	return rc;
}

void
oauth2_forget(const char *token)
{
	pthread_mutex_lock(&cache_lock);
	if (cache.access && token && strcmp(cache.access, token) == 0)
		cache_drop_access();
	pthread_mutex_unlock(&cache_lock);
}

bool
oauth2_refused(void)
{
	return refused;
}

void
oauth2_cleanup(void)
{
	pthread_mutex_lock(&cache_lock);
	cache_drop_access();
	secret_free(cache.refresh_unsaved);
	cache.refresh_unsaved = NULL;
	free(cache.key);
	cache.key = NULL;
	pthread_mutex_unlock(&cache_lock);
}
