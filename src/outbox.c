/* outbox.c: the outbox engine (see outbox.h). Due mail is read from the store in
 * batches, handed to the outbound transport, and each result recorded: a transport
 * durable on each send (SMTP) has its results committed OUTBOX_GROUP at a time, before
 * the next message's data goes out; one that syncs in batches (Maildir) is synced once
 * and its results recorded in one transaction. Nothing here owns the store or the
 * transport; every buffer it allocates is freed before it returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "outbound.h"
#include "outbox.h"
#include "store.h"
#include "util.h"

int64_t
outbox_backoff(int attempts)
{
	int64_t d = 60;

	for (int i = 0; i < attempts && d < 3600; i++)
		d *= 2;
	return d < 3600 ? d : 3600;
}

static void
outbox_items_free(struct outbox_item *items, int n)
{
	for (int i = 0; i < n; i++)
		outbox_item_clear(&items[i]);
	free(items);
}

/* outbox_log: one line per mail leaving the outbox, as Postfix writes them: the row's id,
 * the first recipient (outbox_rcpts split o->rcpts in place) and how many more, the
 * kind, the relay, and the status with the relay's reply. Addresses only, no text of
 * the mail. Mail that did not go is a warning, so `journalctl -p warning` shows it. */
static void
outbox_log(const struct outbox_item *o, const char *relay, const char *status, const char *err)
{
	char more[32] = "";

	if (o->nrcpts > 1)
		snprintf(more, sizeof(more), " (+%zu)", o->nrcpts - 1);
	(strcmp(status, "sent") == 0 ? log_info : log_warnx)(
		"outbound: %lld: to=<%s>%s, kind=%s, relay=%s, attempts=%d, status=%s (%s)",
		(long long)o->id, o->rcpts ? o->rcpts : "", more, o->kind && *o->kind ? o->kind : "-",
		relay, o->attempts + 1, status, err && *err ? err : "ok");
}

/* The SMTP reply code in err ("... RCPT: 550 5.1.1 ..."), or "". */
static void
outbox_code(const char *err, char *code, size_t codesz)
{
	const char *s = strstr(err, ": ");

	snprintf(code, codesz, "%s", "");
	if (s && s[2] >= '2' && s[2] <= '5' && s[3] >= '0' && s[3] <= '9' && s[4] >= '0' &&
	    s[4] <= '9')
		snprintf(code, codesz, "%.3s", s + 2);
}

/* outbox_refused: the recipients the relay refused for good, as bounces (store_bounce.c).
 * A whole mail that failed at RCPT, or was deferred past the retry limit, fails for each
 * of its recipients; a mail sent to some has the refused ones in err, as the SMTP
 * transport writes them: "refused: a@b 550, c@d 551". */
static int
outbox_refused(struct store *st, const struct outbox_item *o, const struct outbound_msg *m,
	       enum outbound_result r, const char *err, int64_t now)
{
	char code[8];

	if (r == OUTBOUND_SENT) {
		const char *s;

		if (strncmp(err, "refused:", 8) != 0)
			return 0;
		for (s = err + 8; *s;) {
			char addr[256];
			size_t n;

			s += strspn(s, " ,");
			n = strcspn(s, " ,");
			if (n == 0 || n >= sizeof(addr))
				break;
			memcpy(addr, s, n);
			addr[n] = '\0';
			s += n;
			s += strspn(s, " ");
			snprintf(code, sizeof(code), "%.3s", s);
			s += strcspn(s, ",");
			for (size_t i = 0; i < m->nrcpts; i++)
				if (strcmp(m->rcpts[i], addr) == 0 &&
				    store_bounce_smtp(st, o->id, addr, code, now) < 0)
					return -1;
		}
		return 0;
	}
	if (r == OUTBOUND_PERMANENT && strstr(err, " at RCPT: ") == NULL)
		return 0;   /* refused at MAIL or DATA, or unsendable: no recipient's fault */
	outbox_code(err, code, sizeof(code));
	for (size_t i = 0; i < m->nrcpts; i++)
		if (store_bounce_smtp(st, o->id, m->rcpts[i], code, now) < 0)
			return -1;
	return 0;
}

