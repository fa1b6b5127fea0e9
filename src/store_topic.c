/* store_topic.c: the discussion topics of the digests (see store.h): queued by a
 * coordinator's TOPIC, sent with the next digest or taken back. A struct topic filled
 * here is the caller's to topic_clear(); an array of them to free() after. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

void
topic_clear(struct topic *t)
{
	free(t->title);
	free(t->body);
	free(t->author);
	memset(t, 0, sizeof(*t));
}

int
store_topic_add(struct store *st, const char *title, const char *body, const char *author,
		int64_t now, int64_t *id)
{
	if (store_exec(st, "INSERT INTO topics(title, body, author, created_at) VALUES "
		       "(?, ?, ?, ?)", "sssi", title, body, author, now) < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
topic_row(sqlite3_stmt *stmt, void *item)
{
	struct topic *t = item;

	t->id = sqlite3_column_int64(stmt, 0);
	t->title = col_text(stmt, 1);
	t->body = col_text(stmt, 2);
	t->author = col_text(stmt, 3);
	t->created_at = sqlite3_column_int64(stmt, 4);
	t->sent_at = sqlite3_column_int64(stmt, 5);
}

static void
topic_undo(void *item)
{
	topic_clear(item);
}

int
store_topics_list(struct store *st, enum topic_status status, bool newest, int max,
		  struct topic **out)
{
	sqlite3_stmt *stmt = newest ?
	    store_prepare(st, "SELECT id, title, body, author, created_at, coalesce(sent_at, 0), "
			  "status FROM topics WHERE status = ? ORDER BY coalesce(sent_at, 0) DESC, "
			  "id DESC LIMIT ?", "si", topic_status_name(status), (int64_t)max) :
	    store_prepare(st, "SELECT id, title, body, author, created_at, coalesce(sent_at, 0), "
			  "status FROM topics WHERE status = ? ORDER BY id LIMIT ?", "si",
			  topic_status_name(status), (int64_t)max);
	int n;

	*out = store_rows(st, stmt, sizeof(**out), topic_row, topic_undo, &n);
	for (int i = 0; i < n; i++)
		(*out)[i].status = status;
	return n;
}

int
store_topic_cancel(struct store *st, int64_t id)
{
	return store_exec(st, "UPDATE topics SET status = 'cancelled' WHERE id = ? AND "
			  "status = 'queued'", "i", id);
}

int
store_topic_sent(struct store *st, int64_t id, int64_t round_id, int64_t now)
{
	return store_exec(st, "UPDATE topics SET status = 'sent', sent_at = ?, round_id = ? "
			  "WHERE id = ? AND status = 'queued'", "iii", now, round_id, id) < 0 ? -1 : 0;
}
