/* msg.h: one inbound message, parsed into the facts ilnbot acts on.
 * msg_parse() gates size and MIME depth before libetpan sees the bytes, then fills a
 * struct msg whose strings are all its own (valid UTF-8, no NUL); msg_free() frees it. */
#ifndef ILN_MSG_H
#define ILN_MSG_H

#include <stdbool.h>
#include <stddef.h>

#define MSG_MAX_SIZE    (10u * 1024 * 1024)  /* bytes, as Postfix's message_size_limit */
#define MSG_MAX_DEPTH   50                   /* MIME nesting levels */
#define MSG_MAX_PARTS   1000                 /* MIME parts */
#define MSG_MAX_HEADER  (256u * 1024)        /* bytes of header block */
#define MSG_MAX_BODY    (64u * 1024)         /* bytes of extracted text kept */

struct msg {
	char *from;            /* addr-spec "local@domain", domain lower-cased; NULL if unusable */
	char *from_name;       /* decoded display name, or NULL */
	char *from_error;      /* why from is NULL: "no From", "several mailboxes", "group", ... */
	char *from_utf8;       /* a From whose only fault is a UTF-8 local part (RFC 6531), as
				* from would be; NULL otherwise (from is NULL when it is set) */
	char *subject;         /* RFC 2047-decoded, valid UTF-8, one line; "" when absent */
	char *message_id;      /* "<id>" as in the header, or NULL */
	char *in_reply_to;     /* first "<id>" of In-Reply-To, or NULL */
	char *references;      /* "<a> <b> ..." or NULL */
	char *date;            /* raw Date value, or NULL */
	char *language;        /* primary subtag of Content-Language, else of Accept-Language
				* ("es" of "es-MX, en;q=0.5"), lower case, 2-3 letters; or NULL */
	char *body;            /* text body: UTF-8, quotes and signature removed; never NULL */

	/* RFC 3834 loop-safety facts, raw header values or NULL */
	char *auto_submitted;
	char *precedence;
	char *return_path;     /* "<>" for a bounce */
	char *x_loop;
	char *x_autoreply;     /* X-Autoreply or X-Autorespond value */
	bool has_list_headers; /* any List-* header */
	bool is_report;        /* top-level multipart/report */
	int received_count;

	/* Authentication-Results values, topmost first */
	char **auth_results;
	size_t n_auth_results;
	/* To and Cc addr-specs */
	char **rcpts;
	size_t n_rcpts;
	size_t n_to;           /* rcpts[0 .. n_to) are To's, the rest Cc's */
};

/* msg_parse: NULL when the message cannot be used at all (too big, too deep, not a
 * message); then why holds a one-line reason. A message with an unusable From is
 * returned with from == NULL and from_error set. */
struct msg *msg_parse(const char *raw, size_t len, char *why, size_t whysz);
void msg_free(struct msg *m);
/* msg_from_utf8_local: whether msg_parse(raw, len) would give from_utf8, a From whose
 * only fault is a UTF-8 local part (RFC 6531), reading through the same gate and the
 * same From rules but nothing else of the message. */
bool msg_from_utf8_local(const char *raw, size_t len);

/* msg_is_automated: true when RFC 3834 and common practice say never to answer it
 * (Auto-Submitted, Precedence bulk/junk/list, Return-Path <>, List-*, multipart/report,
 * MAILER-DAEMON-like senders, our own X-Loop or address, >= 50 Received lines).
 * *why is set to a static string naming the reason. */
bool msg_is_automated(const struct msg *m, const char *own_address, const char **why);

/* msg_html_to_text: a readable plain-text rendering of HTML; caller frees. */
char *msg_html_to_text(const char *html, size_t len);
/* msg_strip_quotes: the text without quoted lines, "On ... wrote:" blocks, Outlook's
 * separator block and everything after, or a "-- " signature; caller frees. */
char *msg_strip_quotes(const char *text);

#endif
