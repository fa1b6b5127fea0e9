/* store.h: all state in one SQLite database (WAL, synchronous=FULL, foreign keys,
 * versioned migrations, prepared statements only). Every string a store_* function
 * returns through an out-pointer is the caller's to free(); a struct profile filled
 * by the store is the caller's to profile_free(). Functions return 0 or -1 (logged)
 * unless said otherwise.
 * The store is one engine file and one file per group of tables, named in the banners
 * below; the schema itself is the migrations in store.c. */
#ifndef ILN_STORE_H
#define ILN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"
struct buf;

struct store;
struct profile;

/* ---- store.c: opening, the schema, transactions ---- */

struct store *store_open(const char *path, char *err, size_t errsz);
void store_close(struct store *st);
int store_schema_version(struct store *st);

/* store_hash: a keyed hash (HMAC-SHA256 with the store's own random key, kept in the file
 * <store>.key beside the database) of text as "h:" and 64 hex digits: what bookkeeping
 * keeps of an erased address or Message-ID. SQL sees it as ilnbot_hash(text). */
#define STORE_HASH_LEN 67
void store_hash(const struct store *st, const char *text, char out[STORE_HASH_LEN]);
/* store_checkpoint: after an erasure committed (and after the last mail of one left), a
 * truncating WAL checkpoint, so the WAL file holds no copy of what was erased; nothing to
 * do otherwise. Call it outside a transaction. 0 or -1 (logged). */
int store_checkpoint(struct store *st);
/* store_sent_keep: sent mail keeps its body this many days (the sent_keep_days setting;
 * 0, the default, purges it as soon as it is delivered). */
void store_sent_keep(struct store *st, int days);

/* One transaction per inbound message (or batch): BEGIN IMMEDIATE .. COMMIT. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* store_durable: full = every commit reaches the disk before it returns (the default,
 * and what inbound work uses); !full = commits survive a crash of the process but may be
 * lost with the machine's power (PRAGMA synchronous=NORMAL, in WAL mode). */
int store_durable(struct store *st, bool full);

/* ---- store_inbound.c: state, the inbound log, tries at inbound messages ---- */

/* Small persistent key/value state (e.g. "imap.uidvalidity", "imap.last_uid"). *val NULL if unset. */
int store_state_get(struct store *st, const char *key, char **val);
int store_state_set(struct store *st, const char *key, const char *val);

/* Inbound log. store_inbound_add: 1 = recorded as *id, 0 = dedup_key already seen. */
int store_inbound_add(struct store *st, const char *dedup_key, const char *message_id,
		      const char *sender, const char *subject, int64_t now, int64_t *id);
int store_inbound_finish(struct store *st, int64_t id, const char *command, enum outcome outcome,
			 const char *detail);
/* store_inbound_set_transport: where the transport keeps message id (its item id), so
 * an erasure can have it removed from the processed mailbox. */
int store_inbound_set_transport(struct store *st, int64_t id, const char *transport_id);

/* Processed messages an erasure asked the inbound transport to remove (after its
 * commit): by the transport's id and by Message-ID. store_erase_queue_list: up to 1000,
 * oldest first, into *out (erase_items_free); the count or -1. store_erase_queue_done:
 * the removal of id was done (or cannot be); it is forgotten. */
struct erase_item {
	int64_t id;
	char *transport_id;     /* NULL when unknown */
	char *message_id;       /* NULL when the message had none */
};
int store_erase_queue_list(struct store *st, struct erase_item **out);
int store_erase_queue_done(struct store *st, int64_t id);
void erase_items_free(struct erase_item *v, size_t n);

/* Tries at inbound messages, keyed by a SHA-256 of their bytes, so a message whose
 * processing kills the process (a parser crash) is found out by the restarts.
 * store_attempts_get: each key's tries so far (0 = none) into tries[i].
 * store_attempts_begin: in a transaction of its own (none may be open), one more try
 *   for every key (a key given twice counts once); tries[i] = the count BEFORE it.
 * store_attempts_clear: forget the keys, inside the transaction that processed them.
 * store_attempts_undo: in a transaction of its own, take back the try begin added:
 *   the processing failed cleanly (a store error), which says nothing about the message. */
