/* outbound_maildir.c: ilnbot's mail written to a local Maildir, each message complete
 * as SMTP would carry it (its recipients are its To and Cc), by maildir_deliver(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static enum outbound_result
omd_send(void *h, const char *envelope_from, const char *const *rcpts, size_t nrcpts,
	 const char *msg, size_t len, char *err, size_t errsz)
{
	if (maildir_deliver(h, msg, len) < 0) {
		snprintf(err, errsz, "%s: %s", (char *)h, strerror(errno));
		return OUTBOUND_TRANSIENT;
	}
	return OUTBOUND_SENT;
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
	.close = omd_close,
};
