/* outbound_smtp.c: sends finished messages through an SMTP submission server.
 * libcurl makes the connection: TCP, implicit TLS (smtps://) or mandatory STARTTLS with
 * the peer and host name verified, the greeting, EHLO and AUTH (CURLOPT_CONNECT_ONLY;
 * with smtp_auth = oauth2, OAUTHBEARER or XOAUTH2, whichever the server offers, with a
 * token from oauth2.c, forgotten when refused);
 * plaintext only to a loopback address (net.c's rule, checked at open() and for every
 * address curl dials). The transaction itself (MAIL, RCPT, DATA, the
 * dot-stuffed body) is spoken here over curl_easy_send/recv on that connection, pipelined
 * (RFC 2920) when the server offers PIPELINING: two round trips a message where curl's
 * own SMTP transfer takes four plus its per-transfer setup. The connection is kept for
 * the next message and dropped after any failure that leaves it in doubt. Replies are
 * judged by their SMTP code: 4xx and network errors are transient, 5xx permanent.
 * Every envelope address and the message's line endings are checked before a byte is
 * sent, so no caller's text can end or extend a command. A UTF-8 local part (RFC 6531)
 * goes only to a server that offers SMTPUTF8, with the SMTPUTF8 parameter on MAIL;
 * smtputf8() tells whether the relay offers it (connecting to find out).
 * open() returns a handle freed by close(); send() never keeps the caller's pointers. */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "net.h"
#include "oauth2.h"
#include "outbound.h"
#include "secret.h"
#include "tls_verify.h"
#include "util.h"

#define SMTP_MAX_RCPTS          100
#define SMTP_DEFAULT_TIMEOUT    60
#define SMTP_REPLY_LINE_MAX     2048    /* RFC 5321 says 512; be lenient, not unbounded */
#define SMTP_REPLY_LINES_MAX    100
#define SMTP_IDLE_MAX           120     /* seconds a kept connection may sit unused */

enum smtp_tls { SMTP_TLS_IMPLICIT, SMTP_TLS_STARTTLS, SMTP_TLS_NONE };

struct smtp_reply {
	int code;               /* 0 when none could be read */
	char text[256];         /* the last line, printable ASCII only, for logs */
};

struct smtp_out {
	CURL *curl;             /* NULL when not connected */
	curl_socket_t sock;
	char *url;
	const struct conf *c;   /* outlives the handle: the [oauth2] keys */
	char *user;             /* NULL: no AUTH */
	char *password;         /* NULL with oauth2 */
	bool oauth2;
	char *ca_file;          /* NULL: system store */
	enum smtp_tls tls;
	long timeout;
	bool global;            /* curl_global_init() done, to be undone */
	/* what the last EHLO answer offered, read from curl's dialogue */
	bool in_ehlo;
	bool pipelining;
	bool smtputf8;          /* RFC 6531 */
	size_t size_max;        /* 0: not announced */
	time_t last_used;
	char in[SMTP_REPLY_LINE_MAX * 2];       /* bytes read, not yet parsed */
	size_t inlen;
	struct buf out;         /* commands and body of the message being sent */
	char errbuf[CURL_ERROR_SIZE];
};

/* Whether s has a byte outside ASCII. */
static bool
smtp_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* smtp_addr_valid: one plain addr-spec "local@domain" with nothing that could end or
 * extend an SMTP command: no CR, LF, NUL, space, controls, <>, quotes, and nothing
 * outside ASCII but a local part in valid UTF-8 (RFC 6531; sent only with SMTPUTF8). */