int store_attempts_get(struct store *st, const char *const *keys, size_t n, int *tries);
int store_attempts_begin(struct store *st, const char *const *keys, size_t n, int64_t now,
			 int *tries);
int store_attempts_clear(struct store *st, const char *const *keys, size_t n);
int store_attempts_undo(struct store *st, const char *const *keys, size_t n);

/* ---- store_participant.c: participants, subscribers, reply counters, erasure ---- */

/* Participants. store_participant_get: 1 found, 0 not found. */
struct participant {
	int64_t id;
	char *email;
	enum participant_status status;
	int64_t agreed_at;
	int64_t created_at;
	int64_t updated_at;
};
void participant_clear(struct participant *p);
int store_participant_get(struct store *st, const char *email, struct participant *p,
			  struct profile *prof);
int store_participant_add(struct store *st, const char *email, const struct profile *prof,
			  int64_t now, int64_t *id);
int store_participant_update(struct store *st, const char *email, const struct profile *prof,
			     int64_t now);
int store_participant_set_status(struct store *st, const char *email,
				 enum participant_status status, int64_t now);
/* store_participant_set_email: the record moves; the old address is remembered (for an
 * erasure to find what is stored under it). */
int store_participant_set_email(struct store *st, const char *old_email, const char *new_email,
				int64_t now);
/* store_personal_erase: everything held about the person at email and at every address
 * they had before a CHANGE: the participant and all that hangs on it (partnerships,
 * reports they filed and notes, the waiting pool, check-in answers, former addresses),
 * subscriptions, tokens and counters (rate limits kept only as keyed hashes), the log of
 * their inbound mail (its Message-IDs kept as keyed hashes for duplicate detection; the
 * messages queued for removal from the processed mailbox, store_erase_queue_list), the
 * body of sent mail to them and of anyone's sent mail naming them (queued mail naming
 * them is purged when it leaves), their name and address in others' inbound log lines.
 * Mail queued to them is dropped. now: for the queue. */
int store_personal_erase(struct store *st, const char *email, int64_t now);
/* store_outbox_erase_on_send: mail queued to email (the erasure's own confirmation)
 * keeps only a keyed hash of its recipient, and no body, once it has left. */
int store_outbox_erase_on_send(struct store *st, const char *email);


/* One row of the matching pool: an active participant with no active partnership
 * (proposals do not count: each MATCH replaces them). Strings are the caller's (pool_row_clear). */
struct pool_row {
	int64_t id;
	char *email;
	struct profile *prof;   /* allocated; profile_free + free via pool_row_clear */
	int64_t *previous;      /* ids of everyone ever partnered (any status) */
	int nprevious;
	int priority;           /* the waiting pool's: matched first when higher */
};
void pool_row_clear(struct pool_row *r);

/* All participants (for export and announcements), same shape; previous not filled. */
int store_participants_list(struct store *st, struct pool_row **rows);

/* Digest subscribers. store_subscriber_add: 1 added, 0 already there. */
int store_subscriber_add(struct store *st, const char *email, int64_t now);
/* store_subscriber_remove: 1 removed, 0 was not subscribed. */
int store_subscriber_remove(struct store *st, const char *email);
int store_subscriber_has(struct store *st, const char *email);

/* Subscribers' addresses; *emails and each string the caller's. Returns the count or -1. */
int store_subscribers_list(struct store *st, char ***emails);

/* Per-sender daily reply counter: returns the count after adding one for that day. */
int store_reply_count_bump(struct store *st, const char *sender, const char *day);

/* ---- store_token.c: confirmation tokens ---- */

/* Confirmation tokens: single use, bound to an address, expiring. */
struct token {
	char *token, *email, *action, *payload;
	int64_t created_at, expires_at, used_at;   /* used_at 0 = unused */
	int64_t superseded_at;                     /* 0 = the newest of its kind */
};
void token_clear(struct token *t);
int store_token_add(struct store *st, const char *token, const char *email, const char *action,
		    const char *payload, int64_t now, int64_t expires_at);
/* store_token_get: 1 found, 0 not found. */
int store_token_get(struct store *st, const char *token, struct token *t);
int store_token_use(struct store *st, const char *token, int64_t now);
/* store_token_supersede: every unused token of email for action, but keep, is
 * superseded: a newer request of the same kind replaced it. */
int store_token_supersede(struct store *st, const char *email, const char *action,
			  const char *keep, int64_t now);
