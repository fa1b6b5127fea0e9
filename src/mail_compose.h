/* mail_compose.h: build every outgoing mail as one RFC 5322 message with CRLF line
 * endings. Header values are made safe here, by construction: addresses and message-ids
 * are validated, text is stripped of control characters and RFC 2047-encoded when not
 * plain ASCII, and every header line is folded and checked (printable ASCII, <= 998
 * octets). The body is quoted-printable UTF-8. Returned strings are the caller's to free(). */
#ifndef ILN_MAIL_COMPOSE_H
#define ILN_MAIL_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAIL_MAX_RCPTS    100                /* addresses per To, Cc or Reply-To */
#define MAIL_MAX_EXTRA    32                 /* extra header fields */
#define MAIL_MAX_BODY     (4u * 1024 * 1024) /* bytes of body before encoding */
#define MAIL_MAX_SUBJECT  900                /* bytes of subject kept (cut on a character) */
#define MAIL_MAX_NAME     200                /* bytes of display name kept */
#define MAIL_MAX_REFS     20                 /* message-ids kept in References */
#define MAIL_MAX_MSGID    250                /* bytes of one "<id>" */

struct mail_header { const char *name; const char *value; };   /* extra headers, e.g. List-Id */

struct mail_out {
	const char *from_name;      /* display name (UTF-8, may be NULL) */
	const char *from_addr;      /* the bot's address */
	const char *const *to; size_t nto;         /* addr-specs; at least one */
	const char *const *cc; size_t ncc;
	const char *const *reply_to; size_t nreply_to;
	const char *subject;        /* UTF-8 */
	const char *message_id;     /* "<...>" */
	const char *in_reply_to;    /* "<...>" or NULL */
	const char *references;     /* "<a> <b>" or NULL; invalid ids are dropped, last 20 kept */
	int64_t date;               /* seconds since the epoch */
	const char *auto_submitted; /* "auto-replied" | "auto-generated" */
	const char *content_language; /* RFC 3282 language tag of the text ("es"), or NULL */
	const struct mail_header *extra; size_t nextra;
	const char *body;           /* UTF-8 text, any line endings */
	/* When set, the same content as HTML: the body becomes multipart/alternative of
	 * text/plain and text/html (UTF-8, quoted-printable). The caller escapes it. */
	const char *body_html;
	/* One optional attachment: the message becomes multipart/mixed with the body
	 * first. Name: [A-Za-z0-9._-]+; type: e.g. "text/csv; charset=UTF-8". */
	const char *attach_name;
	const char *attach_type;
	const char *attach_data;
	size_t attach_len;
	/* One mail to many: everything but To and Message-ID, which each recipient's
	 * mail_compose_prefix() puts in front (to and message_id are then not read). */
	bool shared;
};

/* mail_compose: the complete message, CRLF line endings, ending with CRLF, ready for SMTP
 * DATA or a Maildir file; *len is its length. NULL (and err) when any address or
 * message-id is invalid, an extra header is unsafe or duplicates one written here, or a
 * size cap is passed. Subject and display name have control characters (and U+0085,
 * U+2028, U+2029) turned into spaces, runs of spaces collapsed and ends trimmed. */
char *mail_compose(const struct mail_out *m, size_t *len, char *err, size_t errsz);

/* mail_compose_prefix: the "To:" and "Message-ID:" lines of one recipient of a shared
 * message (mail_out.shared), CRLF-terminated, to put before it; NULL (and err) when the
 * address or id is invalid. Caller frees. */
char *mail_compose_prefix(const char *to, const char *message_id, size_t *len, char *err,
			  size_t errsz);

/* mail_addr_valid: one addr-spec local@domain, both dot-atoms of RFC 5321 characters (the
 * local part may also hold UTF-8, RFC 6531/6532: valid, no C1 controls), local part <= 64
 * bytes, labels <= 63, whole <= 254. No quoted local parts, no literals. */
bool mail_addr_valid(const char *addr);

/* mail_addr_strict: mail_addr_valid, and the domain has at least two labels and a top
 * label that is not all digits: the test for every address a command names. */
bool mail_addr_strict(const char *addr);

/* mail_msgid_valid: "<left@right>" of printable ASCII without specials, <= 250 bytes. */
bool mail_msgid_valid(const char *id);

/* mail_message_id_new: "<32-hex@domain>" with 128 random bits; NULL if domain is invalid. */
char *mail_message_id_new(const char *domain);

/* mail_encode_word: a header value. Printable ASCII stays as it is (unless it holds "=?"
 * or a word too long to fold); anything else becomes =?UTF-8?B?...?= words of at most
 * 75 characters, separated by spaces, cut on character boundaries. Invalid UTF-8 becomes
 * U+FFFD. Caller frees. */
char *mail_encode_word(const char *utf8);

/* mail_mentions: whether needle (ASCII letters compared without case) occurs in a mail
 * this file composed, read through its encodings: quoted-printable (soft breaks and =XX),
 * RFC 2047 encoded words (B and Q, adjacent words joined) and base64 parts (an EXPORT's
 * attachment). For erasure: which stored mail names someone. */
bool mail_mentions(const char *raw, size_t len, const char *needle);

#endif
