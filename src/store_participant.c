/* store_participant.c: the people in the store (see store.h): participants and their
 * profiles, the rows every participant is listed as (struct pool_row), digest
 * subscribers, the per-sender daily reply counters (under a keyed hash of the address),
 * the addresses a participant had before a CHANGE, and the erasure of everything personal
 * about a person at every address they had. Strings and profiles filled here are the caller's: participant_clear,
 * profile_free, pool_row_clear (which frees the row's profile too), free() for the
 * subscriber list and each of its strings. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "log.h"
#include "mail_compose.h"
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
	prof->mail_language = col_text(stmt, i++);
	if (prof->mail_language && *prof->mail_language == '\0') {
		free(prof->mail_language);
		prof->mail_language = NULL;
	}
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
			   "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			   "sssssissssssisiii", email, prof->name, prof->country, prof->sector,
			   prof->workplace, (int64_t)prof->years, nz(prof->interests),
			   nz(prof->languages), nz(prof->about), nz(prof->partner_sector),
			   nz(prof->partner_stage), nz(prof->notes),
			   (int64_t)(prof->digest > 0), nz(prof->mail_language), now, now, now);

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
			  "partner_stage=?, notes=?, digest=?, mail_language=?, updated_at=? "
			  "WHERE email = ?",
			  "ssssissssssisis", prof->name, prof->country, prof->sector,
			  prof->workplace, (int64_t)prof->years, nz(prof->interests),
			  nz(prof->languages), nz(prof->about), nz(prof->partner_sector),
			  nz(prof->partner_stage), nz(prof->notes), (int64_t)(prof->digest > 0),
			  nz(prof->mail_language), now, email) < 0 ? -1 : 0;
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
	/* the old address is remembered, for an erasure to find what is stored under it */
	if (store_exec(st, "INSERT INTO former_emails(participant, email, changed_at) SELECT id, "
		       "email, ? FROM participants WHERE email = ?", "is", now, old_email) < 0)
		return -1;
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

static void
pool_row_read(sqlite3_stmt *stmt, void *item)
{
	struct pool_row *r = item;

	r->id = sqlite3_column_int64(stmt, 0);
	r->email = col_text(stmt, 1);
	r->prof = xcalloc(1, sizeof(struct profile));
	profile_from_row(stmt, 2, r->prof);
	if (sqlite3_column_count(stmt) > 2 + PROFILE_NCOLS)
		r->priority = sqlite3_column_int(stmt, 2 + PROFILE_NCOLS);
}

static void
pool_row_undo(void *item)
{
	pool_row_clear(item);
}

int
store_pool_rows(struct store *st, sqlite3_stmt *stmt, struct pool_row **rows)
{
	int n;

	*rows = store_rows(st, stmt, sizeof(**rows), pool_row_read, pool_row_undo, &n);
	return n;
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
	int n;

	*emails = store_rows(st, store_prepare(st, "SELECT email FROM subscribers ORDER BY email",
					       ""), sizeof(**emails), text_row, text_clear, &n);
	return n;
}

int
store_reply_count_bump(struct store *st, const char *sender, const char *day)
{
	/* counted under a keyed hash of the address: a rate limit outlives an erasure */
	if (store_exec(st, "INSERT INTO reply_counts(sender, day, count) VALUES "
		       "(ilnbot_hash(lower(?)), ?, 1) ON CONFLICT(sender, day) DO UPDATE SET "
		       "count = count + 1", "ss", sender, day) < 0)
		return -1;
	return store_count(st, store_prepare(st, "SELECT count FROM reply_counts WHERE sender = "
					     "ilnbot_hash(lower(?)) AND day = ?", "ss", sender, day));
}

/* The addresses of the person at email: that one and those they had before a CHANGE;
 * *name their name when a participant (else NULL). The count, or -1. */
static int
erase_addresses(struct store *st, const char *email, char ***addrs, char **name)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT f.email FROM former_emails f JOIN "
					   "participants p ON p.id = f.participant WHERE p.email = ?",
					   "s", email);
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	int rc;

	*name = NULL;
	v[n++] = xstrdup(email);
	if (stmt == NULL)
		goto fail;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = col_text(stmt, 0);
	}
	store_done(st, stmt);
	if (rc != SQLITE_DONE)
		goto fail;
	stmt = store_prepare(st, "SELECT name FROM participants WHERE email = ?", "s", email);
	if (stmt == NULL)
		goto fail;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*name = col_text(stmt, 0);
	if (store_row_end(st, stmt, rc) < 0)
		goto fail;
	*addrs = v;
	return (int)n;
fail:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(*name);
	*name = NULL;
	return -1;
}

/* Mail that names someone erased (needles): sent mail loses its body now, queued mail
 * when it leaves. Only mail still holding a body is read (with sent_keep_days 0, the
 * default, that is what is queued and what failed). */