/* store_token_count_since: number of tokens sent to email for action since 'since'. */
int store_token_count_since(struct store *st, const char *email, const char *action, int64_t since);

/* ---- store_outbox.c: the outbox ---- */

/* Outbox: mail is queued inside the inbound transaction and sent after the commit. */
struct outbox_item {
	int64_t id;
	char *key, *kind, *message_id, *envelope_from, *rcpts;  /* rcpts: newline-separated */
	char *raw;
	size_t len;
	int attempts;
	int64_t created_at;
	size_t nrcpts;          /* set by outbox.c when it splits rcpts in place */
};
void outbox_item_clear(struct outbox_item *o);
/* store_outbox_add: 1 queued, 0 key already present (never sent twice). kind: the
 * template it was made from (for the logs, the queue and bounces). */
int store_outbox_add(struct store *st, const char *key, const char *kind, const char *message_id,
		     const char *envelope_from, const char *rcpts, const char *raw, size_t len,
		     int64_t now);
/* One mail to many: the part every copy shares is stored once (*id), and each copy is
 * an outbox row holding only its own first lines (prefix) and the shared part's id;
 * store_outbox_due hands out the whole message. 1 queued, 0 key already present. */
int store_outbox_shared_add(struct store *st, const char *raw, size_t len, int64_t now,
			    int64_t *id);
int store_outbox_add_shared(struct store *st, const char *key, const char *kind,
			    const char *message_id, const char *envelope_from, const char *rcpts,
			    const char *prefix, size_t len, int64_t shared_id, int64_t now);
/* store_outbox_due: up to max items due at now, oldest first; *items is the caller's
 * (outbox_item_clear each, then free the array). Returns the count or -1. */
int store_outbox_due(struct store *st, int64_t now, int max, struct outbox_item **items);
/* store_outbox_sent: id left at now: unless sent_keep_days (store_sent_keep) keeps it,
 * its body is purged at once, and the shared body of a fan-out once no copy is queued. */
int store_outbox_sent(struct store *st, int64_t id, int64_t now);
/* store_outbox_purge: the bodies of sent mail kept past sent_keep_days purged (at most
 * hourly; every call when force). 0 or -1. */
int store_outbox_purge(struct store *st, int64_t now, bool force);
int store_outbox_retry(struct store *st, int64_t id, int64_t next_at, const char *error);
int store_outbox_failed(struct store *st, int64_t id, const char *error);
/* store_outbox_is_ours: 1 when message_id is one ilnbot sent (loop check). */
int store_outbox_is_ours(struct store *st, const char *message_id);

/* store_outbox_failed_count: outgoing mail that failed for good (bounces at the relay). */
int store_outbox_failed_count(struct store *st);

/* ---- store_admin.c: what the operator's commands read and change ---- */

/* The bytes of a message set aside (rejected or quarantined), kept with its inbound row
 * for `ilnbot reprocess` and erased with it. store_rejected_keep: by the inbound row's
 * id; store_rejected_keep_key: by its dedup key (a quarantined message's "sha256:..."). */
int store_rejected_keep(struct store *st, int64_t inbound_id, const char *raw, size_t len);
int store_rejected_keep_key(struct store *st, const char *dedup_key, const char *raw,
			    size_t len);
/* store_rejected_take: inside the caller's transaction, the kept bytes of rejected inbound
 * message id (*raw the caller's, NUL-terminated), its inbound row deleted and its tries
 * forgotten so that processing it again starts afresh. 1 taken, 0 no such kept message. */
int store_rejected_take(struct store *st, int64_t id, char **raw, size_t *len);

/* Outbox changes; each returns how many mails it changed, or -1. Sent mail is never
 * touched. flush: deferred mail due now. retry: queued again now with a new retry
 * window (id 0: every failed mail the operator did not drop). drop: failed for good,
 * marked dropped, left out of the queue and of retry --failed. */
int store_queue_flush(struct store *st, int64_t now);
int store_queue_retry(struct store *st, int64_t id, int64_t now);
int store_queue_drop(struct store *st, int64_t id, int64_t now);

/* A table of text cells for the admin commands to print: cell (r, c) is
 * cells[r * ncols + c], "" for NULL. admin_table_free frees the cells. */
