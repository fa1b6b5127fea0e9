/* msg_bounce.h: recognising a bounce (a delivery failure or delay report, or an abuse
 * complaint) in an inbound message's raw bytes, before anything else reads it. Pure: no
 * I/O, no store; everything lands in the caller's struct bounce (fixed buffers, nothing
 * to free). Shapes, in the order they are tried: a VERP address of ours among the
 * message's own recipients (Delivered-To, X-Original-To, To) with its token; an RFC 3464
 * multipart/report delivery-status (per recipient Final-Recipient, Original-Recipient,
 * Action, Status, Diagnostic-Code); an RFC 5965 feedback report (ARF); our Message-ID
 * in the returned headers; then the common non-standard shapes (qmail, Exchange,
 * Postfix's and Gmail's text notices, X-Failed-Recipients). */
#ifndef ILN_MSG_BOUNCE_H
#define ILN_MSG_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>

#define BOUNCE_SCAN_MAX   (512u * 1024)  /* bytes of a message read at most */
#define BOUNCE_LINE_MAX   2048           /* bytes of one unfolded field kept */
#define BOUNCE_MAX_RCPTS  16             /* recipients of one report kept */
#define BOUNCE_ADDR_MAX   256
#define BOUNCE_TOKEN_MAX  64

enum bounce_kind {
	BOUNCE_NONE,            /* not a bounce */
	BOUNCE_DSN,             /* a delivery status report, standard or not */
	BOUNCE_ARF,             /* an RFC 5965 feedback report */
};

enum bounce_severity {
	BOUNCE_UNKNOWN,         /* a failure report that says nothing of its kind */
	BOUNCE_PERMANENT,       /* 5.x.x, or Action: failed */
	BOUNCE_TEMPORARY,       /* 4.x.x, or Action: delayed */
	BOUNCE_SUCCESS,         /* Action: delivered/relayed/expanded, 2.x.x: no failure */
};

struct bounce_rcpt {
	char addr[BOUNCE_ADDR_MAX];        /* Final-Recipient (or the text's), lower-cased */
	char original[BOUNCE_ADDR_MAX];    /* Original-Recipient, "" when absent */
	char status[16];                   /* "5.1.1", "" when absent */
	enum bounce_severity severity;
};

struct bounce {
	enum bounce_kind kind;
	const char *shape;        /* static: "verp", "rfc3464", "arf", "message-id", "qmail",
				   * "exchange", "postfix", "text" */
	char token[BOUNCE_TOKEN_MAX];      /* VERP token of ours, "" when none */
	const char *token_from;   /* static: the header the token came from, or NULL */
	char message_id[BOUNCE_ADDR_MAX];  /* "<id@our-domain>" returned or referred to, or "" */
	char feedback_type[32];            /* ARF Feedback-Type, lower-cased, or "" */
	struct bounce_rcpt rcpts[BOUNCE_MAX_RCPTS];
	size_t nrcpts;
	bool truncated;           /* the message was longer than BOUNCE_SCAN_MAX */
};

/* msg_bounce_parse: fills *b from raw[0..len). bounce_address: ours ("" or NULL when not
 * configured: no VERP token is looked for); msgid_domain: the domain of our Message-IDs.
 * Returns b->kind. A message whose only sign is our Message-ID is reported with kind
 * BOUNCE_DSN and shape "message-id" only when it also looks automated (null Return-Path,
 * Auto-Submitted, a MAILER-DAEMON-like sender), so a person's forward is never one. */
enum bounce_kind msg_bounce_parse(const char *raw, size_t len, const char *bounce_address,
				  const char *msgid_domain, struct bounce *b);

/* The strongest failure among the recipients: PERMANENT over TEMPORARY over UNKNOWN;
 * SUCCESS when every recipient was delivered; UNKNOWN when there are none. */
enum bounce_severity bounce_severity_of(const struct bounce *b);
const char *bounce_severity_name(enum bounce_severity s);

/* bounce_verp_token: the token of addr when it is bounce_address's local part, '+', a
 * token of [0-9A-Za-z_-] and its domain (case-insensitive); copied to tok. */
bool bounce_verp_token(const char *addr, size_t n, const char *bounce_address, char *tok,
		       size_t toksz);

#endif
