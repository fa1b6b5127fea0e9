/* transport.c: picks the inbound and outbound transports named in the configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "inbound.h"
#include "outbound.h"

int
inbound_open(struct inbound *in, const struct conf *c, struct store *st, char *err, size_t errsz)
{
	in->ops = strcmp(c->in_transport, "imap") == 0 ? &inbound_imap_ops : &inbound_maildir_ops;
	in->h = in->ops->open(c, st, err, errsz);
	return in->h ? 0 : -1;
}

void
inbound_close(struct inbound *in)
{
	if (in->ops && in->h)
		in->ops->close(in->h);
	in->h = NULL;
}

int
inbound_done_all(struct inbound *in, const struct inbound_item *items, const bool *rejected,
		 size_t n, char *err, size_t errsz)
{
	if (n > 1 && in->ops->done_many)
		return in->ops->done_many(in->h, items, rejected, n, err, errsz);
	for (size_t i = 0; i < n; i++)
		if (in->ops->done(in->h, &items[i], rejected[i], err, errsz) < 0)
			return -1;
	return 0;
}

void
inbound_item_clear(struct inbound_item *it)
{
	free(it->id);
	free(it->raw);
	memset(it, 0, sizeof(*it));
}

int
outbound_open(struct outbound *out, const struct conf *c, char *err, size_t errsz)
{
	out->ops = strcmp(c->out_transport, "smtp") == 0 ? &outbound_smtp_ops : &outbound_maildir_ops;
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