struct admin_table {
	int nrows, ncols;
	char **cells;
};
enum admin_query {
	ADMIN_Q_QUEUE,          /* arg 0 all unsent, 1 failed, 2 deferred: id, kind, rcpts,
				 * attempts, next_attempt_at, status, last_error */
	ADMIN_Q_REJECTED,       /* id, received_at, sender, why, kept (0|1) */
	ADMIN_Q_ROUNDS,         /* name, status, signup_closes, starts, ends */
	ADMIN_Q_PEOPLE,         /* state, count */
	ADMIN_Q_OUTBOX,         /* state, count */
	ADMIN_Q_LAST,           /* last inbound at, last sent at, last pass at */
};
int store_admin_table(struct store *st, enum admin_query q, int64_t arg, struct admin_table *t);
void admin_table_free(struct admin_table *t);

/* ---- store_round.c: rounds, the matching pool, partnerships, unmatched ---- */

/* Rounds. store_round_current: the newest round not closed, created at or before now:
 * 1 found (fills *r; strings the caller's via round_clear), 0 none. */
struct round {
	int64_t id;
	char *name;
	enum round_status status;
	int64_t signup_closes, starts, ends, created_at;
	int months;
};
void round_clear(struct round *r);
int store_round_add(struct store *st, const char *name, int64_t signup_closes, int64_t starts,
		    int64_t ends, int months, int64_t now, int64_t *id);
int store_round_current(struct store *st, int64_t now, struct round *r);
/* store_round_exists: 1 when a round has that name. */
int store_round_exists(struct store *st, const char *name);
int store_round_set_status(struct store *st, int64_t id, enum round_status status);

/* store_pool_list: every pool row, in participant id order; *rows the caller's.
 * Returns the count or -1. */
int store_pool_list(struct store *st, struct pool_row **rows);

/* Partnerships. Proposals of a round are replaced as a whole by each MATCH. */
int store_proposals_clear(struct store *st, int64_t round_id);
int store_partnership_add(struct store *st, int64_t round_id, int64_t a, int64_t b,
			  int64_t weight, const char *why, int64_t now, int64_t *id);
int store_unmatched_add(struct store *st, int64_t round_id, int64_t participant, const char *why);
struct partnership {
	int64_t id, round_id, a, b, weight;
	char *a_email, *b_email, *why;
	enum partnership_status status;
	enum partner_choice a_choice, b_choice;   /* answers to the end-of-round reminder */
	int64_t introduced_at, ended_at;          /* 0 = not yet */
	enum partnership_end end;
	enum participant_status a_status, b_status;   /* the partners' own */
};
void partnership_clear(struct partnership *p);
/* store_partnerships_list: partnerships of the round with the given status, by id. */
int store_partnerships_list(struct store *st, int64_t round_id, enum partnership_status status,
			    struct partnership **out);
int store_partnership_set_status(struct store *st, int64_t id, enum partnership_status status,
				 int64_t now);
/* store_unmatched_list: the unmatched of the round who are still active, by id: a = b =
 * the participant id, a_email, why (b_email "", status PARTNERSHIP_PROPOSED). */
int store_unmatched_list(struct store *st, int64_t round_id, struct partnership **out);
/* store_partnerships_of: every partnership participant was introduced in (any round,
 * any status but proposed), by id; the count or -1. */
int store_partnerships_of(struct store *st, int64_t participant, struct partnership **out);
/* store_partner_of: the active partnership of a participant: 1 found (fills *p), 0 none. */
int store_partner_of(struct store *st, int64_t participant, struct partnership *p);
/* store_partnership_set_choice: participant's answer (CONTINUE/CONCLUDE) on partnership id. */
int store_partnership_set_choice(struct store *st, int64_t id, int64_t participant,
				 enum partner_choice choice);
