/* store_bounce.c: bounces (see store.h): the mail a bounce names, by its VERP token or
 * its Message-ID; each failure recorded once per mail, address and severity; per address
 * the failures counted since it last wrote to us and whether its digests are stopped.
 * struct sent_mail's strings are the caller's (sent_mail_clear). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

void
sent_mail_clear(struct sent_mail *m)
{
	free(m->kind);
	free(m->key);
	free(m->rcpts);
	memset(m, 0, sizeof(*m));
}

static int
sent_row(struct store *st, sqlite3_stmt *stmt, struct sent_mail *m)
{
	int rc;

	memset(m, 0, sizeof(*m));
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		m->id = sqlite3_column_int64(stmt, 0);
		m->kind = col_text(stmt, 1);
		m->key = col_text(stmt, 2);
		m->rcpts = col_text(stmt, 3);
	}
	return store_row_end(st, stmt, rc);
}

int
store_sent_by_token(struct store *st, const char *token, const char *envelope_from,
		    struct sent_mail *m)
{
	char *lo = xasprintf("<%s", token), *hi = xasprintf("<%s\x7f", token);
	int rc = sent_row(st, store_prepare(st, "SELECT id, kind, key, rcpts FROM outbox WHERE "
					    "message_id >= ?1 AND message_id < ?2 AND "
					    "envelope_from = ?3 COLLATE NOCASE LIMIT 1", "sss",
					    lo, hi, envelope_from), m);

	free(lo);
	free(hi);
	return rc;
}

int
store_sent_by_message_id(struct store *st, const char *message_id, struct sent_mail *m)
{
	return sent_row(st, store_prepare(st, "SELECT id, kind, key, rcpts FROM outbox WHERE "
					  "message_id = ?", "s", message_id), m);
}

int
store_sent_by_id(struct store *st, int64_t id, struct sent_mail *m)
{
	return sent_row(st, store_prepare(st, "SELECT id, kind, key, rcpts FROM outbox WHERE "
					  "id = ?", "i", id), m);
}

int
store_bounce_add(struct store *st, int64_t outbox_id, const char *email, const char *kind,
		 enum bounce_record severity, const char *status, const char *source, int64_t now)
{
	const char *sev = bounce_record_name(severity);

	if (outbox_id == 0)
		return store_exec(st, "INSERT INTO bounces(outbox_id, email, kind, severity, status, "
				  "source, created_at) VALUES (NULL, ?, ?, ?, ?, ?, ?)", "sssssi",
				  email, kind, sev, status, source, now);
	return store_exec(st, "INSERT OR IGNORE INTO bounces(outbox_id, email, kind, severity, "
			  "status, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", "isssssi",
			  outbox_id, email, kind, sev, status, source, now);
}

int
store_bounce_count(struct store *st, const char *email, enum bounce_record severity,
		   const char *kind, bool digest, int64_t now, int *digest_failures)
{
	bool perm = severity == BOUNCE_RECORD_PERMANENT;
	sqlite3_stmt *stmt;
	int rc;

	*digest_failures = 0;
	if (store_exec(st, "INSERT INTO bounce_addresses(email, permanent, temporary, "
		       "digest_failures, last_kind, last_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		       "ON CONFLICT(email) DO UPDATE SET permanent = permanent + ?2, "
		       "temporary = temporary + ?3, digest_failures = digest_failures + ?4, "
		       "last_kind = ?5, last_at = ?6", "siiisi", email, (int64_t)perm,
		       (int64_t)!perm, (int64_t)(perm && digest), kind, now) < 0)
		return -1;
	stmt = store_prepare(st, "SELECT digest_failures FROM bounce_addresses WHERE email = ?",
			     "s", email);
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*digest_failures = sqlite3_column_int(stmt, 0);
	return store_row_end(st, stmt, rc) < 0 ? -1 : 0;
}

int
store_bounce_stop_digests(struct store *st, const char *email, int64_t now)
{
	return store_exec(st, "UPDATE bounce_addresses SET digest_stopped_at = ? WHERE email = ? "
			  "AND digest_stopped_at IS NULL", "is", now, email);
}

int
store_bounce_clear(struct store *st, const char *email)
{
	return store_exec(st, "DELETE FROM bounce_addresses WHERE email = ?", "s", email);
}

int
store_bounce_address(struct store *st, const char *email, int *permanent, int *temporary,
		     bool *digests_stopped)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT permanent, temporary, digest_stopped_at "
					   "IS NOT NULL FROM bounce_addresses WHERE email = ?",
					   "s", email);
	int rc;

	*permanent = *temporary = 0;
	*digests_stopped = false;
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*permanent = sqlite3_column_int(stmt, 0);
		*temporary = sqlite3_column_int(stmt, 1);
		*digests_stopped = sqlite3_column_int(stmt, 2) != 0;
	}
	return store_row_end(st, stmt, rc);
}

static void
bounce_count_row(sqlite3_stmt *stmt, void *item)
{
	struct bounce_count *c = item;

	c->kind = col_text(stmt, 0);
	c->severity = col_text(stmt, 1);
	c->count = sqlite3_column_int(stmt, 2);
}

static void
bounce_count_clear(void *item)
{
	struct bounce_count *c = item;

	free(c->kind);
	free(c->severity);
}

int
store_bounce_stats(struct store *st, struct bounce_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->counts = store_rows(st, store_prepare(st, "SELECT kind, severity, count(*) FROM "
						   "bounces GROUP BY kind, severity ORDER BY "
						   "kind, severity", ""),
				 sizeof(*out->counts), bounce_count_row, bounce_count_clear,
				 &out->ncounts);
	if (out->ncounts < 0) {
		out->ncounts = 0;
		return -1;
	}
	out->stopped = store_rows(st, store_prepare(st, "SELECT email FROM bounce_addresses "
						    "WHERE digest_stopped_at IS NOT NULL ORDER "
						    "BY email LIMIT 200", ""),
				  sizeof(*out->stopped), text_row, text_clear, &out->nstopped);
	if (out->nstopped < 0) {
		out->nstopped = 0;
		bounce_stats_clear(out);
		return -1;
	}
	return 0;
}

void
bounce_stats_clear(struct bounce_stats *s)
{
	for (int i = 0; i < s->ncounts; i++)
		bounce_count_clear(&s->counts[i]);
	for (int i = 0; i < s->nstopped; i++)
		free(s->stopped[i]);
	free(s->counts);
	free(s->stopped);
	memset(s, 0, sizeof(*s));
}

int
store_bounce_smtp(struct store *st, int64_t outbox_id, const char *rcpt, const char *status,
		  int64_t now)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT kind FROM outbox WHERE id = ?", "i",
					   outbox_id);
	char *kind = NULL;
	int rc, added = -1, failures;

	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		kind = col_text(stmt, 0);
	if (store_row_end(st, stmt, rc) <= 0)
		goto out;
	added = store_exec(st, "INSERT OR IGNORE INTO bounces(outbox_id, email, kind, severity, "
			   "status, source, created_at, told) VALUES (?, ?, ?, ?, ?, 'smtp', ?, 0)",
			   "issssi", outbox_id, rcpt, nz(kind),
			   bounce_record_name(BOUNCE_RECORD_PERMANENT), status, now);
	if (added <= 0)
		goto out;
	if (store_bounce_count(st, rcpt, BOUNCE_RECORD_PERMANENT, nz(kind), strcmp(nz(kind), "digest") == 0,
			       now, &failures) < 0 ||
	    (strcmp(nz(kind), "digest") == 0 && failures >= 2 &&
	     store_bounce_stop_digests(st, rcpt, now) < 0))
		added = -1;
out:
	free(kind);
	return added;
}

void
bounce_untold_clear(struct bounce_untold *u)
{
	free(u->email);
	free(u->status);
	memset(u, 0, sizeof(*u));
}

int
store_bounce_untold(struct store *st, int max, struct bounce_untold **out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT id, outbox_id, email, status FROM bounces "
					   "WHERE told = 0 ORDER BY id LIMIT ?", "i", (int64_t)max);
	int n = 0, rc;

	*out = NULL;
	if (stmt == NULL)
		return -1;
	*out = xcalloc((size_t)(max > 0 ? max : 1), sizeof(**out));
	while (n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		(*out)[n].id = sqlite3_column_int64(stmt, 0);
		(*out)[n].outbox_id = sqlite3_column_int64(stmt, 1);
		(*out)[n].email = col_text(stmt, 2);
		(*out)[n].status = col_text(stmt, 3);
		n++;
	}
	store_done(st, stmt);
	return n;
}

int
store_bounce_set_told(struct store *st, int64_t id)
{
	return store_exec(st, "UPDATE bounces SET told = 1 WHERE id = ?", "i", id);
}
