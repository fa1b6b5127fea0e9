/* store_round.c: what the matching rounds read and write (see store.h): rounds, the
 * matching pool with everyone each member was ever partnered with, the partnerships
 * proposed and made, and the unmatched of a round. Filled structs and arrays are the
 * caller's: round_clear, pool_row_clear each row then free() the array, partnership_clear
 * each then free() the array (store_partner_of: partnership_clear only). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

static int store_pool_with_previous(struct store *st, struct pool_row **rows, int n);

void
round_clear(struct round *r)
{
	free(r->name);
	memset(r, 0, sizeof(*r));
}

int
store_round_add(struct store *st, const char *name, int64_t signup_closes, int64_t starts,
		int64_t ends, int months, int64_t now, int64_t *id)
{
	if (store_exec(st, "INSERT INTO rounds(name, signup_closes, starts, ends, months, "
		       "created_at) VALUES (?, ?, ?, ?, ?, ?)", "siiiii", name, signup_closes,
		       starts, ends, (int64_t)months, now) < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

#define ROUND_SELECT "SELECT id, name, status, signup_closes, starts, ends, created_at, " \
		     "months FROM rounds "

static void
store_round_from_row(sqlite3_stmt *stmt, struct round *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	r->name = col_text(stmt, 1);
	r->status = ROUND_OPEN;
	round_status_parse((const char *)sqlite3_column_text(stmt, 2), &r->status);
	r->signup_closes = sqlite3_column_int64(stmt, 3);
	r->starts = sqlite3_column_int64(stmt, 4);
	r->ends = sqlite3_column_int64(stmt, 5);
	r->created_at = sqlite3_column_int64(stmt, 6);
	r->months = sqlite3_column_int(stmt, 7);
}

int
store_round_current(struct store *st, int64_t now, struct round *r)
{
	sqlite3_stmt *stmt = store_prepare(st, ROUND_SELECT "WHERE status != 'closed' AND "
					   "created_at <= ? ORDER BY created_at DESC, id DESC "
					   "LIMIT 1", "i", now);
	int rc;

	memset(r, 0, sizeof(*r));
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		store_round_from_row(stmt, r);
	return store_row_end(st, stmt, rc);
}

int
store_round_get(struct store *st, int64_t id, struct round *r)
{
	sqlite3_stmt *stmt = store_prepare(st, ROUND_SELECT "WHERE id = ?", "i", id);
	int rc;

	memset(r, 0, sizeof(*r));
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		store_round_from_row(stmt, r);
	return store_row_end(st, stmt, rc);
}

int
store_round_exists(struct store *st, const char *name)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM rounds WHERE name = ?",
					     "s", name));
}

int
store_round_set_status(struct store *st, int64_t id, enum round_status status)
{
	return store_exec(st, "UPDATE rounds SET status = ? WHERE id = ?", "si",
			  round_status_name(status), id) < 0
		       ? -1 : 0;
}

int
store_pool_list(struct store *st, struct pool_row **rows)
{
	int n = store_pool_rows(st, store_prepare(st, "SELECT p.id, p.email, " PROFILE_COLS
						  " FROM participants p WHERE p.status = 'active' AND "
						  "NOT EXISTS (SELECT 1 FROM partnerships x WHERE "
						  "(x.a = p.id OR x.b = p.id) AND x.status = 'active') "
						  "ORDER BY p.id", ""), rows);

	return store_pool_with_previous(st, rows, n);
}

/* rows[0..n) (n from store_pool_rows) with their previous partners, or -1 with the rows
 * freed. */
static int
store_pool_with_previous(struct store *st, struct pool_row **rows, int n)
{
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
store_pool_previous(struct store *st, struct pool_row *rows, int n)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT b FROM partnerships WHERE a = ?1 AND "
					   "status != 'proposed' UNION ALL SELECT a FROM "
					   "partnerships WHERE b = ?1 AND status != 'proposed'", "");

	if (stmt == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		struct pool_row *r = &rows[i];
		size_t cap = 0;

		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, r->id);
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			if ((size_t)r->nprevious == cap) {
				cap = cap ? cap * 2 : 4;
				r->previous = xrealloc(r->previous, cap * sizeof(int64_t));
			}
			r->previous[r->nprevious++] = sqlite3_column_int64(stmt, 0);
		}
	}
	store_done(st, stmt);
	return 0;
}

