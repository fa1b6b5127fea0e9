/* store_report.c: what failing partnerships leave in the store (see store.h): problem
 * reports, the coordinators' notes, the waiting pool of a running round, and when each
 * participant last wrote to us. A struct report or note filled here is the caller's to
 * report_clear() / note_clear(), arrays of them to free() after. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

void
report_clear(struct report *r)
{
	free(r->reporter_email);
	free(r->partner_email);
	free(r->text);
	free(r->closed_by);
	memset(r, 0, sizeof(*r));
}

void
note_clear(struct note *n)
{
	free(n->author);
	free(n->text);
	memset(n, 0, sizeof(*n));
}

int
store_report_add(struct store *st, int64_t partnership_id, int64_t round_id, int64_t reporter,
		 int64_t partner, enum report_kind kind, const char *text, int64_t now,
		 int64_t due_at, int64_t *id)
{
	if (store_exec(st, "INSERT INTO reports(partnership_id, round_id, reporter, partner, kind, "
		       "text, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "iiiissii",
		       partnership_id, round_id, reporter, partner, report_kind_name(kind), text,
		       now, due_at) < 0)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define REPORT_SELECT "SELECT r.id, coalesce(r.partnership_id, 0), coalesce(r.round_id, 0), " \
	"coalesce(r.reporter, 0), coalesce(r.partner, 0), pr.email, pp.email, r.kind, r.text, " \
	"r.status, r.created_at, coalesce(r.due_at, 0), coalesce(r.closed_at, 0), r.closed_by " \
	"FROM reports r LEFT JOIN participants pr ON pr.id = r.reporter " \
	"LEFT JOIN participants pp ON pp.id = r.partner "

/* One row of REPORT_SELECT, for store_rows(). */
static void
report_row(sqlite3_stmt *stmt, void *item)
{
	struct report *r = item;

	r->id = sqlite3_column_int64(stmt, 0);
	r->partnership_id = sqlite3_column_int64(stmt, 1);
	r->round_id = sqlite3_column_int64(stmt, 2);
	r->reporter = sqlite3_column_int64(stmt, 3);
	r->partner = sqlite3_column_int64(stmt, 4);
	r->reporter_email = col_text(stmt, 5);
	r->partner_email = col_text(stmt, 6);
	r->kind = REPORT_OTHER;
	report_kind_parse((const char *)sqlite3_column_text(stmt, 7), &r->kind);
	r->text = col_text(stmt, 8);
	r->status = REPORT_OPEN;
	report_status_parse((const char *)sqlite3_column_text(stmt, 9), &r->status);
	r->created_at = sqlite3_column_int64(stmt, 10);
	r->due_at = sqlite3_column_int64(stmt, 11);
	r->closed_at = sqlite3_column_int64(stmt, 12);
	r->closed_by = col_text(stmt, 13);
}

static void
report_undo(void *item)
{
	report_clear(item);
}

static int
store_report_rows(struct store *st, sqlite3_stmt *stmt, struct report **out)
{
	int n;

	*out = store_rows(st, stmt, sizeof(**out), report_row, report_undo, &n);
	return n;
}

int
store_report_get(struct store *st, int64_t id, struct report *r)
{
	struct report *v;
	int n = store_report_rows(st, store_prepare(st, REPORT_SELECT "WHERE r.id = ?", "i", id),
				  &v);

	memset(r, 0, sizeof(*r));
	if (n <= 0) {
		free(v);
		return n;
	}
	*r = v[0];
	free(v);
	return 1;
}

int
store_reports_open(struct store *st, struct report **out)
{
	return store_report_rows(st, store_prepare(st, REPORT_SELECT "WHERE r.status = 'open' "
						   "ORDER BY r.id", ""), out);
}

int
store_reports_of(struct store *st, int64_t participant, bool open_only, struct report **out)
{
	if (open_only)
		return store_report_rows(st, store_prepare(st, REPORT_SELECT "WHERE r.reporter = ? "
							   "AND r.status = 'open' ORDER BY r.id",
							   "i", participant), out);
	return store_report_rows(st, store_prepare(st, REPORT_SELECT "WHERE r.reporter = ? "
						   "ORDER BY r.id", "i", participant), out);
}

int
store_reports_due(struct store *st, int64_t now, struct report **out)
{
	return store_report_rows(st, store_prepare(st, REPORT_SELECT "WHERE r.status = 'open' "
						   "AND r.kind = 'no_response' AND r.due_at <= ? "
						   "ORDER BY r.id", "i", now), out);
}

int
store_reports_awaiting(struct store *st, int64_t partner, struct report **out)
{
	return store_report_rows(st, store_prepare(st, REPORT_SELECT "WHERE r.partner = ? AND "
						   "r.status = 'open' AND r.kind = 'no_response' "
						   "ORDER BY r.id", "i", partner), out);
}

int
store_report_close(struct store *st, int64_t id, enum report_status status, const char *by,
		   int64_t now)
{
	return store_exec(st, "UPDATE reports SET status = ?, closed_at = ?, closed_by = ? "
			  "WHERE id = ? AND status = 'open'", "sisi", report_status_name(status), now,
			  by, id);
}