/* store_partnership_dissolve: the partnership ended before the round did. */
int store_partnership_dissolve(struct store *st, int64_t id, int64_t now);
/* store_partnership_end: the partnership ended with the round, as end. */
int store_partnership_end(struct store *st, int64_t id, enum partnership_end end, int64_t now);
/* store_round_get: the round of that id: 1 (fills *r), 0 none. */
int store_round_get(struct store *st, int64_t id, struct round *r);
/* ---- store_adjust.c: numbered proposals and their adjustments ---- */
/* The round's proposal number (0 before any MATCH), or -1. */
int store_round_proposal(struct store *st, int64_t round_id);
/* The number after one more proposal, or -1. */
int store_round_proposal_next(struct store *st, int64_t round_id);
int store_round_approved(struct store *st, int64_t round_id, const char *by, int64_t now);
/* Who approved the round's proposal into *by ("" not yet; the caller frees). 0 or -1. */
int store_round_approved_by(struct store *st, int64_t round_id, char **by);
/* One adjustment (kind: enum adjust_kind of match_adjust.h) made by `by` on proposal. */
int store_adjust_add(struct store *st, int64_t round_id, int proposal, int kind, int64_t a,
		     int64_t b, const char *by, int64_t now);
struct adjust_row {
	int proposal, kind;
	int64_t a, b, at;
	char *by, *a_email, *b_email;   /* emails NULL when the participant is gone */
};
/* The round's adjustments in the order made: the count or -1; free with
 * store_adjust_rows_free. */
int store_adjust_list(struct store *st, int64_t round_id, struct adjust_row **out);
void store_adjust_rows_free(struct adjust_row *v, int n);
/* Rows for the spreadsheets of EXPORT, one call of fn per row with its columns as text
 * (borrowed for the call; dates as YYYY-MM-DD, "" when none). arg: PAIRS' round name
 * ("" the latest round). The count or -1. Columns, in order:
 *   PARTICIPANTS email name country(code) sector workplace years interests
 *     languages(codes) about partner_sector partner_stage notes digest state round
 *     partner_name partner_email applied confirmed introduced ended mail_language(code)
 *   PAIRS round a_name a_email a_country b_name b_email b_country status end a_choice
 *     b_choice proposed introduced ended weight
 *   ROUNDS name status signup_closes starts ends months proposals approved_by
 *     approved_at partnerships active dissolved ended unmatched adjustments */
enum store_export { STORE_EXPORT_PARTICIPANTS, STORE_EXPORT_PAIRS, STORE_EXPORT_ROUNDS };
#define STORE_EXPORT_COLS 24
int store_export_each(struct store *st, enum store_export kind, const char *arg,
		      void (*fn)(void *ctx, int ncols, const char *const *cols), void *ctx);
/* STATS: the partnerships (active, dissolved, ended continuing or concluded), the
 * unmatched, waiting, reports, digests sent and adjustments of one round (round_id > 0)
 * or of all rounds (0); and the applicants: pending confirmation, confirmed, withdrawn. */
struct round_counts {
	int active, dissolved, continuing, concluded, unmatched, waiting, reports, digests,
	    adjustments;
};
int store_round_counts(struct store *st, int64_t round_id, struct round_counts *c);
struct applicant_counts {
	int pending, confirmed, withdrawn;
};
int store_applicant_counts(struct store *st, int64_t now, struct applicant_counts *c);
/* store_rounds_running: every round in status running, by id (round_clear each, free). */
int store_rounds_running(struct store *st, struct round **out);
/* store_round_next_open: the newest open round created at or before now other than
 * except_id: 1 (fills *r), 0 none. */
int store_round_next_open(struct store *st, int64_t except_id, int64_t now, struct round *r);

/* The schedule (store_schedule.c): the last due day run of each scheduled kind of a
 * round, and who scheduled mail goes to. */
/* store_schedule_last: last[i] for the kind named names[i] (-1 when never run). */
int store_schedule_last(struct store *st, int64_t round_id, const char *const *names, int n,
			int64_t *last);
int store_schedule_set(struct store *st, int64_t round_id, const char *kind, int64_t day,
		       int64_t now);
/* store_digest_recipients: every address a digest of the round goes to, once each:
 * confirmed subscribers and the round's partnered participants who did not say
 * "Digest: no", never a withdrawn participant; fn(arg, email, mail_language, languages)
 * for each, in order, streamed (nothing is held), with the participant's Mail language
 * and Languages (both NULL for a subscriber who is not a participant). Stops when fn
 * returns -1 (and returns -1). 0 or -1. */
int store_digest_recipients(struct store *st, int64_t round_id,
			    int (*fn)(void *arg, const char *email, const char *mail_language,
				      const char *languages), void *arg);
