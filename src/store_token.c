/* store_token.c: confirmation tokens (see store.h): single use, bound to an address,
 * expiring. A struct token filled here is the caller's to token_clear(). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

void
token_clear(struct token *t)
{
	free(t->token);
	free(t->email);
	free(t->action);
	free(t->payload);
	memset(t, 0, sizeof(*t));
}

int
store_token_add(struct store *st, const char *token, const char *email, const char *action,
		const char *payload, int64_t now, int64_t expires_at)
{
	return store_exec(st, "INSERT INTO tokens(token, email, action, payload, created_at, "
			  "expires_at) VALUES (?, ?, ?, ?, ?, ?)", "ssssii", token, email, action,
			  nz(payload), now, expires_at) < 0 ? -1 : 0;
}

int
store_token_get(struct store *st, const char *token, struct token *t)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT token, email, action, payload, created_at, "
					   "expires_at, coalesce(used_at, 0), coalesce(superseded_at, 0) "
					   "FROM tokens "
					   "WHERE token = ?", "s", token);
	int rc;

	memset(t, 0, sizeof(*t));
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		t->token = col_text(stmt, 0);
		t->email = col_text(stmt, 1);
		t->action = col_text(stmt, 2);
		t->payload = col_text(stmt, 3);
		t->created_at = sqlite3_column_int64(stmt, 4);
		t->expires_at = sqlite3_column_int64(stmt, 5);
		t->used_at = sqlite3_column_int64(stmt, 6);
		t->superseded_at = sqlite3_column_int64(stmt, 7);
	}
	return store_row_end(st, stmt, rc);
}

int
store_token_use(struct store *st, const char *token, int64_t now)
{
	return store_exec(st, "UPDATE tokens SET used_at = ? WHERE token = ? AND used_at IS NULL",
			  "is", now, token) == 1 ? 0 : -1;
}

int
store_token_supersede(struct store *st, const char *email, const char *action, const char *keep,
		      int64_t now)
{
	return store_exec(st, "UPDATE tokens SET superseded_at = ? WHERE email = ? AND action = ? "
			  "AND token != ? AND used_at IS NULL AND superseded_at IS NULL", "isss", now,
			  email, action, keep) < 0 ? -1 : 0;
}

int
store_token_count_since(struct store *st, const char *email, const char *action, int64_t since)
{
	/* an erased address's tokens count on under its keyed hash */
	return store_count(st, store_prepare(st, "SELECT count(*) FROM tokens WHERE (email = ?1 OR "
					     "email = ilnbot_hash(lower(?1))) AND action = ?2 AND "
					     "created_at >= ?3", "ssi", email, action, since));
}
