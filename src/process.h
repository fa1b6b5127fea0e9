/* process.h: the inbound transaction. process_pass() takes every new message of an
 * inbound transport in committed batches (with the poison-message count), and
 * process_message() one message: gate and parse, record, classify, act, queue the
 * replies, all in one transaction. The outbox is sent afterwards (outbox.h). */
#ifndef ILN_PROCESS_H
#define ILN_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct program;
struct store;
struct inbound;
struct sender;

/* process_message: 0 when the message's transaction committed (it may now be marked done
 * on the server; *rejected says whether it belongs in the rejects folder), -1 when the
 * store failed and everything was rolled back (leave the message where it is). */
int process_message(struct program *p, const char *raw, size_t len, bool too_big, bool *rejected);
/* process_message_tx: the same inside the caller's transaction (a batch of messages
 * committed together); -1 means the caller must roll the whole batch back.
 * transport_id: the transport's id for the message (recorded for an erasure), or NULL. */
int process_message_tx(struct program *p, const char *transport_id, const char *raw, size_t len,
		       bool too_big, bool *rejected);
/* process_relay_wanted: whether the relay must be asked whether it offers SMTPUTF8
 * before raw is processed: raw's From has a UTF-8 local part (msg_from_utf8_local: what
 * msg_parse will find), the outbound transport is SMTP, and the relay's last
 * answer is over an hour old (a minute, when it could not be asked) or was never had.
 * process_relay_ask: ask it (a connection of its own) and keep the answer, or why it
 * could not be had, in p; never inside a transaction, since it waits on the network.
 * process_message() and process_pass() do both; a caller of process_message_tx() does. */
bool process_relay_wanted(const struct program *p, const char *raw, size_t len);
void process_relay_ask(struct program *p);
/* process_erasures: after a commit, the processed messages of the erased are removed by
 * the transport (in NULL: there is no mailbox, as for `ilnbot deliver`; the queue is just
 * dropped), and a truncating WAL checkpoint runs when something was erased. 0 or -1
 * (logged; the queue is kept for a retry). */
int process_erasures(struct program *p, struct inbound *in);

/* A message whose processing died this many times (the process crashed or hung with its
 * transaction open) is no longer parsed: it is quarantined. */
#define QUARANTINE_TRIES 3

/* process_sha256_hex: the SHA-256 of raw as 64 lowercase hex digits and a NUL. */
#define PROCESS_SHA256_HEX 65
void process_sha256_hex(const char *raw, size_t len, char hex[PROCESS_SHA256_HEX]);

/* process_quarantine_tx: inside the caller's transaction, set a message aside unread
 * (*rejected = true, logged as rejected) after `tries` attempts that died, and queue one
 * alert to the coordinators keyed "quarantine:SHA", so it is never sent twice. The alert
 * names only the transport's id for it, its size, sha256 and the time; -1 = store error. */
int process_quarantine_tx(struct program *p, const char *transport_id, size_t len,
			  const char *sha256_hex, int tries, bool *rejected);

/* Inbound messages committed in one transaction, at most. */
#define PROCESS_BATCH 256

/* process_pass: every new message of in, in batches of up to PROCESS_BATCH committed
 * together, each then marked done on the server and handed to the sender (sender_kick;
 * snd may be NULL). A batch holding a message that a run which died was processing is
 * taken one message per transaction, and a message at QUARANTINE_TRIES is set aside.
 * Ends early when *stop becomes true. 0, or -1 on a transport or store error. */
int process_pass(struct program *p, struct inbound *in, struct sender *snd,
		 volatile int *stop);

#endif
