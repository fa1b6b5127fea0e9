/* store_adjust.c: what coordinators read and steer (see store.h): a round's numbered
 * proposals and the adjustments of them (the proposal counter, the adjustments' log in
 * the order made, who approved), the rows of EXPORT and the counts of STATS. Arrays
 * filled here are the caller's to free(); strings in them too (store_adjust_rows_free). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "util.h"

/* In the order of enum adjust_kind (match_adjust.h). */
static const char *const adjust_names[] = { "pair", "unpair", "exclude" };

int
store_round_proposal(struct store *st, int64_t round_id)
{
	return store_count(st, store_prepare(st, "SELECT proposal FROM rounds WHERE id = ?",
					     "i", round_id));
}

int
store_round_proposal_next(struct store *st, int64_t round_id)
{
	if (store_exec(st, "UPDATE rounds SET proposal = proposal + 1 WHERE id = ?", "i",
		       round_id) < 0)
		return -1;
	return store_round_proposal(st, round_id);
}

int
store_round_approved(struct store *st, int64_t round_id, const char *by, int64_t now)
{
	return store_exec(st, "UPDATE rounds SET approved_by = ?, approved_at = ? WHERE id = ?",
			  "sii", by, now, round_id) < 0 ? -1 : 0;
}

int
store_round_approved_by(struct store *st, int64_t round_id, char **by)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT approved_by FROM rounds WHERE id = ?", "i",
					   round_id);
	int rc;

	*by = NULL;
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*by = col_text(stmt, 0);
	return store_row_end(st, stmt, rc) < 0 ? -1 : 0;
}

int
store_adjust_add(struct store *st, int64_t round_id, int proposal, int kind, int64_t a,
		 int64_t b, const char *by, int64_t now)
{
	return store_exec(st, "INSERT INTO adjustments(round_id, proposal, kind, a, b, by_email, "
			  "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", "iisiisi", round_id,
			  (int64_t)proposal, adjust_names[kind], a, b, by, now) < 0
		       ? -1 : 0;
}

static int
adjust_kind_of(const char *s)
{
	for (size_t i = 0; i < nitems(adjust_names); i++)
		if (s && strcmp(s, adjust_names[i]) == 0)
			return (int)i;
	return 2;
}

static void
adjust_row_read(sqlite3_stmt *stmt, void *item)
{
	struct adjust_row *r = item;

	r->proposal = sqlite3_column_int(stmt, 0);
	r->kind = adjust_kind_of((const char *)sqlite3_column_text(stmt, 1));
	r->a = sqlite3_column_int64(stmt, 2);
	r->b = sqlite3_column_int64(stmt, 3);
	r->by = col_text(stmt, 4);
	r->at = sqlite3_column_int64(stmt, 5);
	r->a_email = col_text(stmt, 6);
	r->b_email = col_text(stmt, 7);
}

static void
adjust_row_undo(void *item)
{
	struct adjust_row *r = item;

	free(r->by);
	free(r->a_email);
	free(r->b_email);
}

int
store_adjust_list(struct store *st, int64_t round_id, struct adjust_row **out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT x.proposal, x.kind, x.a, x.b, x.by_email, "
					   "x.created_at, pa.email, pb.email FROM adjustments x "
					   "LEFT JOIN participants pa ON pa.id = x.a LEFT JOIN "
					   "participants pb ON pb.id = x.b WHERE x.round_id = ? "
					   "ORDER BY x.id", "i", round_id);
	int n;

	*out = store_rows(st, stmt, sizeof(**out), adjust_row_read, adjust_row_undo, &n);
	return n;
}

void
store_adjust_rows_free(struct adjust_row *v, int n)
{
	for (int i = 0; i < n; i++)
		adjust_row_undo(&v[i]);
	free(v);
}

/* ---- exports for spreadsheets (program_round.c writes the CSV) ---- */

static const char *const export_sql[] = {
	/* STORE_EXPORT_PARTICIPANTS */
	"SELECT p.email, p.name, p.country, p.sector, p.workplace, p.years, p.interests, "
	"p.languages, p.about, p.partner_sector, p.partner_stage, p.notes, "
	"CASE WHEN p.digest > 0 THEN 'yes' ELSE 'no' END, "
	"CASE WHEN p.status = 'withdrawn' THEN 'withdrawn' WHEN x.status = 'active' THEN "
	"'partnered' WHEN EXISTS (SELECT 1 FROM waiting w WHERE w.participant = p.id) THEN "
	"'waiting' WHEN x.status IS NOT NULL THEN 'partnership ' || x.status ELSE 'confirmed' "
	"END, ifnull(r.name, ''), ifnull(q.name, ''), ifnull(q.email, ''), "
	"date(p.created_at, 'unixepoch'), date(p.agreed_at, 'unixepoch'), "
	"ifnull(date(x.introduced_at, 'unixepoch'), ''), "
	"ifnull(date(x.ended_at, 'unixepoch'), ''), p.mail_language "
	"FROM participants p LEFT JOIN partnerships x ON x.id = (SELECT y.id FROM partnerships y "
	"WHERE (y.a = p.id OR y.b = p.id) AND y.status != 'proposed' ORDER BY y.id DESC LIMIT 1) "
	"LEFT JOIN rounds r ON r.id = x.round_id LEFT JOIN participants q ON q.id = "
	"CASE WHEN x.a = p.id THEN x.b ELSE x.a END ORDER BY p.id",
	/* STORE_EXPORT_PAIRS: ?1 a round name, '' for the latest round */
	"SELECT r.name, pa.name, pa.email, pa.country, pb.name, pb.email, pb.country, x.status, "
	"x.end_outcome, x.a_choice, x.b_choice, date(x.created_at, 'unixepoch'), "
	"ifnull(date(x.introduced_at, 'unixepoch'), ''), "
	"ifnull(date(x.ended_at, 'unixepoch'), ''), x.weight "
	"FROM partnerships x JOIN rounds r ON r.id = x.round_id JOIN participants pa ON "
	"pa.id = x.a JOIN participants pb ON pb.id = x.b WHERE x.status != 'proposed' AND "
	"r.id = (SELECT id FROM rounds WHERE ?1 = '' OR name = ?1 ORDER BY id DESC LIMIT 1) "
	"ORDER BY x.id",
	/* STORE_EXPORT_ROUNDS */
	"SELECT r.name, r.status, date(r.signup_closes, 'unixepoch'), date(r.starts, "
	"'unixepoch'), date(r.ends, 'unixepoch'), r.months, r.proposal, r.approved_by, "
	"ifnull(date(r.approved_at, 'unixepoch'), ''), "
	"(SELECT count(*) FROM partnerships x WHERE x.round_id = r.id AND x.status != 'proposed'), "
	"(SELECT count(*) FROM partnerships x WHERE x.round_id = r.id AND x.status = 'active'), "
	"(SELECT count(*) FROM partnerships x WHERE x.round_id = r.id AND x.status = 'dissolved'), "
	"(SELECT count(*) FROM partnerships x WHERE x.round_id = r.id AND x.status = 'ended'), "
	"(SELECT count(*) FROM unmatched u WHERE u.round_id = r.id), "
	"(SELECT count(*) FROM adjustments a WHERE a.round_id = r.id) "
	"FROM rounds r ORDER BY r.id",
};