/* store_checkin_answer: participant answered the round's check-in of due_day: 1 recorded,
 * 0 already was. */
int store_checkin_answer(struct store *st, int64_t participant, int64_t round_id,
			 int64_t due_day, int64_t now);
int store_checkin_answers_count(struct store *st, int64_t round_id);

/* Topics for the digests (store_topic.c). */
struct topic {
	int64_t id;
	char *title, *body, *author;
	int64_t created_at, sent_at;
	enum topic_status status;
};
void topic_clear(struct topic *t);
int store_topic_add(struct store *st, const char *title, const char *body, const char *author,
		    int64_t now, int64_t *id);
/* store_topics_list: topics in status, oldest first (newest first when newest), at most
 * max; *out the caller's (topic_clear each, free). Returns the count or -1. */
int store_topics_list(struct store *st, enum topic_status status, bool newest, int max,
		      struct topic **out);
/* store_topic_cancel: 1 the queued topic id is cancelled, 0 there is no such queued one. */
int store_topic_cancel(struct store *st, int64_t id);
int store_topic_sent(struct store *st, int64_t id, int64_t round_id, int64_t now);

/* ---- store_bounce.c: bounces traced to their mail, failures per address ---- */

/* A mail of ours as a bounce names it. */
struct sent_mail {
	int64_t id;
	char *kind, *key, *rcpts;   /* rcpts newline-separated; the caller's (sent_mail_clear) */
};
void sent_mail_clear(struct sent_mail *m);
/* store_sent_by_token: the mail whose VERP envelope sender is envelope_from and whose
 * Message-ID begins with "<" token (reply.c makes them so, to use the Message-ID's
 * index): 1 found, 0 none. store_sent_by_message_id: by its Message-ID. */
int store_sent_by_token(struct store *st, const char *token, const char *envelope_from,
			struct sent_mail *m);
int store_sent_by_message_id(struct store *st, const char *message_id, struct sent_mail *m);
int store_sent_by_id(struct store *st, int64_t id, struct sent_mail *m);
/* store_bounce_add: one failure of mail outbox_id (0: untraced) to email: 1 recorded,
 * 0 the same failure of the same mail to the same address was already recorded. */
int store_bounce_add(struct store *st, int64_t outbox_id, const char *email, const char *kind,
		     enum bounce_record severity, const char *status, const char *source,
		     int64_t now);
/* store_bounce_count: counts one more failure of severity (permanent or temporary) for
 * email, and for a digest one more digest failure: *digest_failures the count after. */
int store_bounce_count(struct store *st, const char *email, enum bounce_record severity,
		       const char *kind, bool digest, int64_t now, int *digest_failures);
int store_bounce_stop_digests(struct store *st, const char *email, int64_t now);
/* store_bounce_smtp: the relay refused rcpt of outbox mail outbox_id for good at sending
 * time: recorded as a permanent failure and counted (digests stopped at the second), in
 * the caller's transaction; what needs the program (telling the coordinators) is left
 * for program_bounce_pending, the row's told = 0. 1 recorded, 0 already was. */
int store_bounce_smtp(struct store *st, int64_t outbox_id, const char *rcpt, const char *status,
		      int64_t now);
/* Refusals at sending time not yet acted on: up to max (outbox id, address, status). */
struct bounce_untold {
	int64_t id, outbox_id;
	char *email, *status;
};
int store_bounce_untold(struct store *st, int max, struct bounce_untold **out);
void bounce_untold_clear(struct bounce_untold *u);
int store_bounce_set_told(struct store *st, int64_t id);
/* store_bounce_clear: the address wrote to us: its failure counts are forgotten and its
 * digests flow again. 1 there was something to clear, 0 nothing. */
int store_bounce_clear(struct store *st, const char *email);
/* store_bounce_address: 1 the address has failures on record (fills the counts), 0 none. */
int store_bounce_address(struct store *st, const char *email, int *permanent, int *temporary,
			 bool *digests_stopped);
/* store_bounce_stats: what STATS tells of bounces: their counts by kind of mail and
 * severity, and the addresses (at most 200) whose digests are stopped. 0 with *out
 * filled (bounce_stats_clear frees it), or -1 with *out empty. */
