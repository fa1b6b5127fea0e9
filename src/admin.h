/* admin.h: the operator's subcommands (admin.c), as a Postfix or Mailman admin knows them:
 * queue, flush, retry, drop, rejected, reprocess, status, config; and the daemon's lock
 * on its store, which tells them whether a daemon is running. Each prints to stdout and
 * returns an exit code; nothing returned needs freeing. They are safe beside a running
 * daemon: each change is one short transaction, and mail is sent from here only when no
 * daemon holds the store (else the daemon sends it within poll_seconds). */
#ifndef ILN_ADMIN_H
#define ILN_ADMIN_H

#include <stdbool.h>
#include <sys/types.h>

struct program;

struct admin_args {
	char **ids;             /* the IDs after the subcommand */
	int nids;
	bool all;               /* config -a */
	bool failed;            /* queue --failed, retry --failed */
	bool deferred;          /* queue --deferred */
};

/* admin_lock_take: the daemon's lock on its store (STORE.lock, holding its pid), kept
 * open for the life of the process. 0, or -1 when another process holds it (logged). */
int admin_lock_take(const char *store_path);
/* admin_lock_holder: the pid of the daemon holding the store's lock, or 0 when none. */
pid_t admin_lock_holder(const char *store_path);

int admin_queue(struct program *p, const struct admin_args *a);
/* flush, retry and reprocess set *send when this process should send the outbox now
 * (no daemon holds the store). */
int admin_flush(struct program *p, const struct admin_args *a, bool *send);
int admin_retry(struct program *p, const struct admin_args *a, bool *send);
int admin_drop(struct program *p, const struct admin_args *a);
int admin_rejected(struct program *p, const struct admin_args *a);
int admin_reprocess(struct program *p, const struct admin_args *a, bool *send);
int admin_status(struct program *p, const struct admin_args *a);
int admin_config(struct program *p, const struct admin_args *a);

#endif
