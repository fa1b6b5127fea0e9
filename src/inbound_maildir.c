/* inbound_maildir.c: command mail from a local Maildir. Messages are taken from new/
 * in name order; after the commit a message moves to cur/ (flag S), or, when it could
 * not be parsed, to the Maildir++ subfolder .Rejected/cur/. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "inbound.h"
#include "maildir.h"
#include "msg.h"
#include "util.h"

#define MAILDIR_BATCH 1000

struct inbound_maildir {
	char *dir;
	char *rejects;
	char **names;       /* the current batch, sorted */
	size_t n, next;
	size_t pending;     /* handed out by next(), not yet done(): still in new/ */
};

static void *
imd_open(const struct conf *c, struct store *st, char *err, size_t errsz)
{
	struct inbound_maildir *h = xcalloc(1, sizeof(*h));

	h->dir = xstrdup(c->in_maildir);
	h->rejects = xasprintf("%s/.Rejected", c->in_maildir);
	if (maildir_make(h->dir) < 0 || maildir_make(h->rejects) < 0) {
		snprintf(err, errsz, "%s: %s", h->dir, strerror(errno));
		free(h->dir);
		free(h->rejects);
		free(h);
		return NULL;
	}
	return h;
}

static void
imd_batch_free(struct inbound_maildir *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->names[i]);
	free(h->names);
	h->names = NULL;
	h->n = h->next = 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
imd_scan(struct inbound_maildir *h, char *err, size_t errsz)
{
	char *path = xasprintf("%s/new", h->dir);
	DIR *d = opendir(path);
	struct dirent *e;
	size_t cap = 0;

	imd_batch_free(h);
	if (d == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while ((e = readdir(d)) != NULL && h->n < MAILDIR_BATCH) {
		if (e->d_name[0] == '.')
			continue;
		if (h->n == cap) {
			cap = cap ? cap * 2 : 64;
			h->names = xrealloc(h->names, cap * sizeof(*h->names));
		}
		h->names[h->n++] = xstrdup(e->d_name);
	}
	closedir(d);
	free(path);
	if (h->n)
		qsort(h->names, h->n, sizeof(*h->names), name_cmp);
	return 0;
}

static int
imd_next(void *vh, struct inbound_item *it, char *err, size_t errsz)
{
	struct inbound_maildir *h = vh;

	for (;;) {
		char *path;
		int rc;

		if (h->next == h->n) {
			/* A rescan would see the pending messages again. */
			if (h->pending > 0)
				return 0;
			if (imd_scan(h, err, errsz) < 0)
				return -1;
			if (h->n == 0)
				return 0;
		}
		path = xasprintf("%s/new/%s", h->dir, h->names[h->next]);
		memset(it, 0, sizeof(*it));
		rc = file_read(path, MSG_MAX_SIZE, &it->raw, &it->len);
		free(path);
		if (rc == -1 && errno == ENOENT) {
			h->next++;          /* taken by another reader */
			continue;
		}
		if (rc == -1) {
			snprintf(err, errsz, "%s: %s", h->names[h->next], strerror(errno));
			return -1;
		}
		if (rc == -2) {
			it->too_big = true;
			it->raw = xstrdup("");
			it->len = 0;
		}
		it->id = xstrdup(h->names[h->next++]);
		h->pending++;
		return 1;
	}
}

static int
imd_done(void *vh, const struct inbound_item *it, bool rejected, char *err, size_t errsz)
{
	struct inbound_maildir *h = vh;
	/* maildir(5): cur/ names carry ":2," and the flags; S = seen. */
	const char *base = rejected ? h->rejects : h->dir;
	char *from = xasprintf("%s/new/%s", h->dir, it->id);
	char *to = xasprintf("%s/cur/%s%s", base, it->id, strchr(it->id, ':') ? "" : ":2,S");
	int rc = rename(from, to);

	if (h->pending > 0)
		h->pending--;
	if (rc < 0)
		snprintf(err, errsz, "%s: %s", from, strerror(errno));
	free(from);
	free(to);
	return rc < 0 ? -1 : 0;
}

static int
imd_wait(void *vh, int timeout_ms, volatile int *stop)
{
	while (timeout_ms > 0 && !*stop) {
		int step = timeout_ms < 200 ? timeout_ms : 200;
		struct inbound_maildir *h = vh;
		char *path = xasprintf("%s/new", h->dir);
		DIR *d;
		struct dirent *e;
		bool any = false;

		if ((d = opendir(path)) != NULL) {
			while ((e = readdir(d)) != NULL)
				if (e->d_name[0] != '.') {
					any = true;
					break;
				}
			closedir(d);
		}
		free(path);
		if (any)
			return 0;
		usleep((useconds_t)step * 1000);
		timeout_ms -= step;
	}
	return 0;
}

static void
imd_close(void *vh)
{
	struct inbound_maildir *h = vh;

	if (h == NULL)
		return;
	imd_batch_free(h);
	free(h->dir);
	free(h->rejects);
	free(h);
}

const struct inbound_ops inbound_maildir_ops = {
	.name = "maildir",
	.open = imd_open,
	.next = imd_next,
	.done = imd_done,
	.wait = imd_wait,
	.close = imd_close,
};
