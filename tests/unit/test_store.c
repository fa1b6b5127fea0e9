/* test_store.c: the SQLite store: migrations and pragmas, deduplication of inbound
 * mail, tokens, the outbox's unique keys and retry states, erasure, and every accessor
 * once on a freshly migrated database (so the schema and the SQL of each store_*.c
 * agree). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "form.h"
#include "store.h"

static char path[64];

static int
setup(void **state)
{
	char err[256];

	snprintf(path, sizeof(path), "/tmp/ilnbot-store-%d.db", (int)getpid());
	unlink(path);
	*state = store_open(path, err, sizeof(err));
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	char wal[80];

	store_close(*state);
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s.key", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	return 0;
}

static void
test_schema(void **state)
{
	struct store *st = *state;
	char err[256];
	int v = store_schema_version(st);

	assert_true(v >= 2);
	store_close(st);
	*state = st = store_open(path, err, sizeof(err));   /* reopening migrates nothing */
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), v);
}

static void
test_inbound_dedup(void **state)
{
	struct store *st = *state;
	int64_t id1 = 0, id2 = 0;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_inbound_add(st, "mid:<a@b>", "<a@b>", "x@y", "HELP", 1, &id1), 1);
	assert_int_equal(store_inbound_add(st, "mid:<a@b>", "<a@b>", "x@y", "HELP", 2, &id2), 0);
	assert_int_equal(store_commit(st), 0);
	assert_true(id1 > 0);
	/* a rolled-back message leaves no trace and can be recorded again */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_inbound_add(st, "mid:<c@d>", NULL, NULL, NULL, 3, &id2), 1);
	store_rollback(st);
	assert_int_equal(store_inbound_add(st, "mid:<c@d>", NULL, NULL, NULL, 3, &id2), 1);
}

static void
test_tokens(void **state)
{
	struct store *st = *state;
	struct token t;

	assert_int_equal(store_token_add(st, "tok1", "ana@example.org", "signup", "{}", 100, 200), 0);
	assert_int_equal(store_token_get(st, "tok1", &t), 1);
	assert_string_equal(t.email, "ana@example.org");
	assert_int_equal(t.used_at, 0);
	token_clear(&t);
	assert_int_equal(store_token_use(st, "tok1", 150), 0);
	assert_int_equal(store_token_use(st, "tok1", 151), -1);   /* single use */
	assert_int_equal(store_token_get(st, "nope", &t), 0);
	assert_int_equal(store_token_count_since(st, "ANA@example.org", "signup", 50), 1);
	assert_int_equal(store_token_count_since(st, "ana@example.org", "signup", 101), 0);
}

static void
test_outbox(void **state)
{
	struct store *st = *state;
	struct outbox_item *items;
	int n;

	assert_int_equal(store_outbox_add(st, "k1", "test", "<m1@x>", "b@x", "a@x\nc@x", "raw1", 4, 10), 1);
	assert_int_equal(store_outbox_add(st, "k1", "test", "<m9@x>", "b@x", "a@x", "raw", 3, 10), 0);
	assert_int_equal(store_outbox_add(st, "k2", "test", "<m2@x>", "b@x", "a@x", "raw2", 4, 10), 1);
	n = store_outbox_due(st, 10, 10, &items);
	assert_int_equal(n, 2);
	assert_string_equal(items[0].rcpts, "a@x\nc@x");
	assert_memory_equal(items[0].raw, "raw1", 4);
	assert_int_equal(store_outbox_sent(st, items[0].id, 11), 0);
	assert_int_equal(store_outbox_retry(st, items[1].id, 100, "451 later"), 0);
	for (int i = 0; i < n; i++)
		outbox_item_clear(&items[i]);
	free(items);
	assert_int_equal(store_outbox_due(st, 50, 10, &items), 0);
	free(items);
	n = store_outbox_due(st, 100, 10, &items);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].attempts, 1);
	outbox_item_clear(&items[0]);
	free(items);
	assert_int_equal(store_outbox_is_ours(st, "<m1@x>"), 1);
	assert_int_equal(store_outbox_is_ours(st, "<zz@x>"), 0);
}