int
store_proposals_clear(struct store *st, int64_t round_id)
{
	if (store_exec(st, "DELETE FROM partnerships WHERE round_id = ? AND status = 'proposed'",
		       "i", round_id) < 0)
		return -1;
	return store_exec(st, "DELETE FROM unmatched WHERE round_id = ?", "i", round_id) < 0 ? -1 : 0;
}

int
store_partnership_add(struct store *st, int64_t round_id, int64_t a, int64_t b, int64_t weight,
		      const char *why, int64_t now, int64_t *id)
{
	if (store_exec(st, "INSERT INTO partnerships(round_id, a, b, weight, why, created_at) "
		       "VALUES (?, ?, ?, ?, ?, ?)", "iiiisi", round_id, a < b ? a : b,
		       a < b ? b : a, weight, why, now) < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_unmatched_add(struct store *st, int64_t round_id, int64_t participant, const char *why)
{
	return store_exec(st, "INSERT OR REPLACE INTO unmatched(round_id, participant, why) "
			  "VALUES (?, ?, ?)", "iis", round_id, participant, why) < 0 ? -1 : 0;
}

void
partnership_clear(struct partnership *p)
{
	free(p->a_email);
	free(p->b_email);
	free(p->why);
	memset(p, 0, sizeof(*p));
}

#define PARTNERSHIP_SELECT \
	"SELECT x.id, x.a, x.b, x.weight, pa.email, pb.email, x.why, x.status, x.round_id, " \
	"x.a_choice, x.b_choice, coalesce(x.introduced_at, 0), coalesce(x.ended_at, 0), " \
	"x.end_outcome, pa.status, pb.status " \
	"FROM partnerships x JOIN participants pa ON pa.id = x.a " \
	"JOIN participants pb ON pb.id = x.b "

/* One row of PARTNERSHIP_SELECT, for store_rows(). */
static void
partnership_row(sqlite3_stmt *stmt, void *item)
{
	struct partnership *p = item;

	p->id = sqlite3_column_int64(stmt, 0);
	p->a = sqlite3_column_int64(stmt, 1);
	p->b = sqlite3_column_int64(stmt, 2);
	p->weight = sqlite3_column_int64(stmt, 3);
	p->a_email = col_text(stmt, 4);
	p->b_email = col_text(stmt, 5);
	p->why = col_text(stmt, 6);
	p->status = PARTNERSHIP_PROPOSED;
	partnership_status_parse((const char *)sqlite3_column_text(stmt, 7),
				 &p->status);
	p->round_id = sqlite3_column_int64(stmt, 8);
	p->a_choice = p->b_choice = CHOICE_NONE;
	partner_choice_parse((const char *)sqlite3_column_text(stmt, 9), &p->a_choice);
	partner_choice_parse((const char *)sqlite3_column_text(stmt, 10), &p->b_choice);
	p->introduced_at = sqlite3_column_int64(stmt, 11);
	p->ended_at = sqlite3_column_int64(stmt, 12);
	p->end = END_NONE;
	partnership_end_parse((const char *)sqlite3_column_text(stmt, 13), &p->end);
	p->a_status = p->b_status = PARTICIPANT_ACTIVE;
	participant_status_parse((const char *)sqlite3_column_text(stmt, 14),
				 &p->a_status);
	participant_status_parse((const char *)sqlite3_column_text(stmt, 15),
				 &p->b_status);
}

static void
partnership_undo(void *item)
{
	partnership_clear(item);
}

static int
store_partnership_rows(struct store *st, sqlite3_stmt *stmt, struct partnership **out)
{
	int n;

	*out = store_rows(st, stmt, sizeof(**out), partnership_row, partnership_undo, &n);
	return n;
}

int
store_partnerships_list(struct store *st, int64_t round_id, enum partnership_status status,
			struct partnership **out)
{
	return store_partnership_rows(st, store_prepare(st,
	    PARTNERSHIP_SELECT "WHERE x.round_id = ? AND x.status = ? "
	    "ORDER BY x.id", "is", round_id, partnership_status_name(status)), out);
}

int
store_partnership_set_status(struct store *st, int64_t id, enum partnership_status status,
			     int64_t now)
{
	const char *word = partnership_status_name(status);

	return store_exec(st, "UPDATE partnerships SET status = ?, introduced_at = CASE WHEN ? = "
			  "'active' THEN ? ELSE introduced_at END WHERE id = ?", "ssii", word,
			  word, now, id) < 0 ? -1 : 0;
}

int
store_unmatched_list(struct store *st, int64_t round_id, struct partnership **out)
{
	return store_partnership_rows(st, store_prepare(st,
	    "SELECT u.participant, u.participant, 0, 0, p.email, '', u.why, 'proposed', "
	    "u.round_id, '', '', 0, 0, '', p.status, p.status "
	    "FROM unmatched u JOIN participants p ON p.id = u.participant "
	    "WHERE u.round_id = ? AND p.status = 'active' ORDER BY u.participant", "i", round_id), out);
}

int
store_partnerships_of(struct store *st, int64_t participant, struct partnership **out)
{
	return store_partnership_rows(st, store_prepare(st,
	    PARTNERSHIP_SELECT "WHERE (x.a = ?1 OR x.b = ?1) AND x.status != 'proposed' "
	    "ORDER BY x.id", "i", participant), out);
}

int
store_partner_of(struct store *st, int64_t participant, struct partnership *p)
{
	struct partnership *v;
	int n = store_partnership_rows(st, store_prepare(st,
	    PARTNERSHIP_SELECT "WHERE (x.a = ?1 OR x.b = ?1) AND "
	    "x.status = 'active' ORDER BY x.id DESC LIMIT 1", "i", participant), &v);

	memset(p, 0, sizeof(*p));
	if (n <= 0) {
		free(v);
		return n;
	}
	*p = v[0];
	free(v);
	return 1;
}

int
store_partnership_set_choice(struct store *st, int64_t id, int64_t participant,
			     enum partner_choice choice)
{
	const char *w = partner_choice_name(choice);

	return store_exec(st, "UPDATE partnerships SET a_choice = CASE WHEN a = ?2 THEN ?3 ELSE "
			  "a_choice END, b_choice = CASE WHEN b = ?2 THEN ?3 ELSE b_choice END "
			  "WHERE id = ?1", "iis", id, participant, w) < 0 ? -1 : 0;
}

int
store_partnership_dissolve(struct store *st, int64_t id, int64_t now)
{
	return store_exec(st, "UPDATE partnerships SET status = 'dissolved', ended_at = ? "
			  "WHERE id = ?", "ii", now, id) < 0 ? -1 : 0;
}

int
store_partnership_end(struct store *st, int64_t id, enum partnership_end end, int64_t now)
{
	return store_exec(st, "UPDATE partnerships SET status = 'ended', end_outcome = ?, "
			  "ended_at = ? WHERE id = ?", "sii", partnership_end_name(end), now, id) < 0
		       ? -1 : 0;
}

static void
round_row(sqlite3_stmt *stmt, void *item)
{
	store_round_from_row(stmt, item);
}

static void
round_undo(void *item)
{
	round_clear(item);
}

static int
store_round_rows(struct store *st, sqlite3_stmt *stmt, struct round **out)
{
	int n;

	*out = store_rows(st, stmt, sizeof(**out), round_row, round_undo, &n);
	return n;
}

int
store_rounds_running(struct store *st, struct round **out)
{
	return store_round_rows(st, store_prepare(st, ROUND_SELECT "WHERE status = 'running' "
						  "ORDER BY id", ""), out);
}

int
store_round_next_open(struct store *st, int64_t except_id, int64_t now, struct round *r)
{
	sqlite3_stmt *stmt = store_prepare(st, ROUND_SELECT "WHERE status IN ('open', "
					   "'previewed') AND id != ? AND created_at <= ? "
					   "ORDER BY created_at DESC, id DESC LIMIT 1", "ii",
					   except_id, now);
	int rc;

	memset(r, 0, sizeof(*r));
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		store_round_from_row(stmt, r);
	return store_row_end(st, stmt, rc);
}