int
store_report_counts(struct store *st, int counts[REPORT_NSTATUS])
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT status, count(*) FROM reports GROUP BY "
					   "status", "");
	int rc;

	memset(counts, 0, sizeof(int) * REPORT_NSTATUS);
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		enum report_status s;

		if (report_status_parse((const char *)sqlite3_column_text(stmt, 0), &s) == 0)
			counts[s] = sqlite3_column_int(stmt, 1);
	}
	store_done(st, stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_note_add(struct store *st, int64_t participant, int64_t report_id, const char *author,
	       const char *text, int64_t now)
{
	return store_exec(st, "INSERT INTO notes(participant, report_id, author, text, created_at) "
			  "VALUES (nullif(?, 0), nullif(?, 0), ?, ?, ?)", "iissi", participant,
			  report_id, author, text, now) < 0 ? -1 : 0;
}

static void
note_row(sqlite3_stmt *stmt, void *item)
{
	struct note *n = item;

	n->author = col_text(stmt, 0);
	n->text = col_text(stmt, 1);
	n->created_at = sqlite3_column_int64(stmt, 2);
	n->report_id = sqlite3_column_int64(stmt, 3);
}

static void
note_undo(void *item)
{
	note_clear(item);
}

int
store_notes_of(struct store *st, int64_t participant, struct note **out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT n.author, n.text, n.created_at, "
					   "coalesce(n.report_id, 0) FROM notes n WHERE n.participant = ?1 "
					   "OR n.report_id IN (SELECT id FROM reports WHERE reporter = ?1) "
					   "ORDER BY n.id", "i", participant);
	int n;

	*out = store_rows(st, stmt, sizeof(**out), note_row, note_undo, &n);
	return n;
}

int
store_waiting_add(struct store *st, int64_t participant, int64_t round_id,
		  enum waiting_reason reason, int priority, int64_t now)
{
	return store_exec(st, "INSERT INTO waiting(participant, round_id, since, reason, priority, "
			  "silent) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(participant) DO UPDATE "
			  "SET round_id = ?2, reason = ?4, priority = max(priority, ?5), silent = ?6",
			  "iiisii", participant, round_id, now, waiting_reason_name(reason),
			  (int64_t)priority, (int64_t)(reason == WAIT_SILENT)) < 0 ? -1 : 0;
}

int
store_waiting_remove(struct store *st, int64_t participant)
{
	return store_exec(st, "DELETE FROM waiting WHERE participant = ?", "i", participant) < 0
		       ? -1 : 0;
}

int
store_waiting_remove_email(struct store *st, const char *email)
{
	return store_exec(st, "DELETE FROM waiting WHERE participant = (SELECT id FROM "
			  "participants WHERE email = ?)", "s", email) < 0 ? -1 : 0;
}

int
store_waiting_unsilence(struct store *st, int64_t participant)
{
	return store_exec(st, "UPDATE waiting SET silent = 0, reason = 'abandoned' WHERE "
			  "participant = ? AND silent = 1", "i", participant);
}

int
store_waiting_get(struct store *st, int64_t participant, struct waiting *w)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT round_id, since, reason, silent, told_next "
					   "FROM waiting WHERE participant = ?", "i", participant);
	int rc;

	memset(w, 0, sizeof(*w));
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		w->round_id = sqlite3_column_int64(stmt, 0);
		w->since = sqlite3_column_int64(stmt, 1);
		w->reason = WAIT_UNMATCHED;
		waiting_reason_parse((const char *)sqlite3_column_text(stmt, 2), &w->reason);
		w->silent = sqlite3_column_int(stmt, 3) != 0;
		w->told_next = sqlite3_column_int(stmt, 4) != 0;
	}
	return store_row_end(st, stmt, rc);
}

int
store_waiting_pool(struct store *st, int64_t round_id, struct pool_row **rows)
{
	int n = store_pool_rows(st, store_prepare(st, "SELECT p.id, p.email, " PROFILE_COLS
						  ", w.priority FROM waiting w JOIN participants p "
						  "ON p.id = w.participant WHERE w.round_id = ? AND "
						  "w.silent = 0 AND p.status = 'active' ORDER BY p.id",
						  "i", round_id), rows);

	if (n <= 0)
		return n;
	if (store_pool_previous(st, *rows, n) == 0)
		return n;
	for (int i = 0; i < n; i++)
		pool_row_clear(&(*rows)[i]);
	free(*rows);
	*rows = NULL;
	return -1;
}

int
store_waiting_untold(struct store *st, int64_t round_id, struct pool_row **rows)
{
	return store_pool_rows(st, store_prepare(st, "SELECT p.id, p.email, " PROFILE_COLS
						 ", w.priority FROM waiting w JOIN participants p "
						 "ON p.id = w.participant WHERE w.round_id = ? AND "
						 "w.told_next = 0 AND w.silent = 0 AND "
						 "p.status = 'active' ORDER BY p.id", "i", round_id),
			       rows);
}

int
store_waiting_told(struct store *st, int64_t participant)
{
	return store_exec(st, "UPDATE waiting SET told_next = 1 WHERE participant = ?", "i",
			  participant) < 0 ? -1 : 0;
}

int
store_waiting_clear_round(struct store *st, int64_t round_id)
{
	return store_exec(st, "DELETE FROM waiting WHERE round_id = ?", "i", round_id) < 0 ? -1 : 0;
}

int
store_waiting_count(struct store *st, int64_t round_id)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM waiting WHERE round_id = ?",
					     "i", round_id));
}

int
store_participant_seen(struct store *st, const char *email, int64_t now, int64_t *id)
{
	sqlite3_stmt *stmt = store_prepare(st, "UPDATE participants SET last_seen_at = ? WHERE "
					   "email = ? RETURNING id", "is", now, email);
	int rc;

	*id = 0;
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*id = sqlite3_column_int64(stmt, 0);
	return store_row_end(st, stmt, rc);
}
