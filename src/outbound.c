/* outbound.c: the outbound transports, chosen by name from a table of backends (as
 * OpenSMTPD's table.c does): the configuration's `transport` value under [outbound] is
 * looked up among the backends' ops->name. A new transport is one file and one line
 * below. struct outbound holds the backend's handle, which outbound_close() frees. */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "outbound.h"
#include "util.h"

static const struct outbound_ops *const outbound_backends[] = {
	&outbound_maildir_ops,
	&outbound_smtp_ops,
	NULL
};

/* outbound_lookup: the backend called name, or NULL with err naming the known ones. */
static const struct outbound_ops *
outbound_lookup(const char *name, char *err, size_t errsz)
{
	struct buf known;
	size_t i;

	for (i = 0; outbound_backends[i] != NULL; i++)
		if (name != NULL && strcmp(outbound_backends[i]->name, name) == 0)
			return outbound_backends[i];
	buf_init(&known, 0);
	for (i = 0; outbound_backends[i] != NULL; i++)
		buf_printf(&known, "%s%s", i ? ", " : "", outbound_backends[i]->name);
	snprintf(err, errsz, "unknown outbound transport \"%s\" (known: %s)", name ? name : "",
	    known.data);
	buf_free(&known);
	return NULL;
}

int
outbound_open(struct outbound *out, const struct conf *c, char *err, size_t errsz)
{
	out->h = NULL;
	if ((out->ops = outbound_lookup(c->out_transport, err, errsz)) == NULL)
		return -1;
	if (strcmp(out->ops->name, "smtp") == 0)
		snprintf(out->relay, sizeof(out->relay), "%.255s:%d", c->smtp_host, c->smtp_port);
	else
		snprintf(out->relay, sizeof(out->relay), "%s", out->ops->name);
	out->h = out->ops->open(c, err, errsz);
	return out->h ? 0 : -1;
}

void
outbound_close(struct outbound *out)
{
	if (out->ops && out->h)
		out->ops->close(out->h);
	out->h = NULL;
}
