/* inbound_maildir.c: command mail from a local Maildir. Messages are taken from new/
 * in name order; after the commit a message moves to cur/ (flag S), or, when it could
 * not be parsed, to the Maildir++ subfolder .Rejected/cur/. Anything in new/ that is not
 * a regular file (a directory, FIFO, socket, device, symbolic link) is never opened
 * blocking nor read: it is logged once and left where it is, and the pass goes on.
 * erase() removes processed messages from cur/ and .Rejected/cur/ (DELETE). */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "inbound.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "store.h"
#include "util.h"

#define MAILDIR_BATCH 1000

struct inbound_maildir {
	char *dir;
	char *rejects;
	char **names;       /* the current batch, sorted */
	size_t n, next;
	size_t pending;     /* handed out by next(), not yet done(): still in new/ */
	char **skipped;     /* names in new/ that are not regular files (logged once) */
	size_t nskipped;
};

#define MAILDIR_MAX_SKIPPED 1000

static bool
imd_is_skipped(const struct inbound_maildir *h, const char *name)
{
	for (size_t i = 0; i < h->nskipped; i++)
		if (strcmp(h->skipped[i], name) == 0)
			return true;
	return false;
}

/* imd_skip: name is not a regular file: logged and remembered (up to a bound; past it
 * they are logged again at each pass, which still goes on). */
static void
imd_skip(struct inbound_maildir *h, const char *name)
{
	char *p = xstrndup(name, strnlen(name, 200));

	for (char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	log_warnx("inbound: %s/new/%s is not a regular file; skipped", h->dir, p);
	free(p);
	if (h->nskipped < MAILDIR_MAX_SKIPPED) {
		h->skipped = xrealloc(h->skipped, (h->nskipped + 1) * sizeof(*h->skipped));
		h->skipped[h->nskipped++] = xstrdup(name);
	}
}

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
		if (e->d_name[0] == '.' || imd_is_skipped(h, e->d_name))
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
		rc = maildir_read(path, MSG_MAX_SIZE, &it->raw, &it->len);
		free(path);
		if (rc == -1 && errno == ENOENT) {
			h->next++;          /* taken by another reader */
			continue;
		}
		if (rc == -3) {
			imd_skip(h, h->names[h->next++]);
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

/* erase: a processed message is in cur/ or .Rejected/cur/ under its name in new/ with
 * maildir(5)'s ":2,S" added. */
static int
imd_erase(void *vh, const struct erase_item *items, size_t n, char *err, size_t errsz)
{
	struct inbound_maildir *h = vh;

	for (size_t i = 0; i < n; i++) {
		const char *id = items[i].transport_id;

		if (id == NULL || *id == '\0' || strchr(id, '/') || strcmp(id, ".") == 0 ||
		    strcmp(id, "..") == 0)
			continue;
		if (maildir_unlink_cur(h->dir, id) < 0 || maildir_unlink_cur(h->rejects, id) < 0) {
			snprintf(err, errsz, "%s/cur: %s", h->dir, strerror(errno));
			return -1;
		}
	}
	return 0;
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
				if (e->d_name[0] != '.' && !imd_is_skipped(h, e->d_name)) {
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
	for (size_t i = 0; i < h->nskipped; i++)
		free(h->skipped[i]);
	free(h->skipped);
	free(h->dir);
	free(h->rejects);
	free(h);
}

const struct inbound_ops inbound_maildir_ops = {
	.name = "maildir",
	.open = imd_open,
	.next = imd_next,
	.done = imd_done,
	.erase = imd_erase,
	.wait = imd_wait,
	.close = imd_close,
};
