/* store_participant.c: the people in the store (see store.h): participants and their
 * profiles, the rows every participant is listed as (struct pool_row), digest
 * subscribers, the per-sender daily reply counters, and the erasure of everything personal
 * about an address. Strings and profiles filled here are the caller's: participant_clear,
 * profile_free, pool_row_clear (which frees the row's profile too), free() for the
 * subscriber list and each of its strings. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

void
participant_clear(struct participant *p)
{
	free(p->email);
	memset(p, 0, sizeof(*p));
}

static void
profile_from_row(sqlite3_stmt *stmt, int i, struct profile *prof)
{
	memset(prof, 0, sizeof(*prof));
	prof->name = col_text(stmt, i++);
	prof->country = col_text(stmt, i++);
	prof->sector = col_text(stmt, i++);
	prof->workplace = col_text(stmt, i++);
	prof->years = sqlite3_column_int(stmt, i++);
	prof->interests = col_text(stmt, i++);
	prof->languages = col_text(stmt, i++);
	prof->about = col_text(stmt, i++);
	prof->partner_sector = col_text(stmt, i++);
	prof->partner_stage = col_text(stmt, i++);
	prof->notes = col_text(stmt, i++);
	prof->digest = sqlite3_column_int(stmt, i++);
}

int
store_participant_get(struct store *st, const char *email, struct participant *p,
		      struct profile *prof)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT id, email, status, agreed_at, created_at, "
					   "updated_at, " PROFILE_COLS " FROM participants "
					   "WHERE email = ?", "s", email);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (p) {
			p->id = sqlite3_column_int64(stmt, 0);
			p->email = col_text(stmt, 1);
			p->status = PARTICIPANT_ACTIVE;
			participant_status_parse((const char *)sqlite3_column_text(stmt, 2),
						 &p->status);
			p->agreed_at = sqlite3_column_int64(stmt, 3);
			p->created_at = sqlite3_column_int64(stmt, 4);
			p->updated_at = sqlite3_column_int64(stmt, 5);
		}
		if (prof)
			profile_from_row(stmt, 6, prof);
	}
	return store_row_end(st, stmt, rc);
}

int
store_participant_add(struct store *st, const char *email, const struct profile *prof,
		      int64_t now, int64_t *id)
{
	int n = store_exec(st, "INSERT INTO participants(email, " PROFILE_COLS ", agreed_at, "
			   "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			   "sssssissssssiiii", email, prof->name, prof->country, prof->sector,
			   prof->workplace, (int64_t)prof->years, nz(prof->interests),
			   nz(prof->languages), nz(prof->about), nz(prof->partner_sector),
			   nz(prof->partner_stage), nz(prof->notes),
			   (int64_t)(prof->digest > 0), now, now, now);

	if (n < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_participant_update(struct store *st, const char *email, const struct profile *prof,
			 int64_t now)
{
	return store_exec(st, "UPDATE participants SET name=?, country=?, sector=?, workplace=?, "
			  "years=?, interests=?, languages=?, about=?, partner_sector=?, "
			  "partner_stage=?, notes=?, digest=?, updated_at=? WHERE email = ?",
			  "ssssissssssiis", prof->name, prof->country, prof->sector,
			  prof->workplace, (int64_t)prof->years, nz(prof->interests),
			  nz(prof->languages), nz(prof->about), nz(prof->partner_sector),
			  nz(prof->partner_stage), nz(prof->notes), (int64_t)(prof->digest > 0),
			  now, email) < 0 ? -1 : 0;
}

int
store_participant_set_status(struct store *st, const char *email,
			     enum participant_status status, int64_t now)
{
	return store_exec(st, "UPDATE participants SET status = ?, updated_at = ? WHERE email = ?",
			  "sis", participant_status_name(status), now, email) < 0 ? -1 : 0;
}

int
store_participant_set_email(struct store *st, const char *old_email, const char *new_email,
			    int64_t now)
{
	if (store_exec(st, "UPDATE participants SET email = ?, updated_at = ? WHERE email = ?",
		       "sis", new_email, now, old_email) < 0)
		return -1;
	if (store_exec(st, "UPDATE OR REPLACE subscribers SET email = ? WHERE email = ?", "ss",
		       new_email, old_email) < 0)
		return -1;
	return 0;
}

void
pool_row_clear(struct pool_row *r)
{
	free(r->email);
	if (r->prof) {
		profile_free(r->prof);
		free(r->prof);
	}
	free(r->previous);
	memset(r, 0, sizeof(*r));
}

int
store_pool_rows(struct store *st, sqlite3_stmt *stmt, struct pool_row **rows)
{
	struct pool_row *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*rows = NULL;
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].id = sqlite3_column_int64(stmt, 0);
		v[n].email = col_text(stmt, 1);
		v[n].prof = xcalloc(1, sizeof(struct profile));
		profile_from_row(stmt, 2, v[n].prof);
		if (sqlite3_column_count(stmt) > 14)
			v[n].priority = sqlite3_column_int(stmt, 14);
		n++;
	}
	store_done(st, stmt);
	if (rc != SQLITE_DONE) {
		log_errorx("store: %s", sqlite3_errmsg(st->db));
		for (size_t i = 0; i < n; i++)
			pool_row_clear(&v[i]);
		free(v);
		return -1;
	}
	*rows = v;
	return (int)n;
}

int
store_participants_list(struct store *st, struct pool_row **rows)
{
	return store_pool_rows(st, store_prepare(st, "SELECT id, email, " PROFILE_COLS
						 " FROM participants ORDER BY id", ""), rows);
}

int
store_subscriber_add(struct store *st, const char *email, int64_t now)
{
	return store_exec(st, "INSERT OR IGNORE INTO subscribers(email, created_at) VALUES (?, ?)",
			  "si", email, now);
}

int
store_subscriber_remove(struct store *st, const char *email)
{
	return store_exec(st, "DELETE FROM subscribers WHERE email = ?", "s", email);
}

int
store_subscriber_has(struct store *st, const char *email)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM subscribers WHERE email = ?",
					     "s", email));
}

int
store_subscribers_list(struct store *st, char ***emails)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT email FROM subscribers ORDER BY email", "");
	char **v = NULL;
	size_t n = 0, cap = 0;

	*emails = NULL;
	if (stmt == NULL)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = col_text(stmt, 0);
	}
	store_done(st, stmt);
	*emails = v;
	return (int)n;
}

int
store_reply_count_bump(struct store *st, const char *sender, const char *day)
{
	if (store_exec(st, "INSERT INTO reply_counts(sender, day, count) VALUES (?, ?, 1) "
		       "ON CONFLICT(sender, day) DO UPDATE SET count = count + 1", "ss", sender,
		       day) < 0)
		return -1;
	return store_count(st, store_prepare(st, "SELECT count FROM reply_counts WHERE sender = ? "
					     "AND day = ?", "ss", sender, day));
}

int
store_personal_erase(struct store *st, const char *email)
{
	static const char *const sql[] = {
		"DELETE FROM participants WHERE email = ?1",
		"DELETE FROM subscribers WHERE email = ?1",
		"DELETE FROM tokens WHERE email = ?1 OR payload = ?1",
		"DELETE FROM reply_counts WHERE sender = ?1",
		"DELETE FROM bounces WHERE email = ?1",
		"DELETE FROM bounce_addresses WHERE email = ?1",
		("DELETE FROM outbox WHERE status != 'queued' AND "
		 "  instr(char(10) || lower(rcpts) || char(10), char(10) || lower(?1) || char(10)) > 0"),
		"UPDATE inbound SET sender = NULL, subject = NULL WHERE sender = ?1 COLLATE NOCASE",
	};

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (store_exec(st, sql[i], "s", email) < 0)
			return -1;
	return 0;
}
