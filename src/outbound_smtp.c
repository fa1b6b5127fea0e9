/* outbound_smtp.c: sends one finished message through an SMTP submission server with
 * libcurl. Implicit TLS (smtps://) or mandatory STARTTLS, peer and host name verified;
 * plaintext only to a loopback address. One curl handle lives in the transport so the
 * connection is reused between sends; it is reset after any transient failure.
 * Every envelope address and the message's line endings are checked here, before libcurl
 * sees them, because curl 7.88 copies CR/LF in addresses straight into the dialogue.
 * open() returns a handle freed by close(); send() never keeps the caller's pointers. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "outbound.h"
#include "secret.h"
#include "util.h"

#define SMTP_MAX_RCPTS          100
#define SMTP_DEFAULT_TIMEOUT    60

enum smtp_tls { SMTP_TLS_IMPLICIT, SMTP_TLS_STARTTLS, SMTP_TLS_NONE };

struct smtp_out {
	CURL *curl;
	char *url;
	char *user;             /* NULL: no AUTH */
	char *password;
	char *ca_file;          /* NULL: system store */
	enum smtp_tls tls;
	long timeout;
	bool global;            /* curl_global_init() done, to be undone */
	char errbuf[CURL_ERROR_SIZE];
};

struct smtp_cursor {
	const char *p;
	size_t left;
};

/* smtp_addr_valid: one plain addr-spec "local@domain" with nothing that could end or
 * extend an SMTP command: no CR, LF, NUL, space, controls, <>, quotes or non-ASCII. */
static bool
smtp_addr_valid(const char *a)
{
	const char *at = NULL, *p;
	size_t len = strlen(a);

	if (len < 3 || len > 254)
		return false;
	for (p = a; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= 0x20 || ch >= 0x7f)
			return false;
		if (strchr("<>()[]\\,;:\"", ch))
			return false;
		if (ch == '@') {
			if (at)
				return false;
			at = p;
		}
	}
	if (at == NULL || at == a || at - a > 64 || at[1] == '\0')
		return false;
	if (at[1] == '.' || a[len - 1] == '.' || strstr(at, "..") || a[0] == '.' || at[-1] == '.')
		return false;
	return true;
}

/* smtp_msg_valid: non-empty, no NUL, and every CR followed by LF and every LF preceded
 * by CR. Returns NULL or a static reason. */
static const char *
smtp_msg_valid(const char *m, size_t len)
{
	size_t i;

	if (len == 0)
		return "empty message";
	if (len > MSG_MAX_SIZE)
		return "message larger than the size limit";
	for (i = 0; i < len; i++) {
		if (m[i] == '\0')
			return "NUL byte in the message";
		if (m[i] == '\r' && (i + 1 == len || m[i + 1] != '\n'))
			return "bare CR in the message";
		if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
			return "bare LF in the message";
	}
	if (len < 2 || m[len - 2] != '\r' || m[len - 1] != '\n')
		return "message does not end with CRLF";
	return NULL;
}

/* smtp_host_valid: a DNS name or an IP literal, nothing that could change the URL. */
static bool
smtp_host_valid(const char *h)
{
	size_t len = strlen(h);

	if (len == 0 || len > 253)
		return false;
	return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") == len;
}

/* smtp_host_loopback: every address the name resolves to is a loopback address. */
static bool
smtp_host_loopback(const char *host)
{
	struct addrinfo hints, *res = NULL, *ai;
	bool ok = true;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->ai_addr;

			if ((ntohl(sin->sin_addr.s_addr) >> 24) != 127)
				ok = false;
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ai->ai_addr;

			if (!IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
				ok = false;
		} else
			ok = false;
	}
	freeaddrinfo(res);
	return ok;
}

static size_t
smtp_read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct smtp_cursor *cur = arg;
	size_t n = size * nmemb;

	if (n > cur->left)
		n = cur->left;
	memcpy(dst, cur->p, n);
	cur->p += n;
	cur->left -= n;
	return n;
}