static bool
smtp_addr_valid(const char *a)
{
	const char *at = strchr(a, '@'), *p;
	size_t len = strlen(a);

	if (len < 3 || len > 254 || at == NULL)
		return false;
	if (smtp_8bit(at) || (smtp_8bit(a) && !utf8_valid(a, (size_t)(at - a))))
		return false;
	at = NULL;
	for (p = a; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= 0x20 || ch == 0x7f || (ch == 0xc2 && (unsigned char)p[1] < 0xa0))
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

	o->sock = CURL_SOCKET_BAD;
	buf_init(&o->out, 2 * (size_t)MSG_MAX_SIZE + 4096);   /* dot-stuffing at worst doubles */
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
	if (o->tls == SMTP_TLS_NONE && !net_host_loopback(host)) {
		snprintf(err, errsz, "smtp_tls = none is only allowed to a loopback address");
		goto fail;
	}
	if (c->smtp_user && *c->smtp_user) {
		if (strpbrk(c->smtp_user, "\r\n") != NULL) {
			snprintf(err, errsz, "smtp_user holds a line break");
			goto fail;
		}
		o->user = xstrdup(c->smtp_user);
		o->oauth2 = c->smtp_auth && strcmp(c->smtp_auth, "oauth2") == 0;
		if (!o->oauth2 &&
		    secret_file_read(c->smtp_password_file, &o->password, err, errsz) == -1)
			goto fail;
	} else if (c->smtp_auth && strcmp(c->smtp_auth, "oauth2") == 0) {
		snprintf(err, errsz, "smtp_auth = oauth2 needs smtp_user");
		goto fail;
	}
	o->c = c;
	if (tls_ca_file(c->smtp_ca_file) != NULL)
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
	return o;
fail:
	smtp_close(o);
	return NULL;
}

/* smtp_debug_cb: curl's view of the connection dialogue, read only for the keywords of
 * the last EHLO answer (the one after STARTTLS, which is the one that counts). */
static int
smtp_debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp_out *o = arg;
	char kw[32];
	size_t i, n;

	if (type == CURLINFO_HEADER_OUT) {
		o->in_ehlo = size >= 5 && strncasecmp(data, "EHLO ", 5) == 0;
		if (o->in_ehlo) {
			o->pipelining = false;
			o->smtputf8 = false;
			o->size_max = 0;
		}
		return 0;
	}
	if (type != CURLINFO_HEADER_IN || !o->in_ehlo || size < 5 || strncmp(data, "250", 3) != 0)
		return 0;
	for (i = 4, n = 0; i < size && n + 1 < sizeof(kw) && data[i] > ' ' && data[i] < 0x7f; i++)
		kw[n++] = data[i];
	kw[n] = '\0';
	if (strcasecmp(kw, "PIPELINING") == 0)
		o->pipelining = true;
	else if (strcasecmp(kw, "SMTPUTF8") == 0)
		o->smtputf8 = true;
	else if (strcasecmp(kw, "SIZE") == 0 && i < size && data[i] == ' ') {
		char num[24];

		for (i++, n = 0; i < size && n + 1 < sizeof(num) && data[i] >= '0' && data[i] <= '9'; i++)
			num[n++] = data[i];
		num[n] = '\0';
		o->size_max = n > 0 && n < 19 ? (size_t)strtoull(num, NULL, 10) : 0;
	}
	if (data[3] == ' ')
		o->in_ehlo = false;
	return 0;
}

/* smtp_socket_open: curl's socket for each address it tries, when smtp_tls = none: only
 * a loopback address gets one, so the loopback rule holds at every connection, not only
 * for what the name resolved to at open(). */
static curl_socket_t
smtp_socket_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	if (purpose != CURLSOCKTYPE_IPCXN || !net_addr_loopback(&a->addr))
		return CURL_SOCKET_BAD;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* smtp_handle_setup: a connect-only handle for one connection; token: the OAuth2
 * access token (curl keeps a copy), or NULL. */
static int
smtp_handle_setup(struct smtp_out *o, CURL *c, const char *token)
{
	CURLcode r = CURLE_OK;

#define SET(opt, val) do { if (r == CURLE_OK) r = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, o->url);
	SET(CURLOPT_PROTOCOLS_STR, o->tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp");
	SET(CURLOPT_USE_SSL, o->tls == SMTP_TLS_NONE ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		SET(CURLOPT_CAINFO, o->ca_file);
	if (o->user && token) {
		SET(CURLOPT_USERNAME, o->user);
		SET(CURLOPT_XOAUTH2_BEARER, token);
		/* Only these two: with a bearer token and no password curl would otherwise
		 * also try CRAM-MD5 or PLAIN first when offered. OAUTHBEARER wins when both are
		 * offered. */
		SET(CURLOPT_LOGIN_OPTIONS, "AUTH=OAUTHBEARER;AUTH=XOAUTH2");
	} else if (o->user) {
		SET(CURLOPT_USERNAME, o->user);
		SET(CURLOPT_PASSWORD, o->password);
	}
	if (o->tls == SMTP_TLS_NONE)
		SET(CURLOPT_OPENSOCKETFUNCTION, smtp_socket_open);
	SET(CURLOPT_CONNECT_ONLY, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, o->timeout);
	SET(CURLOPT_TIMEOUT, o->timeout);
	/* Also bounds the wait for the reply to QUIT in curl_easy_cleanup(). */
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, o->timeout);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, o->errbuf);
	SET(CURLOPT_NOPROGRESS, 1L);
	SET(CURLOPT_DEBUGFUNCTION, smtp_debug_cb);
	SET(CURLOPT_DEBUGDATA, o);
	SET(CURLOPT_VERBOSE, 1L);
#undef SET
	return r == CURLE_OK ? 0 : -1;
}

