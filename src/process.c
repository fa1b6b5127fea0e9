/* process.c: the inbound transaction. One message goes from raw bytes to committed
 * state and queued replies: it is recorded (deduplicated by Message-ID, or by a SHA-256
 * of its bytes when it has none) in the same transaction as everything it causes, so a
 * crash anywhere leaves either nothing or all of it; the transport marks it done only
 * afterwards. A pass takes messages in batches committed together, and counts every try
 * at a message so that one whose processing keeps killing the process is quarantined:
 * set aside unread, with one alert to the coordinators. Items fetched here are freed
 * here; the program, transport and sender are the caller's. */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "msg.h"
#include "inbound.h"
#include "outbound.h"
#include "process.h"
#include "program.h"
#include "sender.h"
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

#define SMTPUTF8_ASK_EVERY 3600        /* seconds the relay's answer is kept */
#define SMTPUTF8_ASK_AGAIN 60          /* seconds before asking again when it failed */

bool
process_relay_wanted(const struct program *p, const char *raw, size_t len)
{
	time_t age = time(NULL) - (time_t)p->smtputf8_at;

	return strcmp(p->conf->out_transport, "smtp") == 0 &&
	       (p->smtputf8_at == 0 ||
		age >= (p->smtputf8 ? SMTPUTF8_ASK_EVERY : SMTPUTF8_ASK_AGAIN)) &&
	       msg_from_utf8_local(raw, len);
}

void
process_relay_ask(struct program *p)
{
	struct outbound out;
	char err[256] = "";
	int r = -1;

	if (outbound_open(&out, p->conf, err, sizeof(err)) == 0) {
		r = out.ops->smtputf8 ? out.ops->smtputf8(out.h, err, sizeof(err)) : 0;
		outbound_close(&out);
	}
	p->smtputf8 = r < 0 ? 0 : r ? 1 : -1;
	p->smtputf8_at = time(NULL);
	snprintf(p->smtputf8_err, sizeof(p->smtputf8_err), "%s", r < 0 ? err : "");
}

/* A From whose only fault is a UTF-8 local part (RFC 6531): answered when the outbound
 * transport is SMTP and the relay offers SMTPUTF8, as process_relay_ask() found before
 * the transaction (a network wait never holds the store), else set aside with the
 * reason in from_error. Maildir outbound cannot know what the MTA behind it offers:
 * set aside. */
static void
process_utf8_from(struct program *p, struct msg *m)
{
	const char *t = p->conf->out_transport;
	char *why = NULL;

	if (strcmp(t, "smtp") != 0)
		why = xasprintf("%s: set aside, the %s outbound transport cannot tell whether a "
				"relay behind it offers SMTPUTF8", m->from_error, t);
	else if (p->smtputf8 == 0)
		why = xasprintf("%s: set aside, the relay could not be asked whether it offers "
				"SMTPUTF8 (%s); ilnbot reprocess answers it later", m->from_error,
				*p->smtputf8_err ? p->smtputf8_err : "not asked");
	else if (p->smtputf8 < 0)
		why = xasprintf("%s: set aside, the relay does not offer SMTPUTF8", m->from_error);
	if (why) {
		free(m->from_error);
		m->from_error = why;
		return;
	}
	m->from = m->from_utf8;
	m->from_utf8 = NULL;
	free(m->from_error);
	m->from_error = NULL;
}

