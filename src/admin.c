/* admin.c: the operator's subcommands (see admin.h). The queue as `mailq` prints it,
 * flush/retry/drop as `postqueue -f` and `postsuper -r/-d` change it, the mail set aside
 * and `reprocess` (Mailman's unshunt), a status page, and the settings as `postconf -n`
 * shows them. The SQL is in store_admin.c; here only the arguments and the printing.
 * Every table and string made here is freed before the function returns. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "conf.h"
#include "log.h"
#include "msg.h"
#include "process.h"
#include "program.h"
#include "store.h"
#include "util.h"

#define EX_USAGE 64

/* ---- the daemon's lock ---- */

static char *
admin_lock_path(const char *store_path)
{
	return xasprintf("%s.lock", store_path);
}

int
admin_lock_take(const char *store_path)
{
	char *path = admin_lock_path(store_path);
	char pid[32];
	int fd, n, rc = -1;

	/* Kept open (and locked) until the process exits; close-on-exec. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		log_errorx("%s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		pid_t other = admin_lock_holder(store_path);

		log_errorx("%s: another daemon (pid %ld) holds the store", path, (long)other);
		close(fd);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warnx("%s: cannot write the pid: %s", path, strerror(errno));
	rc = 0;
out:
	free(path);
	return rc;
}

pid_t
admin_lock_holder(const char *store_path)
{
	char *path = admin_lock_path(store_path);
	char buf[32] = "";
	pid_t pid = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		goto out;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {        /* nobody holds it */
		flock(fd, LOCK_UN);
		goto out;
	}
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		pid = (pid_t)strtol(buf, NULL, 10);
	}
	if (pid <= 0)
		pid = -1;       /* held, by whom unknown */
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return pid;
}

/* ---- helpers ---- */

/* admin_ids: the IDs as numbers into ids[] (the caller's free()). 0, or -1 (logged). */
static int
admin_ids(const struct admin_args *a, int64_t **ids)
{
	*ids = xcalloc((size_t)(a->nids > 0 ? a->nids : 1), sizeof(**ids));
	for (int i = 0; i < a->nids; i++) {
		char *end;

		errno = 0;
		(*ids)[i] = strtoll(a->ids[i], &end, 10);
		if (errno || end == a->ids[i] || *end || (*ids)[i] <= 0) {
			log_errorx("%s: not a mail id (the first column of the list)", a->ids[i]);
			free(*ids);
			*ids = NULL;
			return -1;
		}
	}
	return 0;
}

static const char *
cell(const struct admin_table *t, int r, int c)
{
	return t->cells[r * t->ncols + c];
}

/* admin_time: a stored time (seconds, as text) as ISO 8601, or "-" for none. */
static const char *
admin_time(const char *secs, char *buf, size_t bufsz)
{
	if (secs == NULL || *secs == '\0')
		return "-";
	time_format_iso(strtoll(secs, NULL, 10), buf, bufsz);
	return buf;
}

/* admin_change: run one change per ID inside a transaction; 0 all found, 1 some were
 * not (named), EX_USAGE for a bad ID. *changed counts the mails changed. */
static int
admin_each(struct program *p, const struct admin_args *a, const char *verb,
	   int (*change)(struct store *st, int64_t id, int64_t now), int *changed)
{
	int64_t *ids = NULL, now = program_tick(p);
	int rc = 1, missing = 0;

	*changed = 0;
	if (admin_ids(a, &ids) < 0)
		return EX_USAGE;
	if (store_begin(p->st) < 0)
		goto out;
	for (int i = 0; i < a->nids; i++) {
		int n = change(p->st, ids[i], now);

		if (n < 0) {
			store_rollback(p->st);
			goto out;
		}
		if (n == 0) {
			fprintf(stderr, "ilnbot %s: %lld: no such mail in the queue\n", verb,
				(long long)ids[i]);
			missing++;
		}
		*changed += n;
	}
	if (store_commit(p->st) < 0) {
		store_rollback(p->st);
		goto out;
	}
	rc = missing ? 1 : 0;
out:
	free(ids);
	return rc;
}

