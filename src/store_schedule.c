/* store_schedule.c: what the round's calendar reads and writes (see store.h): the last
 * due day run of each scheduled kind of a round, the recipients of a digest (streamed,
 * never held whole), and answers to check-ins. Nothing returned needs freeing. */
#include <sqlite3.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_int.h"

int
store_schedule_last(struct store *st, int64_t round_id, const char *const *names, int n,
		    int64_t *last)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT kind, last_day FROM schedule WHERE "
					   "round_id = ?", "i", round_id);
	int rc;

	for (int i = 0; i < n; i++)
		last[i] = -1;
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(stmt, 0);

		for (int i = 0; kind && i < n; i++)
			if (strcmp(kind, names[i]) == 0)
				last[i] = sqlite3_column_int64(stmt, 1);
	}
	store_done(st, stmt);
	if (rc != SQLITE_DONE) {
		log_errorx("store: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

int
store_schedule_set(struct store *st, int64_t round_id, const char *kind, int64_t day,
		   int64_t now)
{
	return store_exec(st, "INSERT INTO schedule(round_id, kind, last_day, run_at) VALUES "
			  "(?1, ?2, ?3, ?4) ON CONFLICT(round_id, kind) DO UPDATE SET "
			  "last_day = max(last_day, excluded.last_day), run_at = excluded.run_at",
			  "isii", round_id, kind, day, now) < 0 ? -1 : 0;
}

int
store_digest_recipients(struct store *st, int64_t round_id,
			int (*fn)(void *arg, const char *email, const char *mail_language,
				  const char *languages), void *arg)
{
	sqlite3_stmt *stmt = store_prepare(st,
	    "SELECT s.email, q.mail_language, q.languages FROM subscribers s "
	    "LEFT JOIN participants q ON q.email = s.email "
	    "WHERE NOT EXISTS (SELECT 1 FROM participants p "
	    "  WHERE p.email = s.email AND (p.status != 'active' OR p.digest = 0)) "
	    "AND NOT EXISTS (SELECT 1 FROM bounce_addresses b WHERE b.email = s.email "
	    "  AND b.digest_stopped_at IS NOT NULL) "
	    "UNION "
	    "SELECT p.email, p.mail_language, p.languages FROM participants p "
	    "  JOIN partnerships x ON (x.a = p.id OR x.b = p.id) "
	    "  WHERE x.round_id = ?1 AND x.status = 'active' AND p.status = 'active' "
	    "  AND p.digest != 0 AND NOT EXISTS (SELECT 1 FROM bounce_addresses b "
	    "  WHERE b.email = p.email AND b.digest_stopped_at IS NOT NULL) "
	    "ORDER BY 1", "i", round_id);
	int rc;

	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(stmt, 0),
		       (const char *)sqlite3_column_text(stmt, 1),
		       (const char *)sqlite3_column_text(stmt, 2)) < 0) {
			store_done(st, stmt);
			return -1;
		}
	store_done(st, stmt);
	if (rc != SQLITE_DONE) {
		log_errorx("store: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

int
store_checkin_answer(struct store *st, int64_t participant, int64_t round_id, int64_t due_day,
		     int64_t now)
{
	return store_exec(st, "INSERT OR IGNORE INTO checkin_answers(participant, round_id, "
			  "due_day, answered_at) VALUES (?, ?, ?, ?)", "iiii", participant,
			  round_id, due_day, now);
}

int
store_checkin_answers_count(struct store *st, int64_t round_id)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM checkin_answers WHERE "
					     "round_id = ?", "i", round_id));
}
