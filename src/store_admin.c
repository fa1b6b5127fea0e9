/* store_admin.c: the store side of the operator's commands (see store.h): the bytes of
 * mail set aside and taking them back for reprocessing, the queue changes (flush, retry,
 * drop), and the read-only tables `ilnbot queue`, `rejected` and `status` print. Every
 * change is one statement, so it is safe beside a running daemon (SQLite's WAL and busy
 * handler). A struct admin_table is the caller's to admin_table_free(). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

int
store_rejected_keep(struct store *st, int64_t inbound_id, const char *raw, size_t len)
{
	return store_exec(st, "INSERT OR REPLACE INTO rejected_mail(inbound_id, raw) VALUES (?, ?)",
			  "ib", inbound_id, raw, len) < 0 ? -1 : 0;
}

int
store_rejected_keep_key(struct store *st, const char *dedup_key, const char *raw, size_t len)
{
	return store_exec(st, "INSERT OR REPLACE INTO rejected_mail(inbound_id, raw) "
			  "SELECT id, ? FROM inbound WHERE dedup_key = ? AND outcome = 'rejected'",
			  "bs", raw, len, dedup_key) < 0 ? -1 : 0;
}

int
store_rejected_take(struct store *st, int64_t id, char **raw, size_t *len)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT r.raw, i.dedup_key FROM rejected_mail r "
					   "JOIN inbound i ON i.id = r.inbound_id WHERE "
					   "r.inbound_id = ? AND i.outcome = 'rejected'", "i", id);
	char *key = NULL;
	int rc, found;

	*raw = NULL;
	*len = 0;
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(stmt, 0);

		*len = (size_t)sqlite3_column_bytes(stmt, 0);
		*raw = xmalloc(*len + 1);
		memcpy(*raw, b ? b : "", *len);
		(*raw)[*len] = '\0';
		key = col_text(stmt, 1);
	}
	if ((found = store_row_end(st, stmt, rc)) <= 0)
		goto out;
	/* A quarantined message's tries are kept under its bare SHA-256. */
	if (key && strncmp(key, "sha256:", 7) == 0 &&
	    store_exec(st, "DELETE FROM inbound_attempts WHERE key = ?", "s", key + 7) < 0)
		found = -1;
	else if (store_exec(st, "DELETE FROM inbound WHERE id = ?", "i", id) < 0)
		found = -1;
out:
	if (found <= 0) {
		free(*raw);
		*raw = NULL;
		*len = 0;
	}
	free(key);
	return found;
}

int
store_queue_flush(struct store *st, int64_t now)
{
	return store_exec(st, "UPDATE outbox SET next_attempt_at = ?1 WHERE status = 'queued' "
			  "AND next_attempt_at > ?1", "i", now);
}

int
store_queue_retry(struct store *st, int64_t id, int64_t now)
{
	if (id == 0)
		return store_exec(st, "UPDATE outbox SET status = 'queued', next_attempt_at = ?1, "
				  "created_at = ?1 WHERE status = 'failed' AND dropped_at IS NULL",
				  "i", now);
	return store_exec(st, "UPDATE outbox SET status = 'queued', next_attempt_at = ?1, "
			  "created_at = ?1, dropped_at = NULL WHERE id = ?2 AND status != 'sent'",
			  "ii", now, id);
}

int
store_queue_drop(struct store *st, int64_t id, int64_t now)
{
	return store_exec(st, "UPDATE outbox SET status = 'failed', dropped_at = ?1, "
			  "last_error = 'dropped by the operator' WHERE id = ?2 AND status != 'sent' "
			  "AND dropped_at IS NULL", "ii", now, id);
}

static const char *const admin_sql[] = {
	[ADMIN_Q_QUEUE] =
		"SELECT id, kind, replace(rcpts, char(10), ','), attempts, next_attempt_at, "
		"  CASE WHEN status = 'queued' AND attempts > 0 THEN 'deferred' ELSE status END, "
		"  last_error FROM outbox WHERE dropped_at IS NULL AND status != 'sent' AND "
		"  (?1 = 0 OR (?1 = 1 AND status = 'failed') OR "
		"   (?1 = 2 AND status = 'queued' AND attempts > 0)) ORDER BY id",
	[ADMIN_Q_REJECTED] =
		"SELECT i.id, i.received_at, i.sender, i.detail, r.inbound_id IS NOT NULL "
		"FROM inbound i LEFT JOIN rejected_mail r ON r.inbound_id = i.id "
		"WHERE i.outcome = 'rejected' AND ?1 = ?1 ORDER BY i.id",
	[ADMIN_Q_ROUNDS] =
		"SELECT name, status, signup_closes, starts, ends FROM rounds WHERE ?1 = ?1 AND "
		"  (status != 'closed' OR id = (SELECT max(id) FROM rounds)) ORDER BY id",
	[ADMIN_Q_PEOPLE] =
		"SELECT status, count(*) FROM participants WHERE ?1 = ?1 GROUP BY status "
		"UNION ALL SELECT 'in a partnership', 2 * count(*) FROM partnerships "
		"  WHERE status = 'active' "
		"UNION ALL SELECT 'waiting for a partner', count(*) FROM waiting WHERE silent = 0",
	[ADMIN_Q_OUTBOX] =
		"SELECT CASE WHEN dropped_at IS NOT NULL THEN 'dropped' "
		"  WHEN status = 'queued' AND attempts > 0 THEN 'deferred' ELSE status END, count(*) "
		"FROM outbox WHERE ?1 = ?1 GROUP BY 1 ORDER BY 1",
	[ADMIN_Q_LAST] =
		"SELECT (SELECT max(received_at) FROM inbound), (SELECT max(sent_at) FROM outbox), "
		"  (SELECT value FROM state WHERE key = 'last_pass') WHERE ?1 = ?1",
};

int
store_admin_table(struct store *st, enum admin_query q, int64_t arg, struct admin_table *t)
{
	sqlite3_stmt *stmt = store_prepare(st, admin_sql[q], "i", arg);
	size_t cap = 0, n = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	if (stmt == NULL)
		return -1;
	t->ncols = sqlite3_column_count(stmt);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n + (size_t)t->ncols > cap) {
			cap = cap ? cap * 2 : 64;
			while (cap < n + (size_t)t->ncols)
				cap *= 2;
			t->cells = xrealloc(t->cells, cap * sizeof(*t->cells));
		}
		for (int c = 0; c < t->ncols; c++) {
			char *s = col_text(stmt, c);

			t->cells[n++] = s ? s : xstrdup("");
		}
		t->nrows++;
	}
	store_done(st, stmt);
	if (rc != SQLITE_DONE) {
		admin_table_free(t);
		return -1;
	}
	return 0;
}

void
admin_table_free(struct admin_table *t)
{
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