static void
test_participant_erase(void **state)
{
	struct store *st = *state;
	struct profile p, q;
	struct participant part = { 0 };

	profile_init(&p);
	p.name = "Ana";
	p.country = "BR";
	p.sector = "academic";
	p.workplace = "USP";
	p.years = 3;
	p.interests = "a, b";
	p.languages = "por,eng";
	p.partner_sector = "same";
	p.partner_stage = "different";
	p.digest = 1;
	assert_int_equal(store_participant_add(st, "ana@example.org", &p, 5, NULL), 0);
	assert_int_equal(store_participant_get(st, "ANA@example.org", &part, &q), 1);
	assert_string_equal(q.workplace, "USP");
	assert_int_equal(q.years, 3);
	assert_int_equal(part.status, PARTICIPANT_ACTIVE);
	profile_free(&q);
	participant_clear(&part);
	assert_int_equal(store_subscriber_add(st, "ana@example.org", 5), 1);
	assert_int_equal(store_personal_erase(st, "ana@example.org", 100), 0);
	assert_int_equal(store_participant_get(st, "ana@example.org", NULL, NULL), 0);
	assert_int_equal(store_subscriber_has(st, "ana@example.org"), 0);
}

/* Every word of the typed states (state.c) is one the schema's CHECKs accept, and
 * reads back as the same value. */
static void
test_states_fit_schema(void **state)
{
	struct store *st = *state;
	struct profile p;
	struct participant part = { 0 };
	struct partnership *v;
	struct round r;
	int64_t rid, a, b;

	profile_init(&p);
	p.name = "Ana";
	p.country = "BR";
	p.sector = "academic";
	p.workplace = "USP";
	p.years = 3;
	assert_int_equal(store_participant_add(st, "a@example.org", &p, 5, &a), 0);
	assert_int_equal(store_participant_add(st, "b@example.org", &p, 5, &b), 0);
	for (int s = 0; s < PARTICIPANT_NSTATUS; s++) {
		assert_int_equal(store_participant_set_status(st, "a@example.org", s, 6), 0);
		assert_int_equal(store_participant_get(st, "a@example.org", &part, NULL), 1);
		assert_int_equal(part.status, s);
		participant_clear(&part);
	}
	assert_int_equal(store_round_add(st, "R", 10, 20, 30, 4, 5, &rid), 0);
	for (int s = 0; s < ROUND_NSTATUS; s++) {
		assert_int_equal(store_round_set_status(st, rid, s), 0);
		if (s != ROUND_CLOSED) {
			assert_int_equal(store_round_current(st, 5, &r), 1);
			assert_int_equal(r.status, s);
			round_clear(&r);
		}
	}
	assert_int_equal(store_partnership_add(st, rid, a, b, 1, "", 5, NULL), 0);
	assert_int_equal(store_partnerships_list(st, rid, PARTNERSHIP_PROPOSED, &v), 1);
	for (int s = 0; s < PARTNERSHIP_NSTATUS; s++) {
		struct partnership *w;

		assert_int_equal(store_partnership_set_status(st, v[0].id, s, 6), 0);
		assert_int_equal(store_partnerships_list(st, rid, s, &w), 1);
		assert_int_equal(w[0].status, s);
		partnership_clear(&w[0]);
		free(w);
	}
	partnership_clear(&v[0]);
	free(v);
	for (int s = 0; s < OUTCOME_NSTATUS; s++) {
		enum outcome o;

		assert_int_equal(outcome_parse(outcome_name(s), &o), 0);
		assert_int_equal(o, s);
	}
	assert_int_equal(outcome_parse("nonsense", &(enum outcome){ 0 }), -1);
	for (int s = 0; s < BOUNCE_NRECORDS; s++) {
		enum bounce_record rec;

		assert_int_equal(store_bounce_add(st, 0, "a@example.org", "digest", s, "", "test",
						  5), 1);
		assert_int_equal(bounce_record_parse(bounce_record_name(s), &rec), 0);
		assert_int_equal(rec, s);
	}
	assert_string_equal(round_status_name((enum round_status)99), "?");
}

static void
test_reply_counts(void **state)
{
	struct store *st = *state;

	assert_int_equal(store_reply_count_bump(st, "a@x", "2026-03-02"), 1);
	assert_int_equal(store_reply_count_bump(st, "A@x", "2026-03-02"), 2);
	assert_int_equal(store_reply_count_bump(st, "a@x", "2026-03-03"), 1);
}