static int
erase_mentions(struct store *st, char *const *needles, size_t n)
{
	sqlite3_stmt *stmt = store_prepare(st, "SELECT id, status, raw FROM outbox WHERE "
					   "length(raw) > 0 AND erase_on_send = 0 ORDER BY id", "");
	int64_t *sent = NULL, *queued = NULL;
	size_t ns = 0, nq = 0;
	int rc = -1, r;

	if (stmt == NULL)
		return -1;
	while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *raw = sqlite3_column_blob(stmt, 2);
		size_t len = (size_t)sqlite3_column_bytes(stmt, 2);
		const unsigned char *status = sqlite3_column_text(stmt, 1);
		bool hit = false;

		for (size_t i = 0; i < n && !hit; i++)
			hit = needles[i] && *needles[i] && mail_mentions(raw, len, needles[i]);
		if (!hit)
			continue;
		if (status && strcmp((const char *)status, "queued") == 0) {
			queued = xrealloc(queued, (nq + 1) * sizeof(*queued));
			queued[nq++] = sqlite3_column_int64(stmt, 0);
		} else {
			sent = xrealloc(sent, (ns + 1) * sizeof(*sent));
			sent[ns++] = sqlite3_column_int64(stmt, 0);
		}
	}
	store_done(st, stmt);
	if (r != SQLITE_DONE)
		goto out;
	for (size_t i = 0; i < ns; i++)
		if (store_exec(st, "UPDATE outbox SET raw = x'', keep = 0 WHERE id = ?", "i",
			       sent[i]) < 0)
			goto out;
	for (size_t i = 0; i < nq; i++)
		if (store_exec(st, "UPDATE outbox SET erase_on_send = 1 WHERE id = ?", "i",
			       queued[i]) < 0)
			goto out;
	rc = 0;
out:
	free(sent);
	free(queued);
	return rc;
}

/* store_personal_erase's statements: the first ERASE_KEPT keep hashes */
#define ERASE_KEPT 6

int
store_personal_erase(struct store *st, const char *email, int64_t now)
{
	/* per address (?1); the first with now (?2) */
	static const char *const sql[] = {
		/* their processed messages leave the mailbox after the commit */
		("INSERT INTO erase_queue(transport_id, message_id, created_at) SELECT "
		 "  transport_id, message_id, ?2 FROM inbound WHERE sender = ?1 COLLATE NOCASE AND "
		 "  (transport_id IS NOT NULL OR message_id IS NOT NULL)"),
		/* the bytes of their mail set aside, kept for `ilnbot reprocess` */
		("DELETE FROM rejected_mail WHERE inbound_id IN "
		 "  (SELECT id FROM inbound WHERE sender = ?1 COLLATE NOCASE)"),
		/* the log keeps a keyed hash of the message's key, for duplicates, and no more */
		("UPDATE inbound SET dedup_key = ilnbot_hash(dedup_key), message_id = NULL, "
		 "  sender = NULL, subject = NULL, detail = NULL, transport_id = NULL "
		 "  WHERE sender = ?1 COLLATE NOCASE"),
		"UPDATE inbound SET subject = NULL WHERE instr(lower(subject), lower(?1)) > 0",
		"UPDATE inbound SET detail = NULL WHERE instr(lower(detail), lower(?1)) > 0",
		/* tokens: unusable, but still counted by the rate limits, as keyed hashes */
		("UPDATE tokens SET token = ilnbot_hash(token), email = ilnbot_hash(lower(email)), "
		 "  payload = '' WHERE email = ?1"),
		"DELETE FROM tokens WHERE instr(lower(payload), lower(?1)) > 0",
		"DELETE FROM subscribers WHERE email = ?1",
		"DELETE FROM reply_counts WHERE sender = ?1",
		"DELETE FROM bounces WHERE email = ?1",
		"DELETE FROM bounce_addresses WHERE email = ?1",
		/* mail to them: what has not left is dropped (with others on it too, it leaves
		 * and goes whole); what has left keeps a hashed record */
		"DELETE FROM outbox WHERE status = 'queued' AND lower(rcpts) = lower(?1)",
		("UPDATE outbox SET erase_on_send = 1 WHERE status = 'queued' AND instr(char(10) || "
		 "  lower(rcpts) || char(10), char(10) || lower(?1) || char(10)) > 0"),
		("UPDATE outbox SET raw = x'', keep = 0, rcpts = ilnbot_hash(lower(rcpts)), "
		 "  key = ilnbot_hash(key) WHERE "
		 "  status != 'queued' AND instr(char(10) || lower(rcpts) || char(10), "
		 "  char(10) || lower(?1) || char(10)) > 0"),
	};
	char **addrs = NULL, *name = NULL, **needles = NULL;
	int n, rc = -1;

	if ((n = erase_addresses(st, email, &addrs, &name)) < 0)
		return -1;
	/* what is kept as hashes first, for every address: then the deletions by what
	 * mentions an address cannot take one of the person's own rows first */
	for (size_t from = 0, to = ERASE_KEPT; from < nitems(sql); from = to, to = nitems(sql))
		for (int a = 0; a < n; a++)
			for (size_t i = from; i < to; i++)
				if ((i == 0 ? store_exec(st, sql[i], "si", addrs[a], now)
					    : store_exec(st, sql[i], "s", addrs[a])) < 0)
					goto out;
	needles = xcalloc((size_t)n + 1, sizeof(*needles));
	for (int a = 0; a < n; a++)
		needles[a] = addrs[a];
	needles[n] = name;
	if (erase_mentions(st, needles, (size_t)n + 1) < 0)
		goto out;
	if (name && *name && store_exec(st, "UPDATE inbound SET subject = NULL WHERE "
					"instr(lower(subject), lower(?1)) > 0", "s", name) < 0)
		goto out;
	/* the rest hangs on the participant: partnerships, reports they filed and their
	 * notes, notes about them, the waiting pool, check-in answers, former addresses */
	if (store_exec(st, "DELETE FROM participants WHERE email = ?", "s", email) < 0)
		goto out;
	st->erased = true;
	rc = 0;
out:
	for (int a = 0; a < n; a++)
		free(addrs[a]);
	free(addrs);
	free(needles);
	free(name);
	return rc;
}

int
store_outbox_erase_on_send(struct store *st, const char *email)
{
	return store_exec(st, "UPDATE outbox SET erase_on_send = 1 WHERE status = 'queued' AND "
			  "instr(char(10) || lower(rcpts) || char(10), char(10) || lower(?1) || "
			  "char(10)) > 0", "s", email) < 0 ? -1 : 0;
}
