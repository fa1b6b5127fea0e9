/* store.c: the store's engine (see store.h, store_int.h): opening the database with its
 * pragmas and busy handler, the schema's numbered migrations (applied in order, each in
 * one transaction, recorded in PRAGMA user_version), transactions, and the prepared
 * statement cache with the helpers the accessor files (store_*.c) use to bind, step and
 * give back statements; the store's hashing key (<store>.key) with the keyed hash it gives
 * SQL as ilnbot_hash(), and the truncating checkpoint after an erasure. Every query is a
 * prepared statement with bound parameters. A struct store is the caller's to
 * store_close(). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <gnutls/crypto.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

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

	/* 4: a newer token of the same kind supersedes older ones; each mail's kind */
	("ALTER TABLE tokens ADD COLUMN superseded_at INTEGER;"
	 "ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT '';"),

	/* 5: the round's calendar: topics, the last day run of each scheduled kind, the
	 * end-of-round choices and how partnerships ended, answers to check-ins */
	"CREATE TABLE topics ("
	"  id INTEGER PRIMARY KEY,"
	"  title TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  author TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK (status IN ('queued','sent','cancelled')),"
	"  sent_at INTEGER,"
	"  round_id INTEGER REFERENCES rounds(id));"
	"CREATE INDEX topics_status ON topics(status, id);"
	"CREATE TABLE schedule ("
	"  round_id INTEGER NOT NULL REFERENCES rounds(id),"
	"  kind TEXT NOT NULL,"
	"  last_day INTEGER NOT NULL,"
	"  run_at INTEGER NOT NULL,"
	"  PRIMARY KEY (round_id, kind));"
	"ALTER TABLE partnerships ADD COLUMN a_choice TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE partnerships ADD COLUMN b_choice TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE partnerships ADD COLUMN ended_at INTEGER;"
	"ALTER TABLE partnerships ADD COLUMN end_outcome TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX partnerships_round ON partnerships(round_id, status);"
	"CREATE TABLE checkin_answers ("
	"  id INTEGER PRIMARY KEY,"
	"  participant INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,"
	"  round_id INTEGER NOT NULL REFERENCES rounds(id),"
	"  due_day INTEGER NOT NULL,"
	"  answered_at INTEGER NOT NULL,"
	"  UNIQUE (participant, round_id, due_day));"
	/* one mail to many (a digest): the part all copies share, stored once */
	"CREATE TABLE outbox_shared ("
	"  id INTEGER PRIMARY KEY,"
	"  raw BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"ALTER TABLE outbox ADD COLUMN shared_id INTEGER REFERENCES outbox_shared(id);",

	/* 6: failing partnerships: problem reports, coordinators' notes, the waiting pool,
	 * and when each participant last wrote to us (a sign of life) */
	"CREATE TABLE reports ("
	"  id INTEGER PRIMARY KEY,"
	"  partnership_id INTEGER REFERENCES partnerships(id) ON DELETE SET NULL,"
	"  round_id INTEGER REFERENCES rounds(id),"
	"  reporter INTEGER REFERENCES participants(id) ON DELETE CASCADE,"
	"  partner INTEGER REFERENCES participants(id) ON DELETE SET NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('no_response','other')),"
	"  text TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'open'"
	"    CHECK (status IN ('open','answered','resolved','dissolved')),"
	"  created_at INTEGER NOT NULL,"
	"  due_at INTEGER,"
	"  closed_at INTEGER,"
	"  closed_by TEXT);"
	"CREATE INDEX reports_due ON reports(status, due_at);"
	"CREATE INDEX reports_partner ON reports(partner, status);"
	"CREATE INDEX reports_reporter ON reports(reporter, status);"
	"CREATE TABLE notes ("
	"  id INTEGER PRIMARY KEY,"
	"  participant INTEGER REFERENCES participants(id) ON DELETE CASCADE,"
	"  report_id INTEGER REFERENCES reports(id) ON DELETE CASCADE,"
	"  author TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX notes_participant ON notes(participant);"
	"CREATE TABLE waiting ("
	"  participant INTEGER PRIMARY KEY REFERENCES participants(id) ON DELETE CASCADE,"
	"  round_id INTEGER NOT NULL REFERENCES rounds(id),"
	"  since INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  priority INTEGER NOT NULL DEFAULT 0,"
	"  silent INTEGER NOT NULL DEFAULT 0,"
	"  told_next INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX waiting_round ON waiting(round_id, silent);"
	"ALTER TABLE participants ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;",

	/* 7: the operator's commands: the bytes of mail set aside, kept for `ilnbot
	 * reprocess`, and mail the operator dropped from the queue */
	"CREATE TABLE rejected_mail ("
	"  inbound_id INTEGER PRIMARY KEY REFERENCES inbound(id) ON DELETE CASCADE,"
	"  raw BLOB NOT NULL);"
	"ALTER TABLE outbox ADD COLUMN dropped_at INTEGER;",
	/* 8: erasure that erases: the addresses a participant had before a CHANGE, where
	 * each inbound message lies in the transport, processed messages to remove from the
	 * mailbox after the commit, sent mail whose body is kept for a while (sent_keep_days)
	 * or purged with its recipients hashed when it leaves; the reply counters are keyed
	 * by a keyed hash of the address from now on (today's counts start again) */
	"CREATE TABLE former_emails ("
	"  participant INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  changed_at INTEGER NOT NULL);"
	"CREATE INDEX former_emails_participant ON former_emails(participant);"
	"ALTER TABLE inbound ADD COLUMN transport_id TEXT;"
	"CREATE INDEX inbound_sender ON inbound(sender COLLATE NOCASE);"
	"CREATE TABLE erase_queue ("
	"  id INTEGER PRIMARY KEY,"
	"  transport_id TEXT,"
	"  message_id TEXT,"
	"  created_at INTEGER NOT NULL);"
	"ALTER TABLE outbox ADD COLUMN keep INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN erase_on_send INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX outbox_kept ON outbox(sent_at) WHERE keep = 1;"
	"CREATE INDEX outbox_shared_copies ON outbox(shared_id, status) WHERE shared_id IS NOT NULL;"
	"DELETE FROM reply_counts;",
	/* 9: bounces: each failure report traced to its mail, and per address the failures
	 * counted since the address last wrote to us, and whether its digests are stopped */
	"CREATE TABLE bounces ("
	"  id INTEGER PRIMARY KEY,"
	"  outbox_id INTEGER,"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  kind TEXT NOT NULL,"
	"  severity TEXT NOT NULL"
	"    CHECK (severity IN ('permanent','temporary','complaint','untraced')),"
	"  status TEXT NOT NULL DEFAULT '',"
	"  source TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  told INTEGER NOT NULL DEFAULT 1,"   /* 0: a refusal at sending time not yet acted on */
	"  UNIQUE (outbox_id, email, severity));"
	"CREATE INDEX bounces_email ON bounces(email);"
	"CREATE TABLE bounce_addresses ("
	"  email TEXT PRIMARY KEY COLLATE NOCASE,"
	"  permanent INTEGER NOT NULL DEFAULT 0,"
	"  temporary INTEGER NOT NULL DEFAULT 0,"
	"  digest_failures INTEGER NOT NULL DEFAULT 0,"
	"  digest_stopped_at INTEGER,"
	"  last_kind TEXT NOT NULL DEFAULT '',"
	"  last_at INTEGER NOT NULL);",
	/* 10: numbered proposals, their adjustments before APPROVE, and who approved. */
	"ALTER TABLE rounds ADD COLUMN proposal INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE rounds ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE rounds ADD COLUMN approved_at INTEGER;"
	"CREATE TABLE adjustments ("
	"  id INTEGER PRIMARY KEY,"
	"  round_id INTEGER NOT NULL REFERENCES rounds(id),"
	"  proposal INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  a INTEGER NOT NULL,"
	"  b INTEGER NOT NULL DEFAULT 0,"
	"  by_email TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX adjustments_round ON adjustments(round_id, id);",
	/* 11: the Mail language a participant chose (ISO 639-3), '' for none. */
	"ALTER TABLE participants ADD COLUMN mail_language TEXT NOT NULL DEFAULT '';",
};

