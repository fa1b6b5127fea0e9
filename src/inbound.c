/* inbound.c: the inbound transports, chosen by name from a table of backends (as
 * OpenSMTPD's table.c does): the configuration's `transport` value under [inbound] is
 * looked up among the backends' ops->name. A new transport is one file and one line
 * below. Also the calls every transport shares. struct inbound holds the backend's
 * handle, which inbound_close() frees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "inbound.h"
#include "util.h"

static const struct inbound_ops *const inbound_backends[] = {
	&inbound_maildir_ops,
	&inbound_imap_ops,
	NULL
};

/* inbound_lookup: the backend called name, or NULL with err naming the known ones. */
static const struct inbound_ops *
inbound_lookup(const char *name, char *err, size_t errsz)
{
	struct buf known;
	size_t i;

	for (i = 0; inbound_backends[i] != NULL; i++)
		if (name != NULL && strcmp(inbound_backends[i]->name, name) == 0)
			return inbound_backends[i];
	buf_init(&known, 0);
	for (i = 0; inbound_backends[i] != NULL; i++)
		buf_printf(&known, "%s%s", i ? ", " : "", inbound_backends[i]->name);
	snprintf(err, errsz, "unknown inbound transport \"%s\" (known: %s)", name ? name : "",
	    known.data);
	buf_free(&known);
	return NULL;
}

int
inbound_open(struct inbound *in, const struct conf *c, struct store *st, char *err, size_t errsz)
{
	in->h = NULL;
	if ((in->ops = inbound_lookup(c->in_transport, err, errsz)) == NULL)
		return -1;
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