int
store_export_each(struct store *st, enum store_export kind, const char *arg,
		  void (*fn)(void *ctx, int ncols, const char *const *cols), void *ctx)
{
	sqlite3_stmt *stmt;
	const char *cols[STORE_EXPORT_COLS];
	int rc, n = 0;

	if ((size_t)kind >= nitems(export_sql))
		return -1;
	stmt = kind == STORE_EXPORT_PAIRS ? store_prepare(st, export_sql[kind], "s", nz(arg)) :
					    store_prepare(st, export_sql[kind], "");
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int nc = sqlite3_column_count(stmt);

		if (nc > STORE_EXPORT_COLS)
			nc = STORE_EXPORT_COLS;
		for (int i = 0; i < nc; i++) {
			const char *v = (const char *)sqlite3_column_text(stmt, i);

			cols[i] = v ? v : "";
		}
		fn(ctx, nc, cols);
		n++;
	}
	store_done(st, stmt);
	return rc == SQLITE_DONE ? n : -1;
}

/* ---- STATS: counts of one round (round_id > 0) or of all rounds (0) ---- */

int
store_round_counts(struct store *st, int64_t round_id, struct round_counts *c)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT "
		"(SELECT count(*) FROM partnerships WHERE (?1 = 0 OR round_id = ?1) AND "
		"status = 'active'), "
		"(SELECT count(*) FROM partnerships WHERE (?1 = 0 OR round_id = ?1) AND "
		"status = 'dissolved'), "
		"(SELECT count(*) FROM partnerships WHERE (?1 = 0 OR round_id = ?1) AND "
		"status = 'ended' AND end_outcome = 'continuing'), "
		"(SELECT count(*) FROM partnerships WHERE (?1 = 0 OR round_id = ?1) AND "
		"status = 'ended' AND end_outcome != 'continuing'), "
		"(SELECT count(*) FROM unmatched WHERE ?1 = 0 OR round_id = ?1), "
		"(SELECT count(*) FROM waiting WHERE ?1 = 0 OR round_id = ?1), "
		"(SELECT count(*) FROM reports WHERE ?1 = 0 OR round_id = ?1), "
		"(SELECT count(*) FROM outbox WHERE kind = 'digest' AND (?1 = 0 OR key LIKE "
		"'digest:' || ?1 || ':%')), "
		"(SELECT count(*) FROM adjustments WHERE ?1 = 0 OR round_id = ?1)", "i", round_id);
	int rc;

	memset(c, 0, sizeof(*c));
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		c->active = sqlite3_column_int(stmt, 0);
		c->dissolved = sqlite3_column_int(stmt, 1);
		c->continuing = sqlite3_column_int(stmt, 2);
		c->concluded = sqlite3_column_int(stmt, 3);
		c->unmatched = sqlite3_column_int(stmt, 4);
		c->waiting = sqlite3_column_int(stmt, 5);
		c->reports = sqlite3_column_int(stmt, 6);
		c->digests = sqlite3_column_int(stmt, 7);
		c->adjustments = sqlite3_column_int(stmt, 8);
	}
	return store_row_end(st, stmt, rc) < 0 ? -1 : 0;
}

int
store_applicant_counts(struct store *st, int64_t now, struct applicant_counts *c)
{
	sqlite3_stmt *stmt = store_prepare(st,
		"SELECT (SELECT count(DISTINCT email) FROM tokens WHERE action = 'signup' AND "
		"used_at IS NULL AND superseded_at IS NULL AND expires_at > ?1 AND email NOT IN "
		"(SELECT email FROM participants)), "
		"(SELECT count(*) FROM participants WHERE status = 'active'), "
		"(SELECT count(*) FROM participants WHERE status = 'withdrawn')", "i", now);
	int rc;

	memset(c, 0, sizeof(*c));
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		c->pending = sqlite3_column_int(stmt, 0);
		c->confirmed = sqlite3_column_int(stmt, 1);
		c->withdrawn = sqlite3_column_int(stmt, 2);
	}
	return store_row_end(st, stmt, rc) < 0 ? -1 : 0;
}