/* smtp_handle_setup: options that stay the same for every message. */
static int
smtp_handle_setup(struct smtp_out *o)
{
	CURL *c = o->curl;
	CURLcode r = CURLE_OK;

#define SET(opt, val) do { if (r == CURLE_OK) r = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, o->url);
	SET(CURLOPT_PROTOCOLS_STR, o->tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp");
	SET(CURLOPT_USE_SSL, o->tls == SMTP_TLS_NONE ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		SET(CURLOPT_CAINFO, o->ca_file);
	if (o->user) {
		SET(CURLOPT_USERNAME, o->user);
		SET(CURLOPT_PASSWORD, o->password);
	}
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, smtp_read_cb);
	SET(CURLOPT_CONNECTTIMEOUT, o->timeout);
	SET(CURLOPT_TIMEOUT, o->timeout);
	/* Also bounds the wait for the reply to QUIT in curl_easy_cleanup(), which
	 * CURLOPT_TIMEOUT does not cover (curl's default there is 120 s). */
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, o->timeout);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, o->errbuf);
	SET(CURLOPT_NOPROGRESS, 1L);
#undef SET
	return r == CURLE_OK ? 0 : -1;
}

static int
smtp_handle_new(struct smtp_out *o)
{
	if (o->curl)
		curl_easy_cleanup(o->curl);
	if ((o->curl = curl_easy_init()) == NULL)
		return -1;
	return smtp_handle_setup(o);
}

static void smtp_close(void *h);

static void *
smtp_open(const struct conf *c, char *err, size_t errsz)
{
	struct smtp_out *o = xcalloc(1, sizeof(*o));
	const char *host = c->smtp_host ? c->smtp_host : "";
	const char *mode = c->smtp_tls ? c->smtp_tls : "implicit";
	const char *at;
	char *ehlo = NULL, *hostpart = NULL;
	int port = c->smtp_port;

	if (strcmp(mode, "implicit") == 0)
		o->tls = SMTP_TLS_IMPLICIT;
	else if (strcmp(mode, "starttls") == 0)
		o->tls = SMTP_TLS_STARTTLS;
	else if (strcmp(mode, "none") == 0)
		o->tls = SMTP_TLS_NONE;
	else {
		snprintf(err, errsz, "smtp_tls must be implicit, starttls or none");
		goto fail;
	}
	if (!smtp_host_valid(host)) {
		snprintf(err, errsz, "smtp_host is missing or not a host name");
		goto fail;
	}
	if (port == 0)
		port = o->tls == SMTP_TLS_IMPLICIT ? 465 : 587;
	if (port < 1 || port > 65535) {
		snprintf(err, errsz, "smtp_port out of range");
		goto fail;
	}
	if (o->tls == SMTP_TLS_NONE && !smtp_host_loopback(host)) {
		snprintf(err, errsz, "smtp_tls = none is only allowed to a loopback address");
		goto fail;
	}
	if (c->smtp_user && *c->smtp_user) {
		if (strpbrk(c->smtp_user, "\r\n") != NULL) {
			snprintf(err, errsz, "smtp_user holds a line break");
			goto fail;
		}
		o->user = xstrdup(c->smtp_user);
		if (secret_file_read(c->smtp_password_file, &o->password, err, errsz) == -1)
			goto fail;
	}
	if (c->smtp_ca_file && *c->smtp_ca_file)
		o->ca_file = xstrdup(c->smtp_ca_file);
	o->timeout = c->smtp_timeout_seconds > 0 ? c->smtp_timeout_seconds : SMTP_DEFAULT_TIMEOUT;

	/* The URL path is the EHLO name: the domain of the bot's own address. */
	at = c->address ? strrchr(c->address, '@') : NULL;
	if (at && smtp_host_valid(at + 1) && strchr(at + 1, ':') == NULL)
		ehlo = xstrdup(at + 1);
	else
		ehlo = xstrdup("localhost");
	hostpart = strchr(host, ':') ? xasprintf("[%s]", host) : xstrdup(host);
	o->url = xasprintf("%s://%s:%d/%s", o->tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp",
	    hostpart, port, ehlo);
	free(ehlo);
	free(hostpart);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsz, "cannot set up libcurl");
		goto fail;
	}
	o->global = true;
	if (smtp_handle_new(o) == -1) {
		snprintf(err, errsz, "cannot set up libcurl");
		goto fail;
	}
	return o;
fail:
	smtp_close(o);
	return NULL;
}