/* outbox_record: the result of one send, in the store. -1 only when the store failed. */
static int
outbox_record(struct store *st, const struct outbox_item *o, const char *relay,
	      const struct outbound_msg *m, enum outbound_result r, const char *err, int64_t now,
	      int retry_max_hours)
{
	if (r == OUTBOUND_SENT) {
		outbox_log(o, relay, "sent", err);
		return store_outbox_sent(st, o->id, now) < 0 ||
		       outbox_refused(st, o, m, r, err, now) < 0 ? -1 : 0;
	}
	if (r == OUTBOUND_TRANSIENT && now - o->created_at < (int64_t)retry_max_hours * 3600) {
		outbox_log(o, relay, "deferred", err);
		return store_outbox_retry(st, o->id, now + outbox_backoff(o->attempts), err);
	}
	if (r == OUTBOUND_TRANSIENT) {
		char why[400];

		snprintf(why, sizeof(why), "for more than %d hours: %s", retry_max_hours, err);
		outbox_log(o, relay, "bounced", why);
	} else
		outbox_log(o, relay, "bounced", err);
	if (store_outbox_failed(st, o->id, err) < 0)
		return -1;
	return outbox_refused(st, o, m, r, err, now);
}

struct outbox_run {
	struct store *st;
	struct outbox_item *items;
	const char *relay;
	const struct outbound_msg *msgs;
	enum outbound_result *r;
	char (*errs)[256];
	int64_t now;
	int retry_max_hours;
	volatile int *stop;
	int *transient;
	int nsent;
	size_t first, pending;  /* results items[first..first+pending) not yet recorded */
	bool failed;            /* the store failed */
};

/* outbox_group_end: record the pending results in one short transaction. 0 or -1. */
static int
outbox_group_end(struct outbox_run *run)
{
	size_t i, end = run->first + run->pending;

	if (run->pending == 0)
		return 0;
	if (store_begin(run->st) < 0)
		goto fail;
	for (i = run->first; i < end; i++)
		if (outbox_record(run->st, &run->items[i], run->relay, &run->msgs[i], run->r[i],
				  run->errs[i], run->now, run->retry_max_hours) < 0) {
			store_rollback(run->st);
			goto fail;
		}
	if (store_commit(run->st) < 0) {
		store_rollback(run->st);
		goto fail;
	}
	run->first = end;
	run->pending = 0;
	return 0;
fail:
	run->pending = 0;
	run->failed = true;
	return -1;
}

/* outbox_result: one send's result, kept until OUTBOX_GROUP of them are recorded
 * together, before the next message's data goes out; -1 stops the session. */
static int
outbox_result(void *arg, size_t i, enum outbound_result r, const char *err)
{
	struct outbox_run *run = arg;

	run->r[i] = r;
	snprintf(run->errs[i], sizeof(run->errs[i]), "%s", err);
	*run->transient = r == OUTBOUND_TRANSIENT ? *run->transient + 1 : 0;
	if (r == OUTBOUND_SENT)
		run->nsent++;
	if (run->pending == 0)
		run->first = i;
	run->pending++;
	if (run->pending >= OUTBOX_GROUP && outbox_group_end(run) < 0)
		return -1;
	if ((run->stop && *run->stop) || *run->transient >= OUTBOX_MAX_TRANSIENT)
		return -1;
	return 0;
}

/* outbox_rcpts: the item's newline-separated recipients split in place into rcpts. */
static size_t
outbox_rcpts(struct outbox_item *o, const char **rcpts, size_t max)
{
	size_t nr = 0;

	for (char *s = o->rcpts, *save = NULL, *t; nr < max && (t = strtok_r(s, "\n", &save)) != NULL;
	     s = NULL)
		rcpts[nr++] = t;
	return nr;
}

/* Send a batch, stopping early when the relay keeps failing. A transport durable on
 * each send (SMTP: the relay's 250) has its results recorded OUTBOX_GROUP at a time in
 * one short transaction, before the next message's data goes out: so a crash sends
 * again at most the OUTBOX_GROUP mails accepted since the last commit, each with its
 * own Message-ID, and the store's write lock is never held across the network. A
 * transport that syncs in batches (Maildir, whose file names make a resend harmless)
 * is synced once and its results recorded in one transaction. */
