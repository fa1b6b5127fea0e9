/* inbound_imap.c: command mail from an IMAP mailbox, with libetpan.
 * open() dials (net.c: implicit TLS, STARTTLS, or plaintext to a loopback address only),
 * checks the server certificate itself before LOGIN (tls_verify.c; Debian's libetpan
 * checks nothing), logs in (LOGIN, or with imap_auth = oauth2 AUTHENTICATE OAUTHBEARER
 * when offered, else XOAUTH2, with a token from oauth2.c), selects the mailbox and loads UIDVALIDITY and the last processed UID through
 * store_state_*. next() finds new mail with UID SEARCH UID n:* and fetches it with
 * BODY.PEEK[] in batches, sizes first. done() sets \Seen and moves the message to the
 * done (or rejects) mailbox, then records its UID. erase() removes processed messages
 * (DELETE) from those mailboxes, found by Message-ID. wait() IDLEs or sleeps.
 * The handle owns everything it holds; an item's raw buffer passes to the caller, who
 * frees it with inbound_item_clear(). The password and tokens are never logged. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "conf.h"
#include "inbound.h"
#include "log.h"
#include "msg.h"
#include "net.h"
#include "oauth2.h"
#include "secret.h"
#include "store.h"
#include "tls_verify.h"
#include "util.h"

#define IMAP_DEFAULT_TIMEOUT    60
#define IMAP_DEFAULT_BATCH      50
#define IMAP_FETCH_BYTES        (16u * 1024 * 1024)   /* bodies asked for in one FETCH */
#define IMAP_PREFIX_BYTES       (64u * 1024)          /* kept of a message over MSG_MAX_SIZE */
#define IMAP_MAX_PENDING        1000000               /* UIDs kept from one SEARCH */
#define IMAP_SLICE_MS           250                   /* stop flag checked this often */

#define IMAP_AUTH_TAG           "ilnauth"     /* libetpan's own tags are numbers */

#define STATE_UIDVALIDITY       "imap.uidvalidity"
#define STATE_LAST_UID          "imap.last_uid"

enum imap_tls { IMAP_TLS_IMPLICIT, IMAP_TLS_STARTTLS, IMAP_TLS_NONE };

struct imap_msg {
	uint32_t uid;
	uint32_t size;          /* RFC822.SIZE */
	char *raw;
	size_t len;
	bool too_big;
	bool sized;             /* answered the size FETCH: still exists */
	bool have;              /* body arrived */
};

struct imap_in {
	const struct conf *c;
	struct store *st;
	mailimap *s;
	char *host;
	char *mailbox;
	char *done_mb;          /* "" = leave in place */
	char *rejects_mb;
	int timeout;            /* seconds */
	size_t batch;
	bool has_move, has_uidplus, has_idle;

	uint32_t uidvalidity;
	uint32_t last_done;     /* stored: every UID <= it is processed */
	uint32_t cursor;        /* highest UID looked at in this session */

	uint32_t *uids;         /* found by the last SEARCH, ascending, not yet fetched */
	size_t nuids, iuid;
	struct imap_msg *q;     /* fetched, not yet handed out */
	size_t nq, iq;
};

/* imap_why: a one-line reason for a libetpan failure, with the server's text if any. */
static void
imap_why(struct imap_in *h, const char *what, int r, char *err, size_t errsz)
{
	char text[200] = "";
	const char *resp = h->s ? h->s->imap_response : NULL;
	size_t i;

	if (resp) {
		for (i = 0; resp[i] && i < sizeof(text) - 1; i++)
			text[i] = (resp[i] >= 0x20 && resp[i] < 0x7f) ? resp[i] : '?';
		text[i] = '\0';
	}
	snprintf(err, errsz, "IMAP %s failed (libetpan error %d)%s%s", what, r,
	    text[0] ? ": " : "", text);
}

/* imap_send: a whole line of our own to the server. 0, or -1 with err set. */
static int
imap_send(struct imap_in *h, const char *line, char *err, size_t errsz)
{
	size_t len = strlen(line);

	if (mailstream_write(h->s->imap_stream, line, len) != (ssize_t)len ||
	    mailstream_flush(h->s->imap_stream) == -1) {
		snprintf(err, errsz, "IMAP connection lost during AUTHENTICATE");
		return -1;
	}
	return 0;
}

/* imap_oauthbearer: AUTHENTICATE OAUTHBEARER (RFC 7628), which libetpan lacks, spoken
 * here: the response inline with SASL-IR, else after the server's empty challenge; a
 * challenge after the response carries the server's error, answered with ^A as section
 * 3.2.3 says. Then the session is authenticated for libetpan. 0, or -1 with err set. */
