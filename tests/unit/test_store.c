/* test_store.c: the SQLite store: migrations and pragmas, deduplication of inbound
 * mail, tokens, the outbox's unique keys and retry states, erasure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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

	assert_int_equal(store_outbox_add(st, "k1", "<m1@x>", "b@x", "a@x\nc@x", "raw1", 4, 10), 1);
	assert_int_equal(store_outbox_add(st, "k1", "<m9@x>", "b@x", "a@x", "raw", 3, 10), 0);
	assert_int_equal(store_outbox_add(st, "k2", "<m2@x>", "b@x", "a@x", "raw2", 4, 10), 1);
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
	assert_string_equal(part.status, "active");
	profile_free(&q);
	participant_clear(&part);
	assert_int_equal(store_subscriber_add(st, "ana@example.org", 5), 1);
	assert_int_equal(store_personal_erase(st, "ana@example.org"), 0);
	assert_int_equal(store_participant_get(st, "ana@example.org", NULL, NULL), 0);
	assert_int_equal(store_subscriber_has(st, "ana@example.org"), 0);
}

static void
test_reply_counts(void **state)
{
	struct store *st = *state;

	assert_int_equal(store_reply_count_bump(st, "a@x", "2026-03-02"), 1);
	assert_int_equal(store_reply_count_bump(st, "A@x", "2026-03-02"), 2);
	assert_int_equal(store_reply_count_bump(st, "a@x", "2026-03-03"), 1);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