static void
profile_sample(struct profile *p, const char *name, int years)
{
	profile_init(p);
	p->name = (char *)name;
	p->country = "BR";
	p->sector = "academic";
	p->workplace = "USP";
	p->years = years;
	p->interests = "a, b";
	p->languages = "por,eng";
	p->partner_sector = "same";
	p->partner_stage = "different";
	p->digest = 0;
}

static void
free_pool(struct pool_row *rows, int n)
{
	for (int i = 0; i < n; i++)
		pool_row_clear(&rows[i]);
	free(rows);
}

static void
free_partnerships(struct partnership *v, int n)
{
	for (int i = 0; i < n; i++)
		partnership_clear(&v[i]);
	free(v);
}

/* Every store_* accessor at least once on a fresh database: a migration and the SQL
 * that reads or writes its tables cannot disagree (a prepare or a step fails). */
static void
test_every_accessor(void **state)
{
	struct store *st = *state;
	const char *keys[] = { "k1" };
	struct profile pa, pb, q;
	struct participant part;
	struct token t;
	struct round r;
	struct partnership x, *v;
	struct pool_row *rows;
	struct outbox_item *items;
	char *val, **emails;
	int64_t id, a, b, rid;
	int tries[1], n;

	assert_int_equal(store_durable(st, false), 0);
	assert_int_equal(store_durable(st, true), 0);

	/* store_inbound.c */
	assert_int_equal(store_state_get(st, "imap.last_uid", &val), 0);
	assert_null(val);
	assert_int_equal(store_state_set(st, "imap.last_uid", "7"), 0);
	assert_int_equal(store_state_set(st, "imap.last_uid", "8"), 0);
	assert_int_equal(store_state_get(st, "imap.last_uid", &val), 0);
	assert_string_equal(val, "8");
	free(val);
	assert_int_equal(store_inbound_add(st, "mid:<i@x>", "<i@x>", "ana@example.org", "HELP", 1,
					   &id), 1);
	assert_int_equal(store_inbound_finish(st, id, "help", OUTCOME_DONE, "ok"), 0);
	assert_int_equal(store_attempts_begin(st, keys, 1, 1, tries), 0);
	assert_int_equal(tries[0], 0);
	assert_int_equal(store_attempts_get(st, keys, 1, tries), 0);
	assert_int_equal(tries[0], 1);
	assert_int_equal(store_attempts_undo(st, keys, 1), 0);
	assert_int_equal(store_attempts_begin(st, keys, 1, 2, tries), 0);
	assert_int_equal(store_attempts_clear(st, keys, 1), 0);
	assert_int_equal(store_attempts_get(st, keys, 1, tries), 0);
	assert_int_equal(tries[0], 0);

	/* store_participant.c */
	profile_sample(&pa, "Ana", 3);
	profile_sample(&pb, "Bo", 20);
	assert_int_equal(store_participant_add(st, "ana@example.org", &pa, 5, &a), 0);
	assert_int_equal(store_participant_add(st, "bo@example.org", &pb, 5, &b), 0);
	pa.years = 4;
	assert_int_equal(store_participant_update(st, "ana@example.org", &pa, 6), 0);
	assert_int_equal(store_participant_set_status(st, "bo@example.org", PARTICIPANT_WITHDRAWN, 6), 0);
	assert_int_equal(store_participant_set_status(st, "bo@example.org", PARTICIPANT_ACTIVE, 7), 0);
	assert_int_equal(store_subscriber_add(st, "bo@example.org", 5), 1);
	assert_int_equal(store_subscriber_add(st, "bo@example.org", 5), 0);
	assert_int_equal(store_participant_set_email(st, "bo@example.org", "bob@example.org", 8),
			 0);
	assert_int_equal(store_participant_get(st, "bob@example.org", &part, &q), 1);
	assert_int_equal(part.id, b);
	assert_int_equal(part.updated_at, 8);
	assert_string_equal(q.name, "Bo");
	participant_clear(&part);
	profile_free(&q);
	assert_int_equal(store_subscriber_has(st, "bob@example.org"), 1);
	assert_int_equal(store_subscribers_list(st, &emails), 1);
	assert_string_equal(emails[0], "bob@example.org");
	free(emails[0]);
	free(emails);
	assert_int_equal(store_subscriber_remove(st, "bob@example.org"), 1);
	assert_int_equal(store_subscriber_remove(st, "bob@example.org"), 0);
	assert_int_equal(n = store_participants_list(st, &rows), 2);
	assert_int_equal(rows[0].prof->years, 4);
	assert_string_equal(rows[1].email, "bob@example.org");
	free_pool(rows, n);
	assert_int_equal(store_reply_count_bump(st, "ana@example.org", "2026-03-02"), 1);

	/* store_token.c */
	assert_int_equal(store_token_add(st, "tok", "ana@example.org", "withdraw", NULL, 5, 50), 0);
	assert_int_equal(store_token_get(st, "tok", &t), 1);
	assert_string_equal(t.payload, "");
	token_clear(&t);
	assert_int_equal(store_token_use(st, "tok", 6), 0);
	assert_int_equal(store_token_count_since(st, "ana@example.org", "withdraw", 0), 1);

	/* store_outbox.c */
	assert_int_equal(store_outbox_add(st, "o1", "test", "<o1@x>", "b@x", "ana@example.org", "r", 1, 5),
			 1);
	assert_int_equal(store_outbox_add(st, "o2", "test", "<o2@x>", "b@x", "bob@example.org", "r", 1, 5),
			 1);
	assert_int_equal(n = store_outbox_due(st, 5, 10, &items), 2);
	assert_int_equal(store_outbox_retry(st, items[0].id, 6, "451 later"), 0);
	assert_int_equal(store_outbox_sent(st, items[0].id, 6), 0);
	assert_int_equal(store_outbox_failed(st, items[1].id, "550 no"), 0);
	for (int i = 0; i < n; i++)
		outbox_item_clear(&items[i]);
	free(items);
	assert_int_equal(store_outbox_failed_count(st), 1);
	assert_int_equal(store_outbox_is_ours(st, "<o2@x>"), 1);

	/* store_round.c */
	assert_int_equal(store_round_add(st, "2026-1", 10, 20, 30, 6, 5, &rid), 0);
	assert_int_equal(store_round_exists(st, "2026-1"), 1);
	assert_int_equal(store_round_current(st, 5, &r), 1);
	assert_int_equal(r.id, rid);
	assert_int_equal(r.months, 6);
	assert_int_equal(r.status, ROUND_OPEN);
	round_clear(&r);
	assert_int_equal(store_round_set_status(st, rid, ROUND_PREVIEWED), 0);
	assert_int_equal(store_partnership_add(st, rid, b, a, 9, "why", 6, NULL), 0);
	assert_int_equal(store_unmatched_add(st, rid, a, "none"), 0);
	assert_int_equal(n = store_partnerships_list(st, rid, PARTNERSHIP_PROPOSED, &v), 1);
	assert_int_equal(v[0].a, a < b ? a : b);
	assert_int_equal(v[0].weight, 9);
	id = v[0].id;
	free_partnerships(v, n);
	assert_int_equal(n = store_unmatched_list(st, rid, &v), 1);
	assert_string_equal(v[0].why, "none");
	free_partnerships(v, n);
	assert_int_equal(n = store_pool_list(st, &rows), 2);   /* a proposal leaves both in */
	free_pool(rows, n);
	assert_int_equal(store_partner_of(st, a, &x), 0);
	assert_int_equal(store_partnership_set_status(st, id, PARTNERSHIP_ACTIVE, 7), 0);
	assert_int_equal(store_partner_of(st, a, &x), 1);
	assert_string_equal(x.b_email, a < b ? "bob@example.org" : "ana@example.org");
	partnership_clear(&x);
	assert_int_equal(store_pool_list(st, &rows), 0);
	free(rows);
	assert_int_equal(store_partnership_set_status(st, id, PARTNERSHIP_ENDED, 8), 0);
	assert_int_equal(n = store_pool_list(st, &rows), 2);
	assert_int_equal(rows[0].nprevious, 1);
	free_pool(rows, n);
	assert_int_equal(store_proposals_clear(st, rid), 0);
	assert_int_equal(store_unmatched_list(st, rid, &v), 0);
	free(v);

	/* erasure reaches every table that holds the address */
	assert_int_equal(store_personal_erase(st, "ana@example.org", 100), 0);
	assert_int_equal(store_participant_get(st, "ana@example.org", NULL, NULL), 0);
	/* the rate limit counts on, under a keyed hash; the token itself is gone */
	assert_int_equal(store_token_count_since(st, "ana@example.org", "withdraw", 0), 1);
	assert_int_equal(store_token_get(st, "tok", &t), 0);
	/* the record of mail sent stays (a reply to it is still ours), its body does not */
	assert_int_equal(store_outbox_is_ours(st, "<o1@x>"), 1);
	assert_int_equal(store_outbox_is_ours(st, "<o2@x>"), 1);
}