static int
imap_oauthbearer(struct imap_in *h, int port, const char *token, char *err, size_t errsz)
{
	size_t len, taglen = strlen(IMAP_AUTH_TAG);
	char *sasl = oauth2_sasl_oauthbearer(h->c->imap_user, h->host, port, token, &len);
	char *b64 = oauth2_base64(sasl, len);
	bool answered = mailimap_has_extension(h->s, "SASL-IR");
	char *cmd = xasprintf("%s AUTHENTICATE OAUTHBEARER%s%s\r\n", IMAP_AUTH_TAG,
			      answered ? " " : "", answered ? b64 : "");
	int rc = -1;

	if (imap_send(h, cmd, err, errsz) < 0)
		goto out;
	for (int i = 0; i < 100; i++) {
		char *line = mailimap_read_line(h->s), text[200];
		size_t n = 0;

		if (line == NULL) {
			snprintf(err, errsz, "IMAP connection lost during AUTHENTICATE");
			goto out;
		}
		if (line[0] == '+') {
			secret_free(cmd);
			cmd = answered ? xstrdup("AQ==\r\n") : xasprintf("%s\r\n", b64);
			answered = true;
			if (imap_send(h, cmd, err, errsz) < 0)
				goto out;
			continue;
		}
		if (strncmp(line, "* ", 2) == 0)
			continue;
		for (const char *p = line; *p && *p != '\r' && *p != '\n' && n + 1 < sizeof(text); p++)
			text[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
		text[n] = '\0';
		if (strncmp(line, IMAP_AUTH_TAG " ", taglen + 1) != 0) {
			snprintf(err, errsz, "IMAP AUTHENTICATE OAUTHBEARER: unexpected answer: %s",
				 text);
			goto out;
		}
		if (strncasecmp(line + taglen + 1, "OK", 2) != 0) {
			snprintf(err, errsz, "IMAP AUTHENTICATE OAUTHBEARER refused: %s",
				 text + taglen + 1);
			goto out;
		}
		h->s->imap_state = MAILIMAP_STATE_AUTHENTICATED;
		rc = 0;
		goto out;
	}
	snprintf(err, errsz, "IMAP AUTHENTICATE OAUTHBEARER: no end to the server's answer");
out:
	secret_free(cmd);
	secret_free(b64);
	secret_free(sasl);
	return rc;
}

/* imap_oauth2: log in with an OAuth2 token: OAUTHBEARER when the server offers it, else
 * XOAUTH2 (libetpan's, which Microsoft 365 and Gmail speak). A token the server refused
 * is forgotten, so the next attempt gets a new one. 0, or -1 with err set. */
static int
imap_oauth2(struct imap_in *h, int port, char *err, size_t errsz)
{
	bool bearer = mailimap_has_authentication(h->s, "OAUTHBEARER");
	char *token = NULL;
	int r, rc = -1;

	if (!bearer && !mailimap_has_authentication(h->s, "XOAUTH2")) {
		snprintf(err, errsz, "%s offers neither AUTH=OAUTHBEARER nor AUTH=XOAUTH2 "
			 "(imap_auth = oauth2)", h->host);
		return -1;
	}
	if (oauth2_token(h->c, h->timeout, &token, err, errsz) != OAUTH2_OK)
		return -1;
	log_debug("imap: AUTHENTICATE %s %s", bearer ? "OAUTHBEARER" : "XOAUTH2",
		  h->c->imap_user);
	if (bearer) {
		rc = imap_oauthbearer(h, port, token, err, errsz);
	} else if ((r = mailimap_oauth2_authenticate(h->s, h->c->imap_user, token)) ==
		   MAILIMAP_NO_ERROR) {
		rc = 0;
	} else {
		imap_why(h, "AUTHENTICATE XOAUTH2", r, err, errsz);
	}
	if (rc < 0)
		oauth2_forget(token);
	secret_free(token);
	return rc;
}

static bool
imap_ok(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	    r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

static bool
imap_name_valid(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || strlen(s) > 200)
		return false;
	for (p = s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '*' || *p == '%' || *p == '"' || *p == '\\')
			return false;
	return true;
}

/* SNI, for names only (RFC 6066 forbids IP literals). */
static void
imap_tls_cb(struct mailstream_ssl_context *ctx, void *data)
{
	char *host = data;

	if (!tls_host_is_ip(host))
		mailstream_ssl_set_server_name(ctx, host);
}

/* imap_cert_verify: the peer's chain, taken from the stream, checked by tls_verify_chain(). */
static int
imap_cert_verify(mailstream *stream, const char *host, const char *ca_file,
    char *err, size_t errsz)
{
	carray *chain = mailstream_get_certificate_chain(stream);
	gnutls_datum_t *der;
	size_t i, n = chain ? carray_count(chain) : 0;
	int rc;

	der = xcalloc(n + 1, sizeof(*der));
	for (i = 0; i < n; i++) {
		MMAPString *m = carray_get(chain, (unsigned int)i);

		der[i].data = (unsigned char *)m->str;
		der[i].size = (unsigned int)m->len;
	}
	rc = tls_verify_chain(der, n, host, ca_file, err, errsz);
	free(der);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return rc;
}

/* imap_caps_refresh: ask CAPABILITY again; cached ones may predate TLS or LOGIN. */
static int
imap_caps_refresh(struct imap_in *h, char *err, size_t errsz)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	if ((r = mailimap_capability(h->s, &cap)) != MAILIMAP_NO_ERROR) {
		imap_why(h, "CAPABILITY", r, err, errsz);
		return -1;
	}
	mailimap_capability_data_free(cap);
	h->has_move = mailimap_has_extension(h->s, "MOVE");
	h->has_uidplus = mailimap_has_uidplus(h->s);
	h->has_idle = mailimap_has_idle(h->s);
	return 0;
}

