/* process.c: one inbound message from raw bytes to committed state and queued replies.
 * The message is recorded (deduplicated by Message-ID, or by a SHA-256 of its bytes when
 * it has none) in the same transaction as everything it causes, so a crash anywhere
 * leaves either nothing or all of it; the transport marks it done only afterwards.
 * A message whose processing keeps killing the process is quarantined instead: set
 * aside unread, with one alert to the coordinators (main.c counts the attempts). */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "outbound.h"
#include "process.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

void
process_sha256_hex(const char *raw, size_t len, char hex[PROCESS_SHA256_HEX])
{
	unsigned char digest[32];

	gnutls_hash_fast(GNUTLS_DIG_SHA256, raw, len, digest);
	for (size_t i = 0; i < sizeof(digest); i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

static char *
process_dedup_key(const struct msg *m, const char *raw, size_t len)
{
	char hex[PROCESS_SHA256_HEX];

	if (m && m->message_id)
		return xasprintf("mid:%s", m->message_id);
	process_sha256_hex(raw, len, hex);
	return xasprintf("sha256:%s", hex);
}

/* The test hook of ilnbot(8): a message holding $ILNBOT_TEST_CRASH_MARKER kills the
 * process where the parser runs, as a crash in libetpan would. */
static void
process_test_crash(const char *raw, size_t len)
{
	const char *marker = getenv("ILNBOT_TEST_CRASH_MARKER");

	if (marker && *marker && memmem(raw, len, marker, strlen(marker))) {
		log_errorx("inbound: ILNBOT_TEST_CRASH_MARKER found; aborting (test hook)");
		abort();
	}
}

int
process_message_tx(struct program *p, const char *raw, size_t len, bool too_big,
		   bool *rejected)
{
	struct program_in in;
	struct msg *m = NULL;
	char why[256] = "";
	char *key = NULL;
	const char *automated;
	int64_t id;
	int added, rc = -1;

	*rejected = false;
	memset(&in, 0, sizeof(in));
	if (too_big)
		snprintf(why, sizeof(why), "larger than %u bytes", MSG_MAX_SIZE);
	else {
		process_test_crash(raw, len);
		m = msg_parse(raw, len, why, sizeof(why));
	}
	key = process_dedup_key(m, raw, len);
	added = store_inbound_add(p->st, key, m ? m->message_id : NULL, m ? m->from : NULL,
				  m ? m->subject : NULL, p->now, &id);
	if (added < 0)
		goto fail;
	if (added == 0) {
		log_info("inbound: %s already processed; skipped", key);
		rc = 0;
		goto out;
	}
	in.m = m;
	in.inbound_id = id;
	if (m == NULL) {
		in.outcome = "rejected";
		snprintf(in.detail, sizeof(in.detail), "unparseable: %s", why);
		*rejected = true;
	} else if (m->from == NULL) {
		in.outcome = "rejected";
		snprintf(in.detail, sizeof(in.detail), "unusable From: %s", m->from_error);
		*rejected = true;
	} else if (msg_is_automated(m, p->conf->address, &automated)) {
		in.outcome = "ignored";
		snprintf(in.detail, sizeof(in.detail), "automated mail: %s", automated);
	} else if (m->message_id && store_outbox_is_ours(p->st, m->message_id)) {
		in.outcome = "ignored";
		snprintf(in.detail, sizeof(in.detail), "our own message");
	} else if (program_handle(p, &in) < 0) {
		goto fail;
	}
	if (store_inbound_finish(p->st, id, NULL, in.outcome, in.detail) < 0)
		goto fail;
	if (*rejected)
		log_warnx("inbound: message %lld set aside: %s", (long long)id, in.detail);
	else
		log_info("inbound: message %lld from %s: %s: %s", (long long)id,
			 m && m->from ? m->from : "?", in.outcome, in.detail);
	rc = 0;
	goto out;
fail:
	log_errorx("inbound: store failure; the batch is left for a retry");
out:
	free(key);
	msg_free(m);
	return rc;
}

int
process_message(struct program *p, const char *raw, size_t len, bool too_big, bool *rejected)
{
	if (store_begin(p->st) < 0)
		return -1;
	if (process_message_tx(p, raw, len, too_big, rejected) < 0 || store_commit(p->st) < 0) {
		store_rollback(p->st);
		return -1;
	}
	return 0;
}

/* A transport's id for a message, fit for a log line and a mail body: printable ASCII,
 * at most 200 bytes (a Maildir file name may hold anything but '/'). Caller frees. */
static char *
process_printable(const char *s)
{
	size_t n = strnlen(s, 200);
	char *t = xstrndup(s, n);

	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x20 || t[i] > 0x7e)
			t[i] = '?';
	return t;
}

int
process_quarantine_tx(struct program *p, const char *transport_id, size_t len,
		      const char *sha256_hex, int tries, bool *rejected)
{
	char *id = process_printable(transport_id ? transport_id : "?");
	char *key = xasprintf("sha256:%s", sha256_hex);
	char *alert_key = xasprintf("quarantine:%s", sha256_hex);
	char size[32], ntries[16], date[32], detail[256];
	char **coords = NULL;
	size_t ncoords = 0;
	struct tmpl_var v[5];
	struct outmail om;
	int64_t inbound_id;
	int added, rc = -1;

	*rejected = true;
	log_errorx("inbound: %s (%zu bytes, sha256 %s) quarantined: %d attempts at it died; "
		   "set aside unread", id, len, sha256_hex, tries);
	snprintf(detail, sizeof(detail), "quarantined: %d attempts at it died", tries);
	added = store_inbound_add(p->st, key, NULL, NULL, NULL, p->now, &inbound_id);
	if (added < 0 ||
	    (added == 1 && store_inbound_finish(p->st, inbound_id, NULL, "rejected", detail) < 0))
		goto out;
	snprintf(size, sizeof(size), "%zu", len);
	snprintf(ntries, sizeof(ntries), "%d", tries);
	time_format_iso(p->now, date, sizeof(date));
	v[0] = (struct tmpl_var){ "transport_id", id };
	v[1] = (struct tmpl_var){ "size", size };
	v[2] = (struct tmpl_var){ "sha256", sha256_hex };
	v[3] = (struct tmpl_var){ "tries", ntries };
	v[4] = (struct tmpl_var){ "date", date };
	if ((ncoords = program_coordinators(p->conf, &coords)) == 0) {
		log_warnx("inbound: no coordinators are configured to be told of %s", id);
		rc = 0;
		goto out;
	}
	memset(&om, 0, sizeof(om));
	om.tmpl = "quarantine_alert";
	om.vars = v;
	om.nvars = sizeof(v) / sizeof(v[0]);
	om.to = (const char *const *)coords;
	om.nto = ncoords;
	om.key = alert_key;
	rc = outmail_queue(p, &om);
out:
	program_strv_free(coords, ncoords);
	free(id);
	free(key);
	free(alert_key);
	return rc;
}

/* Retry delays for transient failures: 1, 2, 4 ... minutes, at most an hour. */
static int64_t
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

/* Consecutive transient failures after which a flush stops: the relay is down or
 * silent, and each further try would cost a whole timeout. The rest stays due. */
#define OUTBOX_MAX_TRANSIENT 3
#define OUTBOX_GROUP 4

/* outbox_record: the result of one send, in the store. -1 only when the store failed. */
static int
outbox_record(struct store *st, const struct outbox_item *o, enum outbound_result r,
	      const char *err, int64_t now, int retry_max_hours)
{
	if (r == OUTBOUND_SENT)
		return store_outbox_sent(st, o->id, now);
	if (r == OUTBOUND_TRANSIENT && now - o->created_at < (int64_t)retry_max_hours * 3600) {
		log_warnx("outbox: %s deferred: %s", o->key, err);
		return store_outbox_retry(st, o->id, now + outbox_backoff(o->attempts), err);
	}
	log_warnx("outbox: %s failed %s: %s", o->key,
		  r == OUTBOUND_PERMANENT ? "permanently" : "for too long", err);
	return store_outbox_failed(st, o->id, err);
}

struct outbox_run {
	struct store *st;
	struct outbox_item *items;
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
		if (outbox_record(run->st, &run->items[i], run->r[i], run->errs[i], run->now,
				  run->retry_max_hours) < 0) {
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
	struct outbox_run run = { st, items, r, errs, now, retry_max_hours, stop, transient, 0,
				  0, 0, false };
	char serr[256] = "";
	bool batched = out->ops->sync != NULL;
	int done = 0, nsent = 0, rc = -1;

	for (int i = 0; i < n; i++) {
		msgs[i].envelope_from = items[i].envelope_from;
		msgs[i].nrcpts = outbox_rcpts(&items[i], rcpts[i], 100);
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
					char err[256];
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
		if (outbox_record(st, &items[i], r[i], errs[i], now, retry_max_hours) < 0) {
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
	       (n = store_outbox_due(st, now, 256, &items)) > 0) {
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
out:
	if (items)
		outbox_items_free(items, n);
	if (store_durable(st, true) < 0)
		rc = -1;
	return rc;
}