#define NMIGRATIONS ((int)nitems(migrations))

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

/* The statement helpers declared in store_int.h, for every store file. */

void
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

sqlite3_stmt *
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

int
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

int
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

void *
store_rows(struct store *st, sqlite3_stmt *stmt, size_t size,
	   void (*row)(sqlite3_stmt *stmt, void *item), void (*clear)(void *item), int *n)
{
	char *v = NULL;
	size_t count = 0, cap = 0;
	int rc = SQLITE_ERROR;

	*n = -1;
	if (stmt == NULL)
		return NULL;
	while (count < INT_MAX && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * size);
		}
		memset(v + count * size, 0, size);
		row(stmt, v + count * size);
		count++;
	}
	store_done(st, stmt);
	if (rc != SQLITE_DONE) {
		log_errorx("store: %s", sqlite3_errmsg(st->db));
		for (size_t i = 0; clear && i < count; i++)
			clear(v + i * size);
		free(v);
		return NULL;
	}
	*n = (int)count;
	return v;
}

char *
col_text(sqlite3_stmt *stmt, int i)
{
	const unsigned char *s = sqlite3_column_text(stmt, i);

	return s ? xstrdup((const char *)s) : NULL;
}

void
text_row(sqlite3_stmt *stmt, void *item)
{
	*(char **)item = col_text(stmt, 0);
}

void
text_clear(void *item)
{
	free(*(char **)item);
}

int
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