/* imap_mailbox_exists: 1, 0, or -1 on error. */
static int
imap_mailbox_exists(struct imap_in *h, const char *mb, char *err, size_t errsz)
{
	clist *list = NULL;
	int r, found;

	r = mailimap_list(h->s, "", mb, &list);
	if (r != MAILIMAP_NO_ERROR) {
		imap_why(h, "LIST", r, err, errsz);
		return -1;
	}
	found = list != NULL && clist_count(list) > 0;
	if (list)
		mailimap_list_result_free(list);
	return found;
}

/* imap_mailbox_ensure: CREATE when missing; a racing "already exists" is fine. */
static int
imap_mailbox_ensure(struct imap_in *h, const char *mb, char *err, size_t errsz)
{
	int r;

	if (*mb == '\0')
		return 0;
	if ((r = imap_mailbox_exists(h, mb, err, errsz)) != 0)
		return r == 1 ? 0 : -1;
	r = mailimap_create(h->s, mb);
	if (r == MAILIMAP_NO_ERROR)
		return 0;
	if (r == MAILIMAP_ERROR_STREAM) {
		imap_why(h, "CREATE", r, err, errsz);
		return -1;
	}
	if (imap_mailbox_exists(h, mb, err, errsz) == 1)
		return 0;
	imap_why(h, "CREATE", r, err, errsz);
	return -1;
}

static int
imap_state_load(struct imap_in *h, char *err, size_t errsz)
{
	char *val = NULL, buf[16];
	unsigned long v;
	int rc = -1;

	h->uidvalidity = h->s->imap_selection_info->sel_uidvalidity;
	if (store_state_get(h->st, STATE_UIDVALIDITY, &val) == -1) {
		snprintf(err, errsz, "cannot read IMAP state from the store");
		goto out;
	}
	if (val && strtoul(val, NULL, 10) == h->uidvalidity) {
		free(val);
		val = NULL;
		if (store_state_get(h->st, STATE_LAST_UID, &val) == -1) {
			snprintf(err, errsz, "cannot read IMAP state from the store");
			goto out;
		}
		v = val ? strtoul(val, NULL, 10) : 0;
		h->last_done = v > UINT32_MAX ? 0 : (uint32_t)v;
	} else {
		if (val)
			log_warnx("imap: UIDVALIDITY of %s changed (%s -> %" PRIu32 "): reading it again from the start",
			    h->mailbox, val, h->uidvalidity);
		h->last_done = 0;
		snprintf(buf, sizeof(buf), "%" PRIu32, h->uidvalidity);
		if (store_state_set(h->st, STATE_LAST_UID, "0") == -1 ||
		    store_state_set(h->st, STATE_UIDVALIDITY, buf) == -1) {
			snprintf(err, errsz, "cannot write IMAP state to the store");
			goto out;
		}
	}
	h->cursor = h->last_done;
	rc = 0;
out:
	free(val);
	return rc;
}

static void imap_close(void *vh);

