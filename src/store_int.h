/* store_int.h: what the store's files (src/store*.c) share and nothing else includes:
 * the connection with its statement cache, and the helpers that prepare, bind, step and
 * give back statements, defined in store.c. A statement from store_prepare() goes back
 * through store_done() (or store_row_end(), store_exec_stmt(), store_count(), which call
 * it); a string from col_text() is the caller's to free(). */
#ifndef ILN_STORE_INT_H
#define ILN_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store.h"

/* Prepared statements are kept and reused, keyed by the address of their SQL text, so
 * parsing SQL is paid once per connection. Every query is therefore a string literal (or
 * a pointer into a static array of them), whichever store file it is in: the address must
 * stay the same for the life of the process. Equal text in two files may or may not share
 * an address; at worst it takes two slots. */
#define STMT_CACHE 128

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *stmt;
	bool busy;
};

#define STORE_KEY_BYTES 32

struct store {
	sqlite3 *db;
	struct stmt_slot cache[STMT_CACHE];
	unsigned char key[STORE_KEY_BYTES];   /* for store_hash() */
	bool erased;            /* something was erased since the last store_checkpoint() */
	int sent_keep_days;     /* store_sent_keep() */
	int64_t last_purge;     /* when store_outbox_purge last ran */
};

/* The participant columns a struct profile is made of, in profile_from_row()'s order. */
#define PROFILE_COLS "name, country, sector, workplace, years, interests, languages, about, " \
		     "partner_sector, partner_stage, notes, digest, mail_language"
/* How many columns PROFILE_COLS names. */
#define PROFILE_NCOLS 13

/* store_done: give a statement back: reset for reuse when cached, else finalized. */
void store_done(struct store *st, sqlite3_stmt *stmt);
/* store_prepare: a prepared statement with its parameters bound from a tiny format
 * string: 's' text (NULL binds NULL), 'i' int64, 'b' blob (pointer, size_t). NULL on
 * error (logged). */
sqlite3_stmt *store_prepare(struct store *st, const char *sql, const char *fmt, ...);
/* store_row_end: give back a statement that was stepped once for at most one row:
 * 1 a row was read, 0 none, -1 an error (logged). */
int store_row_end(struct store *st, sqlite3_stmt *stmt, int rc);
/* store_exec: run a statement that returns no rows; returns changes() or -1. */
#define store_exec(st, sql, ...) store_exec_stmt(st, store_prepare(st, sql, __VA_ARGS__))
int store_exec_stmt(struct store *st, sqlite3_stmt *stmt);
/* store_count: step once and give back the first column of the row as an int (a count);
 * -1 when there is no row or an error (logged). stmt NULL gives -1. */
int store_count(struct store *st, sqlite3_stmt *stmt);
/* store_rows: step stmt to its end, reading each row with row(stmt, item) into a new
 * item of size bytes (zeroed first) of a growing array, and give stmt back. Returns the
 * array (NULL when there are no rows; the caller frees it and what row() put in each
 * item) with *n the count; on an error (logged; stmt NULL too) NULL with *n = -1, each
 * item read undone with clear(item) (NULL: nothing to undo) and the array freed. */
void *store_rows(struct store *st, sqlite3_stmt *stmt, size_t size,
		 void (*row)(sqlite3_stmt *stmt, void *item), void (*clear)(void *item), int *n);
/* col_text: a copy of a text column, NULL for NULL. */
char *col_text(sqlite3_stmt *stmt, int i);
/* text_row, text_clear: store_rows()'s row and clear for a list of strings (char *
 * items), the first column of each row. */
void text_row(sqlite3_stmt *stmt, void *item);
void text_clear(void *item);
/* nz: s, or "" for NULL (for NOT NULL columns). */
const char *nz(const char *s);

/* store_pool_rows (store_participant.c): step stmt, whose columns are a participant's id,
 * email and PROFILE_COLS, into *rows (the caller's, pool_row_clear each); previous is not
 * filled. Gives stmt back; stmt NULL gives -1. Returns the count or -1. */
int store_pool_rows(struct store *st, sqlite3_stmt *stmt, struct pool_row **rows);
/* store_pool_previous (store_round.c): fill each row's previous partners; 0 or -1. */
int store_pool_previous(struct store *st, struct pool_row *rows, int n);

#endif