static int smtp_write(struct smtp_out *o, const char *data, size_t len, char *err, size_t errsz);
static int smtp_reply_read(struct smtp_out *o, struct smtp_reply *rep, char *err, size_t errsz);

/* smtp_drop: forget the connection: with a QUIT when it is in a known state (curl says
 * nothing on a connect-only handle), else just hung up. */
static void
smtp_drop(struct smtp_out *o, bool failed)
{
	struct smtp_reply rep;
	char scratch[128];

	if (o->curl == NULL)
		return;
	if (!failed) {
		long t = o->timeout;

		o->timeout = t < 5 ? t : 5;    /* a goodbye is not worth a long wait */
		if (smtp_write(o, "QUIT\r\n", 6, scratch, sizeof(scratch)) == 0)
			smtp_reply_read(o, &rep, scratch, sizeof(scratch));
		o->timeout = t;
	}
	if (o->sock != CURL_SOCKET_BAD)
		shutdown(o->sock, SHUT_RDWR);
	curl_easy_cleanup(o->curl);
	o->curl = NULL;
	o->sock = CURL_SOCKET_BAD;
	o->inlen = 0;
}

/* smtp_connect: greeting, EHLO, STARTTLS, AUTH by libcurl. 0, or -1 with err set. */
static int
smtp_connect(struct smtp_out *o, char *err, size_t errsz)
{
	CURLcode r;
	long code = 0;
	char *token = NULL;

	if (o->oauth2 && oauth2_token(o->c, o->timeout, &token, err, errsz) != OAUTH2_OK)
		return -1;
	if ((o->curl = curl_easy_init()) == NULL || smtp_handle_setup(o, o->curl, token) < 0) {
		snprintf(err, errsz, "cannot set up libcurl");
		goto fail;
	}
	o->errbuf[0] = '\0';
	o->pipelining = false;
	o->size_max = 0;
	o->in_ehlo = false;
	if ((r = curl_easy_perform(o->curl)) != CURLE_OK) {
		curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &code);
		snprintf(err, errsz, "SMTP connection failed: %s (reply %ld)",
		    o->errbuf[0] ? o->errbuf : curl_easy_strerror(r), code);
		if (token && r == CURLE_LOGIN_DENIED)
			oauth2_forget(token);
		goto fail;
	}
	if (curl_easy_getinfo(o->curl, CURLINFO_ACTIVESOCKET, &o->sock) != CURLE_OK ||
	    o->sock == CURL_SOCKET_BAD) {
		snprintf(err, errsz, "SMTP connection lost after login");
		goto fail;
	}
	o->inlen = 0;
	o->last_used = time(NULL);
	secret_free(token);
	return 0;
fail:
	if (o->curl)
		curl_easy_cleanup(o->curl);
	o->curl = NULL;
	o->sock = CURL_SOCKET_BAD;
	secret_free(token);
	return -1;
}

/* smtp_write: all of data, within the timeout. 0, or -1 with err set. */
static int
smtp_write(struct smtp_out *o, const char *data, size_t len, char *err, size_t errsz)
{
	struct timespec deadline;
	size_t done = 0, n;
	CURLcode r;

	net_deadline(&deadline, o->timeout * 1000L);
	while (done < len) {
		n = 0;
		r = curl_easy_send(o->curl, data + done, len - done, &n);
		if (r == CURLE_OK) {
			done += n;
			continue;
		}
		if (r != CURLE_AGAIN) {
			snprintf(err, errsz, "SMTP connection failed while sending: %s",
			    curl_easy_strerror(r));
			return -1;
		}
		if (net_wait(o->sock, POLLOUT, &deadline) < 0) {
			snprintf(err, errsz, "SMTP server stopped reading (timeout %lds)", o->timeout);
			return -1;
		}
	}
	return 0;
}