static void *
imap_open(const struct conf *c, struct store *st, char *err, size_t errsz)
{
	struct imap_in *h = xcalloc(1, sizeof(*h));
	const char *mode = c->imap_tls ? c->imap_tls : "implicit";
	char *password = NULL;
	bool oauth2 = c->imap_auth && strcmp(c->imap_auth, "oauth2") == 0;
	const char *ca_file = tls_ca_file(c->imap_ca_file);
	mailstream *stream = NULL;
	enum imap_tls tls;
	int port = c->imap_port, fd = -1, r;

	h->c = c;
	h->st = st;
	if (strcmp(mode, "implicit") == 0)
		tls = IMAP_TLS_IMPLICIT;
	else if (strcmp(mode, "starttls") == 0)
		tls = IMAP_TLS_STARTTLS;
	else if (strcmp(mode, "none") == 0)
		tls = IMAP_TLS_NONE;
	else {
		snprintf(err, errsz, "imap_tls must be implicit, starttls or none");
		goto fail;
	}
	if (c->imap_host == NULL || *c->imap_host == '\0' || strlen(c->imap_host) > 253) {
		snprintf(err, errsz, "imap_host is not set");
		goto fail;
	}
	if (port == 0)
		port = tls == IMAP_TLS_IMPLICIT ? 993 : 143;
	if (port < 1 || port > 65535) {
		snprintf(err, errsz, "imap_port out of range");
		goto fail;
	}
	if (c->imap_user == NULL || *c->imap_user == '\0' || strpbrk(c->imap_user, "\r\n")) {
		snprintf(err, errsz, "imap_user is not set or holds a line break");
		goto fail;
	}
	h->host = xstrdup(c->imap_host);
	h->mailbox = xstrdup(c->imap_mailbox && *c->imap_mailbox ? c->imap_mailbox : "INBOX");
	h->done_mb = xstrdup(c->imap_done_mailbox ? c->imap_done_mailbox : "");
	h->rejects_mb = xstrdup(c->imap_rejects_mailbox ? c->imap_rejects_mailbox : "");
	if (!imap_name_valid(h->mailbox) || (*h->done_mb && !imap_name_valid(h->done_mb)) ||
	    (*h->rejects_mb && !imap_name_valid(h->rejects_mb))) {
		snprintf(err, errsz, "IMAP mailbox names must be printable ASCII without * %% \" \\");
		goto fail;
	}
	h->timeout = c->imap_timeout_seconds > 0 ? c->imap_timeout_seconds : IMAP_DEFAULT_TIMEOUT;
	h->batch = c->imap_batch > 0 ? (size_t)c->imap_batch : IMAP_DEFAULT_BATCH;
	if (h->batch > IMAP_MAX_BATCH)
		h->batch = IMAP_MAX_BATCH;
	if (!oauth2 && secret_file_read(c->imap_password_file, &password, err, errsz) == -1)
		goto fail;

	if ((h->s = mailimap_new(0, NULL)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	mailimap_set_timeout(h->s, h->timeout);
	if ((fd = net_dial(h->host, port, h->timeout, tls == IMAP_TLS_NONE ? "imap_tls = none" : NULL,
	    err, errsz)) == -1)
		goto fail;
	if (tls == IMAP_TLS_IMPLICIT) {
		stream = mailstream_ssl_open_with_callback_timeout(fd, h->timeout, imap_tls_cb, h->host);
		if (stream == NULL) {
			snprintf(err, errsz, "%s:%d: TLS handshake failed", h->host, port);
			goto fail;
		}
		fd = -1;
		if (imap_cert_verify(stream, h->host, ca_file, err, errsz) == -1)
			goto fail;
	} else {
		if ((stream = mailstream_socket_open_timeout(fd, h->timeout)) == NULL) {
			snprintf(err, errsz, "out of memory");
			goto fail;
		}
		fd = -1;
	}
	log_debug("imap: connected to %s:%d (%s)", h->host, c->imap_port, c->imap_tls);
	r = mailimap_connect(h->s, stream);
	stream = NULL;                  /* the session owns it now, even on failure */
	if (!imap_ok(r)) {
		imap_why(h, "greeting", r, err, errsz);
		goto fail;
	}
	if (r == MAILIMAP_NO_ERROR_AUTHENTICATED) {
		snprintf(err, errsz, "server greeted with PREAUTH; refusing an unverified session");
		goto fail;
	}
	if (tls == IMAP_TLS_STARTTLS) {
		r = mailimap_socket_starttls_with_callback(h->s, imap_tls_cb, h->host);
		if (r != MAILIMAP_NO_ERROR) {
			imap_why(h, "STARTTLS", r, err, errsz);
			goto fail;
		}
		if (imap_cert_verify(h->s->imap_stream, h->host, ca_file, err, errsz) == -1)
			goto fail;
	}
	if (imap_caps_refresh(h, err, errsz) == -1)
		goto fail;
	if (oauth2) {
		if (imap_oauth2(h, port, err, errsz) == -1)
			goto fail;
	} else {
		log_debug("imap: LOGIN %s", c->imap_user);
		r = mailimap_login(h->s, c->imap_user, password);
		if (r != MAILIMAP_NO_ERROR) {
			imap_why(h, "LOGIN", r, err, errsz);
			goto fail;
		}
	}
	if (imap_caps_refresh(h, err, errsz) == -1)
		goto fail;
	if (imap_mailbox_ensure(h, h->done_mb, err, errsz) == -1 ||
	    imap_mailbox_ensure(h, h->rejects_mb, err, errsz) == -1)
		goto fail;
	log_debug("imap: SELECT %s", h->mailbox);
	r = mailimap_select(h->s, h->mailbox);
	if (r != MAILIMAP_NO_ERROR || h->s->imap_selection_info == NULL) {
		imap_why(h, "SELECT", r, err, errsz);
		goto fail;
	}
	if (imap_state_load(h, err, errsz) == -1)
		goto fail;
	secret_free(password);
	log_info("imap: %s@%s: %s selected, UIDVALIDITY %" PRIu32 ", last UID %" PRIu32 "%s%s%s",
	    c->imap_user, h->host, h->mailbox, h->uidvalidity, h->last_done,
	    h->has_idle ? ", IDLE" : "", h->has_move ? ", MOVE" : "",
	    h->has_uidplus ? ", UIDPLUS" : "");
	return h;
fail:
	if (fd != -1)
		close(fd);
	if (stream)
		mailstream_close(stream);
	secret_free(password);
	imap_close(h);
	return NULL;
}

static int
imap_uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* imap_search: UIDs above the cursor, ascending and unique, into h->uids. */
static int
imap_search(struct imap_in *h, char *err, size_t errsz)
{
	struct mailimap_search_key *key;
	clist *res = NULL;
	clistiter *it;
	size_t n = 0, i, j;
	int r;

	free(h->uids);
	h->uids = NULL;
	h->nuids = h->iuid = 0;
	if (h->cursor == UINT32_MAX)
		return 0;
	key = mailimap_search_key_new_uid(mailimap_set_new_interval(h->cursor + 1, 0));
	r = mailimap_uid_search(h->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		imap_why(h, "UID SEARCH", r, err, errsz);
		return -1;
	}
	if (res == NULL)
		return 0;
	h->uids = xcalloc(clist_count(res) + 1, sizeof(*h->uids));
	for (it = clist_begin(res); it && n < IMAP_MAX_PENDING; it = clist_next(it)) {
		uint32_t *u = clist_content(it);

		/* "n:*" always matches the last message, even below n. */
		if (u && *u > h->cursor)
			h->uids[n++] = *u;
	}
	mailimap_search_result_free(res);
	log_debug("imap: UID SEARCH UID %lu:* found %zu new", (unsigned long)h->cursor + 1, n);
	qsort(h->uids, n, sizeof(*h->uids), imap_uid_cmp);
	for (i = j = 0; i < n; i++)
		if (j == 0 || h->uids[j - 1] != h->uids[i])
			h->uids[j++] = h->uids[i];
	h->nuids = j;
	return 0;
}

static struct imap_msg *
imap_q_find(struct imap_in *h, uint32_t uid)
{
	size_t i;

	for (i = h->iq; i < h->nq; i++)
		if (h->q[i].uid == uid)
			return &h->q[i];
	return NULL;
}

/* imap_att_read: the UID, size and body section of one FETCH response. */
static void
imap_att_read(struct mailimap_msg_att *att, uint32_t *uid, uint32_t *size, bool *have_size,
    const char **body, size_t *blen, bool *have_body)
{
	clistiter *it;

	*uid = 0;
	*have_size = *have_body = false;
	*body = NULL;
	*blen = 0;
	for (it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *s;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		s = item->att_data.att_static;
		switch (s->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			*uid = s->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			*size = s->att_data.att_rfc822_size;
			*have_size = true;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (s->att_data.att_body_section) {
				*body = s->att_data.att_body_section->sec_body_part;
				*blen = s->att_data.att_body_section->sec_length;
				*have_body = true;
			}
			break;
		default:
			break;
		}
	}
}

/* imap_fetch: one UID FETCH of the queued messages q[from..to) that want a body
 * (prefix = the too-big ones, which get only their first bytes), or their sizes. */
static int
imap_fetch(struct imap_in *h, size_t from, size_t to, int what, char *err, size_t errsz)
{
	enum { FETCH_SIZE, FETCH_BODY, FETCH_PREFIX };
	struct mailimap_set *set = mailimap_set_new_empty();
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	clist *res = NULL;
	clistiter *it;
	size_t i, count = 0;
	int r, rc = -1;

	for (i = from; i < to; i++) {
		if (what != FETCH_SIZE && (!h->q[i].sized || h->q[i].have))
			continue;
		if (what == FETCH_BODY && h->q[i].too_big)
			continue;
		if (what == FETCH_PREFIX && !h->q[i].too_big)
			continue;
		mailimap_set_add_single(set, h->q[i].uid);
		count++;
	}
	if (count == 0) {
		rc = 0;
		goto out;
	}
	mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid());
	if (what == FETCH_SIZE)
		mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size());
	else if (what == FETCH_BODY)
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)));
	else
		mailimap_fetch_type_new_fetch_att_list_add(ft,
		    mailimap_fetch_att_new_body_peek_section_partial(mailimap_section_new(NULL),
		    0, IMAP_PREFIX_BYTES));
	log_debug("imap: UID FETCH of %zu messages", count);
	r = mailimap_uid_fetch(h->s, set, ft, &res);
	if (r != MAILIMAP_NO_ERROR) {
		imap_why(h, "UID FETCH", r, err, errsz);
		goto out;
	}
	for (it = res ? clist_begin(res) : NULL; it; it = clist_next(it)) {
		struct imap_msg *m;
		const char *body;
		size_t blen;
		uint32_t uid, size = 0;
		bool have_size, have_body;

		imap_att_read(clist_content(it), &uid, &size, &have_size, &body, &blen, &have_body);
		/* Unsolicited FETCH responses (flag changes, other UIDs) are ignored. */
		if (uid == 0 || (m = imap_q_find(h, uid)) == NULL || m < h->q + from || m >= h->q + to)
			continue;
		if (what == FETCH_SIZE) {
			if (have_size) {
				m->sized = true;
				m->size = size;
				m->too_big = size > MSG_MAX_SIZE;
			}
			continue;
		}
		if (!have_body || m->have)
			continue;
		if (what == FETCH_PREFIX && blen > IMAP_PREFIX_BYTES)
			blen = IMAP_PREFIX_BYTES;
		if (blen > MSG_MAX_SIZE) {
			/* The server's RFC822.SIZE was wrong; keep a prefix only. */
			blen = IMAP_PREFIX_BYTES;
			m->too_big = true;
		}
		m->raw = xmalloc(blen + 1);
		if (blen)
			memcpy(m->raw, body ? body : "", blen);
		m->raw[blen] = '\0';
		m->len = blen;
		m->have = true;
	}
	rc = 0;