/* admin_daemon_sends: whether a daemon will send; if not, this process should. */
static bool
admin_daemon_sends(struct program *p, int changed)
{
	pid_t pid = admin_lock_holder(p->conf->store_path);

	if (changed == 0)
		return true;
	if (pid != 0) {
		printf("the daemon (pid %ld) sends it within %d s\n", (long)pid,
		       p->conf->poll_seconds);
		return true;
	}
	return false;
}

/* ---- the subcommands ---- */

int
admin_queue(struct program *p, const struct admin_args *a)
{
	struct admin_table t;
	int which = a->failed ? 1 : a->deferred ? 2 : 0;
	int nfailed = 0, ndeferred = 0;

	if (store_admin_table(p->st, ADMIN_Q_QUEUE, which, &t) < 0)
		return 1;
	if (t.nrows == 0) {
		printf("%s\n", which == 1 ? "no failed mail" : which == 2 ? "no deferred mail" :
		       "the queue is empty");
		admin_table_free(&t);
		return 0;
	}
	printf("%-7s %-22s %-32s %4s %-20s %-8s %s\n", "ID", "KIND", "RECIPIENT", "TRIES",
	       "NEXT TRY", "STATUS", "LAST ERROR");
	for (int r = 0; r < t.nrows; r++) {
		char when[32];
		const char *status = cell(&t, r, 5);

		nfailed += strcmp(status, "failed") == 0;
		ndeferred += strcmp(status, "deferred") == 0;
		printf("%-7s %-22s %-32s %4s  %-20s %-8s %s\n", cell(&t, r, 0),
		       *cell(&t, r, 1) ? cell(&t, r, 1) : "-", cell(&t, r, 2), cell(&t, r, 3),
		       strcmp(status, "failed") == 0 ? "-" : admin_time(cell(&t, r, 4), when,
									 sizeof(when)),
		       status, *cell(&t, r, 6) ? cell(&t, r, 6) : "-");
	}
	printf("-- %d mail%s: %d queued, %d deferred, %d failed\n", t.nrows,
	       t.nrows == 1 ? "" : "s", t.nrows - nfailed - ndeferred, ndeferred, nfailed);
	admin_table_free(&t);
	return 0;
}

int
admin_flush(struct program *p, const struct admin_args *a, bool *send)
{
	int n;

	*send = false;
	if (a->nids > 0) {
		log_errorx("flush takes no IDs (use retry ID...)");
		return EX_USAGE;
	}
	if ((n = store_queue_flush(p->st, program_tick(p))) < 0)
		return 1;
	printf("%d deferred mail%s due now\n", n, n == 1 ? "" : "s");
	*send = true;   /* mail already due goes too */
	if (admin_lock_holder(p->conf->store_path) != 0) {
		admin_daemon_sends(p, n);
		*send = false;
	}
	return 0;
}

static int
admin_retry_one(struct store *st, int64_t id, int64_t now)
{
	return store_queue_retry(st, id, now);
}

static int
admin_drop_one(struct store *st, int64_t id, int64_t now)
{
	return store_queue_drop(st, id, now);
}

int
admin_retry(struct program *p, const struct admin_args *a, bool *send)
{
	int n = 0, rc;

	*send = false;
	if (a->failed == (a->nids > 0)) {
		log_errorx("retry takes IDs or --failed");
		return EX_USAGE;
	}
	if (a->failed) {
		if ((n = store_queue_retry(p->st, 0, program_tick(p))) < 0)
			return 1;
		rc = 0;
	} else
		rc = admin_each(p, a, "retry", admin_retry_one, &n);
	if (rc == EX_USAGE)
		return rc;
	printf("%d mail%s queued again\n", n, n == 1 ? "" : "s");
	*send = !admin_daemon_sends(p, n);
	return rc;
}