int
process_message_tx(struct program *p, const char *transport_id, const char *raw, size_t len,
		   bool too_big, bool *rejected)
{
	struct program_in in;
	struct msg *m = NULL;
	char why[256] = "";
	char *key = NULL;
	const char *automated;
	int64_t id;
	int added, bounced, rc = -1;

	*rejected = false;
	memset(&in, 0, sizeof(in));
	if (too_big)
		snprintf(why, sizeof(why), "larger than %u bytes", MSG_MAX_SIZE);
	else {
		process_test_crash(raw, len);
		m = msg_parse(raw, len, why, sizeof(why));
		if (m && m->from == NULL && m->from_utf8)
			process_utf8_from(p, m);
	}
	key = process_dedup_key(m, raw, len);
	added = store_inbound_add(p->st, key, m ? m->message_id : NULL, m ? m->from : NULL,
				  m ? m->subject : NULL, p->now, &id);
	if (added < 0)
		goto fail;
	if (added == 0) {
		log_info("inbound: message %s already processed; skipped",
			 transport_id ? transport_id : "");
		rc = 0;
		goto out;
	}
	if (transport_id && store_inbound_set_transport(p->st, id, transport_id) < 0)
		goto fail;
	in.m = m;
	in.inbound_id = id;
	if (!too_big && (bounced = program_bounce(p, &in, raw, len, rejected)) != 0) {
		/* a bounce or complaint: recognised before anything else, never answered */
		if (bounced < 0)
			goto fail;
	} else if (m == NULL) {
		in.outcome = OUTCOME_REJECTED;
		snprintf(in.detail, sizeof(in.detail), "unparseable: %s", why);
		*rejected = true;
	} else if (m->from == NULL) {
		in.outcome = OUTCOME_REJECTED;
		snprintf(in.detail, sizeof(in.detail), "unusable From: %s", m->from_error);
		*rejected = true;
	} else if (msg_is_automated(m, p->conf->address, &automated)) {
		in.outcome = OUTCOME_IGNORED;
		snprintf(in.detail, sizeof(in.detail), "automated mail: %s", automated);
	} else if (m->message_id && store_outbox_is_ours(p->st, m->message_id)) {
		in.outcome = OUTCOME_IGNORED;
		snprintf(in.detail, sizeof(in.detail), "our own message");
	} else if (program_handle(p, &in) < 0 || program_bounce_alive(p, m->from) < 0) {
		goto fail;
	}
	if (store_inbound_finish(p->st, id, NULL, in.outcome, in.detail) < 0)
		goto fail;
	/* Mail set aside keeps its bytes, for `ilnbot reprocess` once the cause is fixed. */
	if (*rejected && store_rejected_keep(p->st, id, raw, len) < 0)
		goto fail;
	if (*rejected)
		log_warnx("inbound: message %lld set aside: %s", (long long)id, in.detail);
	else
		/* no address at the default level: logs outlive an erasure */
		log_info("inbound: message %lld: %s: %s", (long long)id, outcome_name(in.outcome),
			 in.detail);
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
	if (!too_big && process_relay_wanted(p, raw, len))
		process_relay_ask(p);
	if (store_begin(p->st) < 0)
		return -1;
	if (process_message_tx(p, NULL, raw, len, too_big, rejected) < 0 ||
	    store_commit(p->st) < 0) {
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
	    (added == 1 && store_inbound_finish(p->st, inbound_id, NULL, OUTCOME_REJECTED, detail) < 0))
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
	om.nvars = nitems(v);
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

/* Messages are committed in batches: one transaction for up to PROCESS_BATCH messages,
 * then each is marked done on the server, then their replies are sent.
 *
 * A message that kills the process (a parser crash; systemd restarts us) would otherwise
 * take its whole batch down again at every restart. So each try is counted, by a SHA-256
 * of the bytes, in a small transaction of its own before the processing one, which
 * forgets the counts again. A batch with a counted try left over from a run that died is
 * taken one message at a time, each counted just before its turn, so only the culprit
 * (never the messages after it, which were not reached) builds up tries; at
 * QUARANTINE_TRIES it is set aside unread and the coordinators are told. */

static void
items_clear(struct inbound_item *items, int n)
{
	for (int i = 0; i < n; i++)
		inbound_item_clear(&items[i]);
}

/* Count one more try at keys[0..n-1]; tries[i] = the count before. The count has to
 * survive a crash of ilnbot, not a power cut: no fsync for it. */
static int
attempts_mark(struct program *p, const char *const *keys, int n, int *tries)
{
	int rc;

	if (store_durable(p->st, false) < 0)
		return -1;
	rc = store_attempts_begin(p->st, keys, (size_t)n, program_tick(p), tries);
	if (store_durable(p->st, true) < 0)
		rc = -1;
	return rc;
}

/* Process items[0..n-1] in one transaction and forget their tries in it, except those of
 * the quarantined, which stay so that a copy fetched again is never parsed. On a store
 * failure everything is rolled back and the tries counted for it taken back. */
static int
batch_commit(struct program *p, struct inbound_item *items, bool *rejected, const char *const *keys,
	   const int *tries, int n)
{
	for (int i = 0; i < n; i++)
		if (tries[i] < QUARANTINE_TRIES && !items[i].too_big &&
		    process_relay_wanted(p, items[i].raw, items[i].len))
			process_relay_ask(p);
	if (store_begin(p->st) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		int r;

		program_tick(p);
		if (tries[i] >= QUARANTINE_TRIES) {
			char *qkey = xasprintf("sha256:%s", keys[i]);

			r = process_quarantine_tx(p, items[i].id, items[i].len, keys[i],
						  tries[i], &rejected[i]);
			if (r == 0)
				r = store_rejected_keep_key(p->st, qkey, items[i].raw,
							    items[i].len);
			free(qkey);
		} else
			r = process_message_tx(p, items[i].id, items[i].raw, items[i].len,
					       items[i].too_big, &rejected[i]);
		if (r < 0 || (tries[i] < QUARANTINE_TRIES &&
			      store_attempts_clear(p->st, &keys[i], 1) < 0))
			goto rollback;
	}
	if (store_commit(p->st) < 0)
		goto rollback;
	return 0;
rollback:
	store_rollback(p->st);
fail:
	if (store_attempts_undo(p->st, keys, (size_t)n) < 0)
		log_warnx("inbound: cannot take back the tries counted for %d messages", n);
	return -1;
}

/* Mark committed items done on the server. */
static int
batch_done(struct inbound *in, struct inbound_item *items, bool *rejected, int n)
{
	char err[512];

	if (inbound_done_all(in, items, rejected, (size_t)n, err, sizeof(err)) < 0) {
		log_errorx("inbound: cannot mark %d message%s done: %s", n, n == 1 ? "" : "s", err);
		return -1;
	}
	return 0;
}

/* One message at a time, each with its own try counted and its own transaction. */
static int
batch_singly(struct program *p, struct inbound *in, struct inbound_item *items, bool *rejected,
	     const char *const *keys, int n, volatile int *stop)
{
	for (int i = 0; i < n && !*stop; i++) {
		int tries;

		if (attempts_mark(p, &keys[i], 1, &tries) < 0)
			return -1;
		if (tries > 0 && tries < QUARANTINE_TRIES)
			log_warnx("inbound: %s: try %d; %d before it died", items[i].id, tries + 1,
				  tries);
		if (batch_commit(p, &items[i], &rejected[i], &keys[i], &tries, 1) < 0 ||
		    batch_done(in, &items[i], &rejected[i], 1) < 0)
			return -1;
	}
	return 0;
}

/* One batch: 1 = some handled, 0 = nothing new, -1 = transport or store error. */
static int
batch_one(struct program *p, struct inbound *in, struct inbound_item *items, bool *rejected,
	  volatile int *stop)
{
	char err[512];
	char (*sha)[PROCESS_SHA256_HEX] = NULL;
	const char **keys = NULL;
	int *tries = NULL;
	int n = 0, r = 0, rc = -1, died = 0;

	while (n < PROCESS_BATCH && !*stop &&
	       (r = in->ops->next(in->h, &items[n], err, sizeof(err))) > 0)
		n++;
	if (r < 0 && !*stop)
		log_errorx("inbound: %s", err);
	if (n == 0)
		return r < 0 && !*stop ? -1 : 0;
	sha = xcalloc((size_t)n, sizeof(*sha));
	keys = xcalloc((size_t)n, sizeof(*keys));
	tries = xcalloc((size_t)n, sizeof(*tries));
	for (int i = 0; i < n; i++) {
		process_sha256_hex(items[i].raw, items[i].len, sha[i]);
		keys[i] = sha[i];
	}
	if (store_attempts_get(p->st, keys, (size_t)n, tries) < 0)
		goto out;
	for (int i = 0; i < n; i++)
		died += tries[i] > 0;
	if (died > 0) {
		log_warnx("inbound: %d of a batch of %d were tried by a run that died; "
			  "taking the batch one message at a time", died, n);
		if (batch_singly(p, in, items, rejected, keys, n, stop) < 0)
			goto out;
	} else if (attempts_mark(p, keys, n, tries) < 0 ||
		   batch_commit(p, items, rejected, keys, tries, n) < 0 ||
		   batch_done(in, items, rejected, n) < 0) {
		goto out;
	}
	rc = r < 0 && !*stop ? -1 : 1;
out:
	items_clear(items, n);
	free(sha);
	free(keys);
	free(tries);
	return rc;
}

int
process_erasures(struct program *p, struct inbound *in)
{
	struct erase_item *items = NULL;
	char err[512] = "";
	int n, rc = -1;

	if ((n = store_erase_queue_list(p->st, &items)) < 0)
		return -1;
	if (n > 0 && in && in->ops->erase &&
	    in->ops->erase(in->h, items, (size_t)n, err, sizeof(err)) < 0) {
		log_errorx("inbound: cannot remove %d erased message%s: %s", n, n == 1 ? "" : "s",
			   err);
		goto out;
	}
	if (n > 0) {
		if (store_begin(p->st) < 0)
			goto out;
		for (int i = 0; i < n; i++)
			if (store_erase_queue_done(p->st, items[i].id) < 0) {
				store_rollback(p->st);
				goto out;
			}
		if (store_commit(p->st) < 0) {
			store_rollback(p->st);
			goto out;
		}
		log_info("inbound: %d message%s of an erased person removed", n, n == 1 ? "" : "s");
	}
	rc = 0;
out:
	store_checkpoint(p->st);
	erase_items_free(items, n > 0 ? (size_t)n : 0);
	return rc;
}

int
process_pass(struct program *p, struct inbound *in, struct sender *snd, volatile int *stop)
{
	struct inbound_item *items = xcalloc(PROCESS_BATCH, sizeof(*items));
	bool *rejected = xcalloc(PROCESS_BATCH, sizeof(*rejected));
	int r = 0, rc = -1;

	while (!*stop && (r = batch_one(p, in, items, rejected, stop)) > 0) {
		/* an erasure committed: its messages leave the mailbox, the WAL its text */
		if (process_erasures(p, in) < 0)
			log_warnx("inbound: erased messages stay queued for removal");
		sender_kick(snd);
	}
	if (r < 0)
		goto out;
	sender_kick(snd);       /* deferred mail may have fallen due */
	rc = 0;
out:
	free(items);
	free(rejected);
	return rc;
}

