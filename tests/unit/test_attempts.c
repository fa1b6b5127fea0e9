/* test_attempts.c: the try counts behind the quarantine of poison messages: counting
 * before each try, keys given twice, forgetting on commit, surviving a rollback, taking
 * a try back; and the SHA-256 that keys them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "process.h"
#include "store.h"
#include "util.h"

static char path[64];

static int
setup(void **state)
{
	char err[256];

	snprintf(path, sizeof(path), "/tmp/ilnbot-attempts-%d.db", (int)getpid());
	unlink(path);
	*state = store_open(path, err, sizeof(err));
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	char side[80];

	store_close(*state);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s.key", path);
	unlink(side);
	return 0;
}

static int
tries_of(struct store *st, const char *key)
{
	int t = -1;

	assert_int_equal(store_attempts_get(st, &key, 1, &t), 0);
	return t;
}

static void
test_schema(void **state)
{
	assert_true(store_schema_version(*state) >= 3);
}

static void
test_sha256(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	};
	char hex[PROCESS_SHA256_HEX];

	for (size_t i = 0; i < nitems(cases); i++) {
		process_sha256_hex(cases[i].in, strlen(cases[i].in), hex);
		assert_string_equal(hex, cases[i].want);
	}
}

/* Each begin gives the count before it, per key; get reads without counting. */
static void
test_counts(void **state)
{
	struct store *st = *state;
	const char *keys[] = { "k1", "k2", "k3" };
	static const struct {
		size_t first, n;
		int want[3];
	} steps[] = {
		{ 0, 3, { 0, 0, 0 } },     /* a batch: everybody's first try */
		{ 0, 1, { 1 } },           /* then one at a time */
		{ 0, 1, { 2 } },
		{ 1, 2, { 1, 1 } },
		{ 0, 3, { 3, 2, 2 } },
	};
	int tries[3];

	for (size_t s = 0; s < nitems(steps); s++) {
		memset(tries, 0xff, sizeof(tries));
		assert_int_equal(store_attempts_begin(st, keys + steps[s].first, steps[s].n, 100 + s,
						      tries), 0);
		for (size_t i = 0; i < steps[s].n; i++)
			assert_int_equal(tries[i], steps[s].want[i]);
	}
	assert_int_equal(store_attempts_get(st, keys, 3, tries), 0);
	assert_int_equal(tries[0], 4);
	assert_int_equal(tries[1], 3);
	assert_int_equal(tries[2], 3);
	assert_int_equal(tries_of(st, "never"), 0);
	assert_int_equal(tries_of(st, "k1"), 4);      /* get counted nothing */
}

/* The same bytes twice in one batch are one message tried once. */
static void
test_duplicates(void **state)
{
	struct store *st = *state;
	const char *keys[] = { "same", "other", "same" };
	int tries[3];

	assert_int_equal(store_attempts_begin(st, keys, 3, 1, tries), 0);
	assert_int_equal(tries[0], 0);
	assert_int_equal(tries[2], 0);
	assert_int_equal(tries_of(st, "same"), 1);
	assert_int_equal(store_attempts_begin(st, keys, 3, 2, tries), 0);
	assert_int_equal(tries[0], 1);
	assert_int_equal(tries[2], 1);
	assert_int_equal(store_attempts_undo(st, keys, 3), 0);
	assert_int_equal(tries_of(st, "same"), 1);
}

/* The processing transaction forgets its keys when it commits, keeps them when rolled back. */
static void
test_clear_commit_rollback(void **state)
{
	struct store *st = *state;
	const char *keys[] = { "a", "b" };
	int tries[2];
	int64_t id;

	assert_int_equal(store_attempts_begin(st, keys, 2, 1, tries), 0);
	/* the process dies (here: rolls back) inside the processing transaction */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_inbound_add(st, "mid:<a@x>", "<a@x>", NULL, NULL, 1, &id), 1);
	assert_int_equal(store_attempts_clear(st, keys, 2), 0);
	assert_int_equal(tries_of(st, "a"), 0);       /* inside: gone */
	store_rollback(st);
	assert_int_equal(tries_of(st, "a"), 1);
	assert_int_equal(tries_of(st, "b"), 1);
	/* the next try commits */
	assert_int_equal(store_attempts_begin(st, keys, 2, 2, tries), 0);
	assert_int_equal(tries[0], 1);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_attempts_clear(st, keys, 1), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(tries_of(st, "a"), 0);
	assert_int_equal(tries_of(st, "b"), 2);       /* not cleared: kept */
}

/* A clean failure takes its try back; at zero the row goes. */
static void
test_undo(void **state)
{
	struct store *st = *state;
	const char *key = "u";
	int tries;

	assert_int_equal(store_attempts_begin(st, &key, 1, 1, &tries), 0);
	assert_int_equal(store_attempts_begin(st, &key, 1, 2, &tries), 0);
	assert_int_equal(tries, 1);
	assert_int_equal(store_attempts_undo(st, &key, 1), 0);
	assert_int_equal(tries_of(st, key), 1);
	assert_int_equal(store_attempts_undo(st, &key, 1), 0);
	assert_int_equal(tries_of(st, key), 0);
	assert_int_equal(store_attempts_undo(st, &key, 1), 0);   /* nothing to take back */
	assert_int_equal(tries_of(st, key), 0);
	assert_int_equal(store_attempts_begin(st, &key, 1, 3, &tries), 0);
	assert_int_equal(tries, 0);
}

/* begin and undo run their own transaction: not inside another one. */
static void
test_own_transaction(void **state)
{
	struct store *st = *state;
	const char *key = "t";
	int tries;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_attempts_begin(st, &key, 1, 1, &tries), -1);
	store_rollback(st);
	assert_int_equal(store_attempts_begin(st, &key, 1, 1, &tries), 0);
	assert_int_equal(tries_of(st, key), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear_commit_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_transaction, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