int
admin_drop(struct program *p, const struct admin_args *a)
{
	int n, rc;

	if (a->nids == 0) {
		log_errorx("drop takes the IDs of the mails to drop");
		return EX_USAGE;
	}
	rc = admin_each(p, a, "drop", admin_drop_one, &n);
	if (rc != EX_USAGE)
		printf("%d mail%s dropped\n", n, n == 1 ? "" : "s");
	return rc;
}

int
admin_rejected(struct program *p, const struct admin_args *a)
{
	struct admin_table t;

	if (store_admin_table(p->st, ADMIN_Q_REJECTED, 0, &t) < 0)
		return 1;
	if (t.nrows == 0) {
		printf("no mail was set aside\n");
		admin_table_free(&t);
		return 0;
	}
	printf("%-7s %-20s %-32s %s\n", "ID", "DATE", "FROM", "WHY");
	for (int r = 0; r < t.nrows; r++) {
		char when[32];

		printf("%-7s %-20s %-32s %s%s\n", cell(&t, r, 0),
		       admin_time(cell(&t, r, 1), when, sizeof(when)),
		       *cell(&t, r, 2) ? cell(&t, r, 2) : "-", cell(&t, r, 3),
		       strcmp(cell(&t, r, 4), "1") == 0 ? "" : " (bytes not kept)");
	}
	printf("-- %d message%s set aside; `ilnbot reprocess ID` runs one again\n", t.nrows,
	       t.nrows == 1 ? "" : "s");
	admin_table_free(&t);
	return 0;
}

int
admin_reprocess(struct program *p, const struct admin_args *a, bool *send)
{
	int64_t *ids = NULL;
	int rc = 1, missing = 0, done = 0;

	*send = false;
	if (a->nids == 0) {
		log_errorx("reprocess takes the IDs that `ilnbot rejected` lists");
		return EX_USAGE;
	}
	if (admin_ids(a, &ids) < 0)
		return EX_USAGE;
	/* Each in a transaction of its own, as it would have been on arrival. */
	for (int i = 0, asked = -1; i < a->nids; i++) {
		char *raw = NULL;
		size_t len;
		bool rejected;
		int found;

		program_tick(p);
		if (store_begin(p->st) < 0)
			goto out;
		if ((found = store_rejected_take(p->st, ids[i], &raw, &len)) < 0) {
			store_rollback(p->st);
			goto out;
		}
		if (found == 0) {
			store_rollback(p->st);
			fprintf(stderr, "ilnbot reprocess: %lld: no mail set aside with that id\n",
				(long long)ids[i]);
			missing++;
			continue;
		}
		if (asked != i && len < MSG_MAX_SIZE && process_relay_wanted(p, raw, len)) {
			/* the relay is asked outside a transaction: undo the take, ask, again */
			store_rollback(p->st);
			free(raw);
			process_relay_ask(p);
			asked = i--;
			continue;
		}
		if (process_message_tx(p, NULL, raw, len, len >= MSG_MAX_SIZE, &rejected) < 0 ||
		    store_commit(p->st) < 0) {
			store_rollback(p->st);
			free(raw);
			goto out;
		}
		free(raw);
		done++;
		printf("%lld: %s\n", (long long)ids[i], rejected ? "set aside again" : "processed");
	}
	rc = missing ? 1 : 0;
out:
	free(ids);
	if (done > 0)
		*send = !admin_daemon_sends(p, done);
	return rc;
}