out:
	if (res)
		mailimap_fetch_list_free(res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	return rc;
}

static void
imap_q_clear(struct imap_in *h)
{
	size_t i;

	for (i = h->iq; i < h->nq; i++)
		free(h->q[i].raw);
	free(h->q);
	h->q = NULL;
	h->nq = h->iq = 0;
}

/* imap_refill: fetch the next batch of searched UIDs into the queue. */
static int
imap_refill(struct imap_in *h, char *err, size_t errsz)
{
	size_t n, i, j, from;
	uint64_t bytes;

	imap_q_clear(h);
	n = h->nuids - h->iuid;
	if (n > h->batch)
		n = h->batch;
	h->q = xcalloc(n, sizeof(*h->q));
	for (i = 0; i < n; i++)
		h->q[i].uid = h->uids[h->iuid + i];
	h->nq = n;
	h->iuid += n;
	if (imap_fetch(h, 0, n, 0, err, errsz) == -1)
		return -1;
	/* Bodies in groups that stay under IMAP_FETCH_BYTES (at least one message each). */
	for (from = 0; from < n; from = j) {
		bytes = 0;
		for (j = from; j < n; j++) {
			if (h->q[j].too_big || !h->q[j].sized)
				continue;
			if (j > from && bytes + h->q[j].size > IMAP_FETCH_BYTES)
				break;
			bytes += h->q[j].size;
		}
		if (imap_fetch(h, from, j, 1, err, errsz) == -1)
			return -1;
	}
	if (imap_fetch(h, 0, n, 2, err, errsz) == -1)
		return -1;
	if (n > 0)
		h->cursor = h->q[n - 1].uid;
	return 0;
}

