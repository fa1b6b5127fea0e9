/* test_outbox.c: the outbox engine against fake transports and a real store: results of
 * a transport durable on each send are committed OUTBOX_GROUP at a time, before the next
 * message goes out; a batch-syncing transport is synced once and recorded at once, and a
 * failed sync defers everything; transient failures back off 1, 2, 4 ... minutes up to
 * an hour, stop the flush after OUTBOX_MAX_TRANSIENT in a row, and turn permanent after
 * retry_max_hours; a permanent failure is never retried; recipients refused at RCPT
 * (the whole mail, or some of them named by the transport) are counted as bounces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "outbound.h"
#include "outbox.h"
#include "store.h"
#include "util.h"

#define NOW 1800000000

struct fake {
	char db[256];
	sqlite3 *peek;                  /* a second connection, as a crash would see it */
	int calls, syncs;
	enum outbound_result script[64];
	int nscript;
	int sent_seen[64];              /* 'sent' rows committed when message i was handed */
	bool sync_fails;
	const char *errs[64];            /* the err of result i, when set */
};

static struct fake F;

static int
count(const char *status)
{
	sqlite3_stmt *s;
	int n = -1;

	assert_int_equal(sqlite3_prepare_v2(F.peek, "SELECT count(*) FROM outbox WHERE status = ?",
					    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static enum outbound_result
scripted(int i, char *err, size_t errsz)
{
	enum outbound_result r = i < F.nscript ? F.script[i] : OUTBOUND_SENT;

	snprintf(err, errsz, "%s", i < 64 && F.errs[i] ? F.errs[i] : r == OUTBOUND_SENT ? "" :
		 r == OUTBOUND_TRANSIENT ? "451 try later" : "550 no such user");
	return r;
}

static size_t
fake_send_many(void *h, const struct outbound_msg *msgs, size_t n,
	       int (*done)(void *arg, size_t i, enum outbound_result r, const char *err),
	       void *arg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char err[256];
		enum outbound_result r = scripted(F.calls, err, sizeof(err));

		F.sent_seen[F.calls < 64 ? F.calls : 63] = count("sent");
		F.calls++;
		if (done(arg, i, r, err) < 0)
			return i + 1;
	}
	return i;
}

static enum outbound_result
fake_send(void *h, const char *env, const char *const *rcpts, size_t nrcpts, const char *msg,
	  size_t len, char *err, size_t errsz)
{
	return scripted(F.calls++, err, errsz);
}

static int
fake_sync(void *h, char *err, size_t errsz)
{
	F.syncs++;
	if (F.sync_fails) {
		snprintf(err, errsz, "fsync failed");
		return -1;
	}
	return 0;
}

static const struct outbound_ops pipelined_ops = {
	.name = "pipelined", .send = fake_send, .send_many = fake_send_many,
};
static const struct outbound_ops batched_ops = {
	.name = "batched", .send = fake_send, .sync = fake_sync,
};

static struct store *
setup_store(int n)
{
	char err[256];
	struct store *st;

	memset(&F, 0, sizeof(F));
	snprintf(F.db, sizeof(F.db), "/tmp/ilnbot-test-outbox-%d.db", (int)getpid());
	unlink(F.db);
	st = store_open(F.db, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(sqlite3_open(F.db, &F.peek), SQLITE_OK);
	for (int i = 0; i < n; i++) {
		char key[32], id[64];

		snprintf(key, sizeof(key), "k%d", i);
		snprintf(id, sizeof(id), "<m%d@example.org>", i);
		assert_int_equal(store_outbox_add(st, key, "test", id, "bounce@example.org", "a@example.org",
						  "Subject: x\r\n\r\nhi\r\n", 17, NOW), 1);
	}
	return st;
}

static void
teardown_store(struct store *st)
{
	char path[300];

	store_close(st);
	sqlite3_close(F.peek);
	unlink(F.db);
	snprintf(path, sizeof(path), "%s-wal", F.db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", F.db);
	unlink(path);
	snprintf(path, sizeof(path), "%s.key", F.db);
	unlink(path);
}

static void
test_backoff(void **state)
{
	assert_int_equal(outbox_backoff(0), 60);
	assert_int_equal(outbox_backoff(1), 120);
	assert_int_equal(outbox_backoff(2), 240);
	assert_int_equal(outbox_backoff(5), 1920);
	assert_int_equal(outbox_backoff(6), 3600);
	assert_int_equal(outbox_backoff(100), 3600);
}

/* Results reach the store OUTBOX_GROUP at a time, before the next message is handed. */
static void
test_grouping(void **state)
{
	struct store *st = setup_store(10);
	struct outbound out = { &pipelined_ops, NULL, "test" };

	assert_int_equal(outbox_flush(st, &out, NOW, 120, NULL), 10);
	assert_int_equal(F.calls, 10);
	for (int i = 0; i < 10; i++)
		if (F.sent_seen[i] != (i / OUTBOX_GROUP) * OUTBOX_GROUP)
			fail_msg("message %d handed with %d sent recorded", i, F.sent_seen[i]);
	assert_int_equal(count("sent"), 10);
	assert_int_equal(count("queued"), 0);
	teardown_store(st);
}

/* A relay that keeps failing stops the flush; what was not tried stays due. */
static void
test_transient_stops(void **state)
{
	struct store *st = setup_store(8);
	struct outbound out = { &pipelined_ops, NULL, "test" };
	struct outbox_item *items;
	int n;

	for (int i = 0; i < 8; i++)
		F.script[i] = OUTBOUND_TRANSIENT;
	F.nscript = 8;
	assert_int_equal(outbox_flush(st, &out, NOW, 120, NULL), 0);
	assert_int_equal(F.calls, OUTBOX_MAX_TRANSIENT);
	assert_int_equal(count("queued"), 8);
	/* the tried ones wait a minute; the others are still due now */
	n = store_outbox_due(st, NOW, 100, &items);
	assert_int_equal(n, 8 - OUTBOX_MAX_TRANSIENT);
	for (int i = 0; i < n; i++)
		outbox_item_clear(&items[i]);
	free(items);
	n = store_outbox_due(st, NOW + 60, 100, &items);
	assert_int_equal(n, 8);
	for (int i = 0; i < n; i++)
		outbox_item_clear(&items[i]);
	free(items);
	teardown_store(st);
}

/* A permanent failure is recorded and never retried; a transient one older than
 * retry_max_hours counts as permanent. */
static void
test_permanent(void **state)
{
	struct store *st = setup_store(3);
	struct outbound out = { &pipelined_ops, NULL, "test" };

	F.script[0] = OUTBOUND_PERMANENT;
	F.script[1] = OUTBOUND_TRANSIENT;
	F.nscript = 2;
	assert_int_equal(outbox_flush(st, &out, NOW + 2 * 3600, 1, NULL), 1);
	assert_int_equal(count("failed"), 2);
	assert_int_equal(count("sent"), 1);
	F.calls = 0;
	assert_int_equal(outbox_flush(st, &out, NOW + 9 * 3600, 1, NULL), 0);
	assert_int_equal(F.calls, 0);
	teardown_store(st);
}

/* A batch-syncing transport: one sync, every result in one transaction; a failed sync
 * leaves everything queued for a retry. */
static void
test_batched(void **state)
{
	struct store *st = setup_store(5);
	struct outbound out = { &batched_ops, NULL, "test" };

	F.sync_fails = true;
	assert_int_equal(outbox_flush(st, &out, NOW, 120, NULL), 0);
	assert_int_equal(F.syncs, 1);
	assert_int_equal(count("queued"), 5);
	F.sync_fails = false;
	F.calls = 0;
	assert_int_equal(outbox_flush(st, &out, NOW + 3600, 120, NULL), 5);
	assert_int_equal(F.syncs, 2);
	assert_int_equal(count("sent"), 5);
	teardown_store(st);
}

static int
bounces(const char *email, const char *status)
{
	sqlite3_stmt *s;
	int n = -1;

	assert_int_equal(sqlite3_prepare_v2(F.peek, "SELECT count(*) FROM bounces WHERE email = ? "
					    "AND status = ? AND severity = 'permanent' AND "
					    "source = 'smtp' AND told = 0", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, email, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* Refused at RCPT: the whole mail (each recipient), or some recipients of a mail sent to
 * the others as the SMTP transport names them; refused at MAIL or DATA: nobody's. A
 * mail deferred past retry_max_hours fails for each recipient. */
static void
test_refused_rcpt(void **state)
{
	struct store *st = setup_store(0);
	struct outbound out = { &pipelined_ops, NULL, "test" };

	assert_int_equal(store_outbox_add(st, "k0", "digest", "<m0@example.org>", "b@example.org",
					  "a@example.org", "Subject: x\r\n\r\nhi\r\n", 17, NOW), 1);
	assert_int_equal(store_outbox_add(st, "k1", "introduction", "<m1@example.org>",
					  "b@example.org", "c@example.org\nd@example.org",
					  "Subject: x\r\n\r\nhi\r\n", 17, NOW), 1);
	assert_int_equal(store_outbox_add(st, "k2", "help", "<m2@example.org>", "b@example.org",
					  "e@example.org", "Subject: x\r\n\r\nhi\r\n", 17, NOW), 1);
	F.script[0] = OUTBOUND_PERMANENT;
	F.errs[0] = "SMTP refused at RCPT: 550 5.1.1 no such user";
	F.script[1] = OUTBOUND_SENT;
	F.errs[1] = "refused: d@example.org 550, x@example.org 551";
	F.script[2] = OUTBOUND_PERMANENT;
	F.errs[2] = "SMTP refused at MAIL: 553 sender rejected";
	F.nscript = 3;
	assert_int_equal(outbox_flush(st, &out, NOW, 120, NULL), 1);
	assert_int_equal(bounces("a@example.org", "550"), 1);
	assert_int_equal(bounces("d@example.org", "550"), 1);
	assert_int_equal(bounces("c@example.org", "550"), 0);
	assert_int_equal(bounces("x@example.org", "551"), 0);   /* not a recipient of it */
	assert_int_equal(bounces("e@example.org", "553"), 0);
	teardown_store(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_transient_stops),
		cmocka_unit_test(test_permanent),
		cmocka_unit_test(test_batched),
		cmocka_unit_test(test_refused_rcpt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
