/* store.h: all state in one SQLite database (WAL, synchronous=FULL, foreign keys,
 * versioned migrations, prepared statements only). Every string a store_* function
 * returns through an out-pointer is the caller's to free(); a struct profile filled
 * by the store is the caller's to profile_free(). Functions return 0 or -1 (logged)
 * unless said otherwise. */
#ifndef ILN_STORE_H
#define ILN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct profile;

struct store *store_open(const char *path, char *err, size_t errsz);
void store_close(struct store *st);
int store_schema_version(struct store *st);

/* One transaction per inbound message (or batch): BEGIN IMMEDIATE .. COMMIT. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Small persistent key/value state (e.g. "imap.uidvalidity", "imap.last_uid"). *val NULL if unset. */
int store_state_get(struct store *st, const char *key, char **val);
int store_state_set(struct store *st, const char *key, const char *val);

/* Inbound log. store_inbound_add: 1 = recorded as *id, 0 = dedup_key already seen. */
int store_inbound_add(struct store *st, const char *dedup_key, const char *message_id,
		      const char *sender, const char *subject, int64_t now, int64_t *id);
int store_inbound_finish(struct store *st, int64_t id, const char *command, const char *outcome,
			 const char *detail);

/* Participants. store_participant_get: 1 found, 0 not found. */
struct participant {
	int64_t id;
	char *email;
	char *status;          /* "active" | "withdrawn" */
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
int store_participant_set_status(struct store *st, const char *email, const char *status, int64_t now);
int store_participant_set_email(struct store *st, const char *old_email, const char *new_email,
				int64_t now);
/* store_personal_erase: the participant, subscriptions, tokens, counters, sent mail and
 * the sender/subject of logged inbound mail of that address. */
int store_personal_erase(struct store *st, const char *email);

/* Confirmation tokens: single use, bound to an address, expiring. */
struct token {
	char *token, *email, *action, *payload;
	int64_t created_at, expires_at, used_at;   /* used_at 0 = unused */
};
void token_clear(struct token *t);
int store_token_add(struct store *st, const char *token, const char *email, const char *action,
		    const char *payload, int64_t now, int64_t expires_at);
/* store_token_get: 1 found, 0 not found. */
int store_token_get(struct store *st, const char *token, struct token *t);
int store_token_use(struct store *st, const char *token, int64_t now);
/* store_token_recent: number of tokens sent to email for action since 'since'. */
int store_token_count_since(struct store *st, const char *email, const char *action, int64_t since);

/* Digest subscribers. store_subscriber_add: 1 added, 0 already there. */
int store_subscriber_add(struct store *st, const char *email, int64_t now);
/* store_subscriber_remove: 1 removed, 0 was not subscribed. */
int store_subscriber_remove(struct store *st, const char *email);
int store_subscriber_has(struct store *st, const char *email);

/* Per-sender daily reply counter: returns the count after adding one for that day. */
int store_reply_count_bump(struct store *st, const char *sender, const char *day);

/* Outbox: mail is queued inside the inbound transaction and sent after the commit. */
struct outbox_item {
	int64_t id;
	char *key, *message_id, *envelope_from, *rcpts;  /* rcpts: newline-separated */
	char *raw;
	size_t len;
	int attempts;
	int64_t created_at;
};
void outbox_item_clear(struct outbox_item *o);
/* store_outbox_add: 1 queued, 0 key already present (never sent twice). */
int store_outbox_add(struct store *st, const char *key, const char *message_id,
		     const char *envelope_from, const char *rcpts, const char *raw, size_t len,
		     int64_t now);
/* store_outbox_due: up to max items due at now, oldest first; *items is the caller's
 * (outbox_item_clear each, then free the array). Returns the count or -1. */
int store_outbox_due(struct store *st, int64_t now, int max, struct outbox_item **items);
int store_outbox_sent(struct store *st, int64_t id, int64_t now);
int store_outbox_retry(struct store *st, int64_t id, int64_t next_at, const char *error);
int store_outbox_failed(struct store *st, int64_t id, const char *error);
/* store_outbox_is_ours: 1 when message_id is one ilnbot sent (loop check). */
int store_outbox_is_ours(struct store *st, const char *message_id);

#endif
