/* store.c: the SQLite store (see store.h). Schema changes are numbered migrations
 * applied in order inside one transaction, recorded in PRAGMA user_version. Every
 * query is a prepared statement with bound parameters. */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* Prepared statements are kept and reused, keyed by the address of their SQL text
 * (every query is a string literal), so parsing SQL is paid once per process. */
#define STMT_CACHE 128

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *stmt;
	bool busy;
};

struct store {
	sqlite3 *db;
	struct stmt_slot cache[STMT_CACHE];
};

static const char *const migrations[] = {
	/* 1: the walking skeleton */
	"CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE inbound ("
	"  id INTEGER PRIMARY KEY,"
	"  dedup_key TEXT NOT NULL UNIQUE,"
	"  message_id TEXT,"
	"  sender TEXT,"
	"  subject TEXT,"
	"  command TEXT,"
	"  outcome TEXT NOT NULL DEFAULT 'received',"
	"  detail TEXT,"
	"  received_at INTEGER NOT NULL);"
	"CREATE TABLE participants ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL, country TEXT NOT NULL, sector TEXT NOT NULL,"
	"  workplace TEXT NOT NULL, years INTEGER NOT NULL, interests TEXT NOT NULL,"
	"  languages TEXT NOT NULL, about TEXT NOT NULL DEFAULT '',"
	"  partner_sector TEXT NOT NULL, partner_stage TEXT NOT NULL,"
	"  notes TEXT NOT NULL DEFAULT '', digest INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','withdrawn')),"
	"  agreed_at INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE tokens ("
	"  token TEXT PRIMARY KEY,"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  action TEXT NOT NULL,"
	"  payload TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  used_at INTEGER);"
	"CREATE INDEX tokens_email ON tokens(email, action, created_at);"
	"CREATE TABLE subscribers ("
	"  email TEXT PRIMARY KEY COLLATE NOCASE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE reply_counts ("
	"  sender TEXT NOT NULL COLLATE NOCASE,"
	"  day TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  PRIMARY KEY (sender, day));"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  envelope_from TEXT NOT NULL,"
	"  rcpts TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','sent','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt_at);",

	/* 2: rounds and partnerships */
	"CREATE TABLE rounds ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  signup_closes INTEGER NOT NULL,"
	"  starts INTEGER NOT NULL,"
	"  ends INTEGER NOT NULL,"
	"  months INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'open'"
	"    CHECK (status IN ('open','previewed','running','closed')),"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE partnerships ("
	"  id INTEGER PRIMARY KEY,"
	"  round_id INTEGER NOT NULL REFERENCES rounds(id),"
	"  a INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,"
	"  b INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,"
	"  weight INTEGER NOT NULL,"
	"  why TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL DEFAULT 'proposed'"
	"    CHECK (status IN ('proposed','active','ended','dissolved')),"
	"  created_at INTEGER NOT NULL,"
	"  introduced_at INTEGER,"
	"  CHECK (a < b));"
	"CREATE INDEX partnerships_a ON partnerships(a, status);"
	"CREATE INDEX partnerships_b ON partnerships(b, status);"
	"CREATE TABLE unmatched ("
	"  round_id INTEGER NOT NULL REFERENCES rounds(id),"
	"  participant INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,"
	"  why TEXT NOT NULL,"
	"  PRIMARY KEY (round_id, participant));",

	/* 3: tries at inbound messages, keyed by a SHA-256 of their bytes (quarantine) */
	"CREATE TABLE inbound_attempts ("
	"  key TEXT PRIMARY KEY,"
	"  tries INTEGER NOT NULL,"
	"  first_at INTEGER NOT NULL,"
	"  last_at INTEGER NOT NULL);",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static size_t
stmt_slot_of(const char *sql)
{
	return ((uintptr_t)sql >> 3) % STMT_CACHE;
}

/* A ready statement for sql: a cached one reset, or a new one (cached when a slot is
 * free). Every statement goes back through store_done(). */
static sqlite3_stmt *
stmt_get(struct store *st, const char *sql)
{
	size_t i = stmt_slot_of(sql), k;
	sqlite3_stmt *stmt;

	for (k = 0; k < STMT_CACHE; k++, i = (i + 1) % STMT_CACHE) {
		struct stmt_slot *sl = &st->cache[i];

		if (sl->sql == NULL)
			break;
		if (sl->sql == sql && !sl->busy) {
			sl->busy = true;
			return sl->stmt;
		}
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		log_errorx("store: prepare: %s", sqlite3_errmsg(st->db));
		return NULL;
	}
	if (k < STMT_CACHE) {
		st->cache[i] = (struct stmt_slot){ sql, stmt, true };
	}
	return stmt;
}

/* store_done: give a statement back: reset for reuse when cached, else finalized. */
static void
store_done(struct store *st, sqlite3_stmt *stmt)
{
	if (stmt == NULL)
		return;
	for (size_t i = 0; i < STMT_CACHE; i++) {
		if (st->cache[i].stmt == stmt) {
			sqlite3_reset(stmt);
			sqlite3_clear_bindings(stmt);
			st->cache[i].busy = false;
			return;
		}
	}
	sqlite3_finalize(stmt);
}

/* A prepared statement with its parameters bound from a tiny format string:
 * 's' text (NULL binds NULL), 'i' int64, 'b' blob (pointer, size_t). */
static sqlite3_stmt *
store_prepare(struct store *st, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int i = 1, rc = SQLITE_OK;

	if ((stmt = stmt_get(st, sql)) == NULL)
		return NULL;
	va_start(ap, fmt);
	for (const char *f = fmt; *f && rc == SQLITE_OK; f++, i++) {
		if (*f == 's') {
			const char *s = va_arg(ap, const char *);

			rc = s ? sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(stmt, i);
		} else if (*f == 'i') {
			rc = sqlite3_bind_int64(stmt, i, va_arg(ap, int64_t));
		} else if (*f == 'b') {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);

			rc = sqlite3_bind_blob64(stmt, i, p, n, SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		log_errorx("store: bind: %s", sqlite3_errmsg(st->db));
		store_done(st, stmt);
		return NULL;
	}
	return stmt;
}

/* store_row_end: give back a statement that was stepped once for at most one row:
 * 1 a row was read, 0 none, -1 an error (logged). */
static int
store_row_end(struct store *st, sqlite3_stmt *stmt, int rc)
{
	store_done(st, stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	log_errorx("store: %s", sqlite3_errmsg(st->db));
	return -1;
}

/* store_exec: run a statement that returns no rows; returns changes() or -1. */
#define store_exec(st, sql, ...) store_exec_stmt(st, store_prepare(st, sql, __VA_ARGS__))

static int
store_exec_stmt(struct store *st, sqlite3_stmt *stmt)
{
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	store_done(st, stmt);
	if (rc != SQLITE_DONE) {
		log_errorx("store: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return sqlite3_changes(st->db);
}

static char *
col_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);

	return s ? xstrdup((const char *)s) : NULL;
}

/* store_busy: wait for another connection's write (ilnbot's sending and fetching
 * threads have their own) in steps of 200 µs, not SQLite's default steps of up to
 * 100 ms, for at most 30 s. */
static int
store_busy(void *arg, int count)
{
	struct timespec ts = { 0, 200000 };

	if (count >= 150000)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

static int
store_pragmas(struct store *st, char *err, size_t errsz)
{
	static const char *const pragmas[] = {
		"PRAGMA journal_mode=WAL",
		"PRAGMA synchronous=FULL",
		"PRAGMA foreign_keys=ON",
	};

	sqlite3_busy_handler(st->db, store_busy, NULL);
	for (size_t i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
		char *msg = NULL;

		if (sqlite3_exec(st->db, pragmas[i], NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errsz, "%s: %s", pragmas[i], msg ? msg : "failed");
			sqlite3_free(msg);
			return -1;
		}
	}
	return 0;
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *stmt = store_prepare(st, "PRAGMA user_version", "");
	int v = -1;

	if (stmt && sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	store_done(st, stmt);
	return v;
}

static int
store_migrate(struct store *st, char *err, size_t errsz)
{
	int v = store_schema_version(st);
	char *msg = NULL;

	if (v < 0) {
		snprintf(err, errsz, "cannot read the schema version: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	if (v > NMIGRATIONS) {
		snprintf(err, errsz, "the database has schema %d, newer than this ilnbot (%d)", v,
			 NMIGRATIONS);
		return -1;
	}
	for (; v < NMIGRATIONS; v++) {
		char *sql = xasprintf("BEGIN IMMEDIATE; %s; PRAGMA user_version=%d; COMMIT;",
				      migrations[v], v + 1);
		int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

		free(sql);
		if (rc != SQLITE_OK) {
			snprintf(err, errsz, "migration %d: %s", v + 1, msg ? msg : "failed");
			sqlite3_free(msg);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		log_info("store: schema migrated to version %d", v + 1);
	}
	return 0;
}

struct store *
store_open(const char *path, char *err, size_t errsz)
{
	struct store *st = xcalloc(1, sizeof(*st));

	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", path, st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	if (store_pragmas(st, err, errsz) < 0 || store_migrate(st, err, errsz) < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(st->cache[i].stmt);
	sqlite3_close(st->db);
	free(st);
}

int
store_begin(struct store *st)
{
	return store_exec(st, "BEGIN IMMEDIATE", "") < 0 ? -1 : 0;
}

int
store_commit(struct store *st)
{
	return store_exec(st, "COMMIT", "") < 0 ? -1 : 0;
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
store_durable(struct store *st, bool full)
{
	return store_exec(st, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			  "") < 0 ? -1 : 0;
}

int
store_state_get(struct store *st, const char *key, char **val)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT value FROM state WHERE key = ?", "s", key);
	int rc;

	*val = NULL;
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*val = col_text(stmt, 0);
	return store_row_end(st, stmt, rc) < 0 ? -1 : 0;
}

int
store_state_set(struct store *st, const char *key, const char *val)
{
	return store_exec(st, "INSERT INTO state(key, value) VALUES (?, ?) "
			  "ON CONFLICT(key) DO UPDATE SET value = excluded.value", "ss", key, val) < 0
		       ? -1 : 0;
}

int
store_inbound_add(struct store *st, const char *dedup_key, const char *message_id,
		  const char *sender, const char *subject, int64_t now, int64_t *id)
{
	int n = store_exec(st, "INSERT OR IGNORE INTO inbound(dedup_key, message_id, sender, subject, "
			   "received_at) VALUES (?, ?, ?, ?, ?)", "ssssi", dedup_key, message_id,
			   sender, subject, now);

	if (n < 0)
		return -1;
	*id = n ? sqlite3_last_insert_rowid(st->db) : 0;
	return n;
}

int
store_inbound_finish(struct store *st, int64_t id, const char *command, const char *outcome,
		     const char *detail)
{
	return store_exec(st, "UPDATE inbound SET command = ?, outcome = ?, detail = ? WHERE id = ?",
			  "sssi", command, outcome, detail, id) < 0 ? -1 : 0;
}

/* The index of the first of keys[0..i] equal to keys[i]: a key given twice counts once. */
static size_t
key_first(const char *const *keys, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(keys[j], keys[i]) == 0)
			return j;
	return i;
}

int
store_attempts_get(struct store *st, const char *const *keys, size_t n, int *tries)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *stmt = store_prepare(st, "SELECT tries FROM inbound_attempts "
						   "WHERE key = ?", "s", keys[i]);
		int rc;

		if (stmt == NULL)
			return -1;
		rc = sqlite3_step(stmt);
		tries[i] = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
		if (store_row_end(st, stmt, rc) < 0)
			return -1;
	}
	return 0;
}

int
store_attempts_begin(struct store *st, const char *const *keys, size_t n, int64_t now,
		     int *tries)
{
	if (store_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t j = key_first(keys, i);
		sqlite3_stmt *stmt;
		int rc;

		if (j < i) {
			tries[i] = tries[j];
			continue;
		}
		stmt = store_prepare(st, "INSERT INTO inbound_attempts(key, tries, first_at, last_at) "
				     "VALUES (?1, 1, ?2, ?2) ON CONFLICT(key) DO UPDATE SET "
				     "tries = tries + 1, last_at = ?2 RETURNING tries", "si", keys[i],
				     now);
		if (stmt == NULL)
			goto fail;
		rc = sqlite3_step(stmt);
		tries[i] = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) - 1 : 0;
		if (store_row_end(st, stmt, rc) != 1)
			goto fail;
	}
	if (store_commit(st) == 0)
		return 0;
fail:
	store_rollback(st);
	return -1;
}

int
store_attempts_clear(struct store *st, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (store_exec(st, "DELETE FROM inbound_attempts WHERE key = ?", "s", keys[i]) < 0)
			return -1;
	return 0;
}

int
store_attempts_undo(struct store *st, const char *const *keys, size_t n)
{
	if (store_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (key_first(keys, i) < i)
			continue;
		if (store_exec(st, "UPDATE inbound_attempts SET tries = tries - 1 WHERE key = ?", "s",
			       keys[i]) < 0 ||
		    store_exec(st, "DELETE FROM inbound_attempts WHERE key = ? AND tries <= 0", "s",
			       keys[i]) < 0)
			goto fail;
	}
	if (store_commit(st) == 0)
		return 0;
fail:
	store_rollback(st);
	return -1;
}

void
participant_clear(struct participant *p)
{
	free(p->email);
	free(p->status);
	memset(p, 0, sizeof(*p));
}

#define PROFILE_COLS "name, country, sector, workplace, years, interests, languages, about, " \
		     "partner_sector, partner_stage, notes, digest"

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

static const char *
nz(const char *s)
{
	return s ? s : "";
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
			p->status = col_text(stmt, 2);
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
store_participant_set_status(struct store *st, const char *email, const char *status, int64_t now)
{
	return store_exec(st, "UPDATE participants SET status = ?, updated_at = ? WHERE email = ?",
			  "sis", status, now, email) < 0 ? -1 : 0;
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

int
store_personal_erase(struct store *st, const char *email)
{
	static const char *const sql[] = {
		"DELETE FROM participants WHERE email = ?1",
		"DELETE FROM subscribers WHERE email = ?1",
		"DELETE FROM tokens WHERE email = ?1 OR payload = ?1",
		"DELETE FROM reply_counts WHERE sender = ?1",
		"DELETE FROM outbox WHERE status != 'queued' AND "
		"  instr(char(10) || lower(rcpts) || char(10), char(10) || lower(?1) || char(10)) > 0",
		"UPDATE inbound SET sender = NULL, subject = NULL WHERE sender = ?1 COLLATE NOCASE",
	};

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (store_exec(st, sql[i], "s", email) < 0)
			return -1;
	return 0;
}

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
					   "expires_at, coalesce(used_at, 0) FROM tokens "
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
	}
	return store_row_end(st, stmt, rc);
}

int
store_token_use(struct store *st, const char *token, int64_t now)
{
	return store_exec(st, "UPDATE tokens SET used_at = ? WHERE token = ? AND used_at IS NULL",
			  "is", now, token) == 1 ? 0 : -1;
}

static int
store_count(struct store *st, sqlite3_stmt *stmt)
{
	int n = -1;

	if (stmt == NULL)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int(stmt, 0);
	else
		log_errorx("store: %s", sqlite3_errmsg(st->db));
	store_done(st, stmt);
	return n;
}

int
store_token_count_since(struct store *st, const char *email, const char *action, int64_t since)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM tokens WHERE email = ? AND "
					     "action = ? AND created_at >= ?", "ssi", email,
					     action, since));
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
store_reply_count_bump(struct store *st, const char *sender, const char *day)
{
	if (store_exec(st, "INSERT INTO reply_counts(sender, day, count) VALUES (?, ?, 1) "
		       "ON CONFLICT(sender, day) DO UPDATE SET count = count + 1", "ss", sender,
		       day) < 0)
		return -1;
	return store_count(st, store_prepare(st, "SELECT count FROM reply_counts WHERE sender = ? "
					     "AND day = ?", "ss", sender, day));
}

void
outbox_item_clear(struct outbox_item *o)
{
	free(o->key);
	free(o->message_id);
	free(o->envelope_from);
	free(o->rcpts);
	free(o->raw);
	memset(o, 0, sizeof(*o));
}

int
store_outbox_add(struct store *st, const char *key, const char *message_id,
		 const char *envelope_from, const char *rcpts, const char *raw, size_t len,
		 int64_t now)
{
	return store_exec(st, "INSERT OR IGNORE INTO outbox(key, message_id, envelope_from, rcpts, "
			  "raw, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			  "ssssbii", key, message_id, envelope_from, rcpts, raw, len, now, now);
}

int
store_outbox_due(struct store *st, int64_t now, int max, struct outbox_item **items)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT id, key, message_id, envelope_from, rcpts, "
					   "raw, attempts, created_at FROM outbox WHERE status = 'queued' AND "
					   "next_attempt_at <= ? ORDER BY id LIMIT ?", "ii", now,
					   (int64_t)max);
	struct outbox_item *v;
	int n = 0, rc;

	*items = NULL;
	if (stmt == NULL)
		return -1;
	v = xcalloc((size_t)(max > 0 ? max : 1), sizeof(*v));
	while (n < max && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct outbox_item *o = &v[n++];
		const void *blob = sqlite3_column_blob(stmt, 5);

		o->id = sqlite3_column_int64(stmt, 0);
		o->key = col_text(stmt, 1);
		o->message_id = col_text(stmt, 2);
		o->envelope_from = col_text(stmt, 3);
		o->rcpts = col_text(stmt, 4);
		o->len = (size_t)sqlite3_column_bytes(stmt, 5);
		o->raw = xstrndup(blob ? blob : "", o->len);
		o->attempts = sqlite3_column_int(stmt, 6);
		o->created_at = sqlite3_column_int64(stmt, 7);
	}
	store_done(st, stmt);
	*items = v;
	return n;
}

int
store_outbox_sent(struct store *st, int64_t id, int64_t now)
{
	return store_exec(st, "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 "
			  "WHERE id = ?", "ii", now, id) < 0 ? -1 : 0;
}

int
store_outbox_retry(struct store *st, int64_t id, int64_t next_at, const char *error)
{
	return store_exec(st, "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, "
			  "last_error = ? WHERE id = ?", "isi", next_at, error, id) < 0 ? -1 : 0;
}

int
store_outbox_failed(struct store *st, int64_t id, const char *error)
{
	return store_exec(st, "UPDATE outbox SET status = 'failed', attempts = attempts + 1, "
			  "last_error = ? WHERE id = ?", "si", error, id) < 0 ? -1 : 0;
}

int
store_outbox_is_ours(struct store *st, const char *message_id)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM outbox WHERE message_id = ?",
					     "s", message_id)) > 0;
}