struct bounce_count {
	char *kind;             /* the kind of mail that bounced; NULL or "" not known */
	char *severity;         /* a bounce_record_name() word */
	int count;
};
struct bounce_stats {
	struct bounce_count *counts;
	int ncounts;
	char **stopped;
	int nstopped;
};
int store_bounce_stats(struct store *st, struct bounce_stats *out);
void bounce_stats_clear(struct bounce_stats *s);

/* The kind and key of a mail ilnbot sent, by its Message-ID: 1 found (strings the
 * caller's), 0 not one of ours. */
int store_outbox_lookup(struct store *st, const char *message_id, char **kind, char **key);

/* Failing partnerships (store_report.c): problem reports, notes, the waiting pool. */
struct report {
	int64_t id, partnership_id, round_id, reporter, partner;   /* 0 = none (erased) */
	char *reporter_email, *partner_email;                       /* NULL when erased */
	enum report_kind kind;
	char *text;
	enum report_status status;
	int64_t created_at, due_at, closed_at;
	char *closed_by;
};
void report_clear(struct report *r);
int store_report_add(struct store *st, int64_t partnership_id, int64_t round_id,
		     int64_t reporter, int64_t partner, enum report_kind kind, const char *text,
		     int64_t now, int64_t due_at, int64_t *id);
/* store_report_get: 1 found (fills *r), 0 none. */
int store_report_get(struct store *st, int64_t id, struct report *r);
/* Lists of reports, by id; *out the caller's (report_clear each, free); the count or -1.
 * store_reports_open: every open one. store_reports_of: those participant made.
 * store_reports_due: open no-response reports whose nudge ran out by now.
 * store_reports_awaiting: open no-response reports waiting for partner to answer. */
int store_reports_open(struct store *st, struct report **out);
int store_reports_of(struct store *st, int64_t participant, bool open_only, struct report **out);
int store_reports_due(struct store *st, int64_t now, struct report **out);
int store_reports_awaiting(struct store *st, int64_t partner, struct report **out);
/* store_report_close: an open report becomes status: 1 done, 0 it was not open. */
int store_report_close(struct store *st, int64_t id, enum report_status status, const char *by,
		       int64_t now);
int store_report_counts(struct store *st, int counts[REPORT_NSTATUS]);

struct note {
	char *author, *text;
	int64_t created_at, report_id;
};
void note_clear(struct note *n);
/* store_note_add: a coordinator's note on a participant and/or a report (0 = none). */
int store_note_add(struct store *st, int64_t participant, int64_t report_id, const char *author,
		   const char *text, int64_t now);
/* store_notes_of: the notes on participant and on their reports; the count or -1. */
int store_notes_of(struct store *st, int64_t participant, struct note **out);

/* The waiting pool of a running round: who waits for a new partner, since when, why. */
struct waiting {
	int64_t round_id, since;
	enum waiting_reason reason;
	bool silent, told_next;
};
/* store_waiting_add: participant joins (or stays in, with the higher priority) the pool;
 * WAIT_SILENT keeps them out of the matching until they write (store_waiting_unsilence). */
int store_waiting_add(struct store *st, int64_t participant, int64_t round_id,
		      enum waiting_reason reason, int priority, int64_t now);
int store_waiting_remove(struct store *st, int64_t participant);
int store_waiting_remove_email(struct store *st, const char *email);
/* store_waiting_unsilence: 1 when participant was waiting silent and now counts again. */
int store_waiting_unsilence(struct store *st, int64_t participant);
/* store_waiting_get: 1 waiting (fills *w), 0 not. */
int store_waiting_get(struct store *st, int64_t participant, struct waiting *w);
/* store_waiting_pool: the round's pool for re-matching (active, not silent), with
 * previous partners and priority, by id; its cost follows the pool, not the round. */
int store_waiting_pool(struct store *st, int64_t round_id, struct pool_row **rows);
/* store_waiting_untold: those not yet told they will be matched next round. */
int store_waiting_untold(struct store *st, int64_t round_id, struct pool_row **rows);
int store_waiting_told(struct store *st, int64_t participant);
int store_waiting_clear_round(struct store *st, int64_t round_id);
int store_waiting_count(struct store *st, int64_t round_id);
/* store_participant_seen: email wrote to us at now; *id its participant (0: none). 1/0. */
int store_participant_seen(struct store *st, const char *email, int64_t now, int64_t *id);

#endif
