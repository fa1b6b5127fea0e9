/* sender.h: the outbox sent from a thread of its own (sender.c). */
#ifndef ILN_SENDER_H
#define ILN_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbound;
struct sender;

/* sender_start: open a second connection to the store at store_path and start the
 * thread, which takes over *out (left empty). fixed_now: the time to use (0: the
 * clock). sent_keep_days: store_sent_keep(). idle_ms: flush at least this often, for deferred mail (0: only when kicked).
 * stop: when it becomes true, a flush ends after the mail in flight. NULL with err. */
struct sender *sender_start(const char *store_path, struct outbound *out, int64_t fixed_now,
			    int retry_max_hours, int sent_keep_days, int idle_ms,
			    volatile int *stop, char *err, size_t errsz);
/* sender_kick: mail may be due; the thread flushes the outbox soon. NULL is a no-op. */
void sender_kick(struct sender *s);
/* sender_stop: the flush the last kick asked for (up to *stop), then the thread ends
 * and everything is freed. -1 when a flush hit a store error. NULL is a no-op. */
int sender_stop(struct sender *s);

#endif