/* smtp_classify: a failed perform, by the last SMTP reply code. */
static enum outbound_result
smtp_classify(CURLcode r, long code)
{
	if (r == CURLE_LOGIN_DENIED || code == 530 || code == 534 || code == 535 || code == 538)
		return OUTBOUND_TRANSIENT;      /* our credentials or TLS setup, not the recipient */
	if (code >= 500 && code <= 599)
		return OUTBOUND_PERMANENT;
	return OUTBOUND_TRANSIENT;
}

static enum outbound_result
smtp_send(void *h, const char *envelope_from, const char *const *rcpts, size_t nrcpts,
    const char *msg, size_t len, char *err, size_t errsz)
{
	struct smtp_out *o = h;
	struct curl_slist *list = NULL, *tmp;
	struct smtp_cursor cur;
	enum outbound_result res = OUTBOUND_PERMANENT;
	const char *why;
	char *from = NULL;
	long code = 0;
	CURLcode r;
	size_t i;

	if (envelope_from == NULL || (*envelope_from && !smtp_addr_valid(envelope_from))) {
		snprintf(err, errsz, "invalid envelope sender");
		goto out;
	}
	if (nrcpts == 0 || nrcpts > SMTP_MAX_RCPTS) {
		snprintf(err, errsz, "%zu recipients (1 to %d allowed)", nrcpts, SMTP_MAX_RCPTS);
		goto out;
	}
	for (i = 0; i < nrcpts; i++) {
		if (rcpts[i] == NULL || !smtp_addr_valid(rcpts[i])) {
			snprintf(err, errsz, "invalid recipient address #%zu", i + 1);
			goto out;
		}
		if ((tmp = curl_slist_append(list, rcpts[i])) == NULL) {
			res = OUTBOUND_TRANSIENT;
			snprintf(err, errsz, "out of memory");
			goto out;
		}
		list = tmp;
	}
	if ((why = smtp_msg_valid(msg, len)) != NULL) {
		snprintf(err, errsz, "%s", why);
		goto out;
	}
	if (o->curl == NULL && smtp_handle_new(o) == -1) {
		res = OUTBOUND_TRANSIENT;
		snprintf(err, errsz, "cannot set up libcurl");
		goto out;
	}

	/* libcurl writes "MAIL FROM:<>" for an empty string. */
	from = xasprintf("<%s>", envelope_from);
	cur.p = msg;
	cur.left = len;
	o->errbuf[0] = '\0';
	curl_easy_setopt(o->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(o->curl, CURLOPT_MAIL_RCPT, list);
	curl_easy_setopt(o->curl, CURLOPT_READDATA, &cur);
	curl_easy_setopt(o->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	r = curl_easy_perform(o->curl);
	curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &code);
	/* The list must not outlive this call inside the handle. */
	curl_easy_setopt(o->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_easy_setopt(o->curl, CURLOPT_READDATA, (void *)NULL);
	if (r == CURLE_OK) {
		res = OUTBOUND_SENT;
		goto out;
	}
	res = smtp_classify(r, code);
	snprintf(err, errsz, "SMTP %s: %s (reply %ld)",
	    res == OUTBOUND_PERMANENT ? "refused" : "failed",
	    o->errbuf[0] ? o->errbuf : curl_easy_strerror(r), code);
	if (res == OUTBOUND_TRANSIENT) {
		/* Drop a connection in an unknown state; the next send dials again. */
		curl_easy_cleanup(o->curl);
		o->curl = NULL;
		if (smtp_handle_new(o) == -1) {
			if (o->curl)
				curl_easy_cleanup(o->curl);
			o->curl = NULL;
		}
	}
out:
	free(from);
	curl_slist_free_all(list);
	return res;
}

static void
smtp_close(void *h)
{
	struct smtp_out *o = h;

	if (o == NULL)
		return;
	if (o->curl)
		curl_easy_cleanup(o->curl);
	free(o->url);
	free(o->user);
	secret_free(o->password);
	free(o->ca_file);
	if (o->global)
		curl_global_cleanup();
	free(o);
}

const struct outbound_ops outbound_smtp_ops = {
	.name = "smtp",
	.open = smtp_open,
	.send = smtp_send,
	.close = smtp_close,
};