/* smtp_line: one complete line from the input buffer into line (CRLF removed);
 * 1 found, 0 need more bytes, -1 too long. */
static int
smtp_line(struct smtp_out *o, char *line, size_t linesz)
{
	char *nl = memchr(o->in, '\n', o->inlen);
	size_t n;

	if (nl == NULL)
		return o->inlen >= SMTP_REPLY_LINE_MAX ? -1 : 0;
	n = (size_t)(nl - o->in);
	if (n >= SMTP_REPLY_LINE_MAX || n >= linesz)
		return -1;
	memcpy(line, o->in, n);
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	o->inlen -= (size_t)(nl - o->in) + 1;
	memmove(o->in, nl + 1, o->inlen);
	return 1;
}

/* smtp_reply_read: one whole (possibly multi-line) reply. 0, or -1 with err set. */
static int
smtp_reply_read(struct smtp_out *o, struct smtp_reply *rep, char *err, size_t errsz)
{
	char line[SMTP_REPLY_LINE_MAX + 1];
	struct timespec deadline;
	int lines = 0, r;
	size_t n, i;
	CURLcode cr;

	rep->code = 0;
	rep->text[0] = '\0';
	net_deadline(&deadline, o->timeout * 1000L);
	for (;;) {
		if ((r = smtp_line(o, line, sizeof(line))) < 0) {
			snprintf(err, errsz, "SMTP reply line too long");
			return -1;
		}
		if (r == 1) {
			if (strlen(line) < 3 || line[0] < '2' || line[0] > '5' ||
			    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9' ||
			    (line[3] != '\0' && line[3] != ' ' && line[3] != '-') ||
			    ++lines > SMTP_REPLY_LINES_MAX) {
				snprintf(err, errsz, "SMTP server sent a malformed reply");
				return -1;
			}
			for (i = 0, n = 0; line[i] && n + 1 < sizeof(rep->text); i++)
				rep->text[n++] = line[i] >= ' ' && line[i] < 0x7f ? line[i] : '?';
			rep->text[n] = '\0';
			if (line[3] != '-') {
				log_debug("smtp: <<< %s", rep->text);
				rep->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
				return 0;
			}
			continue;
		}
		n = 0;
		cr = curl_easy_recv(o->curl, o->in + o->inlen, sizeof(o->in) - o->inlen, &n);
		if (cr == CURLE_OK && n == 0) {
			snprintf(err, errsz, "SMTP server closed the connection");
			return -1;
		}
		if (cr == CURLE_OK) {
			o->inlen += n;
			continue;
		}
		if (cr != CURLE_AGAIN) {
			snprintf(err, errsz, "SMTP connection failed while reading: %s",
			    curl_easy_strerror(cr));
			return -1;
		}
		if (net_wait(o->sock, POLLIN, &deadline) < 0) {
			snprintf(err, errsz, "SMTP server did not answer (timeout %lds)", o->timeout);
			return -1;
		}
	}
}

/* smtp_kept_usable: a kept connection that the server has not closed, timed out or
 * sent anything unasked on (a 421 before closing, say). */
static bool
smtp_kept_usable(struct smtp_out *o)
{
	struct pollfd p = { .fd = o->sock, .events = POLLIN };

	if (o->inlen > 0 || time(NULL) - o->last_used > SMTP_IDLE_MAX)
		return false;
	return poll(&p, 1, 0) == 0;
}

/* smtp_body: the message dot-stuffed and terminated, into o->out. */
static int
smtp_body(struct smtp_out *o, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len, *nl;

	buf_reset(&o->out);
	while (p < end) {
		if (*p == '.' && buf_addc(&o->out, '.') < 0)
			return -1;
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		if (buf_add(&o->out, p, (size_t)(nl - p)) < 0)
			return -1;
		p = nl;
	}
	return buf_adds(&o->out, ".\r\n");
}

/* smtp_code_result: what a failure reply means for the message. */
static enum outbound_result
smtp_code_result(int code)
{
	if (code == 530 || code == 534 || code == 535 || code == 538)
		return OUTBOUND_TRANSIENT;      /* our credentials or TLS setup, not the message */
	return code >= 500 && code <= 599 ? OUTBOUND_PERMANENT : OUTBOUND_TRANSIENT;
}