static int
imap_next(void *vh, struct inbound_item *item, char *err, size_t errsz)
{
	struct imap_in *h = vh;
	struct imap_msg *m;

	memset(item, 0, sizeof(*item));
	for (;;) {
		while (h->iq < h->nq) {
			m = &h->q[h->iq++];
			if (!m->have)
				continue;       /* expunged meanwhile */
			item->id = xasprintf("%" PRIu32 "/%" PRIu32, h->uidvalidity, m->uid);
			item->raw = m->raw;
			item->len = m->len;
			item->too_big = m->too_big;
			m->raw = NULL;
			return 1;
		}
		if (h->iuid >= h->nuids) {
			if (imap_search(h, err, errsz) == -1)
				return -1;
			if (h->nuids == 0)
				return 0;
		}
		if (imap_refill(h, err, errsz) == -1)
			return -1;
	}
}

static int
imap_flag_add(struct imap_in *h, struct mailimap_set *set, struct mailimap_flag *flag,
    char *err, size_t errsz)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa;
	int r;

	mailimap_flag_list_add(fl, flag);
	sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	r = mailimap_uid_store(h->s, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR) {
		imap_why(h, "UID STORE", r, err, errsz);
		return -1;
	}
	return 0;
}

/* imap_uid_of: the UID of an item id "UIDVALIDITY/UID" of this session, or 0 (err set). */
static uint32_t
imap_uid_of(struct imap_in *h, const char *id, char *err, size_t errsz)
{
	unsigned long v, u;
	char *end;

	errno = 0;
	v = strtoul(id, &end, 10);
	u = *end == '/' ? strtoul(end + 1, &end, 10) : 0;
	if (errno || *end != '\0' || u == 0 || u > UINT32_MAX) {
		snprintf(err, errsz, "not an IMAP item id: %.40s", id);
		return 0;
	}
	if (v != h->uidvalidity) {
		snprintf(err, errsz, "UIDVALIDITY changed since %s was fetched", id);
		return 0;
	}
	return (uint32_t)u;
}

/* imap_mark: \Seen on every UID of set, then into target (MOVE, or COPY + \Deleted +
 * UID EXPUNGE; never a plain EXPUNGE: it would remove what others flagged). */