static int
outbox_batch(struct store *st, struct outbound *out, struct outbox_item *items, int n,
	     int64_t now, int retry_max_hours, volatile int *stop, int *transient, int *sent)
{
	enum outbound_result *r = xcalloc((size_t)n, sizeof(*r));
	char (*errs)[256] = xcalloc((size_t)n, sizeof(*errs));
	const char *(*rcpts)[100] = xcalloc((size_t)n, sizeof(*rcpts));
	struct outbound_msg *msgs = xcalloc((size_t)n, sizeof(*msgs));
	struct outbox_run run = { st, items, out->relay, msgs, r, errs, now, retry_max_hours, stop,
				  transient, 0, 0, 0, false };
	char serr[256] = "";
	bool batched = out->ops->sync != NULL;
	int done = 0, nsent = 0, rc = -1;

	for (int i = 0; i < n; i++) {
		msgs[i].envelope_from = items[i].envelope_from;
		msgs[i].nrcpts = items[i].nrcpts = outbox_rcpts(&items[i], rcpts[i], 100);
		msgs[i].rcpts = rcpts[i];
		msgs[i].raw = items[i].raw;
		msgs[i].len = items[i].len;
	}
	if (!batched) {
		if (!(stop && *stop) && *transient < OUTBOX_MAX_TRANSIENT) {
			if (out->ops->send_many)
				out->ops->send_many(out->h, msgs, (size_t)n, outbox_result, &run);
			else
				for (int i = 0; i < n; i++) {
					char err[256] = "";
					enum outbound_result res = out->ops->send(out->h,
					    msgs[i].envelope_from, msgs[i].rcpts, msgs[i].nrcpts,
					    msgs[i].raw, msgs[i].len, err, sizeof(err));

					if (outbox_result(&run, (size_t)i, res, err) < 0)
						break;
				}
		}
		outbox_group_end(&run);
		*sent += run.nsent;
		rc = run.failed ? -1 : 0;
		goto out;
	}
	for (; done < n && !(stop && *stop) && *transient < OUTBOX_MAX_TRANSIENT; done++) {
		r[done] = out->ops->send(out->h, msgs[done].envelope_from, msgs[done].rcpts,
		    msgs[done].nrcpts, msgs[done].raw, msgs[done].len, errs[done], sizeof(errs[0]));
		*transient = r[done] == OUTBOUND_TRANSIENT ? *transient + 1 : 0;
		if (r[done] == OUTBOUND_SENT)
			nsent++;
	}
	/* A transport that syncs in batches: one sync, then every result in one transaction. */
	if (nsent > 0 && out->ops->sync(out->h, serr, sizeof(serr)) < 0) {
		for (int i = 0; i < done; i++)
			if (r[i] == OUTBOUND_SENT) {
				r[i] = OUTBOUND_TRANSIENT;
				snprintf(errs[i], sizeof(errs[0]), "%s", serr);
			}
		nsent = 0;
	}
	if (store_begin(st) < 0)
		goto out;
	for (int i = 0; i < done; i++)
		if (outbox_record(st, &items[i], out->relay, &msgs[i], r[i], errs[i], now,
				  retry_max_hours) < 0) {
			store_rollback(st);
			goto out;
		}
	if (store_commit(st) < 0) {
		store_rollback(st);
		goto out;
	}
	*sent += nsent;
	rc = 0;
out:
	free(r);
	free(errs);
	free(rcpts);
	free(msgs);
	return rc;
}

int
outbox_flush(struct store *st, struct outbound *out, int64_t now, int retry_max_hours,
	     volatile int *stop)
{
	struct outbox_item *items = NULL;
	int n = 0, sent = 0, transient = 0, rc = -1;

	/* What a lost record costs is one mail sent again with the same Message-ID, never
	 * a lost one: so records need to survive a crash of ilnbot, not a power cut, and
	 * cost no fsync each. */
	if (store_durable(st, false) < 0)
		return -1;
	/* Deferred mail is not due again within this pass, so the loop ends. */
	while (!(stop && *stop) && transient < OUTBOX_MAX_TRANSIENT &&
	       (n = store_outbox_due(st, now, OUTBOX_BATCH, &items)) > 0) {
		log_debug("outbox: %d due, sending through %s", n, out->relay);
		if (outbox_batch(st, out, items, n, now, retry_max_hours, stop, &transient,
				 &sent) < 0)
			goto out;
		outbox_items_free(items, n);
		items = NULL;
		n = 0;
	}
	if (transient >= OUTBOX_MAX_TRANSIENT)
		log_warnx("outbox: %d transient failures in a row; the rest waits for the next pass",
			  transient);
	rc = n < 0 ? -1 : sent;
	/* bodies of sent mail kept past sent_keep_days go (at most hourly) */
	if (rc >= 0 && store_outbox_purge(st, now, false) < 0)
		rc = -1;
out:
	if (items)
		outbox_items_free(items, n);
	if (store_durable(st, true) < 0)
		rc = -1;
	/* the last mail of an erasure left: the WAL keeps no copy of its recipient */
	store_checkpoint(st);
	return rc;
}