/* smtp_fail: err from a refusal reply. */
static enum outbound_result
smtp_fail(const struct smtp_reply *rep, const char *at, char *err, size_t errsz)
{
	enum outbound_result res = smtp_code_result(rep->code);

	snprintf(err, errsz, "SMTP %s at %s: %s", res == OUTBOUND_PERMANENT ? "refused" : "failed",
	    at, rep->text);
	return res;
}

/* Whether m's envelope has a UTF-8 address (RFC 6531). */
static bool
smtp_msg_utf8(const struct outbound_msg *m)
{
	if (smtp_8bit(m->envelope_from))
		return true;
	for (size_t i = 0; i < m->nrcpts; i++)
		if (smtp_8bit(m->rcpts[i]))
			return true;
	return false;
}

/* smtp_mail_add: the MAIL command with its SIZE and SMTPUTF8 parameters, to o->out. */
static void
smtp_mail_add(struct smtp_out *o, const struct outbound_msg *m)
{
	buf_printf(&o->out, "MAIL FROM:<%s>", m->envelope_from);
	if (o->size_max > 0)
		buf_printf(&o->out, " SIZE=%zu", m->len);
	if (o->smtputf8 && smtp_msg_utf8(m))
		buf_adds(&o->out, " SMTPUTF8");
	buf_adds(&o->out, "\r\n");
}

/* smtp_envelope_add: MAIL, each RCPT and DATA, appended to o->out. */
static void
smtp_envelope_add(struct smtp_out *o, const struct outbound_msg *m)
{
	log_debug("smtp: >>> MAIL FROM:<%s>, %zu RCPT TO, DATA", m->envelope_from, m->nrcpts);
	smtp_mail_add(o, m);
	for (size_t i = 0; i < m->nrcpts; i++)
		buf_printf(&o->out, "RCPT TO:<%s>\r\n", m->rcpts[i]);
	buf_adds(&o->out, "DATA\r\n");
}

/* smtp_transaction: one message on an open connection. env_sent: its envelope went out
 * already, pipelined behind the previous message. next (may be NULL): a checked message
 * whose envelope may follow this one's data or RSET in the same write; *next_sent says
 * whether it did. *broken is set when the connection can no longer be trusted (and
 * then nothing of next counts as sent). *answered: some reply was read. */
