/* store_adjust.c: a round's numbered proposals and the coordinators' adjustments of them
 * (see store.h): the proposal counter, the adjustments' log in the order made, who
 * approved. Arrays filled here are the caller's to free(); strings in them too
 * (store_adjust_rows_free). */
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

int
store_adjust_list(struct store *st, int64_t round_id, struct adjust_row **out)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT x.proposal, x.kind, x.a, x.b, x.by_email, "
					   "x.created_at, pa.email, pb.email FROM adjustments x "
					   "LEFT JOIN participants pa ON pa.id = x.a LEFT JOIN "
					   "participants pb ON pb.id = x.b WHERE x.round_id = ? "
					   "ORDER BY x.id", "i", round_id);
	struct adjust_row *v = NULL;
	int n = 0, cap = 0, rc;

	*out = NULL;
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct adjust_row *r;

		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, (size_t)cap * sizeof(*v));
		}
		r = &v[n++];
		memset(r, 0, sizeof(*r));
		r->proposal = sqlite3_column_int(stmt, 0);
		r->kind = adjust_kind_of((const char *)sqlite3_column_text(stmt, 1));
		r->a = sqlite3_column_int64(stmt, 2);
		r->b = sqlite3_column_int64(stmt, 3);
		r->by = col_text(stmt, 4);
		r->at = sqlite3_column_int64(stmt, 5);
		r->a_email = col_text(stmt, 6);
		r->b_email = col_text(stmt, 7);
	}
	store_done(st, stmt);
	if (rc != SQLITE_DONE) {
		store_adjust_rows_free(v, n);
		return -1;
	}
	*out = v;
	return n;
}

void
store_adjust_rows_free(struct adjust_row *v, int n)
{
	for (int i = 0; i < n; i++) {
		free(v[i].by);
		free(v[i].a_email);
		free(v[i].b_email);
	}
	free(v);
}
