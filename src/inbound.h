/* inbound.h: where command mail comes from. One interface, several transports
 * (inbound_maildir.c, inbound_imap.c); inbound.c picks one by name from its table of
 * backends: the configuration's [inbound] transport value is an ops->name.
 * An item's id and raw bytes belong to the item: inbound_item_clear() frees them. */
#ifndef ILN_INBOUND_H
#define ILN_INBOUND_H

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct store;
struct erase_item;

/* Most messages inbound_imap.c fetches in one batch (the imap_batch setting's upper
 * bound): a UID FETCH of that many scattered UIDs stays under the 8,192-octet command
 * line that RFC 7162 section 4 asks clients to keep to. */
#define IMAP_MAX_BATCH 500

struct inbound_item {
	char *id;       /* transport's name for it: a Maildir file name, or "UIDVALIDITY/UID" */
	char *raw;      /* the whole message, NUL-terminated for convenience */
	size_t len;
	bool too_big;   /* the transport refused to read more than MSG_MAX_SIZE: raw is a prefix */
};

struct inbound_ops {
	const char *name;       /* the transport value that picks it */
	void *(*open)(const struct conf *c, struct store *st, char *err, size_t errsz);
	/* next: 1 = an item, 0 = nothing new now, -1 = error (err says why; caller reconnects) */
	int (*next)(void *h, struct inbound_item *it, char *err, size_t errsz);
	/* done: called after the item's transaction committed: mark it processed
	 * (rejected = set aside as unparseable). 0 or -1. */
	int (*done)(void *h, const struct inbound_item *it, bool rejected, char *err, size_t errsz);
	/* done_many: the same for a whole committed batch at once (may be NULL). */
	int (*done_many)(void *h, const struct inbound_item *items, const bool *rejected,
			 size_t n, char *err, size_t errsz);
	/* erase: remove processed messages (done or rejected) for good: items[i] names one
	 * by the transport's id for it (may be NULL) and its Message-ID (may be NULL). A
	 * message not found is no error. May be NULL (nothing is kept). 0 or -1. */
	int (*erase)(void *h, const struct erase_item *items, size_t n, char *err,
		     size_t errsz);
	/* wait: block up to timeout_ms for new mail (IDLE, or a sleep); returns early
	 * when *stop becomes true. 0, or -1 on a connection error. */
	int (*wait)(void *h, int timeout_ms, volatile int *stop);
	void (*close)(void *h);
};

struct inbound {
	const struct inbound_ops *ops;
	void *h;
};

int inbound_open(struct inbound *in, const struct conf *c, struct store *st, char *err, size_t errsz);
void inbound_close(struct inbound *in);
void inbound_item_clear(struct inbound_item *it);
/* inbound_done_all: mark n committed items done: done_many where the transport has it,
 * else done() one by one. 0, or -1 with err set. */
int inbound_done_all(struct inbound *in, const struct inbound_item *items, const bool *rejected,
		     size_t n, char *err, size_t errsz);
/* inbound_prefetch_open: the configured transport, over a store connection of its own,
 * with its next messages fetched ahead by a thread (inbound_prefetch.c). */
int inbound_prefetch_open(struct inbound *in, const struct conf *c, char *err, size_t errsz);

extern const struct inbound_ops inbound_maildir_ops;
extern const struct inbound_ops inbound_imap_ops;

#endif