static int
imap_mark(struct imap_in *h, struct mailimap_set *set, const char *target, char *err,
	  size_t errsz)
{
	int r;

	if (imap_flag_add(h, set, mailimap_flag_new_seen(), err, errsz) == -1)
		return -1;
	if (*target == '\0')
		return 0;
	if (h->has_move) {
		if ((r = mailimap_uid_move(h->s, set, target)) != MAILIMAP_NO_ERROR) {
			imap_why(h, "UID MOVE", r, err, errsz);
			return -1;
		}
		return 0;
	}
	if ((r = mailimap_uid_copy(h->s, set, target)) != MAILIMAP_NO_ERROR) {
		imap_why(h, "UID COPY", r, err, errsz);
		return -1;
	}
	if (imap_flag_add(h, set, mailimap_flag_new_deleted(), err, errsz) == -1)
		return -1;
	if (h->has_uidplus && (r = mailimap_uid_expunge(h->s, set)) != MAILIMAP_NO_ERROR) {
		imap_why(h, "UID EXPUNGE", r, err, errsz);
		return -1;
	}
	return 0;
}

static int
imap_last_done(struct imap_in *h, uint32_t u, char *err, size_t errsz)
{
	char buf[16];

	if (u <= h->last_done)
		return 0;
	snprintf(buf, sizeof(buf), "%lu", (unsigned long)u);
	if (store_state_set(h->st, STATE_LAST_UID, buf) == -1) {
		snprintf(err, errsz, "cannot record IMAP UID %lu in the store", (unsigned long)u);
		return -1;
	}
	h->last_done = u;
	return 0;
}

static int
imap_done(void *vh, const struct inbound_item *it, bool rejected, char *err, size_t errsz)
{
	struct imap_in *h = vh;
	struct mailimap_set *set;
	uint32_t u = imap_uid_of(h, it->id, err, errsz);
	int rc;

	if (u == 0)
		return -1;
	set = mailimap_set_new_single(u);
	rc = imap_mark(h, set, rejected ? h->rejects_mb : h->done_mb, err, errsz);
	mailimap_set_free(set);
	if (rc == 0)
		rc = imap_last_done(h, u, err, errsz);
	return rc;
}

/* A committed batch: one STORE and one MOVE per target for all of it, and the last UID
 * recorded once, instead of a round trip and an fsync per message. */
static int
imap_done_many(void *vh, const struct inbound_item *items, const bool *rejected, size_t n,
	       char *err, size_t errsz)
{
	struct imap_in *h = vh;
	struct mailimap_set *sets[2] = { mailimap_set_new_empty(), mailimap_set_new_empty() };
	size_t count[2] = { 0, 0 };
	uint32_t max = 0;
	int rc = -1;

	for (size_t i = 0; i < n; i++) {
		uint32_t u = imap_uid_of(h, items[i].id, err, errsz);

		if (u == 0)
			goto out;
		mailimap_set_add_single(sets[rejected[i] ? 1 : 0], u);
		count[rejected[i] ? 1 : 0]++;
		if (u > max)
			max = u;
	}
	if ((count[0] && imap_mark(h, sets[0], h->done_mb, err, errsz) < 0) ||
	    (count[1] && imap_mark(h, sets[1], h->rejects_mb, err, errsz) < 0))
		goto out;
	rc = imap_last_done(h, max, err, errsz);
out:
	mailimap_set_free(sets[0]);
	mailimap_set_free(sets[1]);
	return rc;
}

/* imap_erase_in: in mailbox mb, every message whose Message-ID header holds one of the
 * items' is flagged \Deleted and expunged (by UID with UIDPLUS; a plain EXPUNGE only in
 * the done and rejects mailboxes, which are ours alone). */
static int
imap_erase_in(struct imap_in *h, const char *mb, const struct erase_item *items, size_t n,
	      char *err, size_t errsz)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t found = 0;
	int r, rc = -1;

	if ((r = mailimap_select(h->s, mb)) != MAILIMAP_NO_ERROR) {
		imap_why(h, "SELECT", r, err, errsz);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct mailimap_search_key *key;
		clist *res = NULL;
		const char *mid = items[i].message_id;

		if (mid == NULL || *mid == '\0' || strlen(mid) > 998)
			continue;
		key = mailimap_search_key_new_header(xstrdup("Message-ID"), xstrdup(mid));
		r = mailimap_uid_search(h->s, NULL, key, &res);
		mailimap_search_key_free(key);
		if (r != MAILIMAP_NO_ERROR) {
			imap_why(h, "UID SEARCH", r, err, errsz);
			goto out;
		}
		for (clistiter *it = res ? clist_begin(res) : NULL; it; it = clist_next(it)) {
			uint32_t *u = clist_content(it);

			mailimap_set_add_single(set, *u);
			found++;
		}
		if (res)
			mailimap_search_result_free(res);
	}
	if (found > 0) {
		bool ours = strcmp(mb, h->mailbox) != 0;

		if (!h->has_uidplus && !ours) {
			rc = 0;         /* left in the shared inbox rather than expunge others' */
			goto out;
		}
		if (imap_flag_add(h, set, mailimap_flag_new_deleted(), err, errsz) == -1)
			goto out;
		r = h->has_uidplus ? mailimap_uid_expunge(h->s, set) : mailimap_expunge(h->s);
		if (r != MAILIMAP_NO_ERROR) {
			imap_why(h, "EXPUNGE", r, err, errsz);
			goto out;
		}
	}
	rc = 0;