/* An erasure reaches what is stored under the address the person had before a CHANGE,
 * keeps duplicate detection and the reply counter as keyed hashes, queues their
 * messages for removal from the mailbox, and purges anyone's sent mail naming them. */
static void
test_erase_everywhere(void **state)
{
	static const char exp[] = "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
				  "Zebulon Can=\r\nary <new@=65xample.org>\r\n";
	static const char intro[] = "Subject: =?utf-8?b?WmVidWxvbiBD?= =?utf-8?b?YW5hcnk=?=\r\n";
	struct store *st = *state;
	struct profile p;
	struct erase_item *q = NULL;
	struct token t;
	struct outbox_item *items = NULL;
	char h1[STORE_HASH_LEN], h2[STORE_HASH_LEN];
	int64_t id, pid;
	int n;

	profile_init(&p);
	p.name = "Zebulon Canary";
	p.country = "BR";
	p.sector = "academic";
	p.workplace = "USP";
	p.interests = "a";
	p.languages = "por";
	p.partner_sector = "same";
	p.partner_stage = "different";
	store_hash(st, "x", h1);
	store_hash(st, "x", h2);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), STORE_HASH_LEN - 1);
	store_hash(st, "y", h2);
	assert_string_not_equal(h1, h2);

	assert_int_equal(store_participant_add(st, "old@example.org", &p, 5, &pid), 0);
	assert_int_equal(store_inbound_add(st, "mid:<m1@old>", "<m1@old>", "old@example.org",
					   "JOIN", 5, &id), 1);
	assert_int_equal(store_inbound_set_transport(st, id, "111.file"), 0);
	assert_int_equal(store_token_add(st, "told", "old@example.org", "change",
					 "{\"to\":\"new@example.org\"}", 5, 500), 0);
	assert_int_equal(store_reply_count_bump(st, "old@example.org", "d1"), 1);
	assert_int_equal(store_participant_set_email(st, "old@example.org", "new@example.org", 6), 0);
	assert_int_equal(store_inbound_add(st, "mid:<m2@new>", "<m2@new>", "NEW@example.org",
					   "DELETE", 7, &id), 1);
	assert_int_equal(store_inbound_set_transport(st, id, "222.file"), 0);
	/* a coordinator's export naming them, sent; a partner's introduction, queued */
	assert_int_equal(store_outbox_add(st, "exp", "export", "<e@x>", "b@x", "coord@example.org",
					  exp, strlen(exp), 7), 1);
	assert_int_equal(store_outbox_add(st, "intro", "intro", "<i@x>", "b@x", "bob@example.org",
					  intro, strlen(intro), 7), 1);
	assert_int_equal(n = store_outbox_due(st, 7, 10, &items), 2);
	assert_int_equal(store_outbox_sent(st, items[0].id, 8), 0);
	for (int i = 0; i < n; i++)
		outbox_item_clear(&items[i]);
	free(items);

	assert_int_equal(store_personal_erase(st, "new@example.org", 9), 0);
	assert_int_equal(store_participant_get(st, "new@example.org", NULL, NULL), 0);
	/* both messages queued for removal, by transport id and Message-ID */
	assert_int_equal(n = store_erase_queue_list(st, &q), 2);
	assert_string_equal(q[0].transport_id, "222.file");   /* the address now, then before */
	assert_string_equal(q[0].message_id, "<m2@new>");
	assert_string_equal(q[1].transport_id, "111.file");
	assert_int_equal(store_erase_queue_done(st, q[0].id), 0);
	assert_int_equal(store_erase_queue_done(st, q[1].id), 0);
	erase_items_free(q, (size_t)n);
	assert_int_equal(store_erase_queue_list(st, &q), 0);
	free(q);
	/* duplicates are still recognised, under the keyed hash */
	assert_int_equal(store_inbound_add(st, "mid:<m1@old>", "<m1@old>", NULL, NULL, 10, &id), 0);
	assert_int_equal(store_inbound_add(st, "mid:<m3@x>", "<m3@x>", NULL, NULL, 10, &id), 1);
	/* the old address's token is gone, its count stays; so does the reply counter */
	assert_int_equal(store_token_get(st, "told", &t), 0);
	assert_int_equal(store_token_count_since(st, "old@example.org", "change", 0), 1);
	assert_int_equal(store_reply_count_bump(st, "old@example.org", "d1"), 2);
	/* the sent export lost its body; the queued introduction goes whole when sent */
	assert_int_equal(n = store_outbox_due(st, 9, 10, &items), 1);
	assert_string_equal(items[0].key, "intro");
	assert_int_equal(store_outbox_sent(st, items[0].id, 10), 0);
	outbox_item_clear(&items[0]);
	free(items);
}

