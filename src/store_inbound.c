/* store_inbound.c: the inbound side of the store (see store.h): the log of inbound
 * messages (with where the transport keeps each), the tries at them (inbound_attempts,
 * for the poison-message quarantine), the queue of processed messages an erasure asked
 * the transport to remove, and the small key/value state table (IMAP positions). A string returned through an
 * out-pointer is the caller's to free(). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

int
store_state_get(struct store *st, const char *key, char **val)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT value FROM state WHERE key = ?", "s", key);
	int rc;

	*val = NULL;
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*val = col_text(stmt, 0);
	return store_row_end(st, stmt, rc) < 0 ? -1 : 0;
}

int
store_state_set(struct store *st, const char *key, const char *val)
{
	return store_exec(st, "INSERT INTO state(key, value) VALUES (?, ?) "
			  "ON CONFLICT(key) DO UPDATE SET value = excluded.value", "ss", key, val) < 0
		       ? -1 : 0;
}

int
store_inbound_add(struct store *st, const char *dedup_key, const char *message_id,
		  const char *sender, const char *subject, int64_t now, int64_t *id)
{
	/* the key of a message of someone erased since is kept only as its keyed hash */
	int n = store_exec(st, "INSERT OR IGNORE INTO inbound(dedup_key, message_id, sender, subject, "
			   "received_at) SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM "
			   "inbound WHERE dedup_key = ilnbot_hash(?1))", "ssssi", dedup_key,
			   message_id, sender, subject, now);

	if (n < 0)
		return -1;
	*id = n ? sqlite3_last_insert_rowid(st->db) : 0;
	return n;
}

int
store_inbound_finish(struct store *st, int64_t id, const char *command, enum outcome outcome,
		     const char *detail)
{
	return store_exec(st, "UPDATE inbound SET command = ?, outcome = ?, detail = ? WHERE id = ?",
			  "sssi", command, outcome_name(outcome), detail, id) < 0 ? -1 : 0;
}

int
store_inbound_set_transport(struct store *st, int64_t id, const char *transport_id)
{
	return store_exec(st, "UPDATE inbound SET transport_id = ? WHERE id = ?", "si", transport_id,
			  id) < 0 ? -1 : 0;
}

static void
erase_item_row(sqlite3_stmt *stmt, void *item)
{
	struct erase_item *e = item;

	e->id = sqlite3_column_int64(stmt, 0);
	e->transport_id = col_text(stmt, 1);
	e->message_id = col_text(stmt, 2);
}

static void
erase_item_undo(void *item)
{
	struct erase_item *e = item;

	free(e->transport_id);
	free(e->message_id);
}

int
store_erase_queue_list(struct store *st, struct erase_item **out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT id, transport_id, message_id FROM erase_queue "
					   "ORDER BY id LIMIT 1000", "");
	int n;

	*out = store_rows(st, stmt, sizeof(**out), erase_item_row, erase_item_undo, &n);
	return n;
}

int
store_erase_queue_done(struct store *st, int64_t id)
{
	st->erased = true;
	return store_exec(st, "DELETE FROM erase_queue WHERE id = ?", "i", id) < 0 ? -1 : 0;
}

void
erase_items_free(struct erase_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		erase_item_undo(&v[i]);
	free(v);
}

/* The index of the first of keys[0..i] equal to keys[i]: a key given twice counts once. */
static size_t
key_first(const char *const *keys, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(keys[j], keys[i]) == 0)
			return j;
	return i;
}

int
store_attempts_get(struct store *st, const char *const *keys, size_t n, int *tries)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *stmt = store_prepare(st, "SELECT tries FROM inbound_attempts "
						   "WHERE key = ?", "s", keys[i]);
		int rc;

		if (stmt == NULL)
			return -1;
		rc = sqlite3_step(stmt);
		tries[i] = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
		if (store_row_end(st, stmt, rc) < 0)
			return -1;
	}
	return 0;
}

int
store_attempts_begin(struct store *st, const char *const *keys, size_t n, int64_t now,
		     int *tries)
{
	if (store_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t j = key_first(keys, i);
		sqlite3_stmt *stmt;
		int rc;

		if (j < i) {
			tries[i] = tries[j];
			continue;
		}
		stmt = store_prepare(st, "INSERT INTO inbound_attempts(key, tries, first_at, last_at) "
				     "VALUES (?1, 1, ?2, ?2) ON CONFLICT(key) DO UPDATE SET "
				     "tries = tries + 1, last_at = ?2 RETURNING tries", "si", keys[i],
				     now);
		if (stmt == NULL)
			goto fail;
		rc = sqlite3_step(stmt);
		tries[i] = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) - 1 : 0;
		if (store_row_end(st, stmt, rc) != 1)
			goto fail;
	}
	if (store_commit(st) == 0)
		return 0;
fail:
	store_rollback(st);
	return -1;
}

int
store_attempts_clear(struct store *st, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (store_exec(st, "DELETE FROM inbound_attempts WHERE key = ?", "s", keys[i]) < 0)
			return -1;
	return 0;
}

int
store_attempts_undo(struct store *st, const char *const *keys, size_t n)
{
	if (store_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (key_first(keys, i) < i)
			continue;
		if (store_exec(st, "UPDATE inbound_attempts SET tries = tries - 1 WHERE key = ?", "s",
			       keys[i]) < 0 ||
		    store_exec(st, "DELETE FROM inbound_attempts WHERE key = ? AND tries <= 0", "s",
			       keys[i]) < 0)
			goto fail;
	}
	if (store_commit(st) == 0)
		return 0;
fail:
	store_rollback(st);
	return -1;
}