out:
	mailimap_set_free(set);
	return rc;
}

/* erase: processed messages are in the done and rejects mailboxes (or, with no done
 * mailbox, still in the inbox): found there by Message-ID. The inbox is selected again
 * afterwards, so fetching goes on where it was. */
static int
imap_erase(void *vh, const struct erase_item *items, size_t n, char *err, size_t errsz)
{
	struct imap_in *h = vh;
	const char *mbs[2] = { *h->done_mb ? h->done_mb : h->mailbox, h->rejects_mb };
	int r, rc = 0;

	for (size_t i = 0; i < 2 && rc == 0; i++)
		if (*mbs[i] && (i == 0 || strcmp(mbs[1], mbs[0]) != 0))
			rc = imap_erase_in(h, mbs[i], items, n, err, errsz);
	r = mailimap_select(h->s, h->mailbox);
	if (r != MAILIMAP_NO_ERROR || h->s->imap_selection_info == NULL) {
		if (rc == 0)
			imap_why(h, "SELECT", r, err, errsz);
		return -1;
	}
	if (h->s->imap_selection_info->sel_uidvalidity != h->uidvalidity) {
		snprintf(err, errsz, "UIDVALIDITY of %s changed", h->mailbox);
		return -1;
	}
	return rc;
}

static int
imap_wait(void *vh, int timeout_ms, volatile int *stop)
{
	struct imap_in *h = vh;
	struct timespec end;
	struct pollfd pfd;
	long left, slice, idle_max;
	int fd, r;

	if (h->iq < h->nq || h->iuid < h->nuids)
		return 0;                       /* work already waiting */
	if (!h->has_idle) {
		net_deadline(&end, timeout_ms);
		while (!*stop && (left = net_ms_left(&end)) > 0) {
			slice = left < IMAP_SLICE_MS ? left : IMAP_SLICE_MS;
			poll(NULL, 0, (int)slice);
		}
		return 0;
	}
	/* RFC 2177: end IDLE before 29 minutes. */
	idle_max = mailimap_idle_get_done_delay(h->s) * 1000L;
	if (idle_max <= 0 || idle_max > timeout_ms)
		idle_max = timeout_ms;
	net_deadline(&end, idle_max);
	if ((r = mailimap_idle(h->s)) != MAILIMAP_NO_ERROR) {
		log_warnx("imap: IDLE failed (libetpan error %d)", r);
		return -1;
	}
	fd = mailimap_idle_get_fd(h->s);
	while (!*stop && (left = net_ms_left(&end)) > 0) {
		/* Bytes libetpan already buffered never wake poll(). */
		if (h->s->imap_stream->read_buffer_len > 0)
			break;
		slice = left < IMAP_SLICE_MS ? left : IMAP_SLICE_MS;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)slice);
		if (r > 0 || (r == -1 && errno != EINTR))
			break;
	}
	if ((r = mailimap_idle_done(h->s)) != MAILIMAP_NO_ERROR) {
		log_warnx("imap: ending IDLE failed (libetpan error %d)", r);
		return -1;
	}
	return 0;
}

static void
imap_close(void *vh)
{
	struct imap_in *h = vh;

	if (h == NULL)
		return;
	if (h->s) {
		if (h->s->imap_stream && (h->s->imap_state == MAILIMAP_STATE_AUTHENTICATED ||
		    h->s->imap_state == MAILIMAP_STATE_SELECTED)) {
			/* LOGOUT is a courtesy: never wait long for it. */
			mailstream_low_set_timeout(mailstream_get_low(h->s->imap_stream),
			    h->timeout < 5 ? h->timeout : 5);
			mailimap_logout(h->s);
		} else if (h->s->imap_stream) {
			/* Not logged in (or the dialogue went wrong): just hang up. */
			mailstream_close(h->s->imap_stream);
			h->s->imap_stream = NULL;
		}
		mailimap_free(h->s);
	}
	imap_q_clear(h);
	free(h->uids);
	free(h->host);
	free(h->mailbox);
	free(h->done_mb);
	free(h->rejects_mb);
	free(h);
}

const struct inbound_ops inbound_imap_ops = {
	.name = "imap",
	.open = imap_open,
	.next = imap_next,
	.done = imap_done,
	.done_many = imap_done_many,
	.erase = imap_erase,
	.wait = imap_wait,
	.close = imap_close,
};