/* admin_phase: where a round stands at now, in words. */
static void
admin_phase(const struct admin_table *t, int r, int64_t now, char *out, size_t outsz)
{
	const char *status = cell(t, r, 1);
	int64_t closes = strtoll(cell(t, r, 2), NULL, 10), starts = strtoll(cell(t, r, 3), NULL, 10);
	int64_t ends = strtoll(cell(t, r, 4), NULL, 10);
	char a[32], b[32];

	if (strcmp(status, "closed") == 0) {
		time_format_iso(ends, a, sizeof(a));
		snprintf(out, outsz, "closed (ended %s)", a);
	} else if (strcmp(status, "running") == 0) {
		time_format_iso(ends, a, sizeof(a));
		snprintf(out, outsz, "running until %s", a);
	} else if (strcmp(status, "previewed") == 0) {
		time_format_iso(starts, a, sizeof(a));
		snprintf(out, outsz, "matching previewed, to start %s", a);
	} else if (now < closes) {
		time_format_iso(closes, a, sizeof(a));
		snprintf(out, outsz, "sign-up open until %s", a);
	} else {
		time_format_iso(closes, a, sizeof(a));
		time_format_iso(starts, b, sizeof(b));
		snprintf(out, outsz, "sign-up closed %s, waiting for MATCH (start %s)", a, b);
	}
}

int
admin_status(struct program *p, const struct admin_args *a)
{
	struct admin_table t;
	int64_t now = program_tick(p);
	char when[32], w2[32], w3[32];
	pid_t pid = admin_lock_holder(p->conf->store_path);

	printf("network:  %s <%s>\n", p->conf->network_name, p->conf->address);
	printf("store:    %s (schema %d)\n", p->conf->store_path, store_schema_version(p->st));
	if (pid > 0)
		printf("daemon:   running (pid %ld holds the store)\n", (long)pid);
	else if (pid < 0)
		printf("daemon:   running (the store is locked)\n");
	else
		printf("daemon:   not running\n");

	if (store_admin_table(p->st, ADMIN_Q_ROUNDS, 0, &t) < 0)
		return 1;
	printf("rounds:%s\n", t.nrows ? "" : "   none");
	for (int r = 0; r < t.nrows; r++) {
		char phase[160];

		admin_phase(&t, r, now, phase, sizeof(phase));
		printf("  %-20s %s\n", cell(&t, r, 0), phase);
	}
	admin_table_free(&t);

	if (store_admin_table(p->st, ADMIN_Q_PEOPLE, 0, &t) < 0)
		return 1;
	printf("people:\n");
	for (int r = 0; r < t.nrows; r++)
		printf("  %-22s %s\n", cell(&t, r, 0), cell(&t, r, 1));
	admin_table_free(&t);

	if (store_admin_table(p->st, ADMIN_Q_OUTBOX, 0, &t) < 0)
		return 1;
	printf("outbox:%s\n", t.nrows ? "" : "   empty");
	for (int r = 0; r < t.nrows; r++)
		printf("  %-22s %s\n", cell(&t, r, 0), cell(&t, r, 1));
	admin_table_free(&t);

	if (store_admin_table(p->st, ADMIN_Q_LAST, 0, &t) < 0)
		return 1;
	if (t.nrows == 1) {
		printf("last pass:     %s\n", *cell(&t, 0, 2) ? cell(&t, 0, 2) : "-");
		printf("last inbound:  %s\n", admin_time(cell(&t, 0, 0), when, sizeof(when)));
		printf("last sent:     %s\n", admin_time(cell(&t, 0, 1), w2, sizeof(w2)));
	}
	admin_table_free(&t);
	time_format_iso(now, w3, sizeof(w3));
	printf("now:           %s\n", w3);
	return 0;
}

int
admin_config(struct program *p, const struct admin_args *a)
{
	const char *section, *def, *name, *last = "";
	char value[1024];
	int shown = 0;

	for (size_t i = 0; (name = conf_key_at(p->conf, i, &section, value, sizeof(value), &def));
	     i++) {
		if (!a->all && p->conf->key_line[i] == 0)
			continue;
		if (strcmp(section, last) != 0)
			printf("%s[%s]\n", shown ? "\n" : "", section);
		last = section;
		printf("%s = %s\n", name, value);
		shown++;
	}
	if (shown == 0)
		printf("; %s sets nothing: every setting is the default (ilnbot config -a)\n",
		       p->conf->path);
	return 0;
}