static enum outbound_result
smtp_transaction(struct smtp_out *o, const struct outbound_msg *m, bool env_sent,
    const struct outbound_msg *next, bool *next_sent, bool *broken, bool *answered,
    char *err, size_t errsz)
{
	struct smtp_reply rep, worst = { 0, "" };
	enum outbound_result res = OUTBOUND_TRANSIENT;
	size_t i, accepted = 0, refused = 0, deferred = 0;
	bool pipe = o->pipelining, mail_ok, go;
	char cmd[300], scratch[128], gone[256] = "refused:";

	*broken = true;
	*answered = false;
	*next_sent = false;
	if (!pipe)
		next = NULL;
	/* MAIL, each RCPT and DATA: one write when pipelining, else one by one. */
	if (!env_sent) {
		buf_reset(&o->out);
		if (pipe)
			smtp_envelope_add(o, m);
		else
			smtp_mail_add(o, m);
		if (o->out.overflow || smtp_write(o, o->out.data, o->out.len, err, errsz) < 0)
			goto out;
	}
	if (smtp_reply_read(o, &rep, err, errsz) < 0)
		goto out;
	*answered = true;
	mail_ok = rep.code / 100 == 2;
	if (!mail_ok)
		worst = rep;
	for (i = 0; i < m->nrcpts && (pipe || mail_ok); i++) {
		if (!pipe) {
			snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", m->rcpts[i]);
			if (smtp_write(o, cmd, strlen(cmd), err, errsz) < 0)
				goto out;
		}
		if (smtp_reply_read(o, &rep, err, errsz) < 0)
			goto out;
		if (rep.code / 100 == 2) {
			accepted++;
			continue;
		}
		if (rep.code / 100 == 4)
			deferred++;
		else
			refused++;
		if (worst.code == 0 || rep.code / 100 == 4)
			worst = rep;
		if (!pipe && deferred)
			break;
		if (mail_ok)
			log_warnx("smtp: recipient %zu of %zu refused: %d", i + 1, m->nrcpts, rep.code);
		log_debug("smtp: recipient %s refused: %s", m->rcpts[i], rep.text);
		/* a 5xx to this RCPT: named to the outbox when the others get the mail */
		if (mail_ok && rep.code / 100 == 5 && strlen(gone) + strlen(m->rcpts[i]) + 8 < sizeof(gone))
			snprintf(gone + strlen(gone), sizeof(gone) - strlen(gone), "%s %s %d",
			    strlen(gone) > 8 ? "," : "", m->rcpts[i], rep.code);
	}
	/* All or nothing for a deferred recipient, so a retry never doubles the others. */
	go = mail_ok && accepted > 0 && deferred == 0;
	if (pipe || go) {
		if (!pipe && smtp_write(o, "DATA\r\n", 6, err, errsz) < 0)
			goto out;
		if (smtp_reply_read(o, &rep, err, errsz) < 0)
			goto out;
		if (rep.code == 354 && !go) {
			/* Committed to a message we must not send: only hanging up stops it. */
			res = smtp_fail(&worst, "RCPT", err, errsz);
			goto out;
		}
		if (rep.code != 354 && go) {
			go = false;
			worst = rep;
			if (rep.code == 421)
				goto refuse;
			res = smtp_fail(&rep, "DATA", err, errsz);
			goto reset;
		}
	}
	if (!go) {
		if (worst.code == 421)
			goto refuse;
		res = smtp_fail(&worst, mail_ok ? "RCPT" : "MAIL", err, errsz);
		goto reset;
	}
	if (smtp_body(o, m->raw, m->len) < 0) {
		snprintf(err, errsz, "message too large to send");
		goto out;
	}
	if (next)
		smtp_envelope_add(o, next);
	if (o->out.overflow || smtp_write(o, o->out.data, o->out.len, err, errsz) < 0 ||
	    smtp_reply_read(o, &rep, err, errsz) < 0)
		goto out;
	*next_sent = next != NULL;
	if (rep.code / 100 == 2) {
		res = OUTBOUND_SENT;
		*broken = false;
		snprintf(err, errsz, "%s", rep.text);   /* for the log: the relay's 250 */
		if (refused > 0) {
			log_warnx("smtp: sent to %zu of %zu recipients", accepted, m->nrcpts);
			snprintf(err, errsz, "%s", gone);
		}
		goto out;
	}
	res = smtp_fail(&rep, "end of data", err, errsz);
	*broken = rep.code == 421;
	goto out;
refuse:
	snprintf(err, errsz, "SMTP server is closing: %s", worst.text);
	res = OUTBOUND_TRANSIENT;
	goto out;
reset:
	buf_reset(&o->out);
	buf_adds(&o->out, "RSET\r\n");
	if (next)
		smtp_envelope_add(o, next);
	if (!o->out.overflow && smtp_write(o, o->out.data, o->out.len, scratch, sizeof(scratch)) == 0 &&
	    smtp_reply_read(o, &rep, scratch, sizeof(scratch)) == 0 && rep.code / 100 == 2) {
		*broken = false;
		*next_sent = next != NULL;
	}
out:
	if (*broken)
		*next_sent = false;
	return res;
}

/* smtp_check: a message that may be offered to any server; PERMANENT with err, or SENT. */
static enum outbound_result
smtp_check(const struct outbound_msg *m, char *err, size_t errsz)
{
	const char *why;
	size_t i;

	if (m->envelope_from == NULL || (*m->envelope_from && !smtp_addr_valid(m->envelope_from))) {
		snprintf(err, errsz, "invalid envelope sender");
		return OUTBOUND_PERMANENT;
	}
	if (m->nrcpts == 0 || m->nrcpts > SMTP_MAX_RCPTS) {
		snprintf(err, errsz, "%zu recipients (1 to %d allowed)", m->nrcpts, SMTP_MAX_RCPTS);
		return OUTBOUND_PERMANENT;
	}
	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i] == NULL || !smtp_addr_valid(m->rcpts[i])) {
			snprintf(err, errsz, "invalid recipient address #%zu", i + 1);
			return OUTBOUND_PERMANENT;
		}
	if ((why = smtp_msg_valid(m->raw, m->len)) != NULL) {
		snprintf(err, errsz, "%s", why);
		return OUTBOUND_PERMANENT;
	}
	return OUTBOUND_SENT;
}

/* smtp_size_ok: within the SIZE the connected server announced (if any), and a UTF-8
 * address only to a server that offers SMTPUTF8. */
