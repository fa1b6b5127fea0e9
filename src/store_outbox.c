/* store_outbox.c: the outbox (see store.h): mail queued inside the inbound transaction,
 * sent after the commit, retried, or failed for good; the body of sent mail purged when it
 * leaves or after sent_keep_days (a fan-out's shared body once no copy waits), and
 * an erasure's own mail kept as a keyed hash of its recipient. Items from store_outbox_due are the
 * caller's: outbox_item_clear each, then free() the array. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

void
outbox_item_clear(struct outbox_item *o)
{
	free(o->key);
	free(o->kind);
	free(o->message_id);
	free(o->envelope_from);
	free(o->rcpts);
	free(o->raw);
	memset(o, 0, sizeof(*o));
}

int
store_outbox_add(struct store *st, const char *key, const char *kind, const char *message_id,
		 const char *envelope_from, const char *rcpts, const char *raw, size_t len,
		 int64_t now)
{
	return store_exec(st, "INSERT OR IGNORE INTO outbox(key, kind, message_id, envelope_from, "
			  "rcpts, raw, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			  "sssssbii", key, kind, message_id, envelope_from, rcpts, raw, len, now, now);
}

int
store_outbox_shared_add(struct store *st, const char *raw, size_t len, int64_t now, int64_t *id)
{
	if (store_exec(st, "INSERT INTO outbox_shared(raw, created_at) VALUES (?, ?)", "bi", raw,
		       len, now) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_outbox_add_shared(struct store *st, const char *key, const char *kind,
			const char *message_id, const char *envelope_from, const char *rcpts,
			const char *prefix, size_t len, int64_t shared_id, int64_t now)
{
	return store_exec(st, "INSERT OR IGNORE INTO outbox(key, kind, message_id, envelope_from, "
			  "rcpts, raw, shared_id, created_at, next_attempt_at) VALUES "
			  "(?, ?, ?, ?, ?, ?, ?, ?, ?)", "sssssbiii", key, kind, message_id,
			  envelope_from, rcpts, prefix, len, shared_id, now, now);
}

int
store_outbox_due(struct store *st, int64_t now, int max, struct outbox_item **items)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT o.id, o.key, o.message_id, o.envelope_from, "
					   "o.rcpts, o.raw, o.attempts, o.created_at, s.raw, o.kind FROM outbox o "
					   "LEFT JOIN outbox_shared s ON s.id = o.shared_id WHERE "
					   "o.status = 'queued' AND o.next_attempt_at <= ? ORDER BY o.id "
					   "LIMIT ?", "ii", now, (int64_t)max);
	struct outbox_item *v;
	int n = 0, rc;

	*items = NULL;
	if (stmt == NULL)
		return -1;
	v = xcalloc((size_t)(max > 0 ? max : 1), sizeof(*v));
	while (n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct outbox_item *o = &v[n++];
		const void *blob = sqlite3_column_blob(stmt, 5);
		const void *shared = sqlite3_column_blob(stmt, 8);
		size_t slen = (size_t)sqlite3_column_bytes(stmt, 8);

		o->id = sqlite3_column_int64(stmt, 0);
		o->key = col_text(stmt, 1);
		o->message_id = col_text(stmt, 2);
		o->envelope_from = col_text(stmt, 3);
		o->rcpts = col_text(stmt, 4);
		o->len = (size_t)sqlite3_column_bytes(stmt, 5);
		o->raw = xmalloc(o->len + slen + 1);
		memcpy(o->raw, blob ? blob : "", o->len);
		memcpy(o->raw + o->len, shared ? shared : "", slen);
		o->len += slen;
		o->raw[o->len] = '\0';
		o->attempts = sqlite3_column_int(stmt, 6);
		o->created_at = sqlite3_column_int64(stmt, 7);
		o->kind = col_text(stmt, 9);
	}
	store_done(st, stmt);
	*items = v;
	return n;
}

int
store_outbox_sent(struct store *st, int64_t id, int64_t now)
{
	int keep = st->sent_keep_days > 0;
	int erased = store_count(st, store_prepare(st, "SELECT erase_on_send FROM outbox WHERE "
						   "id = ?", "i", id));

	if (erased < 0)
		return -1;
	/* the body goes at once, unless kept a while; an erasure's own mail (and mail naming
	 * someone erased) goes whole: body, and recipients but for a keyed hash */
	if (store_exec(st, "UPDATE outbox SET status = 'sent', sent_at = ?1, attempts = attempts + 1, "
		       "keep = ?2 AND NOT erase_on_send, "
		       "raw = CASE WHEN ?2 AND NOT erase_on_send THEN raw ELSE x'' END, "
		       "rcpts = CASE WHEN erase_on_send THEN ilnbot_hash(lower(rcpts)) ELSE rcpts END, "
		       "key = CASE WHEN erase_on_send THEN ilnbot_hash(key) ELSE key END "
		       "WHERE id = ?3", "iii", now, (int64_t)keep, id) < 0)
		return -1;
	if (erased)
		st->erased = true;
	if (keep)
		return 0;
	/* a fan-out's shared body, once no copy waits for it */
	return store_exec(st, "UPDATE outbox_shared SET raw = x'' WHERE id = (SELECT shared_id FROM "
			  "outbox WHERE id = ?1) AND length(raw) > 0 AND NOT EXISTS (SELECT 1 FROM "
			  "outbox o WHERE o.shared_id = outbox_shared.id AND o.status = 'queued')",
			  "i", id) < 0 ? -1 : 0;
}

int
store_outbox_purge(struct store *st, int64_t now, bool force)
{
	int64_t cutoff = now - (int64_t)st->sent_keep_days * 86400;

	if (!force && st->last_purge != 0 && now - st->last_purge < 3600 && now >= st->last_purge)
		return 0;
	st->last_purge = now;
	if (store_exec(st, "UPDATE outbox SET raw = x'', keep = 0 WHERE keep = 1 AND sent_at <= ?",
		       "i", cutoff) < 0)
		return -1;
	return store_exec(st, "UPDATE outbox_shared SET raw = x'' WHERE length(raw) > 0 AND "
			  "EXISTS (SELECT 1 FROM outbox o WHERE o.shared_id = outbox_shared.id) AND "
			  "NOT EXISTS (SELECT 1 FROM outbox o WHERE o.shared_id = outbox_shared.id "
			  "AND (o.status = 'queued' OR o.keep = 1))", "") < 0 ? -1 : 0;
}

int
store_outbox_retry(struct store *st, int64_t id, int64_t next_at, const char *error)
{
	return store_exec(st, "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, "
			  "last_error = ? WHERE id = ?", "isi", next_at, error, id) < 0 ? -1 : 0;
}

int
store_outbox_failed(struct store *st, int64_t id, const char *error)
{
	return store_exec(st, "UPDATE outbox SET status = 'failed', attempts = attempts + 1, "
			  "last_error = ? WHERE id = ?", "si", error, id) < 0 ? -1 : 0;
}

int
store_outbox_is_ours(struct store *st, const char *message_id)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM outbox WHERE message_id = ?",
					     "s", message_id)) > 0;
}


int
store_outbox_failed_count(struct store *st)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM outbox WHERE status = "
					     "'failed'", ""));
}

int
store_outbox_lookup(struct store *st, const char *message_id, char **kind, char **key)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT kind, key FROM outbox WHERE "
					   "message_id = ?", "s", message_id);
	int rc;

	*kind = *key = NULL;
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*kind = col_text(stmt, 0);
		*key = col_text(stmt, 1);
	}
	return store_row_end(st, stmt, rc);
}