const char *
nz(const char *s)
{
	return s ? s : "";
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
		/* what is deleted is overwritten with zeros, not left in free pages */
		"PRAGMA secure_delete=ON",
	};

	sqlite3_busy_handler(st->db, store_busy, NULL);
	for (size_t i = 0; i < nitems(pragmas); i++) {
		char *msg = NULL;
		int rc, tries = 0;

		/* Switching a new store to WAL takes a lock the busy handler is not asked about:
		 * another process opening it at the same moment (the daemon and an operator's
		 * command) makes it SQLITE_BUSY for an instant. */
		while ((rc = sqlite3_exec(st->db, pragmas[i], NULL, NULL, &msg)) == SQLITE_BUSY &&
		       tries++ < 500) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			sqlite3_free(msg);
			msg = NULL;
			nanosleep(&ts, NULL);
		}
		if (rc != SQLITE_OK) {
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
	/* Each step under the write lock, the version read again inside it: two processes
	 * opening a new store at once (the daemon and an operator's command) migrate it
	 * once between them. */
	while (v < NMIGRATIONS) {
		char *sql;
		int rc;

		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
			goto fail;
		if ((v = store_schema_version(st)) < 0 || v >= NMIGRATIONS) {
			sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
			break;
		}
		sql = xasprintf("%s; PRAGMA user_version=%d; COMMIT;", migrations[v], v + 1);
		rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
		free(sql);
		if (rc != SQLITE_OK)
			goto fail;
		log_info("store: schema migrated to version %d", ++v);
	}
	if (v < 0) {
		snprintf(err, errsz, "cannot read the schema version: %s", sqlite3_errmsg(st->db));
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errsz, "migration %d: %s", v + 1, msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* store_key_load: the store's hashing key: STORE_KEY_BYTES random bytes in the file
 * path + ".key" (mode 0600, made at the first open; a stolen copy of the database alone
 * cannot test guesses against its hashes). A store without a file (":memory:") gets a
 * key of its own for its life. */
static int
store_key_load(struct store *st, const char *path, char *err, size_t errsz)
{
	char *kpath = NULL;
	int fd = -1, rc = -1;
	ssize_t n;

	if (*path == '\0' || strcmp(path, ":memory:") == 0) {
		if (getrandom(st->key, sizeof(st->key), 0) != (ssize_t)sizeof(st->key)) {
			snprintf(err, errsz, "getrandom: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	kpath = xasprintf("%s.key", path);
	if ((fd = open(kpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0) {
		if (getrandom(st->key, sizeof(st->key), 0) != (ssize_t)sizeof(st->key) ||
		    write(fd, st->key, sizeof(st->key)) != (ssize_t)sizeof(st->key) ||
		    fsync(fd) < 0) {
			snprintf(err, errsz, "%s: %s", kpath, strerror(errno));
			close(fd);
			unlink(kpath);
			goto out;
		}
		close(fd);
		rc = 0;
		goto out;
	}
	if (errno != EEXIST || (fd = open(kpath, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errsz, "%s: %s", kpath, strerror(errno));
		goto out;
	}
	/* another connection may be writing it this very moment: a few tries */
	for (int i = 0; i < 100; i++) {
		if ((n = pread(fd, st->key, sizeof(st->key), 0)) == (ssize_t)sizeof(st->key)) {
			rc = 0;
			break;
		}
		usleep(10000);
	}
	if (rc < 0)
		snprintf(err, errsz, "%s: not a key of %zu bytes", kpath, sizeof(st->key));
	close(fd);
out:
	free(kpath);
	return rc;
}

void
store_hash(const struct store *st, const char *text, char out[STORE_HASH_LEN])
{
	unsigned char mac[32];

	gnutls_hmac_fast(GNUTLS_MAC_SHA256, st->key, sizeof(st->key), text, strlen(text), mac);
	memcpy(out, "h:", 2);
	for (size_t i = 0; i < sizeof(mac); i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", mac[i]);
}

/* SQL's ilnbot_hash(text): store_hash of it; NULL stays NULL. */
static void
store_sql_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *t = sqlite3_value_text(argv[0]);
	char h[STORE_HASH_LEN];

	(void)argc;
	if (t == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	store_hash(sqlite3_user_data(ctx), (const char *)t, h);
	sqlite3_result_text(ctx, h, -1, SQLITE_TRANSIENT);
}

int
store_checkpoint(struct store *st)
{
	int rc;

	if (!st->erased)
		return 0;
	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("store: truncating checkpoint: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	st->erased = false;
	return 0;
}

void
store_sent_keep(struct store *st, int days)
{
	st->sent_keep_days = days;
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
	if (store_key_load(st, path, err, errsz) < 0)
		goto fail;
	if (sqlite3_create_function_v2(st->db, "ilnbot_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				       st, store_sql_hash, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "ilnbot_hash: %s", sqlite3_errmsg(st->db));
		goto fail;
	}
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
