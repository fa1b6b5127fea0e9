/* outbound_maildir.c: ilnbot's mail written to a local Maildir, each message complete
 * as SMTP would carry it (its recipients are its To and Cc), by maildir_deliver(), with
 * the envelope sender first as a final delivery writes it: "Return-Path: <VERP>". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "maildir.h"
#include "outbound.h"
#include "util.h"

static void *
omd_open(const struct conf *c, char *err, size_t errsz)
{
	if (maildir_make(c->out_maildir) < 0) {
		snprintf(err, errsz, "%s: %s", c->out_maildir, strerror(errno));
		return NULL;
	}
	return xstrdup(c->out_maildir);
}

/* The file name comes from the message's Message-ID, so a mail sent again after a
 * crash replaces nothing and doubles nothing. */
static char *
omd_name(const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;
	uint64_t h = 1469598103934665603ULL;

	while (p < end && !(p[0] == '\r' && p + 1 < end && p[1] == '\n')) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > 12 && strncasecmp(p, "Message-ID: ", 12) == 0) {
			for (const char *c = p + 12; c < eol; c++)
				h = (h ^ (unsigned char)*c) * 1099511628211ULL;
			return xasprintf("ilnbot.%016llx", (unsigned long long)h);
		}
		p = eol + 1;
	}
	return NULL;
}

static enum outbound_result
omd_send(void *h, const char *envelope_from, const char *const *rcpts, size_t nrcpts,
	 const char *msg, size_t len, char *err, size_t errsz)
{
	char *name = omd_name(msg, len);
	struct buf b;
	int rc;

	buf_init(&b, 0);
	if (envelope_from && strpbrk(envelope_from, "\r\n<>") == NULL)
		buf_printf(&b, "Return-Path: <%s>\r\n", envelope_from);
	buf_add(&b, msg, len);
	rc = maildir_deliver(h, name, b.data, b.len);
	buf_free(&b);
	free(name);
	if (rc < 0) {
		snprintf(err, errsz, "%s: %s", (char *)h, strerror(errno));
		return OUTBOUND_TRANSIENT;
	}
	return OUTBOUND_SENT;
}

static int
omd_sync(void *h, char *err, size_t errsz)
{
	if (maildir_sync(h) < 0) {
		snprintf(err, errsz, "%s/new: %s", (char *)h, strerror(errno));
		return -1;
	}
	return 0;
}

static void
omd_close(void *h)
{
	free(h);
}

const struct outbound_ops outbound_maildir_ops = {
	.name = "maildir",
	.open = omd_open,
	.send = omd_send,
	.sync = omd_sync,
	.close = omd_close,
};
