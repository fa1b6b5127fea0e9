/* outbox.h: the outbox engine. outbox_flush() sends every due mail of the store through
 * an outbound transport and records each result (sent, deferred with backoff, failed);
 * the sending thread (sender.c) and the one-shot commands call it after a commit. The
 * caller keeps the store and the transport. */
#ifndef ILN_OUTBOX_H
#define ILN_OUTBOX_H

#include <stdint.h>

struct store;
struct outbound;

/* Consecutive transient failures after which a flush stops: the relay is down or
 * silent, and each further try would cost a whole timeout. The rest stays due. */
#define OUTBOX_MAX_TRANSIENT 3
/* Results of a transport durable on each send, committed together: a crash sends again
 * at most this many accepted mails (each with its own Message-ID); nothing is lost. */
#define OUTBOX_GROUP 4
/* Due mail read from the store at a time. */
#define OUTBOX_BATCH 256

/* outbox_backoff: the delay in seconds before the next try of a mail that failed
 * transiently `attempts` times so far: 1, 2, 4 ... minutes, at most an hour. */
int64_t outbox_backoff(int attempts);

/* outbox_flush: send every mail due at now; a transient failure older than
 * retry_max_hours counts as permanent. Ends early when *stop (may be NULL) becomes true
 * or after OUTBOX_MAX_TRANSIENT transient failures in a row. Returns the number sent, or
 * -1 when the store failed. */
int outbox_flush(struct store *st, struct outbound *out, int64_t now, int retry_max_hours,
		 volatile int *stop);

#endif