/* length(raw) of the first row of a query on the store's file, through a connection of
 * the test's own. */
static int
raw_len(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return n;
}

/* Sent mail keeps no body (sent_keep_days 0); a fan-out's shared body goes only when
 * its last copy has left; with sent_keep_days, bodies stay until the purge after that. */
static void
test_sent_bodies_purged(void **state)
{
	static const char shared[] = "Subject: digest\r\n\r\nthe shared part\r\n";
	struct store *st = *state;
	struct outbox_item *items = NULL;
	int64_t sid;
	int n;

	assert_int_equal(store_outbox_shared_add(st, shared, strlen(shared), 5, &sid), 0);
	assert_int_equal(store_outbox_add_shared(st, "d1", "digest", "<d1@x>", "b@x", "a@x",
						 "To: a@x\r\n", 9, sid, 5), 1);
	assert_int_equal(store_outbox_add_shared(st, "d2", "digest", "<d2@x>", "b@x", "c@x",
						 "To: c@x\r\n", 9, sid, 5), 1);
	assert_int_equal(n = store_outbox_due(st, 5, 1, &items), 1);
	assert_int_equal(store_outbox_sent(st, items[0].id, 6), 0);
	outbox_item_clear(&items[0]);
	free(items);
	assert_int_equal(raw_len("SELECT length(raw) FROM outbox WHERE key = 'd1'"), 0);
	assert_int_equal(raw_len("SELECT length(raw) FROM outbox_shared"), (int)strlen(shared));
	/* the copy still queued is whole */
	assert_int_equal(n = store_outbox_due(st, 6, 5, &items), 1);
	assert_int_equal(items[0].len, 9 + strlen(shared));
	assert_int_equal(store_outbox_sent(st, items[0].id, 7), 0);
	outbox_item_clear(&items[0]);
	free(items);
	assert_int_equal(raw_len("SELECT length(raw) FROM outbox_shared"), 0);

	/* kept for a day: the body stays, then the purge takes it */
	store_sent_keep(st, 1);
	assert_int_equal(store_outbox_add(st, "k", "test", "<k@x>", "b@x", "a@x", "body", 4, 10), 1);
	assert_int_equal(n = store_outbox_due(st, 10, 5, &items), 1);
	assert_int_equal(store_outbox_sent(st, items[0].id, 11), 0);
	outbox_item_clear(&items[0]);
	free(items);
	assert_int_equal(store_outbox_purge(st, 12, true), 0);
	assert_int_equal(raw_len("SELECT length(raw) FROM outbox WHERE key = 'k'"), 4);
	assert_int_equal(store_outbox_purge(st, 11 + 86400, true), 0);
	assert_int_equal(raw_len("SELECT length(raw) FROM outbox WHERE key = 'k'"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbound_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_participant_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_accessor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_states_fit_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sent_bodies_purged, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