void
round_clear(struct round *r)
{
	free(r->name);
	free(r->status);
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

int
store_round_current(struct store *st, int64_t now, struct round *r)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT id, name, status, signup_closes, starts, "
					   "ends, created_at, months FROM rounds WHERE status != "
					   "'closed' AND created_at <= ? ORDER BY created_at DESC, "
					   "id DESC LIMIT 1", "i", now);
	int rc;

	memset(r, 0, sizeof(*r));
	if (stmt == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r->id = sqlite3_column_int64(stmt, 0);
		r->name = col_text(stmt, 1);
		r->status = col_text(stmt, 2);
		r->signup_closes = sqlite3_column_int64(stmt, 3);
		r->starts = sqlite3_column_int64(stmt, 4);
		r->ends = sqlite3_column_int64(stmt, 5);
		r->created_at = sqlite3_column_int64(stmt, 6);
		r->months = sqlite3_column_int(stmt, 7);
	}
	return store_row_end(st, stmt, rc);
}

int
store_round_exists(struct store *st, const char *name)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM rounds WHERE name = ?",
					     "s", name));
}

int
store_round_set_status(struct store *st, int64_t id, const char *status)
{
	return store_exec(st, "UPDATE rounds SET status = ? WHERE id = ?", "si", status, id) < 0
		       ? -1 : 0;
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

static int
store_rows(struct store *st, sqlite3_stmt *stmt, struct pool_row **rows)
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
store_pool_list(struct store *st, struct pool_row **rows)
{
	sqlite3_stmt *stmt;
	int n = store_rows(st, store_prepare(st, "SELECT p.id, p.email, " PROFILE_COLS
					     " FROM participants p WHERE p.status = 'active' AND "
					     "NOT EXISTS (SELECT 1 FROM partnerships x WHERE "
					     "(x.a = p.id OR x.b = p.id) AND x.status = 'active') "
					     "ORDER BY p.id", ""), rows);

	if (n <= 0)
		return n;
	stmt = store_prepare(st, "SELECT CASE WHEN a = ?1 THEN b ELSE a END FROM partnerships "
			     "WHERE (a = ?1 OR b = ?1) AND status != 'proposed'", "");
	if (stmt == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		struct pool_row *r = &(*rows)[i];
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
	return n;
}

int
store_participants_list(struct store *st, struct pool_row **rows)
{
	return store_rows(st, store_prepare(st, "SELECT id, email, " PROFILE_COLS
					    " FROM participants ORDER BY id", ""), rows);
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
store_proposals_clear(struct store *st, int64_t round_id)
{
	if (store_exec(st, "DELETE FROM partnerships WHERE round_id = ? AND status = 'proposed'",
		       "i", round_id) < 0)
		return -1;
	return store_exec(st, "DELETE FROM unmatched WHERE round_id = ?", "i", round_id) < 0 ? -1 : 0;
}

int
store_partnership_add(struct store *st, int64_t round_id, int64_t a, int64_t b, int64_t weight,
		      const char *why, int64_t now)
{
	return store_exec(st, "INSERT INTO partnerships(round_id, a, b, weight, why, created_at) "
			  "VALUES (?, ?, ?, ?, ?, ?)", "iiiisi", round_id, a < b ? a : b,
			  a < b ? b : a, weight, why, now) < 0 ? -1 : 0;
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
	free(p->status);
	memset(p, 0, sizeof(*p));
}

#define PARTNERSHIP_SELECT \
	"SELECT x.id, x.a, x.b, x.weight, pa.email, pb.email, x.why, x.status " \
	"FROM partnerships x JOIN participants pa ON pa.id = x.a " \
	"JOIN participants pb ON pb.id = x.b "

static int
store_partnership_rows(struct store *st, sqlite3_stmt *stmt, struct partnership **out)
{
	struct partnership *v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (stmt == NULL)
		return -1;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].id = sqlite3_column_int64(stmt, 0);
		v[n].a = sqlite3_column_int64(stmt, 1);
		v[n].b = sqlite3_column_int64(stmt, 2);
		v[n].weight = sqlite3_column_int64(stmt, 3);
		v[n].a_email = col_text(stmt, 4);
		v[n].b_email = col_text(stmt, 5);
		v[n].why = col_text(stmt, 6);
		v[n].status = col_text(stmt, 7);
		n++;
	}
	store_done(st, stmt);
	*out = v;
	return (int)n;
}

int
store_partnerships_list(struct store *st, int64_t round_id, const char *status,
			struct partnership **out)
{
	return store_partnership_rows(st, store_prepare(st,
	    PARTNERSHIP_SELECT "WHERE x.round_id = ? AND x.status = ? "
	    "ORDER BY x.id", "is", round_id, status), out);
}

int
store_partnership_set_status(struct store *st, int64_t id, const char *status, int64_t now)
{
	return store_exec(st, "UPDATE partnerships SET status = ?, introduced_at = CASE WHEN ? = "
			  "'active' THEN ? ELSE introduced_at END WHERE id = ?", "ssii", status,
			  status, now, id) < 0 ? -1 : 0;
}

int
store_unmatched_list(struct store *st, int64_t round_id, struct partnership **out)
{
	return store_partnership_rows(st, store_prepare(st,
	    "SELECT u.participant, u.participant, 0, 0, p.email, '', u.why, p.status "
	    "FROM unmatched u JOIN participants p ON p.id = u.participant "
	    "WHERE u.round_id = ? ORDER BY u.participant", "i", round_id), out);
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
store_outbox_failed_count(struct store *st)
{
	return store_count(st, store_prepare(st, "SELECT count(*) FROM outbox WHERE status = "
					     "'failed'", ""));
}