static bool
smtp_size_ok(const struct smtp_out *o, const struct outbound_msg *m, char *err, size_t errsz)
{
	if (!o->smtputf8 && smtp_msg_utf8(m)) {
		snprintf(err, errsz, "a UTF-8 address (RFC 6531) and the server does not offer "
			 "SMTPUTF8");
		return false;
	}
	if (o->size_max == 0 || m->len <= o->size_max)
		return true;
	snprintf(err, errsz, "message of %zu bytes is over the server's SIZE %zu", m->len,
	    o->size_max);
	return false;
}

/* smtp_send_many: see outbound.h. A kept connection that died before answering is
 * dialled again, once: the server cannot have accepted anything on it. */
static size_t
smtp_send_many(void *h, const struct outbound_msg *msgs, size_t n,
    int (*done)(void *arg, size_t i, enum outbound_result r, const char *err), void *arg)
{
	struct smtp_out *o = h;
	bool env_sent = false, redialled = false;
	size_t i;

	for (i = 0; i < n; i++) {
		enum outbound_result r;
		const struct outbound_msg *next = NULL;
		bool next_sent = false, broken = false, answered = false, reused = false;
		char err[512], nerr[128];

again:
		err[0] = '\0';
		if (!env_sent) {
			if ((r = smtp_check(&msgs[i], err, sizeof(err))) != OUTBOUND_SENT)
				goto give;
			if (o->curl && !smtp_kept_usable(o))
				smtp_drop(o, true);
			reused = o->curl != NULL;
			if (o->curl == NULL && smtp_connect(o, err, sizeof(err)) < 0) {
				r = OUTBOUND_TRANSIENT;
				goto give;
			}
			if (!smtp_size_ok(o, &msgs[i], err, sizeof(err))) {
				r = OUTBOUND_PERMANENT;
				goto give;
			}
		}
		next = NULL;
		if (o->pipelining && i + 1 < n &&
		    smtp_check(&msgs[i + 1], nerr, sizeof(nerr)) == OUTBOUND_SENT &&
		    smtp_size_ok(o, &msgs[i + 1], nerr, sizeof(nerr)))
			next = &msgs[i + 1];
		r = smtp_transaction(o, &msgs[i], env_sent, next, &next_sent, &broken, &answered,
		    err, sizeof(err));
		if (broken)
			smtp_drop(o, true);
		else
			o->last_used = time(NULL);
		if (broken && !answered && reused && !redialled) {
			redialled = true;
			env_sent = false;
			goto again;
		}
give:
		env_sent = next_sent;
		if (done(arg, i, r, err) < 0) {
			i++;
			break;
		}
	}
	/* An envelope sent for a message that will not follow leaves the session unsure. */
	if (env_sent)
		smtp_drop(o, true);
	return i;
}

struct smtp_one {
	enum outbound_result r;
	char *err;
	size_t errsz;
};

static int
smtp_one_done(void *arg, size_t i, enum outbound_result r, const char *err)
{
	struct smtp_one *one = arg;

	one->r = r;
	snprintf(one->err, one->errsz, "%s", err);
	return 0;
}

static enum outbound_result
smtp_send(void *h, const char *envelope_from, const char *const *rcpts, size_t nrcpts,
    const char *msg, size_t len, char *err, size_t errsz)
{
	struct outbound_msg m = { envelope_from, rcpts, nrcpts, msg, len };
	struct smtp_one one = { OUTBOUND_TRANSIENT, err, errsz };

	smtp_send_many(h, &m, 1, smtp_one_done, &one);
	return one.r;
}

/* smtp_smtputf8: whether the relay offers SMTPUTF8, from its last EHLO (connecting when
 * no connection is kept); 1, 0, or -1 with err when it cannot be reached. */
static int
smtp_smtputf8(void *h, char *err, size_t errsz)
{
	struct smtp_out *o = h;

	if (o->curl && !smtp_kept_usable(o))
		smtp_drop(o, true);
	if (o->curl == NULL && smtp_connect(o, err, errsz) < 0)
		return -1;
	o->last_used = time(NULL);
	return o->smtputf8;
}

static void
smtp_close(void *h)
{
	struct smtp_out *o = h;

	if (o == NULL)
		return;
	smtp_drop(o, false);
	buf_free(&o->out);
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
	.send_many = smtp_send_many,
	.smtputf8 = smtp_smtputf8,
	.close = smtp_close,
};
