/* process.h: the inbound path for one message (gate and parse, record, classify, act,
 * queue replies: one transaction), and the outbox flush after the commit. */
#ifndef ILN_PROCESS_H
#define ILN_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct program;
struct store;
struct outbound;

/* process_message: 0 when the message's transaction committed (it may now be marked done
 * on the server; *rejected says whether it belongs in the rejects folder), -1 when the
 * store failed and everything was rolled back (leave the message where it is). */
int process_message(struct program *p, const char *raw, size_t len, bool too_big, bool *rejected);
/* process_message_tx: the same inside the caller's transaction (a batch of messages
 * committed together); -1 means the caller must roll the whole batch back. */
int process_message_tx(struct program *p, const char *raw, size_t len, bool too_big,
		       bool *rejected);

/* outbox_flush: send every due outbox mail; each result is recorded at once. Returns
 * the number sent, or -1 when the store failed. */
int outbox_flush(struct store *st, struct outbound *out, int64_t now, int retry_max_hours,
		 volatile int *stop);

#endif
